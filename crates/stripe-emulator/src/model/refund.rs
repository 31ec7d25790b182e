//! Refunds (`re_`).

use super::Row;
use crate::metadata::Metadata;
use serde_json::{json, Value};

/// A refund; card refunds succeed at once (the refund-fail test card's fail right after).
#[derive(Debug, Clone)]
pub struct Refund {
    /// `re_…`
    pub id: String,
    /// Unix seconds.
    pub created: i64,
    /// In the currency's minor unit.
    pub amount: i64,
    /// Lowercase ISO currency.
    pub currency: String,
    /// The refunded charge.
    pub charge: String,
    /// The charge's payment intent.
    pub payment_intent: String,
    /// `duplicate`, `fraudulent` or `requested_by_customer`.
    pub reason: Option<String>,
    /// Key-value pairs.
    pub metadata: Metadata,
    /// Set once the refund failed (Stripe's `failure_reason`, e.g. `expired_or_canceled_card`).
    pub failure_reason: Option<String>,
}

impl Row for Refund {
    fn id(&self) -> &str {
        &self.id
    }
}

impl Refund {
    /// The refund in Stripe's shape.
    pub fn to_json(&self) -> Value {
        let mut json = json!({
            "id": self.id,
            "object": "refund",
            "amount": self.amount,
            "balance_transaction": null,
            "charge": self.charge,
            "created": self.created,
            "currency": self.currency,
            "metadata": self.metadata,
            "payment_intent": self.payment_intent,
            "reason": self.reason,
            "receipt_number": null,
            "source_transfer_reversal": null,
            "status": if self.failure_reason.is_some() { "failed" } else { "succeeded" },
            "transfer_reversal": null
        });
        // Stripe's spec has the field only on refunds that failed (it is not nullable).
        if let Some(reason) = &self.failure_reason {
            json["failure_reason"] = json!(reason);
        }
        json
    }
}
