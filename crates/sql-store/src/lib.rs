//! What the SQL store adapters share, so that each keeps only what truly differs (SQL text, locking,
//! grouping): the storage ports implemented once ([`SqlStore`]) over a [`Dialect`]; the rows both dialects
//! hand over and their rebuilding into domain values; the versioned records kept in JSON columns; a planned
//! write as columns ([`Change`]); and the bounded groups concurrent loads and commits are handled in.

mod batch;
mod changes;
mod dialect;
mod event_records;
pub mod records;
mod refund_records;
mod rows;
mod store;
mod subscription_records;
mod subscription_sql;
mod subscriptions;

pub use batch::BatchOptions;
pub use changes::{AdoptedColumns, Change, ChangeKind, EventColumns, NoticeColumns, OrderColumns};
pub use dialect::{
    migration_failure, AttemptColumns, CatalogSql, CustomerSql, CustomerStored, Dialect, Grouping,
    IdRecorded, OrderQuery, OrderSql, OutboxSql, ReconcileSql, StripeId,
};
pub use store::{SqlStore, CATALOG_TTL};
pub use subscription_sql::{list_subscriptions, read_subscription, write_subscription, NoticeInsert};
pub use subscriptions::{SubscriptionChange, SubscriptionSql};
