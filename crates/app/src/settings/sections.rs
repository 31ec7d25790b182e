//! Each section of the raw settings checked into its typed values, with one line naming what is wrong.

use super::raw;
use super::*;

pub(super) fn database(raw: raw::RawDatabase) -> Result<DatabaseSettings, SettingsError> {
    let Some(backend) = Backend::of(raw.url.expose_secret()) else {
        return error("DATABASE_URL (database.url) must start with sqlite:// or postgres://");
    };
    if raw.max_connections == 0 {
        return error("database.max_connections must be at least 1");
    }
    Ok(DatabaseSettings {
        url: raw.url,
        backend,
        max_connections: raw.max_connections,
        acquire_timeout: Duration::from_millis(raw.acquire_timeout_ms),
        migrate_on_start: raw.migrate_on_start,
        statement_timeout: Duration::from_millis(raw.statement_timeout_ms),
        lock_timeout: Duration::from_millis(raw.lock_timeout_ms),
    })
}

pub(super) fn refunds(raw: raw::RawRefunds) -> Result<payments_domain::RefundSettings, SettingsError> {
    if raw.allow_users && !(1..=3650).contains(&raw.window_days) {
        return error("refunds.window_days must be 1 to 3650 when refunds.allow_users is on");
    }
    Ok(payments_domain::RefundSettings { allow_users: raw.allow_users, window_days: raw.window_days })
}

pub(super) fn webhook(raw: raw::RawWebhook) -> Result<WebhookSettings, SettingsError> {
    if raw.deadline_ms == 0 {
        return error("webhook.deadline_ms must be above 0");
    }
    let accounts: Vec<String> = raw
        .connected_accounts
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .collect();
    if let Some(bad) = accounts.iter().find(|account| !account.starts_with("acct_")) {
        return error(format!("webhook.connected_accounts: {bad:?} is not an account id (acct_...)"));
    }
    Ok(WebhookSettings {
        deadline: Duration::from_millis(raw.deadline_ms),
        connected_accounts: accounts,
        orphan_report_after: Some(Duration::from_secs(raw.orphan_report_after_secs))
            .filter(|age| !age.is_zero()),
    })
}

/// What `GET /api/v1/config` names as the publishable key while Stripe is emulated.
pub(crate) const EMULATED_PUBLISHABLE_KEY: &str = "pk_test_emulator";

pub(super) fn stripe(raw: &raw::RawStripe, production: bool) -> Result<StripeSettings, SettingsError> {
    let key = raw.secret_key.expose_secret().trim();
    let mode = if key.is_empty() {
        StripeMode::Emulated
    } else {
        let live = match key.split('_').take(2).collect::<Vec<_>>()[..] {
            ["sk" | "rk", "live"] => true,
            ["sk" | "rk", "test"] => false,
            _ => return error("STRIPE_SECRET_KEY (stripe.secret_key) must start with sk_test_ or sk_live_"),
        };
        if production && !live && !raw.allow_test_key_in_production {
            return error(
                "STRIPE_SECRET_KEY (stripe.secret_key) is a test key and APP_ENV is production: use a live key, or \
                 set stripe.allow_test_key_in_production = true",
            );
        }
        let webhook_secrets = payments_stripe::parse_secrets(raw.webhook_secret.expose_secret());
        if webhook_secrets.is_empty() {
            return error(
                "STRIPE_WEBHOOK_SECRET (stripe.webhook_secret) is not set: with STRIPE_SECRET_KEY set, use the \
                 whsec_ secret of your webhook endpoint, or the one `stripe listen` prints",
            );
        }
        if webhook_secrets.iter().any(|secret| !secret.expose_secret().starts_with("whsec_")) {
            return error(
                "STRIPE_WEBHOOK_SECRET (stripe.webhook_secret): every secret must start with whsec_",
            );
        }
        StripeMode::Real {
            key: StripeKey { secret: SecretString::from(key.to_owned()), live },
            webhook_secrets,
        }
    };
    let publishable_key = match raw.publishable_key.trim() {
        "" if matches!(mode, StripeMode::Emulated) => Some(EMULATED_PUBLISHABLE_KEY.to_owned()),
        "" => None,
        pk => {
            let live = match pk.split('_').take(2).collect::<Vec<_>>()[..] {
                ["pk", "live"] => true,
                ["pk", "test"] => false,
                _ => return error(
                    "STRIPE_PUBLISHABLE_KEY (stripe.publishable_key) must start with pk_test_ or pk_live_",
                ),
            };
            if let StripeMode::Real { key, .. } = &mode {
                if key.live != live {
                    return error(
                        "STRIPE_PUBLISHABLE_KEY (stripe.publishable_key) and STRIPE_SECRET_KEY must both be test keys \
                         or both live keys",
                    );
                }
            }
            Some(pk.to_owned())
        }
    };
    let Ok(api_base) = Url::parse(&raw.api_base) else {
        return error("STRIPE_API_BASE (stripe.api_base) is not a URL");
    };
    Ok(StripeSettings {
        mode,
        publishable_key,
        api_base,
        timeout: Duration::from_millis(raw.timeout_ms),
        deadline: Duration::from_millis(raw.deadline_ms),
        webhook_tolerance: Duration::from_secs(raw.webhook_tolerance_secs),
    })
}

pub(super) fn emulator(raw: &raw::RawEmulator) -> Result<EmulatorSettings, SettingsError> {
    let public_url = match raw.public_url.trim() {
        "" => None,
        url => Some(Url::parse(url).or_else(|_| error("emulator.public_url is not a URL"))?),
    };
    Ok(EmulatorSettings {
        enabled: raw.enabled,
        host: raw.host.clone(),
        port: raw.port,
        public_url,
        first_retry: Duration::from_millis(raw.first_retry_ms),
        retries: raw.retries,
        control_token: Some(raw.control_token.clone())
            .filter(|token| !token.expose_secret().trim().is_empty()),
    })
}

pub(super) fn checkout(raw: raw::RawCheckout) -> Result<CheckoutSettings, SettingsError> {
    let Ok(currency) = Currency::parse(&raw.currency) else {
        return error("checkout.currency must be a three-letter ISO code such as usd");
    };
    let url = |name: &str, value: String| -> Result<Option<String>, SettingsError> {
        match value.trim() {
            "" => Ok(None),
            value if Url::parse(value).is_ok() => Ok(Some(value.to_owned())),
            value => error(format!("{name} is not a URL: {value:?}")),
        }
    };
    let client_url = url("CLIENT_URL (checkout.client_url)", raw.client_url)?;
    let guest_limit = match (raw.guest_limit_per_minute, raw.guest_limit_burst) {
        (0, _) => None,
        (_, 0) => {
            return error("checkout.guest_limit_burst must be at least 1 (or guest_limit_per_minute 0)")
        }
        (per_minute, burst) => Some(payments_http::RateLimit { per_minute, burst }),
    };
    if raw.deadline_ms == 0 {
        return error("checkout.deadline_ms must be above 0");
    }
    // Stripe takes an `expires_at` 30 minutes to 24 hours after the session's creation; a minute is kept for
    // the request's way there and the difference between this clock and Stripe's.
    if !(31..=24 * 60).contains(&raw.session_ttl_minutes) {
        return error(format!(
            "checkout.session_ttl_minutes must be from 31 to 1440 (Stripe's 30 minutes to 24 hours, a minute \
             kept for clock differences), not {}",
            raw.session_ttl_minutes
        ));
    }
    Ok(CheckoutSettings {
        currency,
        client_url: client_url.and_then(|url| Url::parse(&url).ok()),
        success_url: url("STRIPE_SUCCESS_URL (checkout.success_url)", raw.success_url)?,
        cancel_url: url("STRIPE_CANCEL_URL (checkout.cancel_url)", raw.cancel_url)?,
        allow_client_prices: raw.allow_client_prices,
        allow_guest_checkout: raw.allow_guest_checkout,
        guest_limit,
        deadline: Duration::from_millis(raw.deadline_ms),
        session_ttl: chrono::Duration::minutes(raw.session_ttl_minutes),
    })
}

/// The authentication options, with the HTTP layer's own rules for keys (checked there, once).
pub(super) fn auth(raw: &raw::RawAuth) -> Result<AuthOptions, SettingsError> {
    let hs256 = raw.jwt_hs256_secret.expose_secret();
    let rs256 = raw.jwt_rs256_public_key.trim();
    let key = match (hs256.is_empty(), rs256) {
        (false, "") => Some(JwtKey::Hs256(raw.jwt_hs256_secret.clone())),
        (false, _) => {
            return error(
                "set one of JWT_SECRET (auth.jwt_hs256_secret) and JWT_PUBLIC_KEY (auth.jwt_rs256_public_key), not both",
            )
        }
        (true, "") => None,
        (true, pem) if pem.starts_with("-----BEGIN") => Some(JwtKey::Rs256PublicPem(pem.to_owned())),
        (true, path) => Some(JwtKey::Rs256PublicPem(std::fs::read_to_string(path).map_err(|e| {
            SettingsError(format!("JWT_PUBLIC_KEY (auth.jwt_rs256_public_key): cannot read {path}: {e}"))
        })?)),
    };
    let mut options = AuthOptions::new();
    if let Some(key) = key {
        let (issuer, audience) = (raw.jwt_issuer.trim(), raw.jwt_audience.trim());
        if issuer.is_empty() || audience.is_empty() {
            return error(
                "with a JWT key set, JWT_ISSUER (auth.jwt_issuer) and JWT_AUDIENCE (auth.jwt_audience) are required",
            );
        }
        options = options
            .with_jwt(JwtSettings::new(key, issuer, audience))
            .map_err(|e| SettingsError(format!("JWT_SECRET / JWT_PUBLIC_KEY (auth): {e}")))?;
    }
    if !raw.admin_api_key.expose_secret().is_empty() {
        options = options
            .with_admin_key(&raw.admin_api_key)
            .map_err(|e| SettingsError(format!("ADMIN_API_KEY (auth.admin_api_key): {e}")))?;
    }
    Ok(options)
}

/// The longest an entry may be retried.
const YEAR_SECS: u64 = 365 * 24 * 3600;

/// The shortest fulfilment signing key.
const MIN_FULFILMENT_SECRET: usize = 16;

pub(super) fn fulfilment(raw: raw::RawFulfilment) -> Result<FulfilmentSettings, SettingsError> {
    let mut endpoints = Vec::new();
    for (n, raw_url) in raw.webhook_urls.split(',').map(str::trim).filter(|url| !url.is_empty()).enumerate() {
        let url =
            Url::parse(raw_url).ok().filter(|url| matches!(url.scheme(), "http" | "https") && url.has_host());
        match url {
            Some(url) => endpoints.push(url),
            // Not the value: a URL may hold a credential.
            None => {
                return error(format!(
                "FULFILMENT_WEBHOOK_URLS (fulfilment.webhook_urls): URL {} is not an http:// or https:// URL",
                n + 1
            ))
            }
        }
    }
    let secret = Some(raw.webhook_secret).filter(|secret| !secret.expose_secret().trim().is_empty());
    match &secret {
        None if !endpoints.is_empty() => {
            return error("FULFILMENT_WEBHOOK_SECRET (fulfilment.webhook_secret) is required with webhook_urls")
        }
        Some(secret) if secret.expose_secret().trim().len() < MIN_FULFILMENT_SECRET => {
            return error(format!(
                "FULFILMENT_WEBHOOK_SECRET (fulfilment.webhook_secret) must be at least {MIN_FULFILMENT_SECRET} bytes"
            ))
        }
        _ => {}
    }
    if raw.timeout_ms == 0 || raw.first_retry_secs == 0 || raw.poll_interval_ms == 0 {
        return error("fulfilment.timeout_ms, first_retry_secs and poll_interval_ms must be above 0");
    }
    if raw.max_retry_secs < raw.first_retry_secs {
        return error("fulfilment.max_retry_secs must be at least first_retry_secs");
    }
    if !(1..=YEAR_SECS).contains(&raw.give_up_after_secs) {
        return error(format!("fulfilment.give_up_after_secs must be from 1 to {YEAR_SECS} (a year)"));
    }
    let timeout = Duration::from_millis(raw.timeout_ms);
    let seconds = |secs: u64| chrono::Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX / 1000));
    // A claimed entry is sent to every endpoint in turn: its lease outlasts them all, and one more deadline
    // for recording the answers. A process that dies mid-way leaves the entry to be sent again after it.
    let lease = chrono::Duration::milliseconds(
        i64::try_from(raw.timeout_ms.saturating_mul(endpoints.len() as u64 + 2)).unwrap_or(i64::MAX / 2),
    );
    Ok(FulfilmentSettings {
        delivery: payments_domain::DeliverySettings {
            endpoints,
            first_retry: seconds(raw.first_retry_secs),
            max_retry: seconds(raw.max_retry_secs),
            give_up_after: seconds(raw.give_up_after_secs),
            lease,
            ..payments_domain::DeliverySettings::default()
        },
        secret,
        timeout,
        poll_interval: Duration::from_millis(raw.poll_interval_ms),
    })
}

pub(super) fn reconcile(raw: raw::RawReconcile) -> Result<ReconcileSettings, SettingsError> {
    if raw.interval_secs < 10 {
        return error("reconcile.interval_secs must be at least 10");
    }
    if raw.pending_after_secs == 0 || raw.pending_after_secs > YEAR_SECS || raw.expiry_grace_secs > YEAR_SECS
    {
        return error(
            "reconcile.pending_after_secs must be from 1 to a year, expiry_grace_secs at most a year",
        );
    }
    let seconds = |secs: u64| chrono::Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX / 1000));
    Ok(ReconcileSettings {
        every: raw.enabled.then(|| Duration::from_secs(raw.interval_secs)),
        run: payments_domain::ReconcileSettings {
            pending_after: seconds(raw.pending_after_secs),
            expiry_grace: seconds(raw.expiry_grace_secs),
            ..payments_domain::ReconcileSettings::default()
        },
    })
}
