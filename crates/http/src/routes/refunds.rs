//! Refunds: `POST /api/v1/admin/orders/{id}/refunds` and `GET` (admin key), and for an order's owner, when the
//! operator allows it, `POST /api/v1/orders/{id}/refunds` and `GET`. A refund needs an `Idempotency-Key`.

use crate::auth::Authenticated;
use crate::body::JSON_LIMIT_BYTES;
use crate::dto::refund::{RefundBody, RefundList, RefundView};
use crate::error::ApiError;
use crate::error_code::ErrorCode;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use payments_domain::{
    Caller, GatewayError, OrderId, RefundAsk, RefundError, RefundReason, RefundRefusal, Refunds,
    MAX_IDEMPOTENCY_KEY_CHARS,
};

/// The header that names a refund request, so that sending it again never refunds twice.
const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// Registers the refund routes.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/v1/admin/orders/{id}/refunds")
            .route(web::post().to(admin_issue))
            .route(web::get().to(admin_list))
            .default_service(web::to(|| async { super::method_not_allowed_many("GET, POST") })),
    )
    .service(
        web::resource("/api/v1/orders/{id}/refunds")
            .route(web::post().to(owner_issue))
            .route(web::get().to(owner_list))
            .default_service(web::to(|| async { super::method_not_allowed_many("GET, POST") })),
    );
}

#[tracing::instrument(skip_all)]
async fn admin_issue(
    refunds: web::Data<Refunds>,
    caller: Authenticated,
    id: web::Path<String>,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    super::admin_only(&caller.0)?;
    issue(&refunds, &caller.0, &id, &request, &body).await
}

#[tracing::instrument(skip_all)]
async fn owner_issue(
    refunds: web::Data<Refunds>,
    caller: Authenticated,
    id: web::Path<String>,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    issue(&refunds, &caller.0, &id, &request, &body).await
}

#[tracing::instrument(skip_all)]
async fn admin_list(
    refunds: web::Data<Refunds>,
    caller: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    super::admin_only(&caller.0)?;
    list(&refunds, &caller.0, &id).await
}

#[tracing::instrument(skip_all)]
async fn owner_list(
    refunds: web::Data<Refunds>,
    caller: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    list(&refunds, &caller.0, &id).await
}

async fn issue(
    refunds: &Refunds,
    caller: &Caller,
    id: &str,
    request: &HttpRequest,
    body: &[u8],
) -> Result<HttpResponse, ApiError> {
    let id = order_id(id)?;
    let key = idempotency_key(request)?;
    let ask = ask(request, body)?;
    let issued = refunds.issue(caller, id, &key, ask).await.map_err(|e| error(&e))?;
    Ok(HttpResponse::Accepted()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(RefundView::new(issued.order_id, &issued.refund)))
}

async fn list(refunds: &Refunds, caller: &Caller, id: &str) -> Result<HttpResponse, ApiError> {
    let id = order_id(id)?;
    let found = refunds.list(caller, id).await.map_err(|e| error(&e))?;
    Ok(super::private_json(RefundList::new(id, &found)))
}

fn order_id(id: &str) -> Result<OrderId, ApiError> {
    OrderId::parse(id).map_err(|_| ApiError::new(ErrorCode::InvalidOrderId, "The order id must be a UUID."))
}

/// The caller's `Idempotency-Key`: required, 1 to 200 printable ASCII characters.
fn idempotency_key(request: &HttpRequest) -> Result<String, ApiError> {
    let Some(raw) = request.headers().get(IDEMPOTENCY_KEY) else {
        return Err(ApiError::new(
            ErrorCode::IdempotencyKeyRequired,
            "A refund needs an Idempotency-Key header (for example a UUID): sending the same key again never \
             refunds twice.",
        ));
    };
    raw.to_str()
        .ok()
        .map(str::trim)
        .filter(|key| !key.is_empty() && key.len() <= MAX_IDEMPOTENCY_KEY_CHARS)
        .map(str::to_owned)
        .ok_or_else(invalid_key)
}

fn invalid_key() -> ApiError {
    ApiError::new(
        ErrorCode::InvalidIdempotencyKey,
        format!("The Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_CHARS} printable ASCII characters."),
    )
}

/// The body: empty (all that is left), or JSON `{"amount", "reason"}`.
fn ask(request: &HttpRequest, body: &[u8]) -> Result<RefundAsk, ApiError> {
    if body.len() > JSON_LIMIT_BYTES {
        return Err(ApiError::new(ErrorCode::PayloadTooLarge, "The body is over its limit."));
    }
    let body: RefundBody = if body.iter().all(u8::is_ascii_whitespace) {
        RefundBody::default()
    } else {
        let json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(|value| value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
            .is_some_and(|essence| essence == "application/json" || essence.ends_with("+json"));
        if !json {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "The request body must be JSON, sent with Content-Type: application/json.",
            ));
        }
        serde_json::from_slice(body)
            .map_err(|e| ApiError::new(ErrorCode::InvalidJson, format!("The body is not valid JSON: {e}")))?
    };
    if body.amount.is_some_and(|amount| amount < 1) {
        return Err(ApiError::new(
            ErrorCode::InvalidRefund,
            "amount must be a whole number of minor units, at least 1 (leave it out to refund all that is left).",
        ));
    }
    let reason = match body.reason.as_deref() {
        None => None,
        Some(raw) => Some(RefundReason::parse(raw).ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidRefund,
                "reason must be requested_by_customer, duplicate or fraudulent.",
            )
        })?),
    };
    Ok(RefundAsk { amount: body.amount, reason })
}

/// What a client reads when a refund is not issued or listed.
fn error(err: &RefundError) -> ApiError {
    match err {
        RefundError::NotFound => ApiError::new(ErrorCode::OrderNotFound, "No such order."),
        RefundError::AuthenticationRequired => {
            ApiError::authentication_required("Sign in to refund an order: send Authorization: Bearer <token>.")
        }
        RefundError::NotAllowed(why) => ApiError::new(ErrorCode::RefundsNotAllowed, capitalized(why)),
        RefundError::InvalidKey => invalid_key(),
        RefundError::Refused(RefundRefusal::NotRefundable(status)) => ApiError::new(
            ErrorCode::OrderNotRefundable,
            format!("The order is {}: only a paid order can be refunded.", status.as_str()),
        ),
        RefundError::Refused(RefundRefusal::ExceedsPayment { requested, available }) => ApiError::new(
            ErrorCode::RefundExceedsPayment,
            format!(
                "{requested} minor units were asked, and {available} are left to refund (paid, less refunds \
                 made or pending); nothing was refunded."
            ),
        ),
        RefundError::Refused(RefundRefusal::KeyReused) => ApiError::new(
            ErrorCode::IdempotencyKeyReused,
            "This Idempotency-Key was used for this order with another amount or reason: use a new key for a \
             new refund.",
        ),
        RefundError::Refused(refusal @ (RefundRefusal::AlreadyAsked(_) | RefundRefusal::UnknownRequest)) => {
            tracing::error!(error = %refusal, "a refund request was refused where it cannot be");
            ApiError::internal()
        }
        RefundError::Rejected(reason) => {
            tracing::warn!(%reason, "the payment provider refused a refund");
            ApiError::new(
                ErrorCode::RefundRejected,
                format!("Stripe refused the refund ({reason}); nothing was refunded."),
            )
        }
        RefundError::Gateway(source @ GatewayError::Rejected { .. }) => {
            tracing::error!(error = %source, "the payment provider refused a refund request");
            ApiError::new(ErrorCode::RefundRejected, "Stripe refused the refund; nothing was refunded.")
        }
        RefundError::Gateway(source) => {
            tracing::warn!(error = %source, "the payment provider could not take a refund");
            ApiError::new(
                ErrorCode::PaymentProviderUnavailable,
                "Stripe could not be reached, so the refund may or may not have been made: its amount stays held. \
                 Send the same request with the same Idempotency-Key again.",
            )
        }
        RefundError::Store(err) => ApiError::store(err),
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect::<String>() + ".")
}

#[cfg(test)]
#[path = "refunds_tests.rs"]
mod tests;
