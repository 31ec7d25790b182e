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

#[tokio::test]
async fn a_write_after_a_transaction_sqlite_rolled_back_on_its_own_succeeds() {
    let database = fresh_database().await;
    let store = SqliteStore::connect(database.url(), &SqliteStoreOptions::default()).await.expect("connect");
    // After SQLITE_FULL or SQLITE_IOERR, SQLite may roll a transaction back by itself: the ROLLBACK sqlx then
    // sends fails, and sqlx still counts the writer's connection as inside a transaction.
    let mut transaction = store.dialect().writer().begin_with("BEGIN IMMEDIATE").await.expect("begin");
    sqlx::query("ROLLBACK").execute(&mut *transaction).await.expect("SQLite ends the transaction");
    drop(transaction);

    let order = payments_store_contract::fixtures::order();
    store.insert_order(&order).await.expect("the next write begins on a sound connection");
    assert_eq!(store.find_order(order.id()).await.expect("find").map(|found| found.id()), Some(order.id()));
}
