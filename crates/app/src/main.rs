//! `payments serve` (the default), `payments migrate`, `payments catalog sync`, `payments reconcile`,
//! `payments outbox list|redeliver`,
//! and `payments emulator` (the Stripe emulator alone).

#[cfg(feature = "emulator")]
mod emulator;

use payments_app::{settings::Settings, telemetry, Application};
use std::path::Path;
use std::process::ExitCode;

#[actix_web::main]
async fn main() -> ExitCode {
    // A missing .env is normal; a malformed one is reported below by the setting it breaks.
    let _ = dotenvy::dotenv();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = args.first().cloned().unwrap_or_else(|| "serve".to_owned());
    if command == "emulator" {
        #[cfg(feature = "emulator")]
        return emulator::run(&args[1..]).await;
        #[cfg(not(feature = "emulator"))]
        {
            eprintln!(
                "payments: this build has no Stripe emulator (it was built without the `emulator` feature)"
            );
            return ExitCode::from(2);
        }
    }
    let settings = match Settings::load(Path::new("config")) {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("payments: {err}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(settings.log.format, &settings.log.level);
    let result = match command.as_str() {
        "serve" => serve(&settings).await,
        "migrate" => payments_app::migrate(&settings).await.map(|()| tracing::info!("migrations applied")),
        "catalog" if args.get(1).map(String::as_str) == Some("sync") => {
            payments_app::sync_catalog(&settings).await.map(|report| {
                println!(
                    "catalog synced to Stripe: {} product(s) and {} price(s) created; the rest already had Stripe ids",
                    report.products, report.prices
                );
            })
        }
        "reconcile" => payments_app::reconcile_command(&settings, &args[1..]).await.and_then(|report| {
            println!("reconciled with Stripe: {}", report.summary());
            match report.error {
                None => Ok(()),
                Some(error) => Err(anyhow::anyhow!("the run stopped early: {error}")),
            }
        }),
        "outbox" => payments_app::outbox_command(&settings, &args[1..]).await.map(|lines| {
            for line in lines {
                println!("{line}");
            }
        }),
        other => {
            eprintln!(
                "payments: unknown command {other:?}; use `payments serve`, `payments migrate`, \
                 `payments catalog sync`, `payments reconcile [--since 72h]`, `payments outbox list|redeliver` or `payments emulator [--port 12111] [--forward-to URL] [--when-retries-fail cancel|unpaid]`"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("payments: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: &Settings) -> anyhow::Result<()> {
    let app = Application::build(settings).await?;
    tracing::info!(port = app.port(), "payments service listening");
    app.run_until_stopped().await?;
    tracing::info!("payments service stopped");
    Ok(())
}
