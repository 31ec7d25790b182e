//! Recording events: one atomic, idempotent step per event id; events for orders not known yet are kept.

use super::{order_now, stored_once};
use crate::fixtures::{
    event, now, order, order_at, payment_intent_id, refs, refunded, session_id, session_paid, unknown,
};
use crate::{Harness, StoredEvent};
use chrono::Duration;
use payments_domain::{
    attach_session, record_event, refuse_event, Effect, OrderId, OrderStatus, Orphans, PaymentEventKind,
    ReceivedEvent, RecordOutcome,
};

fn payload(received: &ReceivedEvent) -> serde_json::Value {
    serde_json::from_str(&received.payload).expect("fixture payloads are JSON")
}

/// A paid session event is stored with its payload and applied to its order in the same step, with the
/// effect [`payments_domain::Order::apply`] gives.
pub async fn a_paid_checkout_event_is_recorded_and_applied_together(harness: &impl Harness) {
    let store = harness.store();
    let order = order();
    let (session, intent) = (session_id(), payment_intent_id());
    store.insert_order(&order).await.expect("insert_order");
    attach_session(&*store, order.id(), &session, now()).await.expect("attach_checkout_session");
    let mut expected = order_now(harness, order.id()).await;

    let received = session_paid(&order, refs(Some(order.id()), Some(&session), Some(&intent)));
    let at = now() + Duration::seconds(1);
    let recorded = record_event(&*store, &received, at).await.expect("record_event");
    let changed = Effect::Changed { from: OrderStatus::Pending, to: OrderStatus::Paid };
    assert_eq!(
        recorded,
        RecordOutcome::Applied { order_id: order.id(), effect: changed.clone(), adopted: 0 }
    );
    assert_eq!(expected.apply(&received.event, at), changed);
    assert_eq!(order_now(harness, order.id()).await, expected);
    assert_eq!(expected.payment_intent_id(), Some(&intent));
    let row = stored_once(harness, &received.event.id).await;
    let stored = StoredEvent {
        event_type: "checkout.session.completed".to_owned(),
        payload: payload(&received),
        outcome: "applied".to_owned(),
        order_id: Some(order.id()),
    };
    assert_eq!(row, stored);
}

/// A second delivery of an event id is [`RecordOutcome::Duplicate`]: nothing changes, one row is kept.
pub async fn an_event_delivered_twice_is_applied_once_and_stored_once(harness: &impl Harness) {
    let store = harness.store();
    let order = order();
    let session = session_id();
    store.insert_order(&order).await.expect("insert_order");
    attach_session(&*store, order.id(), &session, now()).await.expect("attach_checkout_session");
    let received = session_paid(&order, refs(Some(order.id()), Some(&session), Some(&payment_intent_id())));
    let first = record_event(&*store, &received, now()).await.expect("record_event");
    assert!(matches!(first, RecordOutcome::Applied { .. }), "{first:?}");
    let paid = order_now(harness, order.id()).await;

    let again = record_event(&*store, &received, now() + Duration::seconds(5)).await.expect("record_event");
    assert_eq!(again, RecordOutcome::Duplicate);
    assert_eq!(order_now(harness, order.id()).await, paid);
    assert_eq!(stored_once(harness, &received.event.id).await.outcome, "applied");
}

/// An event of a type the domain does not know is stored as received and acknowledged, even when it names
/// an order, and the order is not touched.
pub async fn an_unknown_event_type_is_stored_without_touching_orders(harness: &impl Harness) {
    let store = harness.store();
    let order = order();
    store.insert_order(&order).await.expect("insert_order");
    let received = unknown(refs(Some(order.id()), None, None));
    assert_eq!(record_event(&*store, &received, now()).await.expect("record_event"), RecordOutcome::Stored);
    assert_eq!(
        record_event(&*store, &received, now()).await.expect("record_event"),
        RecordOutcome::Duplicate
    );
    assert_eq!(order_now(harness, order.id()).await, order);
    let stored = StoredEvent {
        event_type: "customer.updated".to_owned(),
        payload: payload(&received),
        outcome: "stored".to_owned(),
        order_id: None,
    };
    assert_eq!(stored_once(harness, &received.event.id).await, stored);
}

/// An event from another Stripe mode or account is recorded as refused without an order, once, and changes
/// nothing; its body is stored byte for byte (spacing, key order, escapes such as `\u0000`), so its signature
/// can be checked again.
pub async fn a_refused_event_is_stored_once_without_an_order_and_its_body_byte_for_byte(
    harness: &impl Harness,
) {
    let store = harness.store();
    let order = order();
    store.insert_order(&order).await.expect("insert_order");
    let expired = event(
        "checkout.session.expired",
        PaymentEventKind::CheckoutExpired,
        refs(Some(order.id()), None, None),
    );
    let body = format!(
        "{{ \"type\":\"checkout.session.expired\",\"id\":\"{}\",  \"livemode\" : true,\n\"data\":{{\"object\":         {{\"note\":\"a\\u0000b \\ud83d\\ude00 \u{e9}\",\"metadata\":{{\"order_id\":\"{}\"}}}}}}}}",
        expired.event.id,
        order.id()
    );
    serde_json::from_str::<serde_json::Value>(&body).expect("the body is JSON");
    let mut received = ReceivedEvent::new(expired.event, body.clone());
    received.origin.livemode = true;
    let refused = refuse_event(&*store, &received, "live".to_owned(), now()).await.expect("refuse_event");
    assert_eq!(refused, RecordOutcome::Refused { reason: "live".to_owned() });
    assert_eq!(
        refuse_event(&*store, &received, "live".to_owned(), now()).await.expect("refuse_event"),
        RecordOutcome::Duplicate
    );
    assert_eq!(
        record_event(&*store, &received, now()).await.expect("record_event"),
        RecordOutcome::Duplicate,
        "a refused event stays refused"
    );
    assert_eq!(order_now(harness, order.id()).await, order);
    let stored = stored_once(harness, &received.event.id).await;
    assert_eq!((stored.outcome.as_str(), stored.order_id), ("refused", None));
    assert_eq!(harness.stored_bodies(&received.event.id).await, vec![body]);
}

/// The orphans received before a time are counted and the oldest named; later orphans, adopted ones and
/// events of other outcomes are not.
pub async fn orphans_received_before_a_time_are_counted_and_the_oldest_named(harness: &impl Harness) {
    let store = harness.store();
    let start = now() - Duration::minutes(60);
    let at = |minutes: i64| start + Duration::minutes(minutes);
    let expired = |order_id: OrderId| {
        event("checkout.session.expired", PaymentEventKind::CheckoutExpired, refs(Some(order_id), None, None))
    };
    let (first, second, late) = (order(), order(), order());
    let orphans =
        [(expired(first.id()), at(0)), (expired(second.id()), at(10)), (expired(late.id()), at(40))];
    for (received, time) in &orphans {
        assert_eq!(
            record_event(&*store, received, *time).await.expect("record_event"),
            RecordOutcome::Orphaned
        );
    }
    let stored = unknown(refs(None, None, None));
    record_event(&*store, &stored, at(5)).await.expect("record_event");
    assert_eq!(store.orphans_received_before(at(0)).await.expect("orphans"), Orphans::default());
    let report = store.orphans_received_before(at(30)).await.expect("orphans");
    assert_eq!(report, Orphans { count: 2, oldest: Some((orphans[0].0.event.id.clone(), at(0))) });

    // The oldest is adopted once its order exists: the next one is then the oldest.
    store.insert_order(&first).await.expect("insert_order");
    attach_session(&*store, first.id(), &session_id(), at(20)).await.expect("attach_session");
    let report = store.orphans_received_before(at(30)).await.expect("orphans");
    assert_eq!(report, Orphans { count: 1, oldest: Some((orphans[1].0.event.id.clone(), at(10))) });
}

/// An event naming an order but another session than the order's is refused: recorded against the order,
/// which does not change.
pub async fn an_event_for_another_session_is_refused_and_changes_nothing(harness: &impl Harness) {
    let store = harness.store();
    let order = order();
    store.insert_order(&order).await.expect("insert_order");
    attach_session(&*store, order.id(), &session_id(), now()).await.expect("attach_checkout_session");
    let attached = order_now(harness, order.id()).await;

    let received = session_paid(&order, refs(Some(order.id()), Some(&session_id()), None));
    let recorded = record_event(&*store, &received, now()).await.expect("record_event");
    assert!(
        matches!(&recorded, RecordOutcome::Applied { order_id, effect: Effect::Refused { .. }, adopted: 0 }
            if *order_id == order.id()),
        "{recorded:?}"
    );
    assert_eq!(order_now(harness, order.id()).await, attached);
    let row = stored_once(harness, &received.event.id).await;
    assert_eq!((row.outcome.as_str(), row.order_id), ("refused", Some(order.id())));
}

/// A paid event naming only a session no order has yet is kept ([`RecordOutcome::Orphaned`]) and applied
/// when that session is attached to its order.
pub async fn an_event_naming_an_unattached_session_is_kept_then_applied_on_attach(harness: &impl Harness) {
    let store = harness.store();
    let order = order();
    let (session, intent) = (session_id(), payment_intent_id());
    store.insert_order(&order).await.expect("insert_order");
    let received = session_paid(&order, refs(None, Some(&session), Some(&intent)));
    assert_eq!(record_event(&*store, &received, now()).await.expect("record_event"), RecordOutcome::Orphaned);
    let row = stored_once(harness, &received.event.id).await;
    assert_eq!((row.outcome.as_str(), row.order_id), ("orphaned", None));
    assert_eq!(order_now(harness, order.id()).await, order);

    let later = now() + Duration::seconds(1);
    attach_session(&*store, order.id(), &session, later).await.expect("attach_checkout_session");
    let mut expected = order.clone();
    expected.attach_session(&session, later).expect("no session yet");
    expected.apply(&received.event, later);
    assert_eq!(order_now(harness, order.id()).await, expected);
    assert_eq!(expected.status(), OrderStatus::Paid);
    let row = stored_once(harness, &received.event.id).await;
    assert_eq!((row.outcome.as_str(), row.order_id), ("applied", Some(order.id())));
}

/// An event naming an order id before that order is saved (Stripe can be faster than our own commit) is
/// kept, and applied once the order exists and its session is attached.
pub async fn an_event_naming_an_order_not_yet_created_is_kept_then_applied_on_attach(harness: &impl Harness) {
    let store = harness.store();
    let order = order_at(OrderId::new_v7(), now());
    let session = session_id();
    let received = session_paid(&order, refs(Some(order.id()), Some(&session), Some(&payment_intent_id())));
    assert_eq!(record_event(&*store, &received, now()).await.expect("record_event"), RecordOutcome::Orphaned);

    store.insert_order(&order).await.expect("insert_order");
    attach_session(&*store, order.id(), &session, now()).await.expect("attach_checkout_session");
    assert_eq!(order_now(harness, order.id()).await.status(), OrderStatus::Paid);
    let row = stored_once(harness, &received.event.id).await;
    assert_eq!((row.outcome.as_str(), row.order_id), ("applied", Some(order.id())));
}

/// A refund naming only a payment intent no order has yet is kept, then adopted in the same step as the
/// event that gives the order that payment intent.
pub async fn a_refund_naming_only_its_payment_intent_is_adopted_by_the_payment(harness: &impl Harness) {
    let store = harness.store();
    let order = order();
    let (session, intent) = (session_id(), payment_intent_id());
    store.insert_order(&order).await.expect("insert_order");
    attach_session(&*store, order.id(), &session, now()).await.expect("attach_checkout_session");
    let refund = refunded(&intent, order.amount());
    assert_eq!(record_event(&*store, &refund, now()).await.expect("record_event"), RecordOutcome::Orphaned);

    let paid = session_paid(&order, refs(Some(order.id()), Some(&session), Some(&intent)));
    let recorded = record_event(&*store, &paid, now()).await.expect("record_event");
    let changed = Effect::Changed { from: OrderStatus::Pending, to: OrderStatus::Paid };
    assert_eq!(recorded, RecordOutcome::Applied { order_id: order.id(), effect: changed, adopted: 1 });
    assert_eq!(order_now(harness, order.id()).await.status(), OrderStatus::Refunded);
    let row = stored_once(harness, &refund.event.id).await;
    assert_eq!((row.outcome.as_str(), row.order_id), ("applied", Some(order.id())));
}
