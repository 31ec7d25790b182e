//! Recording a Stripe event and applying it to its order: the webhook's hot path, one write transaction.

use crate::adoption::adopt_orphans;
use crate::error::store_error;
use crate::orders;
use crate::rows::json;
use crate::save::{mark_applied, update_order};
use crate::timestamp::timestamp;
use crate::write;
use chrono::{DateTime, Utc};
use payments_domain::{ReceivedEvent, RecordOutcome, StoreError};
use sqlx::{SqliteConnection, SqlitePool};

/// Records `received` and applies it (see [`OrderStore::record_event`](payments_domain::OrderStore)).
/// Nothing is written unless the whole transaction commits.
pub(crate) async fn record_event(
    writer: &SqlitePool,
    received: &ReceivedEvent,
    now: DateTime<Utc>,
) -> Result<RecordOutcome, StoreError> {
    let event = &received.event;
    let affects_orders = event.kind.affects_orders();
    let mut tx = write::begin(writer).await?;
    // Stored as an orphan until it is applied below, so "no order" needs no second write.
    let outcome = if affects_orders { "orphaned" } else { "stored" };
    if !insert(&mut tx, received, outcome, now).await? {
        tx.rollback().await.map_err(store_error)?;
        return Ok(RecordOutcome::Duplicate);
    }
    let recorded = match affects_orders {
        false => RecordOutcome::Stored,
        true => apply(&mut tx, received, now).await?,
    };
    tx.commit().await.map_err(store_error)?;
    Ok(recorded)
}

/// Applies the just inserted event to the order it names, with the kept events that order can now adopt.
async fn apply(
    conn: &mut SqliteConnection,
    received: &ReceivedEvent,
    now: DateTime<Utc>,
) -> Result<RecordOutcome, StoreError> {
    let event = &received.event;
    let Some(mut order) = orders::find_for_event(conn, &event.refs).await? else {
        tracing::info!(event_id = %event.id, "no order is known for the event yet: kept");
        return Ok(RecordOutcome::Orphaned);
    };
    let before = order.clone();
    let effect = order.apply(event, now);
    mark_applied(conn, order.id, &event.id, &effect, now).await?;
    let adopted = adopt_orphans(conn, &mut order, now).await?;
    if order != before {
        update_order(conn, &order).await?;
    }
    Ok(RecordOutcome::Applied { order_id: order.id, effect, adopted })
}

/// Inserts the event row unless its id is known (false then). Writes are serialized, so a concurrent
/// delivery of the same id sees this row once this transaction commits, and nothing before.
async fn insert(
    conn: &mut SqliteConnection,
    received: &ReceivedEvent,
    outcome: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let event = &received.event;
    let inserted = sqlx::query(
        "INSERT INTO stripe_events (id, type, created_at, payload, event, order_ref, session_id, \
                                    payment_intent_id, outcome, received_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(event.id.as_str())
    .bind(&event.event_type)
    .bind(timestamp(event.created))
    .bind(&received.payload)
    .bind(json(event, "event")?)
    .bind(event.refs.order_id.map(|id| id.to_string()))
    .bind(event.refs.session_id.as_ref().map(|id| id.as_str()))
    .bind(event.refs.payment_intent_id.as_ref().map(|id| id.as_str()))
    .bind(outcome)
    .bind(timestamp(now))
    .execute(conn)
    .await
    .map_err(store_error)?;
    Ok(inserted.rows_affected() == 1)
}
