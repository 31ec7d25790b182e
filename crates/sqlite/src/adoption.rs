//! Adopting kept events: orphans that name an id an order has now are applied to it.

use crate::error::store_error;
use crate::rows::stored_event;
use crate::save::mark_applied;
use chrono::{DateTime, Utc};
use payments_domain::{Order, StoreError};
use sqlx::SqliteConnection;

/// Applies to `order` (in memory) every orphaned event that names its id, session or payment intent,
/// oldest first (by Stripe's `created`, then id), marks each applied, and returns how many there were.
/// The caller saves the order.
///
/// It runs inside a write transaction, and writes never overlap (see `write.rs`), so no orphan naming one
/// of the order's ids can be committed unseen while it looks. An adopted event can give the order a payment
/// intent, so the search repeats until the order's ids stop changing.
pub(crate) async fn adopt_orphans(
    conn: &mut SqliteConnection,
    order: &mut Order,
    now: DateTime<Utc>,
) -> Result<u32, StoreError> {
    let mut adopted = 0u32;
    loop {
        let ids = (order.checkout_session_id.clone(), order.payment_intent_id.clone());
        // One indexed search per id (a single OR over the three would scan every kept event).
        let orphans: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT id, event, created_at FROM stripe_events WHERE outcome = 'orphaned' AND order_ref = ?1 \
             UNION SELECT id, event, created_at FROM stripe_events WHERE outcome = 'orphaned' AND session_id = ?2 \
             UNION SELECT id, event, created_at FROM stripe_events \
                   WHERE outcome = 'orphaned' AND payment_intent_id = ?3 \
             ORDER BY created_at, id",
        )
        .bind(order.id.to_string())
        .bind(order.checkout_session_id.as_ref().map(|id| id.as_str()))
        .bind(order.payment_intent_id.as_ref().map(|id| id.as_str()))
        .fetch_all(&mut *conn)
        .await
        .map_err(store_error)?;
        if orphans.is_empty() {
            return Ok(adopted);
        }
        for (id, event, _created_at) in orphans {
            let event = stored_event(&id, &event).map_err(StoreError::Unknown)?;
            let effect = order.apply(&event, now);
            tracing::info!(event_id = %event.id, order_id = %order.id, ?effect, "kept event adopted");
            mark_applied(conn, order.id, &event.id, &effect, now).await?;
            adopted = adopted.saturating_add(1);
        }
        if (order.checkout_session_id.clone(), order.payment_intent_id.clone()) == ids {
            return Ok(adopted);
        }
    }
}
