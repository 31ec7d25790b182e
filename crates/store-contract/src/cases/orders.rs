//! Saving, reading and listing orders.

use crate::fixtures::{now, order, order_at};
use crate::Harness;
use chrono::Duration;
use payments_domain::{Email, Order, OrderId, StoreError};

/// An order reads back, by id, exactly as it was inserted, items in order; an unknown id finds nothing.
pub async fn an_inserted_order_reads_back_as_it_was_saved(harness: &impl Harness) {
    let store = harness.store();
    let order = order();
    store.insert_order(&order).await.expect("insert_order");
    assert_eq!(store.find_order(order.id).await.expect("find_order"), Some(order));
    assert_eq!(store.find_order(OrderId::new_v7()).await.expect("find_order"), None);
}

/// Inserting an id that exists is [`StoreError::Duplicate`] and leaves the first order as it was.
pub async fn inserting_an_existing_order_id_is_a_duplicate_and_keeps_the_first(harness: &impl Harness) {
    let store = harness.store();
    let first = order();
    store.insert_order(&first).await.expect("insert_order");
    let mut second = order_at(first.id, now());
    second.email = Email::parse("grace@example.com").expect("a valid email");
    let refused = store.insert_order(&second).await;
    assert!(matches!(refused, Err(StoreError::Duplicate(id)) if id == first.id), "{refused:?}");
    assert_eq!(store.find_order(first.id).await.expect("find_order"), Some(first));
}

/// `list_orders` returns the oldest first, ties by id, at most `limit`.
pub async fn orders_are_listed_oldest_first_ties_by_id_up_to_the_limit(harness: &impl Harness) {
    let store = harness.store();
    let t0 = now() - Duration::hours(1);
    let (a, b) = (OrderId::new_v7(), OrderId::new_v7());
    let (first_tie, second_tie) = if a.as_uuid() < b.as_uuid() { (a, b) } else { (b, a) };
    let newest = order_at(OrderId::new_v7(), t0 + Duration::seconds(2));
    let middle = order_at(OrderId::new_v7(), t0 + Duration::milliseconds(1));
    let tied_late = order_at(second_tie, t0);
    let tied_early = order_at(first_tie, t0);
    for order in [&newest, &tied_late, &middle, &tied_early] {
        store.insert_order(order).await.expect("insert_order");
    }
    let ids = |orders: Vec<Order>| orders.into_iter().map(|order| order.id).collect::<Vec<_>>();
    let all = store.list_orders(10).await.expect("list_orders");
    assert_eq!(all[0], tied_early, "listed orders read back whole");
    assert_eq!(ids(all), [tied_early.id, tied_late.id, middle.id, newest.id]);
    assert_eq!(ids(store.list_orders(2).await.expect("list_orders")), [tied_early.id, tied_late.id]);
    assert!(store.list_orders(0).await.expect("list_orders").is_empty());
}

/// A reachable store answers `ping`.
pub async fn the_store_answers_a_ping(harness: &impl Harness) {
    harness.store().ping().await.expect("ping");
}
