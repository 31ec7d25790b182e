//! SQLite on a disk that fills up in the middle of a burst: a small tmpfs filled to the last byte, then freed.

use crate::deliver::{Plan, Run};
use crate::figures::{self, Window};
use crate::scale::pick;
use crate::service::Service;
use crate::tmpfs::Tmpfs;
use crate::verify::{self, Db};
use crate::{harness, serial};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_sqlite_disk_full_webhooks_get_503_nothing_unstored_is_acknowledged_and_the_file_stays_sound(
) {
    let _serial = serial().await;
    let disk = Tmpfs::mount("64m");
    let url = format!("sqlite://{}", disk.path().join("payments.db").display());
    let scenario = harness::sqlite(&url, "full", pick(150, 1500)).await;
    let mut service = Service::start(&url, &[]).await;
    let deliveries = scenario.deliveries();
    let total = deliveries.len();
    let plan = Plan {
        endpoints: vec![service.url("/webhook")],
        rate: pick(60.0, 100.0),
        in_flight: 16,
        give_up: Duration::from_secs(240),
    };
    let run = Run::start(&scenario.events, deliveries, plan);
    run.wait_acknowledged(total / 4, Duration::from_secs(60)).await;

    let from = run.elapsed();
    let ballast = disk.fill();
    tokio::time::sleep(pick(Duration::from_secs(3), Duration::from_secs(10))).await;
    let freeing = run.elapsed();
    std::fs::remove_file(&ballast).expect("the ballast removed");
    let to = run.elapsed();
    let report = run.finish(Duration::from_secs(300)).await;
    let full_errors = service.log_lines_with("SQLITE_FULL").len();
    let reopened = service.log_lines_with("reopening it").len();
    service.kill();

    let refused = Window { from, to: freeing }.inside(&report).filter(|a| a.answer.unavailable()).count();
    assert!(refused > 0, "no webhook was refused while the disk was full:\n{}", service.log_tail(20));
    assert!(full_errors > 0, "the service's log never says SQLITE_FULL:\n{}", service.log_tail(20));
    verify::assert_answers_are_clear(&report);
    let db = Db::connect(&url).await;
    let verdict = verify::check(&db, &scenario, &report).await;
    db.close().await;
    let extra = format!(
        "{refused} answers 503 while the disk was full, {full_errors} log lines naming SQLITE_FULL, the writer's \
         connection reopened {reopened} times"
    );
    figures::print("SQLite disk full", &report, &verdict, &[Window { from, to }], &extra);
}
