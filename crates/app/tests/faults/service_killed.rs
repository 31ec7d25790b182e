//! The service killed with SIGKILL in the middle of a burst (once; three times in the full version), then
//! started again on the same port, while Stripe goes on retrying.

use crate::deliver::{Answer, Plan, Run};
use crate::figures::{self, Window};
use crate::scale::pick;
use crate::service::Service;
use crate::{harness, serial, verify};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_service_killed_mid_burst_and_restarted_nothing_acknowledged_is_lost_and_nothing_is_applied_twice(
) {
    let _serial = serial().await;
    let setup = harness::postgres("killed", pick(200, 2000)).await;
    let mut service = Service::start(&setup.url, &[]).await;
    let deliveries = setup.scenario.deliveries();
    let total = deliveries.len();
    let plan = Plan {
        endpoints: vec![service.url("/webhook")],
        // As fast as 32 in flight allow: a service that answered before committing would have a backlog
        // of acknowledged events to lose.
        rate: 1000.0,
        in_flight: 32,
        give_up: Duration::from_secs(120),
    };
    let run = Run::start(&setup.scenario.events, deliveries, plan);
    let kills = pick(1, 3);
    let mut windows = Vec::new();
    for kill in 1..=kills {
        run.wait_acknowledged(total * kill / (kills + 1), Duration::from_secs(120)).await;
        let from = run.elapsed();
        service.kill();
        tokio::time::sleep(pick(Duration::from_secs(1), Duration::from_secs(3))).await;
        service.restart().await;
        windows.push(Window { from, to: run.elapsed() });
    }
    let report = run.finish(Duration::from_secs(240)).await;

    let cut = report.attempts.iter().filter(|a| matches!(a.answer, Answer::Failed { .. })).count();
    assert!(cut > 0, "no delivery failed: the service was not killed in the middle of the burst");
    verify::assert_answers_are_clear(&report);
    let verdict = verify::check(&setup.db, &setup.scenario, &report).await;
    let extra = format!("{cut} attempts cut or refused while the service was down");
    figures::print("service killed with SIGKILL", &report, &verdict, &windows, &extra);
}
