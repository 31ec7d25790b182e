//! What an adapter's tests provide to run the contract.

use async_trait::async_trait;
use payments_domain::{EventId, OrderId, OrderStore};
use std::sync::Arc;

/// A fresh store of one adapter, and a look at its event rows, which the port does not expose.
#[async_trait]
pub trait Harness: Send + Sync + Sized + 'static {
    /// A harness around a new, empty, migrated store of its own.
    async fn fresh() -> Self;

    /// The store under test; every call returns a handle on the same store.
    fn store(&self) -> Arc<dyn OrderStore>;

    /// Every stored row of the event `id` (the contract expects none or one), read outside the port.
    async fn stored_events(&self, id: &EventId) -> Vec<StoredEvent>;
}

/// One `stripe_events` row, as far as the contract cares.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// Stripe's type name, as received.
    pub event_type: String,
    /// The raw payload, parsed (adapters may store it as text or as JSON).
    pub payload: serde_json::Value,
    /// `applied`, `ignored`, `refused`, `orphaned` or `stored`.
    pub outcome: String,
    /// The order it was applied to.
    pub order_id: Option<OrderId>,
}
