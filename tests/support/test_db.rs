//! The app's own database, for assertions, on either backend. Queries use `$1` placeholders, which both
//! PostgreSQL and SQLite read.

use payments_app::Backend;
use sqlx::{PgPool, SqlitePool};

/// Which backend whole-app tests use: `PAYMENTS_TEST_BACKEND=sqlite` or `postgres` (the default).
/// `make test` runs the whole-app tests once with each.
pub fn backend_from_env() -> Backend {
    match std::env::var("PAYMENTS_TEST_BACKEND").as_deref() {
        Ok("sqlite") => Backend::Sqlite,
        Ok("postgres") | Ok("") | Err(_) => Backend::Postgres,
        Ok(other) => panic!("PAYMENTS_TEST_BACKEND must be sqlite or postgres, not {other:?}"),
    }
}

/// A connection pool to the app's database.
#[derive(Debug)]
pub enum TestDb {
    /// PostgreSQL (a fresh database on the test server).
    Postgres(PgPool),
    /// SQLite (a fresh file in a temporary directory, removed when the test ends).
    Sqlite(SqlitePool, payments_sqlite::test_support::TestDatabase),
}

impl TestDb {
    /// A fresh, migrated database of `backend`, and the URL the app should use.
    pub async fn fresh(backend: Backend) -> (TestDb, String) {
        match backend {
            Backend::Postgres => {
                let url = payments_postgres::test_support::fresh_database().await;
                let pool = PgPool::connect(&url).await.expect("connect to the test database");
                (TestDb::Postgres(pool), url)
            }
            Backend::Sqlite => {
                let database = payments_sqlite::test_support::fresh_database().await;
                let url = database.url().to_owned();
                let pool = SqlitePool::connect(&url).await.expect("open the test database");
                (TestDb::Sqlite(pool, database), url)
            }
        }
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        match self {
            TestDb::Postgres(_) => Backend::Postgres,
            TestDb::Sqlite(..) => Backend::Sqlite,
        }
    }

    /// A `count(*)` query, with an optional text parameter `$1`.
    pub async fn count(&self, sql: &str, param: Option<&str>) -> i64 {
        match self {
            TestDb::Postgres(pool) => {
                sqlx::query_scalar(sql).bind(param).fetch_one(pool).await.expect("count query")
            }
            TestDb::Sqlite(pool, _) => {
                sqlx::query_scalar(sql).bind(param).fetch_one(pool).await.expect("count query")
            }
        }
    }

    /// Rows of three text columns.
    pub async fn text_rows(&self, sql: &str) -> Vec<(String, String, String)> {
        match self {
            TestDb::Postgres(pool) => sqlx::query_as(sql).fetch_all(pool).await.expect("rows query"),
            TestDb::Sqlite(pool, _) => sqlx::query_as(sql).fetch_all(pool).await.expect("rows query"),
        }
    }

    /// One text column of every row.
    pub async fn texts(&self, sql: &str) -> Vec<String> {
        match self {
            TestDb::Postgres(pool) => sqlx::query_scalar(sql).fetch_all(pool).await.expect("texts query"),
            TestDb::Sqlite(pool, _) => sqlx::query_scalar(sql).fetch_all(pool).await.expect("texts query"),
        }
    }
}
