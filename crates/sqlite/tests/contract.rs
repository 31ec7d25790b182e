//! The storage contract (`payments-store-contract`) on a fresh SQLite file per test.

use async_trait::async_trait;
use payments_domain::{EventId, UserId};
use payments_sqlite::test_support::{fresh_database, fresh_database_up_to, TestDatabase};
use payments_sqlite::{SqliteStore, SqliteStoreOptions};
use payments_store_contract::{Harness, LegacyRows};

/// The store, and its file (kept only to be deleted when the test ends; declared after the store so it is
/// dropped after it).
struct Sqlite(SqliteStore, TestDatabase);

#[async_trait]
impl Harness for Sqlite {
    type Store = SqliteStore;

    async fn fresh() -> Self {
        let database = fresh_database().await;
        let store = SqliteStore::connect(database.url(), &SqliteStoreOptions::default()).await;
        Self(store.expect("the test database opens"), database)
    }

    /// Migrations 0001 and 0002 wrote the domain's types as JSON.
    async fn upgraded(rows: &LegacyRows) -> Self {
        let database = fresh_database_up_to(2).await;
        let store = SqliteStore::connect(database.url(), &SqliteStoreOptions::default()).await;
        let store = store.expect("the test database opens");
        let writer = store.dialect().writer();
        let (order, kept) = (&rows.order, &rows.kept.event);
        let time =
            |at: chrono::DateTime<chrono::Utc>| at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        sqlx::query(
            "INSERT INTO orders (id, email, amount_minor, currency, status, checkout_session_id, facts, created_at, \
                                 updated_at) VALUES (?1, ?2, ?3, ?4, 'failed', ?5, ?6, ?7, ?8)",
        )
        .bind(order.id().to_string())
        .bind(order.email().as_str())
        .bind(order.amount().minor())
        .bind(order.amount().currency().as_str())
        .bind(order.checkout_session_id().map(|id| id.as_str()))
        .bind(rows.facts)
        .bind(time(order.created_at()))
        .bind(time(order.updated_at()))
        .execute(writer)
        .await
        .expect("a legacy order");
        for (position, item) in (0i64..).zip(order.items()) {
            sqlx::query(
                "INSERT INTO order_items (order_id, position, name, unit_amount_minor, currency, quantity, image_url) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .bind(order.id().to_string())
            .bind(position)
            .bind(item.name())
            .bind(item.unit_amount().minor())
            .bind(item.unit_amount().currency().as_str())
            .bind(i64::from(item.quantity()))
            .bind(item.image_url().map(|url| url.as_str()))
            .execute(writer)
            .await
            .expect("a legacy item");
        }
        sqlx::query(
            "INSERT INTO stripe_events (id, type, created_at, payload, event, payment_intent_id, outcome, received_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'orphaned', ?3)",
        )
        .bind(kept.id.as_str())
        .bind(&kept.event_type)
        .bind(time(kept.created))
        .bind(&*rows.kept.payload)
        .bind(&rows.kept_reading)
        .bind(kept.refs.payment_intent_id.as_ref().map(|id| id.as_str()))
        .execute(writer)
        .await
        .expect("a legacy kept event");
        store.migrate().await.expect("the migrations apply over legacy rows");
        Self(store, database)
    }

    fn adapter(&self) -> SqliteStore {
        self.0.clone()
    }

    async fn another_store(&self) -> SqliteStore {
        let store = SqliteStore::connect(self.1.url(), &SqliteStoreOptions::default()).await;
        store.expect("the test database opens again")
    }

    async fn stored_event_rows(&self, id: &EventId) -> Vec<String> {
        let sql = "SELECT json_object('event_type', type, 'payload', payload, 'outcome', outcome, \
                                      'order_id', order_id) FROM stripe_events WHERE id = ?1";
        sqlx::query_scalar(sql)
            .bind(id.as_str())
            .fetch_all(self.0.pool())
            .await
            .expect("stripe_events is readable")
    }

    async fn stored_customer_ids(&self, user: &UserId) -> Vec<String> {
        let sql = "SELECT stripe_customer_id FROM customers WHERE user_id = ?1";
        sqlx::query_scalar(sql)
            .bind(user.as_str())
            .fetch_all(self.0.pool())
            .await
            .expect("customers is readable")
    }
}

payments_store_contract::store_contract_tests!(Sqlite);
