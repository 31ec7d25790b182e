//! Write transactions: one at a time, each holding SQLite's write lock from its first statement.

use crate::error::store_error;
use payments_domain::StoreError;
use sqlx::{Sqlite, SqlitePool, Transaction};

/// Starts a write transaction on the writer pool (one connection, so writers in this process queue there,
/// in order, instead of failing with `SQLITE_BUSY`). `BEGIN IMMEDIATE` takes the file's write lock at once
/// (another process holding it is waited for up to the busy timeout), so a transaction never reads a
/// snapshot it then cannot write on.
pub(crate) async fn begin(writer: &SqlitePool) -> Result<Transaction<'static, Sqlite>, StoreError> {
    writer.begin_with("BEGIN IMMEDIATE").await.map_err(store_error)
}
