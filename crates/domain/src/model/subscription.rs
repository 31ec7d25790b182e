//! Subscriptions: the record the service keeps of each Stripe subscription, merged from the snapshots its events
//! carry, in any delivery order.
//!
//! Every `customer.subscription.*` event carries the whole subscription as it was when the event was created,
//! and every `invoice.*` event the whole invoice. Stripe delivers them at least once and in no order, so the
//! record keeps, of each, the *newest* snapshot: newest by the event's `created`, then (within one second) by
//! how far along Stripe's own fields are, then by event id. Keeping the greatest of a total order is a join:
//! any permutation of the same events, with repeats, ends in the same record, and an older snapshot never
//! overwrites a newer one.

use crate::model::catalog::{PriceKey, Sku};
use crate::model::ids::{CustomerId, EventId, InvoiceId, OrderId, StripePriceId, SubscriptionId};
use crate::model::money::Money;
use crate::model::user::UserId;
use chrono::{DateTime, Utc};

/// Stripe's subscription status (an open enum: a status Stripe adds later is kept as it is named).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SubscriptionStatus {
    /// The first invoice is not paid yet.
    Incomplete,
    /// The first invoice was never paid: terminal.
    IncompleteExpired,
    /// In a free trial.
    Trialing,
    /// Paid up.
    Active,
    /// A renewal failed; Stripe is retrying.
    PastDue,
    /// Retries ran out and the account keeps it as unpaid: no more attempts.
    Unpaid,
    /// Ended: terminal.
    Canceled,
    /// A trial ended without a payment method, set to pause.
    Paused,
    /// A status this service does not know.
    Other(String),
}

impl SubscriptionStatus {
    /// Reads Stripe's name.
    pub fn parse(name: &str) -> Self {
        match name {
            "incomplete" => Self::Incomplete,
            "incomplete_expired" => Self::IncompleteExpired,
            "trialing" => Self::Trialing,
            "active" => Self::Active,
            "past_due" => Self::PastDue,
            "unpaid" => Self::Unpaid,
            "canceled" => Self::Canceled,
            "paused" => Self::Paused,
            other => Self::Other(other.to_owned()),
        }
    }

    /// Stripe's name.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Incomplete => "incomplete",
            Self::IncompleteExpired => "incomplete_expired",
            Self::Trialing => "trialing",
            Self::Active => "active",
            Self::PastDue => "past_due",
            Self::Unpaid => "unpaid",
            Self::Canceled => "canceled",
            Self::Paused => "paused",
            Self::Other(name) => name,
        }
    }

    /// Whether it grants its product: while trialing, active, or past due (Stripe is still retrying: a
    /// grace period), never once canceled, unpaid, expired, incomplete or paused.
    pub fn grants_access(&self) -> bool {
        matches!(self, Self::Trialing | Self::Active | Self::PastDue)
    }

    /// How far along a subscription is, to order two snapshots of the same second: not started, running,
    /// ended (an ended subscription never starts again).
    fn rank(&self) -> u8 {
        match self {
            Self::Incomplete => 0,
            Self::IncompleteExpired | Self::Canceled => 2,
            _ => 1,
        }
    }
}

/// Stripe's invoice status.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum InvoiceStatus {
    /// Being prepared.
    Draft,
    /// Finalized, awaiting payment.
    Open,
    /// Paid.
    Paid,
    /// Given up on.
    Uncollectible,
    /// Canceled.
    Void,
    /// A status this service does not know.
    Other(String),
}

impl InvoiceStatus {
    /// Reads Stripe's name.
    pub fn parse(name: &str) -> Self {
        match name {
            "draft" => Self::Draft,
            "open" => Self::Open,
            "paid" => Self::Paid,
            "uncollectible" => Self::Uncollectible,
            "void" => Self::Void,
            other => Self::Other(other.to_owned()),
        }
    }

    /// Stripe's name.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Draft => "draft",
            Self::Open => "open",
            Self::Paid => "paid",
            Self::Uncollectible => "uncollectible",
            Self::Void => "void",
            Self::Other(name) => name,
        }
    }

    /// Draft, then open, then settled one way or another.
    fn rank(&self) -> u8 {
        match self {
            Self::Draft => 0,
            Self::Open | Self::Other(_) => 1,
            Self::Paid | Self::Uncollectible | Self::Void => 2,
        }
    }
}

/// What the service put in the subscription's metadata at checkout, so that its events say whose it is and
/// what it sells.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscriptionLinks {
    /// The signed-in user who subscribed.
    pub user_id: Option<UserId>,
    /// The order its checkout made.
    pub order_id: Option<OrderId>,
    /// The catalog product.
    pub sku: Option<Sku>,
    /// The catalog price.
    pub price_key: Option<PriceKey>,
}

/// A subscription as one event shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionSnapshot {
    /// `sub_...`.
    pub id: SubscriptionId,
    /// Its customer.
    pub customer: CustomerId,
    /// Its status.
    pub status: SubscriptionStatus,
    /// When the paid period ends (renewal, or the end with `cancel_at_period_end`).
    pub current_period_end: Option<DateTime<Utc>>,
    /// Set to end at the period's end.
    pub cancel_at_period_end: bool,
    /// When it was canceled (or set to cancel).
    pub canceled_at: Option<DateTime<Utc>>,
    /// When its trial ends.
    pub trial_end: Option<DateTime<Utc>>,
    /// Its (first item's) Stripe price.
    pub price: Option<StripePriceId>,
    /// Whose it is and what it sells.
    pub links: SubscriptionLinks,
}

/// An invoice of a subscription as one event shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceSnapshot {
    /// `in_...`.
    pub id: InvoiceId,
    /// The subscription it bills.
    pub subscription: SubscriptionId,
    /// Its status.
    pub status: InvoiceStatus,
    /// What it asks for.
    pub amount_due: Option<Money>,
    /// Payment attempts so far.
    pub attempt_count: u32,
    /// When Stripe tries again, if it will.
    pub next_payment_attempt: Option<DateTime<Utc>>,
    /// The last attempt failed (`invoice.payment_failed`), or needs the customer (`payment_action_required`).
    pub payment_failed: bool,
    /// When the invoice was created (the latest invoice is the newest one).
    pub created: DateTime<Utc>,
}

/// What a subscription or invoice event carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BillingSnapshot {
    /// `customer.subscription.*`.
    Subscription(SubscriptionSnapshot),
    /// `invoice.*` of a subscription's invoice.
    Invoice(InvoiceSnapshot),
}

impl BillingSnapshot {
    /// The subscription it is about.
    pub fn subscription_id(&self) -> &SubscriptionId {
        match self {
            BillingSnapshot::Subscription(snapshot) => &snapshot.id,
            BillingSnapshot::Invoice(invoice) => &invoice.subscription,
        }
    }
}

/// A snapshot and the event that carried it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen<T> {
    /// What the event showed.
    pub snapshot: T,
    /// The event's `created`.
    pub at: DateTime<Utc>,
    /// The event.
    pub event_id: EventId,
}

/// The service's record of one subscription: the newest snapshot of it, and of its latest invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    id: SubscriptionId,
    state: Option<Seen<SubscriptionSnapshot>>,
    latest_invoice: Option<Seen<InvoiceSnapshot>>,
}

impl Subscription {
    /// A record of `id` that has seen nothing yet.
    pub fn new(id: SubscriptionId) -> Self {
        Self { id, state: None, latest_invoice: None }
    }

    /// A record as stored.
    pub fn restore(
        id: SubscriptionId,
        state: Option<Seen<SubscriptionSnapshot>>,
        latest_invoice: Option<Seen<InvoiceSnapshot>>,
    ) -> Self {
        Self { id, state, latest_invoice }
    }

    /// `sub_...`.
    pub fn id(&self) -> &SubscriptionId {
        &self.id
    }

    /// The newest snapshot of the subscription; `None` while only invoice events have arrived (they wait here
    /// for it).
    pub fn state(&self) -> Option<&Seen<SubscriptionSnapshot>> {
        self.state.as_ref()
    }

    /// The newest snapshot of its latest invoice.
    pub fn latest_invoice(&self) -> Option<&Seen<InvoiceSnapshot>> {
        self.latest_invoice.as_ref()
    }

    /// Its status, once a snapshot of it has arrived.
    pub fn status(&self) -> Option<&SubscriptionStatus> {
        self.state.as_ref().map(|seen| &seen.snapshot.status)
    }

    /// Whether it grants its product now (see [`SubscriptionStatus::grants_access`]).
    pub fn grants_access(&self) -> bool {
        self.status().is_some_and(SubscriptionStatus::grants_access)
    }

    /// Keeps what the event `event_id` (created `at`) shows if it is newer than what the record holds; true
    /// when the record changed.
    pub fn merge(&mut self, snapshot: &BillingSnapshot, at: DateTime<Utc>, event_id: &EventId) -> bool {
        if snapshot.subscription_id() != &self.id {
            return false;
        }
        match snapshot {
            BillingSnapshot::Subscription(snapshot) => {
                let seen = Seen { snapshot: snapshot.clone(), at, event_id: event_id.clone() };
                keep_newest(&mut self.state, seen, |seen| {
                    let s = &seen.snapshot;
                    (seen.at, s.status.rank(), s.current_period_end, s.canceled_at, seen.event_id.clone())
                })
            }
            BillingSnapshot::Invoice(invoice) => {
                let seen = Seen { snapshot: invoice.clone(), at, event_id: event_id.clone() };
                keep_newest(&mut self.latest_invoice, seen, |seen| {
                    let i = &seen.snapshot;
                    let progress = (i.status.rank(), i.attempt_count, i.payment_failed);
                    (i.created, i.id.clone(), seen.at, progress, seen.event_id.clone())
                })
            }
        }
    }
}

/// Replaces `current` with `candidate` when `key` orders it after; true when it did.
fn keep_newest<T, K: Ord>(current: &mut Option<T>, candidate: T, key: impl Fn(&T) -> K) -> bool {
    let newer = current.as_ref().is_none_or(|current| key(&candidate) > key(current));
    if newer {
        *current = Some(candidate);
    }
    newer
}

#[cfg(test)]
#[path = "subscription_tests.rs"]
mod tests;
