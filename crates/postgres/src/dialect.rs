//! [`PgDialect`]: the Postgres side of [`SqlStore`](payments_sql_store::SqlStore), on one connection pool.

use crate::error::store_error;
use crate::options::PgStoreOptions;
use crate::MIGRATOR;
use anyhow::anyhow;
use async_trait::async_trait;
use payments_domain::StoreError;
use payments_sql_store::{migration_failure, BatchOptions, Dialect, Grouping};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Orders, their items, received Stripe events, the product catalog and the users' Stripe customers in
/// Postgres; see [`PgStore`](crate::PgStore).
#[derive(Debug)]
pub struct PgDialect {
    pub(crate) pool: PgPool,
    options: PgStoreOptions,
    pub(crate) counts: Arc<WriteCounters>,
}

/// How many webhook writes were committed, and in how many calls of `payments_cycle`.
#[derive(Debug, Default)]
pub(crate) struct WriteCounters {
    pub(crate) writes: AtomicU64,
    pub(crate) calls: AtomicU64,
}

/// What [`PgDialect::write_counts`] tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteCounts {
    /// Planned writes handed to `payments_cycle` (duplicates and stale ones included).
    pub writes: u64,
    /// Calls of `payments_cycle` (with loads, or writes, or both): fewer than `writes` when writes arrive
    /// together.
    pub calls: u64,
}

impl PgDialect {
    /// How many webhook writes this store (and its clones) committed, and in how many calls, since it was
    /// created.
    pub fn write_counts(&self) -> WriteCounts {
        WriteCounts {
            writes: self.counts.writes.load(Ordering::Relaxed),
            calls: self.counts.calls.load(Ordering::Relaxed),
        }
    }
}

#[async_trait]
impl Dialect for PgDialect {
    type Options = PgStoreOptions;
    type Pool = PgPool;

    /// A pool that connects on first use, so the service starts while the database is down and reports
    /// [`StoreError::Unavailable`] until it is back.
    ///
    /// Errors: [`StoreError::Unknown`] if `url` is not a `postgres://` URL; the message never repeats the URL,
    /// so never its password.
    async fn open(url: &str, options: &PgStoreOptions) -> Result<Self, StoreError> {
        let scheme_ok = ["postgres://", "postgresql://"].iter().any(|scheme| url.starts_with(scheme));
        if !scheme_ok {
            return Err(StoreError::Unknown(anyhow!(
                "the database URL must start with postgres:// or postgresql://"
            )));
        }
        // sqlx's parse errors describe the fault (a bad port, an unknown sslmode) without quoting the URL.
        let millis = |duration: std::time::Duration| duration.as_millis().to_string();
        // A transaction left open (a client gone silent mid-transaction) is ended by the server, so the locks
        // it holds do not outlive it for long.
        let connect = PgConnectOptions::from_str(url)
            .map_err(|error| StoreError::Unknown(anyhow!("the database URL is invalid: {error}")))?
            .options([
                ("statement_timeout", millis(options.statement_timeout)),
                ("lock_timeout", millis(options.lock_timeout)),
                (
                    "idle_in_transaction_session_timeout",
                    millis(options.group_deadline.max(options.statement_timeout)),
                ),
                // The server probes an idle connection after 30 s and drops it after three unanswered probes
                // 10 s apart, so a service gone without closing its sockets (a crash, a partition) does not
                // keep its connections and locks. sqlx 0.8 sets no keepalive on its own side: a server gone
                // silent is caught by the deadlines (a group abandons its connection at its deadline).
                ("tcp_keepalives_idle", "30".to_owned()),
                ("tcp_keepalives_interval", "10".to_owned()),
                ("tcp_keepalives_count", "3".to_owned()),
            ]);
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(options.acquire_timeout)
            .connect_lazy_with(connect);
        Ok(Self { pool, options: options.clone(), counts: Arc::default() })
    }

    fn grouping(&self) -> Grouping {
        Grouping::Together(BatchOptions {
            workers: self.options.group_writers,
            max_group: 64,
            capacity: self.options.queue_capacity,
            deadline: self.options.group_deadline,
        })
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.pool).await.map_err(|error| migration_failure(error, store_error))
    }

    fn pool(&self) -> &PgPool {
        &self.pool
    }

    fn failure(&self, error: sqlx::Error) -> StoreError {
        store_error(error)
    }

    async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map(drop)
    }
}
