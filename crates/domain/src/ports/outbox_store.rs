//! Where outbox entries wait for delivery. They are written by [`crate::OrderStore::commit`], with the change
//! they tell of; this port claims, records and lists them.

use crate::model::outbox::{Attempt, FeedCursor, OutboxBacklog, OutboxEntry, OutboxStatus};
use crate::ports::order_store::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// The outbox: delivery state and the feed.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait OutboxStore: Send + Sync + 'static {
    /// Claims at most `limit` entries due at `now`: pending, `next_attempt_at` not after `now`, and the first
    /// pending entry of their order (so each order's entries go out in sequence). Each claimed entry's attempt
    /// count goes up by one and it is not due again before `lease_until`, so another instance (or this one,
    /// restarted) claims it again only once the lease has run out without an answer recorded. Entries another
    /// transaction is claiming are skipped, not waited for. Oldest due first.
    /// Errors: [`StoreError::Unavailable`]; [`StoreError::Unknown`].
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>, StoreError>;

    /// Records what the attempt on entry `id` did, and the endpoints that have answered 2xx so far.
    /// Errors: [`StoreError::Unavailable`]; [`StoreError::Unknown`].
    async fn record_attempt(
        &self,
        id: Uuid,
        attempt: Attempt,
        delivered_to: Vec<String>,
    ) -> Result<(), StoreError>;

    /// Entries with `status`, oldest first (ties by id), at most `limit`.
    /// Errors: [`StoreError::Unavailable`]; [`StoreError::Unknown`].
    async fn list_outbox(&self, status: OutboxStatus, limit: u32) -> Result<Vec<OutboxEntry>, StoreError>;

    /// Makes entry `id` pending again and due at `now`, to be sent to every endpoint once more (whatever its
    /// status); the entry as it now is, or `None` when there is no such entry.
    /// Errors: [`StoreError::Unavailable`]; [`StoreError::Unknown`].
    async fn redeliver(&self, id: Uuid, now: DateTime<Utc>) -> Result<Option<OutboxEntry>, StoreError>;

    /// At most `limit` entries after `after` (from the first, without one), in feed order. An entry whose
    /// transaction commits after a reader read past its place is never skipped: the feed holds back entries
    /// newer than the oldest transaction still running.
    /// Errors: [`StoreError::Unavailable`]; [`StoreError::Unknown`].
    async fn feed(&self, after: Option<FeedCursor>, limit: u32) -> Result<Vec<OutboxEntry>, StoreError>;

    /// How many entries are pending and dead, and when the oldest pending one was written (read by index:
    /// delivered entries are not counted).
    /// Errors: [`StoreError::Unavailable`]; [`StoreError::Unknown`].
    async fn backlog(&self) -> Result<OutboxBacklog, StoreError>;
}
