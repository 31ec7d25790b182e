//! Writing back one unit of work: the order, if it changed, and the events applied to it.

use crate::error::store_error;
use chrono::{DateTime, Utc};
use payments_domain::{Effect, EventId, Order, StoreError};
use sqlx::types::Json;
use sqlx::PgConnection;

/// An event applied to an order in this transaction, to be recorded on its row.
#[derive(Debug, Clone)]
pub(crate) struct AppliedEvent {
    /// The event.
    pub(crate) id: EventId,
    /// What it did.
    pub(crate) effect: Effect,
}

/// The `stripe_events.outcome` for an effect.
pub(crate) fn outcome(effect: &Effect) -> &'static str {
    match effect {
        Effect::Changed { .. } | Effect::Recorded => "applied",
        Effect::Ignored => "ignored",
        Effect::Refused { .. } => "refused",
    }
}

/// Saves `order` when `changed`, and marks `events` as applied to it at `now` (dropping the domain reading
/// kept for them), in one statement.
pub(crate) async fn save(
    conn: &mut PgConnection,
    order: &Order,
    changed: bool,
    events: &[AppliedEvent],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let ids: Vec<&str> = events.iter().map(|event| event.id.as_str()).collect();
    let outcomes: Vec<&str> = events.iter().map(|event| outcome(&event.effect)).collect();
    let effects = events
        .iter()
        .map(|event| serde_json::to_string(&event.effect))
        .collect::<Result<Vec<String>, _>>()
        .map_err(|error| StoreError::Unknown(anyhow::Error::new(error).context("effect not serializable")))?;
    // A data-modifying CTE runs whether or not the outer statement reads it.
    sqlx::query(
        "WITH saved_order AS ( \
             UPDATE orders SET status = $2, failure_reason = $3, facts = $4, payment_intent_id = $5, \
                               checkout_session_id = $6, updated_at = $7 \
             WHERE id = $1 AND $8) \
         UPDATE stripe_events AS e \
         SET order_id = $1, outcome = applied.outcome, effect = applied.effect::jsonb, applied_at = $9, \
             event = NULL \
         FROM unnest($10::text[], $11::text[], $12::text[]) AS applied(id, outcome, effect) \
         WHERE e.id = applied.id",
    )
    .bind(order.id.as_uuid())
    .bind(order.status.as_str())
    .bind(order.failure_reason.as_deref())
    .bind(Json(&order.facts))
    .bind(order.payment_intent_id.as_ref().map(|id| id.as_str()))
    .bind(order.checkout_session_id.as_ref().map(|id| id.as_str()))
    .bind(order.updated_at)
    .bind(changed)
    .bind(now)
    .bind(ids)
    .bind(outcomes)
    .bind(effects)
    .execute(conn)
    .await
    .map_err(store_error)?;
    Ok(())
}
