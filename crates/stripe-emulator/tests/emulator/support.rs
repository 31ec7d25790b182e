//! Starting an emulator per test and talking to it as stripe-node and stripe-python do: form-encoded
//! bodies with bracketed keys, a Bearer key, JSON answers.

use payments_stripe_emulator::{Emulator, EmulatorConfig};
use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder};
use serde_json::Value;

/// The key tests authenticate with (any `sk_test_` key works by default).
pub const KEY: &str = "sk_test_emulator_tests";

/// A running emulator and a client that never follows redirects (tests assert them).
#[derive(Debug)]
pub struct Harness {
    pub emulator: Emulator,
    pub http: reqwest::Client,
}

/// An HTTP answer: status, headers, body, and the body as JSON (`Null` if it is not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
    pub json: Value,
}

impl Answer {
    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a 200 and returns the JSON.
    pub fn ok(self) -> Value {
        assert_eq!(self.status, 200, "expected 200, got {}: {}", self.status, self.body);
        self.json
    }

    /// Asserts Stripe's error shape with `status` and returns the `error` object.
    pub fn error(self, status: u16) -> Value {
        assert_eq!(self.status, status, "expected {status}, got {}: {}", self.status, self.body);
        assert!(self.header("content-type").is_some_and(|c| c.starts_with("application/json")));
        let error = self.json["error"].clone();
        assert!(
            error["type"].is_string() && error["message"].is_string(),
            "not Stripe's error shape: {}",
            self.body
        );
        error
    }
}

/// Starts an emulator on a free port with the test configuration.
pub async fn start() -> Harness {
    start_with(EmulatorConfig::for_tests()).await
}

/// Starts an emulator on a free port with `config`.
pub async fn start_with(config: EmulatorConfig) -> Harness {
    let emulator =
        Emulator::start("127.0.0.1:0".parse().unwrap(), config).await.expect("the emulator starts");
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    Harness { emulator, http }
}

/// `key=value&…` with both sides percent-encoded, brackets included (as stripe-node encodes them).
pub fn form(pairs: &[(&str, &str)]) -> String {
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        serializer.append_pair(k, v);
    }
    serializer.finish()
}

pub async fn answer(request: RequestBuilder) -> Answer {
    let response = request.send().await.expect("the emulator answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.text().await.unwrap();
    let json = serde_json::from_str(&body).unwrap_or(Value::Null);
    Answer { status, headers, body, json }
}

impl Harness {
    /// An absolute URL for `path` (with or without a leading slash).
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.emulator.base_url(), path.trim_start_matches('/'))
    }

    /// A request to `path` without credentials.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, self.url(path))
    }

    /// A request to the API with the test key.
    pub fn api(&self, method: Method, path: &str) -> RequestBuilder {
        self.request(method, path).bearer_auth(KEY)
    }

    pub async fn get(&self, path: &str) -> Answer {
        answer(self.api(Method::GET, path)).await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        answer(self.api(Method::DELETE, path)).await
    }

    pub async fn post(&self, path: &str, pairs: &[(&str, &str)]) -> Answer {
        answer(self.post_request(path, pairs)).await
    }

    pub async fn post_idempotent(&self, path: &str, pairs: &[(&str, &str)], key: &str) -> Answer {
        answer(self.post_request(path, pairs).header("Idempotency-Key", key)).await
    }

    pub fn post_request(&self, path: &str, pairs: &[(&str, &str)]) -> RequestBuilder {
        self.api(Method::POST, path)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form(pairs))
    }

    /// A control API call (`/_emulator/…`, no key).
    pub async fn control(&self, path: &str, pairs: &[(&str, &str)]) -> Answer {
        let request = self
            .request(Method::POST, &format!("_emulator/{path}"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form(pairs));
        answer(request).await
    }

    /// A session for 2 × 12.50 USD and 1 × 24.00 USD (49.00 USD), created inline with `price_data`, plus
    /// `extra` parameters.
    pub async fn create_session(&self, extra: &[(&str, &str)]) -> Value {
        let mut pairs = vec![
            ("mode", "payment"),
            ("success_url", "https://shop.test/paid?session_id={CHECKOUT_SESSION_ID}"),
            ("cancel_url", "https://shop.test/cart"),
            ("line_items[0][price_data][currency]", "usd"),
            ("line_items[0][price_data][unit_amount]", "1250"),
            ("line_items[0][price_data][product_data][name]", "Espresso cup"),
            ("line_items[0][quantity]", "2"),
            ("line_items[1][price_data][currency]", "usd"),
            ("line_items[1][price_data][unit_amount]", "2400"),
            ("line_items[1][price_data][product_data][name]", "Beans 1kg"),
            ("line_items[1][quantity]", "1"),
        ];
        pairs.extend_from_slice(extra);
        self.post("/v1/checkout/sessions", &pairs).await.ok()
    }

    /// A session paid with `card` through the control methods; returns the session as it now is.
    pub async fn paid_session(&self, card: &str, extra: &[(&str, &str)]) -> Value {
        let session = self.create_session(extra).await;
        let id = id_of(&session);
        let result = self.emulator.pay_session(&id, card).expect("the session takes the card");
        assert_eq!(result, payments_stripe_emulator::PaymentResult::Succeeded);
        self.get(&format!("/v1/checkout/sessions/{id}")).await.ok()
    }

    /// The events so far of `event_type`, oldest first.
    pub fn events_of(&self, event_type: &str) -> Vec<Value> {
        self.emulator.events().into_iter().filter(|e| e["type"] == event_type).collect()
    }

    /// Every event type so far, oldest first.
    pub fn event_types(&self) -> Vec<String> {
        self.emulator.events().iter().map(|e| e["type"].as_str().unwrap_or_default().to_owned()).collect()
    }
}

/// A day on the emulator's clock, in seconds.
pub const DAY: i64 = 86_400;

impl Harness {
    /// A recurring price (`interval`, every `count`) of `amount` USD cents for a new product `name`.
    pub async fn recurring_price(&self, name: &str, amount: i64, interval: &str, count: i64) -> Value {
        self.post(
            "/v1/prices",
            &[
                ("currency", "usd"),
                ("unit_amount", &amount.to_string()),
                ("product_data[name]", name),
                ("recurring[interval]", interval),
                ("recurring[interval_count]", &count.to_string()),
            ],
        )
        .await
        .ok()
    }

    /// A subscription-mode session for `price` (one of it), with `extra` parameters.
    pub async fn subscription_session(&self, price: &str, extra: &[(&str, &str)]) -> Value {
        let mut pairs = vec![
            ("mode", "subscription"),
            ("success_url", "https://shop.test/welcome?session_id={CHECKOUT_SESSION_ID}"),
            ("cancel_url", "https://shop.test/plans"),
            ("line_items[0][price]", price),
            ("line_items[0][quantity]", "1"),
        ];
        pairs.extend_from_slice(extra);
        self.post("/v1/checkout/sessions", &pairs).await.ok()
    }

    /// A monthly 9.00 USD "Pro plan" subscribed to through Checkout with `card` (and `extra` session
    /// parameters); returns the session and the subscription as they now are.
    pub async fn subscribe(&self, card: &str, extra: &[(&str, &str)]) -> (Value, Value) {
        let price = self.recurring_price("Pro plan", 900, "month", 1).await;
        let session = self.subscription_session(&id_of(&price), extra).await;
        let id = id_of(&session);
        let result = self.emulator.pay_session(&id, card).expect("the session takes the card");
        assert_eq!(result, payments_stripe_emulator::PaymentResult::Succeeded);
        let session = self.get(&format!("/v1/checkout/sessions/{id}")).await.ok();
        let subscription =
            self.get(&format!("/v1/subscriptions/{}", session["subscription"].as_str().unwrap())).await.ok();
        (session, subscription)
    }

    /// Moves the emulator's clock `seconds` forward through the control API (what falls due runs).
    pub async fn advance(&self, seconds: i64) {
        self.control("clock/advance", &[("seconds", &seconds.to_string())]).await.ok();
    }

    /// The subscription `id` as it now is.
    pub async fn subscription(&self, id: &str) -> Value {
        self.get(&format!("/v1/subscriptions/{id}")).await.ok()
    }
}

/// The period end of a subscription's first item (basil and later keep the period on items).
pub fn period_end(subscription: &Value) -> i64 {
    subscription["items"]["data"][0]["current_period_end"].as_i64().expect("an item with a period")
}

/// An object's `id`.
pub fn id_of(object: &Value) -> String {
    object["id"].as_str().unwrap_or_else(|| panic!("no id in {object}")).to_owned()
}
