//! The fulfilment outbox's delivery task, and the operator's commands (`payments outbox ...`).

use payments_domain::{Deliveries, Outbox, OutboxEntry, OutboxStatus};
use std::time::Duration;

/// The longest wait after a round that failed to reach the store.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Delivers due entries until the runtime stops: another round at once after one that claimed something, else
/// after `poll_interval`; after a store failure, a wait that doubles up to half a minute.
pub(crate) fn spawn_deliveries(deliveries: Deliveries, poll_interval: Duration) {
    tokio::spawn(async move {
        let mut backoff = poll_interval;
        loop {
            match deliveries.run_once().await {
                Ok(round) if round.claimed > 0 => {
                    tracing::debug!(?round, "outbox delivery round");
                    backoff = poll_interval;
                    continue;
                }
                Ok(_) => backoff = poll_interval,
                Err(error) => {
                    tracing::warn!(%error, "the outbox could not be read; delivery waits");
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
            tokio::time::sleep(backoff).await;
        }
    });
}

/// One line per entry, for `payments outbox list`.
pub fn line(entry: &OutboxEntry) -> String {
    format!(
        "{}  {:<27} {} #{}  {}  attempts {}  created {}{}",
        entry.id,
        entry.kind.as_str(),
        entry.subject,
        entry.sequence,
        entry.status.as_str(),
        entry.attempts,
        entry.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        entry.last_error.as_deref().map(|error| format!("  last error: {error}")).unwrap_or_default(),
    )
}

/// `payments outbox list [--status dead|pending|delivered] [--limit N]` and `payments outbox redeliver <id>`:
/// what to print, or why the arguments are wrong (the command's usage).
pub(crate) async fn command(outbox: &Outbox, args: &[String]) -> anyhow::Result<Vec<String>> {
    const USAGE: &str = "use `payments outbox list [--status dead|pending|delivered] [--limit 1-500]` or \
                         `payments outbox redeliver <entry id>`";
    match args.first().map(String::as_str) {
        Some("list") => {
            let (mut status, mut limit) = (OutboxStatus::Dead, 100u32);
            let mut rest = args[1..].iter();
            while let Some(flag) = rest.next() {
                let value = rest.next().ok_or_else(|| anyhow::anyhow!("{flag} needs a value; {USAGE}"))?;
                match flag.as_str() {
                    "--status" => {
                        status = value.parse().map_err(|_| anyhow::anyhow!("--status {value:?}: {USAGE}"))?
                    }
                    "--limit" => {
                        limit = value
                            .parse()
                            .ok()
                            .filter(|limit| (1..=payments_domain::MAX_OUTBOX_PAGE).contains(limit))
                            .ok_or_else(|| anyhow::anyhow!("--limit {value:?}: {USAGE}"))?
                    }
                    other => anyhow::bail!("unknown option {other:?}; {USAGE}"),
                }
            }
            let entries = outbox.list(status, limit).await?;
            let mut lines: Vec<String> = entries.iter().map(line).collect();
            lines.push(format!(
                "{} {} entr{}",
                entries.len(),
                status.as_str(),
                if entries.len() == 1 { "y" } else { "ies" }
            ));
            Ok(lines)
        }
        Some("redeliver") => {
            let [_, id] = args else { anyhow::bail!("redeliver takes one entry id; {USAGE}") };
            let id = uuid::Uuid::parse_str(id)
                .map_err(|_| anyhow::anyhow!("{id:?} is not an entry id (a UUID)"))?;
            let entry = outbox.redeliver(id).await?;
            Ok(vec![line(&entry), "to be delivered again by the running service".to_owned()])
        }
        _ => anyhow::bail!("{USAGE}"),
    }
}
