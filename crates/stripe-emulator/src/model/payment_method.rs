//! The payment method a customer used on the checkout page (kept on charges and payment intents; cards
//! saved for subscriptions are also kept as [`super::saved_payment_method::SavedPaymentMethod`]s).

use serde_json::{json, Value};

/// A card or a delayed bank debit, with its `pm_` id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentMethod {
    /// `pm_…`
    pub id: String,
    /// What was used.
    pub kind: MethodKind,
}

/// The kind of payment method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MethodKind {
    /// A card, described as Stripe describes it on a charge.
    Card {
        /// `visa`, `mastercard`, `amex`, `discover` or `unknown`.
        brand: &'static str,
        /// The last four digits.
        last4: String,
        /// Expiry month (1–12).
        exp_month: u32,
        /// Expiry year (four digits).
        exp_year: u32,
        /// Stable per card number.
        fingerprint: String,
        /// Whether 3-D Secure authenticated the payment.
        three_d_secure: bool,
    },
    /// A bank debit that settles later: `us_bank_account` (USD) or `sepa_debit` (other currencies).
    BankDebit {
        /// Stripe's payment method type.
        method_type: &'static str,
    },
}

impl PaymentMethod {
    /// Stripe's payment method type (`card`, `us_bank_account`, `sepa_debit`).
    pub fn method_type(&self) -> &'static str {
        match &self.kind {
            MethodKind::Card { .. } => "card",
            MethodKind::BankDebit { method_type } => method_type,
        }
    }

    /// The card's brand, for a card.
    pub fn card_brand(&self) -> Option<&'static str> {
        match &self.kind {
            MethodKind::Card { brand, .. } => Some(brand),
            MethodKind::BankDebit { .. } => None,
        }
    }

    /// `payment_method_details` on a charge of `amount`.
    pub fn details_json(&self, amount: i64) -> Value {
        match &self.kind {
            MethodKind::Card { brand, last4, exp_month, exp_year, fingerprint, three_d_secure } => json!({
                "type": "card",
                "card": {
                    "amount_authorized": amount,
                    "brand": brand,
                    "checks": { "address_line1_check": null, "address_postal_code_check": null, "cvc_check": "pass" },
                    "country": "US",
                    "exp_month": exp_month,
                    "exp_year": exp_year,
                    "fingerprint": fingerprint,
                    "funding": "credit",
                    "installments": null,
                    "last4": last4,
                    "mandate": null,
                    "network": brand,
                    "network_token": { "used": false },
                    "three_d_secure": three_d_secure.then(|| json!({
                        "authentication_flow": "challenge",
                        "result": "authenticated",
                        "result_reason": null,
                        "version": "2.2.0"
                    })),
                    "wallet": null
                }
            }),
            MethodKind::BankDebit { method_type: "us_bank_account" } => json!({
                "type": "us_bank_account",
                "us_bank_account": {
                    "account_holder_type": "individual",
                    "account_type": "checking",
                    "bank_name": "STRIPE TEST BANK",
                    "fingerprint": "EmuBankFingerprint",
                    "last4": "6789",
                    "routing_number": "110000000"
                }
            }),
            MethodKind::BankDebit { method_type } => json!({
                "type": method_type,
                (*method_type): {
                    "bank_code": "37040044",
                    "branch_code": null,
                    "country": "DE",
                    "fingerprint": "EmuSepaFingerprint",
                    "last4": "3000",
                    "mandate": null
                }
            }),
        }
    }
}
