//! The SQLite adapter: [`SqliteStore`] keeps orders, their items, every received Stripe event, the product
//! catalog and each user's Stripe customer in one database file, and implements the domain's
//! [`OrderStore`](payments_domain::OrderStore), [`CatalogStore`](payments_domain::CatalogStore) and
//! [`CustomerStore`](payments_domain::CustomerStore) ports with sqlx and a bundled SQLite, with the same
//! meaning as the Postgres adapter.
//!
//! SQLite lets one transaction write at a time. Rather than letting concurrent writers meet
//! `SQLITE_BUSY`, the store sends every write through one connection (`write.rs`), each in a
//! `BEGIN IMMEDIATE` transaction, and reads through a pool of their own. Because writes never overlap,
//! record-and-apply needs none of the Postgres adapter's advisory locks.
//!
//! No sqlx type crosses the port: failures become [`StoreError`](payments_domain::StoreError) in `error.rs`.

mod adoption;
mod catalog;
mod checkout;
mod customers;
mod error;
mod events;
mod options;
mod orders;
mod rows;
mod save;
mod store;
pub mod test_support;
mod timestamp;
mod write;

pub use options::SqliteStoreOptions;
pub use store::SqliteStore;

/// The schema's migrations (`migrations/sqlite`), embedded at build time.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");
