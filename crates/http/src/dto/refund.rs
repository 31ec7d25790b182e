//! Refunds as clients send and read them.

use crate::dto::order::rfc3339;
use payments_domain::{OrderId, Refund};
use serde::{Deserialize, Serialize};

/// `POST .../refunds`: `{"amount": minor units (default: all that is left), "reason": ...}`; an empty body
/// asks for all that is left.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RefundBody {
    #[serde(default)]
    pub(crate) amount: Option<i64>,
    #[serde(default)]
    pub(crate) reason: Option<String>,
}

/// A refund, in camelCase, with its amount in minor units and RFC 3339 times.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RefundView {
    id: String,
    order_id: String,
    amount: i64,
    currency: String,
    /// `pending`, `succeeded`, `failed` or `canceled`.
    status: &'static str,
    reason: Option<&'static str>,
    created_at: String,
    updated_at: String,
}

impl RefundView {
    pub(crate) fn new(order_id: OrderId, refund: &Refund) -> Self {
        Self {
            id: refund.id.to_string(),
            order_id: order_id.to_string(),
            amount: refund.amount.minor(),
            currency: refund.amount.currency().to_string(),
            status: refund.status.as_str(),
            reason: refund.reason.map(|reason| reason.as_str()),
            created_at: rfc3339(refund.created),
            updated_at: rfc3339(refund.updated),
        }
    }
}

/// An order's refunds: `{"refunds": [...]}`, newest first.
#[derive(Debug, Serialize)]
pub(crate) struct RefundList {
    refunds: Vec<RefundView>,
}

impl RefundList {
    pub(crate) fn new(order_id: OrderId, refunds: &[Refund]) -> Self {
        Self { refunds: refunds.iter().map(|refund| RefundView::new(order_id, refund)).collect() }
    }
}
