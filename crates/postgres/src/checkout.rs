//! What the checkout flow writes: the session opened for an order, or the failure to open one.

use crate::adoption::adopt_orphans;
use crate::error::store_error;
use crate::locks::{lock_all, LockSet};
use crate::orders;
use crate::save::save;
use crate::unit_of_work::{run, Attempt, UnitOfWork};
use anyhow::anyhow;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use payments_domain::{CheckoutSessionId, OrderId, StoreError};
use sqlx::{PgConnection, PgPool};

/// Records `session_id` on the order (a different session already there is an error), then applies the
/// kept events that name the order or its session.
pub(crate) async fn attach_checkout_session(
    pool: &PgPool,
    id: OrderId,
    session_id: &CheckoutSessionId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let locks = LockSet::of_ids(Some(id), Some(session_id), None);
    run(pool, &AttachSession { id, session_id, now }, locks).await
}

/// Marks the order as one whose checkout could not be opened.
pub(crate) async fn mark_checkout_failed(
    pool: &PgPool,
    id: OrderId,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut tx = pool.begin().await.map_err(store_error)?;
    let mut order = orders::lock_by_id(&mut tx, id).await?.ok_or(StoreError::NotFound(id))?;
    order.mark_checkout_failed(reason, now);
    save(&mut tx, &order, true, &[], now).await?;
    tx.commit().await.map_err(store_error)
}

struct AttachSession<'a> {
    id: OrderId,
    session_id: &'a CheckoutSessionId,
    now: DateTime<Utc>,
}

#[async_trait]
impl UnitOfWork for AttachSession<'_> {
    type Output = ();

    async fn attempt(&self, conn: &mut PgConnection, locks: &LockSet) -> Result<Attempt<()>, StoreError> {
        lock_all(conn, locks).await.map_err(store_error)?;
        let mut order = orders::lock_by_id(conn, self.id).await?.ok_or(StoreError::NotFound(self.id))?;
        let before = order.clone();
        match &order.checkout_session_id {
            Some(existing) if existing != self.session_id => {
                return Err(StoreError::Unknown(anyhow!(
                    "order {} already has checkout session {existing}, not {}",
                    self.id,
                    self.session_id
                )));
            }
            Some(_) => {}
            None => {
                order.checkout_session_id = Some(self.session_id.clone());
                order.updated_at = self.now;
            }
        }
        let mut held = locks.clone();
        let adopted = match adopt_orphans(conn, &mut order, &mut held, &[], self.now).await? {
            Attempt::Done(adopted) => adopted,
            Attempt::Relock(wanted) => return Ok(Attempt::Relock(wanted)),
        };
        save(conn, &order, order != before, &adopted, self.now).await?;
        Ok(Attempt::Done(()))
    }
}
