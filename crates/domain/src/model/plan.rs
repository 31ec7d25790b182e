//! The webhook's rule, as pure functions: given what a store loaded for an event or an order change (a
//! [`Snapshot`]), what to write (a [`Plan`]).
//!
//! A store loads without locking; the services plan here and hand the plan back to the store, which writes it
//! only if what it was planned on still holds (the order's [`RowVersion`], the kept events adopted, no other
//! kept event naming the order). Otherwise the store answers stale and the services load and plan again. So
//! this is the one place that decides what an event does: find its order, apply it, adopt the kept events
//! that name the order, and say what became of each.

use crate::model::event_outcome::EventOutcome;
use crate::model::ids::EventId;
use crate::model::order::Order;
use crate::model::outbox::{notices, NoticeKind};
use crate::model::payment_event::{EventRefs, PaymentEvent};
use crate::model::transition::Effect;
use chrono::{DateTime, Utc};

/// An order's row version as its store reads it: a write planned on one version commits only while the
/// order still has it. Opaque to the domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RowVersion(pub i64);

/// What to load for one event or one order change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Load {
    /// The event whose id is checked against those recorded (`None` for an order change).
    pub event_id: Option<EventId>,
    /// How to find the order: by `order_id`, else by session, else by payment intent.
    pub find: EventRefs,
    /// More ids to load kept events by, besides `find`'s and the found order's (see [`Plan::Reload`]).
    pub also: EventRefs,
}

impl Load {
    /// What planning `event` needs: whether its id is known, the order it names, the kept events naming the
    /// same ids.
    pub fn event(event: &PaymentEvent) -> Self {
        Self { event_id: Some(event.id.clone()), find: event.refs.clone(), also: EventRefs::default() }
    }

    /// What planning a change of the order `find` names needs.
    pub fn order(find: EventRefs) -> Self {
        Self { event_id: None, find, also: EventRefs::default() }
    }
}

/// An order as loaded, with its row version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedOrder {
    /// The order.
    pub order: Order,
    /// Its row version when it was read.
    pub version: RowVersion,
}

/// What a store loaded for a [`Load`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The event's id is recorded already.
    pub known: bool,
    /// The order the load names: by order id, else session, else payment intent.
    pub order: Option<LoadedOrder>,
    /// The kept events naming any id of the load's `find` or `also`, or of the found order, oldest first (by
    /// Stripe's `created`, then id). Never the loaded event itself.
    pub kept: Vec<PaymentEvent>,
}

/// An event applied to an order, and what it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The event.
    pub event_id: EventId,
    /// What it did to the order.
    pub effect: Effect,
}

impl Applied {
    /// How the event is recorded: applied, ignored or refused.
    pub fn outcome(&self) -> EventOutcome {
        EventOutcome::of(&self.effect)
    }
}

/// An order change to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderWrite {
    /// The order after the change.
    pub order: Order,
    /// The row version the change was planned on.
    pub version: RowVersion,
    /// The event that made the change, applied (`None` for a change that is not an event: a checkout).
    pub event: Option<Applied>,
    /// Kept events applied after it, in the order applied: each must still be kept when the change commits.
    pub adopted: Vec<Applied>,
    /// The outbox entries the change writes with it, in order ([`notices`]).
    pub notices: Vec<NoticeKind>,
}

/// What to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// The event's id is recorded: nothing to write.
    Duplicate,
    /// Record the event, which changes no order (its type has no effect).
    Store,
    /// Keep the event: no order has any id it names yet. It is applied once one does.
    Keep,
    /// Write the order, record the event as applied to it, and the kept events it adopts.
    Write(Box<OrderWrite>),
    /// The kept events gave the order ids that kept events were not loaded by: load again with these ids in
    /// [`Load::also`].
    Reload(EventRefs),
}

/// What to write for `event`, given what was loaded for `load` (normally [`Load::event`]).
///
/// | snapshot                        | plan                                                              |
/// |---------------------------------|-------------------------------------------------------------------|
/// | the event id is known           | [`Plan::Duplicate`]                                               |
/// | the type changes no order       | [`Plan::Store`]                                                   |
/// | no order has the ids it names   | [`Plan::Keep`]                                                    |
/// | an order                        | apply it ([`Order::apply`]), then adopt the kept events: [`Plan::Write`] |
/// | adopting gave the order ids the kept events were not loaded by | [`Plan::Reload`] with those ids    |
pub fn plan_event(event: &PaymentEvent, load: &Load, snapshot: Snapshot, now: DateTime<Utc>) -> Plan {
    if snapshot.known {
        return Plan::Duplicate;
    }
    if !event.kind.affects_orders() {
        return Plan::Store;
    }
    let Some(loaded) = snapshot.order else {
        return Plan::Keep;
    };
    let mut order = loaded.order.clone();
    let effect = order.apply(event, now);
    let applied = Applied { event_id: event.id.clone(), effect };
    write(load, loaded, order, Some(applied), snapshot.kept, now)
}

/// What to write for a change of a loaded order that is not an event (a Checkout Session opened, or refused):
/// `change` makes it, then the kept events that name the order are adopted, as for an event. `change`'s
/// refusal is returned as it is.
pub fn plan_change<E>(
    load: &Load,
    loaded: LoadedOrder,
    kept: Vec<PaymentEvent>,
    now: DateTime<Utc>,
    change: impl FnOnce(&mut Order) -> Result<(), E>,
) -> Result<Plan, E> {
    let mut order = loaded.order.clone();
    change(&mut order)?;
    Ok(write(load, loaded, order, None, kept, now))
}

/// The write for `order` (`loaded`, changed), after adopting what it can of `kept`.
fn write(
    load: &Load,
    loaded: LoadedOrder,
    mut order: Order,
    event: Option<Applied>,
    kept: Vec<PaymentEvent>,
    now: DateTime<Utc>,
) -> Plan {
    let adopted = adopt(&mut order, kept, now);
    let searched = |id: Option<&str>, ids: [Option<&str>; 3]| id.is_none() || ids.contains(&id);
    let session = order.checkout_session_id().map(|id| id.as_str());
    let intent = order.payment_intent_id().map(|id| id.as_str());
    let sessions = [&load.find, &load.also].map(|refs| refs.session_id.as_ref().map(|id| id.as_str()));
    let intents = [&load.find, &load.also].map(|refs| refs.payment_intent_id.as_ref().map(|id| id.as_str()));
    let loaded_session = loaded.order.checkout_session_id().map(|id| id.as_str());
    let loaded_intent = loaded.order.payment_intent_id().map(|id| id.as_str());
    if !searched(session, [sessions[0], sessions[1], loaded_session])
        || !searched(intent, [intents[0], intents[1], loaded_intent])
    {
        return Plan::Reload(EventRefs {
            order_id: None,
            session_id: order.checkout_session_id().cloned(),
            payment_intent_id: order.payment_intent_id().cloned(),
        });
    }
    let notices = notices(&loaded.order, &order);
    Plan::Write(Box::new(OrderWrite { order, version: loaded.version, event, adopted, notices }))
}

/// Applies to `order` the kept events that name one of its ids: all those naming its current ids, oldest
/// first, then again for the ids they gave it, until none is left. Returns them in the order applied.
pub fn adopt(order: &mut Order, mut kept: Vec<PaymentEvent>, now: DateTime<Utc>) -> Vec<Applied> {
    let mut adopted = Vec::new();
    loop {
        let (round, rest): (Vec<_>, Vec<_>) = kept.into_iter().partition(|event| names(order, &event.refs));
        kept = rest;
        if round.is_empty() {
            return adopted;
        }
        for event in round {
            let effect = order.apply(&event, now);
            tracing::info!(event_id = %event.id, order_id = %order.id(), ?effect, "kept event adopted");
            adopted.push(Applied { event_id: event.id, effect });
        }
    }
}

/// True when `refs` names `order`'s id, session or payment intent.
fn names(order: &Order, refs: &EventRefs) -> bool {
    order.refs().shares_an_id_with(refs)
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
