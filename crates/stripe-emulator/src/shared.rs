//! The state every handler, background task and library call shares.

use crate::clock::Clock;
use crate::config::EmulatorConfig;
use crate::delivery::{self, DeliveryLog};
use crate::idempotency::IdempotencyCache;
use crate::model::event::EventRequest;
use crate::store::{BillingSettings, Store};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use url::Url;

/// The emulator's shared state.
#[derive(Debug)]
pub struct Shared {
    store: Mutex<Store>,
    idempotency: Mutex<IdempotencyCache>,
    deliveries: Mutex<DeliveryLog>,
    /// The emulator's clock.
    pub clock: Clock,
    /// The configuration it was started with.
    pub config: EmulatorConfig,
    /// How browsers reach it, ending in `/`.
    pub base_url: Url,
    http: reqwest::Client,
    runtime: tokio::runtime::Handle,
    /// Bumped by a reset, so deliveries started before it stop.
    generation: AtomicU64,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves data a test may still want to read: keep going.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    /// New state; background tasks run on `runtime`.
    pub fn new(config: EmulatorConfig, base_url: Url, runtime: tokio::runtime::Handle) -> Arc<Self> {
        let http = reqwest::Client::builder()
            // Stripe does not follow redirects from webhook endpoints: a 3xx is a failed attempt.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Arc::new(Shared {
            store: Mutex::new(Store::new(base_url.clone(), BillingSettings::from(&config))),
            idempotency: Mutex::new(IdempotencyCache::default()),
            deliveries: Mutex::new(DeliveryLog::default()),
            clock: Clock::default(),
            config,
            base_url,
            http,
            runtime,
            generation: AtomicU64::new(0),
        })
    }

    /// Runs `f` on the store at the emulator's current time, after expiring overdue sessions and running
    /// the subscription billing that fell due (a bounded number of steps), then starts
    /// the deliveries of the events it emitted. `request` is recorded on those events.
    pub fn with_store<T>(self: &Arc<Self>, request: EventRequest, f: impl FnOnce(&mut Store) -> T) -> T {
        let (out, jobs) = {
            let mut store = lock(&self.store);
            store.now = self.clock.now();
            // Expiry is Stripe's own doing, not the request's.
            store.request = EventRequest::default();
            store.expire_due();
            store.run_billing(crate::store::BILLING_STEPS_PER_PASS);
            store.request = request;
            let out = f(&mut store);
            store.request = EventRequest::default();
            (out, store.take_outbox())
        };
        delivery::dispatch(self, jobs);
        out
    }

    /// The idempotency cache.
    pub fn idempotency(&self) -> MutexGuard<'_, IdempotencyCache> {
        lock(&self.idempotency)
    }

    /// The delivery log.
    pub fn deliveries(&self) -> MutexGuard<'_, DeliveryLog> {
        lock(&self.deliveries)
    }

    /// The client deliveries are sent with.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Runs a background task on the runtime the emulator was started on.
    pub fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        self.runtime.spawn(task);
    }

    /// The current reset generation.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Whether webhook endpoint `id` still exists.
    pub fn endpoint_exists(&self, id: &str) -> bool {
        lock(&self.store).endpoints.contains(id)
    }

    /// Counts an acknowledged delivery of `event_id`.
    pub fn acknowledge(&self, event_id: &str) {
        lock(&self.store).acknowledge(event_id);
    }

    /// Forgets every object, event, delivery and idempotency key, stops pending retries and puts the
    /// clock back to real time.
    pub fn reset(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        *lock(&self.store) = Store::new(self.base_url.clone(), BillingSettings::from(&self.config));
        *lock(&self.deliveries) = DeliveryLog::default();
        self.idempotency().clear();
        self.clock.reset();
    }
}
