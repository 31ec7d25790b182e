//! Write transactions: one at a time, each holding SQLite's write lock from its first statement.

use sqlx::{Sqlite, SqlitePool, Transaction};

/// Starts a write transaction on the writer pool (one connection, so writers in this process queue there,
/// in order, instead of failing with `SQLITE_BUSY`). `BEGIN IMMEDIATE` takes the file's write lock at once
/// (another process holding it is waited for up to the busy timeout), so a transaction never reads a
/// snapshot it then cannot write on.
pub(crate) async fn begin(writer: &SqlitePool) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
    writer.begin_with("BEGIN IMMEDIATE").await
}
