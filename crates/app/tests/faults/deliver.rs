//! Webhook deliveries the way Stripe makes them: each event signed at every attempt and sent to the endpoint,
//! retried with exponential backoff after anything but a 2xx (an error status, a refused or cut connection, a
//! timeout) until it is acknowledged. Stripe's schedule runs over hours; here it is scaled down: the first
//! retry after 250 ms, doubling up to 4 s. Every attempt is recorded with its answer and how long it took.

use crate::scenario::PlannedEvent;
use crate::service::WEBHOOK_SECRET;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Stripe waits this long for an answer; a longer one counts as a failed attempt (and, in these tests, a hang).
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);

/// How deliveries are made.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The webhook URLs; attempt `k` of delivery `d` goes to `endpoints[(d + k) % len]`.
    pub endpoints: Vec<String>,
    /// New deliveries started per second (retries come on top).
    pub rate: f64,
    /// Most attempts in flight at once.
    pub in_flight: usize,
    /// A delivery not acknowledged this long after its first attempt is given up (the test then fails).
    pub give_up: Duration,
}

/// What one attempt got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// An HTTP answer: its status, the error code or the outcome of its JSON body, and whether it had
    /// `Retry-After`.
    Http { status: u16, code: Option<String>, outcome: Option<String>, retry_after: bool },
    /// No answer: the connection was refused or cut, or the client timed out.
    Failed { timed_out: bool, error: String },
}

impl Answer {
    /// A 2xx.
    pub fn acknowledged(&self) -> bool {
        matches!(self, Answer::Http { status, .. } if (200..300).contains(status))
    }

    /// 503 `store_unavailable` with `Retry-After`.
    pub fn unavailable(&self) -> bool {
        matches!(self, Answer::Http { status: 503, code: Some(code), retry_after: true, .. }
            if code == "store_unavailable")
    }
}

/// One attempt.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// Which delivery (an index into the deliveries given).
    pub delivery: usize,
    /// Which event (an index into the events given).
    pub event: usize,
    /// Which endpoint it went to (an index into the plan's endpoints).
    pub endpoint: usize,
    /// When it was sent, from the start of the run.
    pub at: Duration,
    /// How long until its answer was read.
    pub took: Duration,
    /// The answer.
    pub answer: Answer,
}

impl Attempt {
    /// When its answer came, from the start of the run.
    pub fn end(&self) -> Duration {
        self.at + self.took
    }
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct Report {
    /// When the run started (attempts' times count from it).
    pub started: Instant,
    /// Every attempt, in the order they ended.
    pub attempts: Vec<Attempt>,
    /// For each delivery, its event.
    pub deliveries: Vec<usize>,
    /// For each delivery, when it was acknowledged (from the start of the run), if it was.
    pub acked: Vec<Option<Duration>>,
}

impl Report {
    /// The events acknowledged at least once (indices into the events given).
    pub fn acknowledged_events(&self) -> std::collections::HashSet<usize> {
        self.deliveries.iter().zip(&self.acked).filter(|(_, ack)| ack.is_some()).map(|(e, _)| *e).collect()
    }

    /// The attempts that got an HTTP answer.
    pub fn answers(&self) -> impl Iterator<Item = &Attempt> {
        self.attempts.iter().filter(|attempt| matches!(attempt.answer, Answer::Http { .. }))
    }

    /// This run and a later one as one: `later`'s deliveries numbered after these, its times counted from this
    /// run's start.
    pub fn and(mut self, later: Report) -> Report {
        let offset = later.started.saturating_duration_since(self.started);
        let first = self.deliveries.len();
        self.attempts.extend(later.attempts.into_iter().map(|attempt| Attempt {
            delivery: attempt.delivery + first,
            at: attempt.at + offset,
            ..attempt
        }));
        self.deliveries.extend(later.deliveries);
        self.acked.extend(later.acked.into_iter().map(|ack| ack.map(|at| at + offset)));
        self
    }
}

/// Deliveries under way.
#[derive(Debug)]
pub struct Run {
    started: Instant,
    acked: Arc<AtomicUsize>,
    handle: tokio::task::JoinHandle<Report>,
}

impl Run {
    /// Starts delivering `deliveries` (indices into `events`) with `plan`, in the background.
    pub fn start(events: &[PlannedEvent], deliveries: Vec<usize>, plan: Plan) -> Run {
        let started = Instant::now();
        let acked = Arc::new(AtomicUsize::new(0));
        let client = reqwest::Client::builder()
            .timeout(CLIENT_TIMEOUT)
            .pool_max_idle_per_host(plan.in_flight)
            .build()
            .expect("an HTTP client");
        let bodies: Vec<_> = events.iter().map(|event| event.body.clone()).collect();
        let shared = Shared {
            client,
            plan,
            permits: Semaphore::new(0),
            attempts: Mutex::default(),
            acked: acked.clone(),
            started,
        };
        shared.permits.add_permits(shared.plan.in_flight.max(1));
        let handle = tokio::spawn(dispatch(Arc::new(shared), bodies, deliveries));
        Run { started, acked, handle }
    }

    /// How long it has run.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// How many deliveries were acknowledged so far.
    pub fn acknowledged(&self) -> usize {
        self.acked.load(Ordering::SeqCst)
    }

    /// Waits until `count` deliveries are acknowledged.
    ///
    /// # Panics
    /// After `within`.
    pub async fn wait_acknowledged(&self, count: usize, within: Duration) {
        let deadline = Instant::now() + within;
        while self.acknowledged() < count {
            assert!(
                Instant::now() < deadline,
                "only {} deliveries were acknowledged within {within:?}, waiting for {count}",
                self.acknowledged()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits for every delivery to be acknowledged or given up, and reports.
    ///
    /// # Panics
    /// After `within`.
    pub async fn finish(self, within: Duration) -> Report {
        match tokio::time::timeout(within, self.handle).await {
            Ok(report) => report.expect("the deliveries ran to the end"),
            Err(_) => panic!("the deliveries did not end within {within:?}"),
        }
    }
}

struct Shared {
    client: reqwest::Client,
    plan: Plan,
    permits: Semaphore,
    attempts: Mutex<Vec<Attempt>>,
    acked: Arc<AtomicUsize>,
    started: Instant,
}

/// Starts each delivery at its time (`plan.rate`), then waits for all of them.
async fn dispatch(shared: Arc<Shared>, bodies: Vec<Arc<Vec<u8>>>, deliveries: Vec<usize>) -> Report {
    let mut tasks = Vec::with_capacity(deliveries.len());
    for (delivery, &event) in deliveries.iter().enumerate() {
        let due = shared.started + Duration::from_secs_f64(delivery as f64 / shared.plan.rate);
        tokio::time::sleep_until(due.into()).await;
        let (shared, body) = (shared.clone(), bodies[event].clone());
        tasks.push(tokio::spawn(async move { deliver(&shared, delivery, event, &body).await }));
    }
    let mut acked = Vec::with_capacity(tasks.len());
    for task in tasks {
        acked.push(task.await.expect("a delivery task"));
    }
    let attempts = std::mem::take(&mut *shared.attempts.lock().expect("attempts lock"));
    Report { started: shared.started, attempts, deliveries, acked }
}

/// Attempts one delivery until it is acknowledged or given up; returns when it was acknowledged.
async fn deliver(shared: &Shared, delivery: usize, event: usize, body: &Arc<Vec<u8>>) -> Option<Duration> {
    let first = Instant::now();
    let endpoints = &shared.plan.endpoints;
    for attempt in 0u32.. {
        let permit = shared.permits.acquire().await.expect("the permits stay open");
        let endpoint = (delivery + attempt as usize) % endpoints.len();
        let header = payments_stripe::signature_header(WEBHOOK_SECRET, chrono::Utc::now().timestamp(), body);
        let at = shared.started.elapsed();
        let sent = Instant::now();
        let answer = send(&shared.client, &endpoints[endpoint], header, body).await;
        let took = sent.elapsed();
        drop(permit);
        let acknowledged = answer.acknowledged();
        shared.attempts.lock().expect("attempts lock").push(Attempt {
            delivery,
            event,
            endpoint,
            at,
            took,
            answer,
        });
        if acknowledged {
            shared.acked.fetch_add(1, Ordering::SeqCst);
            return Some(at + took);
        }
        if first.elapsed() > shared.plan.give_up {
            return None;
        }
        tokio::time::sleep(backoff(attempt)).await;
    }
    None
}

/// Stripe's exponential backoff, scaled down: 250 ms, doubling, at most 4 s.
fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(250u64.saturating_mul(1 << attempt.min(4)))
}

async fn send(client: &reqwest::Client, endpoint: &str, header: String, body: &[u8]) -> Answer {
    let sent = client
        .post(endpoint)
        .header("content-type", "application/json")
        .header("stripe-signature", header)
        .body(body.to_vec())
        .send()
        .await;
    let response = match sent {
        Ok(response) => response,
        Err(error) => return Answer::Failed { timed_out: error.is_timeout(), error: error.to_string() },
    };
    let status = response.status().as_u16();
    let retry_after = response.headers().contains_key("retry-after");
    let body = match response.bytes().await {
        Ok(body) => body,
        Err(error) => return Answer::Failed { timed_out: error.is_timeout(), error: error.to_string() },
    };
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let text = |value: &serde_json::Value| value.as_str().map(str::to_owned);
    Answer::Http { status, code: text(&json["error"]["code"]), outcome: text(&json["outcome"]), retry_after }
}
