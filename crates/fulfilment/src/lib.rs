//! The [`NoticeSender`] port over HTTP: each outbox entry is POSTed as JSON to a shop's endpoint, signed the
//! way Stripe signs its webhooks, so a shop can check it with the helper it already uses for Stripe's:
//!
//! `Payments-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`
//!
//! Only a 2xx answer counts as delivered; redirects are not followed. The signature is the Stripe adapter's
//! own ([`payments_stripe::signature_header`]), so the two can never sign differently.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use payments_domain::{NoticeSender, SendFailure};
use payments_stripe::signature_header;
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;
use url::Url;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "Payments-Signature";

/// Why a sender could not be built.
#[derive(Debug, thiserror::Error)]
#[error("the fulfilment HTTP client could not be built: {0}")]
pub struct BuildError(String);

/// Sends entries over HTTP(S), each within a deadline.
#[derive(Clone)]
pub struct HttpNoticeSender {
    client: reqwest::Client,
    secret: SecretString,
    timeout: Duration,
}

impl std::fmt::Debug for HttpNoticeSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpNoticeSender").field("timeout", &self.timeout).finish_non_exhaustive()
    }
}

impl HttpNoticeSender {
    /// A sender signing with `secret`, giving each request `timeout` (connecting included).
    /// Errors: [`BuildError`] when the TLS client cannot be set up.
    pub fn new(secret: SecretString, timeout: Duration) -> Result<Self, BuildError> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("payments-fulfilment/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| BuildError(error.without_url().to_string()))?;
        Ok(Self { client, secret, timeout })
    }
}

#[async_trait]
impl NoticeSender for HttpNoticeSender {
    async fn send(&self, endpoint: &Url, body: &str, signed_at: DateTime<Utc>) -> Result<(), SendFailure> {
        let signature = signature_header(self.secret.expose_secret(), signed_at.timestamp(), body.as_bytes());
        let sent = self
            .client
            .post(endpoint.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature)
            .body(body.to_owned())
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => Ok(()),
            Ok(response) => Err(SendFailure(format!("answered {}", response.status().as_u16()))),
            Err(error) if error.is_timeout() => {
                Err(SendFailure(format!("no answer within {} ms", self.timeout.as_millis())))
            }
            Err(error) if error.is_connect() => Err(SendFailure("could not connect".to_owned())),
            // The error without the URL: an endpoint may carry credentials.
            Err(error) => Err(SendFailure(format!("the request failed: {}", error.without_url()))),
        }
    }
}

#[cfg(test)]
mod tests;
