//! Turning a signed webhook delivery into a payment event.

use crate::ports::order_store::ReceivedEvent;
use chrono::{DateTime, Utc};

/// Why a webhook delivery was refused. Nothing is stored for a refused delivery.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// No signature header at all.
    #[error("No signatures found: the Stripe-Signature header is missing")]
    MissingSignature,
    /// The header could not be read as `t=...,v1=...`.
    #[error("Unable to extract timestamp and signatures from the Stripe-Signature header")]
    MalformedSignature,
    /// No `v1` signature matches any configured secret.
    #[error(
        "No signatures found matching the expected signature for payload. Are you passing the raw request body \
         you received from Stripe, and is the webhook secret the one of this endpoint?"
    )]
    NoMatchingSignature,
    /// The signature is valid but its timestamp is further from now than the tolerance, in the past (a
    /// replay?) or in the future.
    #[error("Timestamp outside the tolerance zone: signed {}, tolerance is {tolerance_seconds} s", signed_when(*age_seconds))]
    TimestampOutsideTolerance {
        /// How old the signature is (negative: in the future).
        age_seconds: i64,
        /// The configured tolerance.
        tolerance_seconds: u64,
    },
    /// Correctly signed, but not a readable event (not JSON, or no id or type).
    #[error("The payload is not a readable event: {0}")]
    MalformedPayload(String),
}

/// Verifies a delivery's signature over the raw body, then reads the event.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait WebhookVerifier: Send + Sync + 'static {
    /// Checks `signature_header` against `payload` at time `now`, then parses the payload.
    /// Errors: every [`WebhookError`] variant, as documented there; parsing never starts before the signature
    /// has been checked.
    // The named lifetime is for mockall: its generated mock cannot take an elided one inside `Option<&str>`.
    #[allow(clippy::needless_lifetimes)]
    fn verify<'a>(
        &self,
        payload: &[u8],
        signature_header: Option<&'a str>,
        now: DateTime<Utc>,
    ) -> Result<ReceivedEvent, WebhookError>;

    /// Reads an event the service fetched from the provider itself (its events list, over an authenticated
    /// connection), which carries no signature: trusted by where it came from.
    /// Errors: [`WebhookError::MalformedPayload`].
    fn read(&self, payload: &[u8], now: DateTime<Utc>) -> Result<ReceivedEvent, WebhookError>;
}

/// `"N s ago"` or `"N s in the future"`.
fn signed_when(age_seconds: i64) -> String {
    if age_seconds < 0 {
        format!("{} s in the future", age_seconds.unsigned_abs())
    } else {
        format!("{age_seconds} s ago")
    }
}
