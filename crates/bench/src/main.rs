//! `make bench`: for each backend (Postgres, then SQLite; `BENCH_BACKENDS` picks), starts the service on
//! port 0 against a fresh database, creates orders, then sends
//! signed `checkout.session.completed` events (10% of them duplicates) over HTTP with 32 in flight, and
//! prints events/s, p50 and p99 of verified, deduplicated, committed events. It checks the end state too.

use anyhow::{ensure, Context};
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
    let orders: usize = std::env::var("BENCH_ORDERS").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let backends = std::env::var("BENCH_BACKENDS").unwrap_or_else(|_| "postgres,sqlite".to_owned());
    for name in backends.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let backend = match name {
            "postgres" => Backend::Postgres,
            "sqlite" => Backend::Sqlite,
            other => anyhow::bail!("BENCH_BACKENDS lists {other:?}; use postgres and/or sqlite"),
        };
        run(backend, orders).await?;
    }
    Ok(())
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

async fn run(backend: Backend, orders: usize) -> anyhow::Result<()> {
    let label = match backend {
        Backend::Postgres => "Postgres",
        Backend::Sqlite => "SQLite",
    };
    let (database_url, _keep) = fresh_database(backend).await;
    let env: HashMap<&str, String> = HashMap::from([
        ("DATABASE_URL", database_url.clone()),
        ("STRIPE_SECRET_KEY", "sk_test_bench".to_owned()),
        ("STRIPE_WEBHOOK_SECRET", SECRET.to_owned()),
        ("STRIPE_API_BASE", "http://127.0.0.1:9/".to_owned()),
        ("PORT", "0".to_owned()),
        ("APP__SERVER__STOREFRONT", "false".to_owned()),
        (
            "APP__DATABASE__MAX_CONNECTIONS",
            std::env::var("BENCH_CONNECTIONS").unwrap_or_else(|_| "32".to_owned()),
        ),
        ("APP__LOG__LEVEL", "error".to_owned()),
    ]);
    let settings = Settings::load_from(Path::new("config"), |name| env.get(name).cloned())?;
    let app = Application::build(&settings).await?;
    let address = format!("http://127.0.0.1:{}/webhook", app.port());
    let server = tokio::spawn(app.run_until_stopped());

    eprintln!("bench ({label}): creating {orders} orders");
    let store: Arc<dyn OrderStore> = match backend {
        Backend::Postgres => Arc::new(PgStore::connect_lazy(&database_url, &PgStoreOptions::default())?),
        Backend::Sqlite => {
            Arc::new(SqliteStore::connect(&database_url, &SqliteStoreOptions::default()).await?)
        }
    };
    let mut payloads = Vec::with_capacity(orders + orders / 10);
    for n in 0..orders {
        let item = LineItem::new("Course", Money::new(4900, Currency::USD)?, 1, None)?;
        let order = Order::new(
            OrderId::new_v7(),
            Email::parse("bench@example.com")?,
            vec![item],
            chrono::Utc::now(),
        )?;
        store.insert_order(&order).await?;
        let session = CheckoutSessionId::parse(&format!("cs_test_bench{n}"))?;
        store.attach_checkout_session(order.id, &session, chrono::Utc::now()).await?;
        payloads.push(completed_event(&order.id.to_string(), session.as_str(), n));
    }
    let duplicates: Vec<Vec<u8>> = payloads.iter().step_by(10).cloned().collect();
    payloads.extend(duplicates);
    let total = payloads.len();

    let client = reqwest::Client::builder().pool_max_idle_per_host(IN_FLIGHT).build()?;
    let queue = Arc::new(tokio::sync::Mutex::new(payloads));
    eprintln!("bench ({label}): sending {total} signed events, {IN_FLIGHT} in flight");
    let started = Instant::now();
    let workers = (0..IN_FLIGHT).map(|_| {
        let (client, queue, address) = (client.clone(), queue.clone(), address.clone());
        tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let Some(body) = queue.lock().await.pop() else { break };
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
    let mut latencies: Vec<Duration> = Vec::with_capacity(total);
    for worker in futures::future::join_all(workers).await {
        latencies.extend(worker.context("worker panicked")??);
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let percentile = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];

    let listed = store.list_orders(orders as u32 + 1).await?;
    let paid = listed.iter().filter(|order| order.status == OrderStatus::Paid).count();
    let stored = stored_events(backend, &database_url).await?;
    ensure!(
        std::env::var("BENCH_TYPE").is_ok() || paid == orders && stored == orders as i64,
        "end state wrong: {paid} paid, {stored} stored"
    );
    server.abort();

    println!(
        "webhook ingest ({label}): {total} events ({} duplicates), {IN_FLIGHT} in flight",
        total - orders
    );
    println!("  throughput: {:.0} events/s", total as f64 / elapsed.as_secs_f64());
    println!("  latency:    p50 {:.2} ms, p99 {:.2} ms", ms(percentile(0.50)), ms(percentile(0.99)));
    println!("  checked:    {paid} orders paid, {stored} events stored once each");
    Ok(())
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
        "type": std::env::var("BENCH_TYPE").unwrap_or_else(|_| "checkout.session.completed".to_owned()),
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
