//! Stripe's error shape: `{"error": {"type", "code", "message", "param", "decline_code"}}` with Stripe's
//! status codes (400 invalid request, 401 authentication, 402 failed payment, 404 missing resource).

use crate::form::FormError;
use actix_web::http::StatusCode;
use serde_json::{json, Map, Value};

/// The `type` of a Stripe error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorType {
    /// A card was declined or could not be charged.
    Card,
    /// An Idempotency-Key was reused with other parameters.
    Idempotency,
    /// Bad parameters, a missing resource or a bad API key.
    InvalidRequest,
}

impl ErrorType {
    fn as_str(self) -> &'static str {
        match self {
            ErrorType::Card => "card_error",
            ErrorType::Idempotency => "idempotency_error",
            ErrorType::InvalidRequest => "invalid_request_error",
        }
    }
}

/// An error answered in Stripe's shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// Stripe's error type.
    pub kind: ErrorType,
    /// A machine-readable code such as `resource_missing`, when Stripe sends one.
    pub code: Option<String>,
    /// A message for humans.
    pub message: String,
    /// The parameter at fault, in bracket form (`line_items[0][price]`).
    pub param: Option<String>,
    /// For card declines, the issuer's reason (`insufficient_funds`).
    pub decline_code: Option<String>,
    /// For failed payments, what Stripe adds to the error (boxed: errors are returned everywhere).
    pub failed_payment: Option<Box<FailedPayment>>,
}

/// What a failed payment's error carries besides the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedPayment {
    /// The failed charge's id, when a charge was made.
    pub charge: Option<String>,
    /// The payment intent as it now is.
    pub payment_intent: Value,
}

impl ApiError {
    /// A 400 `invalid_request_error`.
    pub fn invalid(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            kind: ErrorType::InvalidRequest,
            code: None,
            message: message.into(),
            param: None,
            decline_code: None,
            failed_payment: None,
        }
    }

    /// Sets the parameter at fault.
    pub fn param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    /// Sets the error code.
    pub fn code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// `Missing required param: {param}.`
    pub fn missing(param: &str) -> Self {
        Self::invalid(format!("Missing required param: {param}.")).param(param).code("parameter_missing")
    }

    /// `Received unknown parameter: {param}`.
    pub fn unknown_param(param: &str) -> Self {
        Self::invalid(format!("Received unknown parameter: {param}")).param(param).code("parameter_unknown")
    }

    /// A parameter with a value of the wrong kind or out of range.
    pub fn bad_value(param: &str, message: impl Into<String>) -> Self {
        Self::invalid(message).param(param).code("parameter_invalid")
    }

    /// `No such {what}: '{id}'`: 404 when the path names it, 400 when a parameter does.
    pub fn no_such(what: &str, id: &str, param: Option<&str>) -> Self {
        let mut error = Self::invalid(format!("No such {what}: '{id}'")).code("resource_missing");
        match param {
            Some(param) => error.param = Some(param.to_owned()),
            None => {
                error.status = StatusCode::NOT_FOUND;
                error.param = Some("id".to_owned());
            }
        }
        error
    }

    /// A 404 for a path that is not part of the emulated API.
    pub fn unrecognized_url(method: &str, path: &str) -> Self {
        let mut error = Self::invalid(format!("Unrecognized request URL ({method}: {path})."));
        error.status = StatusCode::NOT_FOUND;
        error
    }

    /// A 401 for a missing or unknown API key.
    pub fn authentication(message: impl Into<String>) -> Self {
        let mut error = Self::invalid(message);
        error.status = StatusCode::UNAUTHORIZED;
        error
    }

    /// A 400 `idempotency_error`.
    pub fn idempotency(message: impl Into<String>) -> Self {
        let mut error = Self::invalid(message);
        error.kind = ErrorType::Idempotency;
        error
    }

    /// A 402 for a failed payment attempt: the payment intent's `last_payment_error` (a `card_error` for
    /// a decline), with the payment intent itself, as Stripe answers a failed confirmation.
    pub fn payment_failed(last_payment_error: &Value, payment_intent: Value) -> Self {
        let text = |key: &str| last_payment_error[key].as_str().map(str::to_owned);
        ApiError {
            status: StatusCode::PAYMENT_REQUIRED,
            kind: if text("type").as_deref() == Some("card_error") {
                ErrorType::Card
            } else {
                ErrorType::InvalidRequest
            },
            code: text("code"),
            message: text("message").unwrap_or_else(|| "The payment failed.".to_owned()),
            param: None,
            decline_code: text("decline_code"),
            failed_payment: Some(Box::new(FailedPayment { charge: text("charge"), payment_intent })),
        }
    }

    /// A 402 `card_error` for a card that cannot be used (attaching a decline card, a declined first payment
    /// in a subscription checkout), without a payment intent.
    pub fn card_declined(decline: &crate::cards::Decline) -> Self {
        let mut error = Self::invalid(decline.message).code(decline.code);
        error.status = StatusCode::PAYMENT_REQUIRED;
        error.kind = ErrorType::Card;
        error.decline_code = Some(decline.decline_code.to_owned());
        error
    }

    /// The `{"error": {...}}` body; absent fields are left out, as Stripe leaves them out.
    pub fn body(&self) -> Value {
        let mut error = Map::new();
        error.insert("type".into(), json!(self.kind.as_str()));
        error.insert("message".into(), json!(self.message));
        if let Some(code) = &self.code {
            error.insert("code".into(), json!(code));
            error.insert(
                "doc_url".into(),
                json!(format!("https://stripe.com/docs/error-codes/{}", code.replace('_', "-"))),
            );
        }
        if let Some(param) = &self.param {
            error.insert("param".into(), json!(param));
        }
        if let Some(decline_code) = &self.decline_code {
            error.insert("decline_code".into(), json!(decline_code));
        }
        if let Some(failed) = &self.failed_payment {
            if let Some(charge) = &failed.charge {
                error.insert("charge".into(), json!(charge));
            }
            error.insert("payment_intent".into(), failed.payment_intent.clone());
        }
        json!({ "error": error })
    }
}

impl From<FormError> for ApiError {
    fn from(error: FormError) -> Self {
        ApiError::invalid(error.to_string())
    }
}
