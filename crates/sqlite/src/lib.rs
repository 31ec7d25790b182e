//! The SQLite adapter: [`SqliteStore`] keeps orders, their items, every received Stripe event, the product
//! catalog and each user's Stripe customer in one database file, and implements the domain's
//! [`OrderStore`](payments_domain::OrderStore), [`CatalogStore`](payments_domain::CatalogStore) and
//! [`CustomerStore`](payments_domain::CustomerStore) ports through
//! [`SqlStore`](payments_sql_store::SqlStore) with the SQL of [`SqliteDialect`], with the same meaning as the
//! Postgres adapter.
//!
//! SQLite lets one transaction write at a time. Rather than letting concurrent writers meet `SQLITE_BUSY`,
//! the store sends every write through one connection (`write.rs`), each in a `BEGIN IMMEDIATE`
//! transaction, and reads through a pool of their own. Concurrent webhook writes are committed together, in
//! one transaction (`commit.rs`), so a group pays for one sync to disk. Because writes never overlap, no lock
//! beyond SQLite's own is needed.
//!
//! No sqlx type crosses the port: failures become [`StoreError`](payments_domain::StoreError) in `error.rs`.

mod catalog;
mod commit;
mod customers;
mod dialect;
mod error;
mod load;
mod options;
mod orders;
mod outbox;
mod subscriptions;
#[cfg(feature = "test-support")]
pub mod test_support;
mod timestamp;
mod write;

pub use dialect::SqliteDialect;
pub use options::SqliteStoreOptions;

/// The SQLite store: see the crate's doc.
pub type SqliteStore = payments_sql_store::SqlStore<SqliteDialect>;

/// The schema's migrations (`migrations/sqlite`), embedded at build time.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");
