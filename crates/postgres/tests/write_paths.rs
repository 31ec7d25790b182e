//! Which path records a webhook event: one read and one conditional write when nothing races it (kept events
//! included), the locking transaction when the store is told to skip the first. The storage contract runs on
//! both paths and passes through the fallback either way; these tests pin down that the fast path is taken.

use payments_domain::{OrderStatus, OrderStore, ReceivedEvent, RecordOutcome};
use payments_postgres::test_support::fresh_database;
use payments_postgres::{PgStore, PgStoreOptions, WebhookWriteCounts};
use payments_store_contract::fixtures::{
    now, order, payment_intent_id, refs, refunded, session_id, session_paid,
};

async fn store(options: PgStoreOptions) -> PgStore {
    PgStore::connect_lazy(&fresh_database().await, &options).expect("a valid URL")
}

/// An order with its Checkout Session, and the event that pays it.
async fn order_and_payment(store: &PgStore) -> ReceivedEvent {
    let order = order();
    let session = session_id();
    store.insert_order(&order).await.expect("insert_order");
    store.attach_checkout_session(order.id, &session, now()).await.expect("attach_checkout_session");
    session_paid(&order, refs(Some(order.id), Some(&session), Some(&payment_intent_id())))
}

fn counts(optimistic: u64, locking: u64) -> WebhookWriteCounts {
    WebhookWriteCounts { optimistic, locking }
}

#[tokio::test]
async fn an_event_nothing_races_is_recorded_and_deduplicated_by_one_read_and_one_write() {
    let store = store(PgStoreOptions::default()).await;
    let paid = order_and_payment(&store).await;

    let recorded = store.record_event(&paid, now()).await.expect("record_event");
    assert!(matches!(recorded, RecordOutcome::Applied { adopted: 0, .. }), "{recorded:?}");
    assert_eq!(store.webhook_write_counts(), counts(1, 0));
    assert_eq!(store.record_event(&paid, now()).await.expect("record_event"), RecordOutcome::Duplicate);
    assert_eq!(store.webhook_write_counts(), counts(2, 0));
}

#[tokio::test]
async fn a_kept_event_is_kept_and_later_adopted_by_one_read_and_one_write() {
    let store = store(PgStoreOptions::default()).await;
    let order = order();
    let (session, intent) = (session_id(), payment_intent_id());
    store.insert_order(&order).await.expect("insert_order");
    store.attach_checkout_session(order.id, &session, now()).await.expect("attach_checkout_session");
    let refund = refunded(&intent, order.amount);
    assert_eq!(store.record_event(&refund, now()).await.expect("record_event"), RecordOutcome::Orphaned);

    let paid = session_paid(&order, refs(Some(order.id), Some(&session), Some(&intent)));
    let recorded = store.record_event(&paid, now()).await.expect("record_event");
    assert!(matches!(recorded, RecordOutcome::Applied { adopted: 1, .. }), "{recorded:?}");
    assert_eq!(store.webhook_write_counts(), counts(2, 0));
    let status = store.find_order(order.id).await.expect("find_order").expect("the order").status;
    assert_eq!(status, OrderStatus::Refunded);
}

#[tokio::test]
async fn without_optimistic_attempts_every_event_takes_the_locking_transaction() {
    let store = store(PgStoreOptions { optimistic_attempts: 0, ..PgStoreOptions::default() }).await;
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
