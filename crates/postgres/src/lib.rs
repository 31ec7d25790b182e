//! The Postgres adapter: [`PgStore`] keeps orders, their items, every received Stripe event, the product
//! catalog and each user's Stripe customer, and implements the domain's
//! [`OrderStore`](payments_domain::OrderStore), [`CatalogStore`](payments_domain::CatalogStore) and
//! [`CustomerStore`](payments_domain::CustomerStore) ports with sqlx.
//!
//! No sqlx type crosses the port: failures become [`StoreError`](payments_domain::StoreError) in `error.rs`.

mod adoption;
mod batch;
mod catalog;
mod checkout;
mod customers;
mod error;
mod events;
mod locks;
mod optimistic;
mod options;
mod orders;
mod rows;
mod save;
mod store;
pub mod test_support;
mod unit_of_work;

pub use options::PgStoreOptions;
pub use store::{PgStore, WebhookWriteCounts};

/// The schema's migrations (`migrations/postgres`), embedded at build time.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");
