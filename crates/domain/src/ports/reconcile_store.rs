//! What reconciliation keeps between runs, and the orders it looks at.

use crate::model::order::Order;
use crate::ports::order_store::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// The reconciliation watermark and the orders still waiting for an outcome.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ReconcileStore: Send + Sync + 'static {
    /// When the last complete run started (every event created before it was fetched), if one ever did.
    /// Errors: [`StoreError::Unavailable`]; [`StoreError::Unknown`].
    async fn reconciled_through(&self) -> Result<Option<DateTime<Utc>>, StoreError>;

    /// Records that every event created before `at` has been fetched; never moves the watermark back (two
    /// runs at once leave the later one's).
    /// Errors: [`StoreError::Unavailable`]; [`StoreError::Unknown`].
    async fn set_reconciled_through(&self, at: DateTime<Utc>) -> Result<(), StoreError>;

    /// Orders still pending that were created before `before`, oldest first (ties by id), at most `limit`.
    /// Errors: [`StoreError::Unavailable`]; [`StoreError::Unknown`].
    async fn pending_orders(&self, before: DateTime<Utc>, limit: u32) -> Result<Vec<Order>, StoreError>;
}
