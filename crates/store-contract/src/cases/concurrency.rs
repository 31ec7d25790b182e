//! Concurrent deliveries: what 32 webhooks in flight at once must get.

use super::{order_now, stored_once};
use crate::fixtures::{
    now, order, payment_intent_id, payment_succeeded, refs, refunded, session_id, session_paid, unknown, usd,
};
use crate::Harness;
use futures::future::{BoxFuture, FutureExt};
use payments_domain::{attach_session, record_event, OrderStatus, ReceivedEvent, RecordOutcome, StoreError};
use std::sync::Arc;
use tokio::sync::Barrier;

/// Runs every operation at once, each in its own task, released together, and returns their results in the
/// same order.
pub(super) async fn all_at_once<T: Send + 'static>(operations: Vec<BoxFuture<'static, T>>) -> Vec<T> {
    let start = Arc::new(Barrier::new(operations.len()));
    let tasks = operations.into_iter().map(|operation| {
        let start = Arc::clone(&start);
        tokio::spawn(async move {
            start.wait().await;
            operation.await
        })
    });
    futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(|joined| joined.expect("an operation panicked"))
        .collect()
}

/// Records every event in `events` at once and returns the results in the same order.
async fn record_all_at_once(
    harness: &impl Harness,
    events: Vec<ReceivedEvent>,
) -> Vec<Result<RecordOutcome, StoreError>> {
    let deliveries = events.into_iter().map(|received| {
        let store = harness.store();
        async move { record_event(&*store, &received, now()).await }.boxed()
    });
    all_at_once(deliveries.collect()).await
}

/// 32 simultaneous deliveries of one event: exactly one applies it, the others are duplicates, none fails,
/// and one row is stored.
pub async fn one_event_delivered_32_times_at_once_is_applied_once(harness: &impl Harness) {
    let store = harness.store();
    let order = order();
    let session = session_id();
    store.insert_order(&order).await.expect("insert_order");
    attach_session(&*store, order.id(), &session, now()).await.expect("attach_checkout_session");
    let received = session_paid(&order, refs(Some(order.id()), Some(&session), Some(&payment_intent_id())));

    let results = record_all_at_once(harness, vec![received.clone(); 32]).await;
    let outcomes: Vec<RecordOutcome> =
        results.into_iter().map(|result| result.expect("no delivery may fail")).collect();
    let applied = outcomes.iter().filter(|outcome| matches!(outcome, RecordOutcome::Applied { .. })).count();
    let duplicates = outcomes.iter().filter(|outcome| **outcome == RecordOutcome::Duplicate).count();
    assert_eq!((applied, duplicates), (1, 31), "{outcomes:?}");
    assert_eq!(stored_once(harness, &received.event.id).await.outcome, "applied");
    assert_eq!(order_now(harness, order.id()).await.status(), OrderStatus::Paid);
}

/// 32 distinct webhooks at once, four for each of eight orders (the paid session, the payment intent's
/// success, a partial refund naming only the payment intent, an unknown type), half of them with the
/// refund first: every one succeeds (a store must queue writers, never answer "busy"), no event is left
/// kept, and every order ends partially refunded whatever the interleaving.
pub async fn thirty_two_distinct_webhooks_at_once_all_succeed_and_converge(harness: &impl Harness) {
    let store = harness.store();
    let mut events = Vec::new();
    let mut orders = Vec::new();
    for n in 0..8 {
        let order = order();
        let (session, intent) = (session_id(), payment_intent_id());
        store.insert_order(&order).await.expect("insert_order");
        attach_session(&*store, order.id(), &session, now()).await.expect("attach_checkout_session");
        let mut four = vec![
            session_paid(&order, refs(Some(order.id()), Some(&session), Some(&intent))),
            payment_succeeded(&intent, order.amount()),
            refunded(&intent, usd(100)),
            unknown(refs(Some(order.id()), None, None)),
        ];
        if n % 2 == 1 {
            four.reverse();
        }
        events.extend(four);
        orders.push(order.id());
    }

    let results = record_all_at_once(harness, events.clone()).await;
    let failures: Vec<_> = results.iter().filter(|result| result.is_err()).collect();
    assert!(failures.is_empty(), "{} of 32 webhooks failed: {failures:?}", failures.len());
    for (received, result) in events.iter().zip(&results) {
        let outcome = result.as_ref().expect("checked above");
        assert!(!matches!(outcome, RecordOutcome::Duplicate), "{} is new: {outcome:?}", received.event.id);
        let row = stored_once(harness, &received.event.id).await;
        assert_ne!(row.outcome, "orphaned", "{} was never adopted", received.event.id);
    }
    for id in orders {
        assert_eq!(order_now(harness, id).await.status(), OrderStatus::PartiallyRefunded, "order {id}");
    }
}

/// 16 checkouts attaching their sessions while, at the same moment, the paid event of each arrives naming
/// only the session (as Stripe may send it before our attach commits): every write succeeds, whichever
/// wins, and every order ends paid, its event applied directly or kept and adopted by the attach.
pub async fn checkouts_and_their_webhooks_at_once_all_succeed_and_pay(harness: &impl Harness) {
    let store = harness.store();
    let mut operations: Vec<BoxFuture<'static, Result<(), String>>> = Vec::new();
    let mut paid = Vec::new();
    for _ in 0..16 {
        let order = order();
        let (session, intent) = (session_id(), payment_intent_id());
        store.insert_order(&order).await.expect("insert_order");
        let received = session_paid(&order, refs(None, Some(&session), Some(&intent)));
        paid.push((order.id(), received.event.id.clone()));
        let attaching = harness.store();
        operations.push(
            async move {
                attach_session(&*attaching, order.id(), &session, now()).await.map_err(|e| e.to_string())
            }
            .boxed(),
        );
        let recording = harness.store();
        operations.push(
            async move { record_event(&*recording, &received, now()).await.map(drop).map_err(|e| e.to_string()) }.boxed(),
        );
    }

    let results = all_at_once(operations).await;
    let failures: Vec<_> = results.iter().filter(|result| result.is_err()).collect();
    assert!(failures.is_empty(), "{} of 32 writes failed: {failures:?}", failures.len());
    for (id, event_id) in paid {
        assert_eq!(order_now(harness, id).await.status(), OrderStatus::Paid, "order {id}");
        let row = stored_once(harness, &event_id).await;
        assert_eq!((row.outcome.as_str(), row.order_id), ("applied", Some(id)));
    }
}
