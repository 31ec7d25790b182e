//! `POST /webhook` (the seed's path) and `POST /api/v1/webhooks/stripe`: Stripe's event deliveries.

use crate::body::{raw_body_error, webhook_payload_config, WEBHOOK_LIMIT_BYTES};
use crate::dto::webhook::WebhookAck;
use crate::error::ApiError;
use crate::error_code::ErrorCode;
use crate::server::Deadlines;
use actix_web::{web, HttpRequest, HttpResponse};
use payments_domain::{HandleWebhookError, StoreError, WebhookError, WebhookIngest};

/// The header Stripe signs deliveries with.
const STRIPE_SIGNATURE: &str = "stripe-signature";

/// Registers the webhook route under both of its paths, with its own body limit.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        super::post(&["/webhook", "/api/v1/webhooks/stripe"], receive).app_data(webhook_payload_config()),
    );
}

/// Hands the raw body, byte for byte, and the signature header to the domain; answers 200 once the event is
/// committed. The body and the signature are never logged.
#[tracing::instrument(skip_all)]
async fn receive(
    ingest: web::Data<WebhookIngest>,
    deadlines: web::Data<Deadlines>,
    request: HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let body = body.map_err(|err| raw_body_error(&err, WEBHOOK_LIMIT_BYTES))?;
    let signature = match request.headers().get(STRIPE_SIGNATURE) {
        None => None,
        // A header that is not text cannot be `t=...,v1=...`.
        Some(value) => Some(value.to_str().map_err(|_| rejected(&WebhookError::MalformedSignature))?),
    };
    let handled = actix_web::rt::time::timeout(deadlines.webhook, ingest.handle(&body, signature)).await;
    let outcome = match handled {
        Ok(handled) => handled.map_err(|err| match err {
            HandleWebhookError::Rejected(err) => rejected(&err),
            HandleWebhookError::Store(err) => ApiError::store(&err),
        })?,
        // What the event was doing is all or nothing: committed, or not at all, and Stripe sends it again.
        Err(_) => {
            return Err(ApiError::store(&StoreError::Unavailable(format!(
                "the webhook was not recorded within its deadline of {} ms",
                deadlines.webhook.as_millis()
            ))))
        }
    };
    Ok(HttpResponse::Ok().json(WebhookAck::from(&outcome)))
}

/// A refused delivery. The domain's messages describe the header or the payload, never quote them.
fn rejected(err: &WebhookError) -> ApiError {
    let code = match err {
        WebhookError::MissingSignature => ErrorCode::MissingSignature,
        WebhookError::MalformedSignature | WebhookError::NoMatchingSignature => ErrorCode::InvalidSignature,
        WebhookError::TimestampOutsideTolerance { .. } => ErrorCode::TimestampOutOfTolerance,
        WebhookError::MalformedPayload(_) => ErrorCode::MalformedPayload,
    };
    tracing::warn!(code = code.as_str(), error = %err, "webhook delivery refused");
    ApiError::new(code, err.to_string())
}

#[cfg(test)]
#[path = "webhook_tests.rs"]
mod tests;
