//! [`WebhookVerifier`] for Stripe: signature first, then the event.

use crate::event_parser::parse_event;
use crate::setup_error::StripeSetupError;
use crate::webhook_signature::verify_signature;
use chrono::{DateTime, Utc};
use payments_domain::{ReceivedEvent, WebhookError, WebhookVerifier};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::time::Duration;

/// Verifies `Stripe-Signature` against the endpoint's signing secrets, then parses the event.
/// `Debug` shows how many secrets it holds, never the secrets.
pub struct StripeWebhookVerifier {
    secrets: Vec<SecretString>,
    tolerance: Duration,
}

impl StripeWebhookVerifier {
    /// A verifier accepting a signature made with any of `secrets` (one or more `whsec_...`, several while a
    /// secret is being rolled; see [`crate::parse_secrets`]) no older than `tolerance`.
    /// Errors: [`StripeSetupError::NoWebhookSecrets`] for an empty list,
    /// [`StripeSetupError::EmptyWebhookSecret`] for a blank secret.
    pub fn new(secrets: Vec<SecretString>, tolerance: Duration) -> Result<Self, StripeSetupError> {
        if secrets.is_empty() {
            return Err(StripeSetupError::NoWebhookSecrets);
        }
        if secrets.iter().any(|secret| secret.expose_secret().trim().is_empty()) {
            return Err(StripeSetupError::EmptyWebhookSecret);
        }
        Ok(Self { secrets, tolerance })
    }
}

impl fmt::Debug for StripeWebhookVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StripeWebhookVerifier")
            .field("secrets", &self.secrets.len())
            .field("tolerance", &self.tolerance)
            .finish()
    }
}

impl WebhookVerifier for StripeWebhookVerifier {
    fn verify(
        &self,
        payload: &[u8],
        signature_header: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<ReceivedEvent, WebhookError> {
        // Nothing of the body is read before the signature is known to be Stripe's.
        verify_signature(payload, signature_header, &self.secrets, self.tolerance, now)?;
        parse_event(payload, now)
    }

    /// An event from Stripe's events list, fetched by this service with its key: the same reading as a
    /// webhook's.
    fn read(&self, payload: &[u8], now: DateTime<Utc>) -> Result<ReceivedEvent, WebhookError> {
        parse_event(payload, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webhook_signature::signature_header;

    #[test]
    fn at_least_one_non_blank_secret_is_required() {
        let minute = Duration::from_secs(60);
        assert_eq!(
            StripeWebhookVerifier::new(vec![], minute).unwrap_err(),
            StripeSetupError::NoWebhookSecrets
        );
        assert_eq!(
            StripeWebhookVerifier::new(vec![SecretString::from(" ")], minute).unwrap_err(),
            StripeSetupError::EmptyWebhookSecret
        );
    }

    #[test]
    fn debug_never_shows_a_secret() {
        let verifier =
            StripeWebhookVerifier::new(vec![SecretString::from("whsec_topsecret")], Duration::from_secs(300))
                .unwrap();
        let printed = format!("{verifier:?}");
        assert!(!printed.contains("whsec_topsecret"), "{printed}");
        assert!(printed.contains("secrets: 1"), "{printed}");
    }

    #[test]
    fn a_badly_signed_body_is_refused_before_it_is_read() {
        let verifier =
            StripeWebhookVerifier::new(vec![SecretString::from("whsec_a")], Duration::from_secs(300))
                .unwrap();
        let now = Utc::now();
        let header = signature_header("whsec_other", now.timestamp(), b"not json");
        assert_eq!(verifier.verify(b"not json", Some(&header), now), Err(WebhookError::NoMatchingSignature));
        let header = signature_header("whsec_a", now.timestamp(), b"not json");
        assert!(matches!(
            verifier.verify(b"not json", Some(&header), now),
            Err(WebhookError::MalformedPayload(_))
        ));
    }
}
