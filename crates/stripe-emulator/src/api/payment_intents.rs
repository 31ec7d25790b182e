//! `/v1/payment_intents`: retrieve and list (they are created by the checkout page).

use super::list::{self, Created};
use super::{found, Call};
use crate::error::ApiError;
use crate::model::payment_intent::PaymentIntent;
use crate::store::Store;
use serde_json::Value;

/// `GET /v1/payment_intents/{id}`.
pub fn retrieve(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    found(store.payment_intents.get(call.id), "payment_intent", call.id, PaymentIntent::to_json)
}

/// `GET /v1/payment_intents`, filtered by `customer` and `created`.
pub fn list(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = &call.params;
    p.allow_only(&["created", "customer", "ending_before", "expand", "limit", "starting_after"])?;
    let customer = p.opt_text("customer")?;
    let created = Created::from(p)?;
    let items = store
        .payment_intents
        .newest_first()
        .filter(|x| customer.is_none_or(|c| x.customer.as_deref() == Some(c)) && created.admits(x.created))
        .map(PaymentIntent::to_json)
        .collect();
    list::page("/v1/payment_intents", items, p)
}
