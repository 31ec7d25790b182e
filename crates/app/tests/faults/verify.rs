//! The end state, read from the database itself: every event stored once, every order in the state its
//! events predict, nothing acknowledged lost, nothing applied twice.
//!
//! "Applied twice" is counted by a trigger the test adds after creating the orders: each write of an order
//! row inserts a line into `fault_order_writes` in the same transaction, so it is committed exactly when the
//! write is. Each event of these scenarios names its order directly and changes it with one write, so an
//! order must have exactly as many writes as events: one more is an event applied twice.

use crate::deliver::Report;
use crate::scenario::Scenario;
use std::collections::{HashMap, HashSet};

/// The database the service uses.
#[derive(Debug, Clone)]
pub enum Db {
    /// PostgreSQL.
    Postgres(sqlx::PgPool),
    /// SQLite.
    Sqlite(sqlx::SqlitePool),
}

const POSTGRES_COUNTER: [&str; 3] = [
    "CREATE TABLE fault_order_writes (order_id text NOT NULL)",
    "CREATE FUNCTION fault_count_order_write() RETURNS trigger LANGUAGE plpgsql AS \
     $$ BEGIN INSERT INTO fault_order_writes VALUES (NEW.id::text); RETURN NULL; END $$",
    "CREATE TRIGGER fault_count_order_write AFTER UPDATE ON orders FOR EACH ROW \
     EXECUTE FUNCTION fault_count_order_write()",
];

const SQLITE_COUNTER: [&str; 2] = [
    "CREATE TABLE fault_order_writes (order_id TEXT NOT NULL)",
    "CREATE TRIGGER fault_count_order_write AFTER UPDATE ON orders \
     BEGIN INSERT INTO fault_order_writes VALUES (NEW.id); END",
];

impl Db {
    /// Connects to `url` (either backend) with a small pool.
    pub async fn connect(url: &str) -> Db {
        let failed = |error: sqlx::Error| format!("cannot open the database {url}: {error}");
        if url.starts_with("sqlite:") {
            let pool = sqlx::sqlite::SqlitePoolOptions::new().max_connections(2).connect(url).await;
            Db::Sqlite(pool.unwrap_or_else(|error| panic!("{}", failed(error))))
        } else {
            let pool = sqlx::postgres::PgPoolOptions::new().max_connections(2).connect(url).await;
            Db::Postgres(pool.unwrap_or_else(|error| panic!("{}", failed(error))))
        }
    }

    /// Adds the write counter (see the module's doc).
    pub async fn count_order_writes(&self) {
        match self {
            Db::Postgres(pool) => {
                for statement in POSTGRES_COUNTER {
                    sqlx::query(statement).execute(pool).await.expect("the write counter");
                }
            }
            Db::Sqlite(pool) => {
                for statement in SQLITE_COUNTER {
                    sqlx::query(statement).execute(pool).await.expect("the write counter");
                }
            }
        }
    }

    /// Closes the pool.
    pub async fn close(&self) {
        match self {
            Db::Postgres(pool) => pool.close().await,
            Db::Sqlite(pool) => pool.close().await,
        }
    }

    pub async fn texts(&self, sql: &str) -> Vec<String> {
        match self {
            Db::Postgres(pool) => sqlx::query_scalar(sql).fetch_all(pool).await,
            Db::Sqlite(pool) => sqlx::query_scalar(sql).fetch_all(pool).await,
        }
        .unwrap_or_else(|error| panic!("{sql}: {error}"))
    }

    pub async fn pairs(&self, sql: &str) -> Vec<(String, String)> {
        match self {
            Db::Postgres(pool) => sqlx::query_as(sql).fetch_all(pool).await,
            Db::Sqlite(pool) => sqlx::query_as(sql).fetch_all(pool).await,
        }
        .unwrap_or_else(|error| panic!("{sql}: {error}"))
    }

    /// SQLite's `PRAGMA integrity_check` (Postgres: `ok`).
    pub async fn integrity(&self) -> String {
        match self {
            Db::Postgres(_) => "ok".to_owned(),
            Db::Sqlite(pool) => {
                let rows: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
                    .fetch_all(pool)
                    .await
                    .unwrap_or_else(|error| panic!("PRAGMA integrity_check: {error}"));
                rows.join("; ")
            }
        }
    }
}

/// What the end state showed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Distinct events sent.
    pub events: usize,
    /// Events acknowledged, or sent, that are not stored.
    pub lost: usize,
    /// Order writes beyond one per event.
    pub applied_twice: usize,
}

/// Reads the end state and asserts it: every event of `scenario` stored exactly once and acknowledged, every
/// order in its predicted status with one write per event; and no acknowledged event missing. Returns the
/// counts (lost and applied twice are 0 when it returns).
pub async fn check(db: &Db, scenario: &Scenario, report: &Report) -> Verdict {
    let integrity = db.integrity().await;
    assert_eq!(integrity, "ok", "the database is corrupt");
    let stored = db.texts("SELECT id FROM stripe_events").await;
    let stored_set: HashSet<&str> = stored.iter().map(String::as_str).collect();
    assert_eq!(stored.len(), stored_set.len(), "an event id is stored twice");
    let acknowledged = report.acknowledged_events();
    let lost_acknowledged: Vec<&str> = acknowledged
        .iter()
        .map(|&event| scenario.events[event].id.as_str())
        .filter(|id| !stored_set.contains(id))
        .collect();
    let never_stored = scenario.events.iter().filter(|event| !stored_set.contains(event.id.as_str())).count();
    let unacknowledged = scenario.events.len() - acknowledged.len();
    let unknown = stored_set.len() - (scenario.events.len() - never_stored);

    let status_sql = match db {
        Db::Postgres(_) => "SELECT id::text, status::text FROM orders",
        Db::Sqlite(_) => "SELECT id, status FROM orders",
    };
    let statuses: HashMap<String, String> = db.pairs(status_sql).await.into_iter().collect();
    let mut writes: HashMap<String, usize> = HashMap::new();
    for order in db.texts("SELECT order_id FROM fault_order_writes").await {
        *writes.entry(order).or_default() += 1;
    }
    let mut wrong = Vec::new();
    let (mut applied_twice, mut unapplied) = (0, 0);
    for order in &scenario.orders {
        let status = statuses.get(&order.id).map_or("(missing)", String::as_str);
        if status != order.fate.status() {
            wrong.push(format!("{} is {status}, not {} ({:?})", order.id, order.fate.status(), order.fate));
        }
        let written = writes.get(&order.id).copied().unwrap_or(0);
        applied_twice += written.saturating_sub(order.events);
        unapplied += order.events.saturating_sub(written);
    }
    let verdict = Verdict {
        events: scenario.events.len(),
        lost: lost_acknowledged.len().max(never_stored),
        applied_twice,
    };
    assert!(
        lost_acknowledged.is_empty(),
        "{} acknowledged events are not stored (lost), e.g. {:?}",
        lost_acknowledged.len(),
        &lost_acknowledged[..lost_acknowledged.len().min(5)]
    );
    assert_eq!(never_stored, 0, "{never_stored} events are not stored");
    assert_eq!(unacknowledged, 0, "{unacknowledged} events were never acknowledged");
    assert_eq!(unknown, 0, "{unknown} stored events were never sent");
    assert_eq!(applied_twice, 0, "{applied_twice} order writes beyond one per event: events applied twice");
    assert_eq!(unapplied, 0, "{unapplied} events stored but not applied to their order");
    assert!(
        wrong.is_empty(),
        "{} orders are not in their predicted state, e.g. {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(5)]
    );
    verdict
}

/// Asserts that every answer was a 2xx or a clear "retry later" (503 `store_unavailable` with `Retry-After`),
/// never a 500 or anything else, and that no attempt hung until the client gave up.
pub fn assert_answers_are_clear(report: &Report) {
    use crate::deliver::Answer;
    let unclear: Vec<&Answer> = report
        .answers()
        .map(|attempt| &attempt.answer)
        .filter(|answer| !answer.acknowledged() && !answer.unavailable())
        .collect();
    assert!(
        unclear.is_empty(),
        "{} answers were neither 2xx nor 503 store_unavailable, e.g. {:?}",
        unclear.len(),
        &unclear[..unclear.len().min(3)]
    );
    let hung =
        report.attempts.iter().filter(|a| matches!(a.answer, Answer::Failed { timed_out: true, .. })).count();
    assert_eq!(hung, 0, "{hung} attempts got no answer within {:?}", crate::deliver::CLIENT_TIMEOUT);
}
