//! Concurrent webhook deliveries written together: one read and one write for a group of events, so the
//! per-statement and per-commit costs are paid once per group rather than once per event.
//!
//! `record_event` hands each event that affects orders to a queue and waits for its answer. Worker
//! tasks each take every event queued (up to [`MAX_GROUP`]), read what they all need in one query
//! (`optimistic::read`), apply each in memory (`optimistic::plan`), and write in one call of
//! `payments_record_events` (migrations/postgres/0004) the events that can go together: order found, no kept
//! event adopted, no lock key shared with another event of the group. An event is answered only after the
//! write that records it has committed.
//!
//! Everything else takes the path an event takes on its own (`events::Single`): events without an
//! order, events that adopt kept ones, events sharing an order with an earlier one in the group, events whose
//! order changed between read and write, and every event of a group whose read or write failed. That path is
//! correct whatever runs beside it; the group only saves work when nothing races it.

use crate::error::store_error;
use crate::events::Single;
use crate::locks::LockSet;
use crate::optimistic::{self, Applied, Plan, Written, DUPLICATE_AFTER_UPDATE};
use crate::save::{effect_json, outcome};
use chrono::{DateTime, Utc};
use payments_domain::{ReceivedEvent, RecordOutcome, StoreError};
use sqlx::PgPool;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use tokio::sync::{mpsc, oneshot, Mutex};

/// Most events written together.
const MAX_GROUP: usize = 64;

/// The queue of events waiting to be written, and its workers (started on first use, on the runtime of
/// that first caller; they stop when every clone of the store is gone).
#[derive(Debug)]
pub(crate) struct Batcher {
    workers: u32,
    queue: OnceLock<mpsc::UnboundedSender<Request>>,
}

/// One event waiting to be written, and where its answer goes.
struct Request {
    received: ReceivedEvent,
    now: DateTime<Utc>,
    reply: oneshot::Sender<Result<RecordOutcome, StoreError>>,
}

impl Request {
    fn answer(self, outcome: Result<RecordOutcome, StoreError>) {
        // The caller may have stopped waiting (its request was dropped): the write stands either way.
        let _ = self.reply.send(outcome);
    }
}

impl Batcher {
    pub(crate) fn new(workers: u32) -> Self {
        Self { workers, queue: OnceLock::new() }
    }

    /// Records `received` (an event that affects orders) in the next group write, or on its own when the
    /// workers are gone (their runtime has stopped).
    pub(crate) async fn record(
        &self,
        single: &Single,
        received: &ReceivedEvent,
        now: DateTime<Utc>,
    ) -> Result<RecordOutcome, StoreError> {
        let queue = self.queue.get_or_init(|| start(self.workers, single));
        let (reply, answer) = oneshot::channel();
        if queue.send(Request { received: received.clone(), now, reply }).is_ok() {
            if let Ok(outcome) = answer.await {
                return outcome;
            }
        }
        single.record(received, now).await
    }
}

fn start(workers: u32, single: &Single) -> mpsc::UnboundedSender<Request> {
    let (sender, receiver) = mpsc::unbounded_channel();
    let receiver = Arc::new(Mutex::new(receiver));
    for _ in 0..workers.max(1) {
        tokio::spawn(work(Arc::clone(&receiver), single.clone()));
    }
    sender
}

/// Takes every queued event (waiting for the first), writes them, and again, until the queue closes.
async fn work(receiver: Arc<Mutex<mpsc::UnboundedReceiver<Request>>>, single: Single) {
    loop {
        let group = {
            let mut receiver = receiver.lock().await;
            let Some(first) = receiver.recv().await else { return };
            let mut group = vec![first];
            while group.len() < MAX_GROUP {
                match receiver.try_recv() {
                    Ok(request) => group.push(request),
                    Err(_) => break,
                }
            }
            group
        };
        write_group(&single, group).await;
    }
}

/// Writes `group` together where it can, and hands the rest to the single path.
async fn write_group(single: &Single, group: Vec<Request>) {
    let received: Vec<&ReceivedEvent> = group.iter().map(|request| &request.received).collect();
    let reads = match optimistic::read(&single.pool, &received).await {
        Ok(reads) => reads,
        Err(error) => {
            tracing::debug!(%error, "group read failed; writing each event on its own");
            return alone(single, group);
        }
    };

    let mut members: Vec<(Request, Applied)> = Vec::new();
    let mut rest = Vec::new();
    let mut held = LockSet::default();
    for (request, read) in group.into_iter().zip(reads) {
        match optimistic::plan(&request.received, read, request.now) {
            Plan::Duplicate => {
                single.counts.grouped.fetch_add(1, Ordering::Relaxed);
                request.answer(Ok(RecordOutcome::Duplicate));
            }
            // An order's keys include its id, so two events for one order (two deliveries of one event
            // among them) never share a group: the second would only find the order changed (stale).
            Plan::Apply(applied) if applied.adopted.is_empty() && applied.locks.is_disjoint(&held) => {
                held.extend(&applied.locks);
                members.push((request, *applied));
            }
            _ => rest.push(request),
        }
    }

    if !members.is_empty() {
        match write(&single.pool, &members, &held).await {
            Ok(answers) => {
                single.counts.group_writes.fetch_add(1, Ordering::Relaxed);
                for ((request, applied), answer) in members.into_iter().zip(answers) {
                    let outcome = match answer {
                        Written::Recorded => RecordOutcome::Applied {
                            order_id: applied.order.id,
                            effect: applied.effect,
                            adopted: 0,
                        },
                        Written::Duplicate => RecordOutcome::Duplicate,
                        Written::Stale => {
                            rest.push(request);
                            continue;
                        }
                    };
                    single.counts.grouped.fetch_add(1, Ordering::Relaxed);
                    request.answer(Ok(outcome));
                }
            }
            Err(error) => {
                tracing::debug!(%error, "group write failed; writing each event on its own");
                rest.extend(members.into_iter().map(|(request, _)| request));
            }
        }
    }
    alone(single, rest);
}

/// Writes each of `requests` on its own, concurrently, answering each when done.
fn alone(single: &Single, requests: Vec<Request>) {
    for request in requests {
        let single = single.clone();
        tokio::spawn(async move {
            let outcome = single.record(&request.received, request.now).await;
            request.answer(outcome);
        });
    }
}

/// One call of `payments_record_events` for `members`, holding `locks` (all of theirs).
async fn write(
    pool: &PgPool,
    members: &[(Request, Applied)],
    locks: &LockSet,
) -> Result<Vec<Written>, StoreError> {
    let events = || members.iter().map(|(request, _)| &request.received);
    let orders = || members.iter().map(|(_, applied)| &applied.order);
    let facts =
        orders().map(|order| serde_json::to_string(&order.facts)).collect::<Result<Vec<_>, _>>().map_err(
            |error| StoreError::Unknown(anyhow::Error::new(error).context("order facts not serializable")),
        )?;
    let effects =
        members.iter().map(|(_, applied)| effect_json(&applied.effect)).collect::<Result<Vec<_>, _>>()?;
    let answers = sqlx::query_scalar::<_, Vec<String>>(
        "SELECT payments_record_events($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
                                       $17, $18, $19)",
    )
    .bind(events().map(|received| received.event.id.as_str()).collect::<Vec<_>>())
    .bind(events().map(|received| received.event.event_type.as_str()).collect::<Vec<_>>())
    .bind(events().map(|received| received.event.created).collect::<Vec<_>>())
    .bind(events().map(|received| received.payload.as_str()).collect::<Vec<_>>())
    .bind(events().map(|received| received.event.refs.order_id.map(|id| id.as_uuid())).collect::<Vec<_>>())
    .bind(
        events()
            .map(|received| received.event.refs.session_id.as_ref().map(|id| id.as_str()))
            .collect::<Vec<_>>(),
    )
    .bind(
        events()
            .map(|received| received.event.refs.payment_intent_id.as_ref().map(|id| id.as_str()))
            .collect::<Vec<_>>(),
    )
    .bind(members.iter().map(|(request, _)| request.now).collect::<Vec<_>>())
    .bind(locks.sorted_keys())
    .bind(orders().map(|order| order.id.as_uuid()).collect::<Vec<_>>())
    .bind(members.iter().map(|(_, applied)| applied.version).collect::<Vec<_>>())
    .bind(orders().map(|order| order.status.as_str()).collect::<Vec<_>>())
    .bind(orders().map(|order| order.failure_reason.as_deref()).collect::<Vec<_>>())
    .bind(facts)
    .bind(orders().map(|order| order.checkout_session_id.as_ref().map(|id| id.as_str())).collect::<Vec<_>>())
    .bind(orders().map(|order| order.payment_intent_id.as_ref().map(|id| id.as_str())).collect::<Vec<_>>())
    .bind(orders().map(|order| order.updated_at).collect::<Vec<_>>())
    .bind(members.iter().map(|(_, applied)| outcome(&applied.effect)).collect::<Vec<_>>())
    .bind(effects)
    .fetch_one(pool)
    .await;
    let answers = match answers {
        Ok(answers) => answers,
        Err(sqlx::Error::Database(error)) if error.code().as_deref() == Some(DUPLICATE_AFTER_UPDATE) => {
            return Err(StoreError::Unknown(anyhow::anyhow!("an event of the group was recorded meanwhile")));
        }
        Err(error) => return Err(store_error(error)),
    };
    if answers.len() != members.len() {
        return Err(StoreError::Unknown(anyhow::anyhow!(
            "payments_record_events answered {} times for {} events",
            answers.len(),
            members.len()
        )));
    }
    answers.iter().map(|answer| Written::parse(answer, "payments_record_events")).collect()
}
