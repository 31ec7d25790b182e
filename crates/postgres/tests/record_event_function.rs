//! `payments_record_event`, the webhook's conditional write (migrations/postgres/0003), and
//! `payments_record_events`, the same for a group of events (0004), called directly: they write only while
//! what the caller read still holds, and otherwise write nothing.

use payments_domain::{CheckoutSessionId, Order, OrderId, OrderStore};
use payments_postgres::test_support::{begin_recording, fresh_database, wait_for_a_lock_wait};
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

/// A pending order with its Checkout Session.
async fn order_with_session(store: &PgStore) -> (Order, CheckoutSessionId) {
    let (order, session) = (order(), session_id());
    store.insert_order(&order).await.expect("insert_order");
    store.attach_checkout_session(order.id, &session, now()).await.expect("attach_checkout_session");
    (order, session)
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
    let (order, session) = order_with_session(&store).await;
    let intent = payment_intent_id();
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
    let (_, session) = order_with_session(&store).await;

    let written = call(&store, Call::keep("evt_orphan", session.as_str())).await;
    assert_eq!(written, "stale");
    assert_eq!(outcome(&store, "evt_orphan").await, None);
}

#[tokio::test]
async fn a_known_event_id_is_a_duplicate_and_changes_nothing() {
    let store = store().await;
    let (order, session) = order_with_session(&store).await;
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

/// One element of a `payments_record_events` call: `event_id`, naming `session`, applied to `order` read at
/// `version`; the order becomes `status` and has the payment intent `intent`.
struct Member<'a> {
    event_id: &'a str,
    session: &'a str,
    order: OrderId,
    version: i64,
    status: &'a str,
    intent: Option<&'a str>,
}

impl<'a> Member<'a> {
    fn paid(event_id: &'a str, session: &'a str, order: OrderId, version: i64) -> Self {
        Self { event_id, session, order, version, status: "paid", intent: None }
    }
}

/// Calls `payments_record_events` for `members` on `conn`: its answers, or the SQLSTATE it raised.
async fn call_group(conn: &mut sqlx::PgConnection, members: &[Member<'_>]) -> Result<Vec<String>, String> {
    let n = members.len();
    let mut keys: Vec<i64> = (0..).take(n).collect();
    keys.sort_unstable();
    sqlx::query_scalar(
        "SELECT payments_record_events($1, $2, $3, $4, $5, $6, $7, $3, $8, $5, $9, $10, $11, $12, $6, $13, $3, \
                                       $14, $15)",
    )
    .bind(members.iter().map(|member| member.event_id).collect::<Vec<_>>())
    .bind(vec!["checkout.session.completed"; n])
    .bind(vec![now(); n])
    .bind(vec!["{}"; n])
    .bind(members.iter().map(|member| member.order.as_uuid()).collect::<Vec<_>>())
    .bind(members.iter().map(|member| member.session).collect::<Vec<_>>())
    .bind(vec![None::<&str>; n])
    .bind(keys)
    .bind(members.iter().map(|member| member.version).collect::<Vec<_>>())
    .bind(members.iter().map(|member| member.status).collect::<Vec<_>>())
    .bind(vec![None::<&str>; n])
    .bind(vec!["{}"; n])
    .bind(members.iter().map(|member| member.intent).collect::<Vec<_>>())
    .bind(vec!["applied"; n])
    .bind(vec![r#""recorded""#; n])
    .fetch_one(conn)
    .await
    .map_err(|error| match error {
        sqlx::Error::Database(error) => format!("SQLSTATE {}", error.code().unwrap_or_default()),
        other => panic!("payments_record_events did not run: {other}"),
    })
}

/// Two pending orders, each with its Checkout Session.
async fn two_orders(store: &PgStore) -> [(OrderId, String); 2] {
    let mut made = Vec::new();
    for _ in 0..2 {
        let (order, session) = order_with_session(store).await;
        made.push((order.id, session.as_str().to_owned()));
    }
    made.try_into().expect("two orders")
}

async fn group(store: &PgStore, members: &[Member<'_>]) -> Result<Vec<String>, String> {
    let mut conn = store.pool().acquire().await.expect("a connection");
    call_group(&mut conn, members).await
}

#[tokio::test]
async fn a_group_records_each_event_whose_order_is_unchanged_and_nothing_for_a_stale_one() {
    let store = store().await;
    let [(a, session_a), (b, session_b)] = two_orders(&store).await;
    let (read_a, read_b) = (version(&store, a).await, version(&store, b).await);
    sqlx::query("UPDATE orders SET updated_at = now() WHERE id = $1")
        .bind(b.as_uuid())
        .execute(store.pool())
        .await
        .expect("orders is writable");

    let members =
        [Member::paid("evt_a", &session_a, a, read_a), Member::paid("evt_b", &session_b, b, read_b)];
    assert_eq!(group(&store, &members).await, Ok(vec!["recorded".to_owned(), "stale".to_owned()]));
    assert_eq!(
        (status(&store, a).await, outcome(&store, "evt_a").await.as_deref()),
        ("paid".into(), Some("applied"))
    );
    assert_eq!((status(&store, b).await, outcome(&store, "evt_b").await), ("pending".into(), None));
}

#[tokio::test]
async fn a_group_answers_duplicate_for_an_event_recorded_since_the_read_and_writes_nothing_for_it() {
    let store = store().await;
    let [(a, session_a), (b, session_b)] = two_orders(&store).await;
    let read_a = version(&store, a).await;
    assert_eq!(
        group(&store, &[Member::paid("evt_a", &session_a, a, read_a)]).await,
        Ok(vec!["recorded".into()])
    );

    let paid_a = version(&store, a).await;
    let again = Member { status: "failed", ..Member::paid("evt_a", &session_a, a, paid_a) };
    let members = [again, Member::paid("evt_b", &session_b, b, version(&store, b).await)];
    assert_eq!(group(&store, &members).await, Ok(vec!["duplicate".to_owned(), "recorded".to_owned()]));
    assert_eq!((status(&store, a).await, version(&store, a).await), ("paid".into(), paid_a));
    assert_eq!(status(&store, b).await, "paid");
}

#[tokio::test]
async fn a_group_member_that_missed_a_kept_event_for_its_order_is_stale() {
    let store = store().await;
    let [(a, session_a), (b, session_b)] = two_orders(&store).await;
    let intent = payment_intent_id();
    let kept = refunded(&intent, usd(4900));
    store.record_event(&kept, now()).await.expect("the refund is kept");

    let missed = Member {
        intent: Some(intent.as_str()),
        ..Member::paid("evt_a", &session_a, a, version(&store, a).await)
    };
    let members = [missed, Member::paid("evt_b", &session_b, b, version(&store, b).await)];
    assert_eq!(group(&store, &members).await, Ok(vec!["stale".to_owned(), "recorded".to_owned()]));
    assert_eq!((status(&store, a).await, outcome(&store, "evt_a").await), ("pending".into(), None));
    assert_eq!(outcome(&store, kept.event.id.as_str()).await.as_deref(), Some("orphaned"));
}

#[tokio::test]
async fn an_event_committed_elsewhere_while_the_group_wrote_undoes_the_whole_group() {
    let store = store().await;
    let [(a, session_a), (b, session_b)] = two_orders(&store).await;
    let (read_a, read_b) = (version(&store, a).await, version(&store, b).await);
    // Another transaction has inserted evt_race but not committed: the group's check cannot see it.
    let other = begin_recording(store.pool(), "evt_race").await;

    let mut conn = store.pool().acquire().await.expect("a connection");
    let write = tokio::spawn(async move {
        let members =
            [Member::paid("evt_race", &session_a, a, read_a), Member::paid("evt_b", &session_b, b, read_b)];
        call_group(&mut conn, &members).await
    });
    // The group waits on evt_race's unique key once it has written both orders.
    wait_for_a_lock_wait(store.pool()).await;
    other.commit().await.expect("the other transaction commits");

    assert_eq!(write.await.expect("the call ran"), Err("SQLSTATE PY001".to_owned()));
    assert_eq!((status(&store, a).await, status(&store, b).await), ("pending".into(), "pending".into()));
    assert_eq!(outcome(&store, "evt_b").await, None);
}
