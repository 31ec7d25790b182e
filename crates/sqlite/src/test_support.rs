//! Test support: a fresh, migrated database per test, in a temporary directory removed afterwards.

use crate::{SqliteStore, SqliteStoreOptions};
use std::path::{Path, PathBuf};

/// A migrated database file in a directory of its own under the system's temporary directory. Dropping it
/// deletes the directory: keep it alive as long as a store uses the file.
#[derive(Debug)]
pub struct TestDatabase {
    dir: PathBuf,
    url: String,
}

impl TestDatabase {
    /// The `sqlite://` URL of the file, for [`SqliteStore::connect`] or an app's `DATABASE_URL`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The directory holding the file (and its `-wal` and `-shm` companions).
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Creates a uniquely named, migrated database file and returns it.
///
/// # Panics
/// When the file cannot be created or migrated.
pub async fn fresh_database() -> TestDatabase {
    fresh_database_up_to(crate::MIGRATOR.iter().count()).await
}

/// [`fresh_database`], with only the first `migrations` migrations applied (for upgrade tests).
///
/// # Panics
/// As [`fresh_database`].
pub async fn fresh_database_up_to(migrations: usize) -> TestDatabase {
    let dir = std::env::temp_dir().join(format!("payments-test-{}", uuid::Uuid::new_v4().simple()));
    let url = format!("sqlite://{}", dir.join("payments.db").display());
    let database = TestDatabase { dir, url };
    let store = SqliteStore::connect(&database.url, &SqliteStoreOptions::default())
        .await
        .unwrap_or_else(|error| panic!("cannot create test database {}: {error}", database.url));
    apply(store.dialect().writer(), migrations)
        .await
        .unwrap_or_else(|error| panic!("migrations failed on {}: {error}", database.url));
    store.dialect().close().await;
    database
}

/// Applies the first `count` migrations of [`crate::MIGRATOR`] that the database lacks.
async fn apply(pool: &sqlx::SqlitePool, count: usize) -> Result<(), sqlx::migrate::MigrateError> {
    use sqlx::migrate::Migrate;
    let mut conn = pool.acquire().await?;
    conn.ensure_migrations_table().await?;
    let applied = conn.list_applied_migrations().await?;
    for migration in crate::MIGRATOR.iter().take(count) {
        if !applied.iter().any(|done| done.version == migration.version) {
            conn.apply(migration).await?;
        }
    }
    Ok(())
}
