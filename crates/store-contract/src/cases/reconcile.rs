//! What reconciliation keeps: a watermark that never moves back, and the pending orders it checks.

use crate::fixtures::{now, order_at, payment_intent_id, refs, session_paid};
use crate::Harness;
use chrono::Duration;
use payments_domain::{record_event, OrderId};

/// No watermark at first; set, it only ever moves forward, and another store over the database sees it.
pub async fn the_reconciliation_watermark_only_moves_forward(harness: &impl Harness) {
    let store = harness.reconcile();
    assert_eq!(store.reconciled_through().await.expect("reconciled_through"), None);
    let at = now();
    store.set_reconciled_through(at).await.expect("set");
    store.set_reconciled_through(at - Duration::hours(1)).await.expect("set earlier");
    assert_eq!(store.reconciled_through().await.unwrap(), Some(at), "an earlier run does not move it back");
    store.set_reconciled_through(at + Duration::minutes(5)).await.expect("set later");
    let other = harness.another_store().await;
    assert_eq!(
        payments_domain::ReconcileStore::reconciled_through(&other).await.unwrap(),
        Some(at + Duration::minutes(5))
    );
}

/// Only pending orders created before the time asked, oldest first, up to the limit.
pub async fn pending_orders_are_listed_oldest_first_when_older_than_asked(harness: &impl Harness) {
    let (orders, reconcile) = (harness.store(), harness.reconcile());
    let start = now() - Duration::hours(5);
    let mut placed = Vec::new();
    for hours in [3, 1, 4, 2] {
        let order = order_at(OrderId::new_v7(), start + Duration::hours(hours));
        orders.insert_order(&order).await.expect("insert_order");
        placed.push(order);
    }
    // The oldest is paid: no longer pending.
    let paid = &placed[2];
    record_event(
        &*orders,
        &session_paid(paid, refs(Some(paid.id()), None, Some(&payment_intent_id()))),
        now(),
    )
    .await
    .expect("record_event");
    let listed = reconcile.pending_orders(start + Duration::minutes(150), 10).await.expect("pending_orders");
    let ids: Vec<OrderId> = listed.iter().map(|order| order.id()).collect();
    assert_eq!(ids, [placed[1].id(), placed[3].id()], "pending, created before the time, oldest first");
    let one = reconcile.pending_orders(now(), 1).await.expect("pending_orders");
    assert_eq!(one.iter().map(|order| order.id()).collect::<Vec<_>>(), [placed[1].id()]);
}
