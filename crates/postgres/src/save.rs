//! Writing back one unit of work: the order, if it changed, and the events applied to it.

use crate::error::store_error;
use chrono::{DateTime, Utc};
use payments_domain::{Effect, EventId, Order, PaymentEvent, StoreError};
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

impl AppliedEvent {
    /// Applies a kept `event` to `order` (in memory) and says what it did.
    pub(crate) fn adopt(order: &mut Order, event: &PaymentEvent, now: DateTime<Utc>) -> Self {
        let effect = order.apply(event, now);
        tracing::info!(event_id = %event.id, order_id = %order.id, ?effect, "kept event adopted");
        Self { id: event.id.clone(), effect }
    }
}

/// Applied events as the `stripe_events` columns they set, one array per column.
pub(crate) struct AppliedColumns<'a> {
    pub(crate) ids: Vec<&'a str>,
    pub(crate) outcomes: Vec<&'static str>,
    /// serde_json of each effect.
    pub(crate) effects: Vec<String>,
}

impl<'a> AppliedColumns<'a> {
    pub(crate) fn of(events: &'a [AppliedEvent]) -> Result<Self, StoreError> {
        Ok(Self {
            ids: events.iter().map(|event| event.id.as_str()).collect(),
            outcomes: events.iter().map(|event| outcome(&event.effect)).collect(),
            effects: events.iter().map(|event| effect_json(&event.effect)).collect::<Result<_, _>>()?,
        })
    }
}

/// serde_json of an effect, for the `stripe_events.effect` column.
pub(crate) fn effect_json(effect: &Effect) -> Result<String, StoreError> {
    serde_json::to_string(effect)
        .map_err(|error| StoreError::Unknown(anyhow::Error::new(error).context("effect not serializable")))
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
    let AppliedColumns { ids, outcomes, effects } = AppliedColumns::of(events)?;
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
