//! Refunds: what Stripe says of each refund of an order, and the refunds asked of the service.
//!
//! A refund's state at Stripe is a join like the rest of an order's facts ([`Refund::merge`]): its status only
//! moves forward in Stripe's lifecycle (pending, then succeeded, canceled or failed), so snapshots arriving in
//! any order, repeated, end alike. A refund asked of the service ([`RefundRequest`]) is a local fact: it holds
//! its amount back from what is left to refund from the moment it is written, before Stripe is asked, so two
//! requests for the rest of one order can never both reach Stripe.

use crate::model::ids::RefundId;
use crate::model::money::Money;
use crate::model::user::UserId;
use chrono::{DateTime, Utc};

/// A refund's status at Stripe, in the order its lifecycle moves: a later one wins over an earlier one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RefundStatus {
    /// Created, not settled yet (Stripe's `pending` and `requires_action`).
    Pending,
    /// The money went back.
    Succeeded,
    /// Canceled before it settled.
    Canceled,
    /// The refund failed (it may have succeeded first: a card that cannot take it back).
    Failed,
}

impl RefundStatus {
    /// Stripe's word for it.
    pub fn as_str(&self) -> &'static str {
        match self {
            RefundStatus::Pending => "pending",
            RefundStatus::Succeeded => "succeeded",
            RefundStatus::Canceled => "canceled",
            RefundStatus::Failed => "failed",
        }
    }

    /// Stripe's status; `requires_action` is pending, an unknown one `None`.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pending" | "requires_action" => Some(RefundStatus::Pending),
            "succeeded" => Some(RefundStatus::Succeeded),
            "canceled" => Some(RefundStatus::Canceled),
            "failed" => Some(RefundStatus::Failed),
            _ => None,
        }
    }

    /// True while the refund holds back, or has taken back, its amount.
    pub fn counts(&self) -> bool {
        matches!(self, RefundStatus::Pending | RefundStatus::Succeeded)
    }
}

/// Why a refund is made, in Stripe's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RefundReason {
    /// `requested_by_customer`.
    RequestedByCustomer,
    /// `duplicate`.
    Duplicate,
    /// `fraudulent`.
    Fraudulent,
}

impl RefundReason {
    /// Stripe's word for it.
    pub fn as_str(&self) -> &'static str {
        match self {
            RefundReason::RequestedByCustomer => "requested_by_customer",
            RefundReason::Duplicate => "duplicate",
            RefundReason::Fraudulent => "fraudulent",
        }
    }

    /// Stripe's reason; any other word is `None`.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "requested_by_customer" => Some(RefundReason::RequestedByCustomer),
            "duplicate" => Some(RefundReason::Duplicate),
            "fraudulent" => Some(RefundReason::Fraudulent),
            _ => None,
        }
    }
}

/// A refund as Stripe last told it (in an answer or an event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    /// Stripe's id.
    pub id: RefundId,
    /// How much it gives back.
    pub amount: Money,
    /// Where it stands.
    pub status: RefundStatus,
    /// Why, when given.
    pub reason: Option<RefundReason>,
    /// When Stripe created it.
    pub created: DateTime<Utc>,
    /// When the service last learnt something of it (the event's or the answer's time).
    pub updated: DateTime<Utc>,
}

impl Refund {
    /// Joins what two snapshots of one refund say: the later status, the earliest creation, the latest update.
    /// Commutative, associative and idempotent.
    pub fn merge(&mut self, other: &Refund) {
        self.status = self.status.max(other.status);
        self.amount = if other.amount.minor() > self.amount.minor() { other.amount } else { self.amount };
        self.reason = self.reason.max(other.reason);
        self.created = self.created.min(other.created);
        self.updated = self.updated.max(other.updated);
    }
}

/// Who asks for a refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refunder {
    /// The operator, with the admin key.
    Admin,
    /// The user who placed the order.
    User(UserId),
}

/// What a refund request asks for, as sent: the same idempotency key must come with the same ask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundAsk {
    /// Minor units of the order's currency; `None` asks for all that is left.
    pub amount: Option<i64>,
    /// Why.
    pub reason: Option<RefundReason>,
}

/// A refund asked of the service, kept on its order under the caller's idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    /// What was asked.
    pub ask: RefundAsk,
    /// The amount it holds back: the ask's, or what was left when it was written.
    pub amount_minor: i64,
    /// Who asked.
    pub by: Refunder,
    /// When it was written.
    pub at: DateTime<Utc>,
    /// The refund Stripe made for it, once it answered.
    pub refund_id: Option<RefundId>,
    /// Stripe refused it (its code or message): it holds nothing back any more.
    pub refused: Option<String>,
}

impl RefundRequest {
    /// True while sent (or about to be) and not answered: its amount is held back.
    pub fn in_flight(&self) -> bool {
        self.refund_id.is_none() && self.refused.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::money::Currency;
    use proptest::prelude::*;

    fn refund(status: RefundStatus, amount: i64, created: i64, updated: i64) -> Refund {
        Refund {
            id: RefundId::parse("re_1").unwrap(),
            amount: Money::new(amount, Currency::parse("usd").unwrap()).unwrap(),
            status,
            reason: None,
            created: DateTime::from_timestamp(created, 0).unwrap(),
            updated: DateTime::from_timestamp(updated, 0).unwrap(),
        }
    }

    fn status() -> impl Strategy<Value = RefundStatus> {
        prop_oneof![
            Just(RefundStatus::Pending),
            Just(RefundStatus::Succeeded),
            Just(RefundStatus::Canceled),
            Just(RefundStatus::Failed)
        ]
    }

    proptest! {
        #[test]
        fn snapshots_merge_alike_in_any_order(
            a in status(), b in status(), c in status(), ta in 0i64..9, tb in 0i64..9, tc in 0i64..9,
        ) {
            let (a, b, c) = (refund(a, 500, ta, ta), refund(b, 500, tb, tb), refund(c, 500, tc, tc));
            let mut left = a.clone();
            left.merge(&b);
            left.merge(&c);
            let mut right = c.clone();
            right.merge(&a);
            right.merge(&b);
            right.merge(&a);
            prop_assert_eq!(&left, &right);
        }
    }

    #[test]
    fn a_failure_after_success_wins_and_a_pending_snapshot_never_undoes_success() {
        let mut r = refund(RefundStatus::Succeeded, 500, 1, 2);
        r.merge(&refund(RefundStatus::Pending, 500, 1, 1));
        assert_eq!(r.status, RefundStatus::Succeeded);
        r.merge(&refund(RefundStatus::Failed, 500, 1, 3));
        assert_eq!(r.status, RefundStatus::Failed);
        assert!(!r.status.counts());
    }

    #[test]
    fn stripe_words_round_trip() {
        for s in
            [RefundStatus::Pending, RefundStatus::Succeeded, RefundStatus::Canceled, RefundStatus::Failed]
        {
            assert_eq!(RefundStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(RefundStatus::parse("requires_action"), Some(RefundStatus::Pending));
        assert_eq!(RefundStatus::parse("refunded"), None);
        for r in [RefundReason::RequestedByCustomer, RefundReason::Duplicate, RefundReason::Fraudulent] {
            assert_eq!(RefundReason::parse(r.as_str()), Some(r));
        }
        assert_eq!(RefundReason::parse("because"), None);
    }
}
