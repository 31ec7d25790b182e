//! Invoices (`in_`) made by subscriptions, rendered as API versions since 2025-03-31.basil render them:
//! the subscription at `parent.subscription_details`, each line's origin at `parent`, its price at
//! `pricing`, and no `subscription`, `charge`, `payment_intent` or `paid` fields (`payments` lists the
//! payments when expanded).

use super::Row;
use crate::metadata::Metadata;
use serde_json::{json, Value};

/// Where an invoice is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceStatus {
    /// Being prepared (or left as a draft for an `unpaid` subscription).
    Draft,
    /// Finalized and waiting for payment.
    Open,
    /// Paid.
    Paid,
    /// Voided: it will never be paid.
    Void,
}

impl InvoiceStatus {
    /// Stripe's name for the status.
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Draft => "draft",
            InvoiceStatus::Open => "open",
            InvoiceStatus::Paid => "paid",
            InvoiceStatus::Void => "void",
        }
    }
}

/// Where a line comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineOrigin {
    /// A subscription item's price for the period.
    SubscriptionItem(String),
    /// A one-time item added to the first invoice (a checkout session's one-time line): its `ii_` id.
    InvoiceItem(String),
}

/// One line of an invoice.
#[derive(Debug, Clone)]
pub struct InvoiceLine {
    /// `il_…`
    pub id: String,
    /// `1 × Plan (at $9.00 / month)`, or the product's name for a one-time item.
    pub description: String,
    /// The price's id.
    pub price: String,
    /// The price's product.
    pub product: String,
    /// The price's unit amount.
    pub unit_amount: i64,
    /// How many.
    pub quantity: i64,
    /// The period it pays for.
    pub period_start: i64,
    /// The period's end.
    pub period_end: i64,
    /// What it bills.
    pub origin: LineOrigin,
}

impl InvoiceLine {
    /// `unit_amount × quantity`.
    pub fn amount(&self) -> i64 {
        self.unit_amount * self.quantity
    }
}

/// An invoice.
#[derive(Debug, Clone)]
pub struct Invoice {
    /// `in_…`
    pub id: String,
    /// Unix seconds.
    pub created: i64,
    /// The customer's id.
    pub customer: String,
    /// The customer's email, when it was made.
    pub customer_email: Option<String>,
    /// The customer's name, when it was made.
    pub customer_name: Option<String>,
    /// Lowercase ISO currency.
    pub currency: String,
    /// The subscription it bills.
    pub subscription: Option<String>,
    /// The subscription's metadata when it was made.
    pub subscription_metadata: Metadata,
    /// `subscription_create`, `subscription_cycle` or `subscription_update`.
    pub billing_reason: &'static str,
    /// Its state.
    pub status: InvoiceStatus,
    /// What it bills.
    pub lines: Vec<InvoiceLine>,
    /// What has been paid.
    pub amount_paid: i64,
    /// Payment attempts so far.
    pub attempt_count: u32,
    /// When the next automatic attempt is, if one is scheduled.
    pub next_payment_attempt: Option<i64>,
    /// Whether Stripe keeps working on it (finalizing, retrying).
    pub auto_advance: bool,
    /// The start of the period it closes (the subscription's previous period).
    pub period_start: i64,
    /// The end of that period.
    pub period_end: i64,
    /// `{customer's invoice prefix}-0001`, once finalized.
    pub number: Option<String>,
    /// When it was finalized.
    pub finalized_at: Option<i64>,
    /// When it was paid.
    pub paid_at: Option<i64>,
    /// When it was voided.
    pub voided_at: Option<i64>,
    /// The payment intent that pays it, once one was made.
    pub payment_intent: Option<String>,
    /// The `inpay_…` id of that payment.
    pub payment_record: Option<String>,
}

impl Row for Invoice {
    fn id(&self) -> &str {
        &self.id
    }
}

impl Invoice {
    /// The sum of the lines.
    pub fn total(&self) -> i64 {
        self.lines.iter().map(InvoiceLine::amount).sum()
    }

    /// What is left to pay (nothing once paid or voided).
    pub fn amount_remaining(&self) -> i64 {
        match self.status {
            InvoiceStatus::Paid | InvoiceStatus::Void => 0,
            _ => self.total() - self.amount_paid,
        }
    }

    /// The lines as Stripe's `line_item` objects.
    pub fn lines_json(&self) -> Vec<Value> {
        self.lines.iter().map(|line| self.line_json(line)).collect()
    }

    fn line_json(&self, line: &InvoiceLine) -> Value {
        let subscription = self.subscription.clone();
        let parent = match &line.origin {
            LineOrigin::SubscriptionItem(item) => json!({
                "invoice_item_details": null,
                "subscription_item_details": {
                    "invoice_item": null,
                    "proration": false,
                    "proration_details": { "credited_items": null },
                    "subscription": subscription,
                    "subscription_item": item
                },
                "type": "subscription_item_details"
            }),
            LineOrigin::InvoiceItem(item) => json!({
                "invoice_item_details": {
                    "invoice_item": item,
                    "proration": false,
                    "proration_details": { "credited_items": null },
                    "subscription": subscription
                },
                "subscription_item_details": null,
                "type": "invoice_item_details"
            }),
        };
        json!({
            "id": line.id,
            "object": "line_item",
            "amount": line.amount(),
            "currency": self.currency,
            "description": line.description,
            "discount_amounts": [],
            "discountable": true,
            "discounts": [],
            "invoice": self.id,
            "livemode": false,
            "metadata": {},
            "parent": parent,
            "period": { "end": line.period_end, "start": line.period_start },
            "pretax_credit_amounts": [],
            "pricing": {
                "price_details": { "price": line.price, "product": line.product },
                "type": "price_details",
                "unit_amount_decimal": line.unit_amount.to_string()
            },
            "quantity": line.quantity,
            "subtotal": line.amount(),
            "taxes": []
        })
    }

    /// Its payment as an `invoice_payment` (`invoice.payments`, when expanded).
    pub fn payments_json(&self) -> Vec<Value> {
        let (Some(id), Some(pi)) = (&self.payment_record, &self.payment_intent) else { return Vec::new() };
        let paid = self.status == InvoiceStatus::Paid;
        vec![json!({
            "id": id,
            "object": "invoice_payment",
            "amount_paid": paid.then_some(self.amount_paid),
            "amount_requested": self.total(),
            "created": self.finalized_at.unwrap_or(self.created),
            "currency": self.currency,
            "invoice": self.id,
            "is_default": true,
            "livemode": false,
            "payment": { "payment_intent": pi, "type": "payment_intent" },
            "status": if paid { "paid" } else if self.status == InvoiceStatus::Void { "canceled" } else { "open" },
            "status_transitions": { "canceled_at": self.voided_at, "paid_at": self.paid_at }
        })]
    }

    /// The invoice in Stripe's shape.
    pub fn to_json(&self) -> Value {
        let total = self.total();
        let finalized = self.finalized_at.is_some();
        let parent = self.subscription.as_ref().map(|subscription| {
            json!({
                "quote_details": null,
                "subscription_details": { "metadata": self.subscription_metadata, "subscription": subscription },
                "type": "subscription_details"
            })
        });
        json!({
            "id": self.id,
            "object": "invoice",
            "account_country": "US",
            "account_name": "Stripe emulator",
            "account_tax_ids": null,
            "amount_due": total,
            "amount_overpaid": 0,
            "amount_paid": self.amount_paid,
            "amount_remaining": self.amount_remaining(),
            "amount_shipping": 0,
            "application": null,
            "attempt_count": self.attempt_count,
            "attempted": self.attempt_count > 0,
            "auto_advance": self.auto_advance,
            "automatic_tax": {
                "disabled_reason": null, "enabled": false, "liability": null, "provider": null, "status": null
            },
            "automatically_finalizes_at": null,
            "billing_reason": self.billing_reason,
            "collection_method": "charge_automatically",
            "confirmation_secret": null,
            "created": self.created,
            "currency": self.currency,
            "custom_fields": null,
            "customer": self.customer,
            "customer_account": null,
            "customer_address": null,
            "customer_email": self.customer_email,
            "customer_name": self.customer_name,
            "customer_phone": null,
            "customer_shipping": null,
            "customer_tax_exempt": "none",
            "customer_tax_ids": [],
            "default_payment_method": null,
            "default_source": null,
            "default_tax_rates": [],
            "description": null,
            "discounts": [],
            "due_date": null,
            "effective_at": self.finalized_at,
            "ending_balance": finalized.then_some(0),
            "footer": null,
            "from_invoice": null,
            "hosted_invoice_url": null,
            "invoice_pdf": null,
            "issuer": { "type": "self" },
            "last_finalization_error": null,
            "latest_revision": null,
            "lines": {
                "object": "list",
                "data": self.lines_json(),
                "has_more": false,
                "total_count": self.lines.len(),
                "url": format!("/v1/invoices/{}/lines", self.id)
            },
            "livemode": false,
            "metadata": {},
            "next_payment_attempt": self.next_payment_attempt,
            "number": self.number,
            "on_behalf_of": null,
            "parent": parent,
            "payment_settings": {
                "default_mandate": null, "payment_method_options": null, "payment_method_types": null
            },
            "period_end": self.period_end,
            "period_start": self.period_start,
            "post_payment_credit_notes_amount": 0,
            "pre_payment_credit_notes_amount": 0,
            "receipt_number": null,
            "rendering": null,
            "shipping_cost": null,
            "shipping_details": null,
            "starting_balance": 0,
            "statement_descriptor": null,
            "status": self.status.as_str(),
            "status_transitions": {
                "finalized_at": self.finalized_at,
                "marked_uncollectible_at": null,
                "paid_at": self.paid_at,
                "voided_at": self.voided_at
            },
            "subtotal": total,
            "subtotal_excluding_tax": total,
            "test_clock": null,
            "total": total,
            "total_discount_amounts": [],
            "total_excluding_tax": total,
            "total_pretax_credit_amounts": [],
            "total_taxes": [],
            "webhooks_delivered_at": self.created
        })
    }
}
