//! Configuration: embedded defaults, `config/{APP_ENV}.toml`, `APP__SECTION__KEY`, then the seed's names.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::path::Path;
use std::time::Duration;

/// The embedded defaults, so the binary starts with no files around it.
const DEFAULTS: &str = include_str!("../../../config/default.toml");

/// The seed's environment variable names and the setting each one sets.
const SEED_VARIABLES: [(&str, &str); 15] = [
    ("DATABASE_URL", "database.url"),
    ("STRIPE_SECRET_KEY", "stripe.secret_key"),
    ("STRIPE_WEBHOOK_SECRET", "stripe.webhook_secret"),
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
];

/// Every setting, read once at start-up.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// HTTP listener.
    pub server: ServerSettings,
    /// Postgres.
    pub database: DatabaseSettings,
    /// Stripe.
    pub stripe: StripeSettings,
    /// Checkout.
    pub checkout: CheckoutSettings,
    /// Logging.
    pub log: LogSettings,
    /// The built-in Stripe emulator, used when no Stripe key is set.
    pub emulator: EmulatorSettings,
    /// `[catalog]`.
    pub catalog: CatalogSettings,
    /// `[auth]`.
    pub auth: AuthSettings,
}

/// `[catalog]`: the product catalog file.
#[derive(Debug, Clone, Deserialize)]
pub struct CatalogSettings {
    /// The file loaded at start-up; empty: none.
    pub path: String,
}

/// `[auth]`: user tokens and the admin key.
#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    /// HS256 shared secret (JWT_SECRET).
    pub jwt_hs256_secret: SecretString,
    /// RS256 public key, PEM text or a path to a PEM file (JWT_PUBLIC_KEY).
    pub jwt_rs256_public_key: String,
    /// The required `iss` (JWT_ISSUER).
    pub jwt_issuer: String,
    /// The required `aud` (JWT_AUDIENCE).
    pub jwt_audience: String,
    /// The operator's key (ADMIN_API_KEY).
    pub admin_api_key: SecretString,
}

/// Where Stripe is: the real one (a secret key is set) or the built-in emulator (none is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StripeMode {
    /// `stripe.secret_key` is set: talk to `stripe.api_base` with it.
    Real,
    /// No key: run the emulator in process; no real money moves.
    Emulated,
}

/// The built-in Stripe emulator.
#[derive(Debug, Clone, Deserialize)]
pub struct EmulatorSettings {
    /// Fall back to the emulator when no key is set (off in production: a missing key is an error).
    pub enabled: bool,
    /// Interface it binds.
    pub host: String,
    /// Port it binds (0 picks a free one).
    pub port: u16,
    /// How browsers reach it (the base of checkout page URLs); empty means `http://{host}:{port}/`.
    pub public_url: String,
    /// Delay before the first retry of a failed webhook delivery; each later one doubles.
    pub first_retry_ms: u64,
    /// How many times a failed delivery is retried.
    pub retries: u32,
}

/// HTTP listener.
#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    /// Interface to bind.
    pub host: String,
    /// Port to bind (0 picks a free one).
    pub port: u16,
    /// Serve the demo storefront at `/`, `/success` and `/cancel`.
    pub storefront: bool,
}

/// Postgres.
#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// Connection URL (may hold a password: never logged).
    pub url: SecretString,
    /// Pool size.
    pub max_connections: u32,
    /// How long a request waits for a connection before the store counts as unavailable.
    pub acquire_timeout_ms: u64,
    /// Apply migrations at start-up.
    pub migrate_on_start: bool,
}

/// Stripe.
#[derive(Debug, Clone, Deserialize)]
pub struct StripeSettings {
    /// `sk_test_...` or `sk_live_...`.
    pub secret_key: SecretString,
    /// One or more `whsec_...`, comma-separated.
    pub webhook_secret: SecretString,
    /// Stripe's API base URL (a local fake or emulator in tests).
    pub api_base: String,
    /// Timeout of one Stripe request.
    pub timeout_ms: u64,
    /// How old a webhook signature may be.
    pub webhook_tolerance_secs: u64,
}

/// Checkout.
#[derive(Debug, Clone, Deserialize)]
pub struct CheckoutSettings {
    /// ISO code every checkout is priced in.
    pub currency: String,
    /// The web shop's base URL; empty means this service's own storefront.
    pub client_url: String,
    /// After payment; empty means `{client_url}/success?session_id={CHECKOUT_SESSION_ID}`.
    pub success_url: String,
    /// After cancel; empty means `{client_url}/cancel`.
    pub cancel_url: String,
    /// Trust client-sent prices (the seed's behaviour); off by default.
    pub allow_client_prices: bool,
    /// Let callers without a token check out with an email.
    pub allow_guest_checkout: bool,
}

/// Logging.
#[derive(Debug, Clone, Deserialize)]
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

/// A setting that is missing or malformed: one line naming it.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct SettingsError(pub String);

impl Settings {
    /// Loads settings from the embedded defaults, `config/{APP_ENV}.toml` (APP_ENV defaults to `local`) under
    /// `config_dir` if present, `APP__SECTION__KEY` variables, and the seed's names, then checks them.
    pub fn load(config_dir: &Path) -> Result<Self, SettingsError> {
        Self::load_from(config_dir, |name| std::env::var(name).ok())
    }

    /// [`Settings::load`] with the environment given as a function (for tests).
    pub fn load_from(config_dir: &Path, env: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let app_env = env("APP_ENV").unwrap_or_else(|| "local".to_owned());
        let mut builder = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml))
            .add_source(config::File::from(config_dir.join(format!("{app_env}.toml"))).required(false));
        for (name, key) in SEED_VARIABLES {
            if let Some(value) = env(name).filter(|v| !v.trim().is_empty()) {
                builder =
                    builder.set_override(key, value).map_err(|e| SettingsError(format!("{name}: {e}")))?;
            }
        }
        let prefixed = collect_prefixed(&env);
        for (key, value) in prefixed {
            builder = builder
                .set_override(key.as_str(), value)
                .map_err(|e| SettingsError(format!("{key}: {e}")))?;
        }
        let settings: Settings =
            builder.build().and_then(|c| c.try_deserialize()).map_err(|e| SettingsError(e.to_string()))?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), SettingsError> {
        let err = |s: &str| Err(SettingsError(s.to_owned()));
        if self.stripe_mode() == StripeMode::Emulated && !self.emulator.enabled {
            return err(
                "STRIPE_SECRET_KEY (stripe.secret_key) is not set, and the Stripe emulator is turned off \
                 (emulator.enabled = false): set your Stripe secret key",
            );
        }
        if self.stripe_mode() == StripeMode::Real {
            if !self.stripe.secret_key.expose_secret().trim().starts_with("sk_") {
                return err(
                    "STRIPE_SECRET_KEY (stripe.secret_key) must start with sk_ (a Stripe secret key)",
                );
            }
            if self.stripe.webhook_secret.expose_secret().trim().is_empty() {
                return err(
                    "STRIPE_WEBHOOK_SECRET (stripe.webhook_secret) is not set: with STRIPE_SECRET_KEY set, use the \
                     whsec_ secret of your webhook endpoint, or the one `stripe listen` prints",
                );
            }
        } else if !self.emulator.public_url.is_empty() && url::Url::parse(&self.emulator.public_url).is_err()
        {
            return err("emulator.public_url is not a URL");
        }
        if url::Url::parse(&self.stripe.api_base).is_err() {
            return err("STRIPE_API_BASE (stripe.api_base) is not a URL");
        }
        if payments_domain::Currency::parse(&self.checkout.currency).is_err() {
            return err("checkout.currency must be a three-letter ISO code such as usd");
        }
        for (name, value) in [
            ("CLIENT_URL (checkout.client_url)", self.checkout.client_url.as_str()),
            ("STRIPE_SUCCESS_URL (checkout.success_url)", self.checkout.success_url.as_str()),
            ("STRIPE_CANCEL_URL (checkout.cancel_url)", self.checkout.cancel_url.as_str()),
        ] {
            if !value.is_empty() && url::Url::parse(value).is_err() {
                return Err(SettingsError(format!("{name} is not a URL: {value:?}")));
            }
        }
        if crate::Backend::of(self.database.url.expose_secret()).is_none() {
            return err("DATABASE_URL (database.url) must start with sqlite:// or postgres://");
        }
        if self.database.max_connections == 0 {
            return err("database.max_connections must be at least 1");
        }
        self.validate_auth()
    }

    fn validate_auth(&self) -> Result<(), SettingsError> {
        let err = |s: &str| Err(SettingsError(s.to_owned()));
        let auth = &self.auth;
        let hs256 = auth.jwt_hs256_secret.expose_secret();
        let rs256 = auth.jwt_rs256_public_key.trim();
        if !hs256.is_empty() && !rs256.is_empty() {
            return err("set one of JWT_SECRET (auth.jwt_hs256_secret) and JWT_PUBLIC_KEY (auth.jwt_rs256_public_key), not both");
        }
        if !hs256.is_empty() && hs256.len() < 32 {
            return err("JWT_SECRET (auth.jwt_hs256_secret) must be at least 32 bytes");
        }
        if (!hs256.is_empty() || !rs256.is_empty())
            && (auth.jwt_issuer.trim().is_empty() || auth.jwt_audience.trim().is_empty())
        {
            return err("with a JWT key set, JWT_ISSUER (auth.jwt_issuer) and JWT_AUDIENCE (auth.jwt_audience) are required");
        }
        let admin = auth.admin_api_key.expose_secret();
        if !admin.is_empty() && admin.len() < 24 {
            return err("ADMIN_API_KEY (auth.admin_api_key) must be at least 24 characters");
        }
        Ok(())
    }

    /// Real Stripe when a secret key is set, the built-in emulator otherwise.
    pub fn stripe_mode(&self) -> StripeMode {
        if self.stripe.secret_key.expose_secret().trim().is_empty() {
            StripeMode::Emulated
        } else {
            StripeMode::Real
        }
    }

    /// The web shop's base URL: `checkout.client_url`, or `own_url` (this service's storefront) if unset.
    fn client_url<'a>(&'a self, own_url: &'a str) -> &'a str {
        let configured = self.checkout.client_url.trim();
        if configured.is_empty() { own_url } else { configured }.trim_end_matches('/')
    }

    /// Where Stripe sends the customer after paying; `own_url` is this service's base URL.
    pub fn success_url(&self, own_url: &str) -> String {
        if self.checkout.success_url.is_empty() {
            format!("{}/success?session_id={{CHECKOUT_SESSION_ID}}", self.client_url(own_url))
        } else {
            self.checkout.success_url.clone()
        }
    }

    /// Where Stripe sends the customer after canceling; `own_url` is this service's base URL.
    pub fn cancel_url(&self, own_url: &str) -> String {
        if self.checkout.cancel_url.is_empty() {
            format!("{}/cancel", self.client_url(own_url))
        } else {
            self.checkout.cancel_url.clone()
        }
    }

    /// How long one Stripe request may take.
    pub fn stripe_timeout(&self) -> Duration {
        Duration::from_millis(self.stripe.timeout_ms)
    }
}

/// `APP__SECTION__KEY=value` → `section.key = value`.
fn collect_prefixed(env: &impl Fn(&str) -> Option<String>) -> Vec<(String, String)> {
    const KEYS: [&str; 32] = [
        "server.host",
        "server.port",
        "server.storefront",
        "emulator.enabled",
        "emulator.host",
        "emulator.port",
        "emulator.public_url",
        "emulator.first_retry_ms",
        "emulator.retries",
        "database.url",
        "database.max_connections",
        "database.acquire_timeout_ms",
        "database.migrate_on_start",
        "stripe.secret_key",
        "stripe.webhook_secret",
        "stripe.api_base",
        "stripe.timeout_ms",
        "stripe.webhook_tolerance_secs",
        "checkout.currency",
        "checkout.client_url",
        "checkout.success_url",
        "checkout.cancel_url",
        "checkout.allow_client_prices",
        "checkout.allow_guest_checkout",
        "catalog.path",
        "auth.jwt_hs256_secret",
        "auth.jwt_rs256_public_key",
        "auth.jwt_issuer",
        "auth.jwt_audience",
        "auth.admin_api_key",
        "log.format",
        "log.level",
    ];
    KEYS.iter()
        .filter_map(|key| {
            let name = format!("APP__{}", key.replace('.', "__").to_uppercase());
            env(&name).map(|value| ((*key).to_owned(), value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let vars: HashMap<String, String> =
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::load_from(Path::new("/nonexistent"), |name| vars.get(name).cloned())
    }

    const REQUIRED: [(&str, &str); 2] =
        [("STRIPE_SECRET_KEY", "sk_test_123"), ("STRIPE_WEBHOOK_SECRET", "whsec_abc")];

    #[test]
    fn the_seed_names_set_their_settings() {
        let mut vars = REQUIRED.to_vec();
        vars.extend([("PORT", "9001"), ("CLIENT_URL", "https://shop.example"), ("LOG_FORMAT", "json")]);
        let settings = load(&vars).unwrap();
        assert_eq!(settings.server.port, 9001);
        assert_eq!(settings.log.format, LogFormat::Json);
        let own = "http://127.0.0.1:9001";
        assert_eq!(
            settings.success_url(own),
            "https://shop.example/success?session_id={CHECKOUT_SESSION_ID}"
        );
        assert_eq!(settings.cancel_url(own), "https://shop.example/cancel");
        assert_eq!(settings.stripe_mode(), StripeMode::Real);
    }

    #[test]
    fn with_no_key_stripe_is_emulated_and_the_own_storefront_is_the_shop() {
        let settings = load(&[]).unwrap();
        assert_eq!(settings.stripe_mode(), StripeMode::Emulated);
        assert_eq!(settings.emulator.port, 12111);
        let own = "http://127.0.0.1:8080/";
        assert_eq!(
            settings.success_url(own),
            "http://127.0.0.1:8080/success?session_id={CHECKOUT_SESSION_ID}"
        );
        assert_eq!(settings.cancel_url(own), "http://127.0.0.1:8080/cancel");
        assert_eq!(settings.database.url.expose_secret(), "sqlite://data/payments.db");
        let err = load(&[("DATABASE_URL", "mysql://root:hunter2@db/x")]).unwrap_err().to_string();
        assert!(err.contains("DATABASE_URL") && !err.contains("hunter2"), "{err}");
        let err = load(&[("APP__EMULATOR__ENABLED", "false")]).unwrap_err().to_string();
        assert!(err.contains("STRIPE_SECRET_KEY"), "{err}");
    }

    #[test]
    fn prefixed_variables_override_defaults() {
        let mut vars = REQUIRED.to_vec();
        vars.push(("APP__DATABASE__MAX_CONNECTIONS", "3"));
        assert_eq!(load(&vars).unwrap().database.max_connections, 3);
    }

    #[test]
    fn a_missing_or_malformed_stripe_setting_stops_start_up_with_one_line_naming_it() {
        let err = load(&[("STRIPE_SECRET_KEY", "pk_test_1"), ("STRIPE_WEBHOOK_SECRET", "whsec_abc")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("STRIPE_SECRET_KEY"), "{err}");
        assert!(!err.contains('\n') && !err.contains("pk_test_1"), "{err}");
        let err = load(&[("STRIPE_SECRET_KEY", "sk_test_1")]).unwrap_err().to_string();
        assert!(err.contains("STRIPE_WEBHOOK_SECRET"), "{err}");
    }

    #[test]
    fn a_malformed_setting_is_named_and_secrets_are_not_printed() {
        let mut vars = REQUIRED.to_vec();
        vars.push(("PORT", "eighty"));
        let err = load(&vars).unwrap_err().to_string();
        assert!(err.contains("port"), "{err}");
        let mut vars = REQUIRED.to_vec();
        vars.push(("STRIPE_SUCCESS_URL", "not a url"));
        assert!(load(&vars).unwrap_err().to_string().contains("STRIPE_SUCCESS_URL"));
        let settings = load(&REQUIRED).unwrap();
        let printed = format!("{settings:?}");
        assert!(!printed.contains("sk_test_123") && !printed.contains("whsec_abc"), "{printed}");
    }

    #[test]
    fn catalog_and_access_defaults_are_safe() {
        let settings = load(&[]).unwrap();
        assert!(!settings.checkout.allow_client_prices, "client prices must be off by default");
        assert!(settings.checkout.allow_guest_checkout);
        assert_eq!(settings.catalog.path, "config/catalog.toml");
        assert!(settings.auth.jwt_hs256_secret.expose_secret().is_empty());
        let settings = load(&[("APP__CHECKOUT__ALLOW_CLIENT_PRICES", "true")]).unwrap();
        assert!(settings.checkout.allow_client_prices);
    }

    #[test]
    fn auth_settings_are_checked_and_never_printed() {
        let secret = "s".repeat(40);
        let key = ("JWT_SECRET", secret.as_str());
        let err = load(&[key]).unwrap_err().to_string();
        assert!(err.contains("JWT_ISSUER") && !err.contains(&secret), "{err}");
        let err = load(&[("JWT_SECRET", "short"), ("JWT_ISSUER", "i"), ("JWT_AUDIENCE", "a")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("32 bytes") && !err.contains("short"), "{err}");
        let err = load(&[key, ("JWT_PUBLIC_KEY", "pem"), ("JWT_ISSUER", "i"), ("JWT_AUDIENCE", "a")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("not both"), "{err}");
        let err = load(&[("ADMIN_API_KEY", "admin")]).unwrap_err().to_string();
        assert!(err.contains("ADMIN_API_KEY") && !err.contains(": admin"), "{err}");
        let admin = "a".repeat(30);
        let settings = load(&[
            key,
            ("JWT_ISSUER", "https://id.example"),
            ("JWT_AUDIENCE", "shop"),
            ("ADMIN_API_KEY", &admin),
        ])
        .unwrap();
        let printed = format!("{settings:?}");
        assert!(!printed.contains(&secret) && !printed.contains(&admin), "{printed}");
    }
}
