//! Configuration, read once at start-up into typed values: the embedded defaults (`config/default.toml`),
//! `config/{APP_ENV}.toml`, the seed's variable names (`DATABASE_URL`, ...), then `APP__SECTION__KEY`
//! variables, each layer overriding the ones before (so `APP__DATABASE__URL` beats `DATABASE_URL`). A setting
//! that is missing or malformed stops start-up with one line naming it; secrets never appear in it.

mod raw;
mod sections;

use sections::{auth, checkout, database, emulator, fulfilment, reconcile, refunds, stripe, webhook};

use crate::Backend;
use payments_domain::Currency;
use payments_http::{AuthOptions, JwtKey, JwtSettings};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use url::Url;

/// Every setting, checked.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `APP_ENV` (`local` unless set): picks `config/{APP_ENV}.toml`; `production` adds rules of its own.
    pub app_env: String,
    /// HTTP listener.
    pub server: ServerSettings,
    /// The store.
    pub database: DatabaseSettings,
    /// Stripe, real or emulated.
    pub stripe: StripeSettings,
    /// Webhook deliveries.
    pub webhook: WebhookSettings,
    /// Checkout.
    pub checkout: CheckoutSettings,
    /// Logging.
    pub log: LogSettings,
    /// The built-in Stripe emulator, used when no Stripe key is set.
    pub emulator: EmulatorSettings,
    /// The product catalog file loaded at start-up, if any.
    pub catalog_path: Option<PathBuf>,
    /// Which bearer tokens are accepted (user JWTs, the admin API key).
    pub auth: AuthOptions,
    /// Who may issue refunds, and until when.
    pub refunds: payments_domain::RefundSettings,
    /// Where the fulfilment outbox's entries are delivered.
    pub fulfilment: FulfilmentSettings,
    /// Catching up with Stripe.
    pub reconcile: ReconcileSettings,
}

/// When and how the service catches up with Stripe.
#[derive(Debug, Clone)]
pub struct ReconcileSettings {
    /// How often the periodic run starts; `None`: only on demand.
    pub every: Option<Duration>,
    /// What a run does.
    pub run: payments_domain::ReconcileSettings,
}

/// Where the fulfilment outbox's entries are delivered, and how.
#[derive(Debug, Clone)]
pub struct FulfilmentSettings {
    /// The endpoints, retries and age limit.
    pub delivery: payments_domain::DeliverySettings,
    /// The signing key; set whenever there are endpoints.
    pub secret: Option<SecretString>,
    /// One POST's deadline.
    pub timeout: Duration,
    /// How long the delivery task waits after a round that found nothing due.
    pub poll_interval: Duration,
}

/// HTTP listener.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// Interface to bind.
    pub host: String,
    /// Port to bind (0 picks a free one).
    pub port: u16,
    /// Serve the demo storefront at `/`, `/success` and `/cancel`.
    pub storefront: bool,
    /// Take the client's address from `Forwarded` / `X-Forwarded-For` (behind a reverse proxy that sets
    /// them), not from the connection.
    pub trust_forwarded_for: bool,
}

/// The store.
#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    /// Connection URL (may hold a password: never logged).
    pub url: SecretString,
    /// The adapter its scheme picks.
    pub backend: Backend,
    /// Pool size (Postgres).
    pub max_connections: u32,
    /// How long a request waits for a connection before the store counts as unavailable.
    pub acquire_timeout: Duration,
    /// Apply migrations at start-up.
    pub migrate_on_start: bool,
    /// Postgres: the longest a statement may run.
    pub statement_timeout: Duration,
    /// Postgres: the longest a statement may wait for a lock.
    pub lock_timeout: Duration,
}

/// Webhook deliveries.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// A delivery not recorded within this answers 503.
    pub deadline: Duration,
    /// The connected accounts (`acct_...`) whose events are accepted; others are refused.
    pub connected_accounts: Vec<String>,
    /// Events kept as orphans for longer than this are reported in the log; `None`: never.
    pub orphan_report_after: Option<Duration>,
}

/// A Stripe secret key, and whether it is a live one.
#[derive(Debug, Clone)]
pub struct StripeKey {
    /// `sk_test_...` or `sk_live_...` (or a restricted `rk_...` key).
    pub secret: SecretString,
    /// A live key moves real money.
    pub live: bool,
}

/// Where Stripe is.
#[derive(Debug, Clone)]
pub enum StripeMode {
    /// A secret key is set: talk to `api_base` with it, and verify webhooks with these secrets.
    Real {
        /// The key.
        key: StripeKey,
        /// One or more `whsec_...` secrets (several while one is rolled).
        webhook_secrets: Vec<SecretString>,
    },
    /// No key: run the emulator in process; no real money moves.
    Emulated,
}

/// Stripe.
#[derive(Debug, Clone)]
pub struct StripeSettings {
    /// Real or emulated.
    pub mode: StripeMode,
    /// Stripe's publishable key for front ends (`STRIPE_PUBLISHABLE_KEY`; `pk_test_emulator` when emulated).
    pub publishable_key: Option<String>,
    /// Stripe's API base URL (a local fake or emulator in tests).
    pub api_base: Url,
    /// Timeout of one Stripe request.
    pub timeout: Duration,
    /// How long one Stripe operation may take, its retries included.
    pub deadline: Duration,
    /// How old a webhook signature may be.
    pub webhook_tolerance: Duration,
}

/// Checkout.
#[derive(Debug, Clone)]
pub struct CheckoutSettings {
    /// The currency every checkout is priced in.
    pub currency: Currency,
    /// The web shop's base URL; `None`: this service's own storefront.
    pub client_url: Option<Url>,
    /// After payment (may hold `{CHECKOUT_SESSION_ID}`); `None`: derived from the client URL.
    pub success_url: Option<String>,
    /// After cancel; `None`: derived from the client URL.
    pub cancel_url: Option<String>,
    /// Trust client-sent prices (the seed's behaviour); off by default.
    pub allow_client_prices: bool,
    /// Let callers without a token check out with an email.
    pub allow_guest_checkout: bool,
    /// Guest checkouts per client address; `None`: unlimited.
    pub guest_limit: Option<payments_http::RateLimit>,
    /// How long one checkout may take, Stripe's retries included.
    pub deadline: Duration,
    /// How long a Checkout Session stays open (Stripe's `expires_at`): 30 minutes to 24 hours.
    pub session_ttl: chrono::Duration,
}

/// Logging.
#[derive(Debug, Clone)]
pub struct LogSettings {
    /// `pretty` or `json`.
    pub format: LogFormat,
    /// Default filter when RUST_LOG is unset.
    pub level: String,
}

/// How log lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// The built-in Stripe emulator.
#[derive(Debug, Clone)]
pub struct EmulatorSettings {
    /// Fall back to the emulator when no key is set (never in production).
    pub enabled: bool,
    /// Interface it binds.
    pub host: String,
    /// Port it binds (0 picks a free one).
    pub port: u16,
    /// How browsers reach it (the base of checkout page URLs); `None`: `http://{host}:{port}/`.
    pub public_url: Option<Url>,
    /// Delay before the first retry of a failed webhook delivery; each later one doubles.
    pub first_retry: Duration,
    /// How many times a failed delivery is retried.
    pub retries: u32,
    /// The bearer token the control API (`/_emulator`) wants; `None`: it answers loopback clients only.
    pub control_token: Option<SecretString>,
}

/// A setting that is missing or malformed: one line naming it.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct SettingsError(pub String);

fn error<T>(message: impl Into<String>) -> Result<T, SettingsError> {
    Err(SettingsError(message.into()))
}

impl Settings {
    /// Loads settings from the layers (see the module's doc) with the process's environment.
    pub fn load(config_dir: &Path) -> Result<Self, SettingsError> {
        Self::load_from(config_dir, &std::env::vars().collect())
    }

    /// [`Settings::load`] with the environment given (for tests and the benchmark).
    pub fn load_from(
        config_dir: &Path,
        environment: &HashMap<String, String>,
    ) -> Result<Self, SettingsError> {
        let app_env = environment.get("APP_ENV").map_or("local", |env| env.trim()).to_owned();
        let raw = raw::read(config_dir, &app_env, environment).map_err(SettingsError)?;
        let production = app_env == "production";
        let stripe = stripe(&raw.stripe, production)?;
        let emulator = emulator(&raw.emulator)?;
        if matches!(stripe.mode, StripeMode::Emulated) && (production || !emulator.enabled) {
            return error(
                "STRIPE_SECRET_KEY (stripe.secret_key) is not set, and the Stripe emulator is not used (it is \
                 turned off, or APP_ENV is production): set your Stripe secret key",
            );
        }
        if matches!(stripe.mode, StripeMode::Emulated) && !cfg!(feature = "emulator") {
            return error(
                "STRIPE_SECRET_KEY (stripe.secret_key) is not set, and this build has no Stripe emulator (it was \
                 built without the `emulator` feature): set your Stripe secret key",
            );
        }
        Ok(Settings {
            server: ServerSettings {
                host: raw.server.host,
                port: raw.server.port,
                storefront: raw.server.storefront,
                trust_forwarded_for: raw.server.trust_forwarded_for,
            },
            database: database(raw.database)?,
            stripe,
            webhook: webhook(raw.webhook)?,
            checkout: checkout(raw.checkout)?,
            log: LogSettings { format: raw.log.format, level: raw.log.level },
            emulator,
            catalog_path: Some(raw.catalog.path.trim()).filter(|path| !path.is_empty()).map(PathBuf::from),
            auth: auth(&raw.auth)?,
            refunds: refunds(raw.refunds)?,
            fulfilment: fulfilment(raw.fulfilment)?,
            reconcile: reconcile(raw.reconcile)?,
            app_env,
        })
    }

    /// The web shop's base URL: the client URL, or `own_url` (this service's storefront) if unset.
    fn client_url<'a>(&'a self, own_url: &'a str) -> &'a str {
        self.checkout.client_url.as_ref().map_or(own_url, Url::as_str).trim_end_matches('/')
    }

    /// Where Stripe sends the customer after paying; `own_url` is this service's base URL.
    pub fn success_url(&self, own_url: &str) -> String {
        match &self.checkout.success_url {
            Some(url) => url.clone(),
            None => format!("{}/success?session_id={{CHECKOUT_SESSION_ID}}", self.client_url(own_url)),
        }
    }

    /// Where Stripe's customer portal sends the customer back to: the shop's home page; `own_url` is this
    /// service's base URL.
    pub fn portal_return_url(&self, own_url: &str) -> String {
        format!("{}/", self.client_url(own_url))
    }

    /// Where Stripe sends the customer after canceling; `own_url` is this service's base URL.
    pub fn cancel_url(&self, own_url: &str) -> String {
        match &self.checkout.cancel_url {
            Some(url) => url.clone(),
            None => format!("{}/cancel", self.client_url(own_url)),
        }
    }
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
