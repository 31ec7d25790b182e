//! The domain's view of a Stripe event.

use crate::model::ids::{CheckoutSessionId, EventId, OrderId, PaymentIntentId};
use crate::model::money::Money;
use crate::model::refund::Refund;
use chrono::{DateTime, Utc};

/// One payment event as the domain needs it, whatever the payment provider's wire format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentEvent {
    /// The provider's event id: the unit of idempotency.
    pub id: EventId,
    /// The provider's type name as received (`checkout.session.completed`, ...).
    pub event_type: String,
    /// When the provider created the event.
    pub created: DateTime<Utc>,
    /// What happened.
    pub kind: PaymentEventKind,
    /// Which order, session and payment the event is about.
    pub refs: EventRefs,
}

/// The ids an event refers to. An order is found by `order_id` first, then by session, then by payment intent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventRefs {
    /// From `metadata.order_id` or `client_reference_id`.
    pub order_id: Option<OrderId>,
    /// The Checkout Session.
    pub session_id: Option<CheckoutSessionId>,
    /// The PaymentIntent (the seed's `transactionId`).
    pub payment_intent_id: Option<PaymentIntentId>,
}

impl EventRefs {
    /// True when both name the same order, session or payment intent.
    pub fn shares_an_id_with(&self, other: &EventRefs) -> bool {
        (self.order_id.is_some() && self.order_id == other.order_id)
            || (self.session_id.is_some() && self.session_id == other.session_id)
            || (self.payment_intent_id.is_some() && self.payment_intent_id == other.payment_intent_id)
    }
}

/// Whether a completed Checkout Session has been paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionPaymentStatus {
    /// Paid now.
    Paid,
    /// A delayed payment method: the outcome comes later as an async_payment event.
    Unpaid,
    /// Nothing to pay (a 100% discount).
    NoPaymentRequired,
}

impl SessionPaymentStatus {
    /// Stripe's name for it.
    pub fn as_str(&self) -> &'static str {
        match self {
            SessionPaymentStatus::Paid => "paid",
            SessionPaymentStatus::Unpaid => "unpaid",
            SessionPaymentStatus::NoPaymentRequired => "no_payment_required",
        }
    }
}

/// How a dispute ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DisputeOutcome {
    /// The merchant kept the money.
    Won,
    /// The money went back to the cardholder.
    Lost,
}

/// What an event says happened. Unknown event types are kept as [`PaymentEventKind::Unknown`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentEventKind {
    /// `checkout.session.completed`.
    CheckoutCompleted {
        /// `payment_status`.
        payment_status: SessionPaymentStatus,
        /// `amount_total` and `currency`, when present.
        amount: Option<Money>,
    },
    /// `checkout.session.async_payment_succeeded`.
    AsyncPaymentSucceeded {
        /// `amount_total` and `currency`, when present.
        amount: Option<Money>,
    },
    /// `checkout.session.async_payment_failed`.
    AsyncPaymentFailed,
    /// `checkout.session.expired`.
    CheckoutExpired,
    /// `payment_intent.succeeded`, or `charge.succeeded` (the same fact, told by the charge).
    PaymentSucceeded {
        /// `amount_received` (else `amount`) and `currency`, when present.
        amount: Option<Money>,
    },
    /// `payment_intent.payment_failed` or `charge.failed`: a declined attempt; the customer may retry.
    PaymentFailed {
        /// `last_payment_error` code and message, when present.
        reason: Option<String>,
    },
    /// `payment_intent.canceled`.
    PaymentCanceled,
    /// `charge.refunded`: the charge's cumulative `amount_refunded`.
    ChargeRefunded {
        /// Everything refunded on the charge so far.
        amount_refunded: Money,
        /// The refunds the charge lists, when it lists them (API versions before 2022-11-15 do).
        refunds: Vec<Refund>,
    },
    /// `refund.created`, `refund.updated`, `refund.failed` (and the older `charge.refund.updated`): one refund.
    RefundChanged {
        /// The refund as the event shows it.
        refund: Refund,
    },
    /// `charge.dispute.created` (and other dispute events while it is open).
    DisputeOpened {
        /// The dispute's id (`dp_...`).
        dispute_id: String,
    },
    /// `charge.dispute.closed`.
    DisputeClosed {
        /// The dispute's id (`dp_...`).
        dispute_id: String,
        /// Won or lost.
        outcome: DisputeOutcome,
    },
    /// Any other type: stored and acknowledged, with no effect on an order.
    Unknown,
}

impl PaymentEventKind {
    /// True when the event can change an order.
    pub fn affects_orders(&self) -> bool {
        !matches!(self, PaymentEventKind::Unknown)
    }
}
