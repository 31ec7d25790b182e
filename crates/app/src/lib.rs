//! Wires configuration, adapters and the HTTP server. Nothing else lives here.

pub mod settings;
pub mod telemetry;

use anyhow::Context;
use payments_domain::{Currency, Payments, SystemClock};
use payments_postgres::{PgStore, PgStoreOptions};
use payments_stripe::{StripeConfig, StripeGateway, StripeWebhookVerifier};
use secrecy::ExposeSecret;
use settings::Settings;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

/// A built application: the bound listener and the server that will run on it.
pub struct Application {
    port: u16,
    server: actix_web::dev::Server,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application").field("port", &self.port).finish_non_exhaustive()
    }
}

impl Application {
    /// Builds adapters from `settings`, runs migrations unless turned off, and binds the listener
    /// (port 0 picks a free port; see [`Application::port`]).
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        let store = PgStore::connect_lazy(
            settings.database.url.expose_secret(),
            &PgStoreOptions {
                max_connections: settings.database.max_connections,
                acquire_timeout: Duration::from_millis(settings.database.acquire_timeout_ms),
            },
        )
        .context("database.url (DATABASE_URL)")?;
        if settings.database.migrate_on_start {
            store.migrate().await.context("applying database migrations")?;
        }
        let gateway = StripeGateway::new(StripeConfig {
            secret_key: settings.stripe.secret_key.clone(),
            api_base: url::Url::parse(&settings.stripe.api_base)
                .context("stripe.api_base (STRIPE_API_BASE)")?,
            timeout: settings.stripe_timeout(),
        })
        .context("building the Stripe client")?;
        let verifier = StripeWebhookVerifier::new(
            payments_stripe::parse_secrets(settings.stripe.webhook_secret.expose_secret()),
            Duration::from_secs(settings.stripe.webhook_tolerance_secs),
        )
        .context("stripe.webhook_secret (STRIPE_WEBHOOK_SECRET)")?;
        let payments = Payments::new(
            Arc::new(store),
            Arc::new(gateway),
            Arc::new(verifier),
            Arc::new(SystemClock),
            payments_domain::CheckoutSettings {
                currency: Currency::parse(&settings.checkout.currency).context("checkout.currency")?,
                success_url: settings.success_url(),
                cancel_url: settings.cancel_url(),
            },
        );

        let address = format!("{}:{}", settings.server.host, settings.server.port);
        let listener = TcpListener::bind(&address).with_context(|| format!("binding {address}"))?;
        let port = listener.local_addr()?.port();
        let server = payments_http::serve(listener, payments)?;
        Ok(Self { port, server })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM or Ctrl-C, then finishes in-flight requests (graceful shutdown).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Applies migrations and exits (`payments migrate`).
pub async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let store = PgStore::connect_lazy(settings.database.url.expose_secret(), &PgStoreOptions::default())
        .context("database.url (DATABASE_URL)")?;
    store.migrate().await.context("applying database migrations")?;
    Ok(())
}
