//! What every test starts from: a migrated database with the scenario's orders and the write counter, before
//! the service is started on it.

use crate::cluster::Cluster;
use crate::scenario::Scenario;
use crate::verify::Db;
use payments_postgres::{PgStore, PgStoreOptions};
use payments_sqlite::{SqliteStore, SqliteStoreOptions};

/// A private Postgres cluster holding the scenario's orders.
#[derive(Debug)]
pub struct Postgres {
    /// The cluster (stopped and deleted when dropped).
    pub cluster: Cluster,
    /// The service's `DATABASE_URL`.
    pub url: String,
    /// A pool for the checks.
    pub db: Db,
    /// The orders and their events.
    pub scenario: Scenario,
}

/// Starts a cluster, migrates its `payments` database, creates `orders` orders (events tagged `tag`) and adds
/// the write counter.
pub async fn postgres(tag: &str, orders: usize) -> Postgres {
    let cluster = Cluster::start().await;
    let url = cluster.url("payments");
    let scenario = {
        let store = PgStore::connect(&url, &PgStoreOptions::default())
            .await
            .unwrap_or_else(|error| panic!("cannot open the private cluster's database: {error}"));
        store.migrate().await.unwrap_or_else(|error| panic!("migrations failed: {error}"));
        Scenario::create(&store, tag, orders).await
    };
    let db = Db::connect(&url).await;
    db.count_order_writes().await;
    Postgres { cluster, url, db, scenario }
}

/// Migrates the SQLite file of `url` (created if missing), creates `orders` orders (events tagged `tag`) and
/// adds the write counter; returns the scenario. Every connection the test opened is closed on return, so
/// the service is the file's only user.
pub async fn sqlite(url: &str, tag: &str, orders: usize) -> Scenario {
    let store = SqliteStore::connect(url, &SqliteStoreOptions::default())
        .await
        .unwrap_or_else(|error| panic!("cannot create the SQLite database {url}: {error}"));
    store.migrate().await.unwrap_or_else(|error| panic!("migrations failed: {error}"));
    let scenario = Scenario::create(&store, tag, orders).await;
    store.dialect().close().await;
    let db = Db::connect(url).await;
    db.count_order_writes().await;
    db.close().await;
    scenario
}
