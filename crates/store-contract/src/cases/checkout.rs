//! What the checkout flow writes: the session opened for an order, or the failure to open one.

use super::order_now;
use crate::fixtures::{now, order, session_id};
use crate::Harness;
use chrono::Duration;
use payments_domain::{attach_session, mark_checkout_failed, OrderChangeError, OrderId, OrderStatus};

/// Attaching a session records it (and `updated_at`); the order is then found by it. Attaching the same
/// session again changes nothing.
pub async fn an_order_is_found_by_its_checkout_session_once_attached(harness: &impl Harness) {
    let store = harness.store();
    let order = order();
    let session = session_id();
    store.insert_order(&order).await.expect("insert_order");
    assert_eq!(store.find_order_by_session(&session).await.expect("find_order_by_session"), None);

    let later = now() + Duration::seconds(1);
    attach_session(&*store, order.id(), &session, later).await.expect("attach_checkout_session");
    let mut expected = order.clone();
    expected.attach_session(&session, later).expect("no session yet");
    assert_eq!(
        store.find_order_by_session(&session).await.expect("find_order_by_session"),
        Some(expected.clone())
    );
    assert_eq!(store.find_order(order.id()).await.expect("find_order"), Some(expected.clone()));

    attach_session(&*store, order.id(), &session, later + Duration::seconds(1))
        .await
        .expect("attaching the same session again");
    assert_eq!(order_now(harness, order.id()).await, expected);
}

/// An order has one Checkout Session: attaching another one fails and keeps the first.
pub async fn attaching_a_second_session_to_an_order_is_refused(harness: &impl Harness) {
    let store = harness.store();
    let order = order();
    let (first, second) = (session_id(), session_id());
    store.insert_order(&order).await.expect("insert_order");
    attach_session(&*store, order.id(), &first, now()).await.expect("attach_checkout_session");
    let refused = attach_session(&*store, order.id(), &second, now()).await;
    assert!(matches!(refused, Err(OrderChangeError::SessionConflict(_))), "{refused:?}");
    assert_eq!(order_now(harness, order.id()).await.checkout_session_id(), Some(&first));
    assert_eq!(store.find_order_by_session(&second).await.expect("find_order_by_session"), None);
}

/// Both checkout writes report [`OrderChangeError::NotFound`] for an id no order has.
pub async fn checkout_writes_to_an_unknown_order_are_not_found(harness: &impl Harness) {
    let store = harness.store();
    let id = OrderId::new_v7();
    let attached = attach_session(&*store, id, &session_id(), now()).await;
    assert!(matches!(attached, Err(OrderChangeError::NotFound(missing)) if missing == id), "{attached:?}");
    let marked = mark_checkout_failed(&*store, id, "stripe unavailable", now()).await;
    assert!(matches!(marked, Err(OrderChangeError::NotFound(missing)) if missing == id), "{marked:?}");
}

/// A checkout that could not be opened leaves the order canceled, as [`payments_domain::Order::mark_checkout_failed`]
/// says, and never payable.
pub async fn a_failed_checkout_leaves_the_order_canceled(harness: &impl Harness) {
    let store = harness.store();
    let order = order();
    store.insert_order(&order).await.expect("insert_order");
    let later = now() + Duration::seconds(1);
    mark_checkout_failed(&*store, order.id(), "stripe unavailable", later)
        .await
        .expect("mark_checkout_failed");
    let mut expected = order.clone();
    expected.mark_checkout_failed("stripe unavailable", later);
    let stored = order_now(harness, order.id()).await;
    assert_eq!(stored, expected);
    assert_eq!(stored.status(), OrderStatus::Canceled);
    assert!(!stored.status().is_payable());
}
