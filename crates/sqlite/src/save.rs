//! Writing back one unit of work: the events applied to an order, and the order if it changed.

use crate::error::store_error;
use crate::rows::json;
use crate::timestamp::timestamp;
use chrono::{DateTime, Utc};
use payments_domain::{Effect, EventId, Order, OrderId, StoreError};
use sqlx::SqliteConnection;

/// The `stripe_events.outcome` for an effect.
fn outcome(effect: &Effect) -> &'static str {
    match effect {
        Effect::Changed { .. } | Effect::Recorded => "applied",
        Effect::Ignored => "ignored",
        Effect::Refused { .. } => "refused",
    }
}

/// Marks the stored event `id` as applied to `order_id` at `now` with `effect`.
pub(crate) async fn mark_applied(
    conn: &mut SqliteConnection,
    order_id: OrderId,
    id: &EventId,
    effect: &Effect,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE stripe_events SET order_id = ?1, outcome = ?2, effect = ?3, applied_at = ?4 WHERE id = ?5",
    )
    .bind(order_id.to_string())
    .bind(outcome(effect))
    .bind(json(effect, "effect")?)
    .bind(timestamp(now))
    .bind(id.as_str())
    .execute(conn)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// Saves what a change can touch on `order`: status, facts, failure reason, its ids and `updated_at`.
pub(crate) async fn update_order(conn: &mut SqliteConnection, order: &Order) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE orders SET status = ?2, failure_reason = ?3, facts = ?4, payment_intent_id = ?5, \
                           checkout_session_id = ?6, updated_at = ?7 \
         WHERE id = ?1",
    )
    .bind(order.id.to_string())
    .bind(order.status.as_str())
    .bind(order.failure_reason.as_deref())
    .bind(json(&order.facts, "facts")?)
    .bind(order.payment_intent_id.as_ref().map(|id| id.as_str()))
    .bind(order.checkout_session_id.as_ref().map(|id| id.as_str()))
    .bind(timestamp(order.updated_at))
    .execute(conn)
    .await
    .map_err(store_error)?;
    Ok(())
}
