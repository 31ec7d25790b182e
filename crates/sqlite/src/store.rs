//! [`SqliteStore`]: the [`OrderStore`], [`CatalogStore`] and [`CustomerStore`] ports on one SQLite file, one
//! writer and a pool of readers.

use crate::error::store_error;
use crate::options::SqliteStoreOptions;
use crate::{catalog, checkout, customers, events, orders, MIGRATOR};
use anyhow::anyhow;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use payments_domain::{
    CatalogStore, CheckoutSessionId, Customer, CustomerStore, Order, OrderId, OrderStore, PriceKey, Product,
    ReceivedEvent, RecordOutcome, Sku, StoreError, StripePriceId, StripeProductId, UserId,
};
use sqlx::migrate::MigrateError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::str::FromStr;

/// Orders, their items, received Stripe events, the product catalog and the users' Stripe customers in a
/// SQLite file. Cheap to clone: clones share the pools.
///
/// Every write goes through one connection in a `BEGIN IMMEDIATE` transaction, so concurrent writers in
/// this process wait their turn instead of failing with "database is locked"; reads use a pool of their
/// own and, in WAL mode, never wait for the writer.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    reader: SqlitePool,
    writer: SqlitePool,
}

impl SqliteStore {
    /// Opens the database file of `database_url` (`sqlite://path/to/payments.db` or `sqlite:payments.db`, a
    /// relative path from the working directory), creating the file and its directory if missing, in WAL
    /// mode with foreign keys on and a busy timeout. It does not migrate: see [`SqliteStore::migrate`].
    ///
    /// Errors: [`StoreError::Unknown`] if the URL is not a `sqlite:` URL of a file (an in-memory database
    /// is refused: the writer and the readers would not share it) or the directory cannot be created;
    /// [`StoreError::Unavailable`] if the file cannot be opened.
    pub async fn connect(database_url: &str, options: &SqliteStoreOptions) -> Result<Self, StoreError> {
        if !database_url.starts_with("sqlite:") {
            return Err(StoreError::Unknown(anyhow!("the database URL must start with sqlite:")));
        }
        if in_memory(database_url) {
            return Err(StoreError::Unknown(anyhow!(
                "an in-memory SQLite database is not supported: name a file, e.g. sqlite://data/payments.db"
            )));
        }
        let connect = SqliteConnectOptions::from_str(database_url)
            .map_err(|error| StoreError::Unknown(anyhow!("the database URL is invalid: {error}")))?
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(options.busy_timeout);
        if let Some(dir) = connect.get_filename().parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|error| {
                StoreError::Unknown(
                    anyhow::Error::new(error)
                        .context(format!("cannot create the database directory {}", dir.display())),
                )
            })?;
        }
        // The writer opens the file first and switches it to WAL (a lasting property of the file), so the
        // readers, opened lazily afterwards, never need to. FULL syncs each commit: an acknowledged webhook
        // must survive a power cut, or Stripe would not send it again.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(options.acquire_timeout)
            .connect_with(
                connect.clone().journal_mode(SqliteJournalMode::Wal).synchronous(SqliteSynchronous::Full),
            )
            .await
            .map_err(store_error)?;
        let reader = SqlitePoolOptions::new()
            .max_connections(options.max_readers.max(1))
            .acquire_timeout(options.acquire_timeout)
            .connect_lazy_with(connect.pragma("query_only", "ON"));
        Ok(Self { reader, writer })
    }

    /// Applies the pending migrations of [`MIGRATOR`].
    /// Errors: [`StoreError::Unavailable`] if the file cannot be written now; [`StoreError::Unknown`] if a
    /// migration fails or the applied ones differ from the embedded ones.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.writer).await.map_err(|error| match error {
            MigrateError::Execute(error) => store_error(error),
            other => StoreError::Unknown(anyhow::Error::new(other).context("database migrations failed")),
        })
    }

    /// The read pool (its connections are `query_only`), for reads the port does not cover: tests, health
    /// details. Writes must go through the store, which owns the one writer.
    pub fn pool(&self) -> &SqlitePool {
        &self.reader
    }

    /// Closes every connection, waiting for those in use to be returned.
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

/// True when `database_url` names an in-memory database (`sqlite::memory:` or `mode=memory`).
fn in_memory(database_url: &str) -> bool {
    let rest = database_url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let (database, params) = rest.split_once('?').unwrap_or((rest, ""));
    database == ":memory:" || params.split('&').any(|param| param == "mode=memory")
}

#[async_trait]
impl OrderStore for SqliteStore {
    #[tracing::instrument(skip_all, fields(order_id = %order.id))]
    async fn insert_order(&self, order: &Order) -> Result<(), StoreError> {
        orders::insert(&self.writer, order).await
    }

    #[tracing::instrument(skip_all, fields(order_id = %id, session_id = %session_id))]
    async fn attach_checkout_session(
        &self,
        id: OrderId,
        session_id: &CheckoutSessionId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        checkout::attach_checkout_session(&self.writer, id, session_id, now).await
    }

    #[tracing::instrument(skip_all, fields(order_id = %id))]
    async fn mark_checkout_failed(
        &self,
        id: OrderId,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        checkout::mark_checkout_failed(&self.writer, id, reason, now).await
    }

    async fn find_order(&self, id: OrderId) -> Result<Option<Order>, StoreError> {
        orders::find_by_id(&self.reader, id).await
    }

    async fn find_order_by_session(
        &self,
        session_id: &CheckoutSessionId,
    ) -> Result<Option<Order>, StoreError> {
        orders::find_by_session(&self.reader, session_id).await
    }

    async fn list_orders(&self, limit: u32) -> Result<Vec<Order>, StoreError> {
        orders::list(&self.reader, limit).await
    }

    async fn list_orders_of_user(&self, user: &UserId, limit: u32) -> Result<Vec<Order>, StoreError> {
        orders::list_of_user(&self.reader, user, limit).await
    }

    #[tracing::instrument(skip_all, fields(event_id = %event.event.id, event_type = %event.event.event_type))]
    async fn record_event(
        &self,
        event: &ReceivedEvent,
        now: DateTime<Utc>,
    ) -> Result<RecordOutcome, StoreError> {
        events::record_event(&self.writer, event, now).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.reader).await.map_err(store_error)?;
        Ok(())
    }
}

#[async_trait]
impl CatalogStore for SqliteStore {
    #[tracing::instrument(skip_all, fields(sku = %product.sku))]
    async fn upsert_product(&self, product: &Product, now: DateTime<Utc>) -> Result<(), StoreError> {
        catalog::upsert(&self.writer, product, now).await
    }

    async fn list_products(&self) -> Result<Vec<Product>, StoreError> {
        catalog::list(&self.reader).await
    }

    #[tracing::instrument(skip_all, fields(sku = %sku, stripe_product_id = %id))]
    async fn set_stripe_product_id(&self, sku: &Sku, id: &StripeProductId) -> Result<(), StoreError> {
        catalog::set_stripe_product_id(&self.writer, sku, id).await
    }

    #[tracing::instrument(skip_all, fields(price_id = %price, stripe_price_id = %id))]
    async fn set_stripe_price_id(&self, price: &PriceKey, id: &StripePriceId) -> Result<(), StoreError> {
        catalog::set_stripe_price_id(&self.writer, price, id).await
    }
}

#[async_trait]
impl CustomerStore for SqliteStore {
    async fn find_customer(&self, user: &UserId) -> Result<Option<Customer>, StoreError> {
        customers::find(&self.reader, user).await
    }

    #[tracing::instrument(skip_all, fields(customer_id = %customer.stripe_customer_id))]
    async fn insert_customer(&self, customer: &Customer) -> Result<Customer, StoreError> {
        customers::insert(&self.writer, customer).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_memory_urls_are_recognised() {
        assert!(in_memory("sqlite::memory:"));
        assert!(in_memory("sqlite://:memory:"));
        assert!(in_memory("sqlite://payments.db?mode=memory&cache=shared"));
        assert!(!in_memory("sqlite://data/payments.db"));
        assert!(!in_memory("sqlite:payments.db?mode=rwc"));
    }

    #[tokio::test]
    async fn other_schemes_and_memory_are_refused_without_touching_disk() {
        let options = SqliteStoreOptions::default();
        for url in ["postgres://localhost/payments", "sqlite::memory:", "payments.db"] {
            let refused = SqliteStore::connect(url, &options).await;
            assert!(matches!(refused, Err(StoreError::Unknown(_))), "{url}");
        }
    }
}
