//! How the connection pool is sized, and how webhook events are loaded and written.

use std::time::Duration;

/// Settings for [`PgStore`](crate::PgStore).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgStoreOptions {
    /// Most connections the pool opens (default 10).
    pub max_connections: u32,
    /// How long a query waits for a connection before the store reports itself unavailable (default 3 s).
    pub acquire_timeout: Duration,
    /// How many tasks write groups of concurrent webhook loads and writes, each taking every one waiting (up to
    /// 64) into one call of `payments_cycle` (default 1: one group is written while the next one gathers).
    pub group_writers: u32,
    /// Most loads or writes waiting for a group; past it the store answers unavailable at once (default
    /// 4,096).
    pub queue_capacity: usize,
    /// How long a caller waits for its group's answer, and a group for the database, before the store
    /// reports itself unavailable (default 10 s; the write may still commit, all or nothing). A group past it
    /// is abandoned with its connection, so a database that stops answering holds no later group.
    pub group_deadline: Duration,
    /// The longest a statement may run on the server (`statement_timeout`, default 5 s).
    pub statement_timeout: Duration,
    /// The longest a statement may wait for a lock (`lock_timeout`, default 2 s); an order row another
    /// transaction holds is skipped without waiting (its write answers busy).
    pub lock_timeout: Duration,
}

impl Default for PgStoreOptions {
    fn default() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(3),
            group_writers: 1,
            queue_capacity: 4096,
            group_deadline: Duration::from_secs(10),
            statement_timeout: Duration::from_secs(5),
            lock_timeout: Duration::from_secs(2),
        }
    }
}
