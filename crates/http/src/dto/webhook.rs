//! The acknowledgement of a webhook delivery.

use payments_domain::{Effect, RecordOutcome};
use serde::Serialize;

/// `{"received": true, "outcome": "applied" | "ignored" | "refused" | "duplicate" | "orphaned" | "stored"}`:
/// `ignored` when the order knew what the event says already, `refused` when it names another order's
/// session or payment, or comes from another Stripe mode or account (nothing changed).
#[derive(Debug, Serialize)]
pub(crate) struct WebhookAck {
    received: bool,
    outcome: &'static str,
}

impl From<&RecordOutcome> for WebhookAck {
    fn from(outcome: &RecordOutcome) -> Self {
        let outcome = match outcome {
            RecordOutcome::Applied { effect: Effect::Ignored, .. }
            | RecordOutcome::Subscription { effect: Effect::Ignored, .. } => "ignored",
            RecordOutcome::Applied { effect: Effect::Refused { .. }, .. } | RecordOutcome::Refused { .. } => {
                "refused"
            }
            RecordOutcome::Applied { .. } | RecordOutcome::Subscription { .. } => "applied",
            RecordOutcome::Duplicate => "duplicate",
            RecordOutcome::Orphaned => "orphaned",
            RecordOutcome::Stored => "stored",
        };
        Self { received: true, outcome }
    }
}
