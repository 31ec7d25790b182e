//! How the connection pool is sized.

use std::time::Duration;

/// Connection pool settings for [`PgStore`](crate::PgStore).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgStoreOptions {
    /// Most connections the pool opens (default 10).
    pub max_connections: u32,
    /// How long a query waits for a connection before the store reports itself unavailable (default 3 s).
    pub acquire_timeout: Duration,
}

impl Default for PgStoreOptions {
    fn default() -> Self {
        Self { max_connections: 10, acquire_timeout: Duration::from_secs(3) }
    }
}
