//! The fulfilment outbox under several instances and a crash: two service processes on one Postgres share the
//! webhooks and the deliveries, and a service killed while an entry is on its way sends it again once
//! restarted.

use crate::deliver::{Plan, Run};
use crate::figures;
use crate::scale::pick;
use crate::scenario::shuffle;
use crate::service::Service;
use crate::verify::Db;
use crate::{harness, serial, verify};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const SECRET: &str = "fulfilment_faults_secret_0123456789";

/// The settings that send the outbox to `shop`, retried within a second, checked every 50 ms.
fn delivering_to(shop: &MockServer, timeout_ms: &'static str) -> Vec<(&'static str, String)> {
    vec![
        ("FULFILMENT_WEBHOOK_URLS", format!("{}/fulfilment", shop.uri())),
        ("FULFILMENT_WEBHOOK_SECRET", SECRET.to_owned()),
        ("APP__FULFILMENT__FIRST_RETRY_SECS", "1".to_owned()),
        ("APP__FULFILMENT__MAX_RETRY_SECS", "1".to_owned()),
        ("APP__FULFILMENT__POLL_INTERVAL_MS", "50".to_owned()),
        ("APP__FULFILMENT__TIMEOUT_MS", timeout_ms.to_owned()),
    ]
}

fn env_refs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(name, value)| (*name, value.as_str())).collect()
}

/// Waits until every outbox entry is delivered; how many there are.
async fn drained(db: &Db, within: Duration) -> usize {
    let deadline = Instant::now() + within;
    loop {
        let left = db.texts("SELECT count(*)::text FROM outbox WHERE status <> 'delivered'").await;
        if left[0] == "0" {
            return db.texts("SELECT count(*)::text FROM outbox").await[0].parse().expect("a count");
        }
        assert!(Instant::now() < deadline, "{} outbox entries still undelivered after {within:?}", left[0]);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The entry ids and per-order sequence numbers of `requests`, in arrival order.
fn entries(requests: &[Request]) -> Vec<(String, String, i64)> {
    requests
        .iter()
        .map(|request| {
            let body: serde_json::Value = serde_json::from_slice(&request.body).expect("a JSON entry");
            let text = |key: &str| body[key].as_str().expect("a text field").to_owned();
            (text("id"), text("order_id"), body["sequence"].as_i64().expect("a sequence"))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_store_every_event_once_and_deliver_every_entry_in_order() {
    let _serial = serial().await;
    // `make soak` sets SOAK_ORDERS (100,000 by default there).
    let orders = match std::env::var("SOAK_ORDERS") {
        Ok(count) => count.parse().expect("SOAK_ORDERS is a number of orders"),
        Err(_) => pick(2_000, 2_000),
    };
    let setup = harness::postgres("two", orders).await;
    let shop = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&shop).await;
    let env = delivering_to(&shop, "5000");
    let one = Service::start(&setup.url, &env_refs(&env)).await;
    let two = Service::start(&setup.url, &env_refs(&env)).await;

    // Every event three times, shuffled, split across both instances.
    let mut deliveries: Vec<usize> = (0..setup.scenario.events.len()).flat_map(|n| [n, n, n]).collect();
    shuffle(&mut deliveries, 0x7a0_1257);
    let plan = Plan {
        endpoints: vec![one.url("/webhook"), two.url("/webhook")],
        rate: 2_000.0,
        in_flight: 32,
        give_up: Duration::from_secs(120),
    };
    let started = Instant::now();
    let report = Run::start(&setup.scenario.events, deliveries, plan)
        .finish(Duration::from_secs(300 + orders as u64 / 50))
        .await;
    verify::assert_answers_are_clear(&report);
    let verdict = verify::check(&setup.db, &setup.scenario, &report).await;

    let written = drained(&setup.db, Duration::from_secs(120 + orders as u64 / 100)).await;
    let took = started.elapsed();
    let received = entries(&shop.received_requests().await.expect("recording"));
    let stored: HashSet<String> = setup.db.texts("SELECT id::text FROM outbox").await.into_iter().collect();
    let ids: HashSet<&str> = received.iter().map(|(id, _, _)| id.as_str()).collect();
    let missing = stored.iter().filter(|id| !ids.contains(id.as_str())).count();
    assert_eq!(missing, 0, "{missing} of {written} outbox entries never reached the shop");
    assert!(
        written >= orders,
        "every order's fate is news to the shop: {written} entries for {orders} orders"
    );
    // An order's entries first arrive in their sequence.
    let mut first_seen: HashMap<&str, i64> = HashMap::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for (id, order, sequence) in &received {
        if !seen.insert(id.as_str()) {
            continue;
        }
        let last = first_seen.insert(order.as_str(), *sequence).unwrap_or(0);
        assert_eq!(*sequence, last + 1, "order {order}: entry {sequence} arrived after {last}");
    }
    let duplicates = received.len() - ids.len();
    let extra = format!(
        "two instances: {written} outbox entries, {} deliveries to the shop, {duplicates} duplicate(s), all \
         delivered {:.1} s after the first webhook",
        received.len(),
        took.as_secs_f64()
    );
    let name = if std::env::var("SOAK_ORDERS").is_ok() {
        "soak, two instances on one Postgres"
    } else {
        "two instances on one Postgres"
    };
    figures::print(name, &report, &verdict, &[], &extra);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_killed_while_an_entry_is_on_its_way_sends_it_again_after_restart() {
    let _serial = serial().await;
    let setup = harness::postgres("outbox_killed", 6).await;
    let shop = MockServer::start().await;
    // The first delivery is taken in but never answered while the service lives; later ones are answered.
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(30)))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&shop)
        .await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).with_priority(2).mount(&shop).await;
    // A three-second deadline: a claim's lease is three deadlines with one endpoint, 9 s.
    let env = delivering_to(&shop, "3000");
    let mut service = Service::start(&setup.url, &env_refs(&env)).await;
    let paid = &setup.scenario.events.iter().find(|event| setup.scenario.orders[event.order].events == 1);
    let paid = paid.expect("an order settled by one event");
    let plan = Plan {
        endpoints: vec![service.url("/webhook")],
        rate: 100.0,
        in_flight: 1,
        give_up: Duration::from_secs(30),
    };
    let report = Run::start(
        &setup.scenario.events,
        vec![setup.scenario.events.iter().position(|e| e.id == paid.id).expect("the event")],
        plan,
    )
    .finish(Duration::from_secs(30))
    .await;
    assert!(report.answers().all(|attempt| attempt.answer.acknowledged()), "the webhook is taken");

    let deadline = Instant::now() + Duration::from_secs(20);
    while shop.received_requests().await.expect("recording").is_empty() {
        assert!(Instant::now() < deadline, "the entry never left");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    service.kill();
    let killed_at = Instant::now();
    service.restart().await;
    drained(&setup.db, Duration::from_secs(30)).await;
    let received = entries(&shop.received_requests().await.expect("recording"));
    assert_eq!(received.len(), 2, "sent once before the kill, once after: {received:?}");
    assert_eq!(received[0].0, received[1].0, "the same entry, sent again");
    eprintln!(
        "fault figures: outbox entry resent {:.1} s after the service was killed mid-delivery",
        killed_at.elapsed().as_secs_f64()
    );
}
