//! How the store's connections are opened and how long they wait.

use std::time::Duration;

/// Settings for [`SqliteStore`](crate::SqliteStore).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteStoreOptions {
    /// Most connections reading at once (default 4). Writes always share one connection.
    pub max_readers: u32,
    /// How long an operation waits for its connection, the single writer included, before the store
    /// reports itself unavailable (default 5 s).
    pub acquire_timeout: Duration,
    /// How long SQLite itself waits for a lock another process holds on the file (default 5 s).
    pub busy_timeout: Duration,
    /// Most loads or writes waiting for a group; past it the store answers unavailable at once (default
    /// 4,096).
    pub queue_capacity: usize,
    /// How long a caller waits for its group's answer before the store reports itself unavailable (default
    /// 10 s; the write may still commit, all or nothing).
    pub group_deadline: Duration,
}

impl Default for SqliteStoreOptions {
    fn default() -> Self {
        Self {
            max_readers: 4,
            acquire_timeout: Duration::from_secs(5),
            busy_timeout: Duration::from_secs(5),
            queue_capacity: 4096,
            group_deadline: Duration::from_secs(10),
        }
    }
}
