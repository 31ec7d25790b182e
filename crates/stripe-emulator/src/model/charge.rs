//! Charges (`ch_`): one per payment attempt that reached the card network or the bank.

use super::payment_method::PaymentMethod;
use super::Row;
use crate::metadata::Metadata;
use serde_json::{json, Value};

/// A charge's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChargeStatus {
    /// Paid.
    Succeeded,
    /// A bank debit on its way.
    Pending,
    /// Declined or returned.
    Failed,
}

impl ChargeStatus {
    /// Stripe's name for the status.
    pub fn as_str(self) -> &'static str {
        match self {
            ChargeStatus::Succeeded => "succeeded",
            ChargeStatus::Pending => "pending",
            ChargeStatus::Failed => "failed",
        }
    }
}

/// Why a charge failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeFailure {
    /// `card_declined`, `expired_card`, `processing_error`, `insufficient_funds`…
    pub code: String,
    /// For the customer.
    pub message: String,
    /// The issuer's reason (`generic_decline`), put in `outcome.reason`.
    pub reason: Option<String>,
}

/// A charge.
#[derive(Debug, Clone)]
pub struct Charge {
    /// `ch_…`
    pub id: String,
    /// Unix seconds.
    pub created: i64,
    /// In the currency's minor unit.
    pub amount: i64,
    /// Lowercase ISO currency.
    pub currency: String,
    /// Its state.
    pub status: ChargeStatus,
    /// The sum of its refunds.
    pub amount_refunded: i64,
    /// Whether a dispute was opened on it.
    pub disputed: bool,
    /// The payment intent's metadata, copied as Stripe copies it.
    pub metadata: Metadata,
    /// The payment intent's id.
    pub payment_intent: String,
    /// The customer's id, if any.
    pub customer: Option<String>,
    /// The payment intent's description.
    pub description: Option<String>,
    /// Why it failed.
    pub failure: Option<ChargeFailure>,
    /// How it was paid.
    pub payment_method: PaymentMethod,
    /// The email the customer typed on the checkout page.
    pub billing_email: Option<String>,
    /// The payment intent's receipt email.
    pub receipt_email: Option<String>,
}

impl Row for Charge {
    fn id(&self) -> &str {
        &self.id
    }
}

impl Charge {
    /// How much can still be refunded.
    pub fn refundable(&self) -> i64 {
        self.amount - self.amount_refunded
    }

    /// The charge in Stripe's shape.
    pub fn to_json(&self) -> Value {
        let succeeded = self.status == ChargeStatus::Succeeded;
        let outcome = match (self.status, &self.failure) {
            (ChargeStatus::Pending, _) => Value::Null,
            (_, Some(failure)) => json!({
                "network_status": "declined_by_network",
                "reason": failure.reason,
                "risk_level": "normal",
                "risk_score": 20,
                "seller_message": "The bank did not return any further details with this decline.",
                "type": "issuer_declined"
            }),
            _ => json!({
                "network_status": "approved_by_network",
                "reason": null,
                "risk_level": "normal",
                "risk_score": 20,
                "seller_message": "Payment complete.",
                "type": "authorized"
            }),
        };
        json!({
            "id": self.id,
            "object": "charge",
            "amount": self.amount,
            "amount_captured": if succeeded { self.amount } else { 0 },
            "amount_refunded": self.amount_refunded,
            "application": null,
            "application_fee": null,
            "application_fee_amount": null,
            "balance_transaction": null,
            "billing_details": {
                "address": { "city": null, "country": null, "line1": null, "line2": null, "postal_code": null, "state": null },
                "email": self.billing_email,
                "name": null,
                "phone": null
            },
            "calculated_statement_descriptor": "STRIPE EMULATOR",
            "captured": self.status != ChargeStatus::Failed,
            "created": self.created,
            "currency": self.currency,
            "customer": self.customer,
            "description": self.description,
            "disputed": self.disputed,
            "failure_balance_transaction": null,
            "failure_code": self.failure.as_ref().map(|f| &f.code),
            "failure_message": self.failure.as_ref().map(|f| &f.message),
            "fraud_details": {},
            "invoice": null,
            "livemode": false,
            "metadata": self.metadata,
            "on_behalf_of": null,
            "outcome": outcome,
            "paid": succeeded,
            "payment_intent": self.payment_intent,
            "payment_method": self.payment_method.id,
            "payment_method_details": self.payment_method.details_json(self.amount),
            "receipt_email": self.receipt_email,
            "receipt_number": null,
            "receipt_url": null,
            "refunded": self.amount_refunded > 0 && self.amount_refunded >= self.amount,
            "review": null,
            "shipping": null,
            "source": null,
            "source_transfer": null,
            "statement_descriptor": null,
            "statement_descriptor_suffix": null,
            "status": self.status.as_str(),
            "transfer_data": null,
            "transfer_group": null
        })
    }
}
