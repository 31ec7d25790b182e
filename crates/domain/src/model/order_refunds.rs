//! Refunds asked of an order: what is left to refund, and the requests that hold amounts back.

use super::Order;
use crate::model::order_status::OrderStatus;
use crate::model::refund::{Refund, RefundAsk, RefundRequest, Refunder};
use crate::model::transition::derive_status;
use chrono::{DateTime, Utc};

/// Why a refund cannot be asked of an order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefundRefusal {
    /// Nothing was paid, or the payment is held for review or disputed.
    #[error("an order that is {0} cannot be refunded")]
    NotRefundable(OrderStatus),
    /// More than what was paid and is not refunded, or held back by refunds still pending.
    #[error("{requested} minor units asked, {available} left to refund")]
    ExceedsPayment {
        /// The amount asked (all that was left, when none was given).
        requested: i64,
        /// What is left.
        available: i64,
    },
    /// The idempotency key was used for this order with another amount or reason.
    #[error("the idempotency key was used with another amount or reason")]
    KeyReused,
    /// The idempotency key was used for this order with the same ask: that request stands.
    #[error("a refund was asked with this idempotency key already")]
    AlreadyAsked(Box<RefundRequest>),
    /// No request has this key (a settlement for a request that is not there).
    #[error("no refund was asked with this idempotency key")]
    UnknownRequest,
}

impl Order {
    /// What is left to refund, in minor units: paid, less the refunds that succeeded or are pending and the
    /// requests Stripe has not answered.
    /// Errors: [`RefundRefusal::NotRefundable`] unless the order is paid or partially refunded (a refunded
    /// one has nothing left: 0).
    pub fn refundable(&self) -> Result<i64, RefundRefusal> {
        match self.status {
            OrderStatus::Paid | OrderStatus::PartiallyRefunded | OrderStatus::Refunded => {
                Ok((self.amount.minor() - self.facts.refund_commitments()).max(0))
            }
            status => Err(RefundRefusal::NotRefundable(status)),
        }
    }

    /// Writes a refund request under `key`, holding its amount back: the ask's amount, or all that is left.
    /// Errors: [`RefundRefusal::AlreadyAsked`] when `key` was used with the same ask, [`RefundRefusal::KeyReused`]
    /// with another; [`RefundRefusal::ExceedsPayment`] when the amount is above what is left (or nothing is);
    /// [`RefundRefusal::NotRefundable`].
    pub fn request_refund(
        &mut self,
        key: &str,
        ask: RefundAsk,
        by: Refunder,
        now: DateTime<Utc>,
    ) -> Result<RefundRequest, RefundRefusal> {
        if let Some(existing) = self.facts.refund_requests.get(key) {
            return Err(if existing.ask == ask {
                RefundRefusal::AlreadyAsked(Box::new(existing.clone()))
            } else {
                RefundRefusal::KeyReused
            });
        }
        let available = self.refundable()?;
        let requested = ask.amount.unwrap_or(available);
        if requested > available || requested <= 0 {
            return Err(RefundRefusal::ExceedsPayment { requested, available });
        }
        let request =
            RefundRequest { ask, amount_minor: requested, by, at: now, refund_id: None, refused: None };
        self.facts.refund_requests.insert(key.to_owned(), request.clone());
        self.updated_at = now;
        Ok(request)
    }

    /// Records Stripe's answer to the request under `key`: the refund it made (merged with what events told
    /// of it), or its refusal, which releases the amount held back.
    /// Errors: [`RefundRefusal::UnknownRequest`].
    pub fn settle_refund_request(
        &mut self,
        key: &str,
        answer: Result<&Refund, &str>,
        now: DateTime<Utc>,
    ) -> Result<(), RefundRefusal> {
        let request = self.facts.refund_requests.get_mut(key).ok_or(RefundRefusal::UnknownRequest)?;
        match answer {
            Ok(refund) => {
                request.refund_id = Some(refund.id.clone());
                self.facts.refund(refund);
            }
            Err(reason) => request.refused = Some(reason.to_owned()),
        }
        (self.status, self.failure_reason) = derive_status(self.amount, &self.facts);
        self.updated_at = now;
        Ok(())
    }

    /// The refunds Stripe told of, newest first (by creation, then id).
    pub fn refunds(&self) -> Vec<&Refund> {
        let mut refunds: Vec<&Refund> = self.facts.refunds.values().collect();
        refunds.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| b.id.cmp(&a.id)));
        refunds
    }
}
