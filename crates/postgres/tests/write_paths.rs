//! Which path records a webhook event: together with the other events delivered at the same moment (the
//! default), else one read and one conditional write when nothing races it (kept events included), else the
//! locking transaction. The storage contract runs on all three and passes through the fallbacks either way;
//! these tests pin down that the fast paths are taken.

use futures::future::join_all;
use payments_domain::{
    CheckoutSessionId, Order, OrderId, OrderStatus, OrderStore, ReceivedEvent, RecordOutcome,
};
use payments_postgres::test_support::{begin_recording, fresh_database, wait_for_a_lock_wait};
use payments_postgres::{PgStore, PgStoreOptions, WebhookWriteCounts};
use payments_store_contract::fixtures::{
    now, order, payment_intent_id, refs, refunded, session_id, session_paid,
};

async fn store(options: PgStoreOptions) -> PgStore {
    PgStore::connect_lazy(&fresh_database().await, &options).expect("a valid URL")
}

/// A pending order with its Checkout Session.
async fn order_with_session(store: &PgStore) -> (Order, CheckoutSessionId) {
    let (order, session) = (order(), session_id());
    store.insert_order(&order).await.expect("insert_order");
    store.attach_checkout_session(order.id, &session, now()).await.expect("attach_checkout_session");
    (order, session)
}

/// An order with its Checkout Session, and the event that pays it.
async fn order_and_payment(store: &PgStore) -> ReceivedEvent {
    let (order, session) = order_with_session(store).await;
    session_paid(&order, refs(Some(order.id), Some(&session), Some(&payment_intent_id())))
}

/// An order with its Checkout Session, the event that pays it, and a full refund naming only its payment
/// intent; and the order's id.
async fn payment_and_refund(store: &PgStore) -> (ReceivedEvent, ReceivedEvent, OrderId) {
    let paid = order_and_payment(store).await;
    let order_id = paid.event.refs.order_id.expect("the payment names its order");
    let intent = paid.event.refs.payment_intent_id.clone().expect("the payment names its payment intent");
    // In full: the fixtures' orders are all of one amount.
    let refund = refunded(&intent, order().amount);
    (paid, refund, order_id)
}

async fn status(store: &PgStore, id: OrderId) -> OrderStatus {
    store.find_order(id).await.expect("find_order").expect("the order").status
}

/// The outcomes of the recorded events, sorted.
async fn outcomes(store: &PgStore) -> Vec<String> {
    sqlx::query_scalar("SELECT outcome FROM stripe_events ORDER BY outcome")
        .fetch_all(store.pool())
        .await
        .expect("stripe_events is readable")
}

fn counts(optimistic: u64, locking: u64) -> WebhookWriteCounts {
    WebhookWriteCounts { grouped: 0, group_writes: 0, optimistic, locking }
}

/// Every event written on its own.
fn one_by_one() -> PgStoreOptions {
    PgStoreOptions { group_writers: 0, ..PgStoreOptions::default() }
}

#[tokio::test]
async fn an_event_nothing_races_is_recorded_and_deduplicated_by_one_read_and_one_write() {
    let store = store(one_by_one()).await;
    let paid = order_and_payment(&store).await;

    let recorded = store.record_event(&paid, now()).await.expect("record_event");
    assert!(matches!(recorded, RecordOutcome::Applied { adopted: 0, .. }), "{recorded:?}");
    assert_eq!(store.webhook_write_counts(), counts(1, 0));
    assert_eq!(store.record_event(&paid, now()).await.expect("record_event"), RecordOutcome::Duplicate);
    assert_eq!(store.webhook_write_counts(), counts(2, 0));
}

#[tokio::test]
async fn a_kept_event_is_kept_and_later_adopted_by_one_read_and_one_write() {
    let store = store(one_by_one()).await;
    let (order, session) = order_with_session(&store).await;
    let intent = payment_intent_id();
    let refund = refunded(&intent, order.amount);
    assert_eq!(store.record_event(&refund, now()).await.expect("record_event"), RecordOutcome::Orphaned);

    let paid = session_paid(&order, refs(Some(order.id), Some(&session), Some(&intent)));
    let recorded = store.record_event(&paid, now()).await.expect("record_event");
    assert!(matches!(recorded, RecordOutcome::Applied { adopted: 1, .. }), "{recorded:?}");
    assert_eq!(store.webhook_write_counts(), counts(2, 0));
    assert_eq!(status(&store, order.id).await, OrderStatus::Refunded);
}

#[tokio::test]
async fn without_optimistic_attempts_every_event_takes_the_locking_transaction() {
    let store = store(PgStoreOptions { optimistic_attempts: 0, ..one_by_one() }).await;
    let paid = order_and_payment(&store).await;

    let recorded = store.record_event(&paid, now()).await.expect("record_event");
    assert!(matches!(recorded, RecordOutcome::Applied { adopted: 0, .. }), "{recorded:?}");
    assert_eq!(store.webhook_write_counts(), counts(0, 1));
    // That path stores the event as kept first; once applied, its domain reading goes, as on the other path.
    let reading: Option<serde_json::Value> =
        sqlx::query_scalar("SELECT event FROM stripe_events WHERE id = $1")
            .bind(paid.event.id.as_str())
            .fetch_one(store.pool())
            .await
            .expect("stripe_events is readable");
    assert_eq!(reading, None);
}

#[tokio::test]
async fn events_delivered_at_the_same_moment_are_written_together_and_deduplicated_together() {
    let store = store(PgStoreOptions::default()).await;
    let mut events = Vec::new();
    for _ in 0..20 {
        events.push(order_and_payment(&store).await);
    }

    let recorded = join_all(events.iter().map(|event| store.record_event(event, now()))).await;
    for outcome in recorded {
        let outcome = outcome.expect("record_event");
        assert!(matches!(outcome, RecordOutcome::Applied { adopted: 0, .. }), "{outcome:?}");
    }
    let counts = store.webhook_write_counts();
    assert_eq!((counts.grouped, counts.optimistic, counts.locking), (20, 0, 0));
    assert!(counts.group_writes < 20, "20 events in {} writes", counts.group_writes);
    let paid = store.list_orders(100).await.expect("list_orders");
    assert!(paid.iter().all(|order| order.status == OrderStatus::Paid), "{paid:?}");

    let again = join_all(events.iter().map(|event| store.record_event(event, now()))).await;
    assert!(again.into_iter().all(|outcome| outcome.expect("record_event") == RecordOutcome::Duplicate));
    assert_eq!(store.webhook_write_counts().grouped, 40);
    assert_eq!(outcomes(&store).await, vec!["applied"; 20]);
}

#[tokio::test]
async fn events_for_one_order_delivered_together_are_all_applied() {
    let store = store(PgStoreOptions::default()).await;
    let (paid, refund, order_id) = payment_and_refund(&store).await;

    let (first, second) = tokio::join!(store.record_event(&paid, now()), store.record_event(&refund, now()));
    let (first, second) = (first.expect("record_event"), second.expect("record_event"));
    assert!(matches!(first, RecordOutcome::Applied { .. }), "{first:?}");
    // The refund names only the payment intent, which the order learns from the payment: kept, or applied.
    assert!(matches!(second, RecordOutcome::Applied { .. } | RecordOutcome::Orphaned), "{second:?}");
    assert_eq!(status(&store, order_id).await, OrderStatus::Refunded);
    assert_eq!(outcomes(&store).await, ["applied", "applied"]);
}

#[tokio::test]
async fn two_events_for_one_order_delivered_together_are_applied_one_after_the_other() {
    let store = store(PgStoreOptions::default()).await;
    let (paid, refund, order_id) = payment_and_refund(&store).await;
    let intent = paid.event.refs.payment_intent_id.as_ref().expect("the payment names its payment intent");
    // The order knows its payment intent already, so the refund finds it too: both read the pending order.
    sqlx::query("UPDATE orders SET payment_intent_id = $2 WHERE id = $1")
        .bind(order_id.as_uuid())
        .bind(intent.as_str())
        .execute(store.pool())
        .await
        .expect("orders is writable");

    let (refunded, paid) = tokio::join!(store.record_event(&refund, now()), store.record_event(&paid, now()));
    for outcome in [refunded.expect("record_event"), paid.expect("record_event")] {
        assert!(matches!(outcome, RecordOutcome::Applied { .. }), "{outcome:?}");
    }
    // One was written in a group; the other, for the same order, was read again after it and written alone.
    assert_eq!(
        store.webhook_write_counts(),
        WebhookWriteCounts { grouped: 1, group_writes: 1, ..counts(1, 0) }
    );
    assert_eq!(status(&store, order_id).await, OrderStatus::Refunded);
    assert_eq!(outcomes(&store).await, ["applied", "applied"]);
}

#[tokio::test]
async fn when_a_group_write_is_undone_each_of_its_events_is_written_on_its_own() {
    let store = store(PgStoreOptions::default()).await;
    let (first, second) = (order_and_payment(&store).await, order_and_payment(&store).await);
    // Another transaction has inserted the first event's id but not committed: the group's read and its check
    // cannot see it, so the group writes both orders, then waits on that id's unique key.
    let other = begin_recording(store.pool(), first.event.id.as_str()).await;

    let recording = {
        let store = store.clone();
        let (first, second) = (first.clone(), second.clone());
        tokio::spawn(async move {
            tokio::join!(store.record_event(&first, now()), store.record_event(&second, now()))
        })
    };
    wait_for_a_lock_wait(store.pool()).await;
    other.commit().await.expect("the other transaction commits");

    let (first_outcome, second_outcome) = recording.await.expect("recording ran");
    assert_eq!(first_outcome.expect("record_event"), RecordOutcome::Duplicate);
    let second_outcome = second_outcome.expect("record_event");
    assert!(matches!(second_outcome, RecordOutcome::Applied { .. }), "{second_outcome:?}");
    // Undone as a group, then each read and written on its own.
    assert_eq!(store.webhook_write_counts(), counts(2, 0));
    let paid = |event: &ReceivedEvent| event.event.refs.order_id.expect("the payment names its order");
    assert_eq!(status(&store, paid(&first)).await, OrderStatus::Pending);
    assert_eq!(status(&store, paid(&second)).await, OrderStatus::Paid);
}
