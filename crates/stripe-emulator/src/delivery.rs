//! Webhook delivery: a background task per delivery POSTs the signed event, each attempt with its own
//! timeout, and retries on anything but a 2xx after the delays of the configured retry schedule.

mod log;
mod signature;

pub use log::{Delivery, DeliveryAttempt, DeliveryLog, DeliveryStatus};

use crate::clock::real_now;
use crate::ids;
use crate::model::event::Event;
use crate::model::webhook_endpoint::WebhookEndpoint;
use crate::shared::Shared;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// An event to deliver to one endpoint.
#[derive(Debug, Clone)]
pub struct DeliveryJob {
    event: String,
    event_type: String,
    endpoint: String,
    url: String,
    secret: String,
    payload: String,
}

impl DeliveryJob {
    /// Delivery of `event` (already rendered as `payload`) to `endpoint`.
    pub fn new(event: &Event, endpoint: &WebhookEndpoint, payload: String) -> Self {
        DeliveryJob {
            event: event.id.clone(),
            event_type: event.event_type.clone(),
            endpoint: endpoint.id.clone(),
            url: endpoint.url.clone(),
            secret: endpoint.secret.clone(),
            payload,
        }
    }
}

/// Records and starts each job's delivery; returns the deliveries' ids.
pub fn dispatch(shared: &Arc<Shared>, jobs: Vec<DeliveryJob>) -> Vec<String> {
    let generation = shared.generation();
    jobs.into_iter()
        .map(|job| {
            let id = ids::new_id("whdel_");
            shared.deliveries().start(Delivery {
                id: id.clone(),
                event: job.event.clone(),
                event_type: job.event_type.clone(),
                webhook_endpoint: job.endpoint.clone(),
                url: job.url.clone(),
                status: DeliveryStatus::Pending,
                attempts: Vec::new(),
            });
            shared.spawn(deliver(Arc::clone(shared), job, id.clone(), generation));
            id
        })
        .collect()
}

async fn deliver(shared: Arc<Shared>, job: DeliveryJob, delivery_id: String, generation: u64) {
    let schedule = shared.config.retry_schedule.clone();
    for number in 1..=schedule.len() + 1 {
        // A reset or a deleted endpoint ends the retries, as deleting an endpoint does on Stripe.
        if shared.generation() != generation || !shared.endpoint_exists(&job.endpoint) {
            shared.deliveries().abandon(&delivery_id);
            return;
        }
        let injected = shared.deliveries().take_injected_failure(&job.endpoint);
        let attempted_at = real_now();
        let started = Instant::now();
        let outcome = if injected {
            Err("failure injected through the control API (not sent)".to_owned())
        } else {
            send(&shared, &job, attempted_at).await
        };
        let succeeded = matches!(outcome, Ok(code) if (200..300).contains(&code));
        let retry_after = schedule.get(number - 1).copied();
        let status = match (succeeded, retry_after) {
            (true, _) => DeliveryStatus::Succeeded,
            (false, Some(_)) => DeliveryStatus::Pending,
            (false, None) => DeliveryStatus::Failed,
        };
        let attempt = DeliveryAttempt {
            number: u32::try_from(number).unwrap_or(u32::MAX),
            attempted_at,
            status_code: outcome.as_ref().ok().copied(),
            error: outcome.err(),
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            succeeded,
        };
        tracing::debug!(event = %job.event, endpoint = %job.endpoint, ?attempt, "webhook delivery attempt");
        if shared.generation() != generation {
            return;
        }
        // Acknowledged before the success is recorded: whoever sees the delivery done (as
        // `Emulator::wait_for_deliveries` does) sees the event's `pending_webhooks` counted down too.
        if succeeded {
            shared.acknowledge(&job.event);
        }
        shared.deliveries().record(&delivery_id, attempt, status);
        if succeeded {
            return;
        }
        match retry_after {
            Some(delay) => tokio::time::sleep(delay).await,
            None => return,
        }
    }
}

/// One signed POST; the endpoint's status code, or why there was none.
async fn send(shared: &Shared, job: &DeliveryJob, timestamp: i64) -> Result<u16, String> {
    let timeout = shared.config.delivery_timeout;
    let result = shared
        .http()
        .post(&job.url)
        .header("Content-Type", "application/json; charset=utf-8")
        .header("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
        .header("Stripe-Signature", signature::header(&job.secret, timestamp, &job.payload))
        .body(job.payload.clone())
        .timeout(timeout)
        .send()
        .await;
    match result {
        Ok(response) => Ok(response.status().as_u16()),
        Err(error) if error.is_timeout() => Err(format!("timed out after {}", describe(timeout))),
        Err(error) => Err(chain(&error)),
    }
}

fn describe(duration: Duration) -> String {
    format!("{} ms", duration.as_millis())
}

/// An error and its causes (reqwest's own message rarely says what went wrong).
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
