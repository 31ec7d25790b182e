//! Adopting kept events: orphans that name an id an order has now are applied to it.

use crate::error::store_error;
use crate::locks::{try_lock_all, LockSet};
use crate::rows::stored_event;
use crate::save::AppliedEvent;
use crate::unit_of_work::Attempt;
use chrono::{DateTime, Utc};
use payments_domain::{EventId, Order, StoreError};
use sqlx::PgConnection;

/// Applies to `order` (in memory) every orphaned event that names its id, session or payment intent,
/// oldest first (by Stripe's `created`, then id), and returns them to be marked by `save.rs`.
///
/// Before each search it holds the advisory locks for all of the order's ids, so no transaction can
/// commit an orphan naming one of them unseen; those not in `held` are only tried (they are taken after a
/// row lock), and one held elsewhere ends the attempt with [`Attempt::Relock`]. An adopted event can give
/// the order a payment intent, so the search repeats until the order's ids stop changing.
/// `skip` are events already applied in this transaction (their rows still say `orphaned`).
pub(crate) async fn adopt_orphans(
    conn: &mut PgConnection,
    order: &mut Order,
    held: &mut LockSet,
    skip: &[EventId],
    now: DateTime<Utc>,
) -> Result<Attempt<Vec<AppliedEvent>>, StoreError> {
    let mut adopted: Vec<AppliedEvent> = Vec::new();
    loop {
        let ids = LockSet::of_order(order);
        let missing = ids.without(held);
        if !try_lock_all(conn, &missing).await.map_err(store_error)? {
            let mut wanted = held.clone();
            wanted.extend(&missing);
            return Ok(Attempt::Relock(wanted));
        }
        held.extend(&missing);

        let skip: Vec<&str> =
            skip.iter().chain(adopted.iter().map(|event| &event.id)).map(|id| id.as_str()).collect();
        let orphans: Vec<(String, serde_json::Value)> = sqlx::query_as(
            "SELECT id, event FROM stripe_events \
             WHERE outcome = 'orphaned' AND id <> ALL($4) \
               AND (order_ref = $1 OR session_id = $2 OR payment_intent_id = $3) \
             ORDER BY created_at, id FOR UPDATE",
        )
        .bind(order.id.as_uuid())
        .bind(order.checkout_session_id.as_ref().map(|id| id.as_str()))
        .bind(order.payment_intent_id.as_ref().map(|id| id.as_str()))
        .bind(skip)
        .fetch_all(&mut *conn)
        .await
        .map_err(store_error)?;
        if orphans.is_empty() {
            return Ok(Attempt::Done(adopted));
        }
        for (id, event) in orphans {
            let event = stored_event(&id, event).map_err(StoreError::Unknown)?;
            adopted.push(AppliedEvent::adopt(order, &event, now));
        }
        if LockSet::of_order(order) == ids {
            return Ok(Attempt::Done(adopted));
        }
    }
}
