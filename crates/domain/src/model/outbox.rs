//! The fulfilment outbox: what a shop is told about its orders, written in the same transaction as the change
//! it tells of, then delivered to the shop's endpoints (or read from the feed) at least once.
//!
//! [`notices`] is the rule for orders: given an order before and after a change, the entries the change
//! writes, in order; [`subscription_notices`] is the same for a subscription's record. The store numbers each
//! subject's entries (its `sequence`, from 1) and keeps them with the view the API shows
//! ([`crate::OrderView`], [`crate::SubscriptionView`]) as their payload.

use crate::model::ids::{OrderId, SubscriptionId};
use crate::model::order::Order;
use crate::model::order_status::OrderStatus;
use crate::model::purchase::PurchaseStatus;
use crate::model::subscription::{Subscription, SubscriptionStatus};
use chrono::{DateTime, Utc};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// What an outbox entry tells of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoticeKind {
    /// The order was paid in full.
    OrderPaid,
    /// Its payment failed (a later success still pays it).
    OrderFailed,
    /// Its Checkout Session expired unpaid.
    OrderExpired,
    /// It can never be paid: no session could be opened, or its payment was canceled.
    OrderCanceled,
    /// It was refunded in full.
    OrderRefunded,
    /// It was refunded in part (again, for each further partial refund).
    OrderPartiallyRefunded,
    /// Its payment was disputed.
    OrderDisputed,
    /// A dispute of it was closed, won or lost (the payload's status says which way the order went).
    OrderDisputeClosed,
    /// It was paid with another amount or currency: held for a person to review.
    OrderNeedsReview,
    /// Its catalog products now belong to its buyer.
    PurchaseGranted,
    /// Its catalog products no longer do (a full refund, a lost dispute).
    PurchaseRevoked,
    /// A subscription's own snapshot arrived for the first time.
    SubscriptionCreated,
    /// Its status, price, trial or cancellation changed (not an end, not a renewal).
    SubscriptionUpdated,
    /// Its paid period moved on (a renewal was paid, or Stripe moved the period).
    SubscriptionRenewed,
    /// A payment of its latest invoice failed (again, for each failed attempt), or needs the customer.
    SubscriptionPaymentFailed,
    /// It ended: canceled, or its first invoice was never paid (`incomplete_expired`). Terminal.
    SubscriptionEnded,
    /// It now grants its product (trialing, active or past due).
    SubscriptionAccessGranted,
    /// It no longer does.
    SubscriptionAccessRevoked,
}

impl NoticeKind {
    /// Every kind.
    pub const ALL: [NoticeKind; 18] = [
        NoticeKind::OrderPaid,
        NoticeKind::OrderFailed,
        NoticeKind::OrderExpired,
        NoticeKind::OrderCanceled,
        NoticeKind::OrderRefunded,
        NoticeKind::OrderPartiallyRefunded,
        NoticeKind::OrderDisputed,
        NoticeKind::OrderDisputeClosed,
        NoticeKind::OrderNeedsReview,
        NoticeKind::PurchaseGranted,
        NoticeKind::PurchaseRevoked,
        NoticeKind::SubscriptionCreated,
        NoticeKind::SubscriptionUpdated,
        NoticeKind::SubscriptionRenewed,
        NoticeKind::SubscriptionPaymentFailed,
        NoticeKind::SubscriptionEnded,
        NoticeKind::SubscriptionAccessGranted,
        NoticeKind::SubscriptionAccessRevoked,
    ];

    /// Its name on the wire and in storage (`order.paid`, ...).
    pub fn as_str(&self) -> &'static str {
        match self {
            NoticeKind::OrderPaid => "order.paid",
            NoticeKind::OrderFailed => "order.failed",
            NoticeKind::OrderExpired => "order.expired",
            NoticeKind::OrderCanceled => "order.canceled",
            NoticeKind::OrderRefunded => "order.refunded",
            NoticeKind::OrderPartiallyRefunded => "order.partially_refunded",
            NoticeKind::OrderDisputed => "order.disputed",
            NoticeKind::OrderDisputeClosed => "order.dispute_closed",
            NoticeKind::OrderNeedsReview => "order.needs_review",
            NoticeKind::PurchaseGranted => "purchase.granted",
            NoticeKind::PurchaseRevoked => "purchase.revoked",
            NoticeKind::SubscriptionCreated => "subscription.created",
            NoticeKind::SubscriptionUpdated => "subscription.updated",
            NoticeKind::SubscriptionRenewed => "subscription.renewed",
            NoticeKind::SubscriptionPaymentFailed => "subscription.payment_failed",
            NoticeKind::SubscriptionEnded => "subscription.ended",
            NoticeKind::SubscriptionAccessGranted => "subscription.access_granted",
            NoticeKind::SubscriptionAccessRevoked => "subscription.access_revoked",
        }
    }

    /// The notice of an order entering `status`, if that is news to a shop.
    fn of_status(status: OrderStatus) -> Option<Self> {
        match status {
            OrderStatus::Pending => None,
            OrderStatus::Paid => Some(NoticeKind::OrderPaid),
            OrderStatus::Failed => Some(NoticeKind::OrderFailed),
            OrderStatus::Expired => Some(NoticeKind::OrderExpired),
            OrderStatus::Canceled => Some(NoticeKind::OrderCanceled),
            OrderStatus::Refunded => Some(NoticeKind::OrderRefunded),
            OrderStatus::PartiallyRefunded => Some(NoticeKind::OrderPartiallyRefunded),
            OrderStatus::Disputed => Some(NoticeKind::OrderDisputed),
            OrderStatus::NeedsReview => Some(NoticeKind::OrderNeedsReview),
        }
    }
}

impl fmt::Display for NoticeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored notice name that is not one of [`NoticeKind::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown outbox entry type {0:?}")]
pub struct UnknownNotice(pub String);

impl FromStr for NoticeKind {
    type Err = UnknownNotice;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NoticeKind::ALL.into_iter().find(|kind| kind.as_str() == s).ok_or_else(|| UnknownNotice(s.to_owned()))
    }
}

/// The entries a change of an order writes, in order, given the order `before` and `after` it.
///
/// | change                                                   | entries                                 |
/// |----------------------------------------------------------|-----------------------------------------|
/// | a dispute closed                                         | `order.dispute_closed`                  |
/// | otherwise, the status changed (not to pending)           | `order.<status>`                        |
/// | still partially refunded, more refunded                  | `order.partially_refunded`              |
/// | its catalog products' purchase became completed          | then `purchase.granted`                 |
/// | their purchase went from completed to refunded           | then `purchase.revoked`                 |
///
/// A change that does none of these (an event already applied, a session attached) writes nothing.
pub fn notices(before: &Order, after: &Order) -> Vec<NoticeKind> {
    let mut kinds = Vec::new();
    let closed = |order: &Order| order.facts().disputes.values().filter(|outcome| outcome.is_some()).count();
    if closed(after) > closed(before) {
        kinds.push(NoticeKind::OrderDisputeClosed);
    } else if after.status() != before.status() {
        kinds.extend(NoticeKind::of_status(after.status()));
    } else if after.status() == OrderStatus::PartiallyRefunded
        && after.facts().refunded() > before.facts().refunded()
    {
        kinds.push(NoticeKind::OrderPartiallyRefunded);
    }
    // Only catalog lines grant purchases (see [`crate::purchases_of`]).
    if after.items().iter().any(|item| item.catalog().is_some()) {
        let (was, is) = (PurchaseStatus::of_order(before), PurchaseStatus::of_order(after));
        if is == PurchaseStatus::Completed && was != PurchaseStatus::Completed {
            kinds.push(NoticeKind::PurchaseGranted);
        } else if was == PurchaseStatus::Completed && is == PurchaseStatus::Refunded {
            kinds.push(NoticeKind::PurchaseRevoked);
        }
    }
    kinds
}

/// The entries a change of a subscription's record writes, in order, given the record `before` and `after` it.
///
/// | change                                                             | entries                         |
/// |--------------------------------------------------------------------|---------------------------------|
/// | its own snapshot arrived for the first time                        | `subscription.created`          |
/// | otherwise, it ended (canceled, incomplete_expired)                 | `subscription.ended`            |
/// | otherwise, its period ends later than it did                       | `subscription.renewed`          |
/// | otherwise, its status, price, trial or cancellation changed        | `subscription.updated`          |
/// | its latest invoice's payment failed (a new failure or attempt)      | then `subscription.payment_failed` |
/// | it grants its product and did not / did and does not               | then `subscription.access_granted` / `_revoked` |
///
/// A change that does none of these (a repeat, an invoice drafted or paid) writes nothing.
pub fn subscription_notices(before: &Subscription, after: &Subscription) -> Vec<NoticeKind> {
    let mut kinds = Vec::new();
    let ended = |status: &SubscriptionStatus| {
        matches!(status, SubscriptionStatus::Canceled | SubscriptionStatus::IncompleteExpired)
    };
    match (before.state().map(|seen| &seen.snapshot), after.state().map(|seen| &seen.snapshot)) {
        (None, Some(_)) => kinds.push(NoticeKind::SubscriptionCreated),
        (Some(was), Some(is)) if ended(&is.status) && !ended(&was.status) => {
            kinds.push(NoticeKind::SubscriptionEnded)
        }
        (Some(was), Some(is))
            if is.current_period_end > was.current_period_end && was.current_period_end.is_some() =>
        {
            kinds.push(NoticeKind::SubscriptionRenewed)
        }
        (Some(was), Some(is))
            if (&is.status, &is.price, is.trial_end, is.cancel_at_period_end, is.canceled_at)
                != (&was.status, &was.price, was.trial_end, was.cancel_at_period_end, was.canceled_at)
                || is.current_period_end != was.current_period_end =>
        {
            kinds.push(NoticeKind::SubscriptionUpdated)
        }
        _ => {}
    }
    let failure = |subscription: &Subscription| {
        subscription
            .latest_invoice()
            .map(|seen| &seen.snapshot)
            .filter(|invoice| invoice.payment_failed)
            .map(|invoice| (invoice.id.clone(), invoice.attempt_count))
    };
    let failed = failure(after);
    if failed.is_some() && failed != failure(before) {
        kinds.push(NoticeKind::SubscriptionPaymentFailed);
    }
    match (before.grants_access(), after.grants_access()) {
        (false, true) => kinds.push(NoticeKind::SubscriptionAccessGranted),
        (true, false) => kinds.push(NoticeKind::SubscriptionAccessRevoked),
        _ => {}
    }
    kinds
}

/// What an outbox entry tells of: an order or a subscription. Entries of one subject go out in sequence.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NoticeSubject {
    /// An order (`order.*`, `purchase.*`).
    Order(OrderId),
    /// A subscription (`subscription.*`).
    Subscription(SubscriptionId),
}

impl NoticeSubject {
    /// The order, for an order's entry.
    pub fn order_id(&self) -> Option<OrderId> {
        match self {
            NoticeSubject::Order(id) => Some(*id),
            NoticeSubject::Subscription(_) => None,
        }
    }

    /// The subscription, for a subscription's entry.
    pub fn subscription_id(&self) -> Option<&SubscriptionId> {
        match self {
            NoticeSubject::Order(_) => None,
            NoticeSubject::Subscription(id) => Some(id),
        }
    }
}

impl fmt::Display for NoticeSubject {
    /// `order <uuid>` or `subscription sub_...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoticeSubject::Order(id) => write!(f, "order {id}"),
            NoticeSubject::Subscription(id) => write!(f, "subscription {id}"),
        }
    }
}

/// Where an outbox entry stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutboxStatus {
    /// Not yet delivered to every endpoint: due at its `next_attempt_at`.
    Pending,
    /// Every endpoint answered 2xx.
    Delivered,
    /// Given up on: it failed for longer than the delivery settings allow. Redelivering makes it pending.
    Dead,
}

impl OutboxStatus {
    /// Every status.
    pub const ALL: [OutboxStatus; 3] = [OutboxStatus::Pending, OutboxStatus::Delivered, OutboxStatus::Dead];

    /// Its name on the wire and in storage.
    pub fn as_str(&self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Delivered => "delivered",
            OutboxStatus::Dead => "dead",
        }
    }
}

impl FromStr for OutboxStatus {
    type Err = UnknownNotice;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OutboxStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownNotice(s.to_owned()))
    }
}

/// Where an entry sits in the feed: entries are read in cursor order, and an entry committed after a reader
/// passed a cursor always comes after it. Written `<tx>-<position>`; opaque to readers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FeedCursor {
    /// The writing transaction's place in commit order, as the store tracks it (0 where writes never overlap).
    pub tx: i64,
    /// The entry's place among its transaction's.
    pub position: i64,
}

impl fmt::Display for FeedCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.tx, self.position)
    }
}

/// A feed cursor that is not one this service wrote.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a feed cursor: expected the `next_cursor` of an earlier page")]
pub struct BadCursor;

impl FromStr for FeedCursor {
    type Err = BadCursor;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (tx, position) = s.split_once('-').ok_or(BadCursor)?;
        let number = |part: &str| {
            (!part.is_empty() && part.len() <= 19 && part.bytes().all(|b| b.is_ascii_digit()))
                .then(|| part.parse::<i64>().ok())
                .flatten()
                .ok_or(BadCursor)
        };
        Ok(Self { tx: number(tx)?, position: number(position)? })
    }
}

/// One outbox entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// Its id: a shop dedupes by it.
    pub id: Uuid,
    /// What it tells of.
    pub kind: NoticeKind,
    /// The order or subscription it tells of.
    pub subject: NoticeSubject,
    /// Its place among its subject's entries, from 1.
    pub sequence: i64,
    /// The order or subscription as the API showed it right after the change (JSON).
    pub payload: String,
    /// When the change was committed (by the clock of the service that made it).
    pub created_at: DateTime<Utc>,
    /// Where delivery stands.
    pub status: OutboxStatus,
    /// Deliveries tried so far.
    pub attempts: u32,
    /// When it is next due (while pending).
    pub next_attempt_at: DateTime<Utc>,
    /// The endpoints that answered 2xx.
    pub delivered_to: Vec<String>,
    /// Why the last attempt failed, if it did.
    pub last_error: Option<String>,
    /// When the last endpoint answered 2xx.
    pub delivered_at: Option<DateTime<Utc>>,
    /// Its place in the feed.
    pub cursor: FeedCursor,
}

/// How far delivery is behind, as [`crate::OutboxStore::backlog`] counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutboxBacklog {
    /// Entries not yet delivered to every endpoint.
    pub pending: u64,
    /// Entries given up on.
    pub dead: u64,
    /// When the oldest pending entry was written, if there is one.
    pub oldest_pending: Option<DateTime<Utc>>,
}

/// What became of a delivery attempt, as [`crate::OutboxStore::record_attempt`] writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// Every endpoint has answered 2xx.
    Delivered {
        /// When.
        at: DateTime<Utc>,
    },
    /// Some endpoint has not: try again at `next`.
    Retry {
        /// When it is due again.
        next: DateTime<Utc>,
        /// Why it failed.
        error: String,
    },
    /// Some endpoint has not, and the entry is too old to try again.
    Dead {
        /// Why it failed last.
        error: String,
    },
}

#[cfg(test)]
#[path = "outbox_tests.rs"]
mod tests;
