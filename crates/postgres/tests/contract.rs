//! The storage contract (`payments-store-contract`) on a fresh Postgres database per test, twice: with the
//! default options (one task writing groups) and with four, so that groups commit
//! concurrently and more plans go stale.

use async_trait::async_trait;
use payments_domain::{CatalogStore, CustomerStore, EventId, OrderId, OrderStore, UserId};
use payments_postgres::test_support::fresh_database;
use payments_postgres::{PgStore, PgStoreOptions};
use payments_store_contract::{Harness, StoredEvent};
use std::sync::Arc;

/// How the harness's store is configured.
trait Mode {
    fn options() -> PgStoreOptions;
}

/// The defaults.
struct Defaults;

impl Mode for Defaults {
    fn options() -> PgStoreOptions {
        PgStoreOptions::default()
    }
}

/// Four groups written at once.
struct FourWriters;

impl Mode for FourWriters {
    fn options() -> PgStoreOptions {
        PgStoreOptions { group_writers: 4, ..PgStoreOptions::default() }
    }
}

struct Postgres<M> {
    store: PgStore,
    mode: std::marker::PhantomData<M>,
}

#[async_trait]
impl<M: Mode + Send + Sync + 'static> Harness for Postgres<M> {
    async fn fresh() -> Self {
        let url = fresh_database().await;
        let store = PgStore::connect(&url, &M::options()).await.expect("the test database URL is valid");
        Self { store, mode: std::marker::PhantomData }
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
        let rows: Vec<(String, String, String, Option<uuid::Uuid>)> =
            sqlx::query_as("SELECT type, payload, outcome, order_id FROM stripe_events WHERE id = $1")
                .bind(id.as_str())
                .fetch_all(self.store.pool())
                .await
                .expect("stripe_events is readable");
        rows.into_iter()
            .map(|(event_type, payload, outcome, order_id)| StoredEvent {
                event_type,
                payload: serde_json::from_str(&payload).expect("stored payloads are JSON"),
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

mod defaults {
    payments_store_contract::store_contract_tests!(super::Postgres<super::Defaults>);
}

mod four_writers {
    payments_store_contract::store_contract_tests!(super::Postgres<super::FourWriters>);
}
