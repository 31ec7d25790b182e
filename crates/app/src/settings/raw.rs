//! The settings as the layered sources give them, before they are checked and typed: the embedded defaults,
//! `config/{APP_ENV}.toml`, the seed's variable names, then `APP__SECTION__KEY` variables, each layer
//! overriding the ones before.

use secrecy::SecretString;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;

/// The embedded defaults, so the binary starts with no files around it.
const DEFAULTS: &str = include_str!("../../../../config/default.toml");

/// The seed's environment variable names and the setting each one sets.
pub(crate) const SEED_VARIABLES: [(&str, &str); 18] = [
    ("DATABASE_URL", "database.url"),
    ("STRIPE_SECRET_KEY", "stripe.secret_key"),
    ("STRIPE_WEBHOOK_SECRET", "stripe.webhook_secret"),
    ("STRIPE_PUBLISHABLE_KEY", "stripe.publishable_key"),
    ("STRIPE_API_BASE", "stripe.api_base"),
    ("CLIENT_URL", "checkout.client_url"),
    ("STRIPE_SUCCESS_URL", "checkout.success_url"),
    ("STRIPE_CANCEL_URL", "checkout.cancel_url"),
    ("PORT", "server.port"),
    ("LOG_FORMAT", "log.format"),
    ("STRIPE_EMULATOR_PORT", "emulator.port"),
    ("JWT_SECRET", "auth.jwt_hs256_secret"),
    ("JWT_PUBLIC_KEY", "auth.jwt_rs256_public_key"),
    ("JWT_ISSUER", "auth.jwt_issuer"),
    ("JWT_AUDIENCE", "auth.jwt_audience"),
    ("ADMIN_API_KEY", "auth.admin_api_key"),
    ("FULFILMENT_WEBHOOK_URLS", "fulfilment.webhook_urls"),
    ("FULFILMENT_WEBHOOK_SECRET", "fulfilment.webhook_secret"),
];

/// Every setting as the sources give it.
#[derive(Debug, Deserialize)]
pub(crate) struct Raw {
    pub(crate) server: RawServer,
    pub(crate) database: RawDatabase,
    pub(crate) stripe: RawStripe,
    pub(crate) webhook: RawWebhook,
    pub(crate) checkout: RawCheckout,
    pub(crate) log: RawLog,
    pub(crate) emulator: RawEmulator,
    pub(crate) catalog: RawCatalog,
    pub(crate) refunds: RawRefunds,
    pub(crate) fulfilment: RawFulfilment,
    pub(crate) reconcile: RawReconcile,
    pub(crate) auth: RawAuth,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RawServer {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) storefront: bool,
    pub(crate) trust_forwarded_for: bool,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RawDatabase {
    pub(crate) url: SecretString,
    pub(crate) max_connections: u32,
    pub(crate) acquire_timeout_ms: u64,
    pub(crate) migrate_on_start: bool,
    pub(crate) statement_timeout_ms: u64,
    pub(crate) lock_timeout_ms: u64,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RawWebhook {
    pub(crate) deadline_ms: u64,
    pub(crate) connected_accounts: String,
    pub(crate) orphan_report_after_secs: u64,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RawStripe {
    pub(crate) secret_key: SecretString,
    pub(crate) webhook_secret: SecretString,
    #[serde(default)]
    pub(crate) publishable_key: String,
    pub(crate) api_base: String,
    pub(crate) timeout_ms: u64,
    pub(crate) deadline_ms: u64,
    pub(crate) webhook_tolerance_secs: u64,
    #[serde(default)]
    pub(crate) allow_test_key_in_production: bool,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RawCheckout {
    pub(crate) currency: String,
    pub(crate) client_url: String,
    pub(crate) success_url: String,
    pub(crate) cancel_url: String,
    pub(crate) allow_client_prices: bool,
    pub(crate) allow_guest_checkout: bool,
    pub(crate) guest_limit_per_minute: u32,
    pub(crate) guest_limit_burst: u32,
    pub(crate) deadline_ms: u64,
    pub(crate) session_ttl_minutes: i64,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RawLog {
    pub(crate) format: super::LogFormat,
    pub(crate) level: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RawEmulator {
    pub(crate) enabled: bool,
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) public_url: String,
    pub(crate) first_retry_ms: u64,
    pub(crate) retries: u32,
    pub(crate) control_token: SecretString,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RawRefunds {
    pub(crate) allow_users: bool,
    pub(crate) window_days: u32,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RawFulfilment {
    pub(crate) webhook_urls: String,
    pub(crate) webhook_secret: SecretString,
    pub(crate) timeout_ms: u64,
    pub(crate) first_retry_secs: u64,
    pub(crate) max_retry_secs: u64,
    pub(crate) give_up_after_secs: u64,
    pub(crate) poll_interval_ms: u64,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RawReconcile {
    pub(crate) enabled: bool,
    pub(crate) interval_secs: u64,
    pub(crate) pending_after_secs: u64,
    pub(crate) expiry_grace_secs: u64,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RawCatalog {
    pub(crate) path: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RawAuth {
    pub(crate) jwt_hs256_secret: SecretString,
    pub(crate) jwt_rs256_public_key: String,
    pub(crate) jwt_issuer: String,
    pub(crate) jwt_audience: String,
    pub(crate) admin_api_key: SecretString,
}

/// The seed's variable names as a source: each set (and not blank) one sets its setting.
#[derive(Debug, Clone)]
struct SeedVariables(config::Map<String, config::Value>);

impl config::Source for SeedVariables {
    fn clone_into_box(&self) -> Box<dyn config::Source + Send + Sync> {
        Box::new(self.clone())
    }

    fn collect(&self) -> Result<config::Map<String, config::Value>, config::ConfigError> {
        Ok(self.0.clone())
    }
}

/// Reads the layers from `environment` (the process's, or a test's).
pub(crate) fn read(
    config_dir: &Path,
    app_env: &str,
    environment: &HashMap<String, String>,
) -> Result<Raw, String> {
    let seed = SEED_VARIABLES
        .iter()
        .filter_map(|(name, key)| {
            let value = environment.get(*name).filter(|value| !value.trim().is_empty())?;
            Some(((*key).to_owned(), config::Value::new(Some(&(*name).to_owned()), value.clone())))
        })
        .collect();
    let prefixed = environment.iter().filter(|(name, _)| name.starts_with("APP__"));
    config::Config::builder()
        .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml))
        .add_source(config::File::from(config_dir.join(format!("{app_env}.toml"))).required(false))
        .add_source(SeedVariables(seed))
        // `APP__SECTION__KEY=value` sets `section.key`; keys the settings do not have are ignored.
        .add_source(
            config::Environment::with_prefix("APP")
                .prefix_separator("__")
                .separator("__")
                .try_parsing(true)
                .source(Some(prefixed.map(|(name, value)| (name.clone(), value.clone())).collect())),
        )
        .build()
        .and_then(|config| config.try_deserialize())
        .map_err(|error| error.to_string())
}
