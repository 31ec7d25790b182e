//! Events (`evt_`), in Stripe's envelope, with the API version async-stripe pins.

use super::Row;
use serde_json::{json, Value};

/// The API version events carry: the one the async-stripe client pins, so it never warns about them.
pub fn api_version() -> &'static str {
    stripe_shared::version::VERSION.as_str()
}

/// The request that caused an event: API requests have an id; checkout page and control actions do not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventRequest {
    /// `req_…`
    pub id: Option<String>,
    /// The request's Idempotency-Key.
    pub idempotency_key: Option<String>,
}

/// An event.
#[derive(Debug, Clone)]
pub struct Event {
    /// `evt_…`
    pub id: String,
    /// `checkout.session.completed`…
    pub event_type: String,
    /// Unix seconds, on the emulator's clock.
    pub created: i64,
    /// The object as it was right after the change.
    pub object: Value,
    /// The changed fields' values before the change, for the events Stripe sends them with.
    pub previous_attributes: Option<Value>,
    /// What caused it.
    pub request: EventRequest,
    /// Endpoints that have not yet acknowledged it.
    pub pending_webhooks: i64,
}

impl Row for Event {
    fn id(&self) -> &str {
        &self.id
    }
}

impl Event {
    /// The event in Stripe's envelope.
    pub fn to_json(&self) -> Value {
        let mut data = json!({ "object": self.object });
        if let Some(previous) = &self.previous_attributes {
            data["previous_attributes"] = previous.clone();
        }
        json!({
            "id": self.id,
            "object": "event",
            "api_version": api_version(),
            "created": self.created,
            "data": data,
            "livemode": false,
            "pending_webhooks": self.pending_webhooks,
            "request": { "id": self.request.id, "idempotency_key": self.request.idempotency_key },
            "type": self.event_type
        })
    }
}
