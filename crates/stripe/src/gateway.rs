//! [`PaymentGateway`] over Stripe Checkout, through async-stripe.

use crate::checkout_form::checkout_session_form;
use crate::config::StripeConfig;
use crate::gateway_error::classify;
use crate::retry::{with_retries, RETRY_DELAYS};
use crate::session_mapping::{opened_session, snapshot};
use crate::setup_error::StripeSetupError;
use async_trait::async_trait;
use payments_domain::{
    CheckoutRequest, CheckoutSession, CheckoutSessionId, GatewayError, PaymentGateway, SessionSnapshot,
};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use stripe::{IdempotencyKey, RequestStrategy, StripeRequest};
use stripe_checkout::checkout_session::RetrieveCheckoutSession;

/// Opens and reads Stripe Checkout Sessions. Cheap to clone; `Debug` never shows the key.
#[derive(Clone)]
pub struct StripeGateway {
    client: stripe::Client,
    // Kept only to scrub it from any message Stripe might echo it in.
    secret_key: SecretString,
}

impl StripeGateway {
    /// Builds the HTTP client for `config`.
    /// Errors: [`StripeSetupError`] for an empty or unusable key, a non-http(s) API base, or a zero timeout.
    pub fn new(config: StripeConfig) -> Result<Self, StripeSetupError> {
        let key = config.secret_key.expose_secret();
        if key.trim().is_empty() {
            return Err(StripeSetupError::InvalidSecretKey("empty"));
        }
        if !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(StripeSetupError::InvalidSecretKey("not printable ASCII without spaces"));
        }
        if config.timeout.is_zero() {
            return Err(StripeSetupError::ZeroTimeout);
        }
        let client = stripe::ClientBuilder::new(key)
            .url(api_base(&config.api_base)?)
            .timeout(config.timeout)
            .build()
            .map_err(|e| StripeSetupError::Client(crate::gateway_error::redact_keys(&e.to_string(), key)))?;
        Ok(Self { client, secret_key: config.secret_key })
    }
}

/// async-stripe appends `v1/...` to the base as text, so the base must end with a slash.
fn api_base(url: &url::Url) -> Result<String, StripeSetupError> {
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(StripeSetupError::InvalidApiBase(url.to_string()));
    }
    let mut base = url.clone();
    base.set_query(None);
    base.set_fragment(None);
    if !base.path().ends_with('/') {
        let path = format!("{}/", base.path());
        base.set_path(&path);
    }
    Ok(base.to_string())
}

impl fmt::Debug for StripeGateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StripeGateway").finish_non_exhaustive()
    }
}

#[async_trait]
impl PaymentGateway for StripeGateway {
    #[tracing::instrument(skip_all, fields(order_id = %request.order.id))]
    async fn create_checkout_session(
        &self,
        request: &CheckoutRequest,
    ) -> Result<CheckoutSession, GatewayError> {
        let key = IdempotencyKey::new(&request.idempotency_key).map_err(|e| {
            GatewayError::Unknown(anyhow::anyhow!(
                "unusable idempotency key for order {}: {e}",
                request.order.id
            ))
        })?;
        let form = checkout_session_form(request);
        let secret = self.secret_key.expose_secret();
        // Every attempt carries the same key: Stripe replays the first session instead of opening another.
        let session = with_retries("create checkout session", &RETRY_DELAYS, || async {
            form.customize()
                .request_strategy(RequestStrategy::Idempotent(key.clone()))
                .send(&self.client)
                .await
                .map_err(|e| classify(e, secret))
        })
        .await?;
        let opened = opened_session(&session)?;
        tracing::info!(session_id = %opened.id, "checkout session opened");
        Ok(opened)
    }

    #[tracing::instrument(skip_all, fields(session_id = %id))]
    async fn retrieve_checkout_session(
        &self,
        id: &CheckoutSessionId,
    ) -> Result<SessionSnapshot, GatewayError> {
        let request = RetrieveCheckoutSession::new(id.as_str());
        let secret = self.secret_key.expose_secret();
        let session = with_retries("retrieve checkout session", &RETRY_DELAYS, || async {
            request.send(&self.client).await.map_err(|e| classify(e, secret))
        })
        .await?;
        snapshot(&session)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn config(key: &str, base: &str) -> StripeConfig {
        StripeConfig {
            secret_key: SecretString::from(key),
            api_base: url::Url::parse(base).unwrap(),
            timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn the_api_base_gets_a_trailing_slash() {
        assert_eq!(
            api_base(&url::Url::parse("http://127.0.0.1:9/stripe").unwrap()).unwrap(),
            "http://127.0.0.1:9/stripe/"
        );
        assert_eq!(
            api_base(&url::Url::parse("https://api.stripe.com").unwrap()).unwrap(),
            "https://api.stripe.com/"
        );
        assert!(api_base(&url::Url::parse("ftp://example.com/").unwrap()).is_err());
    }

    #[test]
    fn bad_settings_are_refused_without_echoing_the_key() {
        assert_eq!(
            StripeGateway::new(config("  ", "https://api.stripe.com/")).unwrap_err(),
            StripeSetupError::InvalidSecretKey("empty")
        );
        let err = StripeGateway::new(config("sk_test_a b", "https://api.stripe.com/")).unwrap_err();
        assert!(!err.to_string().contains("sk_test_a b"));
        let mut zero = config("sk_test_ok", "https://api.stripe.com/");
        zero.timeout = Duration::ZERO;
        assert_eq!(StripeGateway::new(zero).unwrap_err(), StripeSetupError::ZeroTimeout);
    }

    #[test]
    fn debug_never_shows_the_key() {
        let gateway =
            StripeGateway::new(config("sk_test_visible_no_more", "https://api.stripe.com/")).unwrap();
        assert!(!format!("{gateway:?}").contains("sk_test_visible_no_more"));
    }
}
