//! The webhook's write (with the outbox entries of each order change), for a group of planned changes: one
//! `BEGIN IMMEDIATE` transaction on the writer, so the group pays for one sync to disk. Writes never overlap (see `write.rs`), so each change's checks see
//! every earlier change, of this group or another, and nothing can change between a check and its write.

use crate::timestamp::timestamp;
use crate::write;
use payments_domain::Committed;
use payments_sql_store::{Change, ChangeKind, EventColumns};
use sqlx::{SqliteConnection, SqlitePool};

/// Commits `changes` in one transaction, answering for each in order (see
/// [`OrderStore::commit`](payments_domain::OrderStore::commit)). A failure undoes the whole group.
pub(crate) async fn commit(writer: &SqlitePool, changes: &[Change]) -> Result<Vec<Committed>, sqlx::Error> {
    let mut tx = write::begin(writer).await?;
    let mut answers = Vec::with_capacity(changes.len());
    for change in changes {
        answers.push(one(&mut tx, change).await?);
    }
    tx.commit().await?;
    Ok(answers)
}

async fn one(conn: &mut SqliteConnection, change: &Change) -> Result<Committed, sqlx::Error> {
    let event = change.event.as_ref();
    match change.kind {
        ChangeKind::Stored | ChangeKind::Kept => {
            let Some(event) = event else {
                return Err(sqlx::Error::Protocol("an event change without its event".to_owned()));
            };
            if insert_event(conn, change, event).await? {
                return Ok(Committed::Done);
            }
            // Not inserted: its id is recorded, or (kept) an order has an id it names.
            Ok(if is_recorded(conn, &event.id).await? { Committed::Duplicate } else { Committed::Stale })
        }
        ChangeKind::Order => write_order(conn, change).await,
    }
}

/// Inserts the event unless its id is recorded or, for a kept event, an order has an id it names; true when
/// inserted.
async fn insert_event(
    conn: &mut SqliteConnection,
    change: &Change,
    event: &EventColumns,
) -> Result<bool, sqlx::Error> {
    let order = change.order.as_ref();
    let inserted = sqlx::query(
        "INSERT INTO stripe_events (id, type, created_at, payload, event, order_ref, session_id, \
                                    payment_intent_id, order_id, outcome, effect, received_at, applied_at) \
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13 \
         WHERE ?14 = 0 OR NOT EXISTS (SELECT 1 FROM orders o \
                                      WHERE o.id = ?6 OR o.checkout_session_id = ?7 OR o.payment_intent_id = ?8) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(&event.id)
    .bind(&event.event_type)
    .bind(timestamp(event.created))
    .bind(&*event.payload)
    .bind(event.record.as_deref())
    .bind(event.order_ref.map(|id| id.to_string()))
    .bind(event.session_id.as_deref())
    .bind(event.payment_intent_id.as_deref())
    .bind(order.map(|order| order.id.to_string()))
    .bind(event.outcome.as_str())
    .bind(event.effect.as_deref())
    .bind(timestamp(change.at))
    .bind(order.map(|_| timestamp(change.at)))
    .bind(change.kind == ChangeKind::Kept)
    .execute(&mut *conn)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

async fn is_recorded(conn: &mut SqliteConnection, id: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM stripe_events WHERE id = ?1)")
        .bind(id)
        .fetch_one(conn)
        .await
}

/// An order change: checked, then the order, its event and the adopted events written.
async fn write_order(conn: &mut SqliteConnection, change: &Change) -> Result<Committed, sqlx::Error> {
    let Some(order) = change.order.as_ref() else {
        return Err(sqlx::Error::Protocol("an order change without its order".to_owned()));
    };
    let event = change.event.as_ref();
    let adopted_ids: Vec<&str> = change.adopted.iter().map(|adopted| adopted.id.as_str()).collect();
    let adopted_ids =
        serde_json::to_string(&adopted_ids).map_err(|error| sqlx::Error::Encode(Box::new(error)))?;
    let verdict: String = sqlx::query_scalar(
        "SELECT CASE \
             WHEN ?1 IS NOT NULL AND EXISTS (SELECT 1 FROM stripe_events WHERE id = ?1) THEN 'duplicate' \
             WHEN (SELECT version FROM orders WHERE id = ?2) IS NOT ?3 THEN 'stale' \
             WHEN (SELECT count(*) FROM stripe_events \
                   WHERE outcome = 'orphaned' AND id IN (SELECT value FROM json_each(?4))) <> ?5 THEN 'stale' \
             WHEN EXISTS (SELECT 1 FROM stripe_events e \
                          WHERE e.outcome = 'orphaned' \
                            AND (e.order_ref = ?2 OR e.session_id = ?6 OR e.payment_intent_id = ?7) \
                            AND e.id IS NOT ?1 AND e.id NOT IN (SELECT value FROM json_each(?4))) THEN 'stale' \
             ELSE 'holds' END",
    )
    .bind(event.map(|event| event.id.as_str()))
    .bind(order.id.to_string())
    .bind(order.version)
    .bind(adopted_ids)
    .bind(i64::try_from(change.adopted.len()).unwrap_or(i64::MAX))
    .bind(order.session_id.as_deref())
    .bind(order.payment_intent_id.as_deref())
    .fetch_one(&mut *conn)
    .await?;
    match verdict.as_str() {
        "duplicate" => return Ok(Committed::Duplicate),
        "stale" => return Ok(Committed::Stale),
        _ => {}
    }
    sqlx::query(
        "UPDATE orders SET status = ?2, failure_reason = ?3, facts = ?4, checkout_session_id = ?5, \
                           payment_intent_id = ?6, updated_at = ?7, version = version + 1 \
         WHERE id = ?1",
    )
    .bind(order.id.to_string())
    .bind(order.status)
    .bind(order.failure_reason.as_deref())
    .bind(&order.facts)
    .bind(order.session_id.as_deref())
    .bind(order.payment_intent_id.as_deref())
    .bind(timestamp(order.updated_at))
    .execute(&mut *conn)
    .await?;
    if let Some(event) = event {
        insert_event(conn, change, event).await?;
    }
    for adopted in &change.adopted {
        sqlx::query(
            "UPDATE stripe_events SET order_id = ?2, outcome = ?3, effect = ?4, applied_at = ?5, event = NULL \
             WHERE id = ?1",
        )
        .bind(&adopted.id)
        .bind(order.id.to_string())
        .bind(adopted.outcome.as_str())
        .bind(&adopted.effect)
        .bind(timestamp(change.at))
        .execute(&mut *conn)
        .await?;
    }
    crate::outbox::insert_notices(conn, order.id, change.at, &change.notices).await?;
    Ok(Committed::Done)
}
