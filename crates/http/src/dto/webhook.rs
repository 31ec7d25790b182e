//! The acknowledgement of a webhook delivery.

use payments_domain::RecordOutcome;
use serde::Serialize;

/// `{"received": true, "outcome": "applied" | "duplicate" | "orphaned" | "stored"}`.
#[derive(Debug, Serialize)]
pub(crate) struct WebhookAck {
    received: bool,
    outcome: &'static str,
}

impl From<&RecordOutcome> for WebhookAck {
    fn from(outcome: &RecordOutcome) -> Self {
        let outcome = match outcome {
            RecordOutcome::Applied { .. } => "applied",
            RecordOutcome::Duplicate => "duplicate",
            RecordOutcome::Orphaned => "orphaned",
            RecordOutcome::Stored => "stored",
        };
        Self { received: true, outcome }
    }
}
