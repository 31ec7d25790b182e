//! The Stripe gateway against a fake Stripe (wiremock): what it sends, and how it reads every kind of answer.

use chrono::Utc;
use payments_domain::{
    CheckoutRequest, CheckoutSessionId, Currency, CustomerId, Email, GatewayError, LineItem, Money, Order,
    OrderId, PaymentGateway, SessionPaymentStatus, SessionState,
};
use payments_stripe::{StripeConfig, StripeGateway};
use secrecy::SecretString;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const KEY: &str = "sk_test_51FakeKeyForGatewayTests0123456789";
const SESSION_ID: &str = "cs_test_a1YS1URlnyQCN5fUUduORoQ7Pw41PJqDWkIVQCpJPqkfIhd6tVY8XB1OLY";
const SUCCESS_URL: &str = "https://shop.example/paid?session_id={CHECKOUT_SESSION_ID}";

fn gateway(server: &MockServer, timeout: Duration) -> StripeGateway {
    StripeGateway::new(StripeConfig {
        secret_key: SecretString::from(KEY),
        api_base: url::Url::parse(&server.uri()).unwrap(),
        timeout,
        deadline: StripeConfig::DEFAULT_DEADLINE,
    })
    .unwrap()
}

fn checkout_request() -> CheckoutRequest {
    let usd = |minor| Money::new(minor, Currency::USD).unwrap();
    let items = vec![
        LineItem::new("Espresso cup", usd(1250), 2, Some("https://cdn.example.com/cup.png")).unwrap(),
        LineItem::new("Beans 1kg", usd(2400), 1, None).unwrap(),
    ];
    let order =
        Order::new(OrderId::new_v7(), Email::parse("ada@example.com").unwrap(), items, Utc::now()).unwrap();
    CheckoutRequest {
        expires_at: order.created_at() + chrono::TimeDelta::hours(1),
        order,
        success_url: SUCCESS_URL.into(),
        cancel_url: "https://shop.example/cart".into(),
        idempotency_key: "checkout-0190f5b2-attempt-1".into(),
        customer: None,
        subscription: None,
        line_prices: vec![],
    }
}

/// Stripe's example Checkout Session (from fixtures3.json), complete for async-stripe, edited by `edit`.
fn session_json(edit: impl FnOnce(&mut Value)) -> Value {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/openapi/checkout.session.json");
    let mut session: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    session["expires_at"] = json!(1_900_000_000);
    edit(&mut session);
    session
}

fn stripe_error(status: u16, error: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({ "error": error }))
}

fn form(request: &Request) -> HashMap<String, String> {
    url::form_urlencoded::parse(&request.body).into_owned().collect()
}

fn header<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request.headers.get(name).and_then(|value| value.to_str().ok())
}

async fn mount_create(server: &MockServer, response: ResponseTemplate, times: Option<u64>) {
    let mock = Mock::given(method("POST")).and(path("/v1/checkout/sessions")).respond_with(response);
    match times {
        Some(n) => mock.up_to_n_times(n).mount(server).await,
        None => mock.mount(server).await,
    }
}

#[tokio::test]
async fn a_checkout_session_is_opened_with_the_order_as_a_payment_mode_form() {
    let server = MockServer::start().await;
    mount_create(&server, ResponseTemplate::new(200).set_body_json(session_json(|_| {})), None).await;
    let request = checkout_request();

    let session = gateway(&server, Duration::from_secs(5)).create_checkout_session(&request).await.unwrap();

    assert_eq!(session.id.as_str(), SESSION_ID);
    assert_eq!(session.url.as_str(), format!("https://checkout.stripe.com/pay/c/{SESSION_ID}"));
    assert_eq!(session.expires_at.unwrap().timestamp(), 1_900_000_000);

    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 1);
    let sent = &received[0];
    assert_eq!(header(sent, "authorization"), Some(format!("Bearer {KEY}").as_str()));
    assert_eq!(header(sent, "idempotency-key"), Some(request.idempotency_key.as_str()));
    assert_eq!(header(sent, "content-type"), Some("application/x-www-form-urlencoded"));

    let form = form(sent);
    let order_id = request.order.id().to_string();
    let expect = |key: &str, value: &str| assert_eq!(form.get(key).map(String::as_str), Some(value), "{key}");
    expect("mode", "payment");
    expect("line_items[0][price_data][currency]", "usd");
    expect("line_items[0][price_data][unit_amount]", "1250");
    expect("line_items[0][price_data][product_data][name]", "Espresso cup");
    expect("line_items[0][price_data][product_data][images][0]", "https://cdn.example.com/cup.png");
    expect("line_items[0][quantity]", "2");
    expect("line_items[1][price_data][currency]", "usd");
    expect("line_items[1][price_data][unit_amount]", "2400");
    expect("line_items[1][price_data][product_data][name]", "Beans 1kg");
    expect("line_items[1][quantity]", "1");
    expect("customer_email", "ada@example.com");
    expect("success_url", SUCCESS_URL);
    expect("cancel_url", "https://shop.example/cart");
    expect("metadata[order_id]", &order_id);
    expect("payment_intent_data[metadata][order_id]", &order_id);
    expect("client_reference_id", &order_id);
    assert!(!form.contains_key("customer"), "a guest checkout names no customer");
}

#[tokio::test]
async fn a_checkout_for_a_known_customer_sends_the_customer_instead_of_the_email() {
    let server = MockServer::start().await;
    let for_customer = session_json(|s| s["customer"] = json!("cus_QXg1o8vcGmoR32"));
    mount_create(&server, ResponseTemplate::new(200).set_body_json(for_customer), None).await;
    let mut request = checkout_request();
    request.customer = Some(CustomerId::parse("cus_QXg1o8vcGmoR32").unwrap());

    let session = gateway(&server, Duration::from_secs(5)).create_checkout_session(&request).await.unwrap();

    assert_eq!(session.id.as_str(), SESSION_ID);
    let received = server.received_requests().await.unwrap();
    assert_eq!(header(&received[0], "idempotency-key"), Some(request.idempotency_key.as_str()));
    let form = form(&received[0]);
    assert_eq!(form.get("customer").map(String::as_str), Some("cus_QXg1o8vcGmoR32"));
    assert!(!form.contains_key("customer_email"), "Stripe refuses customer and customer_email together");
    assert_eq!(form.get("metadata[order_id]"), Some(&request.order.id().to_string()));
    assert_eq!(form.get("mode").map(String::as_str), Some("payment"));
}

#[tokio::test]
async fn a_server_error_is_retried_with_the_same_idempotency_key() {
    let server = MockServer::start().await;
    let boom = stripe_error(500, json!({ "type": "api_error", "message": "Something went wrong." }));
    mount_create(&server, boom, Some(1)).await;
    mount_create(&server, ResponseTemplate::new(200).set_body_json(session_json(|_| {})), None).await;
    let request = checkout_request();

    let session = gateway(&server, Duration::from_secs(5)).create_checkout_session(&request).await.unwrap();

    assert_eq!(session.id.as_str(), SESSION_ID);
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 2);
    for sent in &received {
        assert_eq!(header(sent, "idempotency-key"), Some(request.idempotency_key.as_str()));
    }
    assert_eq!(received[0].body, received[1].body, "the retry is the same request");
}

#[tokio::test]
async fn a_rate_limit_is_retried() {
    let server = MockServer::start().await;
    let limited = stripe_error(
        429,
        json!({ "type": "invalid_request_error", "code": "rate_limit", "message": "Too many requests" }),
    );
    mount_create(&server, limited, Some(2)).await;
    mount_create(&server, ResponseTemplate::new(200).set_body_json(session_json(|_| {})), None).await;

    let result = gateway(&server, Duration::from_secs(5)).create_checkout_session(&checkout_request()).await;

    assert!(result.is_ok(), "{result:?}");
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn a_persistent_503_is_unavailable_after_three_attempts() {
    let server = MockServer::start().await;
    let down = stripe_error(503, json!({ "type": "api_error", "message": "Service unavailable" }));
    Mock::given(method("POST"))
        .and(path("/v1/checkout/sessions"))
        .respond_with(down)
        .expect(3)
        .mount(&server)
        .await;

    let err = gateway(&server, Duration::from_secs(5))
        .create_checkout_session(&checkout_request())
        .await
        .unwrap_err();

    assert!(matches!(&err, GatewayError::Unavailable(reason) if reason.contains("503")), "{err:?}");
}

#[tokio::test]
async fn an_outage_page_that_is_not_a_stripe_error_is_unavailable() {
    let server = MockServer::start().await;
    let page = ResponseTemplate::new(502).set_body_string("<html>Bad gateway</html>");
    Mock::given(method("POST"))
        .and(path("/v1/checkout/sessions"))
        .respond_with(page)
        .expect(3)
        .mount(&server)
        .await;

    let err = gateway(&server, Duration::from_secs(5))
        .create_checkout_session(&checkout_request())
        .await
        .unwrap_err();

    assert!(matches!(err, GatewayError::Unavailable(_)), "{err:?}");
}

#[tokio::test]
async fn a_400_is_rejected_with_stripes_code_and_message_and_not_retried() {
    let server = MockServer::start().await;
    let refused = stripe_error(
        400,
        json!({
            "type": "invalid_request_error",
            "code": "parameter_invalid_integer",
            "param": "line_items[0][price_data][unit_amount]",
            "message": "Invalid integer: 12.5",
            "doc_url": "https://stripe.com/docs/error-codes/parameter-invalid-integer",
        }),
    );
    Mock::given(method("POST"))
        .and(path("/v1/checkout/sessions"))
        .respond_with(refused)
        .expect(1)
        .mount(&server)
        .await;

    let err = gateway(&server, Duration::from_secs(5))
        .create_checkout_session(&checkout_request())
        .await
        .unwrap_err();

    let GatewayError::Rejected { code, message } = err else { panic!("{err:?}") };
    assert_eq!(code.as_deref(), Some("parameter_invalid_integer"));
    assert_eq!(message, "Invalid integer: 12.5");
}

#[tokio::test]
async fn an_error_without_a_code_is_rejected_with_its_type() {
    let server = MockServer::start().await;
    let refused = stripe_error(400, json!({ "type": "invalid_request_error", "message": "Not a valid URL" }));
    mount_create(&server, refused, None).await;

    let err = gateway(&server, Duration::from_secs(5))
        .create_checkout_session(&checkout_request())
        .await
        .unwrap_err();

    assert!(
        matches!(&err, GatewayError::Rejected { code: Some(code), .. } if code == "invalid_request_error"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_401_is_rejected_without_echoing_the_key() {
    let server = MockServer::start().await;
    let masked = format!("Invalid API Key provided: sk_test_{}{}", "*".repeat(24), &KEY[KEY.len() - 4..]);
    let unauthorized = stripe_error(401, json!({ "type": "invalid_request_error", "message": masked }));
    Mock::given(method("POST"))
        .and(path("/v1/checkout/sessions"))
        .respond_with(unauthorized)
        .expect(1)
        .mount(&server)
        .await;

    let err = gateway(&server, Duration::from_secs(5))
        .create_checkout_session(&checkout_request())
        .await
        .unwrap_err();

    let GatewayError::Rejected { message, .. } = &err else { panic!("{err:?}") };
    assert!(message.contains("401") && message.contains("API key"), "{message}");
    for printed in [err.to_string(), format!("{err:?}")] {
        assert!(
            !printed.contains(KEY)
                && !printed.contains("sk_test_")
                && !printed.contains(&KEY[KEY.len() - 4..]),
            "{printed}"
        );
    }
}

#[tokio::test]
async fn a_hanging_stripe_is_unavailable_after_the_timeout() {
    let server = MockServer::start().await;
    let slow =
        ResponseTemplate::new(200).set_body_json(session_json(|_| {})).set_delay(Duration::from_secs(3));
    mount_create(&server, slow, None).await;
    let started = Instant::now();

    let err = gateway(&server, Duration::from_millis(200))
        .create_checkout_session(&checkout_request())
        .await
        .unwrap_err();

    assert!(matches!(err, GatewayError::Unavailable(_)), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3), "gave up after {:?}", started.elapsed());
}

#[tokio::test]
async fn an_unreachable_stripe_is_unavailable() {
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let gateway = StripeGateway::new(StripeConfig {
        secret_key: SecretString::from(KEY),
        api_base: url::Url::parse(&format!("http://127.0.0.1:{closed_port}/")).unwrap(),
        timeout: Duration::from_secs(2),
        deadline: StripeConfig::DEFAULT_DEADLINE,
    })
    .unwrap();

    let err = gateway.create_checkout_session(&checkout_request()).await.unwrap_err();

    assert!(matches!(&err, GatewayError::Unavailable(reason) if !reason.contains(KEY)), "{err:?}");
}

#[tokio::test]
async fn a_session_without_a_url_is_unknown() {
    let server = MockServer::start().await;
    let no_url = session_json(|s| s["url"] = Value::Null);
    mount_create(&server, ResponseTemplate::new(200).set_body_json(no_url), None).await;

    let err = gateway(&server, Duration::from_secs(5))
        .create_checkout_session(&checkout_request())
        .await
        .unwrap_err();

    assert!(matches!(err, GatewayError::Unknown(_)), "{err:?}");
}

#[tokio::test]
async fn an_unreadable_success_is_unknown() {
    let server = MockServer::start().await;
    let partial =
        ResponseTemplate::new(200).set_body_json(json!({ "id": SESSION_ID, "object": "checkout.session" }));
    mount_create(&server, partial, None).await;

    let err = gateway(&server, Duration::from_secs(5))
        .create_checkout_session(&checkout_request())
        .await
        .unwrap_err();

    assert!(matches!(err, GatewayError::Unknown(_)), "{err:?}");
}

#[tokio::test]
async fn a_retrieved_session_reports_state_payment_status_intent_and_total() {
    let server = MockServer::start().await;
    let paid = session_json(|s| {
        s["status"] = json!("complete");
        s["payment_status"] = json!("paid");
        s["payment_intent"] = json!("pi_3PaidIntent");
        s["amount_total"] = json!(4900);
        s["currency"] = json!("usd");
    });
    Mock::given(method("GET"))
        .and(path(format!("/v1/checkout/sessions/{SESSION_ID}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(paid))
        .expect(1)
        .mount(&server)
        .await;
    let id = CheckoutSessionId::parse(SESSION_ID).unwrap();

    let snapshot = gateway(&server, Duration::from_secs(5)).retrieve_checkout_session(&id).await.unwrap();

    assert_eq!(snapshot.id, id);
    assert_eq!(snapshot.state, SessionState::Complete);
    assert_eq!(snapshot.payment_status, SessionPaymentStatus::Paid);
    assert_eq!(snapshot.payment_intent_id.unwrap().as_str(), "pi_3PaidIntent");
    assert_eq!(snapshot.amount_total, Some(Money::new(4900, Currency::USD).unwrap()));
    let received = server.received_requests().await.unwrap();
    assert_eq!(header(&received[0], "authorization"), Some(format!("Bearer {KEY}").as_str()));
}

#[tokio::test]
async fn an_open_or_expired_session_is_reported_as_such() {
    for (status, payment_status, state, paid) in [
        ("open", "unpaid", SessionState::Open, SessionPaymentStatus::Unpaid),
        ("expired", "unpaid", SessionState::Expired, SessionPaymentStatus::Unpaid),
        ("complete", "no_payment_required", SessionState::Complete, SessionPaymentStatus::NoPaymentRequired),
        ("complete", "a_future_status", SessionState::Complete, SessionPaymentStatus::Unpaid),
    ] {
        let server = MockServer::start().await;
        let body = session_json(|s| {
            s["status"] = json!(status);
            s["payment_status"] = json!(payment_status);
            s["payment_intent"] = Value::Null;
        });
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&server)
            .await;
        let id = CheckoutSessionId::parse(SESSION_ID).unwrap();

        let snapshot = gateway(&server, Duration::from_secs(5)).retrieve_checkout_session(&id).await.unwrap();

        assert_eq!((snapshot.state, snapshot.payment_status), (state, paid), "{status}/{payment_status}");
        assert_eq!(snapshot.payment_intent_id, None);
        assert_eq!(snapshot.amount_total, None, "the example session has no total");
    }
}

#[tokio::test]
async fn an_unknown_session_id_is_rejected() {
    let server = MockServer::start().await;
    let missing = stripe_error(
        404,
        json!({ "type": "invalid_request_error", "code": "resource_missing", "message": "No such checkout.session: 'cs_test_nope'" }),
    );
    Mock::given(method("GET")).respond_with(missing).expect(1).mount(&server).await;
    let id = CheckoutSessionId::parse("cs_test_nope").unwrap();

    let err = gateway(&server, Duration::from_secs(5)).retrieve_checkout_session(&id).await.unwrap_err();

    assert!(
        matches!(&err, GatewayError::Rejected { code: Some(code), .. } if code == "resource_missing"),
        "{err:?}"
    );
}
