//! One transaction that needs advisory locks it may only discover halfway, retried with them up front.

use crate::error::store_error;
use crate::locks::LockSet;
use async_trait::async_trait;
use payments_domain::StoreError;
use sqlx::{PgConnection, PgPool};

/// How many times a unit of work starts again because the ids it must lock kept growing.
const MAX_ATTEMPTS: usize = 4;

/// How one attempt ended.
#[derive(Debug)]
pub(crate) enum Attempt<T> {
    /// Done: commit.
    Done(T),
    /// A lock in this set (the attempt's own plus those it found it needs) was held elsewhere: roll back and
    /// start again taking all of them first.
    Relock(LockSet),
}

/// Work done in one transaction under advisory locks (see `locks.rs`).
#[async_trait]
pub(crate) trait UnitOfWork: Sync {
    /// What the work returns.
    type Output: Send;

    /// Runs once inside a fresh transaction. It must take `locks` first (blocking), before any row lock.
    async fn attempt(
        &self,
        conn: &mut PgConnection,
        locks: &LockSet,
    ) -> Result<Attempt<Self::Output>, StoreError>;
}

/// Runs `work` in a transaction, starting again with more locks when it asks to; commits when it is done.
/// An error rolls the transaction back (sqlx rolls back a dropped transaction).
pub(crate) async fn run<W: UnitOfWork>(
    pool: &PgPool,
    work: &W,
    mut locks: LockSet,
) -> Result<W::Output, StoreError> {
    for attempt in 1..=MAX_ATTEMPTS {
        let mut tx = pool.begin().await.map_err(store_error)?;
        match work.attempt(&mut tx, &locks).await? {
            Attempt::Done(output) => {
                tx.commit().await.map_err(store_error)?;
                return Ok(output);
            }
            Attempt::Relock(more) => {
                tx.rollback().await.map_err(store_error)?;
                tracing::debug!(attempt, "another transaction holds an id this one needs; starting again");
                locks.extend(&more);
            }
        }
    }
    Err(StoreError::Unavailable("the order's ids kept changing under concurrent updates".to_owned()))
}
