//! What an adapter's tests provide to run the contract.

use async_trait::async_trait;
use payments_domain::{CatalogStore, CustomerStore, EventId, OrderId, OrderStore, UserId};
use std::sync::Arc;

/// A fresh store of one adapter, seen through each port it implements, and a look at rows the ports do not
/// expose.
#[async_trait]
pub trait Harness: Send + Sync + Sized + 'static {
    /// A harness around a new, empty, migrated store of its own.
    async fn fresh() -> Self;

    /// The store under test; every call returns a handle on the same store.
    fn store(&self) -> Arc<dyn OrderStore>;

    /// The same store, as the catalog port.
    fn catalog(&self) -> Arc<dyn CatalogStore>;

    /// The same store, as the port of the users' Stripe customers.
    fn customers(&self) -> Arc<dyn CustomerStore>;

    /// Every stored row of the event `id` (the contract expects none or one), read outside the port.
    async fn stored_events(&self, id: &EventId) -> Vec<StoredEvent>;

    /// The Stripe customer ids of every stored customer row of `user` (the contract expects none or one),
    /// read outside the port.
    async fn stored_customer_ids(&self, user: &UserId) -> Vec<String>;
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
