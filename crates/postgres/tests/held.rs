//! What only Postgres has: rows other transactions hold, and the server-side limits every connection carries.

use payments_domain::{attach_session, record_event, OrderStatus, OrderStore, RecordOutcome, StoreError};
use payments_postgres::test_support::fresh_database;
use payments_postgres::{PgStore, PgStoreOptions};
use payments_store_contract::fixtures::{now, order, payment_intent_id, refs, session_id, session_paid};
use std::time::{Duration, Instant};

async fn store() -> PgStore {
    let store = PgStore::connect(&fresh_database().await, &PgStoreOptions::default()).await;
    store.expect("the test database URL is valid")
}

/// An order another transaction holds (an operator's update, a stuck session) is not waited for: its event is
/// answered unavailable at once, so Stripe retries, and an event for another order in the same group is
/// written as usual. Once the order is released, its event is written.
#[tokio::test]
async fn an_order_held_by_another_transaction_is_not_waited_for_and_holds_up_no_other_write() {
    let store = store().await;
    let (held, free) = (order(), order());
    let mut events = Vec::new();
    for order in [&held, &free] {
        store.insert_order(order).await.expect("insert_order");
        let session = session_id();
        attach_session(&store, order.id(), &session, now()).await.expect("attach_session");
        events.push(session_paid(order, refs(Some(order.id()), Some(&session), Some(&payment_intent_id()))));
    }
    let mut holder = store.pool().begin().await.expect("a transaction");
    sqlx::query("SELECT 1 FROM orders WHERE id = $1 FOR UPDATE")
        .bind(held.id().as_uuid())
        .execute(&mut *holder)
        .await
        .expect("the row is locked");

    let started = Instant::now();
    let (on_held, on_free) =
        tokio::join!(record_event(&store, &events[0], now()), record_event(&store, &events[1], now()));
    assert!(matches!(on_held, Err(StoreError::Unavailable(_))), "{on_held:?}");
    assert!(matches!(on_free, Ok(RecordOutcome::Applied { .. })), "{on_free:?}");
    assert!(started.elapsed() < Duration::from_millis(1500), "waited {:?} for a held row", started.elapsed());
    assert_eq!(store.find_order(held.id()).await.unwrap().unwrap().status(), OrderStatus::Pending);

    holder.rollback().await.expect("released");
    let recorded = record_event(&store, &events[0], now()).await.expect("record_event");
    assert!(matches!(recorded, RecordOutcome::Applied { .. }), "{recorded:?}");
}

/// Every connection carries the statement and lock timeouts, ends a transaction left idle, and has the server
/// probe it with keepalives.
#[tokio::test]
async fn every_connection_carries_the_configured_timeouts() {
    let options = PgStoreOptions {
        statement_timeout: Duration::from_millis(4500),
        lock_timeout: Duration::from_millis(1500),
        ..PgStoreOptions::default()
    };
    let store = PgStore::connect(&fresh_database().await, &options).await.expect("a valid URL");
    let show = |name: &'static str| {
        let pool = store.pool().clone();
        async move { sqlx::query_scalar::<_, String>(&format!("SHOW {name}")).fetch_one(&pool).await.unwrap() }
    };
    assert_eq!(show("statement_timeout").await, "4500ms");
    assert_eq!(show("lock_timeout").await, "1500ms");
    assert_eq!(show("idle_in_transaction_session_timeout").await, "10s");
    assert_eq!(show("tcp_keepalives_idle").await, "30", "the server drops a vanished service's connections");
    assert_eq!(
        (show("tcp_keepalives_interval").await, show("tcp_keepalives_count").await),
        ("10".into(), "3".into())
    );
}

/// An outbox entry whose transaction commits after a later one's never falls behind a reader's cursor: while
/// an earlier transaction is still open, the feed holds back the entries committed after it began; once it
/// commits, its entry comes first, then the later one.
#[tokio::test]
async fn the_feed_never_passes_an_entry_whose_transaction_commits_late() {
    use payments_domain::{FeedCursor, OutboxStore};
    let store = store().await;
    let (early, late) = (order(), order());
    for placed in [&early, &late] {
        store.insert_order(placed).await.expect("insert_order");
    }
    // The early transaction writes its entry (as the webhook's commit would) and stays open.
    let mut open = store.pool().begin().await.expect("a transaction");
    sqlx::query(
        "INSERT INTO outbox (id, order_id, sequence, type, payload, created_at, next_attempt_at)
         VALUES (gen_random_uuid(), $1, 1, 'order.paid', '{}', now(), now())",
    )
    .bind(early.id().as_uuid())
    .execute(&mut *open)
    .await
    .expect("the early entry");
    // A later one commits first.
    let paid = session_paid(&late, refs(Some(late.id()), None, Some(&payment_intent_id())));
    record_event(&store, &paid, now()).await.expect("record_event");
    let committed: i64 =
        sqlx::query_scalar("SELECT count(*) FROM outbox").fetch_one(store.pool()).await.unwrap();
    assert_eq!(committed, 1, "the later entry is committed");
    assert!(store.feed(None, 10).await.unwrap().is_empty(), "held back while an earlier transaction runs");

    open.commit().await.expect("the early transaction commits");
    let feed = store.feed(None::<FeedCursor>, 10).await.unwrap();
    let orders: Vec<_> = feed.iter().filter_map(|entry| entry.subject.order_id()).collect();
    assert_eq!(
        orders,
        [early.id(), late.id()],
        "the entry committed late comes first, in its transaction's place"
    );
}
