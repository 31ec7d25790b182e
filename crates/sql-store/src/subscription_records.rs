//! The JSON a `subscriptions.record` column keeps: the newest snapshot of the subscription and of its latest
//! invoice, each with the event that carried it (a record type of its own, `"v": 1`, as in `records.rs`).

use crate::records::{check_version, version, MoneyRecord, VERSION};
use chrono::{DateTime, Utc};
use payments_domain::{
    CustomerId, EventId, InvoiceId, InvoiceSnapshot, InvoiceStatus, Money, OrderId, PriceKey, Seen, Sku,
    StripePriceId, Subscription, SubscriptionId, SubscriptionLinks, SubscriptionSnapshot, SubscriptionStatus,
    UserId,
};
use serde::{Deserialize, Serialize};

/// A subscription's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionRecord {
    #[serde(default = "version")]
    v: u32,
    id: String,
    state: Option<StateRecord>,
    invoice: Option<InvoiceRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct StateRecord {
    at: DateTime<Utc>,
    event_id: String,
    customer: String,
    status: String,
    current_period_end: Option<DateTime<Utc>>,
    cancel_at_period_end: bool,
    canceled_at: Option<DateTime<Utc>>,
    trial_end: Option<DateTime<Utc>>,
    price: Option<String>,
    user_id: Option<String>,
    order_id: Option<String>,
    sku: Option<String>,
    price_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct InvoiceRecord {
    at: DateTime<Utc>,
    event_id: String,
    id: String,
    status: String,
    amount_due: Option<MoneyRecord>,
    attempt_count: u32,
    next_payment_attempt: Option<DateTime<Utc>>,
    payment_failed: bool,
    created: DateTime<Utc>,
}

impl From<&Subscription> for SubscriptionRecord {
    fn from(subscription: &Subscription) -> Self {
        let state = subscription.state().map(|seen| {
            let s = &seen.snapshot;
            StateRecord {
                at: seen.at,
                event_id: seen.event_id.as_str().to_owned(),
                customer: s.customer.as_str().to_owned(),
                status: s.status.as_str().to_owned(),
                current_period_end: s.current_period_end,
                cancel_at_period_end: s.cancel_at_period_end,
                canceled_at: s.canceled_at,
                trial_end: s.trial_end,
                price: s.price.as_ref().map(|p| p.as_str().to_owned()),
                user_id: s.links.user_id.as_ref().map(|u| u.as_str().to_owned()),
                order_id: s.links.order_id.map(|o| o.to_string()),
                sku: s.links.sku.as_ref().map(|sku| sku.as_str().to_owned()),
                price_key: s.links.price_key.as_ref().map(|key| key.as_str().to_owned()),
            }
        });
        let invoice = subscription.latest_invoice().map(|seen| {
            let i = &seen.snapshot;
            InvoiceRecord {
                at: seen.at,
                event_id: seen.event_id.as_str().to_owned(),
                id: i.id.as_str().to_owned(),
                status: i.status.as_str().to_owned(),
                amount_due: i.amount_due.map(MoneyRecord::from),
                attempt_count: i.attempt_count,
                next_payment_attempt: i.next_payment_attempt,
                payment_failed: i.payment_failed,
                created: i.created,
            }
        });
        Self { v: VERSION, id: subscription.id().as_str().to_owned(), state, invoice }
    }
}

impl TryFrom<SubscriptionRecord> for Subscription {
    type Error = anyhow::Error;
    fn try_from(record: SubscriptionRecord) -> anyhow::Result<Self> {
        check_version(record.v, "subscription")?;
        let id = SubscriptionId::parse(&record.id)?;
        let state = record
            .state
            .map(|s| -> anyhow::Result<Seen<SubscriptionSnapshot>> {
                Ok(Seen {
                    at: s.at,
                    event_id: EventId::parse(&s.event_id)?,
                    snapshot: SubscriptionSnapshot {
                        id: id.clone(),
                        customer: CustomerId::parse(&s.customer)?,
                        status: SubscriptionStatus::parse(&s.status),
                        current_period_end: s.current_period_end,
                        cancel_at_period_end: s.cancel_at_period_end,
                        canceled_at: s.canceled_at,
                        trial_end: s.trial_end,
                        price: s.price.as_deref().map(StripePriceId::parse).transpose()?,
                        links: SubscriptionLinks {
                            user_id: s.user_id.as_deref().map(UserId::parse).transpose()?,
                            order_id: s.order_id.as_deref().map(OrderId::parse).transpose()?,
                            sku: s.sku.as_deref().map(Sku::parse).transpose()?,
                            price_key: s.price_key.as_deref().map(PriceKey::parse).transpose()?,
                        },
                    },
                })
            })
            .transpose()?;
        let invoice = record
            .invoice
            .map(|i| -> anyhow::Result<Seen<InvoiceSnapshot>> {
                Ok(Seen {
                    at: i.at,
                    event_id: EventId::parse(&i.event_id)?,
                    snapshot: InvoiceSnapshot {
                        id: InvoiceId::parse(&i.id)?,
                        subscription: id.clone(),
                        status: InvoiceStatus::parse(&i.status),
                        amount_due: i.amount_due.map(Money::try_from).transpose()?,
                        attempt_count: i.attempt_count,
                        next_payment_attempt: i.next_payment_attempt,
                        payment_failed: i.payment_failed,
                        created: i.created,
                    },
                })
            })
            .transpose()?;
        Ok(Subscription::restore(id, state, invoice))
    }
}
