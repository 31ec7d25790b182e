//! Payment methods kept for later (`pm_`, `object: payment_method`): cards attached to customers, which
//! subscriptions charge off-session.

use super::payment_method::{MethodKind, PaymentMethod};
use super::Row;
use crate::cards::CardBehaviour;
use serde_json::{json, Value};

/// A card saved as a `payment_method` object.
#[derive(Debug, Clone)]
pub struct SavedPaymentMethod {
    /// The card, with its `pm_` id.
    pub method: PaymentMethod,
    /// Unix seconds.
    pub created: i64,
    /// The customer it is attached to.
    pub customer: Option<String>,
    /// Charges made later, off-session, fail (Stripe's 4000 0000 0000 0341, `pm_card_chargeCustomerFail`).
    pub later_charges_fail: bool,
    /// The email given with it (the checkout page's).
    pub email: Option<String>,
    /// What confirming a payment intent with it does (its test card's behaviour).
    pub behaviour: CardBehaviour,
}

impl Row for SavedPaymentMethod {
    fn id(&self) -> &str {
        &self.method.id
    }
}

impl SavedPaymentMethod {
    /// The payment method in Stripe's shape.
    pub fn to_json(&self) -> Value {
        let card = match &self.method.kind {
            MethodKind::Card { brand, last4, exp_month, exp_year, fingerprint, .. } => json!({
                "brand": brand,
                "checks": { "address_line1_check": null, "address_postal_code_check": null, "cvc_check": "pass" },
                "country": "US",
                "display_brand": brand,
                "exp_month": exp_month,
                "exp_year": exp_year,
                "fingerprint": fingerprint,
                "funding": "credit",
                "generated_from": null,
                "last4": last4,
                "networks": { "available": [brand], "preferred": null },
                "regulated_status": "unregulated",
                "three_d_secure_usage": { "supported": true },
                "wallet": null
            }),
            MethodKind::BankDebit { .. } => Value::Null,
        };
        json!({
            "id": self.method.id,
            "object": "payment_method",
            "allow_redisplay": "unspecified",
            "billing_details": {
                "address": { "city": null, "country": null, "line1": null, "line2": null, "postal_code": null, "state": null },
                "email": self.email,
                "name": null,
                "phone": null,
                "tax_id": null
            },
            "card": card,
            "created": self.created,
            "customer": self.customer,
            "customer_account": null,
            "livemode": false,
            "metadata": {},
            "type": self.method.method_type()
        })
    }
}
