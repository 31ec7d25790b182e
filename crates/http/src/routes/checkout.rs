//! `POST /create-checkout-session` (the seed's path) and `POST /api/v1/checkout/sessions`.

use crate::dto::checkout::{order_error, CheckoutCreated, CheckoutRequest};
use crate::error::ApiError;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use payments_domain::{GatewayError, Payments, StartCheckoutError};

/// Registers the checkout route under both of its paths.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(super::post(&["/create-checkout-session", "/api/v1/checkout/sessions"], create));
}

/// Checks the cart, opens a checkout for it and answers 201 with where to send the customer.
#[tracing::instrument(skip_all)]
async fn create(
    payments: web::Data<Payments>,
    body: web::Json<CheckoutRequest>,
) -> Result<HttpResponse, ApiError> {
    let checkout = body.into_inner().validate(payments.currency())?;
    let started = payments
        .start_checkout(checkout.email, checkout.items)
        .await
        .map_err(|e| start_checkout_error(&e))?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/orders/{}", started.order_id)))
        .json(CheckoutCreated::from(&started)))
}

fn start_checkout_error(err: &StartCheckoutError) -> ApiError {
    match err {
        StartCheckoutError::InvalidOrder(err) => order_error(err),
        StartCheckoutError::Gateway { order_id, source: source @ GatewayError::Rejected { .. } } => {
            // A refusal is our request's fault (a bad key or parameter): someone must look.
            tracing::error!(%order_id, error = %source, "the payment provider refused the checkout session");
            ApiError::new(
                StatusCode::BAD_GATEWAY,
                "payment_provider_rejected",
                "The payment provider refused to open a checkout session; the order was not opened.",
            )
        }
        StartCheckoutError::Gateway { order_id, source } => {
            tracing::warn!(%order_id, error = %source, "the payment provider could not open the checkout session");
            ApiError::new(
                StatusCode::BAD_GATEWAY,
                "payment_provider_unavailable",
                "The payment provider could not be reached; the order was not opened. Please try again.",
            )
            .with_order_id(*order_id)
        }
        StartCheckoutError::Store(err) => ApiError::store(err),
    }
}

#[cfg(test)]
#[path = "checkout_tests.rs"]
mod tests;
