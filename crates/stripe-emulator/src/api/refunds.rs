//! `/v1/refunds`: create (full or partial, by payment intent or charge), retrieve, list.

use super::list::{self, Created};
use super::{found, Call};
use crate::error::ApiError;
use crate::model::refund::Refund;
use crate::store::{NewRefund, Store};
use serde_json::Value;

const CREATE_PARAMS: &[&str] = &[
    "amount",
    "charge",
    "currency",
    "customer",
    "expand",
    "instructions_email",
    "metadata",
    "origin",
    "payment_intent",
    "reason",
    "refund_application_fee",
    "reverse_transfer",
];

/// `POST /v1/refunds` (events `refund.created`, `charge.refunded`).
pub fn create(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = &call.params;
    p.allow_only(CREATE_PARAMS)?;
    let reason = match p.opt_text("reason")? {
        None => None,
        Some(r @ ("duplicate" | "fraudulent" | "requested_by_customer")) => Some(r.to_owned()),
        Some(r) => return Err(ApiError::bad_value("reason", format!("Invalid reason: {r}"))),
    };
    let new = NewRefund {
        charge: p.opt_text("charge")?.map(str::to_owned),
        payment_intent: p.opt_text("payment_intent")?.map(str::to_owned),
        amount: p.integer("amount")?,
        reason,
        metadata: p.metadata("metadata")?.map(|m| m.into_new()).unwrap_or_default(),
    };
    let (_, created) = store.create_refund(new)?;
    Ok(created)
}

/// `GET /v1/refunds/{id}`.
pub fn retrieve(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    found(store.refunds.get(call.id), "refund", call.id, Refund::to_json)
}

/// `GET /v1/refunds`, filtered by `charge`, `payment_intent` and `created`.
pub fn list(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = &call.params;
    p.allow_only(&[
        "charge",
        "created",
        "ending_before",
        "expand",
        "limit",
        "payment_intent",
        "starting_after",
    ])?;
    let charge = p.opt_text("charge")?;
    let payment_intent = p.opt_text("payment_intent")?;
    let created = Created::from(p)?;
    let items = store
        .refunds
        .newest_first()
        .filter(|x| {
            charge.is_none_or(|c| x.charge == c) && payment_intent.is_none_or(|pi| x.payment_intent == pi)
        })
        .filter(|x| created.admits(x.created))
        .map(Refund::to_json)
        .collect();
    list::page("/v1/refunds", items, p)
}
