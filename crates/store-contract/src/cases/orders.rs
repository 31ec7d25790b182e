//! Saving, reading and listing orders, a user's included.

use super::order_now;
use crate::fixtures::{
    now, order, order_at, payment_intent_id, refs, session_id, session_paid, user_id, user_order_at,
};
use crate::Harness;
use chrono::Duration;
use payments_domain::{
    attach_session, record_event, Email, InsertOrderError, Order, OrderId, OrderStatus, RecordOutcome,
};

/// An order reads back, by id, exactly as it was inserted, items in order; an unknown id finds nothing.
pub async fn an_inserted_order_reads_back_as_it_was_saved(harness: &impl Harness) {
    let store = harness.store();
    let order = order();
    store.insert_order(&order).await.expect("insert_order");
    assert_eq!(store.find_order(order.id()).await.expect("find_order"), Some(order));
    assert_eq!(store.find_order(OrderId::new_v7()).await.expect("find_order"), None);
}

/// Inserting an id that exists is [`InsertOrderError::Duplicate`] and leaves the first order as it was.
pub async fn inserting_an_existing_order_id_is_a_duplicate_and_keeps_the_first(harness: &impl Harness) {
    let store = harness.store();
    let first = order();
    store.insert_order(&first).await.expect("insert_order");
    let mut second = order_at(first.id(), now()).into_stored();
    second.email = Email::parse("grace@example.com").expect("a valid email");
    let second = Order::restore(second).expect("a valid order");
    let refused = store.insert_order(&second).await;
    assert!(matches!(refused, Err(InsertOrderError::Duplicate(id)) if id == first.id()), "{refused:?}");
    assert_eq!(store.find_order(first.id()).await.expect("find_order"), Some(first));
}

/// Orders inserted at once (a store may write them in one group) each land whole with their own items, and a
/// duplicate among them is refused alone: the others stand, and the first order of that id is kept.
pub async fn orders_inserted_at_once_each_land_whole_and_a_duplicate_among_them_is_refused_alone(
    harness: &impl Harness,
) {
    let store = harness.store();
    let existing = order();
    store.insert_order(&existing).await.expect("insert_order");
    let user = user_id();
    let fresh: Vec<Order> = (0..40)
        .map(|n| match n % 2 {
            0 => user_order_at(&user, OrderId::new_v7(), now() + Duration::milliseconds(n)),
            _ => order_at(OrderId::new_v7(), now() + Duration::milliseconds(n)),
        })
        .collect();
    let mut copy = order_at(existing.id(), now()).into_stored();
    copy.email = Email::parse("grace@example.com").expect("a valid email");
    let copy = Order::restore(copy).expect("a valid order");
    let twice = fresh[7].clone();

    let inserts = fresh.iter().chain([&copy, &twice]).map(|order| store.insert_order(order));
    let answers = futures::future::join_all(inserts).await;
    let (fresh_answers, rest) = answers.split_at(fresh.len());
    let refused: Vec<_> = fresh_answers.iter().chain(&rest[1..]).filter(|answer| answer.is_err()).collect();
    assert!(
        matches!(refused.as_slice(), [Err(InsertOrderError::Duplicate(id))] if *id == twice.id()),
        "one of the two inserts of one new id is refused, and only it: {answers:?}"
    );
    assert!(
        matches!(&rest[0], Err(InsertOrderError::Duplicate(id)) if *id == existing.id()),
        "{:?}",
        rest[0]
    );
    for order in &fresh {
        assert_eq!(store.find_order(order.id()).await.expect("find_order").as_ref(), Some(order));
    }
    assert_eq!(store.find_order(existing.id()).await.expect("find_order"), Some(existing));
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
    let ids = |orders: Vec<Order>| orders.into_iter().map(|order| order.id()).collect::<Vec<_>>();
    let all = store.list_orders(10).await.expect("list_orders");
    assert_eq!(all[0], tied_early, "listed orders read back whole");
    assert_eq!(ids(all), [tied_early.id(), tied_late.id(), middle.id(), newest.id()]);
    assert_eq!(ids(store.list_orders(2).await.expect("list_orders")), [tied_early.id(), tied_late.id()]);
    assert!(store.list_orders(0).await.expect("list_orders").is_empty());
}

/// An order placed by a user, with catalog-linked items, reads back whole by id, by session and in both
/// lists; paying it (an event applied) changes its payment state only, never its user or items.
pub async fn an_order_with_a_user_and_catalog_items_reads_back_as_it_was_saved(harness: &impl Harness) {
    let store = harness.store();
    let user = user_id();
    let order = user_order_at(&user, OrderId::new_v7(), now());
    store.insert_order(&order).await.expect("insert_order");
    assert_eq!(store.find_order(order.id()).await.expect("find_order"), Some(order.clone()));
    assert_eq!(store.list_orders(10).await.expect("list_orders"), std::slice::from_ref(&order));
    assert_eq!(
        store.list_orders_of_user(&user, 10).await.expect("list_orders_of_user"),
        std::slice::from_ref(&order)
    );

    let session = session_id();
    attach_session(&*store, order.id(), &session, now()).await.expect("attach_checkout_session");
    let received = session_paid(&order, refs(Some(order.id()), Some(&session), Some(&payment_intent_id())));
    let outcome = record_event(&*store, &received, now()).await.expect("record_event");
    assert!(matches!(outcome, RecordOutcome::Applied { .. }), "{outcome:?}");
    let paid = order_now(harness, order.id()).await;
    assert_eq!(paid.status(), OrderStatus::Paid);
    assert_eq!((&paid.user_id(), &paid.items()), (&order.user_id(), &order.items()));
    assert_eq!(store.find_order_by_session(&session).await.expect("find_order_by_session"), Some(paid));
}

/// `list_orders_of_user` returns that user's orders only (no other user's, no guest's), newest first, ties
/// by id (descending), at most `limit`.
pub async fn a_users_orders_are_listed_newest_first_ties_by_id_up_to_the_limit(harness: &impl Harness) {
    let store = harness.store();
    let (user, other) = (user_id(), user_id());
    let t0 = now() - Duration::hours(1);
    let (a, b) = (OrderId::new_v7(), OrderId::new_v7());
    let (first_tie, second_tie) = if a.as_uuid() < b.as_uuid() { (a, b) } else { (b, a) };
    let newest = user_order_at(&user, OrderId::new_v7(), t0 + Duration::seconds(2));
    let middle = user_order_at(&user, OrderId::new_v7(), t0 + Duration::milliseconds(1));
    let tied_late = user_order_at(&user, second_tie, t0);
    let tied_early = user_order_at(&user, first_tie, t0);
    let others = user_order_at(&other, OrderId::new_v7(), t0 + Duration::seconds(3));
    let guests = order_at(OrderId::new_v7(), t0 + Duration::seconds(4));
    for order in [&tied_early, &others, &newest, &guests, &tied_late, &middle] {
        store.insert_order(order).await.expect("insert_order");
    }
    let ids = |orders: Vec<Order>| orders.into_iter().map(|order| order.id()).collect::<Vec<_>>();
    let all = store.list_orders_of_user(&user, 10).await.expect("list_orders_of_user");
    assert_eq!(all[0], newest, "listed orders read back whole");
    assert_eq!(ids(all), [newest.id(), middle.id(), tied_late.id(), tied_early.id()]);
    assert_eq!(
        ids(store.list_orders_of_user(&user, 3).await.expect("list_orders_of_user")),
        [newest.id(), middle.id(), tied_late.id()]
    );
    assert!(store.list_orders_of_user(&user, 0).await.expect("list_orders_of_user").is_empty());
    assert_eq!(ids(store.list_orders_of_user(&other, 10).await.expect("list_orders_of_user")), [others.id()]);
    assert!(store.list_orders_of_user(&user_id(), 10).await.expect("list_orders_of_user").is_empty());
}

/// A reachable store answers `ping`.
pub async fn the_store_answers_a_ping(harness: &impl Harness) {
    harness.store().ping().await.expect("ping");
}
