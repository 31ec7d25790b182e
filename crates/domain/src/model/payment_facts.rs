//! What is known about an order's payment, as a set of facts that merge in any order.
//!
//! Stripe delivers events at least once and in no guaranteed order. Each event adds facts with a join
//! (logical or, maximum, union) that is commutative, associative and idempotent, and the status is a
//! function of the facts alone. So any permutation of one payment's events, with repeats, ends in the
//! same facts and the same status.

use crate::model::ids::{EventId, RefundId};
use crate::model::money::Money;
use crate::model::payment_event::DisputeOutcome;
use crate::model::refund::{Refund, RefundRequest, RefundStatus};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// Everything the service has learnt about an order's payment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaymentFacts {
    /// A success event was seen (session paid, async payment succeeded, payment intent succeeded).
    pub paid: bool,
    /// The largest paid amount seen that differs from the order's amount or currency.
    pub mismatched_amount: Option<Money>,
    /// A success carrying the order's own amount and currency was seen.
    pub amount_confirmed: bool,
    /// A success was seen that gave no amount or currency, so it could not be checked against the order's.
    pub unconfirmed_payment: bool,
    /// The session completed with nothing to pay now (a subscription's free trial).
    pub nothing_due: bool,
    /// The session completed unpaid: a delayed payment method is settling.
    pub awaiting_async_payment: bool,
    /// The delayed payment failed.
    pub async_payment_failed: bool,
    /// The most recent declined attempt (by event time, then event id).
    pub last_decline: Option<Decline>,
    /// The session expired.
    pub expired: bool,
    /// The payment intent was canceled.
    pub payment_canceled: bool,
    /// The largest cumulative refunded amount seen, in the order's minor units.
    pub refunded_minor: i64,
    /// Disputes by id: `None` while open, the outcome once closed.
    pub disputes: BTreeMap<String, Option<DisputeOutcome>>,
    /// Stripe refused to open a Checkout Session for the order (a local fact, not an event).
    pub checkout_failed: Option<String>,
    /// Each refund Stripe told of, by id, merged ([`Refund::merge`]).
    pub refunds: BTreeMap<RefundId, Refund>,
    /// The refunds asked of the service, by the caller's idempotency key (local facts, not events).
    pub refund_requests: BTreeMap<String, RefundRequest>,
}

/// A declined payment attempt.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Decline {
    /// When the event was created.
    pub at: DateTime<Utc>,
    /// The event, to break ties deterministically.
    pub event_id: EventId,
    /// The decline's code and message, if Stripe gave them.
    pub reason: Option<String>,
}

impl PaymentFacts {
    /// Records a closed dispute's outcome; a closure beats an opening whatever order they arrive in.
    pub(crate) fn dispute(&mut self, id: &str, outcome: Option<DisputeOutcome>) {
        let entry = self.disputes.entry(id.to_owned()).or_insert(None);
        *entry = (*entry).max(outcome);
    }

    /// Keeps the later of two declines.
    pub(crate) fn decline(&mut self, decline: Decline) {
        if self.last_decline.as_ref().is_none_or(|current| decline > *current) {
            self.last_decline = Some(decline);
        }
    }

    /// Keeps the larger of two mismatched amounts (ordered by currency code, then minor units).
    pub(crate) fn mismatch(&mut self, amount: Money) {
        let key = |m: &Money| (m.currency().as_str().to_owned(), m.minor());
        if self.mismatched_amount.as_ref().is_none_or(|current| key(&amount) > key(current)) {
            self.mismatched_amount = Some(amount);
        }
    }

    /// Facts that lead an order of `amount` to `status`, for tests that need an order in a given state.
    #[cfg(any(test, feature = "mocks"))]
    pub fn leading_to(status: crate::model::order_status::OrderStatus, amount: Money) -> Self {
        use crate::model::order_status::OrderStatus;
        let paid = Self { paid: true, amount_confirmed: true, ..Self::default() };
        match status {
            OrderStatus::Pending => Self::default(),
            OrderStatus::Paid => paid,
            OrderStatus::Failed => Self {
                last_decline: Some(Decline {
                    at: DateTime::<Utc>::UNIX_EPOCH,
                    event_id: EventId::parse("evt_declined").expect("a valid event id"),
                    reason: None,
                }),
                ..Self::default()
            },
            OrderStatus::Expired => Self { expired: true, ..Self::default() },
            OrderStatus::Canceled => Self { payment_canceled: true, ..Self::default() },
            OrderStatus::Refunded => Self { refunded_minor: amount.minor().max(1), ..paid },
            OrderStatus::PartiallyRefunded => Self { refunded_minor: 1, ..paid },
            OrderStatus::Disputed => Self { disputes: BTreeMap::from([("dp_1".to_owned(), None)]), ..paid },
            OrderStatus::NeedsReview => Self {
                mismatched_amount: Some(
                    Money::new(amount.minor() + 1, amount.currency()).expect("a positive amount"),
                ),
                ..paid
            },
        }
    }

    /// Merges what Stripe says of one refund.
    pub(crate) fn refund(&mut self, refund: &Refund) {
        match self.refunds.get_mut(&refund.id) {
            Some(known) => known.merge(refund),
            None => {
                self.refunds.insert(refund.id.clone(), refund.clone());
            }
        }
    }

    /// How much has gone back, in the order's minor units: the most that either the charge's cumulative
    /// `amount_refunded` (less the refunds known to have failed or been canceled since: a charge event read
    /// before a refund failed still counts it) or the succeeded refunds add up to.
    pub fn refunded(&self) -> i64 {
        let succeeded: i64 = self
            .refunds
            .values()
            .filter(|refund| refund.status == RefundStatus::Succeeded)
            .map(|refund| refund.amount.minor())
            .sum();
        self.charge_refunded().max(succeeded)
    }

    /// How much is taken or held back from what was paid: the refunds that succeeded or are pending (or the
    /// charge's cumulative refunded amount, less failed refunds, if more), and the requests Stripe has not
    /// answered yet.
    pub fn refund_commitments(&self) -> i64 {
        let at_stripe: i64 =
            self.refunds.values().filter(|refund| refund.status.counts()).map(|r| r.amount.minor()).sum();
        let in_flight: i64 =
            self.refund_requests.values().filter(|request| request.in_flight()).map(|r| r.amount_minor).sum();
        self.charge_refunded().max(at_stripe) + in_flight
    }

    /// The charge's cumulative refunded amount, less the refunds that failed or were canceled (never below 0).
    fn charge_refunded(&self) -> i64 {
        let undone: i64 =
            self.refunds.values().filter(|refund| !refund.status.counts()).map(|r| r.amount.minor()).sum();
        (self.refunded_minor - undone).max(0)
    }

    /// True while any dispute is open or after one was lost.
    pub fn has_open_or_lost_dispute(&self) -> bool {
        self.disputes.values().any(|outcome| *outcome != Some(DisputeOutcome::Won))
    }
}
