//! `/v1/events`: retrieve and list.

use super::list::{self, Created};
use super::{found, Call};
use crate::error::ApiError;
use crate::model::event::Event;
use crate::store::Store;
use serde_json::Value;

/// `GET /v1/events/{id}`.
pub fn retrieve(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    found(store.events.get(call.id), "event", call.id, Event::to_json)
}

/// Whether `event_type` matches a `type` filter, which may end in `*` (`charge.dispute.*`).
fn type_matches(filter: &str, event_type: &str) -> bool {
    match filter.strip_suffix('*') {
        Some(prefix) => event_type.starts_with(prefix),
        None => filter == event_type,
    }
}

/// `GET /v1/events`, newest first, filtered by `type` (with `*` wildcards), `types[]`,
/// `delivery_success` and `created`.
pub fn list(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = &call.params;
    p.allow_only(&[
        "created",
        "delivery_success",
        "ending_before",
        "expand",
        "limit",
        "starting_after",
        "type",
        "types",
    ])?;
    let single = p.opt_text("type")?;
    let types = p.text_list("types")?;
    if single.is_some() && !types.is_empty() {
        return Err(
            ApiError::invalid("You may only specify one of these parameters: type, types.").param("types")
        );
    }
    let pending = p.boolean("delivery_success")?.map(|success| !success);
    let created = Created::from(p)?;
    let items = store
        .events
        .newest_first()
        .filter(|e| single.is_none_or(|t| type_matches(t, &e.event_type)))
        .filter(|e| types.is_empty() || types.iter().any(|t| type_matches(t, &e.event_type)))
        .filter(|e| {
            pending.is_none_or(|pending| (e.pending_webhooks > 0) == pending) && created.admits(e.created)
        })
        .map(Event::to_json)
        .collect();
    list::page("/v1/events", items, p)
}
