//! [`SqlStore`]: the storage ports, implemented once over a [`Dialect`] (the SQL of one database).

use crate::batch::{Batcher, Handler};
use crate::changes::Change;
use crate::dialect::{AttemptColumns, CustomerStored, Dialect, Grouping, IdRecorded, OrderQuery, StripeId};
use crate::rows::{parse, CustomerRow, LoadRow, OrderRow, OutboxRow, ProductRow};
use anyhow::anyhow;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::FutureExt;
use payments_domain::{
    Attempt, CatalogStore, CheckoutSessionId, Committed, Customer, CustomerStore, EventId, FeedCursor,
    InsertOrderError, Load, Order, OrderId, OrderStore, Orphans, OutboxEntry, OutboxStatus, OutboxStore,
    PriceKey, Product, ReconcileStore, Sku, Snapshot, StoreError, StripePriceId, StripeProductId, UserId,
    Write,
};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// A SQL store: the storage ports ([`OrderStore`], [`OutboxStore`], [`ReconcileStore`], [`CatalogStore`],
/// [`CustomerStore`] and the subscription store) over `D`, with concurrent
/// loads and commits grouped. Cheap to clone: clones share the dialect and the groups.
pub struct SqlStore<D: Dialect> {
    dialect: Arc<D>,
    groups: Arc<Groups>,
    /// Concurrent order inserts: one transaction per group (one sync to disk, one commit).
    inserts: Arc<Batcher<Order, bool>>,
    /// The catalog as last read.
    catalog: Arc<CatalogCache>,
}

/// How long the catalog read last is used before it is read again (see [`SqlStore::with_catalog_ttl`]).
pub const CATALOG_TTL: Duration = Duration::from_secs(1);

/// The catalog as last read, and when; dropped by this store's own catalog writes. A read that began before
/// a write finished is not kept (the generation tells).
#[derive(Debug)]
struct CatalogCache {
    ttl: Duration,
    state: Mutex<CachedCatalog>,
}

#[derive(Debug, Default)]
struct CachedCatalog {
    generation: u64,
    products: Option<(Instant, Arc<Vec<Product>>)>,
}

impl CatalogCache {
    fn new(ttl: Duration) -> Self {
        Self { ttl, state: Mutex::new(CachedCatalog::default()) }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, CachedCatalog> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The cached catalog if it is fresh, else the generation a read starting now must store under.
    fn fresh(&self) -> Result<Arc<Vec<Product>>, u64> {
        let state = self.state();
        match &state.products {
            Some((read_at, products)) if read_at.elapsed() < self.ttl => Ok(products.clone()),
            _ => Err(state.generation),
        }
    }

    fn store(&self, generation: u64, read_at: Instant, products: Arc<Vec<Product>>) {
        let mut state = self.state();
        if state.generation == generation && !self.ttl.is_zero() {
            state.products = Some((read_at, products));
        }
    }

    fn invalidate(&self) {
        let mut state = self.state();
        state.generation += 1;
        state.products = None;
    }
}

/// How long a group of [`Grouping::Together`] waits for the commits of the events it loaded last time.
const FOLLOW_UP_LINGER: std::time::Duration = std::time::Duration::from_millis(2);

/// A load or a commit, as a group carries them.
// Not boxed: a job lives only while it waits for its group, and a box would cost an allocation per event.
#[allow(clippy::large_enum_variant)]
enum Job {
    Load(Load),
    Commit(Change),
}

/// A job's answer.
#[allow(clippy::large_enum_variant)]
enum Reply {
    Loaded(Result<Snapshot, StoreError>),
    Committed(Committed),
}

/// The queues concurrent loads and commits wait in (see [`Grouping`]).
enum Groups {
    Apart { loads: Batcher<Load, Result<Snapshot, StoreError>>, commits: Batcher<Change, Committed> },
    Together(Batcher<Job, Reply>),
}

impl<D: Dialect> Clone for SqlStore<D> {
    fn clone(&self) -> Self {
        Self {
            dialect: self.dialect.clone(),
            groups: self.groups.clone(),
            inserts: self.inserts.clone(),
            catalog: self.catalog.clone(),
        }
    }
}

/// The snapshots in `rows` (`LoadRow`s).
fn snapshots(rows: &[String]) -> Vec<Result<Snapshot, StoreError>> {
    rows.iter()
        .map(|json| {
            parse::<LoadRow>(json, "load").and_then(LoadRow::into_snapshot).map_err(StoreError::Unknown)
        })
        .collect()
}

impl<D: Dialect + std::fmt::Debug> std::fmt::Debug for SqlStore<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore").field("dialect", &self.dialect).finish_non_exhaustive()
    }
}

impl<D: Dialect> SqlStore<D> {
    /// Opens the store `url` names with `options` (see the adapter), without migrating.
    pub async fn connect(url: &str, options: &D::Options) -> Result<Self, StoreError> {
        Ok(Self::over(D::open(url, options).await?))
    }

    /// The store over an open dialect.
    pub fn over(dialect: D) -> Self {
        let dialect = Arc::new(dialect);
        let grouping = dialect.grouping();
        let groups = match grouping {
            Grouping::Apart { loads, commits } => {
                let loading = dialect.clone();
                let load: Handler<Load, Result<Snapshot, StoreError>> = Arc::new(move |loads: Vec<Load>| {
                    let dialect = loading.clone();
                    async move {
                        let rows = dialect.load(&loads).await.map_err(|error| dialect.failure(error))?;
                        Ok(snapshots(&rows))
                    }
                    .boxed()
                });
                let committing = dialect.clone();
                let commit: Handler<Change, Committed> = Arc::new(move |changes: Vec<Change>| {
                    let dialect = committing.clone();
                    async move { dialect.commit(&changes).await.map_err(|error| dialect.failure(error)) }
                        .boxed()
                });
                Groups::Apart {
                    loads: Batcher::new("load", loads, load),
                    commits: Batcher::new("commit", commits, commit),
                }
            }
            Grouping::Together(options) => {
                let cycling = dialect.clone();
                let cycle: Handler<Job, Reply> = Arc::new(move |jobs: Vec<Job>| {
                    let dialect = cycling.clone();
                    async move { cycle(&*dialect, jobs).await }.boxed()
                });
                // A load is followed by its commit as soon as the domain has planned it.
                let loaded: crate::batch::FollowUp<Reply> = |reply| matches!(reply, Reply::Loaded(Ok(_)));
                Groups::Together(Batcher::new("write", options, cycle).expecting(loaded, FOLLOW_UP_LINGER))
            }
        };
        let inserting = dialect.clone();
        let insert: Handler<Order, bool> = Arc::new(move |orders: Vec<Order>| {
            let dialect = inserting.clone();
            async move { dialect.insert_orders(&orders).await.map_err(|error| dialect.failure(error)) }
                .boxed()
        });
        let inserts = Arc::new(Batcher::new("insert", grouping.writes(), insert));
        Self { dialect, groups: Arc::new(groups), inserts, catalog: Arc::new(CatalogCache::new(CATALOG_TTL)) }
    }

    /// This store with the catalog kept for `ttl` after each read ([`CATALOG_TTL`] by default; zero reads it
    /// every time). This store's own catalog writes drop it at once; another process's (`payments catalog`
    /// commands, another instance) are seen within `ttl`.
    pub fn with_catalog_ttl(mut self, ttl: Duration) -> Self {
        self.catalog = Arc::new(CatalogCache::new(ttl));
        self
    }

    /// Applies the pending migrations.
    /// Errors: [`StoreError::Unavailable`] if the database cannot be reached; [`StoreError::Unknown`] if a
    /// migration fails or the applied ones differ from the embedded ones.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        self.dialect.migrate().await
    }

    /// The pool, for what the ports do not cover (tests, health details).
    pub fn pool(&self) -> &D::Pool {
        self.dialect.pool()
    }

    /// The dialect, for what only it offers.
    pub fn dialect(&self) -> &D {
        &self.dialect
    }

    fn failure(&self, error: sqlx::Error) -> StoreError {
        self.dialect.failure(error)
    }

    async fn order_rows(&self, query: OrderQuery<'_>) -> Result<Vec<Order>, StoreError> {
        let rows = self.dialect.orders(query).await.map_err(|error| self.failure(error))?;
        rows.iter()
            .map(|json| {
                parse::<OrderRow>(json, "order").and_then(OrderRow::into_order).map_err(StoreError::Unknown)
            })
            .collect()
    }

    async fn one_order(&self, query: OrderQuery<'_>) -> Result<Option<Order>, StoreError> {
        Ok(self.order_rows(query).await?.into_iter().next())
    }
}

/// One group of [`Grouping::Together`]: its commits, then its loads, in one [`OrderSql::cycle`]; the answers in
/// the jobs' order.
async fn cycle<D: Dialect>(dialect: &D, jobs: Vec<Job>) -> Result<Vec<Reply>, StoreError> {
    let (mut loads, mut changes, mut kinds) = (Vec::new(), Vec::new(), Vec::with_capacity(jobs.len()));
    for job in jobs {
        kinds.push(matches!(job, Job::Load(_)));
        match job {
            Job::Load(load) => loads.push(load),
            Job::Commit(change) => changes.push(change),
        }
    }
    let (rows, committed) = dialect.cycle(&loads, &changes).await.map_err(|error| dialect.failure(error))?;
    let (mut loaded, mut committed) = (snapshots(&rows).into_iter(), committed.into_iter());
    kinds
        .into_iter()
        .map(|is_load| match is_load {
            true => loaded.next().map(Reply::Loaded),
            false => committed.next().map(Reply::Committed),
        })
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| StoreError::Unknown(anyhow!("a cycle answered fewer jobs than it was given")))
}

#[async_trait]
impl<D: Dialect> OrderStore for SqlStore<D> {
    #[tracing::instrument(skip_all, fields(order_id = %order.id()))]
    async fn insert_order(&self, order: &Order) -> Result<(), InsertOrderError> {
        match self.inserts.run(vec![order.clone()]).await?.first().copied().unwrap_or(false) {
            true => Ok(()),
            false => Err(InsertOrderError::Duplicate(order.id())),
        }
    }

    async fn find_order(&self, id: OrderId) -> Result<Option<Order>, StoreError> {
        self.one_order(OrderQuery::Id(id)).await
    }

    async fn find_order_by_session(&self, session: &CheckoutSessionId) -> Result<Option<Order>, StoreError> {
        self.one_order(OrderQuery::Session(session)).await
    }

    async fn list_orders(&self, limit: u32) -> Result<Vec<Order>, StoreError> {
        self.order_rows(OrderQuery::All { limit }).await
    }

    async fn list_orders_of_user(&self, user: &UserId, limit: u32) -> Result<Vec<Order>, StoreError> {
        self.order_rows(OrderQuery::OfUser { user, limit }).await
    }

    async fn load(&self, loads: Vec<Load>) -> Result<Vec<Snapshot>, StoreError> {
        match &*self.groups {
            Groups::Apart { loads: group, .. } => group.run(loads).await?.into_iter().collect(),
            Groups::Together(group) => {
                let replies = group.run(loads.into_iter().map(Job::Load).collect()).await?;
                replies
                    .into_iter()
                    .map(|reply| match reply {
                        Reply::Loaded(snapshot) => snapshot,
                        Reply::Committed(_) => {
                            Err(StoreError::Unknown(anyhow!("a load was answered as a commit")))
                        }
                    })
                    .collect()
            }
        }
    }

    async fn commit(&self, writes: Vec<Write>, now: DateTime<Utc>) -> Result<Vec<Committed>, StoreError> {
        let changes = writes.into_iter().map(|write| Change::of(write, now));
        match &*self.groups {
            Groups::Apart { commits, .. } => commits.run(changes.collect()).await,
            Groups::Together(group) => {
                let replies = group.run(changes.map(Job::Commit).collect()).await?;
                replies
                    .into_iter()
                    .map(|reply| match reply {
                        Reply::Committed(committed) => Ok(committed),
                        Reply::Loaded(_) => {
                            Err(StoreError::Unknown(anyhow!("a commit was answered as a load")))
                        }
                    })
                    .collect()
            }
        }
    }

    async fn orphans_received_before(&self, before: DateTime<Utc>) -> Result<Orphans, StoreError> {
        let oldest = self.dialect.orphans(before).await.map_err(|e| self.dialect.failure(e))?;
        let Some((id, at, count)) = oldest else { return Ok(Orphans::default()) };
        let id = EventId::parse(&id)
            .map_err(|e| StoreError::Unknown(anyhow::anyhow!("a stored event id: {e}")))?;
        Ok(Orphans { count: u64::try_from(count).unwrap_or(0), oldest: Some((id, at)) })
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.dialect.ping().await.map_err(|error| self.failure(error))
    }
}

#[async_trait]
impl<D: Dialect> CatalogStore for SqlStore<D> {
    #[tracing::instrument(skip_all, fields(sku = %product.sku))]
    async fn upsert_product(&self, product: &Product, now: DateTime<Utc>) -> Result<(), StoreError> {
        if product.prices.is_empty() {
            // It could not be read back: the domain builds no product without a price.
            return Err(StoreError::Unknown(anyhow!("product {} has no price", product.sku)));
        }
        let upserted = self.dialect.upsert_product(product, now).await;
        self.catalog.invalidate();
        upserted.map_err(|error| self.failure(error))
    }

    async fn list_products(&self) -> Result<Vec<Product>, StoreError> {
        let generation = match self.catalog.fresh() {
            Ok(products) => return Ok(products.to_vec()),
            Err(generation) => generation,
        };
        let read_at = Instant::now();
        let rows = self.dialect.products().await.map_err(|error| self.failure(error))?;
        let products = rows
            .iter()
            .map(|json| {
                parse::<ProductRow>(json, "product")
                    .and_then(ProductRow::into_product)
                    .map_err(StoreError::Unknown)
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.catalog.store(generation, read_at, Arc::new(products.clone()));
        Ok(products)
    }

    #[tracing::instrument(skip_all, fields(sku = %sku, stripe_product_id = %id))]
    async fn set_stripe_product_id(&self, sku: &Sku, id: &StripeProductId) -> Result<(), StoreError> {
        let recorded = self.dialect.set_stripe_id(StripeId::Product(sku, id), Utc::now()).await;
        self.catalog.invalidate();
        match recorded.map_err(|error| self.failure(error))? {
            IdRecorded::Done => Ok(()),
            IdRecorded::NoSuch => Err(StoreError::Unknown(anyhow!(
                "cannot record Stripe product {id}: no catalog product has sku {sku}"
            ))),
            IdRecorded::Taken => Err(StoreError::Unknown(anyhow!(
                "Stripe product {id} is recorded for another product already"
            ))),
        }
    }

    #[tracing::instrument(skip_all, fields(price_id = %price, stripe_price_id = %id))]
    async fn set_stripe_price_id(&self, price: &PriceKey, id: &StripePriceId) -> Result<(), StoreError> {
        let recorded = self.dialect.set_stripe_id(StripeId::Price(price, id), Utc::now()).await;
        self.catalog.invalidate();
        match recorded.map_err(|error| self.failure(error))? {
            IdRecorded::Done => Ok(()),
            IdRecorded::NoSuch => Err(StoreError::Unknown(anyhow!(
                "cannot record Stripe price {id}: no catalog price has id {price}"
            ))),
            IdRecorded::Taken => {
                Err(StoreError::Unknown(anyhow!("Stripe price {id} is recorded for another price already")))
            }
        }
    }
}

#[async_trait]
impl<D: Dialect> CustomerStore for SqlStore<D> {
    async fn find_customer(&self, user: &UserId) -> Result<Option<Customer>, StoreError> {
        let row = self.dialect.customer(user).await.map_err(|error| self.failure(error))?;
        row.map(|json| customer(&json)).transpose()
    }

    #[tracing::instrument(skip_all, fields(customer_id = %new.stripe_customer_id))]
    async fn insert_customer(&self, new: &Customer) -> Result<Customer, StoreError> {
        match self.dialect.insert_customer(new).await.map_err(|error| self.failure(error))? {
            CustomerStored::Row(json) => customer(&json),
            CustomerStored::Taken => Err(StoreError::Unknown(anyhow!(
                "Stripe customer {} is stored for another user already",
                new.stripe_customer_id
            ))),
        }
    }
}

fn customer(json: &str) -> Result<Customer, StoreError> {
    parse::<CustomerRow>(json, "customer").and_then(CustomerRow::into_customer).map_err(StoreError::Unknown)
}

impl<D: Dialect> SqlStore<D> {
    fn entries(&self, rows: Result<Vec<String>, sqlx::Error>) -> Result<Vec<OutboxEntry>, StoreError> {
        let rows = rows.map_err(|error| self.failure(error))?;
        rows.iter()
            .map(|json| {
                parse::<OutboxRow>(json, "outbox entry")
                    .and_then(OutboxRow::into_entry)
                    .map_err(StoreError::Unknown)
            })
            .collect()
    }
}

#[async_trait]
impl<D: Dialect> OutboxStore for SqlStore<D> {
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        self.entries(self.dialect.claim_due(now, lease_until, limit).await)
    }

    async fn record_attempt(
        &self,
        id: Uuid,
        attempt: Attempt,
        delivered_to: Vec<String>,
    ) -> Result<(), StoreError> {
        let delivered_to = serde_json::to_string(&delivered_to).map_err(|e| StoreError::Unknown(e.into()))?;
        let (status, next_attempt_at, last_error, delivered_at) = match attempt {
            Attempt::Delivered { at } => (OutboxStatus::Delivered, None, None, Some(at)),
            Attempt::Retry { next, error } => (OutboxStatus::Pending, Some(next), Some(error), None),
            Attempt::Dead { error } => (OutboxStatus::Dead, None, Some(error), None),
        };
        let columns = AttemptColumns {
            status: status.as_str(),
            next_attempt_at,
            last_error,
            delivered_at,
            delivered_to,
        };
        self.dialect.record_attempt(id, &columns).await.map_err(|error| self.failure(error))
    }

    async fn list_outbox(&self, status: OutboxStatus, limit: u32) -> Result<Vec<OutboxEntry>, StoreError> {
        self.entries(self.dialect.outbox(status.as_str(), limit).await)
    }

    async fn redeliver(&self, id: Uuid, now: DateTime<Utc>) -> Result<Option<OutboxEntry>, StoreError> {
        let row = self.dialect.redeliver(id, now).await;
        Ok(self.entries(row.map(|row| row.into_iter().collect()))?.pop())
    }

    async fn feed(&self, after: Option<FeedCursor>, limit: u32) -> Result<Vec<OutboxEntry>, StoreError> {
        self.entries(self.dialect.feed(after.unwrap_or_default(), limit).await)
    }

    async fn backlog(&self) -> Result<payments_domain::OutboxBacklog, StoreError> {
        let (pending, dead, oldest_pending) =
            self.dialect.backlog().await.map_err(|error| self.failure(error))?;
        let count = |n: i64| u64::try_from(n).unwrap_or_default();
        Ok(payments_domain::OutboxBacklog { pending: count(pending), dead: count(dead), oldest_pending })
    }
}

#[async_trait]
impl<D: Dialect> ReconcileStore for SqlStore<D> {
    async fn reconciled_through(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.dialect.reconciled_through().await.map_err(|error| self.failure(error))
    }

    async fn set_reconciled_through(&self, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.dialect.set_reconciled_through(at).await.map_err(|error| self.failure(error))
    }

    async fn pending_orders(&self, before: DateTime<Utc>, limit: u32) -> Result<Vec<Order>, StoreError> {
        self.order_rows(OrderQuery::Pending { before, limit }).await
    }
}
