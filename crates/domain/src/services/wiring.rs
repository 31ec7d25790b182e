//! The services, wired once over one set of ports.

use crate::model::event_scope::EventScope;
use crate::ports::billing_gateway::BillingGateway;
use crate::ports::catalog_store::CatalogStore;
use crate::ports::clock::Clock;
use crate::ports::customer_store::CustomerStore;
use crate::ports::event_source::EventSource;
use crate::ports::order_store::OrderStore;
use crate::ports::outbox_store::OutboxStore;
use crate::ports::payment_gateway::PaymentGateway;
use crate::ports::reconcile_store::ReconcileStore;
use crate::ports::refund_gateway::RefundGateway;
use crate::ports::subscription_store::SubscriptionStore;
use crate::ports::webhook_verifier::WebhookVerifier;
use crate::services::checkout::{Checkout, CheckoutPorts, CheckoutSettings};
use crate::services::fulfilment::Outbox;
use crate::services::ingest::WebhookIngest;
use crate::services::queries::Queries;
use crate::services::reconcile::{ReconcilePorts, ReconcileSettings, Reconciler};
use crate::services::refunds::{RefundSettings, Refunds};
use crate::services::subscriptions::Subscriptions;
use std::sync::Arc;

/// Every port the services use, wired once by the app.
#[derive(Clone)]
pub struct Ports {
    /// Orders and received events.
    pub orders: Arc<dyn OrderStore>,
    /// The fulfilment outbox (written with the orders).
    pub outbox: Arc<dyn OutboxStore>,
    /// Reconciliation's watermark and pending orders.
    pub reconcile: Arc<dyn ReconcileStore>,
    /// The provider's events list.
    pub events: Arc<dyn EventSource>,
    /// Subscription records.
    pub subscriptions: Arc<dyn SubscriptionStore>,
    /// Products and prices.
    pub catalog: Arc<dyn CatalogStore>,
    /// One Stripe customer per user.
    pub customers: Arc<dyn CustomerStore>,
    /// Hosted checkout and customers at the provider.
    pub gateway: Arc<dyn PaymentGateway>,
    /// Subscriptions at the provider.
    pub billing: Arc<dyn BillingGateway>,
    /// Refunds at the provider.
    pub refunds: Arc<dyn RefundGateway>,
    /// Webhook signatures.
    pub verifier: Arc<dyn WebhookVerifier>,
    /// The time.
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Ports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ports").finish_non_exhaustive()
    }
}

/// The services an inbound adapter calls, one per job.
#[derive(Debug, Clone)]
pub struct Services {
    /// Starting checkouts.
    pub checkout: Checkout,
    /// Stripe's webhook deliveries.
    pub ingest: WebhookIngest,
    /// Orders, products and purchases as each caller may read them.
    pub queries: Queries,
    /// Subscriptions as each caller may read and change them.
    pub subscriptions: Subscriptions,
    /// Refunds issued through the service.
    pub refunds: Refunds,
    /// The fulfilment outbox, for operators and feed readers.
    pub outbox: Outbox,
    /// Catching up with the provider.
    pub reconciler: Reconciler,
}

impl Services {
    /// Every service over `ports`, checkouts made with `settings`, webhook events of `scope` taken, refunds
    /// allowed as `refund_settings` says; reconciliation as `reconcile` says (its sessions' lifetime is the
    /// checkout's).
    pub fn new(
        ports: Ports,
        settings: CheckoutSettings,
        scope: EventScope,
        refund_settings: RefundSettings,
        reconcile: ReconcileSettings,
    ) -> Self {
        let Ports {
            orders,
            outbox,
            reconcile: reconcile_store,
            events,
            subscriptions,
            catalog,
            customers,
            gateway,
            billing,
            refunds,
            verifier,
            clock,
        } = ports;
        let return_url = settings.portal_return_url.clone();
        let ingest =
            WebhookIngest::new(orders.clone(), subscriptions.clone(), verifier, clock.clone(), scope);
        let reconciler = Reconciler::new(
            ReconcilePorts {
                ingest: ingest.clone(),
                orders: orders.clone(),
                store: reconcile_store,
                events,
                gateway: gateway.clone(),
                clock: clock.clone(),
            },
            ReconcileSettings { session_ttl: settings.session_ttl, ..reconcile },
        );
        Self {
            reconciler,
            outbox: Outbox::new(outbox, clock.clone()),
            refunds: Refunds::new(orders.clone(), refunds, clock.clone(), refund_settings),
            subscriptions: Subscriptions::new(subscriptions.clone(), customers.clone(), billing, return_url),
            ingest,
            queries: Queries::new(orders.clone(), subscriptions, catalog.clone()),
            checkout: Checkout::new(CheckoutPorts { orders, catalog, customers, gateway, clock }, settings),
        }
    }
}
