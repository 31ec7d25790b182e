//! Webhook endpoints (`we_`), each with its `whsec_` signing secret.

use super::Row;
use crate::metadata::Metadata;
use serde_json::{json, Value};

/// A webhook endpoint.
#[derive(Debug, Clone)]
pub struct WebhookEndpoint {
    /// `we_…`
    pub id: String,
    /// Unix seconds.
    pub created: i64,
    /// Where events are POSTed.
    pub url: String,
    /// Event types to send; `*` means all.
    pub enabled_events: Vec<String>,
    /// The version events are rendered in (the emulator renders one shape whatever this says).
    pub api_version: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// `false` once disabled through an update.
    pub enabled: bool,
    /// Key-value pairs.
    pub metadata: Metadata,
    /// `whsec_…`: returned only when the endpoint is created.
    pub secret: String,
}

impl Row for WebhookEndpoint {
    fn id(&self) -> &str {
        &self.id
    }
}

impl WebhookEndpoint {
    /// Whether events of `event_type` go to this endpoint.
    pub fn wants(&self, event_type: &str) -> bool {
        self.enabled && self.enabled_events.iter().any(|e| e == "*" || e == event_type)
    }

    /// The endpoint in Stripe's shape; `with_secret` only in the answer to its creation.
    pub fn to_json(&self, with_secret: bool) -> Value {
        let mut value = json!({
            "id": self.id,
            "object": "webhook_endpoint",
            "api_version": self.api_version,
            "application": null,
            "created": self.created,
            "description": self.description,
            "enabled_events": self.enabled_events,
            "livemode": false,
            "metadata": self.metadata,
            "status": if self.enabled { "enabled" } else { "disabled" },
            "url": self.url
        });
        if with_secret {
            value["secret"] = json!(self.secret);
        }
        value
    }
}
