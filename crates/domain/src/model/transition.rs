//! The order state machine: one pure function from (order, payment event) to what comes next.

use crate::model::ids::PaymentIntentId;
use crate::model::money::Money;
use crate::model::order::Order;
use crate::model::order_status::OrderStatus;
use crate::model::payment_event::{PaymentEvent, PaymentEventKind, SessionPaymentStatus};
use crate::model::payment_facts::{Decline, PaymentFacts};

/// What applying an event did to an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// The status changed.
    Changed {
        /// Before.
        from: OrderStatus,
        /// After.
        to: OrderStatus,
    },
    /// A new fact was remembered but the status stays (e.g. a refund seen before its payment).
    Recorded,
    /// Nothing new: the event repeats what is known, or its type has no effect on orders.
    Ignored,
    /// The event names another order or session than this one; nothing changed.
    Refused {
        /// Why, in words.
        reason: String,
    },
}

/// The result of [`transition`]: the facts, status and failure reason the order would have, and the effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The merged facts.
    pub facts: PaymentFacts,
    /// The status derived from them.
    pub status: OrderStatus,
    /// The failure reason derived from them.
    pub failure_reason: Option<String>,
    /// The payment intent the event names, if any.
    pub payment_intent_id: Option<PaymentIntentId>,
    /// What changed.
    pub effect: Effect,
}

/// Applies `event` to `order` without touching it, and returns what the order would become.
///
/// The event's facts are merged into the order's ([`PaymentFacts`]: or, max, union), then the status is derived
/// from the facts alone, so the result does not depend on delivery order or repeats. Read the table as "an order
/// in *status*, receiving *event*, ends in *next*". "Paid family" means paid, partially_refunded, refunded,
/// disputed or needs_review. An amount "matches" when amount and currency equal the order's.
///
/// | #  | status                  | event                                                | next                                     |
/// |----|-------------------------|------------------------------------------------------|------------------------------------------|
/// | 1  | pending, failed         | `checkout.session.completed`, paid, amount matches   | paid                                     |
/// | 2  | pending                 | `checkout.session.completed`, paid, amount differs   | needs_review (held, not marked paid)     |
/// | 3  | pending                 | `checkout.session.completed`, unpaid                 | pending (delayed method settling)        |
/// | 4  | pending                 | `checkout.session.async_payment_succeeded`           | paid (needs_review if amount differs)    |
/// | 5  | pending                 | `checkout.session.async_payment_failed`              | failed                                   |
/// | 6  | pending, failed         | `payment_intent.succeeded`, amount matches           | paid                                     |
/// | 7  | pending                 | `payment_intent.payment_failed`                      | failed (the customer may retry)          |
/// | 8  | failed                  | any success                                          | paid: a later success beats a failure    |
/// | 9  | paid family             | payment_failed, async_payment_failed, expired, canceled | unchanged: nothing overrides a payment |
/// | 10 | pending, failed         | `checkout.session.expired`                           | expired                                  |
/// | 11 | expired, canceled       | any success                                          | paid: money received is never lost       |
/// | 12 | pending, failed         | `payment_intent.canceled`                            | canceled                                 |
/// | 13 | paid                    | `charge.refunded`, less than the amount              | partially_refunded                       |
/// | 14 | paid, partially_refunded| `charge.refunded`, the whole amount                  | refunded                                 |
/// | 15 | not paid family         | `charge.refunded`, any dispute event                 | unchanged, remembered until a payment    |
/// | 16 | paid family             | `charge.dispute.created`                             | disputed (needs_review stays)            |
/// | 17 | disputed                | `charge.dispute.closed`, won                         | paid, or the refund status               |
/// | 18 | disputed                | `charge.dispute.closed`, lost                        | disputed                                 |
/// | 19 | any                     | a type the domain does not know                      | unchanged (ignored, stored)              |
/// | 20 | any                     | an event naming another order or session             | refused, unchanged                       |
/// | 21 | any                     | an event whose facts are already known (a repeat)    | unchanged (ignored)                      |
/// | 22 | canceled (no session)   | anything but a success                               | canceled                                 |
/// | 23 | paid family             | `charge.refunded` in another currency                | refused, unchanged                       |
/// | 24 | pending, failed         | a success with no amount or currency, and none with the order's | needs_review (held, not marked paid) |
/// | 25 | pending, failed         | `checkout.session.completed`, no payment required (a free trial) | paid: nothing was due |
/// | 26 | paid, partially_refunded| `refund.created`/`.updated`/`.failed`: the refunds that succeeded add up to less, or all | partially_refunded, or refunded |
/// | 27 | any                     | a refund snapshot older in Stripe's lifecycle than one known (pending after succeeded) | unchanged (ignored) |
///
/// The refunded amount is the larger of the charge's cumulative `amount_refunded` and the sum of the refunds
/// that succeeded; a refund that failed after succeeding counts no more (unless the charge still says so).
///
/// `charge.succeeded` reaches this function as the same [`PaymentEventKind::PaymentSucceeded`] as
/// `payment_intent.succeeded`, and `charge.failed` as `payment_intent.payment_failed`'s `PaymentFailed`: the
/// charge and its payment intent state one fact twice, so either, both, or both repeated end alike.
pub fn transition(order: &Order, event: &PaymentEvent) -> Transition {
    let unchanged = |effect: Effect| Transition {
        facts: order.facts().clone(),
        status: order.status(),
        failure_reason: order.failure_reason().map(str::to_owned),
        payment_intent_id: order.payment_intent_id().cloned(),
        effect,
    };
    if let Some(reason) = refusal(order, event) {
        return unchanged(Effect::Refused { reason });
    }

    let mut facts = order.facts().clone();
    let paid = |facts: &mut PaymentFacts, amount: Option<Money>| {
        facts.paid = true;
        match amount {
            Some(amount) if amount == order.amount() => facts.amount_confirmed = true,
            Some(amount) => facts.mismatch(amount),
            None => facts.unconfirmed_payment = true,
        }
    };
    match &event.kind {
        PaymentEventKind::CheckoutCompleted { payment_status, amount } => match payment_status {
            SessionPaymentStatus::Paid => paid(&mut facts, *amount),
            // Only a free trial completes one of this service's sessions with nothing to pay (every catalog
            // price is above zero, and a trial's price is checked out alone): the amount is not the order's.
            SessionPaymentStatus::NoPaymentRequired => {
                facts.paid = true;
                facts.nothing_due = true;
            }
            SessionPaymentStatus::Unpaid => facts.awaiting_async_payment = true,
        },
        PaymentEventKind::AsyncPaymentSucceeded { amount }
        | PaymentEventKind::PaymentSucceeded { amount } => paid(&mut facts, *amount),
        PaymentEventKind::AsyncPaymentFailed => facts.async_payment_failed = true,
        PaymentEventKind::CheckoutExpired => facts.expired = true,
        PaymentEventKind::PaymentFailed { reason } => {
            facts.decline(Decline { at: event.created, event_id: event.id.clone(), reason: reason.clone() })
        }
        PaymentEventKind::PaymentCanceled => facts.payment_canceled = true,
        PaymentEventKind::ChargeRefunded { amount_refunded, refunds } => {
            facts.refunded_minor = facts.refunded_minor.max(amount_refunded.minor());
            refunds.iter().for_each(|refund| facts.refund(refund));
        }
        PaymentEventKind::RefundChanged { refund } => facts.refund(refund),
        PaymentEventKind::DisputeOpened { dispute_id } => facts.dispute(dispute_id, None),
        PaymentEventKind::DisputeClosed { dispute_id, outcome } => facts.dispute(dispute_id, Some(*outcome)),
        PaymentEventKind::Unknown => return unchanged(Effect::Ignored),
    }

    let payment_intent_id =
        order.payment_intent_id().cloned().or_else(|| event.refs.payment_intent_id.clone());
    if facts == *order.facts() && payment_intent_id.as_ref() == order.payment_intent_id() {
        return unchanged(Effect::Ignored);
    }
    let (status, failure_reason) = derive_status(order.amount(), &facts);
    let effect = if status == order.status() {
        Effect::Recorded
    } else {
        Effect::Changed { from: order.status(), to: status }
    };
    Transition { facts, status, failure_reason, payment_intent_id, effect }
}

/// Why `event` cannot be applied to `order`, if it cannot (rows 20 and 23).
fn refusal(order: &Order, event: &PaymentEvent) -> Option<String> {
    if let Some(order_id) = event.refs.order_id.filter(|id| *id != order.id()) {
        return Some(format!("event is for order {order_id}, not {}", order.id()));
    }
    if let (Some(theirs), Some(ours)) = (&event.refs.session_id, order.checkout_session_id()) {
        if theirs != ours {
            return Some(format!("event is for checkout session {theirs}, not {ours}"));
        }
    }
    if let (Some(theirs), Some(ours)) = (&event.refs.payment_intent_id, order.payment_intent_id()) {
        // A session has one payment intent; another one means the event belongs elsewhere.
        if theirs != ours && event.refs.order_id.is_none() {
            return Some(format!("event is for payment intent {theirs}, not {ours}"));
        }
    }
    let refunded = match &event.kind {
        PaymentEventKind::ChargeRefunded { amount_refunded, .. } => Some(amount_refunded.currency()),
        PaymentEventKind::RefundChanged { refund } => Some(refund.amount.currency()),
        _ => None,
    };
    if let Some(currency) = refunded.filter(|currency| *currency != order.amount().currency()) {
        return Some(format!("refund is in {currency}, the order in {}", order.amount().currency()));
    }
    None
}

/// The status and failure reason that `facts` imply for an order of `amount`. Rows 1 to 18, 22 and 24 above.
pub fn derive_status(amount: Money, facts: &PaymentFacts) -> (OrderStatus, Option<String>) {
    if facts.paid {
        if let Some(other) = facts.mismatched_amount {
            return (
                OrderStatus::NeedsReview,
                Some(format!("paid {other} but the order is for {amount}: held for review")),
            );
        }
        if facts.unconfirmed_payment && !facts.amount_confirmed && !facts.nothing_due {
            return (
                OrderStatus::NeedsReview,
                Some("a payment event gave no amount or currency to check: held for review".to_owned()),
            );
        }
        if facts.has_open_or_lost_dispute() {
            return (OrderStatus::Disputed, None);
        }
        let refunded = facts.refunded();
        if refunded >= amount.minor() && refunded > 0 {
            return (OrderStatus::Refunded, None);
        }
        if refunded > 0 {
            return (OrderStatus::PartiallyRefunded, None);
        }
        return (OrderStatus::Paid, None);
    }
    if let Some(reason) = &facts.checkout_failed {
        return (OrderStatus::Canceled, Some(format!("checkout could not be opened: {reason}")));
    }
    if facts.async_payment_failed {
        return (OrderStatus::Failed, Some("the delayed payment failed".to_owned()));
    }
    if facts.expired {
        let reason = match facts.last_decline.as_ref().and_then(|d| d.reason.as_deref()) {
            Some(decline) => format!("the checkout session expired after a declined payment ({decline})"),
            None => "the checkout session expired".to_owned(),
        };
        return (OrderStatus::Expired, Some(reason));
    }
    if facts.payment_canceled {
        return (OrderStatus::Canceled, Some("the payment was canceled".to_owned()));
    }
    if let Some(decline) = &facts.last_decline {
        let reason = decline.reason.clone().unwrap_or_else(|| "the payment was declined".to_owned());
        return (OrderStatus::Failed, Some(reason));
    }
    (OrderStatus::Pending, None)
}

#[cfg(test)]
#[path = "transition_tests.rs"]
mod tests;
