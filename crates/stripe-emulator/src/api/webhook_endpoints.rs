//! `/v1/webhook_endpoints`: create (the answer carries the `whsec_` secret), retrieve, update, list, delete.

use super::list;
use super::{found, Call};
use crate::error::ApiError;
use crate::params::Params;
use crate::store::Store;
use serde_json::{json, Value};

fn url(p: &Params<'_>) -> Result<Option<String>, ApiError> {
    let Some(text) = p.opt_text("url")? else { return Ok(None) };
    match url::Url::parse(text) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => Ok(Some(text.to_owned())),
        _ => Err(ApiError::bad_value(
            "url",
            "Invalid URL: URL must be publicly accessible and use http or https.",
        )
        .code("url_invalid")),
    }
}

fn enabled_events(p: &Params<'_>) -> Result<Option<Vec<String>>, ApiError> {
    if !p.has("enabled_events") {
        return Ok(None);
    }
    let events: Vec<String> = p.text_list("enabled_events")?.into_iter().map(str::to_owned).collect();
    if events.is_empty() || events.iter().any(|e| e.is_empty() || (e != "*" && !e.contains('.'))) {
        return Err(ApiError::bad_value(
            "enabled_events",
            "Invalid enabled_events: list event types such as `checkout.session.completed`, or `*`.",
        ));
    }
    Ok(Some(events))
}

/// `POST /v1/webhook_endpoints`.
pub fn create(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = &call.params;
    p.allow_only(&["api_version", "connect", "description", "enabled_events", "expand", "metadata", "url"])?;
    let url = url(p)?.ok_or_else(|| ApiError::missing("url"))?;
    let events = enabled_events(p)?.ok_or_else(|| ApiError::missing("enabled_events"))?;
    let id = store.create_endpoint(
        url,
        events,
        p.opt_text("api_version")?.map(str::to_owned),
        p.opt_text("description")?.map(str::to_owned),
        p.metadata("metadata")?.map(|m| m.into_new()).unwrap_or_default(),
    );
    found(store.endpoints.get(&id), "webhook_endpoint", &id, |e| e.to_json(true))
}

/// `GET /v1/webhook_endpoints/{id}` (without the secret, as Stripe answers).
pub fn retrieve(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    found(store.endpoints.get(call.id), "webhook_endpoint", call.id, |e| e.to_json(false))
}

/// `POST /v1/webhook_endpoints/{id}`: `url`, `enabled_events`, `disabled`, `description`, `metadata`.
pub fn update(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = &call.params;
    p.allow_only(&["description", "disabled", "enabled_events", "expand", "metadata", "url"])?;
    let (url, events, disabled) = (url(p)?, enabled_events(p)?, p.boolean("disabled")?);
    let description = p.text("description")?.map(|d| (!d.is_empty()).then(|| d.to_owned()));
    let metadata = p.metadata("metadata")?;
    let endpoint = store
        .endpoints
        .get_mut(call.id)
        .ok_or_else(|| ApiError::no_such("webhook_endpoint", call.id, None))?;
    if let Some(url) = url {
        endpoint.url = url;
    }
    if let Some(events) = events {
        endpoint.enabled_events = events;
    }
    if let Some(disabled) = disabled {
        endpoint.enabled = !disabled;
    }
    if let Some(description) = description {
        endpoint.description = description;
    }
    if let Some(update) = metadata {
        update.apply(&mut endpoint.metadata);
    }
    Ok(endpoint.to_json(false))
}

/// `GET /v1/webhook_endpoints`.
pub fn list(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    call.params.allow_only(&["ending_before", "expand", "limit", "starting_after"])?;
    let items = store.endpoints.newest_first().map(|e| e.to_json(false)).collect();
    list::page("/v1/webhook_endpoints", items, &call.params)
}

/// `DELETE /v1/webhook_endpoints/{id}`: pending retries to it stop.
pub fn delete(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    store
        .endpoints
        .remove(call.id)
        .map(|e| json!({ "id": e.id, "object": "webhook_endpoint", "deleted": true }))
        .ok_or_else(|| ApiError::no_such("webhook_endpoint", call.id, None))
}
