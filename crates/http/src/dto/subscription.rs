//! Subscriptions as clients read them.

use payments_domain::{RequestedChange, Subscription, SubscriptionView};
use serde::{Deserialize, Serialize};

/// `{"subscriptions": [...]}`, newest first.
#[derive(Debug, Serialize)]
pub(crate) struct SubscriptionList {
    subscriptions: Vec<SubscriptionView>,
}

impl SubscriptionList {
    pub(crate) fn new(subscriptions: &[Subscription]) -> Self {
        Self { subscriptions: subscriptions.iter().map(SubscriptionView::from).collect() }
    }
}

/// `POST /api/v1/subscriptions/{id}/cancel`: `{"atPeriodEnd": true}` ends it when the paid period ends,
/// `false` now.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CancelRequest {
    pub(crate) at_period_end: bool,
}

/// A change Stripe was asked for (202): the record as it stands and what was asked; the record changes when
/// Stripe's event arrives.
#[derive(Debug, Serialize)]
pub(crate) struct ChangeRequested {
    subscription: SubscriptionView,
    requested: &'static str,
    message: &'static str,
}

impl From<&RequestedChange> for ChangeRequested {
    fn from(change: &RequestedChange) -> Self {
        Self {
            subscription: SubscriptionView::from(&change.subscription),
            requested: change.action.as_str(),
            message: "Stripe was asked to make the change; this subscription shows it once Stripe's event \
                      arrives (read it again in a moment).",
        }
    }
}

/// `{"url"}`: where to send the customer.
#[derive(Debug, Serialize)]
pub(crate) struct PortalSession {
    pub(crate) url: String,
}
