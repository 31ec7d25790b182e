//! The periodic reconciliation run: a first one shortly after start, then one every interval.

use payments_domain::Reconciler;
use std::time::Duration;

/// How long after start the first run begins (the service is serving by then).
const FIRST_RUN_AFTER: Duration = Duration::from_secs(5);

/// Runs reconciliation every `every` until the runtime stops; a run logs its report (one that stopped early
/// as a warning: the next run covers the gap).
pub(crate) fn spawn_periodic(reconciler: Reconciler, every: Duration) {
    tokio::spawn(async move {
        tokio::time::sleep(FIRST_RUN_AFTER.min(every)).await;
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let report = reconciler.run(None).await;
            if let Some(error) = &report.error {
                tracing::warn!(%error, summary = %report.summary(), "reconciliation stopped early; the next run goes on");
            }
        }
    });
}
