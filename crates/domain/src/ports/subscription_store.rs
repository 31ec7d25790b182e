//! Where subscription records are kept, each written together with the event that changed it.

use crate::model::event_outcome::EventOutcome;
use crate::model::ids::SubscriptionId;
use crate::model::outbox::NoticeKind;
use crate::model::plan::RowVersion;
use crate::model::subscription::Subscription;
use crate::model::user::UserId;
use crate::ports::order_store::{Committed, ReceivedEvent, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// One subscription write: the event, what it did, and the record as it now is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionWrite {
    /// The event that changed (or repeated) the record.
    pub received: ReceivedEvent,
    /// [`EventOutcome::Applied`] when the record changed, [`EventOutcome::Ignored`] when it held it already.
    pub outcome: EventOutcome,
    /// The record to save.
    pub subscription: Subscription,
    /// The row version it was loaded at; `None`: there was no row.
    pub version: Option<RowVersion>,
    /// The outbox entries the change writes with it, in order (see [`crate::subscription_notices`]); each
    /// carries the record's view ([`crate::SubscriptionView`]).
    pub notices: Vec<NoticeKind>,
}

/// Which subscriptions to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionQuery<'a> {
    /// The one with this id.
    Id(&'a SubscriptionId),
    /// Every one, newest first.
    All {
        /// At most this many.
        limit: u32,
    },
    /// A user's (by the user its checkout named, else by the user whose Stripe customer it bills), newest
    /// first.
    OfUser {
        /// The user.
        user: &'a UserId,
        /// At most this many.
        limit: u32,
    },
}

/// Subscription records.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SubscriptionStore: Send + Sync + 'static {
    /// The record of `id` and its row version, if there is one.
    /// Errors: [`StoreError::Unavailable`]; [`StoreError::Unknown`].
    async fn load_subscription(
        &self,
        id: &SubscriptionId,
    ) -> Result<Option<(Subscription, RowVersion)>, StoreError>;

    /// Records the write's event and saves its record, atomically, if and only if the event is not recorded
    /// yet ([`Committed::Duplicate`] otherwise) and the record's row is still at the version loaded
    /// ([`Committed::Stale`] otherwise: load again); [`Committed::Done`] when both are written, with the
    /// write's outbox entries (taking the subscription's next sequence numbers). `now` stamps the event and
    /// the entries.
    /// Errors: [`StoreError::Unavailable`] (nothing written: retry); [`StoreError::Unknown`].
    async fn commit_subscription(
        &self,
        write: SubscriptionWrite,
        now: DateTime<Utc>,
    ) -> Result<Committed, StoreError>;

    /// Subscriptions whose own snapshot has arrived (not those only their invoices have named yet), with the
    /// user each belongs to, if known.
    /// Errors: [`StoreError::Unavailable`]; [`StoreError::Unknown`].
    async fn list_subscriptions<'a>(
        &self,
        query: SubscriptionQuery<'a>,
    ) -> Result<Vec<(Subscription, Option<UserId>)>, StoreError>;
}
