//! `/v1/charges`: retrieve and list (they are created by the checkout page).

use super::list::{self, Created};
use super::{found, Call};
use crate::error::ApiError;
use crate::model::charge::Charge;
use crate::store::Store;
use serde_json::Value;

/// `GET /v1/charges/{id}`.
pub fn retrieve(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    found(store.charges.get(call.id), "charge", call.id, Charge::to_json)
}

/// `GET /v1/charges`, filtered by `payment_intent`, `customer` and `created`.
pub fn list(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = &call.params;
    p.allow_only(&[
        "created",
        "customer",
        "ending_before",
        "expand",
        "limit",
        "payment_intent",
        "starting_after",
        "transfer_group",
    ])?;
    let payment_intent = p.opt_text("payment_intent")?;
    let customer = p.opt_text("customer")?;
    let created = Created::from(p)?;
    let items = store
        .charges
        .newest_first()
        .filter(|x| payment_intent.is_none_or(|pi| x.payment_intent == pi) && created.admits(x.created))
        .filter(|x| customer.is_none_or(|c| x.customer.as_deref() == Some(c)))
        .map(Charge::to_json)
        .collect();
    list::page("/v1/charges", items, p)
}
