//! Settings: the layers and their order, the checks, and that secrets are never printed.

use super::*;

fn load(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
    let environment = vars.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect();
    Settings::load_from(Path::new("/nonexistent"), &environment)
}

const REQUIRED: [(&str, &str); 2] =
    [("STRIPE_SECRET_KEY", "sk_test_123"), ("STRIPE_WEBHOOK_SECRET", "whsec_abc")];

fn with_required(more: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut vars = REQUIRED.to_vec();
    vars.extend_from_slice(more);
    vars
}

#[test]
fn the_seed_names_set_their_settings() {
    let settings = load(&with_required(&[
        ("PORT", "9001"),
        ("CLIENT_URL", "https://shop.example"),
        ("LOG_FORMAT", "json"),
    ]))
    .unwrap();
    assert_eq!(settings.server.port, 9001);
    assert_eq!(settings.log.format, LogFormat::Json);
    let own = "http://127.0.0.1:9001";
    assert_eq!(settings.success_url(own), "https://shop.example/success?session_id={CHECKOUT_SESSION_ID}");
    assert_eq!(settings.cancel_url(own), "https://shop.example/cancel");
    assert!(matches!(&settings.stripe.mode, StripeMode::Real { key, .. } if !key.live));
}

#[test]
fn a_prefixed_variable_beats_the_seed_name_for_the_same_setting() {
    let settings = load(&with_required(&[("PORT", "9001"), ("APP__SERVER__PORT", "9002")])).unwrap();
    assert_eq!(settings.server.port, 9002);
    let settings = load(&with_required(&[
        ("DATABASE_URL", "sqlite://seed.db"),
        ("APP__DATABASE__URL", "postgres://postgres@127.0.0.1/prefixed"),
    ]))
    .unwrap();
    assert_eq!(settings.database.backend, Backend::Postgres);
    assert_eq!(settings.database.url.expose_secret(), "postgres://postgres@127.0.0.1/prefixed");
}

#[test]
fn prefixed_variables_override_defaults() {
    let settings = load(&with_required(&[("APP__DATABASE__MAX_CONNECTIONS", "3")])).unwrap();
    assert_eq!(settings.database.max_connections, 3);
    let settings = load(&with_required(&[("APP__CHECKOUT__CURRENCY", "EUR")])).unwrap();
    assert_eq!(settings.checkout.currency.as_str(), "eur");
}

#[test]
fn with_no_key_stripe_is_emulated_and_the_own_storefront_is_the_shop() {
    let settings = load(&[]).unwrap();
    assert!(matches!(settings.stripe.mode, StripeMode::Emulated));
    assert_eq!(settings.emulator.port, 12111);
    let own = "http://127.0.0.1:8080/";
    assert_eq!(settings.success_url(own), "http://127.0.0.1:8080/success?session_id={CHECKOUT_SESSION_ID}");
    assert_eq!(settings.cancel_url(own), "http://127.0.0.1:8080/cancel");
    assert_eq!(settings.database.url.expose_secret(), "sqlite://data/payments.db");
    let err = load(&[("DATABASE_URL", "mysql://root:hunter2@db/x")]).unwrap_err().to_string();
    assert!(err.contains("DATABASE_URL") && !err.contains("hunter2"), "{err}");
    let err = load(&[("APP__EMULATOR__ENABLED", "false")]).unwrap_err().to_string();
    assert!(err.contains("STRIPE_SECRET_KEY"), "{err}");
}

#[test]
fn production_never_falls_back_to_the_emulator_whatever_the_files_say() {
    // The config directory does not exist: no production.toml turns the emulator off, the code does.
    let err = load(&[("APP_ENV", "production")]).unwrap_err().to_string();
    assert!(err.contains("STRIPE_SECRET_KEY") && err.contains("production"), "{err}");
    let err = load(&[("APP_ENV", "production"), ("APP__EMULATOR__ENABLED", "true")]).unwrap_err().to_string();
    assert!(err.contains("STRIPE_SECRET_KEY"), "{err}");
}

#[test]
fn production_takes_a_test_key_only_when_told_to() {
    let err = load(&with_required(&[("APP_ENV", "production")])).unwrap_err().to_string();
    assert!(err.contains("allow_test_key_in_production") && !err.contains("sk_test_123"), "{err}");
    let allowed =
        with_required(&[("APP_ENV", "production"), ("APP__STRIPE__ALLOW_TEST_KEY_IN_PRODUCTION", "true")]);
    assert!(load(&allowed).is_ok());
    let live =
        [("APP_ENV", "production"), ("STRIPE_SECRET_KEY", "sk_live_9"), ("STRIPE_WEBHOOK_SECRET", "whsec_a")];
    assert!(matches!(&load(&live).unwrap().stripe.mode, StripeMode::Real { key, .. } if key.live));
}

#[test]
fn a_missing_or_malformed_stripe_setting_stops_start_up_with_one_line_naming_it() {
    let err =
        load(&[("STRIPE_SECRET_KEY", "pk_test_1"), ("STRIPE_WEBHOOK_SECRET", "whsec_abc")]).unwrap_err();
    let err = err.to_string();
    assert!(err.contains("STRIPE_SECRET_KEY"), "{err}");
    assert!(!err.contains('\n') && !err.contains("pk_test_1"), "{err}");
    let err = load(&[("STRIPE_SECRET_KEY", "sk_test_1")]).unwrap_err().to_string();
    assert!(err.contains("STRIPE_WEBHOOK_SECRET"), "{err}");
    let err = load(&[("STRIPE_SECRET_KEY", "sk_test_1"), ("STRIPE_WEBHOOK_SECRET", "whsec_a,hunter2")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("whsec_") && !err.contains("hunter2"), "{err}");
    let settings = load(&[("STRIPE_SECRET_KEY", "sk_test_1"), ("STRIPE_WEBHOOK_SECRET", "whsec_a, whsec_b")]);
    assert!(
        matches!(settings.unwrap().stripe.mode, StripeMode::Real { webhook_secrets, .. } if webhook_secrets.len() == 2)
    );
}

#[test]
fn a_malformed_setting_is_named_and_secrets_are_not_printed() {
    let err = load(&with_required(&[("PORT", "eighty")])).unwrap_err().to_string();
    assert!(err.contains("port"), "{err}");
    assert!(load(&with_required(&[("STRIPE_SUCCESS_URL", "not a url")]))
        .unwrap_err()
        .to_string()
        .contains("STRIPE_SUCCESS_URL"));
    let err = load(&with_required(&[("APP__CHECKOUT__CURRENCY", "euro")])).unwrap_err().to_string();
    assert!(err.contains("checkout.currency"), "{err}");
    let settings = load(&REQUIRED).unwrap();
    let printed = format!("{settings:?}");
    assert!(!printed.contains("sk_test_123") && !printed.contains("whsec_abc"), "{printed}");
}

#[test]
fn catalog_and_access_defaults_are_safe() {
    let settings = load(&[]).unwrap();
    assert!(!settings.checkout.allow_client_prices, "client prices must be off by default");
    assert!(settings.checkout.allow_guest_checkout);
    assert_eq!(settings.catalog_path, Some(PathBuf::from("config/catalog.toml")));
    assert!(!settings.auth.accepts_user_tokens() && !settings.auth.has_admin_key());
    let settings =
        load(&[("APP__CHECKOUT__ALLOW_CLIENT_PRICES", "true"), ("APP__CATALOG__PATH", " ")]).unwrap();
    assert!(settings.checkout.allow_client_prices);
    assert_eq!(settings.catalog_path, None);
}

#[test]
fn guest_checkouts_are_limited_per_address_by_default_and_the_limit_is_checked() {
    let settings = load(&[]).unwrap();
    assert_eq!(settings.checkout.guest_limit, Some(payments_http::RateLimit { per_minute: 20, burst: 10 }));
    assert!(!settings.server.trust_forwarded_for, "forwarded addresses are trusted only when told");
    assert_eq!(settings.checkout.deadline, std::time::Duration::from_secs(20));
    let off = load(&[("APP__CHECKOUT__GUEST_LIMIT_PER_MINUTE", "0")]).unwrap();
    assert_eq!(off.checkout.guest_limit, None);
    let err = load(&[("APP__CHECKOUT__GUEST_LIMIT_BURST", "0")]).unwrap_err().to_string();
    assert!(err.contains("checkout.guest_limit_burst"), "{err}");
    let err = load(&[("APP__CHECKOUT__DEADLINE_MS", "0")]).unwrap_err().to_string();
    assert!(err.contains("checkout.deadline_ms"), "{err}");
}

#[test]
fn a_checkout_session_stays_open_24_hours_by_default_and_its_lifetime_is_held_to_stripes_limits() {
    assert_eq!(load(&[]).unwrap().checkout.session_ttl, chrono::Duration::hours(24));
    let short = load(&[("APP__CHECKOUT__SESSION_TTL_MINUTES", "31")]).unwrap();
    assert_eq!(short.checkout.session_ttl, chrono::Duration::minutes(31));
    for refused in ["30", "1441", "-5"] {
        let err = load(&[("APP__CHECKOUT__SESSION_TTL_MINUTES", refused)]).unwrap_err().to_string();
        assert!(err.contains("checkout.session_ttl_minutes must be from 31 to 1440"), "{refused}: {err}");
    }
}

#[test]
fn auth_settings_are_checked_by_the_http_layers_rules_and_never_printed() {
    let secret = "s".repeat(40);
    let key = ("JWT_SECRET", secret.as_str());
    let err = load(&[key]).unwrap_err().to_string();
    assert!(err.contains("JWT_ISSUER") && !err.contains(&secret), "{err}");
    let err =
        load(&[("JWT_SECRET", "short"), ("JWT_ISSUER", "i"), ("JWT_AUDIENCE", "a")]).unwrap_err().to_string();
    assert!(err.contains("32 bytes") && !err.contains("short"), "{err}");
    let err =
        load(&[key, ("JWT_PUBLIC_KEY", "pem"), ("JWT_ISSUER", "i"), ("JWT_AUDIENCE", "a")]).unwrap_err();
    assert!(err.to_string().contains("not both"), "{err}");
    // One rule for the admin key, the HTTP layer's: a key one character short is refused here too.
    let short = "a".repeat(payments_http::MIN_ADMIN_KEY_CHARS - 1);
    let err = load(&[("ADMIN_API_KEY", short.as_str())]).unwrap_err().to_string();
    assert!(err.contains("ADMIN_API_KEY") && !err.contains(&short), "{err}");
    let admin = "a".repeat(payments_http::MIN_ADMIN_KEY_CHARS);
    let settings = load(&[
        key,
        ("JWT_ISSUER", "https://id.example"),
        ("JWT_AUDIENCE", "shop"),
        ("ADMIN_API_KEY", &admin),
    ])
    .unwrap();
    assert!(settings.auth.accepts_user_tokens() && settings.auth.has_admin_key());
    let printed = format!("{settings:?}");
    assert!(!printed.contains(&secret) && !printed.contains(&admin), "{printed}");
}

#[test]
fn the_emulators_control_token_is_optional_and_never_printed() {
    assert!(load(&[]).unwrap().emulator.control_token.is_none(), "none by default: loopback only");
    let settings = load(&[("APP__EMULATOR__CONTROL_TOKEN", "ctl_0123456789")]).unwrap();
    assert_eq!(
        settings.emulator.control_token.as_ref().map(|t| t.expose_secret().to_owned()).as_deref(),
        Some("ctl_0123456789")
    );
    assert!(!format!("{settings:?}").contains("ctl_0123456789"));
}

#[test]
fn fulfilment_endpoints_need_a_secret_and_are_checked_without_being_printed() {
    let settings = load(&[]).unwrap();
    assert!(settings.fulfilment.delivery.endpoints.is_empty());
    assert!(settings.fulfilment.secret.is_none());
    assert_eq!(settings.fulfilment.delivery.give_up_after, chrono::Duration::days(3));

    let two = load(&[
        ("FULFILMENT_WEBHOOK_URLS", "http://127.0.0.1:9000/hooks, https://shop.test/paid"),
        ("FULFILMENT_WEBHOOK_SECRET", "fulfil-secret-0123456789"),
    ])
    .unwrap();
    let endpoints: Vec<&str> = two.fulfilment.delivery.endpoints.iter().map(|url| url.as_str()).collect();
    assert_eq!(endpoints, ["http://127.0.0.1:9000/hooks", "https://shop.test/paid"]);
    assert_eq!(
        two.fulfilment.delivery.lease,
        chrono::Duration::seconds(40),
        "four deadlines: two endpoints and two more"
    );

    let missing = load(&[("FULFILMENT_WEBHOOK_URLS", "http://127.0.0.1:9000/hooks")]).unwrap_err();
    assert!(missing.0.contains("FULFILMENT_WEBHOOK_SECRET"), "{missing}");
    let short = load(&[
        ("FULFILMENT_WEBHOOK_URLS", "http://127.0.0.1:9000/hooks"),
        ("FULFILMENT_WEBHOOK_SECRET", "short"),
    ])
    .unwrap_err();
    assert!(short.0.contains("at least 16"), "{short}");
    let bad = load(&[
        ("FULFILMENT_WEBHOOK_URLS", "http://ok.test/, ftp://user:hunter2@shop.test/"),
        ("FULFILMENT_WEBHOOK_SECRET", "fulfil-secret-0123456789"),
    ])
    .unwrap_err();
    assert!(bad.0.contains("URL 2"), "{bad}");
    assert!(!bad.0.contains("hunter2"), "{bad}");
    let never = load(&[("APP__FULFILMENT__GIVE_UP_AFTER_SECS", "0")]).unwrap_err();
    assert!(never.0.contains("give_up_after_secs"), "{never}");
}

#[test]
fn reconciliation_runs_every_ten_minutes_by_default_and_its_settings_are_checked() {
    let settings = load(&[]).unwrap();
    assert_eq!(settings.reconcile.every, Some(Duration::from_secs(600)));
    assert_eq!(settings.reconcile.run.pending_after, chrono::Duration::hours(1));
    assert_eq!(settings.reconcile.run.expiry_grace, chrono::Duration::hours(1));
    let off = load(&[("APP__RECONCILE__ENABLED", "false")]).unwrap();
    assert_eq!(off.reconcile.every, None);
    for (name, value) in [("APP__RECONCILE__INTERVAL_SECS", "5"), ("APP__RECONCILE__PENDING_AFTER_SECS", "0")]
    {
        let err = load(&[(name, value)]).unwrap_err().to_string();
        assert!(err.contains("reconcile."), "{name}={value}: {err}");
    }
}
