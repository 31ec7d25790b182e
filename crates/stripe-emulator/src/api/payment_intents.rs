//! `/v1/payment_intents`: create (optionally confirming), retrieve (also with `client_secret`), update,
//! confirm, cancel and list. Only cards are emulated, captured automatically.

use super::list::{self, Created};
use super::{found, Call};
use crate::error::ApiError;
use crate::model::payment_intent::PaymentIntent;
use crate::money;
use crate::params::Params;
use crate::store::{Confirmation, NewPaymentIntent, PaymentIntentChange, Store};
use serde_json::Value;

const CREATE_PARAMS: &[&str] = &[
    "amount",
    "automatic_payment_methods",
    "capture_method",
    "confirm",
    "currency",
    "customer",
    "description",
    "expand",
    "metadata",
    "payment_method",
    "payment_method_types",
    "receipt_email",
    "return_url",
];
const CONFIRM_PARAMS: &[&str] =
    &["capture_method", "client_secret", "expand", "payment_method", "receipt_email", "return_url"];
const UPDATE_PARAMS: &[&str] = &["amount", "description", "expand", "metadata", "receipt_email"];
const CANCELLATION_REASONS: &[&str] = &["abandoned", "duplicate", "fraudulent", "requested_by_customer"];

fn render(store: &Store, id: &str) -> Result<Value, ApiError> {
    found(store.payment_intents.get(id), "payment_intent", id, PaymentIntent::to_json)
}

/// Refuses a `client_secret` that is not the payment intent's (what stripe.js sends with a publishable key).
fn check_client_secret(store: &Store, id: &str, p: &Params<'_>) -> Result<(), ApiError> {
    let Some(given) = p.text("client_secret")? else { return Ok(()) };
    let pi = store.payment_intents.get(id).ok_or_else(|| ApiError::no_such("payment_intent", id, None))?;
    if given == pi.client_secret {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "The client_secret provided does not match the client_secret associated with the PaymentIntent.",
        )
        .param("client_secret"))
    }
}

/// Only `capture_method=automatic` is emulated.
fn check_capture_method(p: &Params<'_>) -> Result<(), ApiError> {
    match p.opt_text("capture_method")? {
        None | Some("automatic") => Ok(()),
        Some("automatic_async" | "manual") => Err(ApiError::bad_value(
            "capture_method",
            "The emulator captures payments automatically only: capture_method must be `automatic`.",
        )),
        Some(other) => Err(ApiError::bad_value(
            "capture_method",
            format!(
                "Invalid capture_method: must be one of automatic, automatic_async, or manual (got {other})"
            ),
        )),
    }
}

fn confirmation(p: &Params<'_>) -> Result<Confirmation, ApiError> {
    check_capture_method(p)?;
    let text = |key| p.opt_text(key).map(|t| t.map(str::to_owned));
    Ok(Confirmation {
        payment_method: text("payment_method")?,
        return_url: text("return_url")?,
        receipt_email: text("receipt_email")?,
    })
}

/// `payment_method_types[]` (cards only) and `automatic_payment_methods`: the types, empty for automatic.
fn method_types(p: &Params<'_>) -> Result<(Vec<String>, Option<String>), ApiError> {
    let types = p.text_list("payment_method_types")?;
    if let Some(bad) = types.iter().find(|t| **t != "card") {
        return Err(ApiError::bad_value(
            "payment_method_types",
            format!("The payment method type \"{bad}\" is not emulated: only \"card\" is."),
        ));
    }
    let (enabled, allow_redirects) = match p.hash("automatic_payment_methods")? {
        None => (None, None),
        Some(automatic) => {
            automatic.allow_only(&["allow_redirects", "enabled"])?;
            let enabled =
                automatic.boolean("enabled")?.ok_or_else(|| ApiError::missing(&automatic.name("enabled")))?;
            let allow = automatic.opt_text("allow_redirects")?;
            if let Some(allow) = allow.filter(|a| !["always", "never"].contains(a)) {
                return Err(ApiError::bad_value(
                    &automatic.name("allow_redirects"),
                    format!("Invalid automatic_payment_methods[allow_redirects]: must be one of always or never (got {allow})"),
                ));
            }
            (Some(enabled), allow.map(str::to_owned))
        }
    };
    match (enabled, types.is_empty()) {
        (Some(true), false) => Err(ApiError::invalid(
            "You may only specify one of these parameters: automatic_payment_methods, payment_method_types.",
        )
        .param("automatic_payment_methods")),
        // Disabled without types: cards, as before 2023-08-16.
        (Some(false), true) => Ok((vec!["card".to_owned()], None)),
        _ => Ok((types.into_iter().map(str::to_owned).collect(), allow_redirects)),
    }
}

/// `POST /v1/payment_intents` (event `payment_intent.created`; with `confirm=true` the confirmation's too).
pub fn create(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = &call.params;
    p.allow_only(CREATE_PARAMS)?;
    let amount = p.integer("amount")?.ok_or_else(|| ApiError::missing("amount"))?;
    let currency = money::parse_currency(p.required_text("currency")?, "currency")?;
    money::check_payment_amount(amount, &currency)?;
    let (payment_method_types, allow_redirects) = method_types(p)?;
    let confirm = p.boolean("confirm")?.unwrap_or(false);
    let confirmation = confirmation(p)?;
    if confirm && confirmation.payment_method.is_none() {
        return Err(ApiError::missing("payment_method"));
    }
    if !confirm && confirmation.return_url.is_some() {
        return Err(ApiError::bad_value("return_url", "You can only pass return_url when confirm is true."));
    }
    let text = |key| p.opt_text(key).map(|t| t.map(str::to_owned));
    let new = NewPaymentIntent {
        amount,
        currency,
        customer: text("customer")?,
        metadata: p.metadata("metadata")?.map(|m| m.into_new()).unwrap_or_default(),
        description: text("description")?,
        receipt_email: text("receipt_email")?,
        payment_method_types,
        allow_redirects,
        payment_method: confirmation.payment_method.clone(),
    };
    let id = store.create_payment_intent(new)?;
    if confirm {
        // The payment method is already the payment intent's.
        store.confirm_payment_intent(&id, Confirmation { payment_method: None, ..confirmation })?;
    }
    render(store, &id)
}

/// `GET /v1/payment_intents/{id}` (`client_secret` must match when given).
pub fn retrieve(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    call.params.allow_only(&["client_secret", "expand"])?;
    check_client_secret(store, call.id, &call.params)?;
    render(store, call.id)
}

/// `POST /v1/payment_intents/{id}`: `amount`, `metadata`, `description`, `receipt_email` (no event).
pub fn update(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = &call.params;
    p.allow_only(UPDATE_PARAMS)?;
    let amount = p.integer("amount")?;
    if let (Some(amount), Some(pi)) = (amount, store.payment_intents.get(call.id)) {
        money::check_payment_amount(amount, &pi.currency)?;
    }
    let change = PaymentIntentChange {
        amount,
        metadata: p.metadata("metadata")?,
        description: p.text("description")?.map(str::to_owned),
        receipt_email: p.text("receipt_email")?.map(str::to_owned),
    };
    store.update_payment_intent(call.id, change)?;
    render(store, call.id)
}

/// `POST /v1/payment_intents/{id}/confirm` (`payment_method`, `client_secret`, `return_url`…).
pub fn confirm(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = &call.params;
    p.allow_only(CONFIRM_PARAMS)?;
    check_client_secret(store, call.id, p)?;
    store.confirm_payment_intent(call.id, confirmation(p)?)?;
    render(store, call.id)
}

/// `POST /v1/payment_intents/{id}/cancel` (`cancellation_reason`; event `payment_intent.canceled`).
pub fn cancel(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = &call.params;
    p.allow_only(&["cancellation_reason", "expand"])?;
    let reason = p.opt_text("cancellation_reason")?;
    if let Some(reason) = reason.filter(|r| !CANCELLATION_REASONS.contains(r)) {
        return Err(ApiError::bad_value(
            "cancellation_reason",
            format!(
                "Invalid cancellation_reason: must be one of {} (got {reason})",
                CANCELLATION_REASONS.join(", ")
            ),
        ));
    }
    store.cancel_payment_intent(call.id, reason)?;
    render(store, call.id)
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
