//! Recording subscription and invoice events: load the subscription's record, merge the event's snapshot into
//! it (see [`crate::model::subscription`]), commit both together with the outbox entries the change writes
//! ([`subscription_notices`]), again while the record changed meanwhile.

use crate::model::event_outcome::EventOutcome;
use crate::model::outbox::subscription_notices;
use crate::model::subscription::{BillingSnapshot, Subscription};
use crate::model::transition::Effect;
use crate::ports::order_store::{Committed, ReceivedEvent, RecordOutcome, StoreError};
use crate::ports::subscription_store::{SubscriptionStore, SubscriptionWrite};
use chrono::{DateTime, Utc};

/// Most load-merge-commit rounds for one event: each stale round means another event of the same
/// subscription committed in between.
const MAX_ROUNDS: usize = 16;

/// Records `received`, whose snapshot is `billing`, with what it does to its subscription's record: applied
/// when the snapshot is newer than what the record holds, ignored when not (a repeat in other words, or a
/// stale snapshot). A subscription not known yet gets a record; invoice events that arrive before the
/// subscription's own wait in it.
/// Errors: [`StoreError::Unavailable`] (nothing recorded: the sender retries); [`StoreError::Unknown`].
pub async fn record_billing_event(
    store: &dyn SubscriptionStore,
    received: &ReceivedEvent,
    billing: &BillingSnapshot,
    now: DateTime<Utc>,
) -> Result<RecordOutcome, StoreError> {
    let id = billing.subscription_id();
    for round in 1..=MAX_ROUNDS {
        let loaded = store.load_subscription(id).await?;
        let (mut subscription, version) = match loaded {
            Some((subscription, version)) => (subscription, Some(version)),
            None => (Subscription::new(id.clone()), None),
        };
        let before = subscription.clone();
        let changed = subscription.merge(billing, received.event.created, &received.event.id);
        let outcome = if changed { EventOutcome::Applied } else { EventOutcome::Ignored };
        let notices = if changed { subscription_notices(&before, &subscription) } else { Vec::new() };
        let write = SubscriptionWrite { received: received.clone(), outcome, subscription, version, notices };
        match store.commit_subscription(write, now).await? {
            Committed::Done => {
                return Ok(RecordOutcome::Subscription {
                    subscription_id: id.clone(),
                    effect: if changed { Effect::Recorded } else { Effect::Ignored },
                })
            }
            Committed::Duplicate => return Ok(RecordOutcome::Duplicate),
            Committed::Stale => tracing::debug!(round, "the subscription changed meanwhile; merging again"),
            Committed::Busy => {
                return Err(StoreError::Unavailable("the subscription is held by another transaction".into()))
            }
        }
    }
    Err(StoreError::Unavailable(format!(
        "the subscription kept changing during {MAX_ROUNDS} attempts to write"
    )))
}

#[cfg(test)]
#[path = "billing_tests.rs"]
mod tests;
