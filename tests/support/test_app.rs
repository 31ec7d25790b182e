//! Starts the whole service on port 0 against a fresh database and a fake Stripe.

use crate::db_proxy::DbProxy;
use crate::fake_stripe;
use crate::test_db::{backend_from_env, TestDb};
use payments_app::settings::Settings;
use payments_app::Application;
use payments_app::Backend;
use payments_stripe_emulator::Emulator;
use serde_json::Value;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use wiremock::MockServer;

/// The webhook secret Stripe signs with.
pub const PRIMARY_SECRET: &str = "whsec_test_primary_0123456789abcdef";
/// A second secret, configured while the first is being rolled.
pub const ROTATED_SECRET: &str = "whsec_test_rotated_fedcba9876543210";
/// The operator's key (`Authorization: Bearer` on admin endpoints and to read any order).
pub const ADMIN_KEY: &str = "admin_test_key_0123456789abcdef";
/// The HS256 secret user tokens are signed with.
pub const JWT_SECRET: &str = "jwt_test_secret_0123456789abcdef0123456789";
/// The issuer and audience user tokens must name.
pub const JWT_ISSUER: &str = "https://id.shop.test";
/// See [`JWT_ISSUER`].
pub const JWT_AUDIENCE: &str = "payments-tests";

/// How to start the app.
#[derive(Debug, Default, Clone, Copy)]
pub struct TestOptions {
    /// Route the app's database connections through a [`DbProxy`] the test can cut (Postgres only: it
    /// picks Postgres whatever `PAYMENTS_TEST_BACKEND` says).
    pub through_db_proxy: bool,
    /// Do not mount the happy-path Stripe responder (the test mounts its own).
    pub no_default_stripe: bool,
    /// Set no Stripe key, so the app runs the built-in Stripe emulator (on port 0, fast webhook retries)
    /// instead of talking to the fake.
    pub emulated: bool,
    /// Keep the shipped default `checkout.allow_client_prices = false`: client prices must equal the
    /// catalog's (config/catalog.toml). Without it the app trusts client prices, as the seed did, so the
    /// foundation's tests can send any cart.
    pub strict_prices: bool,
    /// Turn guest checkout off (`checkout.allow_guest_checkout = false`).
    pub no_guest_checkout: bool,
    /// A live key (`sk_live_...`) rather than a test one: live-mode events are taken, test-mode ones refused.
    pub live_key: bool,
    /// More settings (`APP__...` variables), over the test defaults.
    pub env: &'static [(&'static str, &'static str)],
    /// Deliver the fulfilment outbox to `http://127.0.0.1:{port}/fulfilment`, signed with
    /// [`FULFILMENT_SECRET`], retrying every half second to second, checking every 50 ms.
    pub fulfilment_port: Option<u16>,
}

/// The key fulfilment deliveries are signed with, with [`TestOptions::fulfilment_port`].
pub const FULFILMENT_SECRET: &str = "fulfilment_test_secret_0123456789";

/// A running app and what a test needs to drive and inspect it.
#[derive(Debug)]
pub struct TestApp {
    /// `http://127.0.0.1:{port}`.
    pub address: String,
    /// The app's own database, for assertions.
    pub db: TestDb,
    /// Its URL (for a second process, or `payments catalog sync`, on the same database).
    pub database_url: String,
    /// The fake Stripe API.
    pub stripe: MockServer,
    /// Present with [`TestOptions::through_db_proxy`].
    pub db_proxy: Option<DbProxy>,
    /// An HTTP client.
    pub client: reqwest::Client,
    /// The app's in-process Stripe emulator, with [`TestOptions::emulated`].
    pub emulator: Option<Arc<Emulator>>,
}

/// Starts the app on port 0 with a fresh, migrated database and a fake Stripe.
pub async fn spawn_app(options: TestOptions) -> TestApp {
    let backend = if options.through_db_proxy { Backend::Postgres } else { backend_from_env() };
    let (db, database_url) = TestDb::fresh(backend).await;
    let stripe = MockServer::start().await;
    if !options.no_default_stripe {
        fake_stripe::mount_checkout(&stripe).await;
        fake_stripe::mount_customers(&stripe).await;
        fake_stripe::mount_payment_intents(&stripe).await;
    }
    let mut app_database_url = database_url.clone();
    let db_proxy = if options.through_db_proxy {
        let mut parsed = url::Url::parse(&database_url).expect("database url");
        let upstream: SocketAddr = format!(
            "{}:{}",
            parsed.host_str().unwrap_or("127.0.0.1").replace("localhost", "127.0.0.1"),
            parsed.port().unwrap_or(5432)
        )
        .parse()
        .expect("database address");
        let proxy = DbProxy::start(upstream).await;
        parsed.set_host(Some("127.0.0.1")).expect("host");
        parsed.set_port(Some(proxy.addr().port())).expect("port");
        app_database_url = parsed.to_string();
        Some(proxy)
    } else {
        None
    };

    let mut env: HashMap<&str, String> = HashMap::from([
        ("DATABASE_URL", app_database_url),
        ("PORT", "0".to_owned()),
        ("APP__DATABASE__ACQUIRE_TIMEOUT_MS", "1000".to_owned()),
        ("APP__DATABASE__MAX_CONNECTIONS", "5".to_owned()),
        ("APP__STRIPE__TIMEOUT_MS", "2000".to_owned()),
        ("APP__LOG__LEVEL", "warn".to_owned()),
        ("APP__CATALOG__PATH", "../config/catalog.toml".to_owned()),
        ("APP__CHECKOUT__ALLOW_CLIENT_PRICES", (!options.strict_prices).to_string()),
        ("APP__CHECKOUT__ALLOW_GUEST_CHECKOUT", (!options.no_guest_checkout).to_string()),
        ("ADMIN_API_KEY", ADMIN_KEY.to_owned()),
        // No periodic reconciliation reading the fake Stripe behind a test's back (a test turns it on).
        ("APP__RECONCILE__ENABLED", "false".to_owned()),
        ("JWT_SECRET", JWT_SECRET.to_owned()),
        ("JWT_ISSUER", JWT_ISSUER.to_owned()),
        ("JWT_AUDIENCE", JWT_AUDIENCE.to_owned()),
    ]);
    if options.emulated {
        env.extend([
            ("STRIPE_EMULATOR_PORT", "0".to_owned()),
            ("APP__EMULATOR__FIRST_RETRY_MS", "50".to_owned()),
            ("APP__EMULATOR__RETRIES", "6".to_owned()),
        ]);
    } else {
        env.extend([
            (
                "STRIPE_SECRET_KEY",
                if options.live_key { "sk_live_whole_app" } else { "sk_test_whole_app" }.to_owned(),
            ),
            ("STRIPE_WEBHOOK_SECRET", format!("{PRIMARY_SECRET}, {ROTATED_SECRET}")),
            ("STRIPE_API_BASE", format!("{}/", stripe.uri())),
            ("CLIENT_URL", "http://shop.test".to_owned()),
        ]);
    }
    if let Some(port) = options.fulfilment_port {
        env.extend([
            ("FULFILMENT_WEBHOOK_URLS", format!("http://127.0.0.1:{port}/fulfilment")),
            ("FULFILMENT_WEBHOOK_SECRET", FULFILMENT_SECRET.to_owned()),
            ("APP__FULFILMENT__FIRST_RETRY_SECS", "1".to_owned()),
            ("APP__FULFILMENT__MAX_RETRY_SECS", "1".to_owned()),
            ("APP__FULFILMENT__POLL_INTERVAL_MS", "50".to_owned()),
            ("APP__FULFILMENT__TIMEOUT_MS", "2000".to_owned()),
        ]);
    }
    env.extend(options.env.iter().map(|(name, value)| (*name, (*value).to_owned())));
    let env = env.into_iter().map(|(name, value)| (name.to_owned(), value)).collect();
    let settings = Settings::load_from(Path::new("../config"), &env).expect("test settings");
    let app = Application::build(&settings).await.expect("the app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let emulator = app.emulator();
    assert_eq!(emulator.is_some(), options.emulated, "the emulator runs exactly when no Stripe key is set");
    tokio::spawn(app.run_until_stopped());

    let client =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    TestApp { address, db, database_url, stripe, db_proxy, client, emulator }
}

/// The claims of a user token.
#[derive(Debug, serde::Serialize)]
struct Claims<'a> {
    sub: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    iss: &'a str,
    aud: &'a str,
    exp: i64,
    iat: i64,
}

/// A user token as the identity provider would issue it: HS256 with [`JWT_SECRET`], the right issuer and
/// audience, valid for ten minutes.
pub fn user_token(sub: &str, email: Option<&str>) -> String {
    token_with(sub, email, JWT_SECRET, JWT_ISSUER, JWT_AUDIENCE, 600)
}

/// A token with every part chosen by the test (a wrong secret, issuer or audience, or an `exp` in the past
/// with a negative `valid_for_secs`).
pub fn token_with(
    sub: &str,
    email: Option<&str>,
    secret: &str,
    iss: &str,
    aud: &str,
    valid_for_secs: i64,
) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = Claims { sub, email, iss, aud, exp: now + valid_for_secs, iat: now };
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("token")
}

impl TestApp {
    /// The value of the series `series` (its name and labels, as Prometheus writes them) in `GET /metrics`;
    /// 0 when it is not there yet. The recorder is the process's: other tests' apps count too, so compare
    /// before and after.
    pub async fn metric(&self, series: &str) -> f64 {
        let response = self.client.get(format!("{}/metrics", self.address)).send().await.expect("request");
        assert_eq!(response.status(), 200);
        let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
        let text = response.text().await.expect("text");
        text.lines()
            .find_map(|line| line.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
            .map_or(0.0, |value| value.trim().parse().expect("a number"))
    }

    /// `GET {path}` with an optional bearer token.
    pub async fn get_as(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut request = self.client.get(format!("{}{path}", self.address));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request")
    }

    /// `POST {path}` with a JSON body and an optional bearer token.
    pub async fn post_as(&self, path: &str, body: &Value, token: Option<&str>) -> reqwest::Response {
        let mut request = self.client.post(format!("{}{path}", self.address)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request")
    }

    /// `POST /create-checkout-session` with `body`.
    pub async fn post_checkout(&self, body: &Value) -> reqwest::Response {
        self.client
            .post(format!("{}/create-checkout-session", self.address))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// Starts a checkout for one item of `amount` cents and returns (order id, session id).
    pub async fn checkout(&self, amount: i64) -> (String, String) {
        let response = self
            .post_checkout(&serde_json::json!({
                "email": "ada@example.com",
                "cartItems": [{"name": "Rust course", "price": amount, "quantity": 1, "image": null}]
            }))
            .await;
        assert_eq!(response.status(), 201, "checkout should succeed");
        let body: Value = response.json().await.expect("json");
        (
            body["orderId"].as_str().expect("orderId").to_owned(),
            body["sessionId"].as_str().expect("sessionId").to_owned(),
        )
    }

    /// Sends `event` signed now with `secret`.
    pub async fn send_event_signed_with(&self, event: &Value, secret: &str) -> reqwest::Response {
        let body = serde_json::to_vec(event).expect("serialize");
        let header = payments_stripe::signature_header(secret, chrono::Utc::now().timestamp(), &body);
        self.send_raw(body, Some(header)).await
    }

    /// Sends `event` signed now with the primary secret.
    pub async fn send_event(&self, event: &Value) -> reqwest::Response {
        self.send_event_signed_with(event, PRIMARY_SECRET).await
    }

    /// Sends any body with any signature header to `POST /webhook`.
    pub async fn send_raw(&self, body: Vec<u8>, signature: Option<String>) -> reqwest::Response {
        let mut request = self
            .client
            .post(format!("{}/webhook", self.address))
            .header("content-type", "application/json")
            .body(body);
        if let Some(signature) = signature {
            request = request.header("stripe-signature", signature);
        }
        request.send().await.expect("request")
    }

    /// Sends `event` and asserts it is acknowledged with 200; returns the body.
    pub async fn deliver(&self, event: &Value) -> Value {
        let response = self.send_event(event).await;
        let status = response.status();
        let body: Value = response.json().await.expect("json");
        assert_eq!(status, 200, "event {} should be acknowledged: {body}", event["type"]);
        body
    }

    /// `GET /api/v1/orders/{id}` with the admin key, as JSON, asserting 200.
    pub async fn order(&self, id: &str) -> Value {
        let response = self
            .client
            .get(format!("{}/api/v1/orders/{id}", self.address))
            .bearer_auth(ADMIN_KEY)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200);
        response.json().await.expect("json")
    }

    /// The order's status.
    pub async fn status(&self, id: &str) -> String {
        self.order(id).await["status"].as_str().expect("status").to_owned()
    }

    /// How many stripe_events rows hold this event id.
    pub async fn stored_events(&self, event_id: &str) -> i64 {
        self.db.count("SELECT count(*) FROM stripe_events WHERE id = $1", Some(event_id)).await
    }

    /// How many stripe_events rows there are in all.
    pub async fn all_stored_events(&self) -> i64 {
        self.db.count("SELECT count(*) FROM stripe_events", None).await
    }

    /// How many orders there are.
    pub async fn order_count(&self) -> i64 {
        self.db.count("SELECT count(*) FROM orders", None).await
    }
}
