//! `payments_record_event`, the webhook's conditional write (migrations/postgres/0003), called directly: it
//! writes only while what the caller read still holds, and otherwise writes nothing.

use payments_domain::{OrderId, OrderStore};
use payments_postgres::test_support::fresh_database;
use payments_postgres::{PgStore, PgStoreOptions};
use payments_store_contract::fixtures::{now, order, payment_intent_id, refunded, session_id, usd};
use uuid::Uuid;

/// The arguments the tests vary; the rest are fixed.
struct Call<'a> {
    event_id: &'a str,
    event_session_id: Option<&'a str>,
    order_id: Option<Uuid>,
    order_version: Option<i64>,
    status: &'a str,
    order_session_id: Option<&'a str>,
    order_payment_intent_id: Option<&'a str>,
    adopted: Vec<&'a str>,
}

/// What the function returned, or the SQLSTATE it raised.
impl<'a> Call<'a> {
    /// Keep `event_id`, naming `session`, as an orphan.
    fn keep(event_id: &'a str, session: &'a str) -> Self {
        Self {
            event_id,
            event_session_id: Some(session),
            order_id: None,
            order_version: None,
            status: "paid",
            order_session_id: None,
            order_payment_intent_id: None,
            adopted: vec![],
        }
    }

    /// Apply `event_id`, naming `session`, to `order` read at `version`: the order becomes paid.
    fn apply(event_id: &'a str, session: &'a str, order: OrderId, version: i64) -> Self {
        Self {
            order_id: Some(order.as_uuid()),
            order_version: Some(version),
            order_session_id: Some(session),
            ..Self::keep(event_id, session)
        }
    }
}

async fn call(store: &PgStore, call: Call<'_>) -> String {
    let adopted_outcomes = vec!["applied"; call.adopted.len()];
    let adopted_effects = vec![r#""recorded""#; call.adopted.len()];
    sqlx::query_scalar(
        "SELECT payments_record_event($1, 'checkout.session.completed', now(), '{}'::jsonb, '{}'::jsonb, \
                $2, $3, NULL, now(), '{}'::bigint[], $2, $4, $5, NULL, '{}'::jsonb, $6, $7, now(), \
                'applied', '\"recorded\"'::jsonb, $8, $9, $10)",
    )
    .bind(call.event_id)
    .bind(call.order_id)
    .bind(call.event_session_id)
    .bind(call.order_version)
    .bind(call.status)
    .bind(call.order_session_id)
    .bind(call.order_payment_intent_id)
    .bind(call.adopted)
    .bind(adopted_outcomes)
    .bind(adopted_effects)
    .fetch_one(store.pool())
    .await
    .unwrap_or_else(|error| match error {
        sqlx::Error::Database(error) => format!("SQLSTATE {}", error.code().unwrap_or_default()),
        other => panic!("payments_record_event did not run: {other}"),
    })
}

async fn store() -> PgStore {
    PgStore::connect_lazy(&fresh_database().await, &PgStoreOptions::default()).expect("a valid URL")
}

async fn version(store: &PgStore, id: OrderId) -> i64 {
    sqlx::query_scalar("SELECT xmin::text::bigint FROM orders WHERE id = $1")
        .bind(id.as_uuid())
        .fetch_one(store.pool())
        .await
        .expect("the order exists")
}

async fn status(store: &PgStore, id: OrderId) -> String {
    sqlx::query_scalar("SELECT status FROM orders WHERE id = $1")
        .bind(id.as_uuid())
        .fetch_one(store.pool())
        .await
        .expect("the order exists")
}

async fn outcome(store: &PgStore, event_id: &str) -> Option<String> {
    sqlx::query_scalar("SELECT outcome FROM stripe_events WHERE id = $1")
        .bind(event_id)
        .fetch_optional(store.pool())
        .await
        .expect("stripe_events is readable")
}

#[tokio::test]
async fn a_write_over_an_order_changed_since_the_read_is_stale_and_writes_nothing() {
    let store = store().await;
    let order = order();
    store.insert_order(&order).await.expect("insert_order");
    let read = version(&store, order.id).await;
    let session = session_id();
    store.attach_checkout_session(order.id, &session, now()).await.expect("attach_checkout_session");
    assert_ne!(version(&store, order.id).await, read, "an update gives the row a new version");

    let written = call(&store, Call::apply("evt_stale", session.as_str(), order.id, read)).await;
    assert_eq!(written, "stale");
    assert_eq!(outcome(&store, "evt_stale").await, None);
    assert_eq!(status(&store, order.id).await, "pending");
}

#[tokio::test]
async fn a_write_that_missed_a_kept_event_for_the_order_is_stale_and_one_that_adopts_it_is_recorded() {
    let store = store().await;
    let order = order();
    let session = session_id();
    let intent = payment_intent_id();
    store.insert_order(&order).await.expect("insert_order");
    store.attach_checkout_session(order.id, &session, now()).await.expect("attach_checkout_session");
    let kept = refunded(&intent, usd(4900));
    store.record_event(&kept, now()).await.expect("the refund is kept");
    assert_eq!(outcome(&store, kept.event.id.as_str()).await.as_deref(), Some("orphaned"));

    let read = version(&store, order.id).await;
    let attempt = |event_id, adopted| Call {
        order_payment_intent_id: Some(intent.as_str()),
        adopted,
        ..Call::apply(event_id, session.as_str(), order.id, read)
    };
    assert_eq!(call(&store, attempt("evt_paid", vec![])).await, "stale");
    assert_eq!(outcome(&store, "evt_paid").await, None);
    assert_eq!(outcome(&store, kept.event.id.as_str()).await.as_deref(), Some("orphaned"));

    assert_eq!(call(&store, attempt("evt_paid", vec![kept.event.id.as_str()])).await, "recorded");
    assert_eq!(outcome(&store, "evt_paid").await.as_deref(), Some("applied"));
    assert_eq!(outcome(&store, kept.event.id.as_str()).await.as_deref(), Some("applied"));
    assert_eq!(status(&store, order.id).await, "paid");
    // The domain reading is kept only while an event is kept.
    let readings: Vec<bool> = sqlx::query_scalar("SELECT event IS NOT NULL FROM stripe_events ORDER BY id")
        .fetch_all(store.pool())
        .await
        .expect("stripe_events is readable");
    assert_eq!(readings, vec![false, false]);
}

#[tokio::test]
async fn keeping_an_event_that_an_order_now_matches_is_stale_and_writes_nothing() {
    let store = store().await;
    let order = order();
    let session = session_id();
    store.insert_order(&order).await.expect("insert_order");
    store.attach_checkout_session(order.id, &session, now()).await.expect("attach_checkout_session");

    let written = call(&store, Call::keep("evt_orphan", session.as_str())).await;
    assert_eq!(written, "stale");
    assert_eq!(outcome(&store, "evt_orphan").await, None);
}

#[tokio::test]
async fn a_known_event_id_is_a_duplicate_and_changes_nothing() {
    let store = store().await;
    let order = order();
    let session = session_id();
    store.insert_order(&order).await.expect("insert_order");
    store.attach_checkout_session(order.id, &session, now()).await.expect("attach_checkout_session");
    let attempt =
        |version, status| Call { status, ..Call::apply("evt_once", session.as_str(), order.id, version) };

    assert_eq!(call(&store, attempt(version(&store, order.id).await, "paid")).await, "recorded");
    let paid = version(&store, order.id).await;
    // Found only after the order's update: raised, so the update is undone with the statement.
    assert_eq!(call(&store, attempt(paid, "failed")).await, "SQLSTATE PY001");
    assert_eq!(status(&store, order.id).await, "paid");
    assert_eq!(version(&store, order.id).await, paid);
}

#[tokio::test]
async fn keeping_a_known_event_id_again_is_a_duplicate() {
    let store = store().await;
    let orphan = |event_id| Call::keep(event_id, "cs_test_nobody");
    assert_eq!(call(&store, orphan("evt_kept")).await, "recorded");
    assert_eq!(outcome(&store, "evt_kept").await.as_deref(), Some("orphaned"));
    let reading: Option<serde_json::Value> =
        sqlx::query_scalar("SELECT event FROM stripe_events WHERE id = 'evt_kept'")
            .fetch_one(store.pool())
            .await
            .expect("stripe_events is readable");
    assert_eq!(reading, Some(serde_json::json!({})), "a kept event keeps its domain reading");
    assert_eq!(call(&store, orphan("evt_kept")).await, "duplicate");
}
