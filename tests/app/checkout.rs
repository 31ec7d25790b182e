use payments_tests::fake_stripe::{form, stripe_error};
use payments_tests::{spawn_app, TestApp, TestOptions};
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

#[tokio::test]
async fn a_checkout_creates_a_pending_order_and_a_stripe_session_with_the_order_id() {
    let app = spawn_app(TestOptions::default()).await;
    let response = app
        .post_checkout(&json!({
            "email": "ada@example.com",
            "cartItems": [
                {"name": "Rust course", "price": 4900, "quantity": 2, "image": "https://cdn.example.com/rust.png"},
                {"name": "Sticker", "price": 150, "quantity": 1}
            ]
        }))
        .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    let order_id = body["orderId"].as_str().unwrap();
    assert!(body["url"].as_str().unwrap().starts_with("https://checkout.stripe.test/c/pay/cs_test_"));

    let order = app.order(order_id).await;
    assert_eq!(order["status"], "pending");
    assert_eq!(order["amount"], 9950);
    assert_eq!(order["currency"], "usd");
    assert_eq!(order["email"], "ada@example.com");
    assert_eq!(order["items"].as_array().unwrap().len(), 2);
    assert_eq!(order["items"][0]["image"], "https://cdn.example.com/rust.png");
    assert_eq!(order["transactionId"], Value::Null);

    let requests = app.stripe.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    let sent = form(&requests[0]);
    assert_eq!(sent["metadata[order_id]"], order_id);
    assert_eq!(sent["payment_intent_data[metadata][order_id]"], order_id);
    assert_eq!(sent["client_reference_id"], order_id);
    assert_eq!(sent["customer_email"], "ada@example.com");
    assert_eq!(sent["line_items[0][price_data][unit_amount]"], "4900");
    assert_eq!(sent["line_items[0][quantity]"], "2");
    assert_eq!(sent["success_url"], "http://shop.test/success?session_id={CHECKOUT_SESSION_ID}");
    assert_eq!(sent["cancel_url"], "http://shop.test/cancel");
    let key = requests[0].headers.get("idempotency-key").expect("an idempotency key").to_str().unwrap();
    assert!(key.contains(order_id), "the key {key} is derived from the order id");
}

#[tokio::test]
async fn the_versioned_checkout_route_behaves_the_same() {
    let app = spawn_app(TestOptions::default()).await;
    let response = app
        .client
        .post(format!("{}/api/v1/checkout/sessions", app.address))
        .json(
            &json!({"email": "bo@example.com", "cartItems": [{"name": "Mug", "price": 1200, "quantity": 1}]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    let by_session = app
        .client
        .get(format!("{}/api/v1/checkout/sessions/{}", app.address, body["sessionId"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(by_session.status(), 200);
    let order: Value = by_session.json().await.unwrap();
    assert_eq!(order["id"], body["orderId"]);
}

#[tokio::test]
async fn invalid_checkouts_are_refused_with_a_code_and_store_nothing() {
    let app = spawn_app(TestOptions::default()).await;
    let item = |name: &str, price: Value, quantity: Value| json!({"name": name, "price": price, "quantity": quantity});
    let cases = [
        (
            json!({"email": "not-an-email", "cartItems": [item("A", json!(100), json!(1))]}),
            422,
            "invalid_email",
        ),
        (json!({"email": "a@example.com", "cartItems": []}), 422, "invalid_cart"),
        (
            json!({"email": "a@example.com", "cartItems": vec![item("A", json!(1), json!(1)); 101]}),
            422,
            "invalid_cart",
        ),
        (
            json!({"email": "a@example.com", "cartItems": [item("A", json!(100), json!(0))]}),
            422,
            "invalid_item",
        ),
        (
            json!({"email": "a@example.com", "cartItems": [item("A", json!(100), json!(1000))]}),
            422,
            "invalid_item",
        ),
        (
            json!({"email": "a@example.com", "cartItems": [item("A", json!(0), json!(1))]}),
            422,
            "invalid_item",
        ),
        (
            json!({"email": "a@example.com", "cartItems": [item("", json!(100), json!(1))]}),
            422,
            "invalid_item",
        ),
        (
            json!({"email": "a@example.com", "cartItems": [item(&"n".repeat(251), json!(100), json!(1))]}),
            422,
            "invalid_item",
        ),
        (
            json!({"email": "a@example.com", "cartItems": [{"name": "A", "price": 100, "quantity": 1, "image": "ftp://x.example/a.png"}]}),
            422,
            "invalid_item",
        ),
        (
            json!({"email": "a@example.com", "cartItems": [item("A", json!(99_999_999), json!(2))]}),
            422,
            "amount_too_large",
        ),
        (
            json!({"email": "a@example.com", "cartItems": [item("A", json!(10.5), json!(1))]}),
            422,
            "invalid_item",
        ),
        (json!({"email": "a@example.com", "cartItems": "nope"}), 400, "invalid_json"),
    ];
    for (body, status, code) in cases {
        let response = app.post_checkout(&body).await;
        assert_eq!(response.status(), status, "for {body}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["code"], code, "for {body}: {error}");
        assert!(!error["error"]["message"].as_str().unwrap().is_empty());
    }
    let malformed = app
        .client
        .post(format!("{}/create-checkout-session", app.address))
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    assert_eq!(app.order_count().await, 0, "no invalid checkout stores an order");
    assert!(app.stripe.received_requests().await.unwrap().is_empty(), "and none reaches Stripe");
}

#[tokio::test]
async fn stripe_refusing_the_session_answers_502_and_the_order_is_never_payable() {
    let app = spawn_app(TestOptions { no_default_stripe: true, ..TestOptions::default() }).await;
    Mock::given(method("POST"))
        .and(path("/v1/checkout/sessions"))
        .respond_with(ResponseTemplate::new(400).set_body_json(stripe_error(
            "invalid_request_error",
            "parameter_invalid_integer",
            "Invalid integer: abc",
        )))
        .mount(&app.stripe)
        .await;
    let response = app
        .post_checkout(
            &json!({"email": "a@example.com", "cartItems": [{"name": "A", "price": 100, "quantity": 1}]}),
        )
        .await;
    assert_eq!(response.status(), 502);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["code"], "payment_provider_rejected");
    assert!(!error.to_string().contains("sk_test_whole_app"), "the key never reaches a client");
    let status = app.db.texts("SELECT status FROM orders").await.remove(0);
    assert_eq!(status, "canceled");
}

#[tokio::test]
async fn stripe_being_down_answers_502_after_retrying_with_the_same_key() {
    let app = spawn_app(TestOptions { no_default_stripe: true, ..TestOptions::default() }).await;
    Mock::given(method("POST"))
        .and(path("/v1/checkout/sessions"))
        .respond_with(ResponseTemplate::new(503).set_body_json(stripe_error(
            "api_error",
            "",
            "Service unavailable",
        )))
        .mount(&app.stripe)
        .await;
    let response = app
        .post_checkout(
            &json!({"email": "a@example.com", "cartItems": [{"name": "A", "price": 100, "quantity": 1}]}),
        )
        .await;
    assert_eq!(response.status(), 502);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["code"], "payment_provider_unavailable");
    let order_id = error["error"]["orderId"].as_str().expect("the error names the order");
    assert_eq!(app.status(order_id).await, "canceled");
    let requests = app.stripe.received_requests().await.unwrap();
    assert!(requests.len() > 1, "the gateway retries");
    let keys: Vec<_> = requests.iter().map(|r| r.headers.get("idempotency-key").unwrap().clone()).collect();
    assert!(keys.windows(2).all(|w| w[0] == w[1]), "every retry carries the same idempotency key");
}

/// A guest checkout from `client` (as the proxy in front says, in `X-Forwarded-For`).
async fn checkout_from(app: &TestApp, client: &str) -> reqwest::Response {
    let cart = json!({"email": "a@example.com", "cartItems": [{"name": "A", "price": 100, "quantity": 1}]});
    let url = format!("{}/create-checkout-session", app.address);
    app.client.post(url).header("x-forwarded-for", client).json(&cart).send().await.unwrap()
}

#[tokio::test]
async fn guest_checkouts_over_the_limit_per_address_get_429_with_retry_after_and_store_nothing() {
    let env = &[
        ("APP__CHECKOUT__GUEST_LIMIT_PER_MINUTE", "2"),
        ("APP__CHECKOUT__GUEST_LIMIT_BURST", "3"),
        ("APP__SERVER__TRUST_FORWARDED_FOR", "true"),
    ];
    let app = spawn_app(TestOptions { env, ..TestOptions::default() }).await;
    for n in 0..3 {
        assert_eq!(checkout_from(&app, "203.0.113.7").await.status(), 201, "checkout {n} of the burst");
    }
    let refused = checkout_from(&app, "203.0.113.7").await;
    assert_eq!(refused.status(), 429);
    let wait: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=30).contains(&wait), "Retry-After {wait}");
    let error: Value = refused.json().await.unwrap();
    assert_eq!(error["error"]["code"], "rate_limited");
    assert_eq!(app.order_count().await, 3, "the refused checkout stored nothing");
    assert_eq!(checkout_from(&app, "203.0.113.8").await.status(), 201, "another client has its own limit");
    let cart = json!({"email": "a@example.com", "cartItems": [{"name": "A", "price": 100, "quantity": 1}]});
    let token = payments_tests::user_token("user-1", Some("u@example.com"));
    let signed_in = app.post_as("/create-checkout-session", &cart, Some(&token)).await;
    assert_eq!(signed_in.status(), 201, "signed-in users are not limited");
}

#[tokio::test]
async fn without_trusted_forwarding_a_loopback_peer_is_a_proxy_and_not_limited_whatever_it_claims() {
    let env = &[("APP__CHECKOUT__GUEST_LIMIT_PER_MINUTE", "1"), ("APP__CHECKOUT__GUEST_LIMIT_BURST", "1")];
    let app = spawn_app(TestOptions { env, ..TestOptions::default() }).await;
    for n in 0..3 {
        assert_eq!(checkout_from(&app, "203.0.113.7").await.status(), 201, "checkout {n}");
    }
}

#[tokio::test]
async fn a_checkout_past_its_deadline_answers_503_checkout_timed_out_in_time() {
    let env = &[("APP__CHECKOUT__DEADLINE_MS", "500")];
    let app = spawn_app(TestOptions { no_default_stripe: true, env, ..TestOptions::default() }).await;
    Mock::given(method("POST"))
        .and(path("/v1/checkout/sessions"))
        .respond_with(ResponseTemplate::new(200).set_delay(std::time::Duration::from_secs(5)))
        .mount(&app.stripe)
        .await;
    let started = std::time::Instant::now();
    let response = app
        .post_checkout(
            &json!({"email": "a@example.com", "cartItems": [{"name": "A", "price": 100, "quantity": 1}]}),
        )
        .await;
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "answered at the deadline");
    assert_eq!(response.status(), 503);
    assert!(response.headers().get("retry-after").is_some());
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["code"], "checkout_timed_out");
}
