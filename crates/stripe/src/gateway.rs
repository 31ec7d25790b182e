//! [`PaymentGateway`] over Stripe Checkout and Customers, and [`CatalogGateway`] over Stripe Products and
//! Prices, through async-stripe's requests sent by our own pooled client ([`PooledStripeClient`]).

use crate::catalog_form::{price_form, product_form};
use crate::checkout_form::checkout_session_form;
use crate::config::StripeConfig;
use crate::customer_form::customer_form;
use crate::gateway_error::classify;
use crate::http_client::{ClientSetupError, PooledStripeClient, POOL_MAX_IDLE_PER_HOST};
use crate::idempotency::stripe_idempotency_key;
use crate::payment_intent_form::payment_intent_form;
use crate::retry::{with_retries, RETRY_DELAYS};
use crate::session_mapping::{intent_snapshot, opened_session, snapshot};
use crate::setup_error::StripeSetupError;
use async_trait::async_trait;
use payments_domain::{
    CatalogGateway, CatalogPrice, CheckoutRequest, CheckoutSession, CheckoutSessionId, CustomerId,
    GatewayError, IntentSnapshot, NewCustomer, OpenedPaymentIntent, PaymentGateway, PaymentIntentId,
    PaymentIntentRequest, Product, SessionSnapshot, StripeIdError, StripePriceId, StripeProductId,
};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use stripe::{IdempotencyKey, RequestStrategy, StripeRequest};
use stripe_checkout::checkout_session::{ExpireCheckoutSession, RetrieveCheckoutSession};
use stripe_core::payment_intent::RetrievePaymentIntent;

/// Opens and reads Stripe Checkout Sessions, and creates customers, products and prices. Cheap to clone;
/// `Debug` never shows the key.
#[derive(Clone)]
pub struct StripeGateway {
    client: PooledStripeClient,
    // Kept only to scrub it from any message Stripe might echo it in.
    secret_key: SecretString,
    /// How long one operation may take, its retries included.
    deadline: std::time::Duration,
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
        let client =
            PooledStripeClient::new(key, api_base(&config.api_base)?, config.timeout, POOL_MAX_IDLE_PER_HOST)
                .map_err(|e| match e {
                    ClientSetupError::SecretKey => {
                        StripeSetupError::InvalidSecretKey("not usable in an HTTP header")
                    }
                    ClientSetupError::StripeVersion => StripeSetupError::Client(
                        "async-stripe's API version is not a header value".to_owned(),
                    ),
                })?;
        if config.deadline.is_zero() {
            return Err(StripeSetupError::ZeroTimeout);
        }
        Ok(Self { client, secret_key: config.secret_key, deadline: config.deadline })
    }
}

/// The client appends `v1/...` to the base as text, so the base must end with a slash.
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

impl StripeGateway {
    /// Sends a create request with `key`, trying again after transient failures. Every attempt carries the
    /// same key, so Stripe replays the first answer instead of creating a second object.
    /// The pooled client.
    pub(crate) fn client(&self) -> &PooledStripeClient {
        &self.client
    }

    /// The key, to scrub from errors.
    pub(crate) fn secret_key(&self) -> &SecretString {
        &self.secret_key
    }

    /// How long one operation may take, its retries included.
    pub(crate) fn deadline(&self) -> std::time::Duration {
        self.deadline
    }

    pub(crate) async fn create<R>(
        &self,
        operation: &'static str,
        request: &R,
        key: &IdempotencyKey,
    ) -> Result<R::Output, GatewayError>
    where
        R: StripeRequest + Sync,
        R::Output: miniserde::Deserialize + Send,
    {
        let secret = self.secret_key.expose_secret();
        with_retries(operation, &RETRY_DELAYS, self.deadline, || async {
            request
                .customize()
                .request_strategy(RequestStrategy::Idempotent(key.clone()))
                .send(&self.client)
                .await
                .map_err(|e| classify(e, secret))
        })
        .await
    }
}

/// The id of the object Stripe just created, as the domain's id type.
/// Errors: [`GatewayError::Unknown`] when it is not shaped like a Stripe id.
fn created_id<T>(raw: &str, parse: impl FnOnce(&str) -> Result<T, StripeIdError>) -> Result<T, GatewayError> {
    parse(raw).map_err(|e| GatewayError::Unknown(anyhow::anyhow!("Stripe's answer could not be read: {e}")))
}

#[async_trait]
impl PaymentGateway for StripeGateway {
    #[tracing::instrument(skip_all, fields(order_id = %request.order.id()))]
    async fn create_checkout_session(
        &self,
        request: &CheckoutRequest,
    ) -> Result<CheckoutSession, GatewayError> {
        let what = format!("the checkout of order {}", request.order.id());
        let key = stripe_idempotency_key(&request.idempotency_key, &what)?;
        let form = checkout_session_form(request);
        let session = self.create("create checkout session", &form, &key).await?;
        let opened = opened_session(&session)?;
        tracing::info!(session_id = %opened.id, "checkout session opened");
        Ok(opened)
    }

    #[tracing::instrument(skip_all, fields(order_id = %request.order.id()))]
    async fn create_payment_intent(
        &self,
        request: &PaymentIntentRequest,
    ) -> Result<OpenedPaymentIntent, GatewayError> {
        let what = format!("the payment intent of order {}", request.order.id());
        let key = stripe_idempotency_key(&request.idempotency_key, &what)?;
        let intent = self.create("create payment intent", &payment_intent_form(request), &key).await?;
        let id = created_id(intent.id.as_str(), PaymentIntentId::parse)?;
        let client_secret = intent.client_secret.ok_or_else(|| {
            GatewayError::Unknown(anyhow::anyhow!("Stripe's new payment intent has no client_secret"))
        })?;
        tracing::info!(payment_intent_id = %id, "payment intent created");
        Ok(OpenedPaymentIntent { id, client_secret })
    }

    #[tracing::instrument(skip_all, fields(user_id = %customer.user_id))]
    async fn create_customer(&self, customer: &NewCustomer) -> Result<CustomerId, GatewayError> {
        let what = format!("the customer of user {}", customer.user_id);
        let key = stripe_idempotency_key(&customer.idempotency_key, &what)?;
        let created = self.create("create customer", &customer_form(customer), &key).await?;
        let id = created_id(created.id.as_str(), CustomerId::parse)?;
        tracing::info!(customer_id = %id, "customer created");
        Ok(id)
    }

    #[tracing::instrument(skip_all, fields(session_id = %id))]
    async fn retrieve_checkout_session(
        &self,
        id: &CheckoutSessionId,
    ) -> Result<SessionSnapshot, GatewayError> {
        let request = RetrieveCheckoutSession::new(id.as_str());
        let secret = self.secret_key.expose_secret();
        let session = with_retries("retrieve checkout session", &RETRY_DELAYS, self.deadline, || async {
            request.send(&self.client).await.map_err(|e| classify(e, secret))
        })
        .await?;
        snapshot(&session)
    }

    async fn retrieve_payment_intent(&self, id: &PaymentIntentId) -> Result<IntentSnapshot, GatewayError> {
        let request = RetrievePaymentIntent::new(id.as_str());
        let secret = self.secret_key.expose_secret();
        let intent = with_retries("retrieve payment intent", &RETRY_DELAYS, self.deadline, || async {
            request.send(&self.client).await.map_err(|e| classify(e, secret))
        })
        .await?;
        intent_snapshot(&intent)
    }

    #[tracing::instrument(skip_all, fields(session_id = %id))]
    async fn expire_checkout_session(&self, id: &CheckoutSessionId) -> Result<SessionSnapshot, GatewayError> {
        // One key per session: a retry, or a second reconciler, asks Stripe once.
        let key = stripe_idempotency_key(&format!("expire-{}", id.as_str()), "expire checkout session")?;
        let session =
            self.create("expire checkout session", &ExpireCheckoutSession::new(id.as_str()), &key).await?;
        tracing::info!("checkout session expired");
        snapshot(&session)
    }
}

#[async_trait]
impl CatalogGateway for StripeGateway {
    #[tracing::instrument(skip_all, fields(sku = %product.sku))]
    async fn create_product(
        &self,
        product: &Product,
        idempotency_key: &str,
    ) -> Result<StripeProductId, GatewayError> {
        let key = stripe_idempotency_key(idempotency_key, &format!("product {}", product.sku))?;
        let created = self.create("create product", &product_form(product), &key).await?;
        let id = created_id(created.id.as_str(), StripeProductId::parse)?;
        tracing::info!(product_id = %id, "product created");
        Ok(id)
    }

    #[tracing::instrument(skip_all, fields(product_id = %product, price = %price.id))]
    async fn create_price(
        &self,
        product: &StripeProductId,
        price: &CatalogPrice,
        idempotency_key: &str,
    ) -> Result<StripePriceId, GatewayError> {
        let key = stripe_idempotency_key(idempotency_key, &format!("price {}", price.id))?;
        let created = self.create("create price", &price_form(product, price), &key).await?;
        let id = created_id(created.id.as_str(), StripePriceId::parse)?;
        tracing::info!(price_id = %id, "price created");
        Ok(id)
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
            deadline: StripeConfig::DEFAULT_DEADLINE,
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
