//! `/v1/payment_methods`: retrieve, list a customer's, attach (cards are saved by the subscription
//! checkout page, by customers created with `payment_method`, and from test tokens such as `pm_card_visa`).

use super::list;
use super::{found, Call};
use crate::error::ApiError;
use crate::model::saved_payment_method::SavedPaymentMethod;
use crate::store::Store;
use serde_json::Value;

/// `GET /v1/payment_methods/{id}`.
pub fn retrieve(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    found(store.payment_methods.get(call.id), "PaymentMethod", call.id, SavedPaymentMethod::to_json)
}

/// `GET /v1/payment_methods?customer=…` (and `type`).
pub fn list(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = &call.params;
    p.allow_only(&[
        "customer",
        "customer_account",
        "ending_before",
        "expand",
        "limit",
        "starting_after",
        "type",
    ])?;
    let customer = p.opt_text("customer")?;
    let kind = p.opt_text("type")?;
    let items = store
        .payment_methods
        .newest_first()
        .filter(|m| m.customer.is_some() && customer.is_none_or(|c| m.customer.as_deref() == Some(c)))
        .filter(|m| kind.is_none_or(|k| m.method.method_type() == k))
        .map(SavedPaymentMethod::to_json)
        .collect();
    list::page("/v1/payment_methods", items, p)
}

/// `POST /v1/payment_methods/{id}/attach` (`customer`; event `payment_method.attached`).
pub fn attach(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = &call.params;
    p.allow_only(&["customer", "customer_account", "expand"])?;
    let customer = p.required_text("customer")?;
    let id = store.attach_payment_method(call.id, customer)?;
    found(store.payment_methods.get(&id), "PaymentMethod", &id, SavedPaymentMethod::to_json)
}
