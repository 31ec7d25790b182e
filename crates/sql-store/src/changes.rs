//! A planned write as the columns it sets: computed once here, bound by each dialect.

use crate::records::{to_json, EffectRecord, EventRecord, FactsRecord};
use chrono::{DateTime, Utc};
use payments_domain::{Applied, EventOutcome, OrderView, OrderWrite, ReceivedEvent, Write};
use std::sync::Arc;
use uuid::Uuid;

/// What a [`Change`] records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// A new event that changes no order ([`EventOutcome::Stored`]).
    Stored,
    /// A new event kept until an order has one of the ids it names ([`EventOutcome::Orphaned`]).
    Kept,
    /// An order change, with its event (if any) and the kept events it adopts.
    Order,
}

impl ChangeKind {
    /// The name the SQL uses.
    pub fn as_str(&self) -> &'static str {
        match self {
            ChangeKind::Stored => "stored",
            ChangeKind::Kept => "kept",
            ChangeKind::Order => "order",
        }
    }
}

/// The `stripe_events` columns of a new event.
#[derive(Debug, Clone)]
pub struct EventColumns {
    /// Stripe's event id.
    pub id: String,
    /// Stripe's type name.
    pub event_type: String,
    /// When Stripe created it.
    pub created: DateTime<Utc>,
    /// The body as received.
    pub payload: Arc<str>,
    /// The ids it names.
    pub order_ref: Option<Uuid>,
    /// The session it names.
    pub session_id: Option<String>,
    /// The payment intent it names.
    pub payment_intent_id: Option<String>,
    /// What became of it.
    pub outcome: EventOutcome,
    /// What it did to its order (an [`EffectRecord`]), when applied to one.
    pub effect: Option<String>,
    /// Its reading (an [`EventRecord`]), kept while the event is, to apply it later.
    pub record: Option<String>,
}

/// The `orders` columns an order change sets, and the version it was planned on.
#[derive(Debug, Clone)]
pub struct OrderColumns {
    /// The order.
    pub id: Uuid,
    /// The row version the change was planned on.
    pub version: i64,
    /// The status derived from the facts.
    pub status: &'static str,
    /// Why it failed, if it did.
    pub failure_reason: Option<String>,
    /// The facts (a [`FactsRecord`]).
    pub facts: String,
    /// Its session.
    pub session_id: Option<String>,
    /// Its payment intent.
    pub payment_intent_id: Option<String>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A kept event an order change applies.
#[derive(Debug, Clone)]
pub struct AdoptedColumns {
    /// The event.
    pub id: String,
    /// What became of it.
    pub outcome: EventOutcome,
    /// What it did (an [`EffectRecord`]).
    pub effect: String,
}

/// An outbox entry an order or subscription change writes (its subject, sequence and times are the change's).
#[derive(Debug, Clone)]
pub struct NoticeColumns {
    /// The entry's id.
    pub id: Uuid,
    /// Its type (`order.paid`, ...).
    pub kind: &'static str,
    /// The subject's view after the change (JSON).
    pub payload: Arc<str>,
}

impl NoticeColumns {
    /// One entry per kind, in order, sharing one view of the subject (they tell of the same subject as it now
    /// is): `view` is made only when there is an entry.
    pub(crate) fn all(kinds: &[payments_domain::NoticeKind], view: impl FnOnce() -> String) -> Vec<Self> {
        if kinds.is_empty() {
            return Vec::new();
        }
        let payload: Arc<str> = view().into();
        kinds
            .iter()
            .map(|kind| Self { id: Uuid::new_v4(), kind: kind.as_str(), payload: payload.clone() })
            .collect()
    }
}

/// One write, as columns.
#[derive(Debug, Clone)]
pub struct Change {
    /// What it records.
    pub kind: ChangeKind,
    /// When: stamps `received_at` and `applied_at`.
    pub at: DateTime<Utc>,
    /// The new event, if any.
    pub event: Option<EventColumns>,
    /// The order, for an order change.
    pub order: Option<OrderColumns>,
    /// The kept events an order change applies.
    pub adopted: Vec<AdoptedColumns>,
    /// The outbox entries an order change writes, in order.
    pub notices: Vec<NoticeColumns>,
}

impl Change {
    /// `write`'s columns, at `at`.
    pub fn of(write: Write, at: DateTime<Utc>) -> Self {
        match write {
            Write::Event { received, outcome } => {
                let kind =
                    if outcome == EventOutcome::Orphaned { ChangeKind::Kept } else { ChangeKind::Stored };
                let record = (kind == ChangeKind::Kept).then(|| to_json(&EventRecord::from(&received.event)));
                let event = event_columns(&received, outcome, None, record);
                Self { kind, at, event: Some(event), order: None, adopted: Vec::new(), notices: Vec::new() }
            }
            Write::Order { received, write } => {
                let OrderWrite { order, version, event, adopted, notices } = *write;
                let event = received.zip(event).map(|(received, applied)| {
                    event_columns(&received, applied.outcome(), Some(effect_json(&applied)), None)
                });
                let columns = OrderColumns {
                    id: order.id().as_uuid(),
                    version: version.0,
                    status: order.status().as_str(),
                    failure_reason: order.failure_reason().map(str::to_owned),
                    facts: to_json(&FactsRecord::from(order.facts())),
                    session_id: order.checkout_session_id().map(|id| id.as_str().to_owned()),
                    payment_intent_id: order.payment_intent_id().map(|id| id.as_str().to_owned()),
                    updated_at: order.updated_at(),
                };
                let adopted = adopted
                    .iter()
                    .map(|applied| AdoptedColumns {
                        id: applied.event_id.as_str().to_owned(),
                        outcome: applied.outcome(),
                        effect: effect_json(applied),
                    })
                    .collect();
                let notices = NoticeColumns::all(&notices, || OrderView::json(&order));
                Self { kind: ChangeKind::Order, at, event, order: Some(columns), adopted, notices }
            }
        }
    }

    /// Every id the change reads or writes by, as `kind:id` (`evt`, `order`, `cs`, `pi`): two changes that
    /// share none cannot see each other.
    pub fn ids(&self) -> Vec<String> {
        let mut ids = Vec::with_capacity(7);
        if let Some(event) = &self.event {
            ids.push(format!("evt:{}", event.id));
            ids.extend(event.order_ref.map(|id| format!("order:{id}")));
            ids.extend(event.session_id.as_ref().map(|id| format!("cs:{id}")));
            ids.extend(event.payment_intent_id.as_ref().map(|id| format!("pi:{id}")));
        }
        if let Some(order) = &self.order {
            ids.push(format!("order:{}", order.id));
            ids.extend(order.session_id.as_ref().map(|id| format!("cs:{id}")));
            ids.extend(order.payment_intent_id.as_ref().map(|id| format!("pi:{id}")));
        }
        ids.extend(self.adopted.iter().map(|adopted| format!("evt:{}", adopted.id)));
        ids.sort();
        ids.dedup();
        ids
    }
}

fn effect_json(applied: &Applied) -> String {
    to_json(&EffectRecord::from(&applied.effect))
}

/// The `stripe_events` columns of `received`.
pub(crate) fn event_columns(
    received: &ReceivedEvent,
    outcome: EventOutcome,
    effect: Option<String>,
    record: Option<String>,
) -> EventColumns {
    let event = &received.event;
    EventColumns {
        id: event.id.as_str().to_owned(),
        event_type: event.event_type.clone(),
        created: event.created,
        payload: received.payload.clone(),
        order_ref: event.refs.order_id.map(|id| id.as_uuid()),
        session_id: event.refs.session_id.as_ref().map(|id| id.as_str().to_owned()),
        payment_intent_id: event.refs.payment_intent_id.as_ref().map(|id| id.as_str().to_owned()),
        outcome,
        effect,
        record,
    }
}
