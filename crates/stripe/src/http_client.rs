//! The HTTP client the gateways send async-stripe's requests with: one attempt per call, over a pool of
//! kept-alive connections.
//!
//! async-stripe's own `stripe::Client` builds its hyper client with no idle connections, so each call
//! opens a new connection (a TCP and TLS handshake per call against Stripe). This client implements the
//! same `StripeClient` trait, so `request.send(&client)` and `request.customize()...send(&client)` work
//! with it unchanged, and answers with the same `stripe::StripeError`s, so `gateway_error::classify` sorts
//! them as before.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use hyper::{Method, Request};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use std::fmt;
use std::time::Duration;
use stripe::StripeError;
use stripe_client_core::{CustomizedStripeRequest, RequestBuilder, StripeClient, StripeMethod};

/// How long an unused connection stays open for the next call (Stripe's side closes idle ones later).
pub(crate) const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// Idle connections kept per host: enough for a burst of concurrent checkouts to come back to.
pub(crate) const POOL_MAX_IDLE_PER_HOST: usize = 32;

/// async-stripe's text for an error status whose body is not a Stripe error object; `classify` relies on it.
const UNREADABLE_ERROR_BODY: &str = "error deserializing Stripe error";

const STRIPE_VERSION: HeaderName = HeaderName::from_static("stripe-version");
const STRIPE_ACCOUNT: HeaderName = HeaderName::from_static("stripe-account");
const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
const FORM: HeaderValue = HeaderValue::from_static("application/x-www-form-urlencoded");

/// Sends Stripe requests over kept-alive connections (HTTP/2 or HTTP/1.1 by ALPN on https, HTTP/1.1 on
/// plain http). Cheap to clone: clones share the pool. `Debug` never shows the key.
#[derive(Clone)]
pub(crate) struct PooledStripeClient {
    http: HyperClient<HttpsConnector<HttpConnector>, Full<Bytes>>,
    /// Ends with a slash; `v1/...` is appended to it.
    api_base: String,
    /// `Bearer <key>`, marked sensitive.
    authorization: HeaderValue,
    stripe_version: HeaderValue,
    user_agent: HeaderValue,
    /// How long one attempt may take, the whole answer read included.
    timeout: Duration,
}

/// Why a [`PooledStripeClient`] could not be built. Never holds the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ClientSetupError {
    /// The key cannot be carried in an HTTP header.
    SecretKey,
    /// async-stripe's API version cannot be carried in an HTTP header (it always can).
    StripeVersion,
}

impl PooledStripeClient {
    /// A client for the API at `api_base` (which must end with a slash), authenticating with `secret_key`,
    /// giving each attempt `timeout`, keeping up to `max_idle_per_host` idle connections.
    pub(crate) fn new(
        secret_key: &str,
        api_base: String,
        timeout: Duration,
        max_idle_per_host: usize,
    ) -> Result<Self, ClientSetupError> {
        let mut authorization =
            HeaderValue::try_from(format!("Bearer {secret_key}")).map_err(|_| ClientSetupError::SecretKey)?;
        authorization.set_sensitive(true);
        let stripe_version = HeaderValue::from_str(stripe_shared::version::VERSION.as_str())
            .map_err(|_| ClientSetupError::StripeVersion)?;
        let user_agent = HeaderValue::from_static(concat!(
            "Stripe/v1 RustBindings/1.0.0-rc.10 payments-stripe/",
            env!("CARGO_PKG_VERSION")
        ));
        let http = pool(hyper_rustls::HttpsConnectorBuilder::new().with_webpki_roots(), max_idle_per_host);
        Ok(Self { http, api_base, authorization, stripe_version, user_agent, timeout })
    }

    /// [`PooledStripeClient::new`] trusting what `tls` trusts (a test's own certificate authority).
    #[cfg(test)]
    pub(crate) fn with_tls_config(
        tls: tokio_rustls::rustls::ClientConfig,
        secret_key: &str,
        api_base: String,
        timeout: Duration,
        max_idle_per_host: usize,
    ) -> Result<Self, ClientSetupError> {
        let client = Self::new(secret_key, api_base, timeout, max_idle_per_host)?;
        let http = pool(hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls), max_idle_per_host);
        Ok(Self { http, ..client })
    }

    /// The hyper request for `request`, with the headers Stripe expects.
    fn http_request(
        &self,
        request: RequestBuilder,
        idempotency_key: Option<&str>,
        account: Option<&str>,
    ) -> Result<Request<Full<Bytes>>, StripeError> {
        let mut uri = format!("{}v1{}", self.api_base, request.path);
        if let Some(query) = &request.query {
            uri.push('?');
            uri.push_str(query);
        }
        let method = match request.method {
            StripeMethod::Get => Method::GET,
            StripeMethod::Post => Method::POST,
            StripeMethod::Delete => Method::DELETE,
        };
        let mut builder = Request::builder()
            .method(method)
            .uri(uri)
            .header(AUTHORIZATION, self.authorization.clone())
            .header(STRIPE_VERSION, self.stripe_version.clone())
            .header(USER_AGENT, self.user_agent.clone());
        if let Some(key) = idempotency_key {
            let key = HeaderValue::from_str(key)
                .map_err(|_| StripeError::ConfigError("the idempotency key is not a valid header".into()))?;
            builder = builder.header(IDEMPOTENCY_KEY, key);
        }
        if let Some(account) = account {
            let account = HeaderValue::from_str(account)
                .map_err(|_| StripeError::ConfigError("invalid account id set in customizations".into()))?;
            builder = builder.header(STRIPE_ACCOUNT, account);
        }
        let body = match request.body {
            Some(form) => {
                builder = builder.header(CONTENT_TYPE, FORM);
                Bytes::from(form)
            }
            None => Bytes::new(),
        };
        builder.body(Full::new(body)).map_err(|e| StripeError::ConfigError(e.to_string()))
    }

    /// One attempt: the answer's status and whole body.
    async fn attempt(&self, request: Request<Full<Bytes>>) -> Result<(u16, Bytes), StripeError> {
        let response = self.http.request(request).await.map_err(|e| communication_error(&e))?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await.map_err(|e| communication_error(&e))?.to_bytes();
        Ok((status, body))
    }
}

/// The pool over `tls`: https or plain http, HTTP/2 or HTTP/1.1 by ALPN on https, idle connections kept.
fn pool(
    tls: hyper_rustls::HttpsConnectorBuilder<hyper_rustls::builderstates::WantsSchemes>,
    max_idle_per_host: usize,
) -> HyperClient<HttpsConnector<HttpConnector>, Full<Bytes>> {
    HyperClient::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .pool_max_idle_per_host(max_idle_per_host)
        .build(tls.https_or_http().enable_http1().enable_http2().build())
}

/// A transport failure as async-stripe reports it ([`StripeError::ClientError`]), with its causes, which
/// hyper keeps out of its own message (e.g. "client error (Connect)" without "connection refused").
fn communication_error(error: &(dyn std::error::Error + 'static)) -> StripeError {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    StripeError::ClientError(text)
}

/// A non-2xx answer as async-stripe reports it: Stripe's error object with the status, else the same
/// "unreadable error" async-stripe gives (which `classify` treats as coming from something before Stripe).
fn error_answer(status: u16, body: &[u8]) -> StripeError {
    let Ok(text) = std::str::from_utf8(body) else {
        return StripeError::JSONDeserialize("Response was not valid UTF-8".into());
    };
    match miniserde::json::from_str::<stripe_shared::Error>(text) {
        Ok(parsed) => StripeError::Stripe(parsed.error, status),
        Err(_) => StripeError::JSONDeserialize(UNREADABLE_ERROR_BODY.into()),
    }
}

impl StripeClient for PooledStripeClient {
    type Err = StripeError;

    /// Sends `request` once (the gateway retries on its own, with the same idempotency key), within the
    /// per-request timeout if the customization sets one, else the client's.
    async fn execute(&self, request: CustomizedStripeRequest) -> Result<Bytes, StripeError> {
        let (request, config) = request.into_pieces();
        let key = config.request_strategy.as_ref().and_then(|strategy| strategy.get_key());
        let timeout = config.timeout.unwrap_or(self.timeout);
        let http_request = self.http_request(
            request,
            key.as_ref().map(|key| key.as_str()),
            config.account_id.as_ref().map(|account| account.as_str()),
        )?;
        self.send(http_request, timeout).await
    }
}

impl PooledStripeClient {
    /// `GET /v1{path}?{query}` once, for a list async-stripe has no request type this crate uses: the body
    /// of a 2xx answer, else the error as for any request.
    pub(crate) async fn get(&self, path: &str, query: String) -> Result<Bytes, StripeError> {
        let mut request = RequestBuilder::new(StripeMethod::Get, path);
        request.query = Some(query);
        let http_request = self.http_request(request, None, None)?;
        self.send(http_request, self.timeout).await
    }

    /// One attempt within `timeout`: a 2xx answer's body, else the error.
    async fn send(&self, request: Request<Full<Bytes>>, timeout: Duration) -> Result<Bytes, StripeError> {
        let (status, body) = tokio::time::timeout(timeout, self.attempt(request))
            .await
            .map_err(|_| StripeError::Timeout)??;
        if (200..300).contains(&status) {
            Ok(body)
        } else {
            tracing::debug!(status, "Stripe answered with an error status");
            Err(error_answer(status, &body))
        }
    }
}

impl fmt::Debug for PooledStripeClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PooledStripeClient")
            .field("api_base", &self.api_base)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
#[path = "http_client_h2_tests.rs"]
mod h2_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use stripe::{IdempotencyKey, RequestStrategy};

    const KEY: &str = "sk_test_never_printed_123";

    fn client() -> PooledStripeClient {
        PooledStripeClient::new(KEY, "http://127.0.0.1:9/".into(), Duration::from_secs(1), 4).unwrap()
    }

    #[test]
    fn a_key_a_header_cannot_carry_is_refused() {
        assert_eq!(
            PooledStripeClient::new("sk_test\nx", "http://127.0.0.1:9/".into(), Duration::from_secs(1), 4)
                .unwrap_err(),
            ClientSetupError::SecretKey
        );
    }

    #[test]
    fn debug_shows_neither_the_key_nor_the_authorization() {
        let printed = format!("{:?}", client());
        assert!(!printed.contains(KEY), "{printed}");
        assert!(printed.contains("127.0.0.1:9"), "{printed}");
    }

    #[test]
    fn a_form_request_carries_stripes_headers_and_the_strategys_key() {
        let mut request = RequestBuilder::new(StripeMethod::Post, "/customers");
        request.body = Some("email=a%40b.c".into());
        let key = RequestStrategy::Idempotent(IdempotencyKey::new("idem-1").unwrap()).get_key();
        let built =
            client().http_request(request, key.as_ref().map(|k| k.as_str()), Some("acct_123")).unwrap();
        assert_eq!(built.method(), Method::POST);
        assert_eq!(built.uri(), "http://127.0.0.1:9/v1/customers");
        let headers = built.headers();
        assert_eq!(headers[AUTHORIZATION], format!("Bearer {KEY}").as_str());
        assert!(headers[AUTHORIZATION].is_sensitive());
        assert_eq!(headers[STRIPE_VERSION], stripe_shared::version::VERSION.as_str());
        assert_eq!(headers[IDEMPOTENCY_KEY], "idem-1");
        assert_eq!(headers[STRIPE_ACCOUNT], "acct_123");
        assert_eq!(headers[CONTENT_TYPE], "application/x-www-form-urlencoded");
        assert!(headers[USER_AGENT].to_str().unwrap().starts_with("Stripe/v1 RustBindings/"));
    }

    #[test]
    fn a_get_has_its_query_and_neither_body_type_nor_key() {
        let mut request = RequestBuilder::new(StripeMethod::Get, "/checkout/sessions/cs_1");
        request.query = Some("expand[0]=line_items".into());
        let built = client().http_request(request, None, None).unwrap();
        assert_eq!(built.uri(), "http://127.0.0.1:9/v1/checkout/sessions/cs_1?expand[0]=line_items");
        assert!(!built.headers().contains_key(CONTENT_TYPE));
        assert!(!built.headers().contains_key(IDEMPOTENCY_KEY));
        assert!(!built.headers().contains_key(STRIPE_ACCOUNT));
    }

    #[test]
    fn error_answers_read_like_async_stripes() {
        let body = br#"{"error": {"type": "invalid_request_error", "message": "No such price"}}"#;
        assert!(matches!(error_answer(400, body), StripeError::Stripe(_, 400)));
        assert!(matches!(
            error_answer(502, b"<html>Bad gateway</html>"),
            StripeError::JSONDeserialize(reason) if reason == UNREADABLE_ERROR_BODY
        ));
        assert!(matches!(error_answer(500, &[0xff, 0xfe]), StripeError::JSONDeserialize(_)));
    }
}
