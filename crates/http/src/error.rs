//! The one error shape clients read: `{"error": {"code": "...", "message": "..."}}`.

use crate::error_code::ErrorCode;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use payments_domain::{OrderId, StoreError};
use serde::Serialize;

/// How long a client should wait before retrying when the store is unavailable, in seconds.
const STORE_RETRY_AFTER_SECS: u32 = 5;

/// The `WWW-Authenticate` challenge of a 401 that does not set its own.
const DEFAULT_CHALLENGE: &str = r#"Bearer realm="payments""#;

/// A client-facing error: a status, a stable machine-readable code and a message safe to show.
///
/// It never carries an internal error: whoever builds one from a failure logs the detail first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", code.as_str())]
pub(crate) struct ApiError {
    code: ErrorCode,
    /// Another status than the code's own, where one code serves two (see [`ErrorCode::InvalidItem`]).
    status: Option<StatusCode>,
    message: String,
    order_id: Option<OrderId>,
    retry_after_secs: Option<u32>,
    challenge: Option<&'static str>,
}

impl ApiError {
    /// An error with `code` (and its status) and a `message` a client may read.
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            status: None,
            message: message.into(),
            order_id: None,
            retry_after_secs: None,
            challenge: None,
        }
    }

    /// A 401: the request needs credentials it did not give.
    pub(crate) fn authentication_required(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::AuthenticationRequired, message)
    }

    /// Answers with `status` rather than the code's own.
    pub(crate) fn with_status(mut self, status: StatusCode) -> Self {
        self.status = Some(status);
        self
    }

    /// Sets the `WWW-Authenticate` challenge of a 401 (every 401 gets `Bearer realm="payments"` otherwise).
    pub(crate) fn with_challenge(mut self, challenge: &'static str) -> Self {
        self.challenge = Some(challenge);
        self
    }

    /// Adds `"orderId"` to the error object (the order exists, even though the request failed).
    pub(crate) fn with_order_id(mut self, order_id: OrderId) -> Self {
        self.order_id = Some(order_id);
        self
    }

    /// Adds a `Retry-After` header.
    pub(crate) fn with_retry_after(mut self, secs: u32) -> Self {
        self.retry_after_secs = Some(secs);
        self
    }

    /// A 500 that says nothing about its cause; log the cause before returning it.
    pub(crate) fn internal() -> Self {
        Self::new(ErrorCode::InternalError, "An internal error occurred.")
    }

    /// A store failure: 503 with `Retry-After` when the store is unavailable, else a generic 500.
    /// The failure itself only goes to the log.
    pub(crate) fn store(err: &StoreError) -> Self {
        match err {
            StoreError::Unavailable(_) => {
                tracing::warn!(error = %err, "order store unavailable");
                Self::new(
                    ErrorCode::StoreUnavailable,
                    "The service is temporarily unavailable; please retry shortly.",
                )
                .with_retry_after(STORE_RETRY_AFTER_SECS)
            }
            StoreError::Unknown(_) => {
                tracing::error!(error = ?err, "order store failed");
                Self::internal()
            }
        }
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: Detail<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Detail<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    order_id: Option<String>,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status.unwrap_or_else(|| self.code.status())
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let mut response = HttpResponse::build(status);
        if let Some(secs) = self.retry_after_secs {
            response.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, self.challenge.unwrap_or(DEFAULT_CHALLENGE)));
        }
        response.json(Body {
            error: Detail {
                code: self.code.as_str(),
                message: &self.message,
                order_id: self.order_id.map(|id| id.to_string()),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::to_bytes;

    async fn body_of(err: &ApiError) -> serde_json::Value {
        let bytes = to_bytes(err.error_response().into_body()).await.unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[actix_web::test]
    async fn an_error_renders_as_the_json_envelope() {
        let err = ApiError::new(ErrorCode::InvalidEmail, "bad");
        let response = err.error_response();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(response.headers().get(header::CONTENT_TYPE).unwrap(), "application/json");
        assert_eq!(
            body_of(&err).await,
            serde_json::json!({"error": {"code": "invalid_email", "message": "bad"}})
        );
    }

    #[actix_web::test]
    async fn every_401_carries_a_bearer_challenge() {
        let plain = ApiError::authentication_required("sign in").error_response();
        assert_eq!(plain.headers().get(header::WWW_AUTHENTICATE).unwrap(), r#"Bearer realm="payments""#);
        let own = ApiError::new(ErrorCode::InvalidToken, "no")
            .with_challenge(r#"Bearer error="invalid_token""#)
            .error_response();
        assert_eq!(own.headers().get(header::WWW_AUTHENTICATE).unwrap(), r#"Bearer error="invalid_token""#);
        let forbidden = ApiError::new(ErrorCode::AdminOnly, "no").error_response();
        assert!(forbidden.headers().get(header::WWW_AUTHENTICATE).is_none());
    }

    #[actix_web::test]
    async fn an_unknown_store_failure_never_reaches_the_client() {
        let err = ApiError::store(&StoreError::Unknown(anyhow::anyhow!("password=hunter2 at db.internal")));
        assert_eq!(err.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = body_of(&err).await.to_string();
        assert!(!body.contains("hunter2") && !body.contains("db.internal"), "{body}");
        assert!(!err.to_string().contains("hunter2"));
    }

    #[actix_web::test]
    async fn an_unavailable_store_asks_the_client_to_retry() {
        let err = ApiError::store(&StoreError::Unavailable("pool timed out on 10.0.0.7".to_owned()));
        let response = err.error_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers().get(header::RETRY_AFTER).unwrap(), "5");
        assert!(!body_of(&err).await.to_string().contains("10.0.0.7"));
    }
}
