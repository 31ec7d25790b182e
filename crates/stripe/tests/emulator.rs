//! The Stripe adapter against the project's Stripe emulator (a stateful Stripe on 127.0.0.1): the same
//! calls as against the fake, with state behind them, and webhooks the emulator signs and sends.

use chrono::Utc;
use payments_domain::{
    CatalogGateway, CatalogPrice, CheckoutRequest, Currency, Email, GatewayError, LineItem, Money,
    NewCustomer, Order, OrderId, PaymentEventKind, PaymentGateway, PriceKey, Product, SessionPaymentStatus,
    SessionState, Sku, UserId, WebhookError, WebhookVerifier,
};
use payments_stripe::{parse_event, StripeConfig, StripeGateway, StripeWebhookVerifier};
use payments_stripe_emulator::{Emulator, EmulatorConfig};
use secrecy::SecretString;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// A delivered body and its `Stripe-Signature` header.
type Delivery = (Vec<u8>, Option<String>);

async fn emulator() -> Emulator {
    Emulator::start("127.0.0.1:0".parse().unwrap(), EmulatorConfig::for_tests()).await.unwrap()
}

fn gateway(emulator: &Emulator, key: &str) -> StripeGateway {
    StripeGateway::new(StripeConfig {
        secret_key: SecretString::from(key),
        api_base: emulator.base_url(),
        timeout: Duration::from_secs(5),
        deadline: StripeConfig::DEFAULT_DEADLINE,
    })
    .unwrap()
}

fn checkout_request(idempotency_key: &str) -> CheckoutRequest {
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
        success_url: "https://shop.example/paid?session_id={CHECKOUT_SESSION_ID}".into(),
        cancel_url: "https://shop.example/cart".into(),
        idempotency_key: idempotency_key.into(),
        customer: None,
        subscription: None,
        line_prices: vec![],
    }
}

/// `GET {path}` on the emulator, as JSON, with the adapter's key.
async fn get_json(emulator: &Emulator, path: &str) -> serde_json::Value {
    let response = reqwest::Client::new()
        .get(format!("{}{path}", emulator.base_url()))
        .bearer_auth("sk_test_adapter")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "GET {path}: {}", response.status());
    response.json().await.unwrap()
}

fn new_customer(user: &str, email: &str) -> NewCustomer {
    NewCustomer {
        user_id: UserId::parse(user).unwrap(),
        email: Email::parse(email).unwrap(),
        idempotency_key: format!("customer-{user}"),
    }
}

#[tokio::test]
async fn a_session_opened_through_the_gateway_is_open_priced_and_tied_to_the_order() {
    let emulator = emulator().await;
    let gateway = gateway(&emulator, "sk_test_adapter");
    let request = checkout_request("checkout-session-emulated-1");
    let session = gateway.create_checkout_session(&request).await.unwrap();
    assert!(session.id.as_str().starts_with("cs_test_"));
    assert!(session.url.as_str().starts_with(emulator.base_url().as_str()));
    assert_eq!(
        session.expires_at.unwrap().timestamp(),
        request.expires_at.timestamp(),
        "expires_at as asked"
    );

    let snapshot = gateway.retrieve_checkout_session(&session.id).await.unwrap();
    assert_eq!(snapshot.state, SessionState::Open);
    assert_eq!(snapshot.payment_status, SessionPaymentStatus::Unpaid);
    assert_eq!(snapshot.amount_total, Some(Money::new(4900, Currency::USD).unwrap()));

    let client = reqwest::Client::new();
    let raw: serde_json::Value = client
        .get(format!("{}v1/checkout/sessions/{}", emulator.base_url(), session.id.as_str()))
        .bearer_auth("sk_test_adapter")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let order_id = request.order.id().to_string();
    assert_eq!(raw["client_reference_id"], order_id.as_str());
    assert_eq!(raw["metadata"]["order_id"], order_id.as_str());
    assert_eq!(raw["customer_email"], "ada@example.com");
    assert_eq!(raw["success_url"], "https://shop.example/paid?session_id={CHECKOUT_SESSION_ID}");
    assert_eq!(raw["mode"], "payment");
}

#[tokio::test]
async fn a_retried_request_with_the_same_key_never_opens_a_second_session() {
    let emulator = emulator().await;
    let gateway = gateway(&emulator, "sk_test_adapter");
    let request = checkout_request("checkout-session-emulated-2");
    let first = gateway.create_checkout_session(&request).await.unwrap();
    let again = gateway.create_checkout_session(&request).await.unwrap();
    assert_eq!(first.id, again.id);
    let other =
        gateway.create_checkout_session(&checkout_request("checkout-session-emulated-3")).await.unwrap();
    assert_ne!(first.id, other.id);
}

#[tokio::test]
async fn the_emulators_refusals_become_gateway_errors() {
    let emulator = emulator().await;
    let refused = gateway(&emulator, "sk_live_not_a_test_key")
        .create_checkout_session(&checkout_request("checkout-session-emulated-4"))
        .await
        .unwrap_err();
    assert!(matches!(refused, GatewayError::Rejected { .. }), "{refused:?}");

    let gateway = gateway(&emulator, "sk_test_adapter");
    let missing = gateway
        .retrieve_checkout_session(&payments_domain::CheckoutSessionId::parse("cs_test_nope").unwrap())
        .await
        .unwrap_err();
    assert!(matches!(missing, GatewayError::Rejected { .. }), "{missing:?}");
}

#[tokio::test]
async fn events_the_emulator_signs_and_delivers_verify_and_parse() {
    let emulator = emulator().await;
    let receiver = MockServer::start().await;
    let received: Arc<Mutex<Vec<Delivery>>> = Arc::default();
    let sink = Arc::clone(&received);
    Mock::given(wiremock::matchers::method("POST"))
        .respond_with(move |request: &Request| {
            let signature =
                request.headers.get("stripe-signature").and_then(|v| v.to_str().ok()).map(str::to_owned);
            sink.lock().unwrap().push((request.body.clone(), signature));
            ResponseTemplate::new(200)
        })
        .mount(&receiver)
        .await;
    let secret = emulator.register_webhook_endpoint(&format!("{}/webhook", receiver.uri()), &["*"]);
    let gateway = gateway(&emulator, "sk_test_adapter");
    let request = checkout_request("checkout-session-emulated-5");
    let session = gateway.create_checkout_session(&request).await.unwrap();
    emulator.pay_session(session.id.as_str(), "4242424242424242").unwrap();
    assert!(emulator.wait_for_deliveries(Duration::from_secs(10)).await, "deliveries finish");

    let verifier =
        StripeWebhookVerifier::new(vec![SecretString::from(secret)], Duration::from_secs(300)).unwrap();
    let wrong = StripeWebhookVerifier::new(vec![SecretString::from("whsec_other")], Duration::from_secs(300))
        .unwrap();
    let deliveries = received.lock().unwrap().clone();
    assert!(deliveries.len() >= 3, "payment intent, charge and session events arrive: {}", deliveries.len());
    let mut completed = false;
    for (body, signature) in &deliveries {
        let event =
            verifier.verify(body, signature.as_deref(), Utc::now()).expect("a delivered event verifies");
        assert!(matches!(
            wrong.verify(body, signature.as_deref(), Utc::now()),
            Err(WebhookError::NoMatchingSignature)
        ));
        if let PaymentEventKind::CheckoutCompleted { amount, .. } = &event.event.kind {
            completed = true;
            assert_eq!(event.event.refs.order_id, Some(request.order.id()));
            assert_eq!(event.event.refs.session_id.as_ref(), Some(&session.id));
            assert_eq!(*amount, Some(Money::new(4900, Currency::USD).unwrap()));
        }
    }
    assert!(completed, "checkout.session.completed arrived");

    let snapshot = gateway.retrieve_checkout_session(&session.id).await.unwrap();
    assert_eq!(snapshot.state, SessionState::Complete);
    assert_eq!(snapshot.payment_status, SessionPaymentStatus::Paid);
    assert!(snapshot.payment_intent_id.is_some());
}

#[tokio::test]
async fn a_checkout_for_a_customer_created_through_the_gateway_is_linked_to_it() {
    let emulator = emulator().await;
    let gateway = gateway(&emulator, "sk_test_adapter");
    let customer = gateway.create_customer(&new_customer("auth0|ada", "ada@example.com")).await.unwrap();
    assert!(customer.as_str().starts_with("cus_"), "{customer}");

    let stored = get_json(&emulator, &format!("v1/customers/{customer}")).await;
    assert_eq!(stored["email"], "ada@example.com");
    assert_eq!(stored["metadata"]["user_id"], "auth0|ada");

    let mut request = checkout_request("checkout-for-customer-1");
    request.customer = Some(customer.clone());
    let session = gateway.create_checkout_session(&request).await.unwrap();

    let raw = get_json(&emulator, &format!("v1/checkout/sessions/{}", session.id)).await;
    assert_eq!(raw["customer"], customer.as_str());
    assert_eq!(raw["customer_email"], serde_json::Value::Null, "the customer stands in for the email");
    assert_eq!(raw["metadata"]["order_id"], request.order.id().to_string().as_str());
    let listed = get_json(&emulator, &format!("v1/checkout/sessions?customer={customer}")).await;
    let ids: Vec<_> = listed["data"].as_array().unwrap().iter().map(|s| s["id"].clone()).collect();
    assert_eq!(ids, vec![serde_json::Value::from(session.id.as_str())]);

    // Paid, the session still belongs to the same customer.
    emulator.pay_session(session.id.as_str(), "4242424242424242").unwrap();
    let paid = get_json(&emulator, &format!("v1/checkout/sessions/{}", session.id)).await;
    assert_eq!(paid["customer"], customer.as_str());
    assert_eq!(paid["payment_status"], "paid");
}

#[tokio::test]
async fn a_checkout_for_an_unknown_customer_is_rejected() {
    let emulator = emulator().await;
    let mut request = checkout_request("checkout-for-customer-2");
    request.customer = Some(payments_domain::CustomerId::parse("cus_nobody").unwrap());
    let err = gateway(&emulator, "sk_test_adapter").create_checkout_session(&request).await.unwrap_err();
    assert!(
        matches!(&err, GatewayError::Rejected { code: Some(code), .. } if code == "resource_missing"),
        "{err:?}"
    );
}

#[tokio::test]
async fn the_same_idempotency_key_twice_gives_the_same_customer() {
    let emulator = emulator().await;
    let gateway = gateway(&emulator, "sk_test_adapter");
    let request = new_customer("auth0|bob", "bob@example.com");
    let first = gateway.create_customer(&request).await.unwrap();
    let again = gateway.create_customer(&request).await.unwrap();
    assert_eq!(first, again);

    let other = gateway.create_customer(&new_customer("auth0|bob2", "bob@example.com")).await.unwrap();
    assert_ne!(first, other, "another key is another customer");
    let listed = get_json(&emulator, "v1/customers?email=bob@example.com").await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 2);

    // The same key with other parameters is Stripe's idempotency_error, not a second customer.
    let mut changed = request.clone();
    changed.email = Email::parse("robert@example.com").unwrap();
    let err = gateway.create_customer(&changed).await.unwrap_err();
    assert!(matches!(err, GatewayError::Rejected { .. }), "{err:?}");
}

#[tokio::test]
async fn a_product_and_its_price_created_through_the_gateway_read_back_from_the_emulator() {
    let emulator = emulator().await;
    let gateway = gateway(&emulator, "sk_test_adapter");
    let price = CatalogPrice::new(
        PriceKey::parse("cup-usd").unwrap(),
        Money::new(1250, Currency::USD).unwrap(),
        None,
    )
    .unwrap();
    let product = Product::new(
        Sku::parse("espresso-cup").unwrap(),
        "Espresso cup",
        Some("Porcelain, 90 ml"),
        Some("https://cdn.example.com/cup.png"),
        vec![price.clone()],
    )
    .unwrap();

    let product_id = gateway.create_product(&product, "catalog-product-espresso-cup").await.unwrap();
    assert!(product_id.as_str().starts_with("prod_"), "{product_id}");
    let again = gateway.create_product(&product, "catalog-product-espresso-cup").await.unwrap();
    assert_eq!(again, product_id, "a rerun with the same key creates no second product");

    let stored = get_json(&emulator, &format!("v1/products/{product_id}")).await;
    assert_eq!(stored["name"], "Espresso cup");
    assert_eq!(stored["description"], "Porcelain, 90 ml");
    assert_eq!(stored["images"], serde_json::json!(["https://cdn.example.com/cup.png"]));
    assert_eq!(stored["metadata"]["sku"], "espresso-cup");
    assert_eq!(stored["active"], true);

    let price_id = gateway.create_price(&product_id, &price, "catalog-price-cup-usd-1250-usd").await.unwrap();
    assert!(price_id.as_str().starts_with("price_"), "{price_id}");
    let again = gateway.create_price(&product_id, &price, "catalog-price-cup-usd-1250-usd").await.unwrap();
    assert_eq!(again, price_id);

    let stored = get_json(&emulator, &format!("v1/prices/{price_id}")).await;
    assert_eq!(stored["product"], product_id.as_str());
    assert_eq!(stored["unit_amount"], 1250);
    assert_eq!(stored["currency"], "usd");
    assert_eq!(stored["type"], "one_time");
    assert_eq!(stored["recurring"], serde_json::Value::Null);
    assert_eq!(stored["metadata"]["price_id"], "cup-usd");
    assert_eq!(stored["active"], true);
}

#[tokio::test]
async fn charges_the_emulator_reports_become_payment_successes_and_declines() {
    let emulator = emulator().await;
    let gateway = gateway(&emulator, "sk_test_adapter");
    let request = checkout_request("checkout-session-emulated-charges");
    let session = gateway.create_checkout_session(&request).await.unwrap();
    emulator.pay_session(session.id.as_str(), "4000000000000002").unwrap();
    emulator.pay_session(session.id.as_str(), "4242424242424242").unwrap();

    let mut kinds = Vec::new();
    for event in emulator.events() {
        let event_type = event["type"].as_str().unwrap().to_owned();
        if !event_type.starts_with("charge.") {
            continue;
        }
        let parsed = parse_event(event.to_string().as_bytes(), Utc::now()).unwrap().event;
        assert_eq!(parsed.refs.order_id, Some(request.order.id()), "{event_type}");
        assert!(parsed.refs.payment_intent_id.is_some(), "{event_type}");
        kinds.push((event_type, parsed.kind));
    }
    assert_eq!(
        kinds,
        vec![
            (
                "charge.failed".to_owned(),
                PaymentEventKind::PaymentFailed {
                    reason: Some("card_declined: Your card was declined.".into())
                }
            ),
            (
                "charge.succeeded".to_owned(),
                PaymentEventKind::PaymentSucceeded { amount: Some(Money::new(4900, Currency::USD).unwrap()) }
            ),
        ]
    );
}

#[tokio::test]
async fn an_open_session_expired_through_the_gateway_is_expired_once_and_told_as_an_event() {
    let emulator = emulator().await;
    let gateway = gateway(&emulator, "sk_test_adapter");
    let session = gateway.create_checkout_session(&checkout_request("checkout-expire-1")).await.unwrap();
    let expired = gateway.expire_checkout_session(&session.id).await.unwrap();
    assert_eq!(expired.state, SessionState::Expired);
    assert_eq!(gateway.retrieve_checkout_session(&session.id).await.unwrap().state, SessionState::Expired);
    // The same request again is answered from Stripe's idempotency record, not refused.
    assert_eq!(gateway.expire_checkout_session(&session.id).await.unwrap().state, SessionState::Expired);
    let types: Vec<String> =
        emulator.events().iter().map(|event| event["type"].as_str().unwrap().to_owned()).collect();
    assert_eq!(types.iter().filter(|kind| *kind == "checkout.session.expired").count(), 1, "{types:?}");
}

#[tokio::test]
async fn the_events_list_pages_newest_first_from_a_time_and_each_event_reads_as_a_webhook_would() {
    use payments_domain::EventSource;
    let emulator = emulator().await;
    let gateway = gateway(&emulator, "sk_test_adapter");
    let before = Utc::now() - chrono::TimeDelta::seconds(5);
    for n in 0..3 {
        let session = gateway.create_checkout_session(&checkout_request(&format!("list-{n}"))).await.unwrap();
        gateway.expire_checkout_session(&session.id).await.unwrap();
    }
    let first = gateway.list_events(before, None, 2).await.unwrap();
    assert!(first.has_more);
    let last = first.events.last().map(|(id, _)| id.clone());
    let rest = gateway.list_events(before, last, 100).await.unwrap();
    assert!(!rest.has_more);
    let all: Vec<(String, String)> = first.events.into_iter().chain(rest.events).collect();
    assert_eq!(all.len(), emulator.events().len());
    let events = emulator.events();
    let newest_first: Vec<&str> = events.iter().rev().map(|e| e["id"].as_str().unwrap()).collect();
    let listed: Vec<&str> = all.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(listed, newest_first, "newest first, each once");
    let verifier =
        StripeWebhookVerifier::new(vec![SecretString::from("whsec_unused")], Duration::from_secs(300))
            .unwrap();
    for (id, body) in &all {
        let read = verifier.read(body.as_bytes(), Utc::now()).unwrap();
        assert_eq!(read.event.id.as_str(), id);
        assert!(matches!(read.event.kind, PaymentEventKind::CheckoutExpired), "{:?}", read.event.kind);
    }
    let later = gateway.list_events(Utc::now() + chrono::TimeDelta::hours(1), None, 10).await.unwrap();
    assert!(later.events.is_empty() && !later.has_more);
}

#[tokio::test]
async fn a_payment_intent_reads_back_waiting_then_succeeded_with_what_it_received() {
    use payments_domain::{IntentState, PaymentIntentRequest};
    let emulator = emulator().await;
    let gateway = gateway(&emulator, "sk_test_adapter");
    let order = checkout_request("unused").order;
    let request = PaymentIntentRequest { order, idempotency_key: "intent-read-1".into(), customer: None };
    let opened = gateway.create_payment_intent(&request).await.unwrap();
    let waiting = gateway.retrieve_payment_intent(&opened.id).await.unwrap();
    assert_eq!(
        (waiting.state, waiting.amount),
        (IntentState::Waiting, Some(Money::new(4900, Currency::USD).unwrap()))
    );
    let confirmed = reqwest::Client::new()
        .post(format!("{}v1/payment_intents/{}/confirm", emulator.base_url(), opened.id.as_str()))
        .bearer_auth("sk_test_adapter")
        .form(&[("payment_method", "pm_card_visa")])
        .send()
        .await
        .unwrap();
    assert!(confirmed.status().is_success(), "{}", confirmed.status());
    let paid = gateway.retrieve_payment_intent(&opened.id).await.unwrap();
    assert_eq!(
        (paid.state, paid.amount),
        (IntentState::Succeeded, Some(Money::new(4900, Currency::USD).unwrap()))
    );
    let unknown = payments_domain::PaymentIntentId::parse("pi_nope").unwrap();
    assert!(matches!(gateway.retrieve_payment_intent(&unknown).await, Err(GatewayError::Rejected { .. })));
}
