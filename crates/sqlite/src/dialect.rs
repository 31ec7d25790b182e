//! [`SqliteDialect`]: the SQLite side of [`SqlStore`](payments_sql_store::SqlStore): one file, one writer and a
//! pool of readers.

use crate::error::store_error;
use crate::options::SqliteStoreOptions;
use crate::MIGRATOR;
use anyhow::anyhow;
use async_trait::async_trait;
use payments_domain::StoreError;
use payments_sql_store::{migration_failure, BatchOptions, Dialect, Grouping};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::str::FromStr;

/// Orders, their items, received Stripe events, the product catalog and the users' Stripe customers in a
/// SQLite file; see [`SqliteStore`](crate::SqliteStore).
///
/// Every write goes through one connection in a `BEGIN IMMEDIATE` transaction, so concurrent writers in
/// this process wait their turn instead of failing with "database is locked"; reads use a pool of their
/// own and, in WAL mode, never wait for the writer.
#[derive(Debug)]
pub struct SqliteDialect {
    pub(crate) reader: SqlitePool,
    pub(crate) writer: SqlitePool,
    options: SqliteStoreOptions,
}

impl SqliteDialect {
    /// The writer's pool (one connection), for tests that must write what the ports do not.
    pub fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    /// Closes every connection, waiting for those in use to be returned.
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

#[async_trait]
impl Dialect for SqliteDialect {
    type Options = SqliteStoreOptions;
    type Pool = SqlitePool;

    /// Opens the database file of `url` (`sqlite://path/to/payments.db` or `sqlite:payments.db`, a relative
    /// path from the working directory), creating the file and its directory if missing, in WAL mode with
    /// foreign keys on and a busy timeout.
    ///
    /// Errors: [`StoreError::Unknown`] if the URL is not a `sqlite:` URL of a file (an in-memory database is
    /// refused: the writer and the readers would not share it) or the directory cannot be created;
    /// [`StoreError::Unavailable`] if the file cannot be opened.
    async fn open(url: &str, options: &SqliteStoreOptions) -> Result<Self, StoreError> {
        if !url.starts_with("sqlite:") {
            return Err(StoreError::Unknown(anyhow!("the database URL must start with sqlite:")));
        }
        if in_memory(url) {
            return Err(StoreError::Unknown(anyhow!(
                "an in-memory SQLite database is not supported: name a file, e.g. sqlite://data/payments.db"
            )));
        }
        let connect = SqliteConnectOptions::from_str(url)
            .map_err(|error| StoreError::Unknown(anyhow!("the database URL is invalid: {error}")))?
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(options.busy_timeout);
        if let Some(dir) = connect.get_filename().parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|error| {
                StoreError::Unknown(
                    anyhow::Error::new(error)
                        .context(format!("cannot create the database directory {}", dir.display())),
                )
            })?;
        }
        // The writer opens the file first and switches it to WAL (a lasting property of the file), so the
        // readers, opened lazily afterwards, never need to. FULL syncs each commit: an acknowledged webhook
        // must survive a power cut, or Stripe would not send it again.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(options.acquire_timeout)
            .connect_with(
                connect.clone().journal_mode(SqliteJournalMode::Wal).synchronous(SqliteSynchronous::Full),
            )
            .await
            .map_err(store_error)?;
        let reader = SqlitePoolOptions::new()
            .max_connections(options.max_readers.max(1))
            .acquire_timeout(options.acquire_timeout)
            .connect_lazy_with(connect.pragma("query_only", "ON"));
        Ok(Self { reader, writer, options: options.clone() })
    }

    fn grouping(&self) -> Grouping {
        let group = |workers| BatchOptions {
            workers,
            max_group: 64,
            capacity: self.options.queue_capacity,
            deadline: self.options.group_deadline,
        };
        // One writer: a second committing task would only wait for it.
        Grouping::Apart { loads: group(self.options.max_readers.clamp(1, 2)), commits: group(1) }
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.writer).await.map_err(|error| migration_failure(error, store_error))
    }

    /// The read pool (its connections are `query_only`). Writes must go through the store, which owns the
    /// one writer.
    fn pool(&self) -> &SqlitePool {
        &self.reader
    }

    fn failure(&self, error: sqlx::Error) -> StoreError {
        store_error(error)
    }

    async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1").execute(&self.reader).await.map(drop)
    }
}

/// True when `url` names an in-memory database (`sqlite::memory:` or `mode=memory`).
fn in_memory(url: &str) -> bool {
    let rest = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let (database, params) = rest.split_once('?').unwrap_or((rest, ""));
    database == ":memory:" || params.split('&').any(|param| param == "mode=memory")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SqliteStore;

    #[test]
    fn in_memory_urls_are_recognised() {
        assert!(in_memory("sqlite::memory:"));
        assert!(in_memory("sqlite://:memory:"));
        assert!(in_memory("sqlite://payments.db?mode=memory&cache=shared"));
        assert!(!in_memory("sqlite://data/payments.db"));
        assert!(!in_memory("sqlite:payments.db?mode=rwc"));
    }

    #[tokio::test]
    async fn other_schemes_and_memory_are_refused_without_touching_disk() {
        let options = SqliteStoreOptions::default();
        for url in ["postgres://localhost/payments", "sqlite::memory:", "payments.db"] {
            let refused = SqliteStore::connect(url, &options).await;
            assert!(matches!(refused, Err(StoreError::Unknown(_))), "{url}");
        }
    }
}
