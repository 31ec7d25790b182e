//! What `SqliteStore::connect` sets up on a file: beyond the contract, what only SQLite has.

use payments_domain::OrderStore;
use payments_sqlite::test_support::fresh_database;
use payments_sqlite::{SqliteStore, SqliteStoreOptions};

#[tokio::test]
async fn connect_creates_the_file_and_its_directories_in_wal_mode_with_foreign_keys_and_a_busy_timeout() {
    let database = fresh_database().await;
    let nested = database.dir().join("a/b/payments.db");
    let url = format!("sqlite://{}", nested.display());
    let store = SqliteStore::connect(&url, &SqliteStoreOptions::default()).await.expect("connect");
    assert!(nested.exists());
    store.migrate().await.expect("migrate");
    store.migrate().await.expect("migrating again does nothing");

    let pool = store.pool();
    let journal_mode: String =
        sqlx::query_scalar("PRAGMA journal_mode").fetch_one(pool).await.expect("journal_mode");
    let foreign_keys: i64 =
        sqlx::query_scalar("PRAGMA foreign_keys").fetch_one(pool).await.expect("foreign_keys");
    let busy_timeout: i64 =
        sqlx::query_scalar("PRAGMA busy_timeout").fetch_one(pool).await.expect("busy_timeout");
    assert_eq!((journal_mode.as_str(), foreign_keys, busy_timeout), ("wal", 1, 5000));
    store.ping().await.expect("ping");
}

#[tokio::test]
async fn the_read_pool_cannot_write() {
    let database = fresh_database().await;
    let store = SqliteStore::connect(database.url(), &SqliteStoreOptions::default()).await.expect("connect");
    let write = sqlx::query("DELETE FROM orders").execute(store.pool()).await;
    assert!(write.is_err(), "{write:?}");
}

#[tokio::test]
async fn a_test_database_is_removed_when_dropped() {
    let database = fresh_database().await;
    let dir = database.dir().to_path_buf();
    assert!(dir.join("payments.db").exists());
    drop(database);
    assert!(!dir.exists());
}
