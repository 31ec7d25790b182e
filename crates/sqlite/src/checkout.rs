//! What the checkout flow writes: the session opened for an order, or the failure to open one.

use crate::adoption::adopt_orphans;
use crate::error::store_error;
use crate::orders;
use crate::save::update_order;
use crate::write;
use anyhow::anyhow;
use chrono::{DateTime, Utc};
use payments_domain::{CheckoutSessionId, OrderId, StoreError};
use sqlx::SqlitePool;

/// Records `session_id` on the order (a different session already there is an error), then applies the
/// kept events that name the order or its session.
pub(crate) async fn attach_checkout_session(
    writer: &SqlitePool,
    id: OrderId,
    session_id: &CheckoutSessionId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut tx = write::begin(writer).await?;
    let mut order = orders::find_by_id(&mut *tx, id).await?.ok_or(StoreError::NotFound(id))?;
    let before = order.clone();
    match &order.checkout_session_id {
        Some(existing) if existing != session_id => {
            return Err(StoreError::Unknown(anyhow!(
                "order {id} already has checkout session {existing}, not {session_id}"
            )));
        }
        Some(_) => {}
        None => {
            order.checkout_session_id = Some(session_id.clone());
            order.updated_at = now;
        }
    }
    adopt_orphans(&mut tx, &mut order, now).await?;
    if order != before {
        update_order(&mut tx, &order).await?;
    }
    tx.commit().await.map_err(store_error)
}

/// Marks the order as one whose checkout could not be opened.
pub(crate) async fn mark_checkout_failed(
    writer: &SqlitePool,
    id: OrderId,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut tx = write::begin(writer).await?;
    let mut order = orders::find_by_id(&mut *tx, id).await?.ok_or(StoreError::NotFound(id))?;
    order.mark_checkout_failed(reason, now);
    update_order(&mut tx, &order).await?;
    tx.commit().await.map_err(store_error)
}
