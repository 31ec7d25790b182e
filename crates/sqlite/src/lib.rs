//! The SQLite adapter: [`SqliteStore`] keeps orders, their items and every received Stripe event in one
//! database file, and implements the domain's [`OrderStore`](payments_domain::OrderStore) port with sqlx
//! and a bundled SQLite, with the same meaning as the Postgres adapter.
//!
//! SQLite lets one transaction write at a time. Rather than letting concurrent writers meet
//! `SQLITE_BUSY`, the store sends every write through one connection (`write.rs`), each in a
//! `BEGIN IMMEDIATE` transaction, and reads through a pool of their own. Because writes never overlap,
//! record-and-apply needs none of the Postgres adapter's advisory locks.
//!
//! No sqlx type crosses the port: failures become [`StoreError`](payments_domain::StoreError) in `error.rs`.

mod adoption;
mod checkout;
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
