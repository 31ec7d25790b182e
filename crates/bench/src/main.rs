//! `make bench`: for each backend (Postgres, then SQLite; `BENCH_BACKENDS` picks), starts the service on
//! port 0 against a fresh database with its default settings, creates orders, then sends signed
//! `checkout.session.completed` events (10% of them duplicates) over HTTP with 32 in flight, and prints
//! events/s, p50 and p99 of verified, deduplicated, committed events. It checks the end state too.
//!
//! After the orders are created (and, on Postgres, a `CHECKPOINT`), a warm-up of `BENCH_WARMUP` events (default 2,000, on orders of their own) runs first and is not
//! measured: it opens the service's database connections and lets each prepare its statements, as a
//! running service has. `BENCH_ORDERS` (default 20,000) sets the measured orders; `BENCH_CONNECTIONS`
//! overrides the service's database pool size (default: the service's own, 10).
//!
//! Then a checkout figure (`BENCH_CHECKOUTS`, default 2,000; 0 skips it): the service on SQLite with no Stripe
//! key, so Stripe is the in-process emulator on 127.0.0.1, takes guest checkouts of one catalog item
//! (`POST /api/v1/checkout/sessions`), 32 in flight, and it prints checkouts/s, p50 and p99. This is the figure
//! that shows what keeping the connections to Stripe alive buys.

use anyhow::{ensure, Context};
use futures::{StreamExt, TryStreamExt};
use payments_app::settings::Settings;
use payments_app::{Application, Backend};
use payments_domain::{
    CheckoutSessionId, Currency, Email, LineItem, Money, Order, OrderId, OrderStatus, OrderStore,
};
use payments_postgres::{PgStore, PgStoreOptions};
use payments_sqlite::{SqliteStore, SqliteStoreOptions};
use serde_json::json;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const SECRET: &str = "whsec_bench_0123456789";
const IN_FLIGHT: usize = 32;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let orders = number("BENCH_ORDERS", 20_000)?;
    let warmup = number("BENCH_WARMUP", 2_000)?;
    let backends = std::env::var("BENCH_BACKENDS").unwrap_or_else(|_| "postgres,sqlite".to_owned());
    for name in backends.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let backend = match name {
            "postgres" => Backend::Postgres,
            "sqlite" => Backend::Sqlite,
            other => anyhow::bail!("BENCH_BACKENDS lists {other:?}; use postgres and/or sqlite"),
        };
        run(backend, warmup, orders).await?;
    }
    let checkouts = number("BENCH_CHECKOUTS", 2_000)?;
    if checkouts > 0 {
        checkout_figure(checkouts).await?;
    }
    Ok(())
}

/// Guest checkouts of one catalog item against the service with the emulated Stripe: `count` of them after a
/// warm-up of 32 that opens the connections, 32 in flight, each bounded by a 30 s client timeout.
async fn checkout_figure(count: usize) -> anyhow::Result<()> {
    let (database_url, _keep) = fresh_database(Backend::Sqlite).await;
    let env: HashMap<String, String> = [
        ("DATABASE_URL", database_url),
        ("PORT", "0".to_owned()),
        // no STRIPE_SECRET_KEY: the service starts the emulator in process and registers its webhook with it
        ("STRIPE_EMULATOR_PORT", "0".to_owned()),
        ("APP__CATALOG__PATH", "config/catalog.toml".to_owned()),
        ("APP__CHECKOUT__ALLOW_GUEST_CHECKOUT", "true".to_owned()),
        ("APP__SERVER__STOREFRONT", "false".to_owned()),
        ("APP__LOG__LEVEL", "error".to_owned()),
        // Measured alone: no reconciliation run reading the emulator's events meanwhile.
        ("APP__RECONCILE__ENABLED", "false".to_owned()),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value))
    .collect();
    let settings = Settings::load_from(Path::new("config"), &env)?;
    let app = Application::build(&settings).await?;
    let address = format!("http://127.0.0.1:{}/api/v1/checkout/sessions", app.port());
    let server = tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(IN_FLIGHT)
        .timeout(Duration::from_secs(30))
        .build()?;

    eprintln!("bench (checkout): warming up with {IN_FLIGHT} checkouts (not measured)");
    checkouts(&client, &address, IN_FLIGHT).await?;
    eprintln!("bench (checkout): {count} guest checkouts of one item, {IN_FLIGHT} in flight");
    let started = Instant::now();
    let mut latencies = checkouts(&client, &address, count).await?;
    let elapsed = started.elapsed();
    server.abort();
    latencies.sort();
    let percentile = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!(
        "checkout (SQLite, emulated Stripe on 127.0.0.1): {count} guest checkouts, {IN_FLIGHT} in flight"
    );
    println!("  throughput: {:.0} checkouts/s", count as f64 / elapsed.as_secs_f64());
    println!("  latency:    p50 {:.2} ms, p99 {:.2} ms", ms(percentile(0.50)), ms(percentile(0.99)));
    Ok(())
}

/// `count` guest checkouts of the `ebook`, `IN_FLIGHT` at a time; each must succeed. Returns their latencies.
async fn checkouts(client: &reqwest::Client, address: &str, count: usize) -> anyhow::Result<Vec<Duration>> {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let workers = (0..IN_FLIGHT).map(|_| {
        let (client, next, address) = (client.clone(), next.clone(), address.to_owned());
        tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n >= count {
                    break;
                }
                let body = json!({
                    "email": format!("bench{n}@example.com"),
                    "items": [{"sku": "ebook", "quantity": 1}],
                });
                let sent = Instant::now();
                let response = client.post(&address).json(&body).send().await?;
                let status = response.status();
                ensure!(status.is_success(), "a checkout got {status}: {}", response.text().await?);
                latencies.push(sent.elapsed());
            }
            anyhow::Ok(latencies)
        })
    });
    gather(workers).await
}

/// Every worker's latencies, once all are done; the first failure otherwise.
async fn gather(
    workers: impl IntoIterator<Item = tokio::task::JoinHandle<anyhow::Result<Vec<Duration>>>>,
) -> anyhow::Result<Vec<Duration>> {
    let mut latencies = Vec::new();
    for worker in futures::future::join_all(workers).await {
        latencies.extend(worker.context("worker panicked")??);
    }
    Ok(latencies)
}

/// The number in the environment variable `name`, else `default`.
fn number(name: &str, default: usize) -> anyhow::Result<usize> {
    match std::env::var(name) {
        Ok(value) => value.parse().with_context(|| format!("{name}={value:?} is not a number")),
        Err(_) => Ok(default),
    }
}

/// A fresh database of `backend`: its URL, and what keeps it alive (a SQLite file's temporary directory).
async fn fresh_database(backend: Backend) -> (String, Option<payments_sqlite::test_support::TestDatabase>) {
    match backend {
        Backend::Postgres => (payments_postgres::test_support::fresh_database().await, None),
        Backend::Sqlite => {
            let database = payments_sqlite::test_support::fresh_database().await;
            (database.url().to_owned(), Some(database))
        }
    }
}

async fn run(backend: Backend, warmup: usize, orders: usize) -> anyhow::Result<()> {
    let label = match backend {
        Backend::Postgres => "Postgres",
        Backend::Sqlite => "SQLite",
    };
    let (database_url, _keep) = fresh_database(backend).await;
    let mut env: HashMap<&str, String> = HashMap::from([
        ("DATABASE_URL", database_url.clone()),
        ("STRIPE_SECRET_KEY", "sk_test_bench".to_owned()),
        ("STRIPE_WEBHOOK_SECRET", SECRET.to_owned()),
        ("STRIPE_API_BASE", "http://127.0.0.1:9/".to_owned()),
        ("PORT", "0".to_owned()),
        ("APP__SERVER__STOREFRONT", "false".to_owned()),
        ("APP__LOG__LEVEL", "error".to_owned()),
        ("APP__RECONCILE__ENABLED", "false".to_owned()),
    ]);
    if let Ok(connections) = std::env::var("BENCH_CONNECTIONS") {
        env.insert("APP__DATABASE__MAX_CONNECTIONS", connections);
    }
    let env = env.into_iter().map(|(name, value)| (name.to_owned(), value)).collect();
    let settings = Settings::load_from(Path::new("config"), &env)?;
    let app = Application::build(&settings).await?;
    let address = format!("http://127.0.0.1:{}/webhook", app.port());
    let server = tokio::spawn(app.run_until_stopped());

    eprintln!("bench ({label}): creating {} orders", warmup + orders);
    let store: Arc<dyn OrderStore> = match backend {
        Backend::Postgres => Arc::new(PgStore::connect(&database_url, &PgStoreOptions::default()).await?),
        Backend::Sqlite => {
            Arc::new(SqliteStore::connect(&database_url, &SqliteStoreOptions::default()).await?)
        }
    };
    let mut payloads = create_orders(&store, warmup + orders).await?;
    let measured = payloads.split_off(warmup);
    let client = reqwest::Client::builder().pool_max_idle_per_host(IN_FLIGHT).build()?;

    if backend == Backend::Postgres {
        // The measured phase should not pay for flushing the setup's writes.
        if let Err(error) =
            sqlx::query("CHECKPOINT").execute(&sqlx::PgPool::connect(&database_url).await?).await
        {
            eprintln!(
                "bench ({label}): CHECKPOINT refused ({error}); figures may include flushing the setup"
            );
        }
    }
    eprintln!("bench ({label}): warming up with {warmup} events (not measured)");
    send(&client, &address, payloads).await?;

    let payloads = with_duplicates(measured);
    let total = payloads.len();
    eprintln!("bench ({label}): sending {total} signed events, {IN_FLIGHT} in flight");
    let started = Instant::now();
    let mut latencies = send(&client, &address, payloads).await?;
    let elapsed = started.elapsed();
    latencies.sort();
    let percentile = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];

    let all = warmup + orders;
    let listed = store.list_orders(u32::try_from(all + 1)?).await?;
    let paid = listed.iter().filter(|order| order.status() == OrderStatus::Paid).count();
    let stored = stored_events(backend, &database_url).await?;
    ensure!(paid == all && stored == all as i64, "end state wrong: {paid} paid, {stored} stored of {all}");
    server.abort();

    println!(
        "webhook ingest ({label}): {total} events ({} duplicates), {IN_FLIGHT} in flight",
        total - orders
    );
    println!("  throughput: {:.0} events/s", total as f64 / elapsed.as_secs_f64());
    println!("  latency:    p50 {:.2} ms, p99 {:.2} ms", ms(percentile(0.50)), ms(percentile(0.99)));
    println!("  checked:    {paid} orders paid, {stored} events stored once each (warm-up included)");
    Ok(())
}

/// `events` with every tenth one delivered again, 100 deliveries after the first (more than are in flight, so
/// the first has mostly been committed), as Stripe redelivers.
fn with_duplicates(events: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    const LATER: usize = 100;
    let mut deliveries = Vec::with_capacity(events.len() + events.len() / 10 + 1);
    for (n, event) in events.iter().enumerate() {
        deliveries.push(event.clone());
        if n >= LATER && (n - LATER) % 10 == 0 {
            deliveries.push(events[n - LATER].clone());
        }
    }
    let redelivered = events.len().saturating_sub(LATER).div_ceil(10);
    deliveries.extend(events.iter().step_by(10).skip(redelivered).cloned());
    deliveries
}

/// Creates `count` orders with their Checkout Sessions, 32 at a time, and returns a paid event for each.
async fn create_orders(store: &Arc<dyn OrderStore>, count: usize) -> anyhow::Result<Vec<Vec<u8>>> {
    let create = |n: usize| {
        let store = Arc::clone(store);
        async move {
            let item = LineItem::new("Course", Money::new(4900, Currency::USD)?, 1, None)?;
            let now = chrono::Utc::now();
            let order = Order::new(OrderId::new_v7(), Email::parse("bench@example.com")?, vec![item], now)?;
            store.insert_order(&order).await?;
            let session = CheckoutSessionId::parse(&format!("cs_test_bench{n}"))?;
            payments_domain::attach_session(&*store, order.id(), &session, now).await?;
            anyhow::Ok(completed_event(&order.id().to_string(), session.as_str(), n))
        }
    };
    futures::stream::iter((0..count).map(create)).buffered(IN_FLIGHT).try_collect().await
}

/// Delivers every payload in order, signed, with 32 in flight; each must get 200. Returns each delivery's latency.
async fn send(
    client: &reqwest::Client,
    address: &str,
    payloads: Vec<Vec<u8>>,
) -> anyhow::Result<Vec<Duration>> {
    let queue = Arc::new(tokio::sync::Mutex::new(std::collections::VecDeque::from(payloads)));
    let workers = (0..IN_FLIGHT).map(|_| {
        let (client, queue, address) = (client.clone(), queue.clone(), address.to_owned());
        tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let Some(body) = queue.lock().await.pop_front() else { break };
                let header = payments_stripe::signature_header(SECRET, chrono::Utc::now().timestamp(), &body);
                let sent = Instant::now();
                let response = client
                    .post(&address)
                    .header("stripe-signature", header)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await?;
                ensure!(response.status() == 200, "a delivery got {}", response.status());
                latencies.push(sent.elapsed());
            }
            anyhow::Ok(latencies)
        })
    });
    gather(workers).await
}

async fn stored_events(backend: Backend, url: &str) -> anyhow::Result<i64> {
    const SQL: &str = "SELECT count(*) FROM stripe_events";
    Ok(match backend {
        Backend::Postgres => sqlx::query_scalar(SQL).fetch_one(&sqlx::PgPool::connect(url).await?).await?,
        Backend::Sqlite => sqlx::query_scalar(SQL).fetch_one(&sqlx::SqlitePool::connect(url).await?).await?,
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn completed_event(order_id: &str, session_id: &str, n: usize) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "id": format!("evt_bench_{n}"),
        "object": "event",
        "api_version": "2026-09-30.endive",
        "created": chrono::Utc::now().timestamp(),
        "livemode": false,
        "pending_webhooks": 1,
        "request": {"id": null, "idempotency_key": null},
        "type": "checkout.session.completed",
        "data": {"object": {
            "id": session_id,
            "object": "checkout.session",
            "amount_total": 4900,
            "currency": "usd",
            "client_reference_id": order_id,
            "metadata": {"order_id": order_id},
            "mode": "payment",
            "payment_intent": format!("pi_bench{n}"),
            "payment_status": "paid",
            "status": "complete"
        }}
    }))
    .expect("serializable")
}
