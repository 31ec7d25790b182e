//! Subscriptions as each caller may read and change them: a user their own, the admin every one.
//!
//! Changes go to the provider; the record changes only when the provider's event arrives, as every other
//! change does, so the record can never claim what the provider did not do.

use crate::model::ids::SubscriptionId;
use crate::model::subscription::{Subscription, SubscriptionStatus};
use crate::model::user::{Caller, UserId};
use crate::ports::billing_gateway::{BillingGateway, SubscriptionAction};
use crate::ports::customer_store::CustomerStore;
use crate::ports::order_store::StoreError;
use crate::ports::payment_gateway::GatewayError;
use crate::ports::subscription_store::{SubscriptionQuery, SubscriptionStore};
use std::sync::Arc;
use url::Url;

/// How many subscriptions a list holds at most.
pub const MAX_SUBSCRIPTIONS: u32 = 500;

/// Why a subscription could not be read or changed.
#[derive(Debug, thiserror::Error)]
pub enum SubscriptionError {
    /// No such subscription, or one the caller may not see (never told apart).
    #[error("no such subscription")]
    NotFound,
    /// The caller gave no credentials.
    #[error("sign in (or use the admin API key) to read this")]
    AuthenticationRequired,
    /// Only a signed-in user has a customer portal.
    #[error("only a signed-in user has a billing portal")]
    UsersOnly,
    /// The subscription has ended: nothing can change it.
    #[error("the subscription has ended ({0}): a new one must be started")]
    Ended(String),
    /// A resume of a subscription that is not set to cancel.
    #[error("the subscription is not set to cancel at its period's end: there is nothing to resume")]
    NotCanceling,
    /// The user has no customer at the provider yet (they never checked out).
    #[error("no billing account yet: it is made at the first checkout")]
    NoCustomer,
    /// The provider failed; nothing changed.
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    /// The store failed; nothing changed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A change the provider was asked for: the record as it stands (it changes when the provider's event
/// arrives) and what was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedChange {
    /// The record, not changed yet.
    pub subscription: Subscription,
    /// What the provider was asked to do.
    pub action: SubscriptionAction,
}

/// Subscription reads and changes.
#[derive(Clone)]
pub struct Subscriptions {
    store: Arc<dyn SubscriptionStore>,
    customers: Arc<dyn CustomerStore>,
    billing: Arc<dyn BillingGateway>,
    portal_return_url: String,
}

impl std::fmt::Debug for Subscriptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscriptions").finish_non_exhaustive()
    }
}

impl Subscriptions {
    /// The service over its ports; the customer portal sends customers back to `portal_return_url`.
    pub fn new(
        store: Arc<dyn SubscriptionStore>,
        customers: Arc<dyn CustomerStore>,
        billing: Arc<dyn BillingGateway>,
        portal_return_url: String,
    ) -> Self {
        Self { store, customers, billing, portal_return_url }
    }

    /// The caller's subscriptions (the admin's: every one), newest first.
    /// Errors: [`SubscriptionError::AuthenticationRequired`] for a guest; [`SubscriptionError::Store`].
    pub async fn list_for(&self, caller: &Caller) -> Result<Vec<Subscription>, SubscriptionError> {
        let query = match caller {
            Caller::Guest => return Err(SubscriptionError::AuthenticationRequired),
            Caller::Admin => SubscriptionQuery::All { limit: MAX_SUBSCRIPTIONS },
            Caller::User { id, .. } => SubscriptionQuery::OfUser { user: id, limit: MAX_SUBSCRIPTIONS },
        };
        let found = self.store.list_subscriptions(query).await?;
        Ok(found.into_iter().map(|(subscription, _)| subscription).collect())
    }

    /// One subscription, if the caller may see it.
    /// Errors: [`SubscriptionError::NotFound`] (also for someone else's);
    /// [`SubscriptionError::AuthenticationRequired`]; [`SubscriptionError::Store`].
    pub async fn get_for(
        &self,
        caller: &Caller,
        id: &SubscriptionId,
    ) -> Result<Subscription, SubscriptionError> {
        let user: Option<&UserId> = match caller {
            Caller::Guest => return Err(SubscriptionError::AuthenticationRequired),
            Caller::Admin => None,
            Caller::User { id, .. } => Some(id),
        };
        let found = self.store.list_subscriptions(SubscriptionQuery::Id(id)).await?.into_iter().next();
        match found {
            Some((subscription, owner)) if user.is_none() || owner.as_ref() == user => Ok(subscription),
            _ => Err(SubscriptionError::NotFound),
        }
    }

    /// Asks the provider to `action` the caller's subscription `id`. The idempotency key names the
    /// subscription, the action and the newest event the record holds: a retry of the same request reuses it,
    /// a later request (after the record moved on) does not.
    /// Errors: as [`Subscriptions::get_for`]; [`SubscriptionError::Ended`] for an ended subscription;
    /// [`SubscriptionError::NotCanceling`] for a resume of one not set to cancel; [`SubscriptionError::Gateway`]
    /// (nothing changed).
    pub async fn change(
        &self,
        caller: &Caller,
        id: &SubscriptionId,
        action: SubscriptionAction,
    ) -> Result<RequestedChange, SubscriptionError> {
        let subscription = self.get_for(caller, id).await?;
        let seen = subscription.state().ok_or(SubscriptionError::NotFound)?;
        let status = &seen.snapshot.status;
        if matches!(status, SubscriptionStatus::Canceled | SubscriptionStatus::IncompleteExpired) {
            return Err(SubscriptionError::Ended(status.as_str().to_owned()));
        }
        if action == SubscriptionAction::Resume && !seen.snapshot.cancel_at_period_end {
            return Err(SubscriptionError::NotCanceling);
        }
        let key = format!("subscription-{}-{}-after-{}", id, action.as_str(), seen.event_id);
        self.billing.change_subscription(id, action, &key).await?;
        tracing::info!(subscription_id = %id, action = action.as_str(), "subscription change requested");
        Ok(RequestedChange { subscription, action })
    }

    /// A customer portal session for the signed-in user's customer.
    /// Errors: [`SubscriptionError::AuthenticationRequired`]; [`SubscriptionError::UsersOnly`] for the admin;
    /// [`SubscriptionError::NoCustomer`]; [`SubscriptionError::Gateway`]; [`SubscriptionError::Store`].
    pub async fn portal_for(&self, caller: &Caller) -> Result<Url, SubscriptionError> {
        let user = match caller {
            Caller::Guest => return Err(SubscriptionError::AuthenticationRequired),
            Caller::Admin => return Err(SubscriptionError::UsersOnly),
            Caller::User { id, .. } => id,
        };
        let customer = self.customers.find_customer(user).await?.ok_or(SubscriptionError::NoCustomer)?;
        Ok(self.billing.create_portal_session(&customer.stripe_customer_id, &self.portal_return_url).await?)
    }
}

#[cfg(test)]
#[path = "subscriptions_tests.rs"]
mod tests;
