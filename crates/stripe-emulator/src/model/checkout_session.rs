//! Checkout Sessions (`cs_test_`), in payment or subscription mode.

use super::Row;
use crate::metadata::Metadata;
use serde_json::{json, Value};
use url::Url;

/// A session's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStatus {
    /// The customer can still pay.
    Open,
    /// Paid, or a delayed payment was submitted.
    Complete,
    /// Expired or expired early through the API.
    Expired,
}

impl SessionStatus {
    /// Stripe's name for the status.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Open => "open",
            SessionStatus::Complete => "complete",
            SessionStatus::Expired => "expired",
        }
    }
}

/// Whether the session's money arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    /// Not yet (or a delayed payment is still on its way, or failed).
    Unpaid,
    /// Paid.
    Paid,
    /// Nothing was due (a subscription starting with a free trial).
    NoPaymentRequired,
}

/// What the session sells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionMode {
    /// A one-time payment.
    Payment,
    /// A subscription (one recurring line, maybe one-time lines for its first invoice).
    Subscription,
}

impl SessionMode {
    /// Stripe's name for the mode.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionMode::Payment => "payment",
            SessionMode::Subscription => "subscription",
        }
    }
}

/// What a subscription-mode session passes on to the subscription it creates (`subscription_data`).
#[derive(Debug, Clone, Default)]
pub struct SubscriptionData {
    /// Copied to the subscription (and so to its invoices' `parent.subscription_details.metadata`).
    pub metadata: Metadata,
    /// A free trial of this many days.
    pub trial_period_days: Option<i64>,
    /// The subscription's description.
    pub description: Option<String>,
}

impl PaymentStatus {
    /// Stripe's name for the payment status.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Unpaid => "unpaid",
            PaymentStatus::Paid => "paid",
            PaymentStatus::NoPaymentRequired => "no_payment_required",
        }
    }
}

/// One line of the session.
#[derive(Debug, Clone)]
pub struct LineItem {
    /// `li_…`
    pub id: String,
    /// The price's id.
    pub price: String,
    /// The product's name, shown on the page.
    pub description: String,
    /// How many.
    pub quantity: i64,
    /// The price's unit amount.
    pub unit_amount: i64,
}

impl LineItem {
    /// `unit_amount × quantity`.
    pub fn amount(&self) -> i64 {
        self.unit_amount * self.quantity
    }

    /// The line in Stripe's `item` shape, with the price rendered by the caller.
    pub fn to_json(&self, currency: &str, price: Value) -> Value {
        json!({
            "id": self.id,
            "object": "item",
            "amount_discount": 0,
            "amount_subtotal": self.amount(),
            "amount_tax": 0,
            "amount_total": self.amount(),
            "currency": currency,
            "description": self.description,
            "price": price,
            "quantity": self.quantity
        })
    }
}

/// What the session passes on to the payment intent it creates.
#[derive(Debug, Clone, Default)]
pub struct PaymentIntentData {
    /// Copied to the payment intent and its charges.
    pub metadata: Metadata,
    /// Copied to the payment intent and its charges.
    pub description: Option<String>,
    /// Copied to the payment intent and its charges.
    pub receipt_email: Option<String>,
}

/// A checkout session.
#[derive(Debug, Clone)]
pub struct CheckoutSession {
    /// `cs_test_…`
    pub id: String,
    /// Payment or subscription.
    pub mode: SessionMode,
    /// Unix seconds.
    pub created: i64,
    /// Unix seconds; on the emulator's clock.
    pub expires_at: i64,
    /// Its state.
    pub status: SessionStatus,
    /// Whether the money arrived.
    pub payment_status: PaymentStatus,
    /// What is bought.
    pub line_items: Vec<LineItem>,
    /// Lowercase ISO currency.
    pub currency: String,
    /// What is due now: the sum of the lines (in subscription mode, the first invoice's total).
    pub amount_total: i64,
    /// The customer's id, given or created at completion.
    pub customer: Option<String>,
    /// The email given at creation.
    pub customer_email: Option<String>,
    /// The email the customer used, once they submitted the form.
    pub details_email: Option<String>,
    /// Whether to create a customer at completion (`always`) or not (`if_required`).
    pub always_create_customer: bool,
    /// Where the page goes after paying; may contain `{CHECKOUT_SESSION_ID}`.
    pub success_url: String,
    /// Where the page's cancel link goes.
    pub cancel_url: Option<String>,
    /// Key-value pairs.
    pub metadata: Metadata,
    /// The caller's reference.
    pub client_reference_id: Option<String>,
    /// The payment intent, once the customer submitted the form.
    pub payment_intent: Option<String>,
    /// Passed on to the payment intent.
    pub payment_intent_data: PaymentIntentData,
    /// The methods offered: `card`, and a delayed bank debit when offered.
    pub payment_method_types: Vec<String>,
    /// The language the caller asked for.
    pub locale: Option<String>,
    /// `pay`, `book`, `donate` or `auto`.
    pub submit_type: Option<String>,
    /// Passed on to the subscription (subscription mode).
    pub subscription_data: SubscriptionData,
    /// The subscription it created.
    pub subscription: Option<String>,
    /// The subscription's first invoice.
    pub invoice: Option<String>,
}

impl Row for CheckoutSession {
    fn id(&self) -> &str {
        &self.id
    }
}

impl CheckoutSession {
    /// The delayed bank debit offered, if any (`us_bank_account` or `sepa_debit`).
    pub fn delayed_method(&self) -> Option<&str> {
        self.payment_method_types.iter().map(String::as_str).find(|t| *t != "card")
    }

    /// Whether cards are offered.
    pub fn accepts_cards(&self) -> bool {
        self.payment_method_types.iter().any(|t| t == "card")
    }

    /// The hosted page's address.
    pub fn page_url(&self, base_url: &Url) -> String {
        format!("{base_url}checkout/{}", self.id)
    }

    /// `success_url` with `{CHECKOUT_SESSION_ID}` replaced, as Stripe replaces it.
    pub fn success_redirect(&self) -> String {
        self.success_url.replace("{CHECKOUT_SESSION_ID}", &self.id)
    }

    /// The session in Stripe's shape (line items are added by the caller when expanded).
    pub fn to_json(&self, base_url: &Url) -> Value {
        let open = self.status == SessionStatus::Open;
        let customer_details = self.details_email.as_ref().map(|email| {
            json!({
                "address": null,
                "email": email,
                "name": null,
                "phone": null,
                "tax_exempt": "none",
                "tax_ids": []
            })
        });
        json!({
            "id": self.id,
            "object": "checkout.session",
            "after_expiration": null,
            "allow_promotion_codes": null,
            "amount_subtotal": self.amount_total,
            "amount_total": self.amount_total,
            "automatic_tax": { "enabled": false, "liability": null, "status": null },
            "billing_address_collection": null,
            "cancel_url": self.cancel_url,
            "client_reference_id": self.client_reference_id,
            "client_secret": null,
            "consent": null,
            "consent_collection": null,
            "created": self.created,
            "currency": self.currency,
            "currency_conversion": null,
            "custom_fields": [],
            "custom_text": {
                "after_submit": null,
                "shipping_address": null,
                "submit": null,
                "terms_of_service_acceptance": null
            },
            "customer": self.customer,
            "customer_creation": match (self.mode, self.always_create_customer) {
                (SessionMode::Subscription, _) => None,
                (SessionMode::Payment, true) => Some("always"),
                (SessionMode::Payment, false) => Some("if_required"),
            },
            "customer_details": customer_details,
            "customer_email": self.customer_email,
            "expires_at": self.expires_at,
            "invoice": self.invoice,
            "invoice_creation": (self.mode == SessionMode::Payment).then(|| json!({
                "enabled": false,
                "invoice_data": {
                    "account_tax_ids": null,
                    "custom_fields": null,
                    "description": null,
                    "footer": null,
                    "issuer": null,
                    "metadata": {},
                    "rendering_options": null
                }
            })),
            "livemode": false,
            "locale": self.locale,
            "metadata": self.metadata,
            "mode": self.mode.as_str(),
            "payment_intent": self.payment_intent,
            "payment_link": null,
            "payment_method_collection": match self.mode {
                SessionMode::Payment => "if_required",
                SessionMode::Subscription => "always",
            },
            "payment_method_configuration_details": null,
            "payment_method_options": {},
            "payment_method_types": self.payment_method_types,
            "payment_status": self.payment_status.as_str(),
            "phone_number_collection": { "enabled": false },
            "recovered_from": null,
            "setup_intent": null,
            "shipping_address_collection": null,
            "shipping_cost": null,
            "shipping_details": null,
            "shipping_options": [],
            "status": self.status.as_str(),
            "submit_type": self.submit_type,
            "subscription": self.subscription,
            "success_url": self.success_url,
            "total_details": { "amount_discount": 0, "amount_shipping": 0, "amount_tax": 0 },
            "ui_mode": "hosted",
            "url": open.then(|| self.page_url(base_url))
        })
    }
}
