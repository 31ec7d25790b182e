//! Catching up with Stripe: every event it sent that the service has not stored is fetched from its events
//! list and recorded as a webhook delivery would be (by id, so nothing is applied twice, whoever records it
//! first); then every order still pending for too long is checked against its Checkout Session (or, paid
//! through the service's own card form, its PaymentIntent), and a session left open past its lifetime is
//! expired, so no order stays pending forever.

use crate::model::ids::{CheckoutSessionId, EventId, PaymentIntentId};
use crate::model::order::Order;
use crate::model::payment_event::{EventRefs, PaymentEvent, PaymentEventKind};
use crate::model::transition::Effect;
use crate::ports::clock::Clock;
use crate::ports::event_source::EventSource;
use crate::ports::order_store::{OrderStore, ReceivedEvent, RecordOutcome, StoreError};
use crate::ports::payment_gateway::{
    IntentSnapshot, IntentState, PaymentGateway, SessionSnapshot, SessionState,
};
use crate::ports::reconcile_store::ReconcileStore;
use crate::services::ingest::{HandleWebhookError, WebhookIngest};
use crate::services::record;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

/// How far back Stripe's events list reaches.
pub const STRIPE_EVENT_RETENTION: Duration = Duration::days(30);

/// How reconciliation runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconcileSettings {
    /// How far back the first run looks, with no watermark yet.
    pub first_lookback: Duration,
    /// How far before the watermark a run starts (for events Stripe dated just before it but listed late).
    pub overlap: Duration,
    /// How old a pending order must be before its session is checked.
    pub pending_after: Duration,
    /// How long an order's session stays open (its `expires_at`); past it and `expiry_grace`, an open
    /// session is expired.
    pub session_ttl: Duration,
    /// How long past `session_ttl` an open session is left to Stripe's own expiry.
    pub expiry_grace: Duration,
    /// Events asked for per page.
    pub page: u32,
    /// Most events one run fetches (the next run goes on from where this one stopped: its watermark does
    /// not move).
    pub max_events: usize,
    /// Most pending orders one run checks.
    pub max_pending: u32,
}

impl Default for ReconcileSettings {
    fn default() -> Self {
        Self {
            first_lookback: Duration::hours(72),
            overlap: Duration::minutes(10),
            pending_after: Duration::hours(1),
            session_ttl: Duration::hours(24),
            expiry_grace: Duration::hours(1),
            page: 100,
            max_events: 100_000,
            max_pending: 500,
        }
    }
}

/// What a run found and fixed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    /// Events created from this time on were asked for.
    pub since: Option<DateTime<Utc>>,
    /// Events Stripe listed.
    pub listed: usize,
    /// Listed events the service had not stored: recorded now.
    pub recorded: usize,
    /// Of those, the ones that changed an order.
    pub applied: usize,
    /// Listed events already stored (delivered by webhook, or by an earlier run).
    pub already_stored: usize,
    /// Listed events that could not be read (logged; not recorded).
    pub unreadable: usize,
    /// Pending orders whose session was looked up.
    pub pending_checked: usize,
    /// Of those, the ones the session's state settled (paid, expired, ...).
    pub pending_settled: usize,
    /// Sessions left open past their lifetime, expired now.
    pub sessions_expired: usize,
    /// Why the run stopped early, if it did: the watermark stays, so the next run covers the gap.
    pub error: Option<String>,
}

impl ReconcileReport {
    /// Adds the run (begun at `started`) to the metrics: `payments_reconcile_runs_total{result}` (`complete`,
    /// `stopped`), `payments_reconcile_events_total{outcome}` (`recorded`, of which `applied`;
    /// `already_stored`; `unreadable`), `payments_reconcile_pending_orders_total{outcome}` (`checked`,
    /// `settled`), `payments_reconcile_sessions_expired_total`, and, for a complete run,
    /// `payments_reconcile_last_complete_timestamp_seconds`.
    fn count(&self, started: DateTime<Utc>) {
        let complete = self.error.is_none();
        let result = if complete { "complete" } else { "stopped" };
        metrics::counter!("payments_reconcile_runs_total", "result" => result).increment(1);
        let n = |count: usize| u64::try_from(count).unwrap_or(u64::MAX);
        for (outcome, count) in [
            ("recorded", self.recorded),
            ("applied", self.applied),
            ("already_stored", self.already_stored),
            ("unreadable", self.unreadable),
        ] {
            metrics::counter!("payments_reconcile_events_total", "outcome" => outcome).increment(n(count));
        }
        for (outcome, count) in [("checked", self.pending_checked), ("settled", self.pending_settled)] {
            metrics::counter!("payments_reconcile_pending_orders_total", "outcome" => outcome)
                .increment(n(count));
        }
        metrics::counter!("payments_reconcile_sessions_expired_total").increment(n(self.sessions_expired));
        if complete {
            // Seconds since 1970 fit an f64 exactly for millions of years.
            #[allow(clippy::cast_precision_loss)]
            metrics::gauge!("payments_reconcile_last_complete_timestamp_seconds")
                .set(started.timestamp() as f64);
        }
    }

    /// One line for a log or a terminal.
    pub fn summary(&self) -> String {
        let since = self.since.map_or_else(|| "-".to_owned(), |at| at.to_rfc3339());
        let mut line = format!(
            "since {since}: {} events listed, {} new recorded ({} changed an order), {} already stored, {} \
             unreadable; {} pending orders checked, {} settled, {} sessions expired",
            self.listed,
            self.recorded,
            self.applied,
            self.already_stored,
            self.unreadable,
            self.pending_checked,
            self.pending_settled,
            self.sessions_expired
        );
        if let Some(error) = &self.error {
            line.push_str(&format!("; stopped early: {error}"));
        }
        line
    }
}

/// The ports reconciliation uses.
#[derive(Clone)]
pub struct ReconcilePorts {
    /// Where events are recorded (as webhooks are).
    pub ingest: WebhookIngest,
    /// Orders, for the sessions' outcomes.
    pub orders: Arc<dyn OrderStore>,
    /// The watermark and the pending orders.
    pub store: Arc<dyn ReconcileStore>,
    /// Stripe's events list.
    pub events: Arc<dyn EventSource>,
    /// Checkout Sessions at Stripe.
    pub gateway: Arc<dyn PaymentGateway>,
    /// The time.
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for ReconcilePorts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReconcilePorts").finish_non_exhaustive()
    }
}

/// Catches up with Stripe: see the module's doc.
#[derive(Clone)]
pub struct Reconciler {
    ports: ReconcilePorts,
    settings: ReconcileSettings,
}

impl std::fmt::Debug for Reconciler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reconciler").field("settings", &self.settings).finish_non_exhaustive()
    }
}

impl Reconciler {
    /// Reconciliation over `ports`, as `settings` says.
    pub fn new(ports: ReconcilePorts, settings: ReconcileSettings) -> Self {
        Self { ports, settings }
    }

    /// One run: the events created in the last `lookback` (else since the watermark less the overlap, else
    /// the first lookback; never before Stripe's retention), then the pending orders. Never fails: what
    /// stopped it is in the report, and the watermark moves only when every event was fetched.
    pub async fn run(&self, lookback: Option<Duration>) -> ReconcileReport {
        let started = self.ports.clock.now();
        let report = self.run_from(started, lookback).await;
        tracing::info!(summary = %report.summary(), "reconciliation run");
        report.count(started);
        report
    }

    async fn run_from(&self, started: DateTime<Utc>, lookback: Option<Duration>) -> ReconcileReport {
        let mut report = ReconcileReport::default();
        let since = match lookback {
            Some(lookback) => started - lookback,
            None => match self.ports.store.reconciled_through().await {
                Ok(Some(through)) => through - self.settings.overlap,
                Ok(None) => started - self.settings.first_lookback,
                Err(error) => {
                    report.error = Some(format!("the store: {error}"));
                    return report;
                }
            },
        };
        let since = since.max(started - STRIPE_EVENT_RETENTION);
        report.since = Some(since);
        if self.fetch_events(since, &mut report).await {
            if let Err(error) = self.ports.store.set_reconciled_through(started).await {
                report.error = Some(format!("the store: {error}"));
            }
        }
        self.check_pending(&mut report).await;
        report
    }

    /// Fetches and records every event since `since`; true when all were fetched.
    async fn fetch_events(&self, since: DateTime<Utc>, report: &mut ReconcileReport) -> bool {
        let mut after: Option<String> = None;
        loop {
            let page = match self.ports.events.list_events(since, after.clone(), self.settings.page).await {
                Ok(page) => page,
                Err(error) => {
                    report.error = Some(format!("Stripe's events list: {error}"));
                    return false;
                }
            };
            for (id, payload) in &page.events {
                report.listed += 1;
                match self.ports.ingest.record_fetched(payload.as_bytes()).await {
                    Ok(RecordOutcome::Duplicate) => report.already_stored += 1,
                    Ok(outcome) => {
                        report.recorded += 1;
                        if matches!(outcome, RecordOutcome::Applied { effect: Effect::Changed { .. }, .. }) {
                            report.applied += 1;
                        }
                        tracing::info!(event_id = %id, ?outcome, "reconciliation recorded an event no webhook brought");
                    }
                    Err(HandleWebhookError::Rejected(error)) => {
                        report.unreadable += 1;
                        tracing::warn!(event_id = %id, %error, "a listed event could not be read");
                    }
                    Err(HandleWebhookError::Store(error)) => {
                        report.error = Some(format!("the store: {error}"));
                        return false;
                    }
                }
            }
            match page.events.last() {
                Some((last, _)) if page.has_more => after = Some(last.clone()),
                _ => return true,
            }
            if report.listed >= self.settings.max_events {
                report.error = Some(format!("stopped after {} events; the next run goes on", report.listed));
                return false;
            }
        }
    }

    /// Checks the sessions of orders pending for longer than `pending_after`.
    async fn check_pending(&self, report: &mut ReconcileReport) {
        let now = self.ports.clock.now();
        let before = now - self.settings.pending_after;
        let pending = match self.ports.store.pending_orders(before, self.settings.max_pending).await {
            Ok(pending) => pending,
            Err(error) => {
                report.error.get_or_insert(format!("the store: {error}"));
                return;
            }
        };
        for order in pending {
            let Some(session) = order.checkout_session_id().cloned() else {
                if let Some(intent) = order.payment_intent_id().cloned() {
                    report.pending_checked += 1;
                    match self.settle_intent(&order, &intent, now).await {
                        Ok(true) => report.pending_settled += 1,
                        Ok(false) => {}
                        Err(error) => {
                            report.error.get_or_insert(format!("the store: {error}"));
                            return;
                        }
                    }
                }
                continue;
            };
            report.pending_checked += 1;
            let snapshot = match self.ports.gateway.retrieve_checkout_session(&session).await {
                Ok(snapshot) => snapshot,
                Err(error) => {
                    tracing::warn!(order_id = %order.id(), %error, "a pending order's session could not be read");
                    continue;
                }
            };
            let lifetime_over =
                order.created_at() + self.settings.session_ttl + self.settings.expiry_grace <= now;
            let snapshot = if snapshot.state == SessionState::Open && lifetime_over {
                match self.ports.gateway.expire_checkout_session(&session).await {
                    Ok(expired) => {
                        report.sessions_expired += 1;
                        tracing::info!(order_id = %order.id(), session_id = %session, "an abandoned session was expired");
                        expired
                    }
                    Err(error) => {
                        tracing::warn!(order_id = %order.id(), %error, "an abandoned session could not be expired");
                        continue;
                    }
                }
            } else {
                snapshot
            };
            match self.settle(&order, &session, &snapshot, now).await {
                Ok(true) => report.pending_settled += 1,
                Ok(false) => {}
                Err(error) => {
                    report.error.get_or_insert(format!("the store: {error}"));
                    return;
                }
            }
        }
    }

    /// Reads the order's PaymentIntent (an order paid through the service's own card form has no session) and
    /// records what it says as an event of its own; true when it changed the order. A failure to read it is
    /// logged and skipped.
    async fn settle_intent(
        &self,
        order: &Order,
        intent: &PaymentIntentId,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let snapshot = match self.ports.gateway.retrieve_payment_intent(intent).await {
            Ok(snapshot) => snapshot,
            Err(error) => {
                tracing::warn!(order_id = %order.id(), %error, "a pending order's payment intent could not be read");
                return Ok(false);
            }
        };
        self.record_reconciled(intent_event(order, &snapshot, now), now).await
    }

    /// Records what the session says of the order as an event of its own; true when it changed the order.
    async fn settle(
        &self,
        order: &Order,
        session: &CheckoutSessionId,
        snapshot: &SessionSnapshot,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.record_reconciled(session_event(order, session, snapshot, now), now).await
    }

    /// Records `received` (when Stripe's state amounts to one); true when it changed the order.
    async fn record_reconciled(
        &self,
        received: Option<ReceivedEvent>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let Some(received) = received else { return Ok(false) };
        let outcome = record::record_event(&*self.ports.orders, &received, now).await?;
        Ok(matches!(outcome, RecordOutcome::Applied { effect: Effect::Changed { .. }, .. }))
    }
}

/// Why a lookback was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a lookback: a whole number and s, m, h or d (72h, 30m, 2d), up to 30 days")]
pub struct BadLookback(pub String);

/// A lookback as an operator writes it: `90s`, `30m`, `72h`, `2d`; at least a second, at most Stripe's 30
/// days.
pub fn parse_lookback(raw: &str) -> Result<Duration, BadLookback> {
    let bad = || BadLookback(raw.chars().take(32).collect());
    let raw = raw.trim();
    let split = raw.len().checked_sub(1).ok_or_else(bad)?;
    let (number, unit) = raw.split_at(split);
    if number.is_empty() || number.len() > 7 || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let count: i64 = number.parse().map_err(|_| bad())?;
    let lookback = match unit {
        "s" => Duration::seconds(count),
        "m" => Duration::minutes(count),
        "h" => Duration::hours(count),
        "d" => Duration::days(count),
        _ => return Err(bad()),
    };
    if lookback < Duration::seconds(1) || lookback > STRIPE_EVENT_RETENTION {
        return Err(bad());
    }
    Ok(lookback)
}

/// The event a session's state amounts to, for `order`: completed or expired (an open session says
/// nothing yet). Its id is `evt_reconciled_<session>_<state>`.
pub fn session_event(
    order: &Order,
    session: &CheckoutSessionId,
    snapshot: &SessionSnapshot,
    now: DateTime<Utc>,
) -> Option<ReceivedEvent> {
    let (event_type, state, kind) = match snapshot.state {
        SessionState::Open => return None,
        SessionState::Complete => (
            "checkout.session.completed",
            "complete",
            PaymentEventKind::CheckoutCompleted {
                payment_status: snapshot.payment_status,
                amount: snapshot.amount_total,
            },
        ),
        SessionState::Expired => ("checkout.session.expired", "expired", PaymentEventKind::CheckoutExpired),
    };
    let object = serde_json::json!({
        "id": session.as_str(),
        "object": "checkout.session",
        "status": state,
        "payment_status": snapshot.payment_status.as_str(),
        "payment_intent": snapshot.payment_intent_id.as_ref().map(|id| id.as_str()),
        "amount_total": snapshot.amount_total.map(|amount| amount.minor()),
        "currency": snapshot.amount_total.map(|amount| amount.currency().to_string()),
        "client_reference_id": order.id().to_string(),
    });
    let refs = EventRefs {
        order_id: Some(order.id()),
        session_id: Some(session.clone()),
        payment_intent_id: snapshot.payment_intent_id.clone(),
    };
    reconciled_event(session.as_str(), state, event_type, kind, refs, object, now)
}

/// The event a PaymentIntent's state amounts to, for `order`: succeeded or canceled (waiting says nothing
/// yet). Its id is `evt_reconciled_<intent>_<state>`.
pub fn intent_event(order: &Order, snapshot: &IntentSnapshot, now: DateTime<Utc>) -> Option<ReceivedEvent> {
    let (event_type, state, kind) = match snapshot.state {
        IntentState::Waiting => return None,
        IntentState::Succeeded => (
            "payment_intent.succeeded",
            "succeeded",
            PaymentEventKind::PaymentSucceeded { amount: snapshot.amount },
        ),
        IntentState::Canceled => ("payment_intent.canceled", "canceled", PaymentEventKind::PaymentCanceled),
    };
    let object = serde_json::json!({
        "id": snapshot.id.as_str(),
        "object": "payment_intent",
        "status": state,
        "amount_received": snapshot.amount.map(|amount| amount.minor()),
        "currency": snapshot.amount.map(|amount| amount.currency().to_string()),
        "metadata": {"order_id": order.id().to_string()},
    });
    let refs = EventRefs {
        order_id: Some(order.id()),
        session_id: None,
        payment_intent_id: Some(snapshot.id.clone()),
    };
    reconciled_event(snapshot.id.as_str(), state, event_type, kind, refs, object, now)
}

/// An event reconciliation makes of what Stripe says of `subject` now: `evt_reconciled_<subject>_<state>` (one
/// per subject and state, so recorded once however many runs see it), in Stripe's envelope around `object`,
/// marked `"reconciled": true`.
fn reconciled_event(
    subject: &str,
    state: &str,
    event_type: &str,
    kind: PaymentEventKind,
    refs: EventRefs,
    object: serde_json::Value,
    now: DateTime<Utc>,
) -> Option<ReceivedEvent> {
    let id = EventId::parse(&format!("evt_reconciled_{subject}_{state}")).ok()?;
    let payload = serde_json::json!({
        "id": id.as_str(),
        "object": "event",
        "type": event_type,
        "created": now.timestamp(),
        "reconciled": true,
        "data": {"object": object},
    });
    let event = PaymentEvent { id, event_type: event_type.to_owned(), created: now, kind, refs };
    Some(ReceivedEvent::new(event, payload.to_string()))
}

#[cfg(test)]
#[path = "reconcile_tests.rs"]
mod tests;
