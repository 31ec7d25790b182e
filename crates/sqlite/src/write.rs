//! Write transactions: one at a time, each holding SQLite's write lock from its first statement.

use sqlx::{Sqlite, SqlitePool, Transaction};

/// Starts a write transaction on the writer pool (one connection, so writers in this process queue there,
/// in order, instead of failing with `SQLITE_BUSY`). `BEGIN IMMEDIATE` takes the file's write lock at once
/// (another process holding it is waited for up to the busy timeout), so a transaction never reads a
/// snapshot it then cannot write on.
///
/// After some failures (`SQLITE_FULL`, `SQLITE_IOERR`, `SQLITE_NOMEM`, ...) SQLite rolls a transaction back
/// by itself; the `ROLLBACK` sqlx sends when the transaction is dropped then fails, and sqlx goes on counting
/// the connection as inside a transaction, so it refuses to begin another one on it
/// ([`sqlx::Error::InvalidSavePointStatement`]). The writer's one connection would refuse every write until
/// a restart: it is closed instead, and the transaction begins on a fresh one.
pub(crate) async fn begin(writer: &SqlitePool) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
    match writer.begin_with("BEGIN IMMEDIATE").await {
        Err(sqlx::Error::InvalidSavePointStatement) => {
            tracing::warn!(
                "the SQLite writer's connection was left inside a transaction SQLite had already ended: reopening it"
            );
            // The pool holds one connection: the one that refused.
            writer.acquire().await?.close().await?;
            writer.begin_with("BEGIN IMMEDIATE").await
        }
        begun => begun,
    }
}
