//! Request bodies: their size limits, and the errors for bodies that cannot be read.

use crate::error::ApiError;
use crate::error_code::ErrorCode;
use actix_web::error::{JsonPayloadError, PayloadError};
use actix_web::web;

/// Largest JSON body accepted (a checkout with 100 items fits many times over).
pub(crate) const JSON_LIMIT_BYTES: usize = 64 * 1024;

/// Largest webhook body accepted (Stripe events are far smaller).
pub(crate) const WEBHOOK_LIMIT_BYTES: usize = 1024 * 1024;

/// JSON bodies: at most [`JSON_LIMIT_BYTES`], `application/json` only, failures as [`ApiError`]s.
pub(crate) fn json_config() -> web::JsonConfig {
    web::JsonConfig::default().limit(JSON_LIMIT_BYTES).error_handler(|err, _request| json_error(&err).into())
}

/// Query strings: failures as a 400 `invalid_query` [`ApiError`] naming the parameter.
pub(crate) fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _request| {
        ApiError::new(ErrorCode::InvalidQuery, format!("The query string is not valid: {err}")).into()
    })
}

/// Raw webhook bodies: at most [`WEBHOOK_LIMIT_BYTES`].
pub(crate) fn webhook_payload_config() -> web::PayloadConfig {
    web::PayloadConfig::new(WEBHOOK_LIMIT_BYTES)
}

/// What a client reads when its JSON body cannot be used.
fn json_error(err: &JsonPayloadError) -> ApiError {
    match err {
        JsonPayloadError::OverflowKnownLength { limit, .. } | JsonPayloadError::Overflow { limit } => {
            too_large(*limit)
        }
        JsonPayloadError::ContentType => ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "The request body must be JSON, sent with Content-Type: application/json.",
        ),
        // serde's message names the field, the expected type and the position: what a client needs.
        JsonPayloadError::Deserialize(e) => {
            ApiError::new(ErrorCode::InvalidJson, format!("The body is not valid JSON: {e}"))
        }
        JsonPayloadError::Payload(e) => payload_error(e, JSON_LIMIT_BYTES),
        _ => ApiError::new(ErrorCode::InvalidJson, "The body could not be read as JSON."),
    }
}

/// What a client reads when the raw body extractor (`web::Bytes`, at most `limit` bytes) fails.
pub(crate) fn raw_body_error(err: &actix_web::Error, limit: usize) -> ApiError {
    match err.as_error::<PayloadError>() {
        Some(err) => payload_error(err, limit),
        None => unreadable(),
    }
}

fn payload_error(err: &PayloadError, limit: usize) -> ApiError {
    match err {
        PayloadError::Overflow => too_large(limit),
        _ => unreadable(),
    }
}

fn unreadable() -> ApiError {
    ApiError::new(ErrorCode::InvalidBody, "The request body could not be read.")
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        ErrorCode::PayloadTooLarge,
        format!("The request body is larger than the {limit} bytes allowed."),
    )
}
