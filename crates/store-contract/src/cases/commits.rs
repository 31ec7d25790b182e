//! Loading and committing planned writes directly: what a load finds, and a commit that writes only what still
//! holds (the row version planned on, the kept events adopted, no kept event missed), all or nothing each.

use super::{order_now, stored_once};
use crate::fixtures::{now, order, payment_intent_id, refs, refunded, session_id, session_paid, usd};
use crate::Harness;
use payments_domain::{
    attach_session, plan_event, record_event, Committed, EventRefs, Load, OrderStatus, OrderStore, Plan,
    ReceivedEvent, RecordOutcome, Write,
};

/// The snapshot `store` loads for `received`, and the write the rule plans on it.
async fn planned(store: &dyn OrderStore, received: &ReceivedEvent) -> (Plan, Option<Write>) {
    let load = Load::event(&received.event);
    let snapshot = store.load(vec![load.clone()]).await.expect("load").pop().expect("one snapshot per load");
    let plan = plan_event(&received.event, &load, snapshot, now());
    let write = Write::of(&plan, Some(received));
    (plan, write)
}

async fn commit_one(store: &dyn OrderStore, write: Write) -> Committed {
    store.commit(vec![write], now()).await.expect("commit").pop().expect("one answer per write")
}

/// A load reports whether the event is recorded, the order it names (by order id, else session, else payment
/// intent), and the kept events naming the load's ids or the order's, oldest first, and no others.
pub async fn a_load_finds_the_order_and_the_kept_events_naming_its_ids_oldest_first(harness: &impl Harness) {
    let store = harness.store();
    let order = order();
    store.insert_order(&order).await.expect("insert_order");
    let (session, intent, other) = (session_id(), payment_intent_id(), payment_intent_id());
    let later = session_paid(&order, refs(None, Some(&session), None));
    let earlier = refunded(&intent, usd(100));
    let unrelated = refunded(&other, usd(100));
    for kept in [&later, &earlier, &unrelated] {
        assert_eq!(record_event(&*store, kept, now()).await.expect("record_event"), RecordOutcome::Orphaned);
    }
    let mut load = Load::order(refs(Some(order.id()), None, None));
    load.also =
        EventRefs { session_id: Some(session), payment_intent_id: Some(intent), ..EventRefs::default() };
    let snapshot = store.load(vec![load]).await.expect("load").pop().expect("one snapshot");
    assert!(!snapshot.known);
    assert_eq!(snapshot.order.map(|loaded| loaded.order), Some(order.clone()));
    let kept: Vec<_> = snapshot.kept.iter().map(|event| event.id.clone()).collect();
    let oldest_first = if (earlier.event.created, &earlier.event.id) <= (later.event.created, &later.event.id)
    {
        vec![earlier.event.id.clone(), later.event.id.clone()]
    } else {
        vec![later.event.id.clone(), earlier.event.id.clone()]
    };
    assert_eq!(kept, oldest_first);

    let mut known = Load::event(&earlier.event);
    known.find = refs(Some(order.id()), None, None);
    assert!(store.load(vec![known]).await.expect("load")[0].known, "a kept event's id is recorded");
}

/// A write planned on an order that another write changed since is stale: nothing of it is written. Planned
/// again, it commits.
pub async fn a_write_planned_on_a_version_the_order_no_longer_has_is_stale_and_writes_nothing(
    harness: &impl Harness,
) {
    let store = harness.store();
    let order = order();
    store.insert_order(&order).await.expect("insert_order");
    let paid = session_paid(&order, refs(Some(order.id()), None, Some(&payment_intent_id())));
    let (_, write) = planned(&*store, &paid).await;
    attach_session(&*store, order.id(), &session_id(), now()).await.expect("attach_session");
    let attached = order_now(harness, order.id()).await;

    assert_eq!(commit_one(&*store, write.expect("a write")).await, Committed::Stale);
    assert_eq!(order_now(harness, order.id()).await, attached);
    assert!(harness.stored_events(&paid.event.id).await.is_empty(), "a stale write records nothing");

    let (_, again) = planned(&*store, &paid).await;
    assert_eq!(commit_one(&*store, again.expect("a write")).await, Committed::Done);
    assert_eq!(order_now(harness, order.id()).await.status(), OrderStatus::Paid);
}

/// A write of an event that was recorded since it was planned is a duplicate: nothing of it is written.
pub async fn a_write_of_an_event_recorded_meanwhile_is_a_duplicate_and_writes_nothing(
    harness: &impl Harness,
) {
    let store = harness.store();
    let order = order();
    store.insert_order(&order).await.expect("insert_order");
    let paid = session_paid(&order, refs(Some(order.id()), None, Some(&payment_intent_id())));
    let (_, write) = planned(&*store, &paid).await;
    record_event(&*store, &paid, now()).await.expect("record_event");
    let recorded = order_now(harness, order.id()).await;

    assert_eq!(commit_one(&*store, write.expect("a write")).await, Committed::Duplicate);
    assert_eq!(order_now(harness, order.id()).await, recorded);
    assert_eq!(stored_once(harness, &paid.event.id).await.outcome, "applied");
}

/// A kept event is stale once an order has one of the ids it names: it would never be adopted.
pub async fn a_kept_event_is_stale_once_an_order_has_an_id_it_names(harness: &impl Harness) {
    let store = harness.store();
    let order = order();
    store.insert_order(&order).await.expect("insert_order");
    let session = session_id();
    let paid = session_paid(&order, refs(None, Some(&session), None));
    let (plan, write) = planned(&*store, &paid).await;
    assert_eq!(plan, Plan::Keep);
    attach_session(&*store, order.id(), &session, now()).await.expect("attach_session");

    assert_eq!(commit_one(&*store, write.expect("a write")).await, Committed::Stale);
    assert!(harness.stored_events(&paid.event.id).await.is_empty());
    assert_eq!(
        record_event(&*store, &paid, now()).await.expect("record_event"),
        RecordOutcome::Applied {
            order_id: order.id(),
            effect: payments_domain::Effect::Changed { from: OrderStatus::Pending, to: OrderStatus::Paid },
            adopted: 0,
        }
    );
}

/// An order write is stale when a kept event naming one of the order's ids (after the write) was kept after
/// the load: it would be left kept for ever.
pub async fn an_order_write_is_stale_when_a_kept_event_naming_the_order_was_missed(harness: &impl Harness) {
    let store = harness.store();
    let order = order();
    let (session, intent) = (session_id(), payment_intent_id());
    store.insert_order(&order).await.expect("insert_order");
    attach_session(&*store, order.id(), &session, now()).await.expect("attach_session");
    let paid = session_paid(&order, refs(Some(order.id()), Some(&session), Some(&intent)));
    let (_, write) = planned(&*store, &paid).await;
    let refund = refunded(&intent, usd(100));
    assert_eq!(record_event(&*store, &refund, now()).await.expect("record_event"), RecordOutcome::Orphaned);

    assert_eq!(commit_one(&*store, write.expect("a write")).await, Committed::Stale);
    assert_eq!(order_now(harness, order.id()).await.status(), OrderStatus::Pending);
    let recorded = record_event(&*store, &paid, now()).await.expect("record_event");
    assert!(matches!(recorded, RecordOutcome::Applied { adopted: 1, .. }), "{recorded:?}");
    assert_eq!(order_now(harness, order.id()).await.status(), OrderStatus::PartiallyRefunded);
}

/// An order write is stale when an event it adopts was adopted by another write since the load, even though
/// its own order did not change.
pub async fn an_order_write_is_stale_when_an_event_it_adopts_is_no_longer_kept(harness: &impl Harness) {
    let store = harness.store();
    let (first, second) = (order(), order());
    for order in [&first, &second] {
        store.insert_order(order).await.expect("insert_order");
    }
    let intent = payment_intent_id();
    let refund = refunded(&intent, usd(100));
    assert_eq!(record_event(&*store, &refund, now()).await.expect("record_event"), RecordOutcome::Orphaned);
    // Both payments name the payment intent the kept refund names; each plan adopts it.
    let paid_first = session_paid(&first, refs(Some(first.id()), None, Some(&intent)));
    let paid_second = session_paid(&second, refs(Some(second.id()), None, Some(&intent)));
    let (plan, write) = planned(&*store, &paid_first).await;
    assert!(matches!(&plan, Plan::Write(write) if write.adopted.len() == 1), "{plan:?}");
    let recorded = record_event(&*store, &paid_second, now()).await.expect("record_event");
    assert!(matches!(recorded, RecordOutcome::Applied { adopted: 1, .. }), "{recorded:?}");
    let untouched = order_now(harness, first.id()).await;

    assert_eq!(commit_one(&*store, write.expect("a write")).await, Committed::Stale);
    assert_eq!(order_now(harness, first.id()).await, untouched);
    assert!(harness.stored_events(&paid_first.event.id).await.is_empty());
    assert_eq!(stored_once(harness, &refund.event.id).await.order_id, Some(second.id()));
}

/// Writes committed together are answered each, and each is written or not on its own: a stale one beside a
/// good one leaves the good one written.
pub async fn writes_committed_together_are_each_all_or_nothing(harness: &impl Harness) {
    let store = harness.store();
    let (first, second) = (order(), order());
    for order in [&first, &second] {
        store.insert_order(order).await.expect("insert_order");
    }
    let stale = session_paid(&first, refs(Some(first.id()), None, Some(&payment_intent_id())));
    let good = session_paid(&second, refs(Some(second.id()), None, Some(&payment_intent_id())));
    let (_, stale_write) = planned(&*store, &stale).await;
    let (_, good_write) = planned(&*store, &good).await;
    attach_session(&*store, first.id(), &session_id(), now()).await.expect("attach_session");

    let writes = vec![stale_write.expect("a write"), good_write.expect("a write")];
    let answers = store.commit(writes, now()).await.expect("commit");
    assert_eq!(answers, vec![Committed::Stale, Committed::Done]);
    assert_eq!(order_now(harness, first.id()).await.status(), OrderStatus::Pending);
    assert_eq!(order_now(harness, second.id()).await.status(), OrderStatus::Paid);
    assert!(harness.stored_events(&stale.event.id).await.is_empty());
    assert_eq!(stored_once(harness, &good.event.id).await.order_id, Some(second.id()));
}
