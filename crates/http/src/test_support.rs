//! Handler tests' helpers: mocked ports wired into `Payments`, and one call through the configured app.

use crate::{configure, HttpOptions};
use actix_web::http::header::HeaderMap;
use actix_web::http::StatusCode;
use actix_web::{test, App};
use chrono::{DateTime, TimeZone, Utc};
use payments_domain::ports::clock::MockClock;
use payments_domain::ports::order_store::MockOrderStore;
use payments_domain::ports::payment_gateway::MockPaymentGateway;
use payments_domain::ports::webhook_verifier::MockWebhookVerifier;
use payments_domain::{CheckoutSettings, Currency, Payments};
use serde_json::Value;
use std::sync::Arc;

/// The time every mocked clock reads.
pub(crate) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()
}

/// The ports, as mocks: set expectations, then [`Ports::payments`]. A mock without an expectation for a
/// method panics if it is called; `.never()` says so explicitly.
pub(crate) struct Ports {
    pub(crate) store: MockOrderStore,
    pub(crate) gateway: MockPaymentGateway,
    pub(crate) verifier: MockWebhookVerifier,
}

impl Ports {
    pub(crate) fn new() -> Self {
        Self {
            store: MockOrderStore::new(),
            gateway: MockPaymentGateway::new(),
            verifier: MockWebhookVerifier::new(),
        }
    }

    /// The service over these mocks and a clock stopped at [`now`], checking out in USD.
    pub(crate) fn payments(self) -> Payments {
        let mut clock = MockClock::new();
        clock.expect_now().returning(now);
        Payments::new(
            Arc::new(self.store),
            Arc::new(self.gateway),
            Arc::new(self.verifier),
            Arc::new(clock),
            CheckoutSettings {
                currency: Currency::USD,
                success_url: "http://shop.test/success?session_id={CHECKOUT_SESSION_ID}".to_owned(),
                cancel_url: "http://shop.test/cancel".to_owned(),
            },
        )
    }
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

    /// Asserts the status, the JSON content type and the error code.
    pub(crate) fn assert_error(&self, status: StatusCode, code: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.code(), code, "{}", self.body);
        assert_eq!(self.headers.get("content-type").unwrap(), "application/json");
    }
}

/// Sends `request` to an app configured with `payments`. The app, and so the mocks, are dropped before
/// this returns: a `times(n)` expectation that was not met fails the test here.
pub(crate) async fn send(payments: Payments, request: test::TestRequest) -> Reply {
    let app = test::init_service(App::new().configure(configure(payments, HttpOptions::default()))).await;
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
