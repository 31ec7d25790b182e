//! Where orders and received payment events are kept.
//!
//! A store only loads and writes: what an event does is decided by the domain ([`crate::model::plan`]). The
//! services load a [`Snapshot`], plan, and [`OrderStore::commit`] the plan, which the store writes only if
//! what it was planned on still holds; otherwise it answers [`Committed::Stale`] and the services start again.

use crate::model::event_outcome::EventOutcome;
use crate::model::event_scope::EventOrigin;
use crate::model::ids::{CheckoutSessionId, EventId, OrderId};
use crate::model::order::Order;
use crate::model::payment_event::PaymentEvent;
use crate::model::plan::{Load, OrderWrite, Plan, Snapshot};
use crate::model::subscription::BillingSnapshot;
use crate::model::user::UserId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// Why a store operation failed, whatever the operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store cannot be reached, is overloaded or too slow; the caller may retry later (a webhook answers
    /// 503).
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    /// Anything else; a bug or corrupt data.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Why a new order was not saved.
#[derive(Debug, thiserror::Error)]
pub enum InsertOrderError {
    /// An order with this id exists already; it is kept as it was.
    #[error("order {0} already exists")]
    Duplicate(OrderId),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A verified event and the exact payload it came in, as it will be stored. Cheap to clone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedEvent {
    /// The domain's reading of the event.
    pub event: PaymentEvent,
    /// The raw body, kept as received for audit and replays.
    pub payload: Arc<str>,
    /// Which Stripe mode and account sent it.
    pub origin: EventOrigin,
    /// The subscription or invoice it shows, for a subscription's event (its `event.kind` is then
    /// [`crate::PaymentEventKind::Unknown`]: it changes no order).
    pub billing: Option<BillingSnapshot>,
}

impl ReceivedEvent {
    /// An event of a test-mode account, not a connected one.
    pub fn new(event: PaymentEvent, payload: impl Into<Arc<str>>) -> Self {
        Self { event, payload: payload.into(), origin: EventOrigin::default(), billing: None }
    }
}

/// What recording an event did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordOutcome {
    /// The event was new, its order was found, and `effect` was applied with the event, atomically.
    /// `adopted` counts earlier kept events for this order that could be applied now as well.
    Applied {
        /// The order it applied to.
        order_id: OrderId,
        /// What it did.
        effect: crate::model::transition::Effect,
        /// Kept events applied along with it.
        adopted: u32,
    },
    /// The event id was recorded before: nothing was done.
    Duplicate,
    /// The event was new but names no order the store knows yet: it is kept, and applied as soon as an
    /// event or checkout makes the order it names known.
    Orphaned,
    /// The event was new and stored, but its type has no effect on orders.
    Stored,
    /// The event came from another mode (test against live, or the reverse) or from a connected account not
    /// configured: stored as refused, and nothing else done.
    Refused {
        /// Why, in words.
        reason: String,
    },
    /// A subscription or invoice event, recorded with what it did to its subscription's record.
    Subscription {
        /// The subscription.
        subscription_id: crate::model::ids::SubscriptionId,
        /// [`crate::Effect::Recorded`] when its snapshot was the newest, [`crate::Effect::Ignored`] when not.
        effect: crate::model::transition::Effect,
    },
}

/// One planned write, as [`OrderStore::commit`] takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// Record a new event that changes no order: [`EventOutcome::Stored`], [`EventOutcome::Refused`] (from
    /// another mode or account), or [`EventOutcome::Orphaned`] (kept: valid only while no order has any id the
    /// event names).
    Event {
        /// The event.
        received: ReceivedEvent,
        /// `Stored` or `Orphaned`.
        outcome: EventOutcome,
    },
    /// Write an order, with the event that changed it, if any, recorded as applied to it.
    Order {
        /// The event, when the change is one (its outcome and effect are in `write.event`).
        received: Option<ReceivedEvent>,
        /// The order, its row version, what each event did.
        write: Box<OrderWrite>,
    },
}

impl Write {
    /// The write `plan` asks for, with `received` the event it was planned for; `None` when there is nothing
    /// to write ([`Plan::Duplicate`], [`Plan::Reload`]).
    pub fn of(plan: &Plan, received: Option<&ReceivedEvent>) -> Option<Self> {
        let event = |outcome| received.map(|received| Write::Event { received: received.clone(), outcome });
        match plan {
            Plan::Duplicate | Plan::Reload(_) => None,
            Plan::Store => event(EventOutcome::Stored),
            Plan::Keep => event(EventOutcome::Orphaned),
            Plan::Write(write) => Some(Write::Order { received: received.cloned(), write: write.clone() }),
        }
    }
}

/// What [`OrderStore::commit`] did with one write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Committed {
    /// Written.
    Done,
    /// The write's event id is recorded already: nothing was written.
    Duplicate,
    /// What the write was planned on changed: nothing was written; load and plan again.
    Stale,
    /// The order is held by another transaction (not one of this service's writes): nothing was written, and
    /// nothing was waited for; try again later.
    Busy,
}

/// Orders, their items, and received events.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait OrderStore: Send + Sync + 'static {
    /// Saves a new order and its items.
    /// Errors: [`InsertOrderError::Duplicate`] if the id exists; [`InsertOrderError::Store`].
    async fn insert_order(&self, order: &Order) -> Result<(), InsertOrderError>;

    /// The order with this id, if any. Errors: [`StoreError::Unavailable`]; [`StoreError::Unknown`].
    async fn find_order(&self, id: OrderId) -> Result<Option<Order>, StoreError>;

    /// The order paid through this Checkout Session, if any.
    /// Errors: [`StoreError::Unavailable`]; [`StoreError::Unknown`].
    async fn find_order_by_session(
        &self,
        session_id: &CheckoutSessionId,
    ) -> Result<Option<Order>, StoreError>;

    /// Orders by creation time (oldest first, ties by id), at most `limit`.
    /// Errors: [`StoreError::Unavailable`]; [`StoreError::Unknown`].
    async fn list_orders(&self, limit: u32) -> Result<Vec<Order>, StoreError>;

    /// The orders `user` placed, newest first (ties by id, descending), at most `limit`.
    /// Errors: [`StoreError::Unavailable`]; [`StoreError::Unknown`].
    async fn list_orders_of_user(&self, user: &UserId, limit: u32) -> Result<Vec<Order>, StoreError>;

    /// For each load, in order, what planning needs (see [`Snapshot`]), read without locking.
    /// Errors: [`StoreError::Unavailable`]; [`StoreError::Unknown`].
    async fn load(&self, loads: Vec<Load>) -> Result<Vec<Snapshot>, StoreError>;

    /// Writes each of `writes` atomically, if and only if what it was planned on still holds, and answers
    /// for each, in order:
    /// - [`Committed::Duplicate`], writing nothing, when its event id is recorded already;
    /// - [`Committed::Stale`], writing nothing, when a kept event is to be kept but an order has one of the ids
    ///   it names; or an order is to be written but its row version is not the one planned on, an event it
    ///   adopts is no longer kept, or another kept event names one of the order's ids;
    /// - [`Committed::Busy`], writing nothing, when another transaction holds the order (a store answers it
    ///   rather than wait, so that one held order holds up no other write);
    /// - [`Committed::Done`] otherwise: the order is saved (its version changes), its event recorded with its
    ///   outcome and effect, the adopted events marked applied to it with theirs.
    ///
    /// Writes may be committed together (and with other callers'), never half: each write is all or nothing.
    /// Errors: [`StoreError::Unavailable`] (nothing is known to be written: retry); [`StoreError::Unknown`].
    /// `now` stamps the events recorded and applied.
    async fn commit(&self, writes: Vec<Write>, now: DateTime<Utc>) -> Result<Vec<Committed>, StoreError>;

    /// The events kept as orphans (see [`EventOutcome::Orphaned`]) that were received before `before`: how
    /// many, and the oldest (by receipt, then id).
    /// Errors: [`StoreError::Unavailable`]; [`StoreError::Unknown`].
    async fn orphans_received_before(&self, before: DateTime<Utc>) -> Result<Orphans, StoreError>;

    /// Checks the store answers. Errors: [`StoreError::Unavailable`].
    async fn ping(&self) -> Result<(), StoreError>;
}

/// Events kept as orphans for a while: see [`OrderStore::orphans_received_before`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Orphans {
    /// How many.
    pub count: u64,
    /// The oldest one's id and when it was received.
    pub oldest: Option<(EventId, DateTime<Utc>)>,
}
