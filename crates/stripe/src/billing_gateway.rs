//! [`BillingGateway`] over Stripe Subscriptions and Customer Portal sessions, through async-stripe.

use crate::gateway::StripeGateway;
use crate::idempotency::stripe_idempotency_key;
use async_trait::async_trait;
use payments_domain::{BillingGateway, CustomerId, GatewayError, SubscriptionAction, SubscriptionId};
use stripe_billing::billing_portal_session::CreateBillingPortalSession;
use stripe_billing::subscription::{CancelSubscription, UpdateSubscription};
use url::Url;

#[async_trait]
impl BillingGateway for StripeGateway {
    /// A cancel at the period's end and a resume set `cancel_at_period_end` (`POST /v1/subscriptions/{id}`);
    /// a cancel now ends it (`DELETE /v1/subscriptions/{id}`).
    #[tracing::instrument(skip_all, fields(subscription_id = %id, action = action.as_str()))]
    async fn change_subscription(
        &self,
        id: &SubscriptionId,
        action: SubscriptionAction,
        idempotency_key: &str,
    ) -> Result<(), GatewayError> {
        let key = stripe_idempotency_key(idempotency_key, &format!("subscription {id}"))?;
        let changed = match action {
            SubscriptionAction::CancelAtPeriodEnd | SubscriptionAction::Resume => {
                let update = UpdateSubscription::new(id.as_str())
                    .cancel_at_period_end(action == SubscriptionAction::CancelAtPeriodEnd);
                self.create("update subscription", &update, &key).await?
            }
            SubscriptionAction::CancelNow => {
                self.create("cancel subscription", &CancelSubscription::new(id.as_str()), &key).await?
            }
        };
        tracing::info!(status = changed.status.as_str(), "subscription change sent");
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(customer_id = %customer))]
    async fn create_portal_session(
        &self,
        customer: &CustomerId,
        return_url: &str,
    ) -> Result<Url, GatewayError> {
        let form = CreateBillingPortalSession::new().customer(customer.as_str()).return_url(return_url);
        // A portal session is short-lived and creating a second one is harmless: a fresh key per call.
        let key = stripe_idempotency_key(&format!("portal-{}", uuid::Uuid::new_v4()), "a portal session")?;
        let session = self.create("create portal session", &form, &key).await?;
        Url::parse(&session.url)
            .map_err(|e| GatewayError::Unknown(anyhow::anyhow!("Stripe's portal URL could not be read: {e}")))
    }
}
