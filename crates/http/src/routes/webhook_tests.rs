//! The webhook route against mocked ports.

use crate::test_support::{now, send, Ports};
use actix_web::http::header::HeaderValue;
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use chrono::Utc;
use payments_domain::{
    Committed, Email, EventId, EventRefs, LineItem, LoadedOrder, Money, Order, OrderId, PaymentEvent,
    PaymentEventKind, ReceivedEvent, RowVersion, Snapshot, StoreError, WebhookError,
};
use serde_json::json;

const PATH: &str = "/webhook";
const SIGNATURE: &str = "t=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd";

/// The order the test events name.
fn order() -> Order {
    let item =
        LineItem::new("Pen", Money::new(100, payments_domain::Currency::USD).unwrap(), 1, None).unwrap();
    let id = OrderId::parse("0190c0de-0000-7000-8000-000000000001").unwrap();
    Order::new(id, Email::parse("ada@example.com").unwrap(), vec![item], now()).unwrap()
}

/// A verified `checkout.session.expired` for [`order`], or an event of a type that changes no order.
fn received_of(kind: PaymentEventKind) -> ReceivedEvent {
    ReceivedEvent::new(
        PaymentEvent {
            id: EventId::parse("evt_1").unwrap(),
            event_type: "checkout.session.expired".to_owned(),
            created: Utc::now(),
            kind,
            refs: EventRefs { order_id: Some(order().id()), ..EventRefs::default() },
        },
        "{}",
    )
}

fn received() -> ReceivedEvent {
    received_of(PaymentEventKind::CheckoutExpired)
}

/// What the store makes of the verified event.
enum Recorded {
    /// Its order is found and the write commits.
    Applied,
    /// Its id is known.
    Duplicate,
    /// No order has its ids; keeping it commits.
    Orphaned,
    /// Its type changes no order; storing it commits.
    Stored,
    /// Its order is found, and already knew what it says.
    Ignored,
    /// It comes from a live-mode account; storing it as refused commits.
    Refused,
    /// Loading fails.
    Fails(StoreError),
}

fn delivery(body: impl Into<Vec<u8>>) -> TestRequest {
    TestRequest::post()
        .uri(PATH)
        .insert_header(("content-type", "application/json; charset=utf-8"))
        .insert_header(("Stripe-Signature", SIGNATURE))
        .set_payload(body.into())
}

/// Ports where the verifier accepts and the store records the event as `recorded` says.
fn recording(recorded: Recorded) -> Ports {
    let mut ports = Ports::new();
    let kind = match recorded {
        Recorded::Stored => PaymentEventKind::Unknown,
        _ => PaymentEventKind::CheckoutExpired,
    };
    let live = matches!(recorded, Recorded::Refused);
    ports.verifier.expect_verify().times(1).returning(move |_, _, _| {
        let mut received = received_of(kind.clone());
        received.origin.livemode = live;
        Ok(received)
    });
    let loaded = |known, order: Option<Order>| {
        let snapshot = Snapshot {
            known,
            order: order.map(|order| LoadedOrder { order, version: RowVersion(1) }),
            kept: vec![],
        };
        move |_| Ok(vec![snapshot.clone()])
    };
    let commits = |ports: &mut Ports| {
        ports.store.expect_commit().times(1).returning(|writes, _| Ok(vec![Committed::Done; writes.len()]));
    };
    match recorded {
        Recorded::Applied => {
            ports.store.expect_load().times(1).returning(loaded(false, Some(order())));
            commits(&mut ports);
        }
        Recorded::Duplicate => {
            ports.store.expect_load().times(1).returning(loaded(true, Some(order())));
        }
        Recorded::Orphaned => {
            ports.store.expect_load().times(1).returning(loaded(false, None));
            commits(&mut ports);
        }
        Recorded::Stored | Recorded::Refused => commits(&mut ports),
        Recorded::Ignored => {
            let mut expired = order();
            expired.apply(&received().event, now());
            ports.store.expect_load().times(1).returning(loaded(false, Some(expired)));
            commits(&mut ports);
        }
        Recorded::Fails(error) => {
            let mut error = Some(error);
            ports.store.expect_load().times(1).returning(move |_| Err(error.take().expect("loaded once")));
        }
    }
    ports
}

/// Ports where the verifier refuses with `error` and the store is never used.
fn refusing(error: WebhookError) -> Ports {
    let mut ports = Ports::new();
    ports.verifier.expect_verify().times(1).returning(move |_, _, _| Err(error.clone()));
    ports.store.expect_load().never();
    ports.store.expect_commit().never();
    ports
}

#[actix_web::test]
async fn the_raw_body_and_signature_reach_the_verifier_byte_for_byte() {
    // Odd spacing, key order and a byte that is not UTF-8: any re-serialisation would change them.
    let body: Vec<u8> =
        b"{ \"id\":\"evt_1\" ,\n\t\"type\": \"x\", \"z\": \"\xff\xfe caf\xc3\xa9\" }  \n".to_vec();
    let expected = body.clone();
    let mut ports = Ports::new();
    ports
        .verifier
        .expect_verify()
        .withf(move |payload, signature, at| {
            payload == expected.as_slice() && *signature == Some(SIGNATURE) && *at == now()
        })
        .times(1)
        .returning(|_, _, _| Ok(received()));
    ports
        .store
        .expect_load()
        .times(1)
        .returning(|_| Ok(vec![Snapshot { known: true, order: None, kept: vec![] }]));

    let reply = send(ports.services(), delivery(body)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

#[actix_web::test]
async fn each_record_outcome_is_acknowledged_with_200_and_its_name() {
    let outcomes = [
        (Recorded::Applied, "applied"),
        (Recorded::Duplicate, "duplicate"),
        (Recorded::Orphaned, "orphaned"),
        (Recorded::Stored, "stored"),
        (Recorded::Ignored, "ignored"),
        (Recorded::Refused, "refused"),
    ];
    for (recorded, name) in outcomes {
        let reply = send(recording(recorded).services(), delivery("{}")).await;
        assert_eq!(reply.status, StatusCode::OK, "{name}: {}", reply.body);
        assert_eq!(reply.body, json!({"received": true, "outcome": name}));
    }
}

#[actix_web::test]
async fn the_versioned_path_is_the_same_webhook() {
    let request = delivery("{}").uri("/api/v1/webhooks/stripe");
    let reply = send(recording(Recorded::Duplicate).services(), request).await;
    assert_eq!(reply.body, json!({"received": true, "outcome": "duplicate"}));
}

#[actix_web::test]
async fn each_refusal_is_a_400_with_its_code_and_nothing_is_recorded() {
    let cases = [
        (WebhookError::MissingSignature, "missing_signature"),
        (WebhookError::MalformedSignature, "invalid_signature"),
        (WebhookError::NoMatchingSignature, "invalid_signature"),
        (
            WebhookError::TimestampOutsideTolerance { age_seconds: 900, tolerance_seconds: 300 },
            "timestamp_out_of_tolerance",
        ),
        (WebhookError::MalformedPayload("missing field `type`".to_owned()), "malformed_payload"),
    ];
    for (error, code) in cases {
        let message = error.to_string();
        let reply = send(refusing(error).services(), delivery("{}")).await;
        reply.assert_error(StatusCode::BAD_REQUEST, code);
        assert_eq!(reply.message(), message);
    }
}

#[actix_web::test]
async fn a_delivery_without_a_signature_header_reaches_the_verifier_as_none() {
    let mut ports = Ports::new();
    ports
        .verifier
        .expect_verify()
        .withf(|_, signature, _| signature.is_none())
        .times(1)
        .returning(|_, _, _| Err(WebhookError::MissingSignature));
    ports.store.expect_load().never();

    let request = TestRequest::post().uri(PATH).set_payload("{}");
    send(ports.services(), request).await.assert_error(StatusCode::BAD_REQUEST, "missing_signature");
}

#[actix_web::test]
async fn a_signature_header_that_is_not_text_is_malformed_and_never_verified() {
    let mut ports = Ports::new();
    ports.verifier.expect_verify().never();
    ports.store.expect_load().never();

    let request = TestRequest::post()
        .uri(PATH)
        .insert_header(("Stripe-Signature", HeaderValue::from_bytes(b"t=1,v1=\xff\xfe").unwrap()))
        .set_payload("{}");
    send(ports.services(), request).await.assert_error(StatusCode::BAD_REQUEST, "invalid_signature");
}

#[actix_web::test]
async fn an_unavailable_store_is_a_503_asking_stripe_to_retry() {
    let reply = send(
        recording(Recorded::Fails(StoreError::Unavailable("too many connections".to_owned()))).services(),
        delivery("{}"),
    )
    .await;
    reply.assert_error(StatusCode::SERVICE_UNAVAILABLE, "store_unavailable");
    assert_eq!(reply.headers.get("retry-after").unwrap(), "5");
    assert!(!reply.message().contains("connections"));
}

#[actix_web::test]
async fn any_other_store_failure_is_a_generic_500() {
    let ports = recording(Recorded::Fails(StoreError::Unknown(anyhow::anyhow!(
        "deadlock detected in relation events"
    ))));
    let reply = send(ports.services(), delivery("{}")).await;
    reply.assert_error(StatusCode::INTERNAL_SERVER_ERROR, "internal_error");
    assert!(!reply.body.to_string().contains("deadlock"));
}

#[actix_web::test]
async fn a_body_over_1_mib_is_a_413_and_never_verified() {
    let mut ports = Ports::new();
    ports.verifier.expect_verify().never();
    ports.store.expect_load().never();

    let reply = send(ports.services(), delivery(vec![b' '; 1024 * 1024 + 1])).await;
    reply.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
}

#[actix_web::test]
async fn a_body_of_exactly_1_mib_is_verified() {
    let mut ports = Ports::new();
    ports
        .verifier
        .expect_verify()
        .withf(|payload, _, _| payload.len() == 1024 * 1024)
        .times(1)
        .returning(|_, _, _| Err(WebhookError::NoMatchingSignature));

    let reply = send(ports.services(), delivery(vec![b' '; 1024 * 1024])).await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_signature");
}

#[actix_web::test]
async fn a_store_that_never_answers_is_a_503_with_retry_after_at_the_webhook_deadline() {
    let deadlines =
        crate::Deadlines { webhook: std::time::Duration::from_millis(150), ..crate::Deadlines::default() };
    let options = crate::HttpOptions { deadlines, ..crate::HttpOptions::default() };
    let mut ports = Ports::new();
    ports.verifier.expect_verify().times(1).returning(|_, _, _| Ok(received()));
    let services = ports.services_over(Some(std::sync::Arc::new(crate::test_support::SilentStore)));
    let started = std::time::Instant::now();
    let reply = crate::test_support::send_with(services, options, delivery("{}")).await;
    reply.assert_error(StatusCode::SERVICE_UNAVAILABLE, "store_unavailable");
    assert_eq!(reply.headers.get("retry-after").unwrap(), "5");
    assert!(started.elapsed() < std::time::Duration::from_secs(1), "{:?}", started.elapsed());
}
