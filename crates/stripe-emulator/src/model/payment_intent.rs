//! Payment intents (`pi_`): created by `POST /v1/payment_intents`, by an invoice, or when a customer first
//! submits the checkout form (reused on retries).

use super::payment_method::PaymentMethod;
use super::Row;
use crate::metadata::Metadata;
use serde_json::{json, Value};

/// Where a payment intent is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentIntentStatus {
    /// Waiting for a (new) payment method: just created, or after a decline.
    RequiresPaymentMethod,
    /// Created with a payment method, not confirmed yet.
    RequiresConfirmation,
    /// Waiting for 3-D Secure.
    RequiresAction,
    /// A delayed bank debit is on its way.
    Processing,
    /// Paid.
    Succeeded,
    /// Abandoned (its checkout session expired) or canceled through the API.
    Canceled,
}

impl PaymentIntentStatus {
    /// Stripe's name for the status.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentIntentStatus::RequiresPaymentMethod => "requires_payment_method",
            PaymentIntentStatus::RequiresConfirmation => "requires_confirmation",
            PaymentIntentStatus::RequiresAction => "requires_action",
            PaymentIntentStatus::Processing => "processing",
            PaymentIntentStatus::Succeeded => "succeeded",
            PaymentIntentStatus::Canceled => "canceled",
        }
    }
}

/// `last_payment_error`: why the latest attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentError {
    /// `card_error` or `invalid_request_error`.
    pub kind: &'static str,
    /// `card_declined`, `expired_card`, `payment_intent_authentication_failure`…
    pub code: String,
    /// The issuer's reason, for declines.
    pub decline_code: Option<String>,
    /// For the customer.
    pub message: String,
    /// The failed charge, when one was made.
    pub charge: Option<String>,
    /// The payment method's type.
    pub payment_method_type: &'static str,
}

impl PaymentError {
    /// The error in Stripe's shape; absent fields are left out, as Stripe leaves them out of errors.
    pub fn to_json(&self) -> Value {
        let mut error = json!({
            "type": self.kind,
            "code": self.code,
            "message": self.message,
            "doc_url": format!("https://stripe.com/docs/error-codes/{}", self.code.replace('_', "-")),
            "payment_method_type": self.payment_method_type
        });
        if let Some(decline_code) = &self.decline_code {
            error["decline_code"] = json!(decline_code);
        }
        if let Some(charge) = &self.charge {
            error["charge"] = json!(charge);
        }
        error
    }
}

/// A payment intent.
#[derive(Debug, Clone)]
pub struct PaymentIntent {
    /// `pi_…`
    pub id: String,
    /// Unix seconds.
    pub created: i64,
    /// In the currency's minor unit.
    pub amount: i64,
    /// Lowercase ISO currency.
    pub currency: String,
    /// Where it is in its life.
    pub status: PaymentIntentStatus,
    /// From the session's `payment_intent_data[metadata]`.
    pub metadata: Metadata,
    /// From the session's `payment_intent_data[description]`.
    pub description: Option<String>,
    /// The customer's id, when the session had or created one.
    pub customer: Option<String>,
    /// The newest charge.
    pub latest_charge: Option<String>,
    /// Why the latest attempt failed.
    pub last_payment_error: Option<PaymentError>,
    /// The payment method of the current attempt (waiting for 3-D Secure, processing or paid).
    pub payment_method: Option<PaymentMethod>,
    /// The types the checkout session offered.
    pub payment_method_types: Vec<String>,
    /// `{id}_secret_…`
    pub client_secret: String,
    /// When it was canceled.
    pub canceled_at: Option<i64>,
    /// Where 3-D Secure happens, while it is pending.
    pub three_d_secure_url: Option<String>,
    /// The confirmation's `return_url` (3-D Secure then sends the customer back there).
    pub return_url: Option<String>,
    /// Whether the pending 3-D Secure is offered as `use_stripe_sdk` (a confirmation without `return_url`)
    /// rather than `redirect_to_url`.
    pub use_stripe_sdk: bool,
    /// `abandoned` (an expired checkout session), or the reason given to `/cancel`.
    pub cancellation_reason: Option<String>,
    /// `automatic_payment_methods`, when enabled: its `allow_redirects`, if given.
    pub automatic_payment_methods: Option<Option<String>>,
    /// From `payment_intent_data[receipt_email]`.
    pub receipt_email: Option<String>,
}

impl Row for PaymentIntent {
    fn id(&self) -> &str {
        &self.id
    }
}

impl PaymentIntent {
    /// The payment intent in Stripe's shape.
    pub fn to_json(&self) -> Value {
        let succeeded = self.status == PaymentIntentStatus::Succeeded;
        let next_action = self.three_d_secure_url.as_ref().map(|url| {
            if self.use_stripe_sdk {
                // What Stripe.js reads is Stripe's own business; this names the challenge page.
                json!({
                    "type": "use_stripe_sdk",
                    "use_stripe_sdk": { "type": "three_d_secure_redirect", "stripe_js": url }
                })
            } else {
                json!({
                    "type": "redirect_to_url",
                    "redirect_to_url": { "return_url": self.return_url, "url": url }
                })
            }
        });
        let automatic_payment_methods = self.automatic_payment_methods.as_ref().map(|allow| match allow {
            Some(allow) => json!({ "enabled": true, "allow_redirects": allow }),
            None => json!({ "enabled": true }),
        });
        json!({
            "id": self.id,
            "object": "payment_intent",
            "amount": self.amount,
            "amount_capturable": 0,
            "amount_details": { "tip": {} },
            "amount_received": if succeeded { self.amount } else { 0 },
            "application": null,
            "application_fee_amount": null,
            "automatic_payment_methods": automatic_payment_methods,
            "canceled_at": self.canceled_at,
            "cancellation_reason": self.cancellation_reason,
            "capture_method": "automatic",
            "client_secret": self.client_secret,
            "confirmation_method": "automatic",
            "created": self.created,
            "currency": self.currency,
            "customer": self.customer,
            "description": self.description,
            "invoice": null,
            "last_payment_error": self.last_payment_error.as_ref().map(PaymentError::to_json),
            "latest_charge": self.latest_charge,
            "livemode": false,
            "metadata": self.metadata,
            "next_action": next_action,
            "on_behalf_of": null,
            "payment_method": self.payment_method.as_ref().map(|pm| &pm.id),
            "payment_method_configuration_details": null,
            "payment_method_options": {},
            "payment_method_types": self.payment_method_types,
            "processing": null,
            "receipt_email": self.receipt_email,
            "review": null,
            "setup_future_usage": null,
            "shipping": null,
            "source": null,
            "statement_descriptor": null,
            "statement_descriptor_suffix": null,
            "status": self.status.as_str(),
            "transfer_data": null,
            "transfer_group": null
        })
    }
}
