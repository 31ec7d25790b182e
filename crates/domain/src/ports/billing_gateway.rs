//! Subscriptions at the payment provider, as the domain changes them: cancel, resume, and the provider's own
//! page where a customer manages their billing.

use crate::model::ids::{CustomerId, SubscriptionId};
use crate::ports::payment_gateway::GatewayError;
use async_trait::async_trait;
use url::Url;

/// What to ask the provider to do with a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubscriptionAction {
    /// End it when the paid period ends (access stays until then).
    CancelAtPeriodEnd,
    /// End it now.
    CancelNow,
    /// Undo a cancel at the period's end.
    Resume,
}

impl SubscriptionAction {
    /// Its name in answers and idempotency keys.
    pub fn as_str(&self) -> &'static str {
        match self {
            SubscriptionAction::CancelAtPeriodEnd => "cancel_at_period_end",
            SubscriptionAction::CancelNow => "cancel_now",
            SubscriptionAction::Resume => "resume",
        }
    }
}

/// Subscriptions at a payment provider.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait BillingGateway: Send + Sync + 'static {
    /// Asks the provider to `action` the subscription, sending `idempotency_key` (a retried request is
    /// answered as the first). The provider's event reports the change; this does not wait for it.
    /// Errors: [`GatewayError::Rejected`] when the provider refuses (an unknown or ended subscription);
    /// [`GatewayError::Unavailable`] on timeouts, connection failures and 5xx/429 answers (after the
    /// adapter's own retries, with the same key); [`GatewayError::Unknown`] for answers it cannot read.
    async fn change_subscription(
        &self,
        id: &SubscriptionId,
        action: SubscriptionAction,
        idempotency_key: &str,
    ) -> Result<(), GatewayError>;

    /// Opens a session of the provider's customer portal for `customer`, which sends the customer back to
    /// `return_url`; the address to send the customer to. Errors as for
    /// [`BillingGateway::change_subscription`].
    async fn create_portal_session(
        &self,
        customer: &CustomerId,
        return_url: &str,
    ) -> Result<Url, GatewayError>;
}
