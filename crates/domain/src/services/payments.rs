//! The application services: start a checkout, handle a payment event, read an order.

use crate::model::email::Email;
use crate::model::ids::{CheckoutSessionId, OrderId};
use crate::model::line_item::LineItem;
use crate::model::money::Currency;
use crate::model::order::{Order, OrderError};
use crate::ports::clock::Clock;
use crate::ports::order_store::{OrderStore, RecordOutcome, StoreError};
use crate::ports::payment_gateway::{CheckoutRequest, GatewayError, PaymentGateway};
use crate::ports::webhook_verifier::{WebhookError, WebhookVerifier};
use std::sync::Arc;
use url::Url;

/// Checkout settings the services need.
#[derive(Debug, Clone)]
pub struct CheckoutSettings {
    /// The currency every checkout is priced in.
    pub currency: Currency,
    /// Where Stripe sends the customer after paying (may hold `{CHECKOUT_SESSION_ID}`).
    pub success_url: String,
    /// Where Stripe sends the customer after canceling.
    pub cancel_url: String,
}

/// The ports the services use, wired once by the app.
#[derive(Clone)]
pub struct Payments {
    store: Arc<dyn OrderStore>,
    gateway: Arc<dyn PaymentGateway>,
    verifier: Arc<dyn WebhookVerifier>,
    clock: Arc<dyn Clock>,
    settings: CheckoutSettings,
}

impl std::fmt::Debug for Payments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Payments").field("settings", &self.settings).finish_non_exhaustive()
    }
}

/// A checkout that was opened: send the customer to `url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartedCheckout {
    /// The new order.
    pub order_id: OrderId,
    /// The provider's session.
    pub session_id: CheckoutSessionId,
    /// The hosted checkout page.
    pub url: Url,
}

/// Why a checkout could not be started.
#[derive(Debug, thiserror::Error)]
pub enum StartCheckoutError {
    /// The order itself is not acceptable; nothing was stored.
    #[error(transparent)]
    InvalidOrder(#[from] OrderError),
    /// The provider refused or could not be reached; the order is stored as canceled, never payable.
    #[error("the checkout session could not be opened for order {order_id}: {source}")]
    Gateway {
        /// The order that was stored and canceled.
        order_id: OrderId,
        /// What the provider said.
        source: GatewayError,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a webhook delivery was not acknowledged.
#[derive(Debug, thiserror::Error)]
pub enum HandleWebhookError {
    /// The delivery is not a correctly signed event; nothing was stored.
    #[error(transparent)]
    Rejected(#[from] WebhookError),
    /// The event could not be committed: the sender must retry.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why an order could not be read.
#[derive(Debug, thiserror::Error)]
pub enum GetOrderError {
    /// No such order (or session).
    #[error("no such order")]
    NotFound,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Payments {
    /// Wires the services to their ports.
    pub fn new(
        store: Arc<dyn OrderStore>,
        gateway: Arc<dyn PaymentGateway>,
        verifier: Arc<dyn WebhookVerifier>,
        clock: Arc<dyn Clock>,
        settings: CheckoutSettings,
    ) -> Self {
        Self { store, gateway, verifier, clock, settings }
    }

    /// The configured checkout currency.
    pub fn currency(&self) -> Currency {
        self.settings.currency
    }

    /// Stores a new pending order for `items`, opens a Checkout Session for it with an idempotency key
    /// derived from the order id, and records the session on the order. If the provider fails, the order is
    /// marked as never payable and [`StartCheckoutError::Gateway`] is returned.
    #[tracing::instrument(skip_all, fields(order_id))]
    pub async fn start_checkout(
        &self,
        email: Email,
        items: Vec<LineItem>,
    ) -> Result<StartedCheckout, StartCheckoutError> {
        let now = self.clock.now();
        let order = Order::new(OrderId::new_v7(), email, items, now)?;
        let order_id = order.id;
        tracing::Span::current().record("order_id", tracing::field::display(order_id));
        self.store.insert_order(&order).await?;

        let request = CheckoutRequest {
            order,
            success_url: self.settings.success_url.clone(),
            cancel_url: self.settings.cancel_url.clone(),
            idempotency_key: format!("checkout-session-{order_id}"),
        };
        match self.gateway.create_checkout_session(&request).await {
            Ok(session) => {
                self.store.attach_checkout_session(order_id, &session.id, self.clock.now()).await?;
                tracing::info!(session_id = %session.id, "checkout session opened");
                Ok(StartedCheckout { order_id, session_id: session.id, url: session.url })
            }
            Err(source) => {
                tracing::warn!(error = %source, "checkout session could not be opened");
                let reason = match &source {
                    GatewayError::Rejected { .. } => "the payment provider refused the session",
                    GatewayError::Unavailable(_) => "the payment provider was unavailable",
                    GatewayError::Unknown(_) => "the payment provider gave an unreadable answer",
                };
                self.store.mark_checkout_failed(order_id, reason, self.clock.now()).await?;
                Err(StartCheckoutError::Gateway { order_id, source })
            }
        }
    }

    /// Verifies a webhook delivery and records its event with its effect, atomically. Returns only once the
    /// effect is committed (or the event is known to be a duplicate).
    #[tracing::instrument(skip_all, fields(event_id, event_type))]
    pub async fn handle_webhook(
        &self,
        payload: &[u8],
        signature_header: Option<&str>,
    ) -> Result<RecordOutcome, HandleWebhookError> {
        let now = self.clock.now();
        let received = self.verifier.verify(payload, signature_header, now)?;
        let span = tracing::Span::current();
        span.record("event_id", tracing::field::display(&received.event.id));
        span.record("event_type", received.event.event_type.as_str());
        let outcome = self.store.record_event(&received, now).await?;
        tracing::info!(?outcome, "webhook event recorded");
        Ok(outcome)
    }

    /// The order with this id.
    pub async fn order(&self, id: OrderId) -> Result<Order, GetOrderError> {
        self.store.find_order(id).await?.ok_or(GetOrderError::NotFound)
    }

    /// The order paid through this Checkout Session (for a success page that holds `?session_id=`).
    pub async fn order_by_session(&self, id: &CheckoutSessionId) -> Result<Order, GetOrderError> {
        self.store.find_order_by_session(id).await?.ok_or(GetOrderError::NotFound)
    }

    /// Whether the store answers (readiness).
    pub async fn ready(&self) -> Result<(), StoreError> {
        self.store.ping().await
    }
}

#[cfg(test)]
#[path = "payments_tests.rs"]
mod tests;
