//! The storage contract (`payments-store-contract`) on a fresh Postgres database per test.

use async_trait::async_trait;
use payments_domain::{CatalogStore, CustomerStore, EventId, OrderId, OrderStore, UserId};
use payments_postgres::test_support::fresh_database;
use payments_postgres::{PgStore, PgStoreOptions};
use payments_store_contract::{Harness, StoredEvent};
use std::sync::Arc;

struct Postgres {
    store: PgStore,
}

#[async_trait]
impl Harness for Postgres {
    async fn fresh() -> Self {
        let url = fresh_database().await;
        let store =
            PgStore::connect_lazy(&url, &PgStoreOptions::default()).expect("the test database URL is valid");
        Self { store }
    }

    fn store(&self) -> Arc<dyn OrderStore> {
        Arc::new(self.store.clone())
    }

    fn catalog(&self) -> Arc<dyn CatalogStore> {
        Arc::new(self.store.clone())
    }

    fn customers(&self) -> Arc<dyn CustomerStore> {
        Arc::new(self.store.clone())
    }

    async fn stored_events(&self, id: &EventId) -> Vec<StoredEvent> {
        let rows: Vec<(String, serde_json::Value, String, Option<uuid::Uuid>)> =
            sqlx::query_as("SELECT type, payload, outcome, order_id FROM stripe_events WHERE id = $1")
                .bind(id.as_str())
                .fetch_all(self.store.pool())
                .await
                .expect("stripe_events is readable");
        rows.into_iter()
            .map(|(event_type, payload, outcome, order_id)| StoredEvent {
                event_type,
                payload,
                outcome,
                order_id: order_id.map(OrderId::from_uuid),
            })
            .collect()
    }

    async fn stored_customer_ids(&self, user: &UserId) -> Vec<String> {
        sqlx::query_scalar("SELECT stripe_customer_id FROM customers WHERE user_id = $1")
            .bind(user.as_str())
            .fetch_all(self.store.pool())
            .await
            .expect("customers is readable")
    }
}

payments_store_contract::store_contract_tests!(Postgres);
