//! The Stripe adapter against the project's Stripe emulator (a stateful Stripe on 127.0.0.1): the same
//! calls as against the fake, with state behind them, and webhooks the emulator signs and sends.

use chrono::Utc;
use payments_domain::{
    CheckoutRequest, Currency, Email, GatewayError, LineItem, Money, Order, OrderId, PaymentEventKind,
    PaymentGateway, SessionPaymentStatus, SessionState, WebhookError, WebhookVerifier,
};
use payments_stripe::{StripeConfig, StripeGateway, StripeWebhookVerifier};
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
        order,
        success_url: "https://shop.example/paid?session_id={CHECKOUT_SESSION_ID}".into(),
        cancel_url: "https://shop.example/cart".into(),
        idempotency_key: idempotency_key.into(),
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
    assert!(session.expires_at.unwrap() > Utc::now());

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
    let order_id = request.order.id.to_string();
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
            assert_eq!(event.event.refs.order_id, Some(request.order.id));
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
