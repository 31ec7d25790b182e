//! Where orders and received payment events are kept.

use crate::model::ids::{CheckoutSessionId, OrderId};
use crate::model::order::Order;
use crate::model::payment_event::PaymentEvent;
use crate::model::transition::Effect;
use crate::model::user::UserId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An order with this id exists already.
    #[error("order {0} already exists")]
    Duplicate(OrderId),
    /// No order with this id.
    #[error("order {0} was not found")]
    NotFound(OrderId),
    /// The store cannot be reached or is overloaded; the caller may retry later (a webhook answers 503).
    #[error("the order store is unavailable: {0}")]
    Unavailable(String),
    /// Anything else; a bug or corrupt data.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// A verified event and the exact payload it came in, as it will be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedEvent {
    /// The domain's reading of the event.
    pub event: PaymentEvent,
    /// The raw JSON body, kept as received for audit and replays.
    pub payload: String,
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
        effect: Effect,
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
}

/// Orders, their items, and received events.
///
/// Implementations must make [`OrderStore::record_event`] one atomic, idempotent step per event id: two
/// concurrent deliveries of one event apply it once.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait OrderStore: Send + Sync + 'static {
    /// Saves a new order and its items.
    /// Errors: [`StoreError::Duplicate`] if the id exists; [`StoreError::Unavailable`]; [`StoreError::Unknown`].
    async fn insert_order(&self, order: &Order) -> Result<(), StoreError>;

    /// Records the Checkout Session opened for an order, and applies any kept events that name it.
    /// Errors: [`StoreError::NotFound`]; [`StoreError::Unavailable`]; [`StoreError::Unknown`].
    async fn attach_checkout_session(
        &self,
        id: OrderId,
        session_id: &CheckoutSessionId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Marks an order whose Checkout Session could not be opened, so it is never shown as payable
    /// (see [`Order::mark_checkout_failed`]).
    /// Errors: [`StoreError::NotFound`]; [`StoreError::Unavailable`]; [`StoreError::Unknown`].
    async fn mark_checkout_failed(
        &self,
        id: OrderId,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

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

    /// Records `event` and applies its effect to the order it names with [`Order::apply`], in one
    /// transaction. The order is looked up by the event's order id, then session id, then payment intent id.
    /// Errors: [`StoreError::Unavailable`] (nothing was recorded: the sender should retry); [`StoreError::Unknown`].
    async fn record_event(
        &self,
        event: &ReceivedEvent,
        now: DateTime<Utc>,
    ) -> Result<RecordOutcome, StoreError>;

    /// Checks the store answers. Errors: [`StoreError::Unavailable`].
    async fn ping(&self) -> Result<(), StoreError>;
}
