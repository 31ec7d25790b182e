//! Stripe's own list of the events it sent, for catching up with what webhooks did not bring.

use crate::ports::payment_gateway::GatewayError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// One page of events, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventPage {
    /// Each event's JSON as the provider gave it (the same shape a webhook carries), with its id.
    pub events: Vec<(String, String)>,
    /// More, older ones follow (ask again after the last id).
    pub has_more: bool,
}

/// Lists the provider's events.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait EventSource: Send + Sync + 'static {
    /// The events created at or after `since`, newest first, at most `limit`, after the event
    /// `starting_after` (for the next page). Errors: [`GatewayError::Unavailable`] when the provider cannot
    /// be reached (a later run covers the gap); [`GatewayError::Rejected`]; [`GatewayError::Unknown`].
    async fn list_events(
        &self,
        since: DateTime<Utc>,
        starting_after: Option<String>,
        limit: u32,
    ) -> Result<EventPage, GatewayError>;
}
