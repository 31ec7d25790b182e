//! The writes that follow the webhook's rule: record an event, open or refuse an order's checkout. Each
//! loads, plans ([`crate::model::plan`]) and commits, and starts again while the store says the plan went
//! stale, so the rule runs here and only here, whichever store is behind the port.

use crate::model::event_outcome::EventOutcome;
use crate::model::ids::{CheckoutSessionId, OrderId, PaymentIntentId};
use crate::model::order::SessionConflict;
use crate::model::payment_event::EventRefs;
use crate::model::plan::{plan_change, plan_event, Load, Plan, Snapshot};
use crate::ports::order_store::{Committed, OrderStore, ReceivedEvent, RecordOutcome, StoreError, Write};
use chrono::{DateTime, Utc};

/// Most load-plan-commit rounds for one event or change. Each stale round means another write to the same
/// order committed in between, so this is reached only under a burst for one order; the sender then retries.
const MAX_ROUNDS: usize = 16;

/// Why an order's checkout could not be recorded.
#[derive(Debug, thiserror::Error)]
pub enum OrderChangeError {
    /// No order has this id.
    #[error("order {0} was not found")]
    NotFound(OrderId),
    /// The order has another Checkout Session.
    #[error(transparent)]
    SessionConflict(#[from] SessionConflict),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Records `received` and applies it to the order it names, atomically, with the kept events that order can
/// now adopt; an event naming no known order is kept. Returns once that is committed, or once the event is
/// known to be a duplicate.
/// Errors: [`StoreError::Unavailable`] (nothing was recorded: the sender should retry); [`StoreError::Unknown`].
pub async fn record_event(
    store: &dyn OrderStore,
    received: &ReceivedEvent,
    now: DateTime<Utc>,
) -> Result<RecordOutcome, StoreError> {
    let event = &received.event;
    let plan = if event.kind.affects_orders() {
        settle(store, Some(received), Load::event(event), now, |load, snapshot| {
            Ok::<_, StoreError>(plan_event(event, load, snapshot, now))
        })
        .await?
    } else {
        // Nothing to load: an event that changes no order is stored, once.
        let stored = Write::Event { received: received.clone(), outcome: EventOutcome::Stored };
        match commit_one(store, stored, now).await? {
            Committed::Done => Plan::Store,
            Committed::Duplicate => Plan::Duplicate,
            Committed::Stale | Committed::Busy => {
                return Err(StoreError::Unknown(anyhow::anyhow!("a stored event went stale")))
            }
        }
    };
    Ok(match plan {
        Plan::Duplicate | Plan::Reload(_) => RecordOutcome::Duplicate,
        Plan::Store => RecordOutcome::Stored,
        Plan::Keep => {
            tracing::info!(event_id = %event.id, "no order is known for the event yet: kept");
            RecordOutcome::Orphaned
        }
        Plan::Write(write) => RecordOutcome::Applied {
            order_id: write.order.id(),
            effect: write.event.map(|applied| applied.effect).unwrap_or(crate::Effect::Ignored),
            adopted: u32::try_from(write.adopted.len()).unwrap_or(u32::MAX),
        },
    })
}

/// Records `received` as refused (it comes from another Stripe mode or account than the service takes): it
/// changes no order, and a later delivery of it is a duplicate.
/// Errors: as [`record_event`]'s.
pub async fn refuse_event(
    store: &dyn OrderStore,
    received: &ReceivedEvent,
    reason: String,
    now: DateTime<Utc>,
) -> Result<RecordOutcome, StoreError> {
    let refused = Write::Event { received: received.clone(), outcome: EventOutcome::Refused };
    match commit_one(store, refused, now).await? {
        Committed::Done => Ok(RecordOutcome::Refused { reason }),
        Committed::Duplicate => Ok(RecordOutcome::Duplicate),
        Committed::Stale | Committed::Busy => {
            Err(StoreError::Unknown(anyhow::anyhow!("a refused event went stale")))
        }
    }
}

/// Records the Checkout Session opened for order `id` (the same one again changes nothing) and applies the
/// kept events that name the order or the session.
/// Errors: [`OrderChangeError::NotFound`]; [`OrderChangeError::SessionConflict`] if the order has another
/// session; [`OrderChangeError::Store`].
pub async fn attach_session(
    store: &dyn OrderStore,
    id: OrderId,
    session: &CheckoutSessionId,
    now: DateTime<Utc>,
) -> Result<(), OrderChangeError> {
    let mut load = Load::order(EventRefs { order_id: Some(id), ..EventRefs::default() });
    load.also.session_id = Some(session.clone());
    change_order(store, id, load, now, |order| order.attach_session(session, now)).await
}

/// Records the PaymentIntent created for order `id` (the same one again changes nothing) and applies the kept
/// events that name the order or the intent.
/// Errors: [`OrderChangeError::NotFound`]; [`OrderChangeError::Store`], also when the order has another
/// payment intent (orders are fresh when their intent is created: that is a bug).
pub async fn attach_payment_intent(
    store: &dyn OrderStore,
    id: OrderId,
    payment_intent: &PaymentIntentId,
    now: DateTime<Utc>,
) -> Result<(), OrderChangeError> {
    let mut load = Load::order(EventRefs { order_id: Some(id), ..EventRefs::default() });
    load.also.payment_intent_id = Some(payment_intent.clone());
    let change = |order: &mut crate::Order| {
        if order.attach_payment_intent(payment_intent, now) {
            Ok(())
        } else {
            Err(OrderChangeError::Store(StoreError::Unknown(anyhow::anyhow!(
                "order {id} has another payment intent than {payment_intent}"
            ))))
        }
    };
    change_loaded(store, id, load, now, || OrderChangeError::NotFound(id), change).await.map(drop)
}

/// Marks order `id` as one whose Checkout Session could not be opened, so it is never shown as payable (see
/// [`crate::Order::mark_checkout_failed`]).
/// Errors: [`OrderChangeError::NotFound`]; [`OrderChangeError::Store`].
pub async fn mark_checkout_failed(
    store: &dyn OrderStore,
    id: OrderId,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), OrderChangeError> {
    let load = Load::order(EventRefs { order_id: Some(id), ..EventRefs::default() });
    change_order(store, id, load, now, |order| {
        order.mark_checkout_failed(reason, now);
        Ok(())
    })
    .await
}

/// Changes order `id` with `change`, adopting the kept events that then name it.
async fn change_order(
    store: &dyn OrderStore,
    id: OrderId,
    load: Load,
    now: DateTime<Utc>,
    change: impl Fn(&mut crate::Order) -> Result<(), SessionConflict>,
) -> Result<(), OrderChangeError> {
    change_loaded(store, id, load, now, || OrderChangeError::NotFound(id), |order| Ok(change(order)?))
        .await
        .map(drop)
}

/// Changes order `id` with `change` (a change that is not an event: it is planned again on a fresh load
/// whenever the commit goes stale), adopting the kept events that then name it, and returns the order as
/// committed. `change`'s refusal is returned as it is, and nothing is written.
/// Errors: `not_found()` when no order has the id; `change`'s; [`StoreError`]s.
pub(crate) async fn change_order_with<E: From<StoreError>>(
    store: &dyn OrderStore,
    id: OrderId,
    now: DateTime<Utc>,
    not_found: impl Fn() -> E,
    change: impl Fn(&mut crate::Order) -> Result<(), E>,
) -> Result<crate::Order, E> {
    let load = Load::order(EventRefs { order_id: Some(id), ..EventRefs::default() });
    change_loaded(store, id, load, now, not_found, change).await
}

async fn change_loaded<E: From<StoreError>>(
    store: &dyn OrderStore,
    id: OrderId,
    load: Load,
    now: DateTime<Utc>,
    not_found: impl Fn() -> E,
    change: impl Fn(&mut crate::Order) -> Result<(), E>,
) -> Result<crate::Order, E> {
    let plan = settle(store, None, load, now, |load, snapshot| {
        let loaded = snapshot.order.filter(|loaded| loaded.order.id() == id).ok_or_else(&not_found)?;
        plan_change(load, loaded, snapshot.kept, now, &change)
    })
    .await?;
    match plan {
        Plan::Write(write) => Ok(write.order),
        _ => Err(StoreError::Unknown(anyhow::anyhow!("an order change planned no write")).into()),
    }
}

/// Loads, plans with `planner` and commits, again while the commit is stale (or the plan asks to load more),
/// at most [`MAX_ROUNDS`] times. Returns the plan committed, [`Plan::Duplicate`] when the event turned out to
/// be recorded already.
async fn settle<E: From<StoreError>>(
    store: &dyn OrderStore,
    received: Option<&ReceivedEvent>,
    mut load: Load,
    now: DateTime<Utc>,
    mut planner: impl FnMut(&Load, Snapshot) -> Result<Plan, E>,
) -> Result<Plan, E> {
    for round in 1..=MAX_ROUNDS {
        let snapshot =
            store.load(vec![load.clone()]).await?.pop().ok_or_else(|| {
                StoreError::Unknown(anyhow::anyhow!("the store loaded nothing for one load"))
            })?;
        let plan = planner(&load, snapshot)?;
        if let Plan::Reload(also) = plan {
            load.also = also;
            continue;
        }
        let Some(write) = Write::of(&plan, received) else { return Ok(plan) };
        match commit_one(store, write, now).await? {
            Committed::Done => return Ok(plan),
            Committed::Duplicate => return Ok(Plan::Duplicate),
            Committed::Stale => {
                tracing::debug!(round, "what the write was planned on changed; planning again")
            }
            // Not waited for: another transaction holds the order; the sender retries later.
            Committed::Busy => {
                return Err(
                    StoreError::Unavailable("the order is held by another transaction".to_owned()).into()
                )
            }
        }
    }
    Err(StoreError::Unavailable(format!("the order kept changing during {MAX_ROUNDS} attempts to write"))
        .into())
}

/// Commits one write.
async fn commit_one(
    store: &dyn OrderStore,
    write: Write,
    now: DateTime<Utc>,
) -> Result<Committed, StoreError> {
    store
        .commit(vec![write], now)
        .await?
        .pop()
        .ok_or_else(|| StoreError::Unknown(anyhow::anyhow!("the store answered nothing for one write")))
}
