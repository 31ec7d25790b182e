//! The storage contract (`payments-store-contract`) on a fresh SQLite file per test.

use async_trait::async_trait;
use payments_domain::{CatalogStore, CustomerStore, EventId, OrderId, OrderStore, UserId};
use payments_sqlite::test_support::{fresh_database, TestDatabase};
use payments_sqlite::{SqliteStore, SqliteStoreOptions};
use payments_store_contract::{Harness, StoredEvent};
use std::sync::Arc;

struct Sqlite {
    store: SqliteStore,
    // Deletes the file when the test ends; declared after the store so it is dropped after it.
    _database: TestDatabase,
}

#[async_trait]
impl Harness for Sqlite {
    async fn fresh() -> Self {
        let database = fresh_database().await;
        let store = SqliteStore::connect(database.url(), &SqliteStoreOptions::default())
            .await
            .expect("the test database opens");
        Self { store, _database: database }
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
        let rows: Vec<(String, String, String, Option<String>)> =
            sqlx::query_as("SELECT type, payload, outcome, order_id FROM stripe_events WHERE id = ?1")
                .bind(id.as_str())
                .fetch_all(self.store.pool())
                .await
                .expect("stripe_events is readable");
        rows.into_iter()
            .map(|(event_type, payload, outcome, order_id)| StoredEvent {
                event_type,
                payload: serde_json::from_str(&payload).expect("stored payloads are JSON"),
                outcome,
                order_id: order_id.map(|id| OrderId::parse(&id).expect("stored order ids are UUIDs")),
            })
            .collect()
    }

    async fn stored_customer_ids(&self, user: &UserId) -> Vec<String> {
        sqlx::query_scalar("SELECT stripe_customer_id FROM customers WHERE user_id = ?1")
            .bind(user.as_str())
            .fetch_all(self.store.pool())
            .await
            .expect("customers is readable")
    }
}

payments_store_contract::store_contract_tests!(Sqlite);
