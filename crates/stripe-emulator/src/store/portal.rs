//! Customer portal sessions and what a customer does on the portal page: cancel a subscription at the end
//! of its period or at once, or take a scheduled cancellation back.

use super::subscriptions::SubscriptionChange;
use super::Store;
use crate::error::ApiError;
use crate::ids;
use crate::model::portal_session::PortalSession;

/// What the customer chose on the portal page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortalAction {
    /// Cancel at the end of the current period (`customer.subscription.updated`).
    CancelAtPeriodEnd,
    /// Cancel now (`customer.subscription.deleted`).
    CancelNow,
    /// Take a scheduled cancellation back (`customer.subscription.updated`).
    Renew,
}

impl Store {
    /// The id of the emulator's one portal configuration, once a portal session made it.
    pub fn portal_configuration(&self) -> Option<&str> {
        self.portal_configuration.as_deref()
    }

    /// Creates a portal session for `customer` (`billing_portal.session.created`); returns its id.
    ///
    /// Errors: no such customer (400 on `customer`).
    pub fn create_portal_session(
        &mut self,
        customer: &str,
        return_url: Option<String>,
        locale: Option<String>,
    ) -> Result<String, ApiError> {
        if !self.customers.contains(customer) {
            return Err(ApiError::no_such("customer", customer, Some("customer")));
        }
        let configuration = self.portal_configuration.get_or_insert_with(|| ids::new_id("bpc_")).clone();
        let session = PortalSession {
            id: ids::new_id("bps_"),
            created: self.now,
            customer: customer.to_owned(),
            configuration,
            return_url,
            locale,
        };
        let id = session.id.clone();
        self.emit("billing_portal.session.created", session.to_json(&self.base_url), None);
        self.portal_sessions.insert(session);
        Ok(id)
    }

    /// Does what the customer chose on portal session `session`'s page for one of their subscriptions.
    ///
    /// Errors: no such session or subscription of its customer (404); the subscription already ended (400).
    pub fn portal_action(
        &mut self,
        session: &str,
        subscription: &str,
        action: PortalAction,
    ) -> Result<(), ApiError> {
        let portal = self
            .portal_sessions
            .get(session)
            .ok_or_else(|| ApiError::no_such("billing_portal.session", session, None))?;
        let owned = self.subscriptions.get(subscription).is_some_and(|s| s.customer == portal.customer);
        if !owned {
            return Err(ApiError::no_such("subscription", subscription, None));
        }
        match action {
            PortalAction::CancelNow => self.cancel_subscription(subscription, None, None),
            PortalAction::CancelAtPeriodEnd | PortalAction::Renew => self.update_subscription(
                subscription,
                SubscriptionChange {
                    cancel_at_period_end: Some(action == PortalAction::CancelAtPeriodEnd),
                    ..SubscriptionChange::default()
                },
            ),
        }
    }
}
