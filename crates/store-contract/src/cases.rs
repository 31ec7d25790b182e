//! The contract's cases: each takes a fresh [`Harness`] and panics when the store breaks
//! the port's promise it checks.

mod catalog;
mod checkout;
mod commits;
mod concurrency;
mod customers;
mod events;
mod orders;
mod outbox;
mod reconcile;
mod subscriptions;
mod upgrade;

pub use catalog::*;
pub use checkout::*;
pub use commits::*;
pub use concurrency::*;
pub use customers::*;
pub use events::*;
pub use orders::*;
pub use outbox::*;
pub use reconcile::*;
pub use subscriptions::*;
pub use upgrade::*;

use crate::{Harness, StoredEvent};
use payments_domain::{EventId, Order, OrderId};

/// The one stored row of event `id`.
async fn stored_once(harness: &impl Harness, id: &EventId) -> StoredEvent {
    let mut rows = harness.stored_events(id).await;
    assert_eq!(rows.len(), 1, "event {id} should be stored exactly once, found {rows:?}");
    rows.remove(0)
}

/// The order `id`, which must exist.
async fn order_now(harness: &impl Harness, id: OrderId) -> Order {
    harness
        .store()
        .find_order(id)
        .await
        .expect("find_order")
        .unwrap_or_else(|| panic!("order {id} is missing"))
}
