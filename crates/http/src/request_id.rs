//! Request ids: every response carries `x-request-id`, the client's own if it sent a sane one, else the id
//! `TracingLogger` gave the request; both are fields of the request's span.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};

/// The request id header, read from requests and written on responses.
pub(crate) const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest client request id echoed; longer ones are replaced.
const MAX_CLIENT_ID_LEN: usize = 128;

/// The root span: `TracingLogger`'s default fields (with its `request_id`), plus `client_request_id` and the
/// signed-in caller's `user_id` (recorded by the `Authenticated` extractor).
#[derive(Debug)]
pub(crate) struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let span = tracing_actix_web::root_span!(
            request,
            client_request_id = tracing::field::Empty,
            user_id = tracing::field::Empty
        );
        if let Some(id) = client_request_id(request.headers()) {
            span.record("client_request_id", id);
        }
        span
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

/// Middleware (inside `TracingLogger`): sets `x-request-id` on every response, error responses included
/// (handlers' errors reach it as responses; the request must not be cloned here, or routing panics).
pub(crate) async fn echo_or_assign<B: MessageBody>(
    request: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, Error> {
    let id = client_request_id(request.headers())
        .map(str::to_owned)
        .or_else(|| request.extensions().get::<RequestId>().map(ToString::to_string))
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let mut response = next.call(request).await?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(X_REQUEST_ID, value);
    }
    Ok(response)
}

/// The client's request id, if it is short and made of characters safe in logs and headers.
fn client_request_id(headers: &HeaderMap) -> Option<&str> {
    let id = headers.get(X_REQUEST_ID)?.to_str().ok()?;
    let sane = (1..=MAX_CLIENT_ID_LEN).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    sane.then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(X_REQUEST_ID, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn a_sane_client_id_is_kept() {
        assert_eq!(client_request_id(&headers("req-42_a.b:c")), Some("req-42_a.b:c"));
    }

    #[test]
    fn an_absent_empty_long_or_odd_client_id_is_replaced() {
        assert_eq!(client_request_id(&HeaderMap::new()), None);
        assert_eq!(client_request_id(&headers("")), None);
        assert_eq!(client_request_id(&headers(&"a".repeat(129))), None);
        assert_eq!(client_request_id(&headers("a b")), None);
        assert_eq!(client_request_id(&headers("a\"}{")), None);
    }
}
