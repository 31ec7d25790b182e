//! Everything the emulator knows, behind one lock: resources, events and the deliveries they cause.
//!
//! Operations that change several objects (a payment, a refund) live in the submodules, as methods on
//! [`Store`], so each emits its events in Stripe's order while holding the lock once.

mod billing;
mod checkout;
mod checkout_subscription;
mod customers;
mod disputes;
mod endpoints;
mod invoices;
mod payment;
mod payment_intents;
mod payment_methods;
mod payment_outcomes;
mod portal;
mod refunds;
mod render;
mod subscriptions;
mod table;

pub use billing::{BillingSettings, STEPS_PER_PASS as BILLING_STEPS_PER_PASS};
pub use checkout::{NewLineItem, NewSession, PriceRef, ProductRef};
pub use customers::NewCustomer;
pub use payment::{PaymentChoice, PaymentResult};
pub use payment_intents::{Confirmation, NewPaymentIntent, PaymentIntentChange};
pub use portal::PortalAction;
pub use refunds::NewRefund;
pub use subscriptions::{NewSubscription, PaymentBehavior, SubscriptionChange};
pub use table::Table;

use crate::delivery::DeliveryJob;
use crate::ids;
use crate::model::charge::Charge;
use crate::model::checkout_session::CheckoutSession;
use crate::model::customer::Customer;
use crate::model::dispute::Dispute;
use crate::model::event::{Event, EventRequest};
use crate::model::invoice::Invoice;
use crate::model::payment_intent::PaymentIntent;
use crate::model::portal_session::PortalSession;
use crate::model::price::Price;
use crate::model::product::Product;
use crate::model::refund::Refund;
use crate::model::saved_payment_method::SavedPaymentMethod;
use crate::model::subscription::Subscription;
use crate::model::webhook_endpoint::WebhookEndpoint;
use serde_json::Value;
use url::Url;

/// The emulator's state.
#[derive(Debug)]
pub struct Store {
    /// The emulator's time for the operation in progress (Unix seconds).
    pub now: i64,
    /// How browsers reach the emulator (for `session.url`).
    pub base_url: Url,
    /// The request the operation in progress serves (for events' `request`).
    pub request: EventRequest,
    /// Customers.
    pub customers: Table<Customer>,
    /// Products.
    pub products: Table<Product>,
    /// Prices.
    pub prices: Table<Price>,
    /// Checkout sessions.
    pub sessions: Table<CheckoutSession>,
    /// No open session expires before this (Unix seconds); `None`: none is open. Lets [`Store::expire_due`]
    /// skip its scan of every session on the requests that come before the next expiry.
    pub(crate) sessions_expire_from: Option<i64>,
    /// Payment intents.
    pub payment_intents: Table<PaymentIntent>,
    /// Charges.
    pub charges: Table<Charge>,
    /// Refunds.
    pub refunds: Table<Refund>,
    /// Disputes.
    pub disputes: Table<Dispute>,
    /// Events.
    pub events: Table<Event>,
    /// Webhook endpoints.
    pub endpoints: Table<WebhookEndpoint>,
    /// Subscriptions.
    pub subscriptions: Table<Subscription>,
    /// Invoices.
    pub invoices: Table<Invoice>,
    /// Payment methods saved for later (attached to customers).
    pub payment_methods: Table<SavedPaymentMethod>,
    /// Customer portal sessions.
    pub portal_sessions: Table<PortalSession>,
    /// How failed invoices are retried, and what happens when retries run out.
    pub billing: BillingSettings,
    /// The id of the one portal configuration (`bpc_…`), made with the first portal session.
    portal_configuration: Option<String>,
    outbox: Vec<DeliveryJob>,
}

impl Store {
    /// An empty store.
    pub fn new(base_url: Url, billing: BillingSettings) -> Self {
        Store {
            now: 0,
            base_url,
            request: EventRequest::default(),
            customers: Table::default(),
            products: Table::default(),
            prices: Table::default(),
            sessions: Table::default(),
            sessions_expire_from: None,
            payment_intents: Table::default(),
            charges: Table::default(),
            refunds: Table::default(),
            disputes: Table::default(),
            events: Table::default(),
            endpoints: Table::default(),
            subscriptions: Table::default(),
            invoices: Table::default(),
            payment_methods: Table::default(),
            portal_sessions: Table::default(),
            billing,
            portal_configuration: None,
            outbox: Vec::new(),
        }
    }

    /// Records an event and queues its delivery to every endpoint that wants it; returns its id.
    pub fn emit(&mut self, event_type: &str, object: Value, previous_attributes: Option<Value>) -> String {
        let mut event = Event {
            id: ids::new_id("evt_"),
            event_type: event_type.to_owned(),
            created: self.now,
            object,
            previous_attributes,
            request: self.request.clone(),
            pending_webhooks: 0,
        };
        let targets: Vec<WebhookEndpoint> =
            self.endpoints.iter().filter(|e| e.wants(event_type)).cloned().collect();
        event.pending_webhooks = i64::try_from(targets.len()).unwrap_or(i64::MAX);
        let payload = event.to_json().to_string();
        for endpoint in targets {
            self.outbox.push(DeliveryJob::new(&event, &endpoint, payload.clone()));
        }
        let id = event.id.clone();
        self.events.insert(event);
        id
    }

    /// Deliveries of `event_id` again: to `endpoint` if given, else to every endpoint that wants it.
    pub fn redeliveries(&self, event_id: &str, endpoint: Option<&str>) -> Option<Vec<DeliveryJob>> {
        let event = self.events.get(event_id)?;
        let payload = event.to_json().to_string();
        let targets = self.endpoints.iter().filter(|e| match endpoint {
            Some(id) => e.id == id,
            None => e.wants(&event.event_type),
        });
        Some(targets.map(|e| DeliveryJob::new(event, e, payload.clone())).collect())
    }

    /// The deliveries queued by the operations since the last call.
    pub fn take_outbox(&mut self) -> Vec<DeliveryJob> {
        std::mem::take(&mut self.outbox)
    }

    /// Counts one acknowledged delivery of `event_id` (its `pending_webhooks` goes down).
    pub fn acknowledge(&mut self, event_id: &str) {
        if let Some(event) = self.events.get_mut(event_id) {
            event.pending_webhooks = (event.pending_webhooks - 1).max(0);
        }
    }
}
