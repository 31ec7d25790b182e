//! `/v1/invoices`: retrieve, list, list lines (subscriptions make them).

use super::list::{self, Created};
use super::{found, Call};
use crate::error::ApiError;
use crate::model::invoice::Invoice;
use crate::store::Store;
use serde_json::Value;

/// `GET /v1/invoices/{id}` (`expand[]=payments` lists its payment).
pub fn retrieve(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    found(store.invoices.get(call.id), "invoice", call.id, Invoice::to_json)
}

/// `GET /v1/invoices`, filtered by `customer`, `subscription`, `status`, `collection_method` and `created`.
pub fn list(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = &call.params;
    p.allow_only(&[
        "collection_method",
        "created",
        "customer",
        "customer_account",
        "due_date",
        "ending_before",
        "expand",
        "limit",
        "starting_after",
        "status",
        "subscription",
    ])?;
    let customer = p.opt_text("customer")?;
    let subscription = p.opt_text("subscription")?;
    let status = p.opt_text("status")?;
    const STATUSES: &[&str] = &["draft", "open", "paid", "uncollectible", "void"];
    if let Some(other) = status.filter(|s| !STATUSES.contains(s)) {
        return Err(ApiError::bad_value(
            "status",
            format!("Invalid status: must be one of {} (not {other})", STATUSES.join(", ")),
        ));
    }
    let automatic = p.opt_text("collection_method")?.is_none_or(|m| m == "charge_automatically");
    let created = Created::from(p)?;
    let items = store
        .invoices
        .newest_first()
        .filter(|i| automatic && customer.is_none_or(|c| i.customer == c) && created.admits(i.created))
        .filter(|i| subscription.is_none_or(|s| i.subscription.as_deref() == Some(s)))
        .filter(|i| status.is_none_or(|s| i.status.as_str() == s))
        .map(Invoice::to_json)
        .collect();
    list::page("/v1/invoices", items, p)
}

/// `GET /v1/invoices/{id}/lines`.
pub fn lines(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    let invoice = store.invoices.get(call.id).ok_or_else(|| ApiError::no_such("invoice", call.id, None))?;
    list::page(&format!("/v1/invoices/{}/lines", call.id), invoice.lines_json(), &call.params)
}
