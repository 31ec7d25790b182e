//! The services against mocked ports.

use super::*;
use crate::model::ids::EventId;
use crate::model::money::Money;
use crate::model::payment_event::{EventRefs, PaymentEvent, PaymentEventKind};
use crate::model::transition::Effect;
use crate::ports::clock::MockClock;
use crate::ports::order_store::{MockOrderStore, ReceivedEvent};
use crate::ports::payment_gateway::{CheckoutSession, MockPaymentGateway};
use crate::ports::webhook_verifier::MockWebhookVerifier;
use crate::OrderStatus;
use chrono::{TimeZone, Utc};
use mockall::predicate::eq;

fn settings() -> CheckoutSettings {
    CheckoutSettings {
        currency: Currency::USD,
        success_url: "http://shop.test/success?session_id={CHECKOUT_SESSION_ID}".to_owned(),
        cancel_url: "http://shop.test/cancel".to_owned(),
    }
}

fn clock() -> MockClock {
    let mut clock = MockClock::new();
    clock.expect_now().returning(|| Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap());
    clock
}

fn items() -> Vec<LineItem> {
    vec![LineItem::new("Course", Money::new(4900, Currency::USD).unwrap(), 2, None).unwrap()]
}

fn email() -> Email {
    Email::parse("ada@example.com").unwrap()
}

fn payments(store: MockOrderStore, gateway: MockPaymentGateway, verifier: MockWebhookVerifier) -> Payments {
    Payments::new(Arc::new(store), Arc::new(gateway), Arc::new(verifier), Arc::new(clock()), settings())
}

#[tokio::test]
async fn starting_a_checkout_stores_the_order_opens_a_session_with_a_derived_key_and_attaches_it() {
    let mut store = MockOrderStore::new();
    store
        .expect_insert_order()
        .withf(|order| order.amount.minor() == 9800 && order.status == OrderStatus::Pending)
        .times(1)
        .returning(|_| Ok(()));
    store
        .expect_attach_checkout_session()
        .withf(|_, session, _| session.as_str() == "cs_test_123")
        .times(1)
        .returning(|_, _, _| Ok(()));
    let mut gateway = MockPaymentGateway::new();
    gateway
        .expect_create_checkout_session()
        .withf(|request| {
            request.idempotency_key == format!("checkout-session-{}", request.order.id)
                && request.success_url.contains("{CHECKOUT_SESSION_ID}")
        })
        .times(1)
        .returning(|_| {
            Ok(CheckoutSession {
                id: CheckoutSessionId::parse("cs_test_123").unwrap(),
                url: Url::parse("https://checkout.stripe.com/c/pay/cs_test_123").unwrap(),
                expires_at: None,
            })
        });

    let started =
        payments(store, gateway, MockWebhookVerifier::new()).start_checkout(email(), items()).await.unwrap();
    assert_eq!(started.session_id.as_str(), "cs_test_123");
    assert_eq!(started.url.as_str(), "https://checkout.stripe.com/c/pay/cs_test_123");
}

#[tokio::test]
async fn an_invalid_order_touches_no_port() {
    let result = payments(MockOrderStore::new(), MockPaymentGateway::new(), MockWebhookVerifier::new())
        .start_checkout(email(), vec![])
        .await;
    assert!(matches!(result, Err(StartCheckoutError::InvalidOrder(OrderError::NoItems))));
}

#[tokio::test]
async fn a_gateway_failure_marks_the_order_unpayable_and_is_reported() {
    let mut store = MockOrderStore::new();
    store.expect_insert_order().times(1).returning(|_| Ok(()));
    store
        .expect_mark_checkout_failed()
        .withf(|_, reason, _| reason.contains("unavailable"))
        .times(1)
        .returning(|_, _, _| Ok(()));
    store.expect_attach_checkout_session().never();
    let mut gateway = MockPaymentGateway::new();
    gateway
        .expect_create_checkout_session()
        .returning(|_| Err(GatewayError::Unavailable("connection refused".to_owned())));

    let result = payments(store, gateway, MockWebhookVerifier::new()).start_checkout(email(), items()).await;
    assert!(matches!(result, Err(StartCheckoutError::Gateway { source: GatewayError::Unavailable(_), .. })));
}

fn received() -> ReceivedEvent {
    ReceivedEvent {
        event: PaymentEvent {
            id: EventId::parse("evt_1").unwrap(),
            event_type: "checkout.session.expired".to_owned(),
            created: Utc::now(),
            kind: PaymentEventKind::CheckoutExpired,
            refs: EventRefs { order_id: Some(OrderId::new_v7()), ..EventRefs::default() },
        },
        payload: "{}".to_owned(),
    }
}

#[tokio::test]
async fn a_verified_event_is_recorded_and_its_outcome_returned() {
    let mut verifier = MockWebhookVerifier::new();
    verifier
        .expect_verify()
        .withf(|payload, header, _| payload == b"body" && *header == Some("t=1,v1=ab"))
        .returning(|_, _, _| Ok(received()));
    let mut store = MockOrderStore::new();
    let order_id = OrderId::new_v7();
    store.expect_record_event().times(1).returning(move |_, _| {
        Ok(RecordOutcome::Applied {
            order_id,
            effect: Effect::Changed { from: OrderStatus::Pending, to: OrderStatus::Expired },
            adopted: 0,
        })
    });
    let outcome = payments(store, MockPaymentGateway::new(), verifier)
        .handle_webhook(b"body", Some("t=1,v1=ab"))
        .await
        .unwrap();
    assert!(matches!(outcome, RecordOutcome::Applied { order_id: id, .. } if id == order_id));
}

#[tokio::test]
async fn a_badly_signed_delivery_never_reaches_the_store() {
    let mut verifier = MockWebhookVerifier::new();
    verifier.expect_verify().returning(|_, _, _| Err(WebhookError::NoMatchingSignature));
    let mut store = MockOrderStore::new();
    store.expect_record_event().never();
    let result =
        payments(store, MockPaymentGateway::new(), verifier).handle_webhook(b"{}", Some("t=1,v1=00")).await;
    assert!(matches!(result, Err(HandleWebhookError::Rejected(WebhookError::NoMatchingSignature))));
}

#[tokio::test]
async fn a_store_outage_is_reported_so_the_sender_retries() {
    let mut verifier = MockWebhookVerifier::new();
    verifier.expect_verify().returning(|_, _, _| Ok(received()));
    let mut store = MockOrderStore::new();
    store.expect_record_event().returning(|_, _| Err(StoreError::Unavailable("pool timed out".to_owned())));
    let result =
        payments(store, MockPaymentGateway::new(), verifier).handle_webhook(b"{}", Some("t=1")).await;
    assert!(matches!(result, Err(HandleWebhookError::Store(StoreError::Unavailable(_)))));
}

#[tokio::test]
async fn reading_an_unknown_order_is_not_found() {
    let mut store = MockOrderStore::new();
    let id = OrderId::new_v7();
    store.expect_find_order().with(eq(id)).returning(|_| Ok(None));
    store.expect_find_order_by_session().returning(|_| Ok(None));
    let payments = payments(store, MockPaymentGateway::new(), MockWebhookVerifier::new());
    assert!(matches!(payments.order(id).await, Err(GetOrderError::NotFound)));
    let session = CheckoutSessionId::parse("cs_test_x").unwrap();
    assert!(matches!(payments.order_by_session(&session).await, Err(GetOrderError::NotFound)));
}
