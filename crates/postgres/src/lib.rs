//! The Postgres adapter: [`PgStore`] keeps orders, their items, every received Stripe event, the product
//! catalog and each user's Stripe customer, and implements the domain's
//! [`OrderStore`](payments_domain::OrderStore), [`CatalogStore`](payments_domain::CatalogStore) and
//! [`CustomerStore`](payments_domain::CustomerStore) ports through
//! [`SqlStore`](payments_sql_store::SqlStore) with the SQL of [`PgDialect`].
//!
//! Concurrent webhook events are loaded and their planned writes committed in groups: one call of
//! `payments_cycle` (`cycle.rs`) commits the writes waiting, taking the advisory locks of every id they touch
//! (`locks.rs`) and writing each only if what it was planned on still holds, then loads what the events
//! waiting need, in one round trip.
//! No sqlx type crosses the port: failures become [`StoreError`](payments_domain::StoreError) in `error.rs`.

mod catalog;
mod customers;
mod cycle;
mod dialect;
mod error;
mod locks;
mod options;
mod orders;
mod outbox;
mod subscriptions;
#[cfg(feature = "test-support")]
pub mod test_support;

pub use dialect::{PgDialect, WriteCounts};
pub use options::PgStoreOptions;

/// The Postgres store: see the crate's doc.
pub type PgStore = payments_sql_store::SqlStore<PgDialect>;

/// The schema's migrations (`migrations/postgres`), embedded at build time.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");
