//! The storage contract (`payments-store-contract`) on a fresh Postgres database per test, twice: with the
//! default options (one task writing groups) and with four, so that groups commit concurrently and more plans
//! go stale.

use async_trait::async_trait;
use payments_domain::{EventId, UserId};
use payments_postgres::test_support::{fresh_database, fresh_database_up_to};
use payments_postgres::{PgStore, PgStoreOptions};
use payments_store_contract::{Harness, LegacyRows};

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

/// The store, its database's URL and its mode.
struct Postgres<M>(PgStore, String, std::marker::PhantomData<M>);

#[async_trait]
impl<M: Mode + Send + Sync + 'static> Harness for Postgres<M> {
    type Store = PgStore;

    async fn fresh() -> Self {
        let url = fresh_database().await;
        let store = PgStore::connect(&url, &M::options()).await.expect("the test database URL is valid");
        Self(store, url, Default::default())
    }

    /// Migrations 0001 to 0004 wrote the domain's types as JSON.
    async fn upgraded(rows: &LegacyRows) -> Self {
        let url = fresh_database_up_to(4).await;
        let pool = sqlx::PgPool::connect(&url).await.expect("the test database opens");
        let (order, kept) = (&rows.order, &rows.kept.event);
        sqlx::query(
            "INSERT INTO orders (id, email, amount_minor, currency, status, checkout_session_id, facts, created_at, \
                                 updated_at) VALUES ($1, $2, $3, $4, 'failed', $5, $6::jsonb, $7, $8)",
        )
        .bind(order.id().as_uuid())
        .bind(order.email().as_str())
        .bind(order.amount().minor())
        .bind(order.amount().currency().as_str())
        .bind(order.checkout_session_id().map(|id| id.as_str()))
        .bind(rows.facts)
        .bind(order.created_at())
        .bind(order.updated_at())
        .execute(&pool)
        .await
        .expect("a legacy order");
        for (position, item) in (0..).zip(order.items()) {
            sqlx::query(
                "INSERT INTO order_items (order_id, position, name, unit_amount_minor, currency, quantity, image_url) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(order.id().as_uuid())
            .bind(position)
            .bind(item.name())
            .bind(item.unit_amount().minor())
            .bind(item.unit_amount().currency().as_str())
            .bind(i32::try_from(item.quantity()).expect("a small quantity"))
            .bind(item.image_url().map(|url| url.as_str()))
            .execute(&pool)
            .await
            .expect("a legacy item");
        }
        sqlx::query(
            "INSERT INTO stripe_events (id, type, created_at, payload, event, payment_intent_id, outcome, received_at) \
             VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, 'orphaned', now())",
        )
        .bind(kept.id.as_str())
        .bind(&kept.event_type)
        .bind(kept.created)
        .bind(&*rows.kept.payload)
        .bind(&rows.kept_reading)
        .bind(kept.refs.payment_intent_id.as_ref().map(|id| id.as_str()))
        .execute(&pool)
        .await
        .expect("a legacy kept event");
        pool.close().await;
        let store = PgStore::connect(&url, &M::options()).await.expect("the test database URL is valid");
        store.migrate().await.expect("the migrations apply over legacy rows");
        Self(store, url, Default::default())
    }

    fn adapter(&self) -> PgStore {
        self.0.clone()
    }

    async fn another_store(&self) -> PgStore {
        PgStore::connect(&self.1, &M::options()).await.expect("the test database URL is valid")
    }

    async fn stored_event_rows(&self, id: &EventId) -> Vec<String> {
        let sql = "SELECT json_build_object('event_type', type, 'payload', payload, 'outcome', outcome, \
                                            'order_id', order_id)::text FROM stripe_events WHERE id = $1";
        sqlx::query_scalar(sql)
            .bind(id.as_str())
            .fetch_all(self.0.pool())
            .await
            .expect("stripe_events is readable")
    }

    async fn stored_customer_ids(&self, user: &UserId) -> Vec<String> {
        let sql = "SELECT stripe_customer_id FROM customers WHERE user_id = $1";
        sqlx::query_scalar(sql)
            .bind(user.as_str())
            .fetch_all(self.0.pool())
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
