//! Refunds at the payment provider.

use crate::model::ids::{OrderId, PaymentIntentId};
use crate::model::money::Money;
use crate::model::refund::{Refund, RefundReason};
use crate::ports::payment_gateway::GatewayError;
use async_trait::async_trait;

/// A refund to create at the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRefund {
    /// The order refunded (kept in the refund's metadata as `order_id`, so its events find the order).
    pub order_id: OrderId,
    /// The payment refunded.
    pub payment_intent: PaymentIntentId,
    /// How much.
    pub amount: Money,
    /// Why, when given.
    pub reason: Option<RefundReason>,
    /// Sent as the provider's idempotency key: the same key never makes a second refund.
    pub idempotency_key: String,
}

/// Refunds at a payment provider.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait RefundGateway: Send + Sync + 'static {
    /// Creates `refund` and answers it as the provider made it.
    /// Errors: [`GatewayError::Rejected`] when the provider refuses (nothing was refunded);
    /// [`GatewayError::Unavailable`] on timeouts, connection failures and 5xx/429 answers, after the adapter's
    /// own retries with the same key (the refund may or may not exist: asking again with the key tells);
    /// [`GatewayError::Unknown`] for answers it cannot read.
    async fn create_refund(&self, refund: &NewRefund) -> Result<Refund, GatewayError>;
}
