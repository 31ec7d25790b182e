//! `/v1/disputes`: retrieve and list (opened by the dispute test card or the control API).

use super::list::{self, Created};
use super::{found, Call};
use crate::error::ApiError;
use crate::model::dispute::Dispute;
use crate::store::Store;
use serde_json::Value;

/// `GET /v1/disputes/{id}`.
pub fn retrieve(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    found(store.disputes.get(call.id), "dispute", call.id, Dispute::to_json)
}

/// `GET /v1/disputes`, filtered by `charge`, `payment_intent` and `created`.
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
        .disputes
        .newest_first()
        .filter(|x| {
            charge.is_none_or(|c| x.charge == c) && payment_intent.is_none_or(|pi| x.payment_intent == pi)
        })
        .filter(|x| created.admits(x.created))
        .map(Dispute::to_json)
        .collect();
    list::page("/v1/disputes", items, p)
}
