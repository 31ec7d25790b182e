//! Rows written before the stores kept record types of their own still load after the migrations.

use super::{order_now, stored_once};
use crate::fixtures::{now, order, payment_intent_id, refs, refunded, session_id, session_paid, usd};
use crate::{Harness, LegacyRows};
use payments_domain::{record_event, Effect, Order, OrderStatus, PaymentFacts, RecordOutcome};

/// A declined order's facts as the code before record types wrote them (serde of `PaymentFacts`).
const LEGACY_FACTS: &str = r#"{"paid":false,"mismatched_amount":null,"awaiting_async_payment":false,"async_payment_failed":false,"last_decline":{"at":"2026-11-23T12:00:00.123456Z","event_id":"evt_declined","reason":"card_declined: no"},"expired":false,"payment_canceled":false,"refunded_minor":0,"disputes":{},"checkout_failed":null}"#;

/// An order stored with legacy facts (a declined payment) and a kept refund with its legacy reading load as
/// the domain values they were; the next payment adopts the kept refund.
pub async fn rows_stored_before_record_types_still_load_and_a_kept_one_is_adopted<H: Harness>(_: &H) {
    let session = session_id();
    let intent = payment_intent_id();
    let mut pending = order();
    pending.attach_session(&session, now()).expect("no session yet");
    let refund = refunded(&intent, usd(700));
    let event = &refund.event;
    let kept_reading = format!(
        r#"{{"id":"{}","event_type":"charge.refunded","created":"{}","kind":{{"kind":"charge_refunded","amount_refunded":{{"minor":700,"currency":"usd"}}}},"refs":{{"order_id":null,"session_id":null,"payment_intent_id":"{}"}}}}"#,
        event.id,
        event.created.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        intent
    );
    let rows = LegacyRows { order: pending.clone(), facts: LEGACY_FACTS, kept: refund.clone(), kept_reading };
    let harness = H::upgraded(&rows).await;

    let mut stored = pending.into_stored();
    stored.facts = facts_of_legacy();
    let expected = Order::restore(stored).expect("a valid order");
    let loaded = order_now(&harness, expected.id()).await;
    assert_eq!(loaded, expected);
    assert_eq!(loaded.status(), OrderStatus::Failed);
    assert_eq!(loaded.failure_reason(), Some("card_declined: no"));

    let store = harness.store();
    let paid = session_paid(&expected, refs(Some(expected.id()), Some(&session), Some(&intent)));
    let recorded = record_event(&*store, &paid, now()).await.expect("record_event");
    let changed = Effect::Changed { from: OrderStatus::Failed, to: OrderStatus::Paid };
    assert_eq!(recorded, RecordOutcome::Applied { order_id: expected.id(), effect: changed, adopted: 1 });
    assert_eq!(order_now(&harness, expected.id()).await.status(), OrderStatus::PartiallyRefunded);
    assert_eq!(stored_once(&harness, &refund.event.id).await.outcome, "applied");
}

/// What [`LEGACY_FACTS`] says.
fn facts_of_legacy() -> PaymentFacts {
    use chrono::TimeZone;
    PaymentFacts {
        last_decline: Some(payments_domain::Decline {
            at: chrono::Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()
                + chrono::Duration::microseconds(123_456),
            event_id: payments_domain::EventId::parse("evt_declined").expect("a valid id"),
            reason: Some("card_declined: no".to_owned()),
        }),
        ..PaymentFacts::default()
    }
}
