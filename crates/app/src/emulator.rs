//! `payments emulator [--host 127.0.0.1] [--port 12111] [--forward-to URL]... [--when-retries-fail
//! cancel|unpaid]`: the Stripe emulator on its own, for a shop or a test suite in another language. Each
//! `--forward-to` registers a webhook endpoint for every event type and prints its signing secret;
//! `--when-retries-fail` says what a subscription becomes when every retry of an invoice failed (default
//! `cancel`). The control API (`/_emulator`, which can pay any session)
//! answers loopback clients only, or, with `EMULATOR_CONTROL_TOKEN` set, only requests bearing that token.

use payments_app::settings::LogFormat;
use payments_app::telemetry;
use payments_stripe_emulator::{Emulator, EmulatorConfig, RetriesExhausted};
use std::process::ExitCode;

const USAGE: &str = "usage: payments emulator [--host 127.0.0.1] [--port 12111] [--forward-to URL]... \
                     [--when-retries-fail cancel|unpaid]";

/// Parsed command line.
#[derive(Debug, PartialEq, Eq)]
struct Options {
    host: String,
    port: u16,
    forward_to: Vec<String>,
    when_retries_fail: RetriesExhausted,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        host: "127.0.0.1".to_owned(),
        port: 12111,
        forward_to: Vec::new(),
        when_retries_fail: RetriesExhausted::Cancel,
    };
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value; {USAGE}"));
        match flag.as_str() {
            "--host" => options.host = value()?.clone(),
            "--port" => {
                let raw = value()?;
                options.port =
                    raw.parse().map_err(|_| format!("--port must be a port number, not {raw:?}"))?;
            }
            "--forward-to" => {
                let raw = value()?;
                url::Url::parse(raw).map_err(|e| format!("--forward-to must be a URL ({e}): {raw:?}"))?;
                options.forward_to.push(raw.clone());
            }
            "--when-retries-fail" => {
                let raw = value()?;
                options.when_retries_fail = RetriesExhausted::parse(raw)
                    .ok_or_else(|| format!("--when-retries-fail must be cancel or unpaid, not {raw:?}"))?;
            }
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown option {other:?}; {USAGE}")),
        }
    }
    Ok(options)
}

/// Runs the emulator until Ctrl-C or SIGTERM.
pub async fn run(args: &[String]) -> ExitCode {
    let options = match parse(args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("payments: {message}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(LogFormat::Pretty, "info");
    let address = format!("{}:{}", options.host, options.port);
    let addr = match tokio::net::lookup_host(&address).await.ok().and_then(|mut a| a.next()) {
        Some(addr) => addr,
        None => {
            eprintln!("payments: cannot resolve {address}");
            return ExitCode::from(2);
        }
    };
    let control_token = std::env::var("EMULATOR_CONTROL_TOKEN").ok().filter(|token| !token.trim().is_empty());
    let config = EmulatorConfig {
        control_token,
        when_retries_exhausted: options.when_retries_fail,
        ..EmulatorConfig::default()
    };
    let emulator = match Emulator::start(addr, config).await {
        Ok(emulator) => emulator,
        Err(err) => {
            eprintln!("payments: cannot start the Stripe emulator on {address}: {err}");
            return ExitCode::FAILURE;
        }
    };
    println!("Stripe emulator at {} (any sk_test_ key; no real money moves)", emulator.base_url());
    for url in &options.forward_to {
        let secret = emulator.register_webhook_endpoint(url, &["*"]);
        println!("Forwarding every event to {url}; webhook signing secret: {secret}");
    }
    shutdown_signal().await;
    emulator.stop().await;
    ExitCode::SUCCESS
}

/// Ctrl-C, or SIGTERM on Unix.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn defaults_and_flags_parse() {
        assert_eq!(
            parse(&[]).unwrap(),
            Options {
                host: "127.0.0.1".into(),
                port: 12111,
                forward_to: vec![],
                when_retries_fail: RetriesExhausted::Cancel
            }
        );
        let unpaid = parse(&args(&["--when-retries-fail", "unpaid"])).unwrap();
        assert_eq!(unpaid.when_retries_fail, RetriesExhausted::MarkUnpaid);
        let parsed =
            parse(&args(&["--port", "4000", "--forward-to", "http://localhost:8080/webhook"])).unwrap();
        assert_eq!(parsed.port, 4000);
        assert_eq!(parsed.forward_to, ["http://localhost:8080/webhook"]);
    }

    #[test]
    fn bad_flags_are_named() {
        assert!(parse(&args(&["--port", "x"])).unwrap_err().contains("--port"));
        assert!(parse(&args(&["--port"])).unwrap_err().contains("needs a value"));
        assert!(parse(&args(&["--bogus"])).unwrap_err().contains("--bogus"));
        assert!(parse(&args(&["--forward-to", "not a url"])).unwrap_err().contains("--forward-to"));
        assert!(parse(&args(&["--when-retries-fail", "pause"])).unwrap_err().contains("--when-retries-fail"));
    }
}
