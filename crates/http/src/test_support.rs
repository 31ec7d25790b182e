//! Handler tests' helpers: mocked ports wired into the services, a test catalog, tokens, and one call through
//! the configured app.

use crate::{configure, AuthOptions, HttpOptions, JwtKey, JwtSettings};
use actix_web::http::header::{self, HeaderMap};
use actix_web::http::StatusCode;
use actix_web::{test, App};
use chrono::{DateTime, TimeZone, Utc};
use payments_domain::ports::billing_gateway::MockBillingGateway;
use payments_domain::ports::catalog_store::MockCatalogStore;
use payments_domain::ports::clock::MockClock;
use payments_domain::ports::customer_store::MockCustomerStore;
use payments_domain::ports::event_source::MockEventSource;
use payments_domain::ports::order_store::MockOrderStore;
use payments_domain::ports::outbox_store::MockOutboxStore;
use payments_domain::ports::payment_gateway::MockPaymentGateway;
use payments_domain::ports::reconcile_store::MockReconcileStore;
use payments_domain::ports::refund_gateway::MockRefundGateway;
use payments_domain::ports::subscription_store::MockSubscriptionStore;
use payments_domain::ports::webhook_verifier::MockWebhookVerifier;
use payments_domain::{
    CatalogPrice, CheckoutSettings, Committed, Currency, Email, Interval, LineItem, LoadedOrder, Money,
    Order, OrderId, PriceKey, Product, Recurring, RowVersion, Services, Sku, Snapshot, StripePriceId, Write,
};
use secrecy::SecretString;
use serde_json::{json, Value};
use std::sync::Arc;

/// The time every mocked clock reads.
pub(crate) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()
}

/// The ports, as mocks: set expectations, then [`Ports::services`]. A mock without an expectation for a
/// method panics if it is called; `.never()` says so explicitly. The catalog answers [`products`] any number
/// of times; replace `catalog` with a fresh mock to answer otherwise.
pub(crate) struct Ports {
    pub(crate) store: MockOrderStore,
    pub(crate) outbox: MockOutboxStore,
    pub(crate) reconcile: MockReconcileStore,
    pub(crate) events: MockEventSource,
    pub(crate) subscriptions: MockSubscriptionStore,
    pub(crate) catalog: MockCatalogStore,
    pub(crate) customers: MockCustomerStore,
    pub(crate) gateway: MockPaymentGateway,
    pub(crate) billing: MockBillingGateway,
    pub(crate) refunds: MockRefundGateway,
    pub(crate) verifier: MockWebhookVerifier,
    /// USD, catalog prices only, guest checkout allowed.
    pub(crate) settings: CheckoutSettings,
    /// Admin refunds only.
    pub(crate) refund_settings: payments_domain::RefundSettings,
}

impl Ports {
    pub(crate) fn new() -> Self {
        let mut catalog = MockCatalogStore::new();
        catalog.expect_list_products().returning(|| Ok(products()));
        Self {
            store: MockOrderStore::new(),
            outbox: MockOutboxStore::new(),
            reconcile: MockReconcileStore::new(),
            events: MockEventSource::new(),
            subscriptions: MockSubscriptionStore::new(),
            catalog,
            customers: MockCustomerStore::new(),
            gateway: MockPaymentGateway::new(),
            billing: MockBillingGateway::new(),
            refunds: MockRefundGateway::new(),
            verifier: MockWebhookVerifier::new(),
            settings: CheckoutSettings {
                currency: Currency::USD,
                success_url: "http://shop.test/success?session_id={CHECKOUT_SESSION_ID}".to_owned(),
                cancel_url: "http://shop.test/cancel".to_owned(),
                portal_return_url: "http://shop.test/".to_owned(),
                allow_client_prices: false,
                allow_guest_checkout: true,
                session_ttl: chrono::Duration::hours(24),
            },
            refund_settings: payments_domain::RefundSettings::default(),
        }
    }

    /// Expects `times` order changes (a session attached, or a checkout refused) and accepts each: the order
    /// is loaded as a fresh one with the id asked for, and each commit is done if `check` passes the order as
    /// it is to be written.
    pub(crate) fn accept_order_changes(&mut self, times: usize, check: fn(&Order) -> bool) {
        self.store.expect_load().times(times).returning(|loads| {
            Ok(loads.iter().map(|load| fresh_snapshot(load.find.order_id.expect("found by id"))).collect())
        });
        self.store
            .expect_commit()
            .withf(move |writes, _| {
                writes.iter().all(|write| matches!(write, Write::Order { write, .. } if check(&write.order)))
            })
            .times(times)
            .returning(|writes, _| Ok(vec![Committed::Done; writes.len()]));
    }

    /// The services over these mocks and a clock stopped at [`now`].
    pub(crate) fn services(self) -> Services {
        self.services_over(None)
    }

    /// [`Ports::services`], with `orders` in place of the order store mock when given.
    pub(crate) fn services_over(self, orders: Option<Arc<dyn payments_domain::OrderStore>>) -> Services {
        let mut clock = MockClock::new();
        clock.expect_now().returning(now);
        let orders = orders.unwrap_or_else(|| Arc::new(self.store));
        Services::new(
            payments_domain::Ports {
                orders,
                outbox: Arc::new(self.outbox),
                reconcile: Arc::new(self.reconcile),
                events: Arc::new(self.events),
                subscriptions: Arc::new(self.subscriptions),
                catalog: Arc::new(self.catalog),
                customers: Arc::new(self.customers),
                gateway: Arc::new(self.gateway),
                billing: Arc::new(self.billing),
                refunds: Arc::new(self.refunds),
                verifier: Arc::new(self.verifier),
                clock: Arc::new(clock),
            },
            self.settings,
            payments_domain::EventScope::default(),
            self.refund_settings,
            payments_domain::ReconcileSettings::default(),
        )
    }
}

/// What a load finds for a fresh order `id` (one pen, no session), at version 1, with nothing kept.
fn fresh_snapshot(id: OrderId) -> Snapshot {
    let item = LineItem::new("Pen", usd(100), 1, None).unwrap();
    let order = Order::new(id, Email::parse("ada@example.com").unwrap(), vec![item], now()).unwrap();
    Snapshot { known: false, order: Some(LoadedOrder { order, version: RowVersion(1) }), kept: vec![] }
}

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::USD).unwrap()
}

fn one_time(id: &str, amount: Money) -> CatalogPrice {
    CatalogPrice::new(PriceKey::parse(id).unwrap(), amount, None).unwrap()
}

fn product(sku: &str, name: &str, image: Option<&str>, prices: Vec<CatalogPrice>) -> Product {
    Product::new(Sku::parse(sku).unwrap(), name, None, image, prices).unwrap()
}

/// The test catalog, as the store holds it (inactive entries included):
/// - `course` "Course": `course-usd` 19.99 USD (Stripe `price_course`), and `course-monthly` 9.00 USD a month;
/// - `book` "Book" 5.00, `pen` "Pen" 1.00, `car` "Car" 1000.00 (all USD, one-time);
/// - `euro-mug` "Euro mug": 7.00 EUR only (nothing to sell in a USD checkout);
/// - `poster` "Poster": 3.00 USD, but the product is retired (inactive).
pub(crate) fn products() -> Vec<Product> {
    let mut course_usd = one_time("course-usd", usd(1999));
    course_usd.stripe_price_id = Some(StripePriceId::parse("price_course").unwrap());
    let monthly = CatalogPrice::new(
        PriceKey::parse("course-monthly").unwrap(),
        usd(900),
        Some(Recurring { interval: Interval::Month, interval_count: 1 }),
    )
    .unwrap();
    let mut course =
        product("course", "Course", Some("https://cdn.example.com/c.png"), vec![course_usd, monthly]);
    course.description = Some("Everything about payments.".to_owned());
    let eur = Money::new(700, Currency::parse("eur").unwrap()).unwrap();
    let mut poster = product("poster", "Poster", None, vec![one_time("poster-usd", usd(300))]);
    poster.active = false;
    vec![
        course,
        product("book", "Book", None, vec![one_time("book-usd", usd(500))]),
        product("pen", "Pen", None, vec![one_time("pen-usd", usd(100))]),
        product("car", "Car", None, vec![one_time("car-usd", usd(100_000))]),
        product("euro-mug", "Euro mug", None, vec![one_time("euro-mug-eur", eur)]),
        poster,
    ]
}

/// The issuer test tokens carry and the test app trusts.
pub(crate) const ISSUER: &str = "https://id.shop.test/";
/// The audience test tokens carry and the test app expects.
pub(crate) const AUDIENCE: &str = "payments-api";
/// The HS256 secret of the test app.
pub(crate) const HS256_SECRET: &str = "test-only-hs256-secret-of-at-least-32-bytes";
/// The admin API key of the test app.
pub(crate) const ADMIN_KEY: &str = "test-admin-key-0123456789abcdef";

/// What [`send`] configures: HS256 user tokens from [`ISSUER`] for [`AUDIENCE`], and [`ADMIN_KEY`].
pub(crate) fn auth_options() -> AuthOptions {
    AuthOptions::new()
        .with_jwt(JwtSettings::new(JwtKey::Hs256(SecretString::from(HS256_SECRET)), ISSUER, AUDIENCE))
        .unwrap()
        .with_admin_key(&SecretString::from(ADMIN_KEY))
        .unwrap()
}

/// Seconds since the epoch, now (tokens are checked against the real clock, not the mocked one).
pub(crate) fn unix_now() -> i64 {
    Utc::now().timestamp()
}

/// An HS256 token over `claims`, signed with `secret`.
pub(crate) fn hs256_token(claims: &Value, secret: &str) -> String {
    let key = jsonwebtoken::EncodingKey::from_secret(secret.as_bytes());
    jsonwebtoken::encode(&jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256), claims, &key).unwrap()
}

/// The claims of a valid user token for `sub`, valid for an hour.
pub(crate) fn user_claims(sub: &str, email: Option<&str>) -> Value {
    let mut claims =
        json!({"sub": sub, "iss": ISSUER, "aud": AUDIENCE, "iat": unix_now(), "exp": unix_now() + 3600});
    if let Some(email) = email {
        claims["email"] = json!(email);
    }
    claims
}

/// A valid token of the test app for user `sub`, with an `email` claim if given.
pub(crate) fn user_token(sub: &str, email: Option<&str>) -> String {
    hs256_token(&user_claims(sub, email), HS256_SECRET)
}

/// `Authorization: Bearer <token>`.
pub(crate) fn bearer(token: &str) -> (header::HeaderName, String) {
    (header::AUTHORIZATION, format!("Bearer {token}"))
}

/// What came back.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Value,
}

impl Reply {
    /// `error.code` of an error body.
    pub(crate) fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_else(|| panic!("not an error body: {}", self.body))
    }

    /// `error.message` of an error body.
    pub(crate) fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or_else(|| panic!("not an error body: {}", self.body))
    }

    /// Asserts the status, the JSON content type and the error code; a 401 must carry a Bearer challenge.
    pub(crate) fn assert_error(&self, status: StatusCode, code: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.code(), code, "{}", self.body);
        assert_eq!(self.headers.get("content-type").unwrap(), "application/json");
        if status == StatusCode::UNAUTHORIZED {
            let challenge = self.headers.get("www-authenticate").expect("a 401 carries WWW-Authenticate");
            assert!(challenge.to_str().unwrap().starts_with("Bearer"), "{challenge:?}");
        }
    }
}

/// Sends `request` to an app configured with `services` and [`auth_options`]. The app, and so the mocks, are
/// dropped before this returns: a `times(n)` expectation that was not met fails the test here.
pub(crate) async fn send(services: Services, request: test::TestRequest) -> Reply {
    let options = HttpOptions { auth: auth_options(), ..HttpOptions::default() };
    send_with(services, options, request).await
}

/// [`send`] with other options.
pub(crate) async fn send_with(services: Services, options: HttpOptions, request: test::TestRequest) -> Reply {
    let app = test::init_service(App::new().configure(configure(services, options))).await;
    let response = test::call_service(&app, request.to_request()).await;
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = test::read_body(response).await;
    drop(app);
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)))
    };
    Reply { status, headers, body }
}

/// An order store that never answers: a database that stopped answering without closing its sockets.
#[derive(Debug)]
pub(crate) struct SilentStore;

#[async_trait::async_trait]
impl payments_domain::OrderStore for SilentStore {
    async fn insert_order(&self, _: &Order) -> Result<(), payments_domain::InsertOrderError> {
        std::future::pending().await
    }
    async fn find_order(&self, _: OrderId) -> Result<Option<Order>, payments_domain::StoreError> {
        std::future::pending().await
    }
    async fn find_order_by_session(
        &self,
        _: &payments_domain::CheckoutSessionId,
    ) -> Result<Option<Order>, payments_domain::StoreError> {
        std::future::pending().await
    }
    async fn list_orders(&self, _: u32) -> Result<Vec<Order>, payments_domain::StoreError> {
        std::future::pending().await
    }
    async fn list_orders_of_user(
        &self,
        _: &payments_domain::UserId,
        _: u32,
    ) -> Result<Vec<Order>, payments_domain::StoreError> {
        std::future::pending().await
    }
    async fn load(
        &self,
        _: Vec<payments_domain::Load>,
    ) -> Result<Vec<Snapshot>, payments_domain::StoreError> {
        std::future::pending().await
    }
    async fn commit(
        &self,
        _: Vec<Write>,
        _: DateTime<Utc>,
    ) -> Result<Vec<Committed>, payments_domain::StoreError> {
        std::future::pending().await
    }
    async fn orphans_received_before(
        &self,
        _: DateTime<Utc>,
    ) -> Result<payments_domain::Orphans, payments_domain::StoreError> {
        std::future::pending().await
    }
    async fn ping(&self) -> Result<(), payments_domain::StoreError> {
        std::future::pending().await
    }
}
