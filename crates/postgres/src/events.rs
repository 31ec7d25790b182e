//! Recording a Stripe event and applying it to its order: the webhook's hot path, one transaction.

use crate::adoption::adopt_orphans;
use crate::error::store_error;
use crate::locks::LockSet;
use crate::optimistic;
use crate::orders;
use crate::save::{save, AppliedEvent};
use crate::unit_of_work::{run, Attempt, UnitOfWork};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use payments_domain::{ReceivedEvent, RecordOutcome, StoreError};
use sqlx::types::Json;
use sqlx::{PgConnection, PgExecutor, PgPool};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// How an event is written on its own: the pool, the optimistic attempts, the counters.
#[derive(Debug, Clone)]
pub(crate) struct Single {
    pub(crate) pool: PgPool,
    pub(crate) optimistic_attempts: u32,
    pub(crate) counts: Arc<WriteCounters>,
}

impl Single {
    /// Records `received` and applies it (see [`OrderStore::record_event`](payments_domain::OrderStore)):
    /// first up to `optimistic_attempts` times with one read and one conditional write (`optimistic.rs`),
    /// then in a transaction that locks what it reads.
    pub(crate) async fn record(
        &self,
        received: &ReceivedEvent,
        now: DateTime<Utc>,
    ) -> Result<RecordOutcome, StoreError> {
        let (pool, counts) = (&self.pool, &self.counts);
        if !received.event.kind.affects_orders() {
            // Nothing to apply: one autocommitted insert.
            let inserted = insert(pool, received, "stored", &LockSet::default(), now).await?;
            return Ok(if inserted { RecordOutcome::Stored } else { RecordOutcome::Duplicate });
        }
        for _ in 0..self.optimistic_attempts {
            match optimistic::attempt(pool, received, now).await? {
                optimistic::Attempt::Done(outcome) => {
                    counts.optimistic.fetch_add(1, Ordering::Relaxed);
                    return Ok(outcome);
                }
                optimistic::Attempt::Stale => {
                    tracing::debug!("the order changed between read and write; reading again");
                }
                optimistic::Attempt::Unsupported => break,
            }
        }
        let outcome =
            run(pool, &RecordEvent { received, now }, LockSet::of_event(&received.event.refs)).await?;
        counts.locking.fetch_add(1, Ordering::Relaxed);
        Ok(outcome)
    }
}

/// How many events that affect orders each path has recorded (see [`crate::WebhookWriteCounts`]).
#[derive(Debug, Default)]
pub(crate) struct WriteCounters {
    pub(crate) grouped: AtomicU64,
    pub(crate) group_writes: AtomicU64,
    pub(crate) optimistic: AtomicU64,
    pub(crate) locking: AtomicU64,
}

/// Inserts the event row unless its id is known (false then), and in the same statement, only if it was
/// inserted, takes `locks` in ascending order. A concurrent delivery of the same id waits on the unique
/// index until the first transaction ends, then sees the conflict.
async fn insert<'c>(
    executor: impl PgExecutor<'c>,
    received: &ReceivedEvent,
    outcome: &str,
    locks: &LockSet,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let event = &received.event;
    let row: Option<i64> = sqlx::query_scalar(
        "WITH inserted AS ( \
             INSERT INTO stripe_events (id, type, created_at, payload, event, order_ref, session_id, \
                                        payment_intent_id, outcome, received_at) \
             VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (id) DO NOTHING RETURNING id) \
         SELECT (SELECT count(*) FROM (SELECT pg_advisory_xact_lock(k) FROM unnest($11::bigint[]) AS k) AS taken) \
         FROM inserted",
    )
    .bind(event.id.as_str())
    .bind(&event.event_type)
    .bind(event.created)
    .bind(&received.payload)
    .bind(Json(event))
    .bind(event.refs.order_id.map(|id| id.as_uuid()))
    .bind(event.refs.session_id.as_ref().map(|id| id.as_str()))
    .bind(event.refs.payment_intent_id.as_ref().map(|id| id.as_str()))
    .bind(outcome)
    .bind(now)
    .bind(locks.sorted_keys())
    .fetch_optional(executor)
    .await
    .map_err(store_error)?;
    Ok(row.is_some())
}

/// One event that can change an order.
struct RecordEvent<'a> {
    received: &'a ReceivedEvent,
    now: DateTime<Utc>,
}

#[async_trait]
impl UnitOfWork for RecordEvent<'_> {
    type Output = RecordOutcome;

    async fn attempt(
        &self,
        conn: &mut PgConnection,
        locks: &LockSet,
    ) -> Result<Attempt<RecordOutcome>, StoreError> {
        let event = &self.received.event;
        // Stored as an orphan until it is applied below, so "no order" needs no second write.
        if !insert(&mut *conn, self.received, "orphaned", locks, self.now).await? {
            return Ok(Attempt::Done(RecordOutcome::Duplicate));
        }
        let Some(mut order) = orders::lock_for_event(conn, &event.refs).await? else {
            tracing::info!(event_id = %event.id, "no order is known for the event yet: kept");
            return Ok(Attempt::Done(RecordOutcome::Orphaned));
        };
        let before = order.clone();
        let effect = order.apply(event, self.now);
        let mut applied = vec![AppliedEvent { id: event.id.clone(), effect: effect.clone() }];

        let mut held = locks.clone();
        let adopted =
            match adopt_orphans(conn, &mut order, &mut held, std::slice::from_ref(&event.id), self.now)
                .await?
            {
                Attempt::Done(adopted) => adopted,
                Attempt::Relock(wanted) => return Ok(Attempt::Relock(wanted)),
            };
        let adopted_count = u32::try_from(adopted.len()).unwrap_or(u32::MAX);
        applied.extend(adopted);
        save(conn, &order, order != before, &applied, self.now).await?;
        Ok(Attempt::Done(RecordOutcome::Applied { order_id: order.id, effect, adopted: adopted_count }))
    }
}
