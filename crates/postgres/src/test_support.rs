//! Test support: a fresh, migrated database per test.

use crate::MIGRATOR;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, Executor, PgConnection};
use std::str::FromStr;

const DEFAULT_SERVER_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Creates a uniquely named database on the server of `TEST_DATABASE_URL`, else `DATABASE_URL` (when it
/// is a Postgres URL), else
/// `postgres://postgres@127.0.0.1:5432/postgres`, applies the migrations, and returns its URL. Only the
/// server and user of that URL count: databases are created from the server's `postgres` database, so the
/// service's own database (`.../payments`) need not exist.
///
/// # Panics
/// When the server cannot be reached or refuses, with a message saying how to start it.
pub async fn fresh_database() -> String {
    fresh_database_up_to(MIGRATOR.iter().count()).await
}

/// Applies the first `count` migrations of [`MIGRATOR`] that `pool`'s database lacks.
async fn apply(pool: &sqlx::PgPool, count: usize) -> Result<(), sqlx::migrate::MigrateError> {
    use sqlx::migrate::Migrate;
    let mut conn = pool.acquire().await?;
    conn.ensure_migrations_table().await?;
    let applied = conn.list_applied_migrations().await?;
    for migration in MIGRATOR.iter().take(count) {
        if !applied.iter().any(|done| done.version == migration.version) {
            conn.apply(migration).await?;
        }
    }
    Ok(())
}

/// [`fresh_database`], with only the first `migrations` migrations applied (for upgrade tests).
///
/// # Panics
/// As [`fresh_database`].
pub async fn fresh_database_up_to(migrations: usize) -> String {
    let is_postgres = |url: &String| url.starts_with("postgres:") || url.starts_with("postgresql:");
    let server_url = std::env::var("TEST_DATABASE_URL")
        .ok()
        .or_else(|| std::env::var("DATABASE_URL").ok().filter(is_postgres))
        .unwrap_or_else(|| DEFAULT_SERVER_URL.to_owned());
    let server = PgConnectOptions::from_str(&server_url)
        .unwrap_or_else(|error| panic!("TEST_DATABASE_URL / DATABASE_URL is not a Postgres URL: {error}"))
        .database("postgres");
    let shown = format!(
        "postgres://{}@{}:{}/{}",
        server.get_username(),
        server.get_host(),
        server.get_port(),
        server.get_database().unwrap_or_default()
    );
    let mut admin = PgConnection::connect_with(&server).await.unwrap_or_else(|error| {
        panic!(
            "cannot reach PostgreSQL at {shown} (password not shown): {error}. Start it, e.g. \
             `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, or point \
             TEST_DATABASE_URL at a server where this user may create databases."
        )
    });
    let name = format!("payments_test_{}", uuid::Uuid::new_v4().simple());
    admin
        .execute(format!(r#"CREATE DATABASE "{name}""#).as_str())
        .await
        .unwrap_or_else(|error| panic!("cannot create test database {name} on {shown}: {error}"));
    let _ = admin.close().await;

    let database = server.database(&name);
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(database.clone())
        .await
        .unwrap_or_else(|error| panic!("cannot connect to test database {name}: {error}"));
    apply(&pool, migrations).await.unwrap_or_else(|error| panic!("migrations failed on {name}: {error}"));
    pool.close().await;
    database.to_url_lossy().to_string()
}

/// Waits until a connection to the database of `pool` other than the one asking waits for a lock (a row, a
/// unique key, an advisory lock), checking every 10 ms.
///
/// # Panics
/// When the database cannot be queried, or after 10 s without such a wait.
pub async fn wait_for_a_lock_wait(pool: &sqlx::PgPool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let waiting: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity \
                            WHERE datname = current_database() AND pid <> pg_backend_pid() \
                              AND wait_event_type = 'Lock')",
        )
        .fetch_one(pool)
        .await
        .unwrap_or_else(|error| panic!("pg_stat_activity is unreadable: {error}"));
        if waiting {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "no connection waited for a lock within 10 s");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// Begins a transaction on `pool` that records `event_id` (kept, naming nothing) and does not commit, so
/// that another transaction writing that id waits on its unique key until this one ends.
///
/// # Panics
/// When the database cannot be written.
pub async fn begin_recording(
    pool: &sqlx::PgPool,
    event_id: &str,
) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let mut transaction = pool.begin().await.unwrap_or_else(|error| panic!("no transaction: {error}"));
    sqlx::query(
        "INSERT INTO stripe_events (id, type, created_at, payload, event, outcome, received_at) \
         VALUES ($1, 'checkout.session.completed', now(), '{}', '{}', 'orphaned', now())",
    )
    .bind(event_id)
    .execute(&mut *transaction)
    .await
    .unwrap_or_else(|error| panic!("stripe_events is not writable: {error}"));
    transaction
}
