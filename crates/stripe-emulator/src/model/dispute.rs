//! Disputes (`dp_`): opened by the dispute test card or the control API, closed by the control API.

use super::Row;
use crate::metadata::Metadata;
use serde_json::{json, Map, Value};

/// A dispute's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisputeStatus {
    /// Open: the merchant should respond.
    NeedsResponse,
    /// Closed in the merchant's favour.
    Won,
    /// Closed in the customer's favour.
    Lost,
}

impl DisputeStatus {
    /// Stripe's name for the status.
    pub fn as_str(self) -> &'static str {
        match self {
            DisputeStatus::NeedsResponse => "needs_response",
            DisputeStatus::Won => "won",
            DisputeStatus::Lost => "lost",
        }
    }
}

/// The evidence fields, all empty: the emulator does not take evidence.
const EVIDENCE_FIELDS: &[&str] = &[
    "access_activity_log",
    "billing_address",
    "cancellation_policy",
    "cancellation_policy_disclosure",
    "cancellation_rebuttal",
    "customer_communication",
    "customer_email_address",
    "customer_name",
    "customer_purchase_ip",
    "customer_signature",
    "duplicate_charge_documentation",
    "duplicate_charge_explanation",
    "duplicate_charge_id",
    "product_description",
    "receipt",
    "refund_policy",
    "refund_policy_disclosure",
    "refund_refusal_explanation",
    "service_date",
    "service_documentation",
    "shipping_address",
    "shipping_carrier",
    "shipping_date",
    "shipping_documentation",
    "shipping_tracking_number",
    "uncategorized_file",
    "uncategorized_text",
];

/// A dispute.
#[derive(Debug, Clone)]
pub struct Dispute {
    /// `dp_…`
    pub id: String,
    /// Unix seconds.
    pub created: i64,
    /// In the currency's minor unit.
    pub amount: i64,
    /// Lowercase ISO currency.
    pub currency: String,
    /// The disputed charge.
    pub charge: String,
    /// The charge's payment intent.
    pub payment_intent: String,
    /// `fraudulent`, `product_not_received`…
    pub reason: String,
    /// Its state.
    pub status: DisputeStatus,
    /// Key-value pairs.
    pub metadata: Metadata,
    /// The disputed card's brand (`visa`…); `None` when the charge was not a card payment.
    pub card_brand: Option<&'static str>,
}

impl Row for Dispute {
    fn id(&self) -> &str {
        &self.id
    }
}

impl Dispute {
    /// The dispute in Stripe's shape.
    pub fn to_json(&self) -> Value {
        let mut evidence: Map<String, Value> =
            EVIDENCE_FIELDS.iter().map(|field| ((*field).to_owned(), Value::Null)).collect();
        evidence.insert("enhanced_evidence".into(), json!({}));
        json!({
            "id": self.id,
            "object": "dispute",
            "amount": self.amount,
            "balance_transactions": [],
            "charge": self.charge,
            "created": self.created,
            "currency": self.currency,
            "enhanced_eligibility_types": [],
            "evidence": evidence,
            "evidence_details": {
                "due_by": self.created + 7 * 24 * 3600,
                "enhanced_eligibility": {},
                "has_evidence": false,
                "past_due": false,
                "submission_count": 0
            },
            "is_charge_refundable": false,
            "livemode": false,
            "metadata": self.metadata,
            "payment_intent": self.payment_intent,
            "payment_method_details": self.card_brand.map(|brand| json!({
                "type": "card",
                "card": { "brand": brand, "case_type": "chargeback", "network": brand, "network_reason_code": "10.4" }
            })),
            "reason": self.reason,
            "status": self.status.as_str()
        })
    }
}
