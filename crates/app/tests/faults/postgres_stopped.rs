//! PostgreSQL stopped (fast, then in another test immediately) in the middle of a burst, and started again.

use crate::cluster::StopMode;
use crate::deliver::{Plan, Run};
use crate::figures::{self, Window};
use crate::scale::pick;
use crate::service::Service;
use crate::{harness, serial, verify};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_postgres_stopped_fast_mid_burst_webhooks_get_503_and_after_retries_every_event_is_stored_once()
{
    postgres_stopped(StopMode::Fast, "postgres stopped fast").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_postgres_stopped_immediately_mid_burst_webhooks_get_503_and_after_retries_every_event_is_stored_once(
) {
    postgres_stopped(StopMode::Immediate, "postgres stopped immediately").await;
}

/// Delivers a burst; once a third of it is acknowledged, stops Postgres with `mode`, keeps it down (8 s; 10 s
/// in the full version), starts it again; then checks every answer given while it was down was 503, and the
/// end state. (A webhook that comes while Postgres is down waits for a connection for
/// `database.acquire_timeout_ms`, 3 s, and those queued behind it up to twice that, before their 503: the
/// short outage is longer than that.)
async fn postgres_stopped(mode: StopMode, name: &str) {
    let _serial = serial().await;
    let setup = harness::postgres("pgstop", pick(200, 2000)).await;
    let service = Service::start(&setup.url, &[]).await;
    let deliveries = setup.scenario.deliveries();
    let total = deliveries.len();
    let plan = Plan {
        endpoints: vec![service.url("/webhook")],
        // The burst lasts about 6 s plus the outage (22 s in full), so it goes on through the outage.
        rate: pick(50.0, 150.0),
        in_flight: 32,
        give_up: Duration::from_secs(120),
    };
    let run = Run::start(&setup.scenario.events, deliveries, plan);
    run.wait_acknowledged(total / 3, Duration::from_secs(60)).await;

    let from = run.elapsed();
    setup.cluster.stop(mode);
    let down = run.elapsed();
    tokio::time::sleep(pick(Duration::from_secs(8), Duration::from_secs(10))).await;
    let restarting = run.elapsed();
    setup.cluster.start_again();
    let to = run.elapsed();
    let report = run.finish(Duration::from_secs(240)).await;

    let answered: Vec<_> = Window { from: down, to: restarting }.answered(&report).collect();
    assert!(
        !answered.is_empty(),
        "no webhook was answered while Postgres was down:\n{}",
        service.log_tail(20)
    );
    let wrong: Vec<_> = answered.iter().filter(|a| !a.answer.unavailable()).map(|a| &a.answer).collect();
    assert!(wrong.is_empty(), "while Postgres was down, webhooks got {wrong:?}, not 503 store_unavailable");
    verify::assert_answers_are_clear(&report);
    let verdict = verify::check(&setup.db, &setup.scenario, &report).await;
    let extra = format!("{} answers while down, all 503", answered.len());
    figures::print(name, &report, &verdict, &[Window { from, to }], &extra);
}
