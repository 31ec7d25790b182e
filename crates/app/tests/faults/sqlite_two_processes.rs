//! Two service processes on one SQLite file, Stripe's deliveries spread over both (as behind a load
//! balancer), and one of them killed with SIGKILL in the middle of the burst and started again.

use crate::deliver::{Answer, Plan, Run};
use crate::figures::{self, Window};
use crate::scale::pick;
use crate::service::Service;
use crate::tmpfs::Scratch;
use crate::verify::{self, Db};
use crate::{harness, serial};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_two_processes_on_one_sqlite_file_every_event_is_stored_once_and_every_error_is_a_clear_503() {
    let _serial = serial().await;
    let dir = Scratch::new("twin");
    let url = format!("sqlite://{}", dir.path().join("payments.db").display());
    let scenario = harness::sqlite(&url, "twin", pick(150, 1500)).await;
    let mut first = Service::start(&url, &[]).await;
    let second = Service::start(&url, &[]).await;
    let deliveries = scenario.deliveries();
    let total = deliveries.len();
    let plan = Plan {
        endpoints: vec![first.url("/webhook"), second.url("/webhook")],
        rate: pick(80.0, 120.0),
        in_flight: 16,
        give_up: Duration::from_secs(240),
    };
    let run = Run::start(&scenario.events, deliveries, plan);
    run.wait_acknowledged(total / 3, Duration::from_secs(60)).await;
    let from = run.elapsed();
    first.kill();
    tokio::time::sleep(Duration::from_secs(1)).await;
    first.restart().await;
    let to = run.elapsed();
    let report = run.finish(Duration::from_secs(300)).await;
    let busy = first.log_lines_with("SQLITE_BUSY").len() + second.log_lines_with("SQLITE_BUSY").len();
    first.kill();
    drop(second);

    let by_second = report.answers().filter(|a| a.endpoint == 1 && a.answer.acknowledged()).count();
    assert!(by_second > 0, "the second process acknowledged nothing");
    let cut = report.attempts.iter().filter(|a| matches!(a.answer, Answer::Failed { .. })).count();
    verify::assert_answers_are_clear(&report);
    let db = Db::connect(&url).await;
    let verdict = verify::check(&db, &scenario, &report).await;
    db.close().await;
    let extra = format!(
        "two processes on one file, one killed and restarted ({cut} attempts cut or refused), {busy} log lines \
         naming SQLITE_BUSY"
    );
    figures::print("SQLite, two processes on one file", &report, &verdict, &[Window { from, to }], &extra);
}
