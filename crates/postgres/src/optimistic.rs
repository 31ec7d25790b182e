//! The webhook's hot path in two statements: one read, then one write that commits only if the read still
//! holds (`payments_record_event`, migrations/postgres/0003_one_statement_webhook_write.sql).
//!
//! The read takes no lock: it says whether the event id is known, and returns the order the event names with
//! its row version and the kept events that could apply to it. The domain's transition runs in memory; the
//! write takes the advisory locks, checks that the order's row version and its kept events are unchanged,
//! and records everything at once. When they changed ([`Attempt::Stale`]) the caller reads again, and after a
//! few tries falls back to the locking transaction in `events.rs`, which always makes progress.
//! The two paths take the same advisory locks (see `locks.rs`), so either sees the other's committed work.
//! The read and the in-memory [`plan`] serve a group of events too (`batch.rs`).

use crate::error::store_error;
use crate::locks::LockSet;
use crate::orders::order_columns;
use crate::rows::{stored_event, OrderRow};
use crate::save::{effect_json, outcome, AppliedColumns, AppliedEvent};
use chrono::{DateTime, Utc};
use payments_domain::{Effect, EventRefs, Order, PaymentEvent, ReceivedEvent, RecordOutcome, StoreError};
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::{FromRow, PgPool, Row};

/// How one optimistic attempt ended.
#[derive(Debug)]
pub(crate) enum Attempt {
    /// Recorded (or found to be a duplicate): the answer.
    Done(RecordOutcome),
    /// What was read changed before the write: read again.
    Stale,
    /// The kept events lead to ids the read did not search: only the locking path handles this.
    Unsupported,
}

/// The read, for a group of events (parallel arrays, one element each): for each, in order, whether its id
/// is known; the order it names (by order id, else session, else payment intent) with its row version; and
/// the kept events naming the order's ids or, where the order has none yet, the event's, oldest first.
const READ: &str = concat!(
    "SELECT r.* \
     FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[]) \
          WITH ORDINALITY AS ev(id, order_ref, session_id, payment_intent_id, n) \
     CROSS JOIN LATERAL ( \
         SELECT EXISTS (SELECT 1 FROM stripe_events WHERE id = ev.id) AS duplicate, ",
    order_columns!(),
    ", o.xmin::text::bigint AS version, \
           (SELECT coalesce(jsonb_agg(jsonb_build_array(e.id, e.event) ORDER BY e.created_at, e.id), '[]'::jsonb) \
            FROM stripe_events e \
            WHERE e.outcome = 'orphaned' AND e.id <> ev.id \
              AND (e.order_ref = o.id OR e.session_id = coalesce(o.checkout_session_id, ev.session_id) \
                   OR e.payment_intent_id = coalesce(o.payment_intent_id, ev.payment_intent_id))) AS kept \
         FROM (SELECT) AS nothing \
         LEFT JOIN orders o ON o.id = coalesce( \
             (SELECT id FROM orders WHERE id = ev.order_ref), \
             (SELECT id FROM orders WHERE checkout_session_id = ev.session_id), \
             (SELECT id FROM orders WHERE payment_intent_id = ev.payment_intent_id LIMIT 1))) AS r \
     ORDER BY ev.n"
);

/// What the read found for one event.
pub(crate) enum Read {
    /// The event id is recorded.
    Duplicate,
    /// No order matches the event's ids.
    NoOrder,
    /// The order it names.
    Order(Box<Found>),
}

/// What the read found for an event that is not a duplicate.
pub(crate) struct Found {
    order: Order,
    version: i64,
    /// Kept events, oldest first.
    kept: Vec<PaymentEvent>,
}

/// Reads, in one query, what each of `events` needs (see [`READ`]), in their order.
pub(crate) async fn read(pool: &PgPool, events: &[&ReceivedEvent]) -> Result<Vec<Read>, StoreError> {
    let refs = || events.iter().map(|received| &received.event.refs);
    let rows = sqlx::query(READ)
        .bind(events.iter().map(|received| received.event.id.as_str()).collect::<Vec<_>>())
        .bind(refs().map(|refs| refs.order_id.map(|id| id.as_uuid())).collect::<Vec<_>>())
        .bind(refs().map(|refs| refs.session_id.as_ref().map(|id| id.as_str())).collect::<Vec<_>>())
        .bind(refs().map(|refs| refs.payment_intent_id.as_ref().map(|id| id.as_str())).collect::<Vec<_>>())
        .fetch_all(pool)
        .await
        .map_err(store_error)?;
    if rows.len() != events.len() {
        return Err(StoreError::Unknown(anyhow::anyhow!(
            "the read returned {} rows for {} events",
            rows.len(),
            events.len()
        )));
    }
    rows.iter().map(read_row).collect()
}

/// What to write for one event, decided in memory from what was read.
pub(crate) enum Plan {
    /// The event id is recorded: nothing to write.
    Duplicate,
    /// No order yet: keep the event.
    Orphan,
    /// Write the order and record the event as applied to it.
    Apply(Box<Applied>),
    /// The kept events lead to ids the read did not search: only the locking path handles this.
    Unsupported,
}

/// An event applied in memory to the order it names, with the kept events that order adopts.
pub(crate) struct Applied {
    /// The order after applying.
    pub(crate) order: Order,
    /// The order's row version read.
    pub(crate) version: i64,
    /// What the event did.
    pub(crate) effect: Effect,
    /// Kept events applied after it.
    pub(crate) adopted: Vec<AppliedEvent>,
    /// The advisory locks the write takes: the event's ids and the order's.
    pub(crate) locks: LockSet,
}

/// Decides what to write for `received`, given what the read found for it.
pub(crate) fn plan(received: &ReceivedEvent, read: Read, now: DateTime<Utc>) -> Plan {
    let refs = &received.event.refs;
    let Found { mut order, version, kept } = match read {
        Read::Duplicate => return Plan::Duplicate,
        Read::NoOrder => return Plan::Orphan,
        Read::Order(found) => *found,
    };
    // What the read searched kept events by: the order's ids, or the event's where the order has none.
    let searched_session = order.checkout_session_id.clone().or_else(|| refs.session_id.clone());
    let searched_intent = order.payment_intent_id.clone().or_else(|| refs.payment_intent_id.clone());
    let effect = order.apply(&received.event, now);
    let adopted = adopt(&mut order, kept, now);
    // A kept event gave the order an id the read did not search by.
    if (order.checkout_session_id.is_some() && order.checkout_session_id != searched_session)
        || (order.payment_intent_id.is_some() && order.payment_intent_id != searched_intent)
    {
        return Plan::Unsupported;
    }
    let mut locks = LockSet::of_event(refs);
    locks.extend(&LockSet::of_order(&order));
    Plan::Apply(Box::new(Applied { order, version, effect, adopted, locks }))
}

/// One optimistic attempt at recording and applying `received` (an event that affects orders).
pub(crate) async fn attempt(
    pool: &PgPool,
    received: &ReceivedEvent,
    now: DateTime<Utc>,
) -> Result<Attempt, StoreError> {
    let refs = &received.event.refs;
    let read = read(pool, &[received]).await?.pop().expect("one row per event, checked by read");
    let applied = match plan(received, read, now) {
        Plan::Duplicate => return Ok(Attempt::Done(RecordOutcome::Duplicate)),
        Plan::Unsupported => return Ok(Attempt::Unsupported),
        Plan::Orphan => {
            let write = Write::orphan(received, now);
            return Ok(match write.run(pool, LockSet::of_event(refs)).await? {
                Written::Recorded => {
                    tracing::info!(event_id = %received.event.id, "no order is known for the event yet: kept");
                    Attempt::Done(RecordOutcome::Orphaned)
                }
                Written::Duplicate => Attempt::Done(RecordOutcome::Duplicate),
                Written::Stale => Attempt::Stale,
            });
        }
        Plan::Apply(applied) => *applied,
    };
    let Applied { order, version, effect, adopted, locks } = applied;
    let write =
        Write { received, now, order: Some((&order, version)), effect: Some(&effect), adopted: &adopted };
    Ok(match write.run(pool, locks).await? {
        Written::Recorded => {
            let adopted = u32::try_from(adopted.len()).unwrap_or(u32::MAX);
            Attempt::Done(RecordOutcome::Applied { order_id: order.id, effect, adopted })
        }
        Written::Duplicate => Attempt::Done(RecordOutcome::Duplicate),
        Written::Stale => Attempt::Stale,
    })
}

/// What `row` of the read says about its event.
fn read_row(row: &PgRow) -> Result<Read, StoreError> {
    let unreadable = |error: sqlx::Error| StoreError::Unknown(anyhow::Error::new(error));
    if row.try_get::<bool, _>("duplicate").map_err(unreadable)? {
        return Ok(Read::Duplicate);
    }
    if row.try_get::<Option<uuid::Uuid>, _>("id").map_err(unreadable)?.is_none() {
        return Ok(Read::NoOrder);
    }
    let order = OrderRow::from_row(row).map_err(unreadable)?.into_order().map_err(StoreError::Unknown)?;
    let version: i64 = row.try_get("version").map_err(unreadable)?;
    let Json(kept): Json<Vec<(String, serde_json::Value)>> = row.try_get("kept").map_err(unreadable)?;
    let kept = kept
        .into_iter()
        .map(|(id, event)| stored_event(&id, event))
        .collect::<anyhow::Result<Vec<_>>>()
        .map_err(StoreError::Unknown)?;
    Ok(Read::Order(Box::new(Found { order, version, kept })))
}

/// Applies to `order` the kept events that name one of its ids, as the locking path does: all those found
/// for its current ids, oldest first, then again for the ids they gave it, until none is left.
fn adopt(order: &mut Order, mut kept: Vec<PaymentEvent>, now: DateTime<Utc>) -> Vec<AppliedEvent> {
    let mut adopted = Vec::new();
    loop {
        let (batch, rest): (Vec<_>, Vec<_>) = kept.into_iter().partition(|event| names(order, &event.refs));
        kept = rest;
        if batch.is_empty() {
            return adopted;
        }
        adopted.extend(batch.iter().map(|event| AppliedEvent::adopt(order, event, now)));
    }
}

/// True when `refs` names `order`'s id, session or payment intent.
fn names(order: &Order, refs: &EventRefs) -> bool {
    refs.order_id == Some(order.id)
        || (refs.session_id.is_some() && refs.session_id == order.checkout_session_id)
        || (refs.payment_intent_id.is_some() && refs.payment_intent_id == order.payment_intent_id)
}

/// The arguments of `payments_record_event`.
struct Write<'a> {
    received: &'a ReceivedEvent,
    now: DateTime<Utc>,
    /// The order after applying and the row version read; `None`: keep the event.
    order: Option<(&'a Order, i64)>,
    effect: Option<&'a Effect>,
    adopted: &'a [AppliedEvent],
}

/// The SQLSTATE `payments_record_event` raises when the event id turns out to be known after it updated the
/// order: the statement, and so the update, is undone.
pub(crate) const DUPLICATE_AFTER_UPDATE: &str = "PY001";

/// What `payments_record_event` did, or `payments_record_events` did with one event.
pub(crate) enum Written {
    Recorded,
    Duplicate,
    Stale,
}

impl Written {
    /// `answer` as `function` returned it.
    pub(crate) fn parse(answer: &str, function: &str) -> Result<Self, StoreError> {
        match answer {
            "recorded" => Ok(Self::Recorded),
            "duplicate" => Ok(Self::Duplicate),
            "stale" => Ok(Self::Stale),
            other => Err(StoreError::Unknown(anyhow::anyhow!("{function} answered {other:?}"))),
        }
    }
}

impl<'a> Write<'a> {
    fn orphan(received: &'a ReceivedEvent, now: DateTime<Utc>) -> Self {
        Self { received, now, order: None, effect: None, adopted: &[] }
    }

    async fn run(&self, pool: &PgPool, locks: LockSet) -> Result<Written, StoreError> {
        let event = &self.received.event;
        let AppliedColumns { ids: adopted_ids, outcomes: adopted_outcomes, effects: adopted_effects } =
            AppliedColumns::of(self.adopted)?;
        let order = self.order.map(|(order, _)| order);
        let written = sqlx::query_scalar::<_, String>(
            "SELECT payments_record_event($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
                                          $15, $16, $17, $18, $19, $20::jsonb, $21, $22, $23)",
        )
        .bind(event.id.as_str())
        .bind(&event.event_type)
        .bind(event.created)
        .bind(&self.received.payload)
        .bind(order.is_none().then_some(Json(event)))
        .bind(event.refs.order_id.map(|id| id.as_uuid()))
        .bind(event.refs.session_id.as_ref().map(|id| id.as_str()))
        .bind(event.refs.payment_intent_id.as_ref().map(|id| id.as_str()))
        .bind(self.now)
        .bind(locks.sorted_keys())
        .bind(order.map(|order| order.id.as_uuid()))
        .bind(self.order.map(|(_, version)| version))
        .bind(order.map(|order| order.status.as_str()))
        .bind(order.and_then(|order| order.failure_reason.as_deref()))
        .bind(order.map(|order| Json(&order.facts)))
        .bind(order.and_then(|order| order.checkout_session_id.as_ref().map(|id| id.as_str())))
        .bind(order.and_then(|order| order.payment_intent_id.as_ref().map(|id| id.as_str())))
        .bind(order.map(|order| order.updated_at))
        .bind(self.effect.map(outcome))
        .bind(self.effect.map(effect_json).transpose()?)
        .bind(adopted_ids)
        .bind(adopted_outcomes)
        .bind(adopted_effects)
        .fetch_one(pool)
        .await;
        let written: String = match written {
            Ok(written) => written,
            Err(sqlx::Error::Database(error)) if error.code().as_deref() == Some(DUPLICATE_AFTER_UPDATE) => {
                return Ok(Written::Duplicate);
            }
            Err(error) => return Err(store_error(error)),
        };
        Written::parse(&written, "payments_record_event")
    }
}
