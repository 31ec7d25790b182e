//! A running emulator: its HTTP server, its expiry sweeper, and the control API as methods.

use crate::config::EmulatorConfig;
use crate::control::{self, ControlError, DelayedOutcome, DisputeOutcome};
use crate::delivery::Delivery;
use crate::model::event::EventRequest;
use crate::shared::Shared;
use crate::store::{PaymentChoice, PaymentResult};
use crate::{api, hosted};
use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpResponse, HttpServer};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use url::Url;

/// How often overdue sessions are expired in the background (they are also expired on every access).
const SWEEP_INTERVAL: Duration = Duration::from_secs(1);

/// A webhook endpoint registered through [`Emulator::add_webhook_endpoint`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRegistration {
    /// `we_…`
    pub id: String,
    /// `whsec_…`: the signing secret.
    pub secret: String,
}

/// A running emulator. Dropping it stops the server without waiting; [`Emulator::stop`] waits.
pub struct Emulator {
    shared: Arc<Shared>,
    local_addr: SocketAddr,
    server: ServerHandle,
    sweeper: JoinHandle<()>,
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("local_addr", &self.local_addr)
            .field("base_url", &self.shared.base_url.as_str())
            .finish_non_exhaustive()
    }
}

/// `http://{addr}/`, with an unspecified address (`0.0.0.0`) replaced by loopback so browsers can use it.
fn default_base_url(addr: SocketAddr) -> Url {
    let mut visible = addr;
    if addr.ip().is_unspecified() {
        visible.set_ip(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    Url::parse(&format!("http://{visible}/")).expect("a socket address makes a valid URL")
}

fn with_trailing_slash(mut url: Url) -> Url {
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    url
}

async fn fallback() -> HttpResponse {
    HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body("Not found")
}

impl Emulator {
    /// Binds `addr` (port 0 picks a free port) and serves the emulator on the current tokio runtime, which
    /// also runs webhook deliveries and the expiry sweeper.
    ///
    /// Errors: the address cannot be bound.
    pub async fn start(addr: SocketAddr, config: EmulatorConfig) -> std::io::Result<Emulator> {
        let listener = TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let local_addr = listener.local_addr()?;
        let base_url = with_trailing_slash(
            config.public_base_url.clone().unwrap_or_else(|| default_base_url(local_addr)),
        );
        let shared = Shared::new(config, base_url, tokio::runtime::Handle::current());

        let app_state = web::Data::from(Arc::clone(&shared));
        let server = HttpServer::new(move || {
            App::new()
                .app_data(app_state.clone())
                .configure(api::configure)
                .configure(hosted::configure)
                .configure(control::routes::configure)
                .default_service(web::to(fallback))
        })
        .workers(2)
        // Embedded in an application or a test: the host handles signals.
        .disable_signals()
        .shutdown_timeout(1)
        .listen(listener)?
        .run();
        let handle = server.handle();
        tokio::spawn(server);

        let sweeper_state = Arc::clone(&shared);
        let sweeper = tokio::spawn(async move {
            loop {
                tokio::time::sleep(SWEEP_INTERVAL).await;
                sweeper_state.with_store(EventRequest::default(), |_| ());
            }
        });
        tracing::info!(%local_addr, base_url = %shared.base_url, "stripe emulator started");
        Ok(Emulator { shared, local_addr, server: handle, sweeper })
    }

    /// How clients and browsers reach the emulator, ending in `/` (e.g. `http://127.0.0.1:40123/`).
    /// Point a Stripe client at it; `session.url` starts with it.
    pub fn base_url(&self) -> Url {
        self.shared.base_url.clone()
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Registers a webhook endpoint directly (as `POST /v1/webhook_endpoints` would) and returns its
    /// `whsec_` secret. `enabled_events` may contain `*`.
    pub fn register_webhook_endpoint(&self, url: &str, enabled_events: &[&str]) -> String {
        self.add_webhook_endpoint(url, enabled_events).secret
    }

    /// Like [`Emulator::register_webhook_endpoint`], also returning the endpoint's id (for
    /// [`Emulator::fail_next_deliveries`]).
    pub fn add_webhook_endpoint(&self, url: &str, enabled_events: &[&str]) -> WebhookRegistration {
        let events = enabled_events.iter().map(|e| (*e).to_owned()).collect();
        self.shared.with_store(EventRequest::default(), |store| {
            let version = Some(crate::model::event::api_version().to_owned());
            let id = store.create_endpoint(url.to_owned(), events, version, None, Default::default());
            let secret = store.endpoints.get(&id).map(|e| e.secret.clone()).unwrap_or_default();
            WebhookRegistration { id, secret }
        })
    }

    /// The emulator's time, in Unix seconds.
    pub fn now(&self) -> i64 {
        self.shared.clock.now()
    }

    /// Moves the emulator's clock forward (sessions past `expires_at` expire at once) and runs the
    /// subscription billing that fell due, in time order (about 1,000 steps; the rest follows in the
    /// background); returns the new time.
    pub fn advance_clock(&self, by: Duration) -> i64 {
        control::advance_clock(&self.shared, i64::try_from(by.as_secs()).unwrap_or(i64::MAX)).0
    }

    /// Expires an open checkout session now.
    ///
    /// Errors: `NotFound`; `Rejected` if the session is not open.
    pub fn expire_session(&self, id: &str) -> Result<(), ControlError> {
        Ok(control::expire_session(&self.shared, id)?)
    }

    /// Pays session `id` with a card number, as a customer submitting the hosted page would (the email is
    /// the session's, or `customer@example.com`).
    ///
    /// Errors: `NotFound`; `Rejected` if the session is not open or the number is not a valid card number.
    pub fn pay_session(&self, id: &str, card_number: &str) -> Result<PaymentResult, ControlError> {
        self.submit_payment(id, PaymentChoice::Card(card_number.to_owned()), None)
    }

    /// Submits the hosted page's form for session `id` with a card or the delayed bank debit; `email` is what
    /// the customer typed (default `customer@example.com`; ignored when the session fixes the email).
    ///
    /// Errors: `NotFound`; `Rejected` if the session is not open, the method is not offered, or the card
    /// number or email is invalid.
    pub fn submit_payment(
        &self,
        id: &str,
        choice: PaymentChoice,
        email: Option<&str>,
    ) -> Result<PaymentResult, ControlError> {
        let email = email.unwrap_or(control::PLACEHOLDER_EMAIL);
        Ok(control::pay(&self.shared, id, choice, Some(email))?)
    }

    /// Completes (`true`) or fails the pending 3-D Secure step of session `id`.
    ///
    /// Errors: `NotFound`; `Rejected` if no 3-D Secure step is pending.
    pub fn complete_three_d_secure(&self, id: &str, complete: bool) -> Result<PaymentResult, ControlError> {
        Ok(control::three_d_secure(&self.shared, id, complete)?)
    }

    /// Completes (`true`) or fails the pending 3-D Secure step of payment intent `id`, one confirmed
    /// through `POST /v1/payment_intents/{id}/confirm`: `Succeeded`, or `Declined` with
    /// `payment_intent_authentication_failure`.
    ///
    /// Errors: `NotFound`; `Rejected` if no 3-D Secure step is pending.
    pub fn complete_payment_intent_action(
        &self,
        id: &str,
        complete: bool,
    ) -> Result<PaymentResult, ControlError> {
        Ok(control::payment_intent_action(&self.shared, id, complete)?)
    }

    /// Settles the delayed bank debit of session `id`.
    ///
    /// Errors: `NotFound`; `Rejected` if no delayed debit is processing for it.
    pub fn settle_delayed_payment(&self, id: &str, outcome: DelayedOutcome) -> Result<(), ControlError> {
        Ok(control::settle(&self.shared, id, outcome)?)
    }

    /// Opens a dispute (`needs_response`) on a succeeded charge, given the charge's id or its payment
    /// intent's; returns the dispute's id.
    ///
    /// Errors: `NotFound`; `Rejected` if the charge has not succeeded or is already disputed.
    pub fn open_dispute(&self, charge_or_payment_intent: &str) -> Result<String, ControlError> {
        Ok(control::open_dispute(&self.shared, charge_or_payment_intent, None)?)
    }

    /// Closes an open dispute as won or lost (`charge.dispute.closed`).
    ///
    /// Errors: `NotFound`; `Rejected` if it is already closed.
    pub fn close_dispute(&self, id: &str, outcome: DisputeOutcome) -> Result<(), ControlError> {
        Ok(control::close_dispute(&self.shared, id, outcome)?)
    }

    /// Delivers an event again, to `endpoint` or to every endpoint that wants it; returns the new
    /// deliveries' ids.
    ///
    /// Errors: `NotFound` for an unknown event or endpoint.
    pub fn resend_event(&self, id: &str, endpoint: Option<&str>) -> Result<Vec<String>, ControlError> {
        Ok(control::resend_event(&self.shared, id, endpoint)?)
    }

    /// Makes the next `count` delivery attempts to endpoint `id` fail without being sent (they are retried
    /// on the schedule like any failure).
    ///
    /// Errors: `NotFound` for an unknown endpoint.
    pub fn fail_next_deliveries(&self, endpoint_id: &str, count: u32) -> Result<(), ControlError> {
        Ok(control::fail_next_deliveries(&self.shared, endpoint_id, count)?)
    }

    /// Every webhook delivery so far, oldest first, with its attempts.
    pub fn deliveries(&self) -> Vec<Delivery> {
        control::deliveries(&self.shared)
    }

    /// Every event so far, oldest first, in Stripe's envelope.
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.shared
            .with_store(EventRequest::default(), |store| store.events.iter().map(|e| e.to_json()).collect())
    }

    /// Waits until no webhook delivery has attempts left to make; `false` if `timeout` passed first.
    pub async fn wait_for_deliveries(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if !self.shared.deliveries().any_pending() {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Forgets every object, event, endpoint, delivery and idempotency key, stops pending retries and puts
    /// the clock back to real time.
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// Stops the server (finishing requests in flight) and every background task.
    pub async fn stop(self) {
        self.server.stop(true).await;
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.sweeper.abort();
        // Stops retries still sleeping: they check the generation before each attempt.
        self.shared.reset();
        // Sends the stop command now; the returned future only waits for completion.
        drop(self.server.stop(false));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unspecified_address_is_reached_through_loopback_and_urls_end_in_a_slash() {
        let any = default_base_url("0.0.0.0:12111".parse().unwrap());
        assert_eq!(any.as_str(), "http://127.0.0.1:12111/");
        let bound = default_base_url("127.0.0.1:4000".parse().unwrap());
        assert_eq!(bound.as_str(), "http://127.0.0.1:4000/");
        let public = with_trailing_slash(Url::parse("https://pay.example/stripe").unwrap());
        assert_eq!(public.as_str(), "https://pay.example/stripe/");
    }
}
