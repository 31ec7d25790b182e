//! The record of every webhook delivery and each of its attempts, and the failures injected for tests.

use serde::Serialize;
use std::collections::HashMap;

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not yet acknowledged; more attempts are scheduled.
    Pending,
    /// An attempt got a 2xx answer.
    Succeeded,
    /// Every attempt failed, or the endpoint was deleted, or the emulator was reset.
    Failed,
}

/// One try to deliver an event to an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryAttempt {
    /// 1 for the first attempt.
    pub number: u32,
    /// When it started, in real Unix seconds (the time in its `Stripe-Signature`).
    pub attempted_at: i64,
    /// The endpoint's HTTP status, if it answered.
    pub status_code: Option<u16>,
    /// Why there was no answer (connection refused, timeout) or why the attempt was failed on purpose.
    pub error: Option<String>,
    /// How long it took, in milliseconds.
    pub duration_ms: u64,
    /// Whether the endpoint answered 2xx.
    pub succeeded: bool,
}

/// The delivery of one event to one endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    /// `whdel_…`
    pub id: String,
    /// The event's id.
    pub event: String,
    /// The event's type.
    pub event_type: String,
    /// The endpoint's id.
    pub webhook_endpoint: String,
    /// Where it was sent.
    pub url: String,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Every attempt so far, oldest first.
    pub attempts: Vec<DeliveryAttempt>,
}

/// All deliveries, oldest first, and the failures still to inject per endpoint.
#[derive(Debug, Default)]
pub struct DeliveryLog {
    deliveries: Vec<Delivery>,
    fail_next: HashMap<String, u32>,
}

impl DeliveryLog {
    /// Records a new pending delivery.
    pub fn start(&mut self, delivery: Delivery) {
        self.deliveries.push(delivery);
    }

    /// Records an attempt and its effect on the delivery's status.
    pub fn record(&mut self, delivery_id: &str, attempt: DeliveryAttempt, status: DeliveryStatus) {
        if let Some(delivery) = self.deliveries.iter_mut().find(|d| d.id == delivery_id) {
            delivery.attempts.push(attempt);
            delivery.status = status;
        }
    }

    /// Marks a delivery failed without a further attempt.
    pub fn abandon(&mut self, delivery_id: &str) {
        if let Some(delivery) = self.deliveries.iter_mut().find(|d| d.id == delivery_id) {
            delivery.status = DeliveryStatus::Failed;
        }
    }

    /// Makes the next `count` attempts to `endpoint` fail without being sent.
    pub fn fail_next(&mut self, endpoint: &str, count: u32) {
        self.fail_next.insert(endpoint.to_owned(), count);
    }

    /// Whether this attempt to `endpoint` must fail (and counts it).
    pub fn take_injected_failure(&mut self, endpoint: &str) -> bool {
        match self.fail_next.get_mut(endpoint) {
            Some(left) if *left > 0 => {
                *left -= 1;
                true
            }
            _ => false,
        }
    }

    /// Every delivery, oldest first.
    pub fn all(&self) -> Vec<Delivery> {
        self.deliveries.clone()
    }

    /// Whether any delivery still has attempts to make.
    pub fn any_pending(&self) -> bool {
        self.deliveries.iter().any(|d| d.status == DeliveryStatus::Pending)
    }
}
