//! Subscriptions (`sub_`) and their items (`si_`), rendered as API versions since 2025-03-31.basil render
//! them: the billing period lives on each item (`items.data[].current_period_start|end`), not on the
//! subscription.

use super::price::Recurring;
use super::Row;
use crate::calendar;
use crate::metadata::Metadata;
use serde_json::{json, Value};

/// Where a subscription is in its life (Stripe's statuses; `paused` is not emulated).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionStatus {
    /// The first invoice is not paid yet.
    Incomplete,
    /// The first invoice stayed unpaid for 23 hours: terminal.
    IncompleteExpired,
    /// In its free trial.
    Trialing,
    /// Paid up.
    Active,
    /// A renewal payment failed; retries are scheduled.
    PastDue,
    /// Ended: terminal.
    Canceled,
    /// Every retry failed and the setting says so: invoices are drafted, not charged.
    Unpaid,
}

impl SubscriptionStatus {
    /// Stripe's name for the status.
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionStatus::Incomplete => "incomplete",
            SubscriptionStatus::IncompleteExpired => "incomplete_expired",
            SubscriptionStatus::Trialing => "trialing",
            SubscriptionStatus::Active => "active",
            SubscriptionStatus::PastDue => "past_due",
            SubscriptionStatus::Canceled => "canceled",
            SubscriptionStatus::Unpaid => "unpaid",
        }
    }

    /// Whether nothing can happen to it any more.
    pub fn is_terminal(self) -> bool {
        matches!(self, SubscriptionStatus::Canceled | SubscriptionStatus::IncompleteExpired)
    }
}

/// One item: a recurring price and a quantity.
#[derive(Debug, Clone)]
pub struct SubscriptionItem {
    /// `si_…`
    pub id: String,
    /// Unix seconds.
    pub created: i64,
    /// The recurring price's id.
    pub price: String,
    /// How many.
    pub quantity: i64,
}

/// Why and how a subscription was canceled (`cancellation_details`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cancellation {
    /// `cancellation_requested`, `payment_failed` or `payment_disputed`.
    pub reason: Option<&'static str>,
    /// The customer's comment.
    pub comment: Option<String>,
    /// The customer's feedback (`too_expensive`, `unused`…).
    pub feedback: Option<String>,
}

/// A subscription.
#[derive(Debug, Clone)]
pub struct Subscription {
    /// `sub_…`
    pub id: String,
    /// Unix seconds.
    pub created: i64,
    /// The customer's id.
    pub customer: String,
    /// Lowercase ISO currency (its prices').
    pub currency: String,
    /// Its state.
    pub status: SubscriptionStatus,
    /// Its items (all on the same interval).
    pub items: Vec<SubscriptionItem>,
    /// The billing interval of its prices.
    pub recurring: Recurring,
    /// Key-value pairs (copied to its invoices' `parent.subscription_details.metadata`).
    pub metadata: Metadata,
    /// Free text.
    pub description: Option<String>,
    /// The payment method renewals are charged to (else the customer's default).
    pub default_payment_method: Option<String>,
    /// Periods are counted from it: the start, or the end of the trial.
    pub billing_cycle_anchor: i64,
    /// How many periods have passed since the anchor (the current period is `cycle..cycle + 1`).
    pub cycle: i64,
    /// The current period (the trial while trialing).
    pub current_period_start: i64,
    /// The current period's end: the next renewal.
    pub current_period_end: i64,
    /// It ends at the end of the current period.
    pub cancel_at_period_end: bool,
    /// When it was canceled, or when cancellation at period end was requested.
    pub canceled_at: Option<i64>,
    /// When it ended.
    pub ended_at: Option<i64>,
    /// Why it was canceled.
    pub cancellation: Cancellation,
    /// The trial's start.
    pub trial_start: Option<i64>,
    /// The trial's end.
    pub trial_end: Option<i64>,
    /// Whether `customer.subscription.trial_will_end` was sent.
    pub trial_will_end_sent: bool,
    /// When it started.
    pub start_date: i64,
    /// Its newest invoice.
    pub latest_invoice: Option<String>,
}

impl Row for Subscription {
    fn id(&self) -> &str {
        &self.id
    }
}

impl Subscription {
    /// The end of period `cycle` counted from the anchor.
    pub fn period_end(&self, cycle: i64) -> i64 {
        calendar::add_intervals(
            self.billing_cycle_anchor,
            &self.recurring.interval,
            self.recurring.interval_count,
            cycle,
        )
    }

    /// `cancel_at`: the period's end while a cancellation at period end is scheduled.
    pub fn cancel_at(&self) -> Option<i64> {
        self.cancel_at_period_end.then_some(self.current_period_end)
    }

    /// The subscription in Stripe's shape, with its items rendered from their prices.
    pub fn to_json(&self, price: impl Fn(&str) -> Option<Value>) -> Value {
        let items: Vec<Value> = self
            .items
            .iter()
            .map(|item| item_json(self, item, price(&item.price).unwrap_or(Value::Null)))
            .collect();
        json!({
            "id": self.id,
            "object": "subscription",
            "application": null,
            "application_fee_percent": null,
            "automatic_tax": { "disabled_reason": null, "enabled": false, "liability": null },
            "billing_cycle_anchor": self.billing_cycle_anchor,
            "billing_cycle_anchor_config": null,
            "billing_mode": { "flexible": null, "type": "classic" },
            "billing_schedules": [],
            "billing_thresholds": null,
            "cancel_at": self.cancel_at(),
            "cancel_at_period_end": self.cancel_at_period_end,
            "canceled_at": self.canceled_at,
            "cancellation_details": {
                "comment": self.cancellation.comment,
                "feedback": self.cancellation.feedback,
                "reason": self.cancellation.reason
            },
            "collection_method": "charge_automatically",
            "created": self.created,
            "currency": self.currency,
            "customer": self.customer,
            "customer_account": null,
            "days_until_due": null,
            "default_payment_method": self.default_payment_method,
            "default_source": null,
            "default_tax_rates": [],
            "description": self.description,
            "discounts": [],
            "ended_at": self.ended_at,
            "invoice_settings": { "account_tax_ids": null, "issuer": { "type": "self" } },
            "items": {
                "object": "list",
                "data": items,
                "has_more": false,
                "total_count": self.items.len(),
                "url": format!("/v1/subscription_items?subscription={}", self.id)
            },
            "latest_invoice": self.latest_invoice,
            "livemode": false,
            "metadata": self.metadata,
            "next_pending_invoice_item_invoice": null,
            "on_behalf_of": null,
            "pause_collection": null,
            "payment_settings": {
                "payment_method_options": null,
                "payment_method_types": null,
                "save_default_payment_method": "off"
            },
            "pending_invoice_item_interval": null,
            "pending_setup_intent": null,
            "pending_update": null,
            "schedule": null,
            "start_date": self.start_date,
            "status": self.status.as_str(),
            "test_clock": null,
            "transfer_data": null,
            "trial_end": self.trial_end,
            "trial_settings": { "end_behavior": { "missing_payment_method": "create_invoice" } },
            "trial_start": self.trial_start
        })
    }
}

/// An item in Stripe's `subscription_item` shape, with its price and the legacy `plan` made from it.
fn item_json(subscription: &Subscription, item: &SubscriptionItem, price: Value) -> Value {
    json!({
        "id": item.id,
        "object": "subscription_item",
        "billing_thresholds": null,
        "created": item.created,
        "current_period_end": subscription.current_period_end,
        "current_period_start": subscription.current_period_start,
        "discounts": [],
        "metadata": {},
        "plan": plan_json(&price),
        "price": price,
        "quantity": item.quantity,
        "subscription": subscription.id,
        "tax_rates": []
    })
}

/// The legacy `plan` Stripe still renders beside a recurring price (same id, amount and interval).
fn plan_json(price: &Value) -> Value {
    let recurring = &price["recurring"];
    json!({
        "id": price["id"],
        "object": "plan",
        "active": price["active"],
        "amount": price["unit_amount"],
        "amount_decimal": price["unit_amount_decimal"],
        "billing_scheme": "per_unit",
        "created": price["created"],
        "currency": price["currency"],
        "interval": recurring["interval"],
        "interval_count": recurring["interval_count"],
        "livemode": false,
        "metadata": price["metadata"],
        "meter": null,
        "nickname": price["nickname"],
        "product": price["product"],
        "tiers_mode": null,
        "transform_usage": null,
        "trial_period_days": null,
        "usage_type": "licensed"
    })
}

/// "every month", "every 3 months", "every week"… for a price's interval.
pub fn describe_interval(recurring: &Recurring) -> String {
    if recurring.interval_count == 1 {
        format!("every {}", recurring.interval)
    } else {
        format!("every {} {}s", recurring.interval_count, recurring.interval)
    }
}
