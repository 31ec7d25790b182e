//! [`EventSource`] over Stripe's `GET /v1/events`: the events created since a time, newest first, a page at a
//! time, each handed over as the JSON of its envelope (what a webhook would carry).

use crate::gateway::StripeGateway;
use crate::gateway_error::classify;
use crate::retry::{with_retries, RETRY_DELAYS};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use payments_domain::{EventId, EventPage, EventSource, GatewayError};
use secrecy::ExposeSecret;
use serde_json::Value;

/// The most events Stripe lists per page.
const MAX_PAGE: u32 = 100;

#[async_trait]
impl EventSource for StripeGateway {
    #[tracing::instrument(skip_all, fields(since = %since, starting_after))]
    async fn list_events(
        &self,
        since: DateTime<Utc>,
        starting_after: Option<String>,
        limit: u32,
    ) -> Result<EventPage, GatewayError> {
        let mut query = format!("created%5Bgte%5D={}&limit={}", since.timestamp(), limit.clamp(1, MAX_PAGE));
        if let Some(after) = &starting_after {
            // An id this service read from Stripe: letters, digits and underscores, nothing to escape.
            let after = EventId::parse(after).map_err(|e| GatewayError::Unknown(anyhow::anyhow!("{e}")))?;
            query.push_str("&starting_after=");
            query.push_str(after.as_str());
        }
        let secret = self.secret_key().expose_secret();
        let body = with_retries("list events", &RETRY_DELAYS, self.deadline(), || async {
            self.client().get("/events", query.clone()).await.map_err(|e| classify(e, secret))
        })
        .await?;
        page(&body)
    }
}

/// Reads a list answer: `{"object": "list", "data": [...], "has_more": ...}`.
fn page(body: &[u8]) -> Result<EventPage, GatewayError> {
    let unreadable =
        |why: &str| GatewayError::Unknown(anyhow::anyhow!("Stripe's events list is unreadable: {why}"));
    let list: Value = serde_json::from_slice(body).map_err(|e| unreadable(&e.to_string()))?;
    let data = list.get("data").and_then(Value::as_array).ok_or_else(|| unreadable("no data array"))?;
    let has_more = list.get("has_more").and_then(Value::as_bool).ok_or_else(|| unreadable("no has_more"))?;
    let events = data
        .iter()
        .map(|event| {
            let id = event
                .get("id")
                .and_then(Value::as_str)
                .ok_or_else(|| unreadable("an event without an id"))?;
            Ok((id.to_owned(), event.to_string()))
        })
        .collect::<Result<_, GatewayError>>()?;
    Ok(EventPage { events, has_more })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_hands_over_each_event_with_its_id_and_whether_more_follow() {
        let body = br#"{"object":"list","url":"/v1/events","has_more":true,
            "data":[{"id":"evt_2","object":"event","type":"checkout.session.completed","data":{"object":{}}},
                    {"id":"evt_1","object":"event","type":"charge.refunded","data":{"object":{}}}]}"#;
        let read = page(body).unwrap();
        assert!(read.has_more);
        let ids: Vec<&str> = read.events.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["evt_2", "evt_1"]);
        let first: Value = serde_json::from_str(&read.events[0].1).unwrap();
        assert_eq!(first["type"], "checkout.session.completed");
        for bad in
            [&b"[]"[..], br#"{"data":[{"object":"event"}],"has_more":false}"#, br#"{"data":[]}"#, b"nope"]
        {
            assert!(matches!(page(bad), Err(GatewayError::Unknown(_))), "{}", String::from_utf8_lossy(bad));
        }
    }
}
