//! The report of events kept as orphans for too long: a warning in the log while there are any.

use payments_domain::WebhookIngest;
use std::time::Duration;

/// Most time between two checks.
const MAX_INTERVAL: Duration = Duration::from_secs(600);

/// Checks every tenth of `age` (at least a second, at most ten minutes) for events kept as orphans for longer
/// than `age`, and warns while there are any. Runs until the runtime stops.
pub(crate) fn spawn_report(ingest: WebhookIngest, age: Duration) {
    let interval = (age / 10).clamp(Duration::from_secs(1), MAX_INTERVAL);
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match ingest.orphans_older_than(age).await {
                Ok(orphans) => {
                    if let Some((oldest, received_at)) = &orphans.oldest {
                        tracing::warn!(
                            count = orphans.count,
                            oldest_event = %oldest,
                            oldest_received_at = %received_at,
                            age_secs = age.as_secs(),
                            "events kept as orphans for longer than webhook.orphan_report_after_secs: they name \
                             no order this service knows (SELECT * FROM stripe_events WHERE outcome = 'orphaned')"
                        );
                    }
                }
                Err(error) => tracing::debug!(%error, "the orphan report could not read the store"),
            }
        }
    });
}
