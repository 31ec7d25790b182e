//! The Postgres adapter: [`PgStore`] keeps orders, their items, every received Stripe event, the product
//! catalog and each user's Stripe customer, and implements the domain's
//! [`OrderStore`](payments_domain::OrderStore), [`CatalogStore`](payments_domain::CatalogStore) and
//! [`CustomerStore`](payments_domain::CustomerStore) ports through
//! [`SqlStore`](payments_sql_store::SqlStore) with the SQL of [`PgDialect`].
//!
//! Concurrent webhook events are loaded together in one query (`load.rs`) and their planned writes committed
//! together in one call of `payments_commit` (`commit.rs`), which takes the advisory locks of every id the
//! writes touch (`locks.rs`) and writes each only if what it was planned on still holds.
//! No sqlx type crosses the port: failures become [`StoreError`](payments_domain::StoreError) in `error.rs`.

mod catalog;
mod commit;
mod customers;
mod dialect;
mod error;
mod load;
mod locks;
mod options;
mod orders;
pub mod test_support;

pub use dialect::{PgDialect, WriteCounts};
pub use options::PgStoreOptions;

/// The Postgres store: see the crate's doc.
pub type PgStore = payments_sql_store::SqlStore<PgDialect>;

/// The schema's migrations (`migrations/postgres`), embedded at build time.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");
