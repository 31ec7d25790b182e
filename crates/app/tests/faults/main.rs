//! Fault tests: the `payments` binary as a separate process, against a private PostgreSQL cluster (or a SQLite
//! file) each test starts itself, fed with signed webhooks that are retried the way Stripe retries them,
//! while a fault is injected: Postgres stopped, the service killed, a row locked, a database gone silent, a
//! full disk, two processes on one SQLite file. Each test then checks that every event is stored once, every
//! order is in the state its events predict, nothing acknowledged was lost and nothing was applied twice, and
//! prints its figures on one line (`fault figures: ...`).
//!
//! The short versions (a few hundred events, faults of seconds) run in `make test`; `FAULTS_FULL=1`
//! (`make faults`) runs the full ones (thousands of events, the 10 s outage and the 30 s lock). The tests run
//! one at a time (each takes [`serial`]), so that their timings are their own.

mod cluster;
mod deliver;
mod figures;
mod harness;
mod proxy;
mod scale;
mod scenario;
mod service;
mod tmpfs;
mod verify;

mod outbox;
mod postgres_stopped;
mod row_lock;
mod service_killed;
mod silent_database;
mod sqlite_disk_full;
mod sqlite_two_processes;

/// Held by each test for its whole run: the fault tests share two cores, and a test's latency figures must
/// not include another test's load.
pub async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    SERIAL.lock().await
}
