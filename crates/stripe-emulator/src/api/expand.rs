//! `expand[]`: replaces ids with the objects they name, through lists (`data.`) and nested paths
//! (`payment_intent.latest_charge`), up to Stripe's four levels; adds what Stripe includes only on request
//! (a session's `line_items`, an invoice's `payments`).

use crate::error::ApiError;
use crate::store::Store;
use serde_json::{json, Value};

const MAX_DEPTH: usize = 4;

/// Expands each dotted path in `paths` inside `value`.
pub fn apply(store: &Store, value: &mut Value, paths: &[&str]) -> Result<(), ApiError> {
    for path in paths {
        let segments: Vec<&str> = path.split('.').collect();
        let depth = segments.iter().filter(|s| **s != "data").count();
        if depth > MAX_DEPTH {
            return Err(ApiError::bad_value("expand", "You cannot expand more than 4 levels of a property."));
        }
        expand(store, value, &segments, path)?;
    }
    Ok(())
}

fn expand(store: &Store, value: &mut Value, segments: &[&str], path: &str) -> Result<(), ApiError> {
    let Some((first, rest)) = segments.split_first() else { return Ok(()) };
    let is_list = matches!(value["object"].as_str(), Some("list" | "search_result"));
    if is_list && *first == "data" {
        if let Some(items) = value["data"].as_array_mut() {
            for item in items {
                expand(store, item, rest, path)?;
            }
        }
        return Ok(());
    }
    let cannot = || {
        let hint = if is_list {
            format!(" You may want to try expanding 'data.{path}' instead.")
        } else {
            String::new()
        };
        ApiError::bad_value("expand", format!("This property cannot be expanded ({first}).{hint}"))
    };
    let session_id =
        (value["object"] == "checkout.session").then(|| value["id"].as_str().map(str::to_owned)).flatten();
    let invoice_id =
        (value["object"] == "invoice").then(|| value["id"].as_str().map(str::to_owned)).flatten();
    let Some(object) = value.as_object_mut() else { return Err(cannot()) };
    if *first == "line_items" {
        if let Some(session) = session_id.as_deref().and_then(|id| store.sessions.get(id)) {
            let items = store.line_items_json(session);
            let url = format!("/v1/checkout/sessions/{}/line_items", session.id);
            object.insert(
                "line_items".into(),
                json!({ "object": "list", "data": items, "has_more": false, "url": url }),
            );
        }
    }
    if *first == "payments" {
        // Includable, not expandable: Stripe sends an invoice's payments only when asked.
        if let Some(invoice) = invoice_id.as_deref().and_then(|id| store.invoices.get(id)) {
            let url = format!("/v1/invoice_payments?invoice={}", invoice.id);
            object.insert(
                "payments".into(),
                json!({ "object": "list", "data": invoice.payments_json(), "has_more": false, "url": url }),
            );
        }
    }
    let field = object.get_mut(*first).ok_or_else(cannot)?;
    match field {
        Value::Null => return Ok(()),
        Value::String(id) => {
            let expanded = store.object_json(id).ok_or_else(cannot)?;
            *field = expanded;
        }
        Value::Object(_) => {}
        _ => return Err(cannot()),
    }
    expand(store, field, rest, path)
}
