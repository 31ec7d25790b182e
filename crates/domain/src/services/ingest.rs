//! Webhook ingest: verify a delivery, record its event, apply it.

use crate::model::event_scope::EventScope;
use crate::ports::clock::Clock;
use crate::ports::order_store::{OrderStore, Orphans, ReceivedEvent, RecordOutcome, StoreError};
use crate::ports::subscription_store::SubscriptionStore;
use crate::ports::webhook_verifier::{WebhookError, WebhookVerifier};
use crate::services::{billing, record};
use chrono::{DateTime, Utc};
use std::sync::Arc;

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

/// Takes in Stripe's webhook deliveries.
#[derive(Clone)]
pub struct WebhookIngest {
    orders: Arc<dyn OrderStore>,
    verifier: Arc<dyn WebhookVerifier>,
    clock: Arc<dyn Clock>,
    scope: EventScope,
    subscriptions: Arc<dyn SubscriptionStore>,
}

impl std::fmt::Debug for WebhookIngest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookIngest").finish_non_exhaustive()
    }
}

impl WebhookIngest {
    /// Ingest over its ports, taking the events of `scope` (any other is recorded as refused).
    pub fn new(
        orders: Arc<dyn OrderStore>,
        subscriptions: Arc<dyn SubscriptionStore>,
        verifier: Arc<dyn WebhookVerifier>,
        clock: Arc<dyn Clock>,
        scope: EventScope,
    ) -> Self {
        Self { orders, verifier, clock, scope, subscriptions }
    }

    /// Verifies a webhook delivery and records its event with its effect, atomically (see
    /// [`record::record_event`]). Returns only once the effect is committed (or the event is known to be a
    /// duplicate). An event from another mode or account than the scope's is recorded as refused and changes
    /// nothing.
    #[tracing::instrument(skip_all, fields(event_id, event_type))]
    pub async fn handle(
        &self,
        payload: &[u8],
        signature_header: Option<&str>,
    ) -> Result<RecordOutcome, HandleWebhookError> {
        let now = self.clock.now();
        let received = self.verifier.verify(payload, signature_header, now)?;
        let outcome = self.record(&received, now).await?;
        tracing::debug!(?outcome, "webhook event recorded");
        Ok(outcome)
    }

    /// Records an event fetched from the provider's events list (reconciliation): read without a signature,
    /// then recorded exactly as a webhook delivery of it would be, so an event both fetched and delivered is
    /// recorded once.
    #[tracing::instrument(skip_all, fields(event_id, event_type))]
    pub async fn record_fetched(&self, payload: &[u8]) -> Result<RecordOutcome, HandleWebhookError> {
        let now = self.clock.now();
        let received = self.verifier.read(payload, now)?;
        Ok(self.record(&received, now).await?)
    }

    /// Records `received` with its effect: refused when it is from outside the scope, a subscription's
    /// event on its record, else on its order.
    async fn record(
        &self,
        received: &ReceivedEvent,
        now: DateTime<Utc>,
    ) -> Result<RecordOutcome, StoreError> {
        let span = tracing::Span::current();
        span.record("event_id", tracing::field::display(&received.event.id));
        span.record("event_type", received.event.event_type.as_str());
        match self.scope.refusal(&received.origin) {
            Some(reason) => {
                tracing::warn!(%reason, "webhook event refused: it changes nothing");
                record::refuse_event(&*self.orders, received, reason, now).await
            }
            None => match &received.billing {
                Some(billing) => {
                    billing::record_billing_event(&*self.subscriptions, received, billing, now).await
                }
                None => record::record_event(&*self.orders, received, now).await,
            },
        }
    }
}

impl WebhookIngest {
    /// The events kept as orphans for longer than `age`: a few are normal (an event can arrive before the
    /// checkout that tells the service its ids), many or old ones mean events for orders this service never
    /// made (another shop on the same Stripe account?) or a lost checkout.
    /// Errors: [`StoreError::Unavailable`]; [`StoreError::Unknown`].
    pub async fn orphans_older_than(&self, age: std::time::Duration) -> Result<Orphans, StoreError> {
        let age = chrono::Duration::from_std(age).unwrap_or(chrono::Duration::MAX);
        let before =
            self.clock.now().checked_sub_signed(age).unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
        self.orders.orphans_received_before(before).await
    }
}

#[cfg(test)]
#[path = "ingest_tests.rs"]
mod tests;
