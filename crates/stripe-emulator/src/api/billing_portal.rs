//! `POST /v1/billing_portal/sessions`: a link to the emulator's portal page for a customer.

use super::{found, Call};
use crate::error::ApiError;
use crate::store::Store;
use serde_json::Value;

/// `POST /v1/billing_portal/sessions` (`customer` required; event `billing_portal.session.created`).
pub fn create(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = &call.params;
    p.allow_only(&[
        "configuration",
        "customer",
        "customer_account",
        "expand",
        "flow_data",
        "locale",
        "on_behalf_of",
        "return_url",
    ])?;
    for unsupported in ["flow_data", "on_behalf_of", "customer_account"] {
        if p.has(unsupported) {
            return Err(ApiError::bad_value(
                unsupported,
                format!("The emulator does not support `{unsupported}` on portal sessions."),
            ));
        }
    }
    if let Some(configuration) = p.opt_text("configuration")? {
        if store.portal_configuration() != Some(configuration) {
            return Err(ApiError::no_such(
                "billing_portal.configuration",
                configuration,
                Some("configuration"),
            ));
        }
    }
    let customer = p.required_text("customer")?;
    let return_url = match p.opt_text("return_url")? {
        Some(text) => match url::Url::parse(text) {
            Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => Some(text.to_owned()),
            _ => return Err(ApiError::bad_value("return_url", "Not a valid URL").code("url_invalid")),
        },
        None => None,
    };
    let locale = p.opt_text("locale")?.map(str::to_owned);
    let id = store.create_portal_session(customer, return_url, locale)?;
    found(store.portal_sessions.get(&id), "billing_portal.session", &id, |s| s.to_json(&store.base_url))
}
