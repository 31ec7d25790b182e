//! A row lock held on one order for a long time (another transaction's `SELECT ... FOR UPDATE`: 4 s; 30 s in
//! the full version) while events for it and for other orders arrive.

use crate::deliver::{Attempt, Plan, Report, Run};
use crate::figures::{self, ms, quantile, Window};
use crate::scale::pick;
use crate::service::Service;
use crate::{cluster, harness, serial, verify};
use std::time::Duration;

/// The order whose row is held (a paid and refunded one: two events).
const LOCKED: usize = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_one_order_locked_for_long_events_for_other_orders_answer_within_their_normal_latency() {
    let _serial = serial().await;
    let setup = harness::postgres("locked", pick(120, 1200)).await;
    let service = Service::start(&setup.url, &[]).await;
    let scenario = &setup.scenario;
    let hold = pick(Duration::from_secs(4), Duration::from_secs(30));
    let (locked, others): (Vec<usize>, Vec<usize>) =
        scenario.deliveries().into_iter().partition(|&d| scenario.events[d].order == LOCKED);
    let (before, during) = others.split_at(others.len() / 3);
    let rate = during.len() as f64 / hold.as_secs_f64();
    let plan = |rate: f64| Plan {
        endpoints: vec![service.url("/webhook")],
        rate,
        in_flight: 16,
        give_up: Duration::from_secs(120),
    };

    // Normal latency: the same traffic, at the same rate, with no lock held.
    let baseline =
        Run::start(&scenario.events, before.to_vec(), plan(rate)).finish(Duration::from_secs(120)).await;
    let normal: Vec<Duration> = baseline.answers().map(|a| a.took).collect();

    let mut holder = cluster::connect(&setup.url).await;
    sqlx::query("BEGIN").execute(&mut holder).await.expect("BEGIN");
    sqlx::query("SELECT id FROM orders WHERE id::text = $1 FOR UPDATE")
        .bind(&scenario.orders[LOCKED].id)
        .fetch_one(&mut holder)
        .await
        .expect("the order's row locked");
    let deliveries: Vec<usize> = locked.iter().chain(during).copied().collect();
    let run = Run::start(&scenario.events, deliveries, plan(rate));
    tokio::time::sleep(hold).await;
    let released = run.elapsed();
    sqlx::query("ROLLBACK").execute(&mut holder).await.expect("ROLLBACK");
    let report = run.finish(Duration::from_secs(180)).await;

    let window = Window { from: Duration::ZERO, to: released };
    let is_locked = |a: &&Attempt| scenario.events[a.event].order == LOCKED;
    let (held, other): (Vec<&Attempt>, Vec<&Attempt>) = window.inside(&report).partition(is_locked);
    let not_acknowledged: Vec<_> =
        other.iter().filter(|a| !a.answer.acknowledged()).map(|a| &a.answer).collect();
    assert!(not_acknowledged.is_empty(), "other orders' events got {not_acknowledged:?} during the lock");
    let during_lock: Vec<Duration> = other.iter().map(|a| a.took).collect();
    assert!(during_lock.len() >= during.len() / 2, "too few other events were answered during the lock");
    let (normal_p99, p99, longest) =
        (quantile(&normal, 0.99), quantile(&during_lock, 0.99), figures::longest(other.iter().copied()));
    // Waiting for the lock would take its `database.lock_timeout_ms` (2 s): a p99 within three times the normal
    // one, or half a second more, and no answer over a second, is normal on two shared cores.
    let bound = (normal_p99 * 3).max(normal_p99 + Duration::from_millis(500));
    assert!(p99 <= bound, "during the lock other orders' p99 was {p99:?}, against {normal_p99:?} without it");
    assert!(longest < Duration::from_secs(1), "during the lock an other order's event took {longest:?}");
    assert!(!held.is_empty(), "no delivery for the locked order was answered during the lock");
    assert!(
        held.iter().all(|a| a.answer.unavailable()),
        "the locked order's events were not all answered 503"
    );
    let held_longest = figures::longest(held.iter().copied());
    assert!(held_longest < Duration::from_secs(2), "an event of the locked order waited {held_longest:?}");

    verify::assert_answers_are_clear(&report);
    let whole: Report = baseline.and(report.clone());
    let verdict = verify::check(&setup.db, scenario, &whole).await;
    let extra = format!(
        "other orders during the lock: p50 {} p99 {} max {} (without it: p50 {} p99 {} max {}); \
         the locked order's events answered 503 {} times, longest {}",
        ms(quantile(&during_lock, 0.5)),
        ms(p99),
        ms(longest),
        ms(quantile(&normal, 0.5)),
        ms(normal_p99),
        ms(quantile(&normal, 1.0)),
        held.len(),
        ms(held_longest)
    );
    figures::print("one order's row locked", &whole, &verdict, &[shifted(window, &whole, &report)], &extra);
}

/// `window` (in `part`'s times) in the times of `whole`, which `part` was merged into.
fn shifted(window: Window, whole: &Report, part: &Report) -> Window {
    let offset = part.started.saturating_duration_since(whole.started);
    Window { from: window.from + offset, to: window.to + offset }
}
