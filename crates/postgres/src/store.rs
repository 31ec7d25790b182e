//! [`PgStore`]: the [`OrderStore`], [`CatalogStore`] and [`CustomerStore`] ports on a Postgres connection
//! pool.

use crate::batch::Batcher;
use crate::error::store_error;
use crate::events::Single;
use crate::options::PgStoreOptions;
use crate::{catalog, checkout, customers, orders, MIGRATOR};
use anyhow::anyhow;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use payments_domain::{
    CatalogStore, CheckoutSessionId, Customer, CustomerStore, Order, OrderId, OrderStore, PriceKey, Product,
    ReceivedEvent, RecordOutcome, Sku, StoreError, StripePriceId, StripeProductId, UserId,
};
use sqlx::migrate::MigrateError;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::str::FromStr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Orders, their items, received Stripe events, the product catalog and the users' Stripe customers in
/// Postgres. Cheap to clone: clones share one pool.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    single: Single,
    /// `None` when events are written one by one.
    batcher: Option<Arc<Batcher>>,
}

/// How many webhook events that affect orders this store (and its clones) recorded by each path, since it was
/// created: in a group write with other events, alone by one read and one conditional write, or by the
/// locking transaction that falls back to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookWriteCounts {
    /// Recorded (or found to be duplicates) together with other concurrent events, in one read and one
    /// write.
    pub grouped: u64,
    /// How many group writes carried those (fewer than `grouped` when events arrive together).
    pub group_writes: u64,
    /// Recorded (or found to be duplicates) by one read and one conditional write.
    pub optimistic: u64,
    /// Recorded (or found to be duplicates) by the locking transaction.
    pub locking: u64,
}

impl PgStore {
    /// A store whose pool connects on first use, so the service starts while the database is down and
    /// reports [`StoreError::Unavailable`] until it is back.
    ///
    /// Errors: [`StoreError::Unknown`] if `database_url` is not a `postgres://` URL; the message never
    /// repeats the URL, so never its password.
    pub fn connect_lazy(database_url: &str, options: &PgStoreOptions) -> Result<Self, StoreError> {
        let scheme_ok =
            ["postgres://", "postgresql://"].iter().any(|scheme| database_url.starts_with(scheme));
        if !scheme_ok {
            return Err(StoreError::Unknown(anyhow!(
                "the database URL must start with postgres:// or postgresql://"
            )));
        }
        // sqlx's parse errors describe the fault (a bad port, an unknown sslmode) without quoting the URL.
        let connect = PgConnectOptions::from_str(database_url)
            .map_err(|error| StoreError::Unknown(anyhow!("the database URL is invalid: {error}")))?;
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(options.acquire_timeout)
            .connect_lazy_with(connect);
        let single = Single {
            pool: pool.clone(),
            optimistic_attempts: options.optimistic_attempts,
            counts: Arc::default(),
        };
        let batcher = (options.group_writers > 0).then(|| Arc::new(Batcher::new(options.group_writers)));
        Ok(Self { pool, single, batcher })
    }

    /// Applies the pending migrations of [`MIGRATOR`].
    /// Errors: [`StoreError::Unavailable`] if the database cannot be reached; [`StoreError::Unknown`] if a
    /// migration fails or the applied ones differ from the embedded ones.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.pool).await.map_err(|error| match error {
            MigrateError::Execute(error) => store_error(error),
            other => StoreError::Unknown(anyhow::Error::new(other).context("database migrations failed")),
        })
    }

    /// How many webhook events each write path has recorded: a high `locking` share means events for one
    /// order often arrive at the same moment.
    pub fn webhook_write_counts(&self) -> WebhookWriteCounts {
        let counts = &self.single.counts;
        WebhookWriteCounts {
            grouped: counts.grouped.load(Ordering::Relaxed),
            group_writes: counts.group_writes.load(Ordering::Relaxed),
            optimistic: counts.optimistic.load(Ordering::Relaxed),
            locking: counts.locking.load(Ordering::Relaxed),
        }
    }

    /// The connection pool, for what the port does not cover (tests, health details).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

#[async_trait]
impl OrderStore for PgStore {
    #[tracing::instrument(skip_all, fields(order_id = %order.id))]
    async fn insert_order(&self, order: &Order) -> Result<(), StoreError> {
        orders::insert(&self.pool, order).await
    }

    #[tracing::instrument(skip_all, fields(order_id = %id, session_id = %session_id))]
    async fn attach_checkout_session(
        &self,
        id: OrderId,
        session_id: &CheckoutSessionId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        checkout::attach_checkout_session(&self.pool, id, session_id, now).await
    }

    #[tracing::instrument(skip_all, fields(order_id = %id))]
    async fn mark_checkout_failed(
        &self,
        id: OrderId,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        checkout::mark_checkout_failed(&self.pool, id, reason, now).await
    }

    async fn find_order(&self, id: OrderId) -> Result<Option<Order>, StoreError> {
        orders::find_by_id(&self.pool, id).await
    }

    async fn find_order_by_session(
        &self,
        session_id: &CheckoutSessionId,
    ) -> Result<Option<Order>, StoreError> {
        orders::find_by_session(&self.pool, session_id).await
    }

    async fn list_orders(&self, limit: u32) -> Result<Vec<Order>, StoreError> {
        orders::list(&self.pool, limit).await
    }

    async fn list_orders_of_user(&self, user: &UserId, limit: u32) -> Result<Vec<Order>, StoreError> {
        orders::list_of_user(&self.pool, user, limit).await
    }

    #[tracing::instrument(skip_all, fields(event_id = %event.event.id, event_type = %event.event.event_type))]
    async fn record_event(
        &self,
        event: &ReceivedEvent,
        now: DateTime<Utc>,
    ) -> Result<RecordOutcome, StoreError> {
        match &self.batcher {
            Some(batcher) if event.event.kind.affects_orders() => {
                batcher.record(&self.single, event, now).await
            }
            _ => self.single.record(event, now).await,
        }
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map_err(store_error)?;
        Ok(())
    }
}

#[async_trait]
impl CatalogStore for PgStore {
    #[tracing::instrument(skip_all, fields(sku = %product.sku))]
    async fn upsert_product(&self, product: &Product, now: DateTime<Utc>) -> Result<(), StoreError> {
        catalog::upsert(&self.pool, product, now).await
    }

    async fn list_products(&self) -> Result<Vec<Product>, StoreError> {
        catalog::list(&self.pool).await
    }

    #[tracing::instrument(skip_all, fields(sku = %sku, stripe_product_id = %id))]
    async fn set_stripe_product_id(&self, sku: &Sku, id: &StripeProductId) -> Result<(), StoreError> {
        catalog::set_stripe_product_id(&self.pool, sku, id).await
    }

    #[tracing::instrument(skip_all, fields(price_id = %price, stripe_price_id = %id))]
    async fn set_stripe_price_id(&self, price: &PriceKey, id: &StripePriceId) -> Result<(), StoreError> {
        catalog::set_stripe_price_id(&self.pool, price, id).await
    }
}

#[async_trait]
impl CustomerStore for PgStore {
    async fn find_customer(&self, user: &UserId) -> Result<Option<Customer>, StoreError> {
        customers::find(&self.pool, user).await
    }

    #[tracing::instrument(skip_all, fields(customer_id = %customer.stripe_customer_id))]
    async fn insert_customer(&self, customer: &Customer) -> Result<Customer, StoreError> {
        customers::insert(&self.pool, customer).await
    }
}
