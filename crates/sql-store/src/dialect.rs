//! What a SQL adapter provides: [`Dialect`], the SQL of one database, in one trait per port.

use crate::batch::BatchOptions;
use crate::changes::Change;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use payments_domain::{
    CheckoutSessionId, Committed, Customer, FeedCursor, Load, Order, OrderId, PriceKey, Product, Sku,
    StoreError, StripePriceId, StripeProductId, UserId,
};
use uuid::Uuid;

/// Which orders to read.
#[derive(Debug, Clone, Copy)]
pub enum OrderQuery<'a> {
    /// The order with this id.
    Id(OrderId),
    /// The order with this Checkout Session.
    Session(&'a CheckoutSessionId),
    /// Every order, oldest first (ties by id), at most `limit`.
    All {
        /// Most orders.
        limit: u32,
    },
    /// Pending orders created before `before`, oldest first (ties by id), at most `limit`.
    Pending {
        /// Created before this.
        before: DateTime<Utc>,
        /// Most orders.
        limit: u32,
    },
    /// A user's orders, newest first (ties by id, descending), at most `limit`.
    OfUser {
        /// Whose.
        user: &'a UserId,
        /// Most orders.
        limit: u32,
    },
}

/// Which Stripe id to record, for what.
#[derive(Debug, Clone, Copy)]
pub enum StripeId<'a> {
    /// A product's.
    Product(&'a Sku, &'a StripeProductId),
    /// A catalog price's.
    Price(&'a PriceKey, &'a StripePriceId),
}

impl StripeId<'_> {
    /// Where it goes: the table, its key column and the key, the Stripe id's column and the Stripe id.
    pub fn parts(&self) -> (&'static str, &'static str, &str, &'static str, &str) {
        match self {
            StripeId::Product(sku, id) => ("products", "sku", sku.as_str(), "stripe_product_id", id.as_str()),
            StripeId::Price(price, id) => ("prices", "id", price.as_str(), "stripe_price_id", id.as_str()),
        }
    }
}

/// What recording a Stripe id did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdRecorded {
    /// Recorded.
    Done,
    /// No such product or price.
    NoSuch,
    /// Another product or price has that Stripe id.
    Taken,
}

/// What storing a user's first customer did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerStored {
    /// The user's stored customer (this one, or the one stored first), as a row's JSON.
    Row(String),
    /// The Stripe customer id is stored for another user.
    Taken,
}

/// How the store groups concurrent loads and commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// Loads and commits in groups of their own, each kind with its own workers.
    Apart {
        /// Loads.
        loads: BatchOptions,
        /// Commits.
        commits: BatchOptions,
    },
    /// Loads and commits in one queue: each group commits the writes waiting, then loads what waits
    /// ([`OrderSql::cycle`]), so an event is loaded in one group and committed in a later one, and each group
    /// pays one round trip for both.
    Together(BatchOptions),
}

impl Grouping {
    /// How writes are grouped: new orders are inserted in groups of the same shape as commits.
    pub(crate) fn writes(&self) -> BatchOptions {
        match *self {
            Grouping::Apart { commits, .. } => commits,
            Grouping::Together(options) => options,
        }
    }
}

/// The SQL of one database: each method is one statement or one transaction, and decides nothing about
/// payments. Row-returning methods hand each row over as one JSON text in the shapes of `rows.rs`. The SQL
/// for orders and events, the catalog and customers sits in the supertraits, one file each in an adapter.
#[async_trait]
pub trait Dialect:
    OrderSql
    + OutboxSql
    + ReconcileSql
    + CatalogSql
    + CustomerSql
    + crate::SubscriptionSql
    + Send
    + Sync
    + Sized
    + 'static
{
    /// What the adapter is configured with.
    type Options: Send + Sync;
    /// Its connection pool(s), for what the ports do not cover.
    type Pool: std::fmt::Debug;

    /// Opens the database `url` names (without migrating).
    async fn open(url: &str, options: &Self::Options) -> Result<Self, StoreError>;
    /// How concurrent loads and commits are grouped.
    fn grouping(&self) -> Grouping;
    /// Applies the pending migrations.
    async fn migrate(&self) -> Result<(), StoreError>;
    /// The pool.
    fn pool(&self) -> &Self::Pool;
    /// A sqlx failure as the ports report it: [`StoreError::Unavailable`] when retrying may succeed.
    fn failure(&self, error: sqlx::Error) -> StoreError;
    /// One round trip.
    async fn ping(&self) -> Result<(), sqlx::Error>;
}

/// The SQL for orders and received events.
#[async_trait]
pub trait OrderSql: Send + Sync {
    /// Inserts every order with its items, all in one transaction; for each, in order, false when its id
    /// exists (or came earlier in `orders`) and nothing was written for it. A failure undoes the group.
    async fn insert_orders(&self, orders: &[Order]) -> Result<Vec<bool>, sqlx::Error>;
    /// Orders (`OrderRow`s).
    async fn orders(&self, query: OrderQuery<'_>) -> Result<Vec<String>, sqlx::Error>;
    /// One `LoadRow` per load, in order.
    async fn load(&self, loads: &[Load]) -> Result<Vec<String>, sqlx::Error>;
    /// Commits `changes` as [`OrderStore::commit`] says, each all or nothing; one answer each, in order.
    async fn commit(&self, changes: &[Change]) -> Result<Vec<Committed>, sqlx::Error>;
    /// The oldest orphan received before `before` (id, received at) and how many there are; `None` for none.
    async fn orphans(
        &self,
        before: DateTime<Utc>,
    ) -> Result<Option<(String, DateTime<Utc>, i64)>, sqlx::Error>;
    /// Commits `changes`, then loads `loads` (seeing those commits): what [`Grouping::Together`] runs.
    async fn cycle(
        &self,
        loads: &[Load],
        changes: &[Change],
    ) -> Result<(Vec<String>, Vec<Committed>), sqlx::Error> {
        let committed = self.commit(changes).await?;
        Ok((self.load(loads).await?, committed))
    }
}

/// The SQL for the fulfilment outbox (its entries are written by [`OrderSql::commit`], with their change).
/// Row-returning methods hand over `OutboxRow`s.
#[async_trait]
pub trait OutboxSql: Send + Sync {
    /// As [`OutboxStore::claim_due`](payments_domain::OutboxStore::claim_due) says.
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<String>, sqlx::Error>;
    /// Sets entry `id`'s delivery columns.
    async fn record_attempt(&self, id: Uuid, attempt: &AttemptColumns) -> Result<(), sqlx::Error>;
    /// Entries with `status`, oldest first (ties by id), at most `limit`.
    async fn outbox(&self, status: &str, limit: u32) -> Result<Vec<String>, sqlx::Error>;
    /// As [`OutboxStore::redeliver`](payments_domain::OutboxStore::redeliver) says.
    async fn redeliver(&self, id: Uuid, now: DateTime<Utc>) -> Result<Option<String>, sqlx::Error>;
    /// As [`OutboxStore::feed`](payments_domain::OutboxStore::feed) says, from `after` (`0-0` for the start).
    async fn feed(&self, after: FeedCursor, limit: u32) -> Result<Vec<String>, sqlx::Error>;
    /// `(pending, dead, oldest pending created_at)`, each read through its partial index.
    async fn backlog(&self) -> Result<(i64, i64, Option<DateTime<Utc>>), sqlx::Error>;
}

/// The SQL for reconciliation's watermark.
#[async_trait]
pub trait ReconcileSql: Send + Sync {
    /// The watermark, if set.
    async fn reconciled_through(&self) -> Result<Option<DateTime<Utc>>, sqlx::Error>;
    /// Sets the watermark to `at` unless it is later already.
    async fn set_reconciled_through(&self, at: DateTime<Utc>) -> Result<(), sqlx::Error>;
}

/// The delivery columns an attempt sets.
#[derive(Debug, Clone)]
pub struct AttemptColumns {
    /// `pending`, `delivered` or `dead`.
    pub status: &'static str,
    /// When it is due again (kept as it was when `None`).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Why the attempt failed.
    pub last_error: Option<String>,
    /// When it was delivered.
    pub delivered_at: Option<DateTime<Utc>>,
    /// The endpoints that took it (a JSON array of text).
    pub delivered_to: String,
}

/// The SQL for the product catalog.
#[async_trait]
pub trait CatalogSql: Send + Sync {
    /// As [`CatalogStore::upsert_product`] says.
    async fn upsert_product(&self, product: &Product, now: DateTime<Utc>) -> Result<(), sqlx::Error>;
    /// Every product (`ProductRow`s), by SKU.
    async fn products(&self) -> Result<Vec<String>, sqlx::Error>;
    /// Records a Stripe id.
    async fn set_stripe_id(&self, id: StripeId<'_>, now: DateTime<Utc>) -> Result<IdRecorded, sqlx::Error>;
}

/// The SQL for the users' Stripe customers.
#[async_trait]
pub trait CustomerSql: Send + Sync {
    /// The user's customer (`CustomerRow`).
    async fn customer(&self, user: &UserId) -> Result<Option<String>, sqlx::Error>;
    /// Stores the customer unless its user has one; the user's stored customer.
    async fn insert_customer(&self, customer: &Customer) -> Result<CustomerStored, sqlx::Error>;
}

/// A failed migration as the ports report it: a statement's failure as `failure` maps it, anything else
/// (a changed or missing migration) as [`StoreError::Unknown`].
pub fn migration_failure(
    error: sqlx::migrate::MigrateError,
    failure: impl Fn(sqlx::Error) -> StoreError,
) -> StoreError {
    match error {
        sqlx::migrate::MigrateError::Execute(error) => failure(error),
        other => StoreError::Unknown(anyhow::Error::new(other).context("database migrations failed")),
    }
}
