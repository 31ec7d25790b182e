//! A subscription as the API shows it, and as its outbox entries carry it.

use crate::model::order_view::rfc3339;
use crate::model::subscription::Subscription;
use serde::Serialize;

/// One subscription, as its newest snapshot and its latest invoice's show it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionView {
    id: String,
    status: Option<String>,
    grants_access: bool,
    customer_id: Option<String>,
    user_id: Option<String>,
    order_id: Option<String>,
    sku: Option<String>,
    price_id: Option<String>,
    stripe_price_id: Option<String>,
    current_period_end: Option<String>,
    cancel_at_period_end: bool,
    canceled_at: Option<String>,
    trial_end: Option<String>,
    latest_invoice: Option<InvoiceView>,
    updated_at: Option<String>,
}

/// The latest invoice: what it asks for, and when Stripe tries again after a failed payment.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct InvoiceView {
    id: String,
    status: String,
    amount_due: Option<i64>,
    currency: Option<String>,
    attempt_count: u32,
    payment_failed: bool,
    next_payment_attempt: Option<String>,
    created_at: String,
}

impl From<&Subscription> for SubscriptionView {
    fn from(subscription: &Subscription) -> Self {
        let seen = subscription.state();
        let state = seen.map(|seen| &seen.snapshot);
        let links = state.map(|state| &state.links);
        let invoice = subscription.latest_invoice().map(|seen| &seen.snapshot);
        Self {
            id: subscription.id().to_string(),
            status: state.map(|state| state.status.as_str().to_owned()),
            grants_access: subscription.grants_access(),
            customer_id: state.map(|state| state.customer.to_string()),
            user_id: links.and_then(|links| links.user_id.as_ref()).map(|id| id.as_str().to_owned()),
            order_id: links.and_then(|links| links.order_id).map(|id| id.to_string()),
            sku: links.and_then(|links| links.sku.as_ref()).map(|sku| sku.to_string()),
            price_id: links.and_then(|links| links.price_key.as_ref()).map(|key| key.to_string()),
            stripe_price_id: state.and_then(|state| state.price.as_ref()).map(|id| id.to_string()),
            current_period_end: state.and_then(|state| state.current_period_end).map(rfc3339),
            cancel_at_period_end: state.is_some_and(|state| state.cancel_at_period_end),
            canceled_at: state.and_then(|state| state.canceled_at).map(rfc3339),
            trial_end: state.and_then(|state| state.trial_end).map(rfc3339),
            latest_invoice: invoice.map(|invoice| InvoiceView {
                id: invoice.id.to_string(),
                status: invoice.status.as_str().to_owned(),
                amount_due: invoice.amount_due.map(|amount| amount.minor()),
                currency: invoice.amount_due.map(|amount| amount.currency().to_string()),
                attempt_count: invoice.attempt_count,
                payment_failed: invoice.payment_failed,
                next_payment_attempt: invoice.next_payment_attempt.map(rfc3339),
                created_at: rfc3339(invoice.created),
            }),
            updated_at: seen.map(|seen| rfc3339(seen.at)),
        }
    }
}

impl SubscriptionView {
    /// The view as JSON text.
    pub fn json(subscription: &Subscription) -> String {
        serde_json::to_string(&Self::from(subscription)).expect("a subscription view serialises")
    }
}
