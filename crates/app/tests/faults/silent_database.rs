//! The database stops answering: a proxy between the service and Postgres stops forwarding (it holds the
//! bytes, it closes nothing) in the middle of a burst, then forwards again.

use crate::deliver::{Answer, Plan, Run};
use crate::figures::{self, ms, Window};
use crate::proxy::StallProxy;
use crate::scale::pick;
use crate::service::Service;
use crate::{harness, serial, verify};
use std::time::{Duration, Instant};

/// How much later than its deadline an answer may come (scheduling on two shared cores).
const SLACK: Duration = Duration::from_millis(1500);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_database_silent_webhooks_get_503_within_their_deadline_readyz_says_not_ready_and_nothing_hangs(
) {
    let _serial = serial().await;
    let setup = harness::postgres("silent", pick(150, 1500)).await;
    let proxy = StallProxy::start(([127, 0, 0, 1], setup.cluster.port()).into()).await;
    let url = format!("postgres://postgres@{}/payments", proxy.addr());
    // Short: a webhook deadline of 2 s (the default 8 s in the full version, past which the store's own
    // group deadline of 10 s abandons the stuck connection too).
    let deadline = pick(Duration::from_secs(2), Duration::from_secs(8));
    let deadline_ms = deadline.as_millis().to_string();
    let service = Service::start(&url, &[("APP__WEBHOOK__DEADLINE_MS", deadline_ms.as_str())]).await;
    let deliveries = setup.scenario.deliveries();
    let total = deliveries.len();
    let plan = Plan {
        endpoints: vec![service.url("/webhook")],
        rate: pick(40.0, 60.0),
        in_flight: 32,
        give_up: Duration::from_secs(240),
    };
    let run = Run::start(&setup.scenario.events, deliveries, plan);
    run.wait_acknowledged(total / 4, Duration::from_secs(60)).await;

    let from = run.elapsed();
    proxy.stall();
    let probes = probe(&service, pick(Duration::from_secs(5), Duration::from_secs(20))).await;
    let to = run.elapsed();
    proxy.resume();
    let report = run.finish(Duration::from_secs(300)).await;
    service.wait_ready(Duration::from_secs(30)).await;

    let window = Window { from, to };
    let late: Vec<_> = window.attempts(&report).filter(|a| a.took > deadline + SLACK).collect();
    assert!(
        late.is_empty(),
        "while the database was silent, {} answers took longer than {deadline:?}: {:?}",
        late.len(),
        late.iter().map(|a| a.took).max()
    );
    let inside: Vec<_> = window.inside(&report).filter(|a| matches!(a.answer, Answer::Http { .. })).collect();
    assert!(!inside.is_empty(), "no webhook was answered while the database was silent");
    let wrong: Vec<_> = inside.iter().filter(|a| !a.answer.unavailable()).map(|a| &a.answer).collect();
    assert!(
        wrong.is_empty(),
        "while the database was silent, webhooks got {wrong:?}, not 503 store_unavailable"
    );
    let ready_ok = probes.iter().filter(|p| p.ready_status == 200).count();
    assert_eq!(ready_ok, 0, "/readyz said ready while the database was silent");
    let slowest_ready = probes.iter().map(|p| p.ready_took).max().unwrap_or_default();
    assert!(slowest_ready <= Duration::from_secs(1) + SLACK, "/readyz took {slowest_ready:?}");
    let slowest_health = probes.iter().map(|p| p.health_took).max().unwrap_or_default();
    assert!(slowest_health <= SLACK, "/healthz took {slowest_health:?}: the process hangs");
    verify::assert_answers_are_clear(&report);
    let verdict = verify::check(&setup.db, &setup.scenario, &report).await;
    let extra = format!(
        "webhook deadline {}, {} answers while silent, all 503; /readyz 503 not_ready {} times, slowest {}",
        ms(deadline),
        inside.len(),
        probes.len(),
        ms(slowest_ready)
    );
    figures::print("database silent (a proxy holding the bytes)", &report, &verdict, &[window], &extra);
}

/// One probe of `/readyz` and `/healthz`.
#[derive(Debug)]
struct Probe {
    ready_status: u16,
    ready_took: Duration,
    health_took: Duration,
}

/// Probes `/readyz` and `/healthz` every 250 ms for `during`; `/readyz` must answer 503 `not_ready`.
async fn probe(service: &Service, during: Duration) -> Vec<Probe> {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("client");
    let until = Instant::now() + during;
    let mut probes = Vec::new();
    while Instant::now() < until {
        let started = Instant::now();
        let ready = client.get(service.url("/readyz")).send().await.expect("/readyz answers");
        let ready_status = ready.status().as_u16();
        let body: serde_json::Value = ready.json().await.unwrap_or_default();
        let ready_took = started.elapsed();
        assert!(
            ready_status == 200 || body["error"]["code"] == "not_ready",
            "/readyz answered {ready_status} {body}"
        );
        let started = Instant::now();
        let health = client.get(service.url("/healthz")).send().await.expect("/healthz answers");
        assert_eq!(health.status(), 200, "/healthz");
        probes.push(Probe { ready_status, ready_took, health_took: started.elapsed() });
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    probes
}
