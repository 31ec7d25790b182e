//! How an emulator is configured.

use std::time::Duration;
use url::Url;

/// An emulator's configuration; [`EmulatorConfig::default`] suits a developer's machine and
/// [`EmulatorConfig::for_tests`] retries webhooks within milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmulatorConfig {
    /// Accepted secret keys; empty accepts any `sk_test_` key.
    pub api_keys: Vec<String>,
    /// How browsers reach the emulator (the base of `session.url`); default `http://{bound address}/`.
    pub public_base_url: Option<Url>,
    /// The delay before each retry of a failed webhook delivery: `n` entries mean `n + 1` attempts.
    pub retry_schedule: Vec<Duration>,
    /// How long one delivery attempt may take before it counts as failed.
    pub delivery_timeout: Duration,
    /// The control API (`/_emulator`, which can pay any session) wants `Authorization: Bearer <token>`;
    /// `None`: it answers loopback clients only.
    pub control_token: Option<String>,
    /// When a failed subscription invoice is charged again, each delay counted on the emulator's clock from
    /// the previous failed attempt: `n` entries mean `n` retries after the first attempt. Default 3, 5 and 7
    /// days (a custom schedule in Stripe's retry settings allows up to 3 retries, each some days after
    /// the previous one; four attempts in all, as Stripe's older default did).
    pub invoice_retry_schedule: Vec<Duration>,
    /// What a subscription becomes when the last retry of an invoice fails (Stripe's "if all retries for a
    /// payment fail" setting): canceled (the default) or `unpaid`.
    pub when_retries_exhausted: RetriesExhausted,
}

/// What happens to a subscription when every retry of one of its invoices has failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RetriesExhausted {
    /// The subscription is canceled (`customer.subscription.deleted`; its `cancellation_details.reason` is
    /// `payment_failed`).
    #[default]
    Cancel,
    /// The subscription becomes `unpaid` (`customer.subscription.updated`): later invoices are created but
    /// stay drafts and are not charged.
    MarkUnpaid,
}

impl RetriesExhausted {
    /// `cancel` or `unpaid`, as the `payments emulator` command takes them.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "cancel" | "canceled" => Some(RetriesExhausted::Cancel),
            "unpaid" | "mark_unpaid" => Some(RetriesExhausted::MarkUnpaid),
            _ => None,
        }
    }
}

impl Default for EmulatorConfig {
    /// Any `sk_test_` key, the bound address, 8 retries from 5 s doubling (about 21 minutes in all),
    /// 10 s per attempt, the control API for loopback clients only; failed subscription invoices retried
    /// after 3, 5 and 7 days, then the subscription canceled.
    fn default() -> Self {
        EmulatorConfig {
            api_keys: Vec::new(),
            public_base_url: None,
            retry_schedule: exponential_backoff(Duration::from_secs(5), 8),
            delivery_timeout: Duration::from_secs(10),
            control_token: None,
            invoice_retry_schedule: [3, 5, 7].map(|days| Duration::from_secs(days * 86_400)).to_vec(),
            when_retries_exhausted: RetriesExhausted::Cancel,
        }
    }
}

impl EmulatorConfig {
    /// The default, with webhook retries after 20, 40, 80 and 160 ms and 2 s per attempt.
    pub fn for_tests() -> Self {
        EmulatorConfig {
            retry_schedule: exponential_backoff(Duration::from_millis(20), 4),
            delivery_timeout: Duration::from_secs(2),
            ..EmulatorConfig::default()
        }
    }
}

/// `retries` delays, starting at `first` and doubling each time (Stripe's own schedule is exponential too).
pub fn exponential_backoff(first: Duration, retries: u32) -> Vec<Duration> {
    (0..retries).map(|i| first.saturating_mul(1 << i.min(30))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles() {
        let schedule = exponential_backoff(Duration::from_millis(10), 4);
        assert_eq!(schedule, [10, 20, 40, 80].map(Duration::from_millis).to_vec());
    }
}
