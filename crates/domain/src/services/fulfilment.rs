//! The fulfilment outbox's two jobs: delivering entries to the shop's endpoints ([`Deliveries`]), and the
//! operator's and the feed's reads ([`Outbox`]).
//!
//! Delivery is at least once: an entry is claimed (with a lease), sent to every endpoint that has not yet
//! answered 2xx, then its answer recorded. A crash between sending and recording sends it again once the
//! lease has run out, so a shop dedupes by the entry's id.

use crate::model::outbox::{Attempt, FeedCursor, NoticeSubject, OutboxBacklog, OutboxEntry, OutboxStatus};
use crate::ports::clock::Clock;
use crate::ports::notice_sender::NoticeSender;
use crate::ports::order_store::StoreError;
use crate::ports::outbox_store::OutboxStore;
use chrono::Duration;
use futures::StreamExt;
use std::sync::Arc;
use url::Url;
use uuid::Uuid;

/// The most entries one page of the feed or of an outbox listing holds.
pub const MAX_OUTBOX_PAGE: u32 = 500;

/// How entries are delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliverySettings {
    /// The shop's endpoints; every entry goes to each.
    pub endpoints: Vec<Url>,
    /// The delay before the first retry (later ones double, up to `max_retry`), before jitter.
    pub first_retry: Duration,
    /// The longest delay between two attempts.
    pub max_retry: Duration,
    /// How old an entry may be and still be retried; once older, a failed attempt makes it dead.
    pub give_up_after: Duration,
    /// How long a claimed entry is kept from other claims while it is being sent: longer than the sender's
    /// deadline times the number of endpoints.
    pub lease: Duration,
    /// How many entries one round claims.
    pub batch: u32,
    /// How many entries are sent at once.
    pub concurrency: usize,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self {
            endpoints: Vec::new(),
            first_retry: Duration::seconds(5),
            max_retry: Duration::hours(1),
            give_up_after: Duration::days(3),
            lease: Duration::minutes(2),
            batch: 100,
            concurrency: 16,
        }
    }
}

impl DeliverySettings {
    /// The delay after the `attempts`-th failed attempt on entry `id`: `first_retry` doubled for each
    /// attempt before it, at most `max_retry`, then scaled by a jitter between one half and one, fixed by the
    /// id and the attempt (so entries that failed together spread out, and a test can predict it).
    pub fn retry_delay(&self, id: Uuid, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1).min(30);
        let base = self.first_retry.num_milliseconds().saturating_mul(1 << doublings);
        let capped = base.min(self.max_retry.num_milliseconds()).max(0);
        let jitter = 0.5 + 0.5 * ((mix(id, attempts) >> 11) as f64 / (1u64 << 53) as f64);
        Duration::milliseconds((capped as f64 * jitter) as i64)
    }
}

/// A well-spread 64-bit number from an entry id and an attempt (splitmix64's finaliser over both).
fn mix(id: Uuid, attempts: u32) -> u64 {
    let bits = id.as_u128();
    let mut z = (bits as u64) ^ ((bits >> 64) as u64).rotate_left(32) ^ u64::from(attempts);
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// What one delivery round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    /// Entries claimed.
    pub claimed: usize,
    /// Delivered to every endpoint.
    pub delivered: usize,
    /// Failed somewhere, to be tried again.
    pub retried: usize,
    /// Failed somewhere and given up on.
    pub dead: usize,
}

/// Delivers due entries to the shop's endpoints.
#[derive(Clone)]
pub struct Deliveries {
    store: Arc<dyn OutboxStore>,
    sender: Arc<dyn NoticeSender>,
    clock: Arc<dyn Clock>,
    settings: DeliverySettings,
}

impl std::fmt::Debug for Deliveries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deliveries").field("settings", &self.settings).finish_non_exhaustive()
    }
}

impl Deliveries {
    /// Delivery through `sender` of what `store` holds, as `settings` says.
    pub fn new(
        store: Arc<dyn OutboxStore>,
        sender: Arc<dyn NoticeSender>,
        clock: Arc<dyn Clock>,
        settings: DeliverySettings,
    ) -> Self {
        Self { store, sender, clock, settings }
    }

    /// Claims the entries due, sends each to the endpoints that have not taken it yet, and records what
    /// each attempt did; with no endpoint, claims nothing. Errors: the store's, when it cannot claim; a
    /// failure to record an answer is logged and leaves the entry to be sent again once its lease runs out.
    pub async fn run_once(&self) -> Result<Round, StoreError> {
        // Nowhere to send: nothing is claimed (an entry sent to no endpoint must not count as delivered).
        if self.settings.endpoints.is_empty() {
            return Ok(Round::default());
        }
        let now = self.clock.now();
        let claimed = self.store.claim_due(now, now + self.settings.lease, self.settings.batch).await?;
        let mut round = Round { claimed: claimed.len(), ..Round::default() };
        let attempts: Vec<Attempt> = futures::stream::iter(claimed)
            .map(|entry| self.deliver(entry))
            .buffer_unordered(self.settings.concurrency.max(1))
            .collect()
            .await;
        for attempt in attempts {
            match attempt {
                Attempt::Delivered { .. } => round.delivered += 1,
                Attempt::Retry { .. } => round.retried += 1,
                Attempt::Dead { .. } => round.dead += 1,
            }
        }
        Ok(round)
    }

    /// Sends one claimed entry and records the attempt.
    async fn deliver(&self, entry: OutboxEntry) -> Attempt {
        let body = body(&entry);
        let mut delivered_to = entry.delivered_to.clone();
        let mut failures = Vec::new();
        for endpoint in &self.settings.endpoints {
            if delivered_to.iter().any(|done| done == endpoint.as_str()) {
                continue;
            }
            match self.sender.send(endpoint, &body, self.clock.now()).await {
                Ok(()) => delivered_to.push(endpoint.as_str().to_owned()),
                Err(failure) => failures.push(format!("{}: {failure}", endpoint_name(endpoint))),
            }
        }
        let now = self.clock.now();
        let attempt = if failures.is_empty() {
            Attempt::Delivered { at: now }
        } else if now - entry.created_at >= self.settings.give_up_after {
            Attempt::Dead { error: failures.join("; ") }
        } else {
            let next = now + self.settings.retry_delay(entry.id, entry.attempts);
            Attempt::Retry { next, error: failures.join("; ") }
        };
        let result = match &attempt {
            Attempt::Delivered { .. } => "delivered",
            Attempt::Retry { .. } => "retry",
            Attempt::Dead { .. } => "dead",
        };
        metrics::counter!("payments_outbox_deliveries_total", "result" => result).increment(1);
        match &attempt {
            Attempt::Delivered { .. } => {
                tracing::info!(entry_id = %entry.id, kind = %entry.kind, subject = %entry.subject, "outbox entry delivered")
            }
            Attempt::Retry { next, error } => {
                tracing::warn!(entry_id = %entry.id, attempts = entry.attempts, %next, %error, "outbox entry not delivered; retrying")
            }
            Attempt::Dead { error } => {
                tracing::error!(entry_id = %entry.id, attempts = entry.attempts, %error, "outbox entry given up on")
            }
        }
        if let Err(error) = self.store.record_attempt(entry.id, attempt.clone(), delivered_to).await {
            tracing::error!(entry_id = %entry.id, %error, "an outbox attempt could not be recorded; it is sent again after its lease");
        }
        attempt
    }
}

/// An endpoint as an operator sees it in errors and logs: scheme, host, port and path, never its user
/// information or query (where a secret may sit).
pub fn endpoint_name(endpoint: &Url) -> String {
    let port = endpoint.port().map(|port| format!(":{port}")).unwrap_or_default();
    format!("{}://{}{port}{}", endpoint.scheme(), endpoint.host_str().unwrap_or(""), endpoint.path())
}

/// What an entry's POST carries: `{"id", "object": "event", "type", "created", "order_id",
/// "subscription_id", "sequence", "data": {"object": <the order or subscription view>}}`, with one of
/// `order_id` and `subscription_id` null.
pub fn body(entry: &OutboxEntry) -> String {
    let (order_id, subscription_id) = match &entry.subject {
        NoticeSubject::Order(id) => (format!(r#""{id}""#), "null".to_owned()),
        // Stripe ids are letters, digits and underscores (`SubscriptionId::parse`): nothing to escape.
        NoticeSubject::Subscription(id) => ("null".to_owned(), format!(r#""{id}""#)),
    };
    format!(
        r#"{{"id":"{}","object":"event","type":"{}","created":{},"order_id":{order_id},"subscription_id":{subscription_id},"sequence":{},"data":{{"object":{}}}}}"#,
        entry.id,
        entry.kind,
        entry.created_at.timestamp(),
        entry.sequence,
        entry.payload
    )
}

/// Why an outbox request was refused.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// No entry has that id.
    #[error("no outbox entry {0}")]
    NotFound(Uuid),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One page of the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedPage {
    /// The entries, in feed order.
    pub entries: Vec<OutboxEntry>,
    /// Where the next page starts: the last entry's cursor, or the one asked for when the page is empty.
    pub next: Option<FeedCursor>,
    /// True when the page is full, so more may follow at once.
    pub has_more: bool,
}

/// The outbox as operators and feed readers see it.
#[derive(Clone)]
pub struct Outbox {
    store: Arc<dyn OutboxStore>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox").finish_non_exhaustive()
    }
}

impl Outbox {
    /// The outbox `store` holds.
    pub fn new(store: Arc<dyn OutboxStore>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// Entries with `status`, oldest first, at most `limit` (1 to [`MAX_OUTBOX_PAGE`]).
    pub async fn list(&self, status: OutboxStatus, limit: u32) -> Result<Vec<OutboxEntry>, StoreError> {
        self.store.list_outbox(status, limit.clamp(1, MAX_OUTBOX_PAGE)).await
    }

    /// Makes entry `id` pending and due now. Errors: [`OutboxError::NotFound`]; the store's.
    pub async fn redeliver(&self, id: Uuid) -> Result<OutboxEntry, OutboxError> {
        let entry = self.store.redeliver(id, self.clock.now()).await?.ok_or(OutboxError::NotFound(id))?;
        tracing::info!(entry_id = %id, "outbox entry to be delivered again");
        Ok(entry)
    }

    /// How far delivery is behind, and the oldest pending entry's age now (for metrics).
    pub async fn backlog(&self) -> Result<(OutboxBacklog, Option<Duration>), StoreError> {
        let backlog = self.store.backlog().await?;
        let age = backlog.oldest_pending.map(|at| (self.clock.now() - at).max(Duration::zero()));
        Ok((backlog, age))
    }

    /// The entries after `after`, at most `limit` (1 to [`MAX_OUTBOX_PAGE`]).
    pub async fn feed(&self, after: Option<FeedCursor>, limit: u32) -> Result<FeedPage, StoreError> {
        let limit = limit.clamp(1, MAX_OUTBOX_PAGE);
        let entries = self.store.feed(after, limit).await?;
        let next = entries.last().map(|entry| entry.cursor).or(after);
        let has_more = entries.len() == limit as usize;
        Ok(FeedPage { entries, next, has_more })
    }
}

#[cfg(test)]
#[path = "fulfilment_tests.rs"]
mod tests;
