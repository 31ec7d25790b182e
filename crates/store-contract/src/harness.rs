//! What an adapter's tests provide to run the contract.

use async_trait::async_trait;
use payments_domain::{
    CatalogStore, CustomerStore, EventId, OrderId, OrderStore, OutboxStore, ReconcileStore,
    SubscriptionStore, UserId,
};
use serde::Deserialize;
use std::sync::Arc;

/// A fresh store of one adapter, seen through each port it implements, and a look at rows the ports do not
/// expose.
#[async_trait]
pub trait Harness: Send + Sync + Sized + 'static {
    /// The adapter's store, serving every storage port. Cheap to clone: clones share one store.
    type Store: OrderStore
        + OutboxStore
        + ReconcileStore
        + SubscriptionStore
        + CatalogStore
        + CustomerStore
        + Clone;

    /// A harness around a new, empty, migrated store of its own.
    async fn fresh() -> Self;

    /// A harness around a new store whose database was first migrated only up to the schema before record
    /// types, given `rows` in that schema's shapes, and then migrated to the current schema.
    async fn upgraded(rows: &LegacyRows) -> Self;

    /// The store under test.
    fn adapter(&self) -> Self::Store;

    /// A second store over the same database, opened as another process (a `payments` command, another
    /// instance) would open it: it shares nothing in memory with [`Harness::adapter`].
    async fn another_store(&self) -> Self::Store;

    /// Every stored row of the event `id` (the contract expects none or one), read outside the port, each as
    /// a JSON object: `{"event_type", "payload" (the stored text), "outcome", "order_id"}`.
    async fn stored_event_rows(&self, id: &EventId) -> Vec<String>;

    /// The Stripe customer ids of every stored customer row of `user` (the contract expects none or one),
    /// read outside the port.
    async fn stored_customer_ids(&self, user: &UserId) -> Vec<String>;

    /// The store under test, as the order port.
    fn store(&self) -> Arc<dyn OrderStore> {
        Arc::new(self.adapter())
    }

    /// The same store, as the outbox port.
    fn outbox(&self) -> Arc<dyn OutboxStore> {
        Arc::new(self.adapter())
    }

    /// The same store, as reconciliation's port.
    fn reconcile(&self) -> Arc<dyn ReconcileStore> {
        Arc::new(self.adapter())
    }

    /// The same store, as the subscription port.
    fn subscriptions(&self) -> Arc<dyn SubscriptionStore> {
        Arc::new(self.adapter())
    }

    /// The same store, as the catalog port.
    fn catalog(&self) -> Arc<dyn CatalogStore> {
        Arc::new(self.adapter())
    }

    /// The same store, as the port of the users' Stripe customers.
    fn customers(&self) -> Arc<dyn CustomerStore> {
        Arc::new(self.adapter())
    }

    /// Every stored row of the event `id`, read.
    async fn stored_events(&self, id: &EventId) -> Vec<StoredEvent> {
        self.stored_event_rows(id).await.iter().map(|row| StoredEvent::parse(row)).collect()
    }

    /// The stored body of every row of the event `id`, as stored.
    async fn stored_bodies(&self, id: &EventId) -> Vec<String> {
        #[derive(Deserialize)]
        struct Row {
            payload: String,
        }
        let rows = self.stored_event_rows(id).await;
        rows.iter().map(|row| serde_json::from_str::<Row>(row).expect("an event row").payload).collect()
    }
}

/// One `stripe_events` row, as far as the contract cares.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// Stripe's type name, as received.
    pub event_type: String,
    /// The raw payload, parsed.
    pub payload: serde_json::Value,
    /// `applied`, `ignored`, `refused`, `orphaned` or `stored`.
    pub outcome: String,
    /// The order it was applied to.
    pub order_id: Option<OrderId>,
}

impl StoredEvent {
    fn parse(row: &str) -> Self {
        #[derive(Deserialize)]
        struct Row {
            event_type: String,
            payload: String,
            outcome: String,
            order_id: Option<String>,
        }
        let row: Row =
            serde_json::from_str(row).unwrap_or_else(|error| panic!("not an event row ({error}): {row}"));
        StoredEvent {
            event_type: row.event_type,
            payload: serde_json::from_str(&row.payload).expect("stored payloads are JSON"),
            outcome: row.outcome,
            order_id: row.order_id.map(|id| OrderId::parse(&id).expect("stored order ids are UUIDs")),
        }
    }
}

/// Rows as the code before record types stored them (domain types serialised straight into JSON), for
/// [`Harness::upgraded`]: an order and a kept event.
#[derive(Debug, Clone)]
pub struct LegacyRows {
    /// The order, as stored (its columns come from it, but for `facts`).
    pub order: payments_domain::Order,
    /// The `orders.facts` JSON that code wrote.
    pub facts: &'static str,
    /// A kept event: its columns come from it, but for `event`.
    pub kept: payments_domain::ReceivedEvent,
    /// The `stripe_events.event` JSON that code wrote for it.
    pub kept_reading: String,
}
