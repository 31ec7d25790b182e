//! `GET /api/v1/orders/{id}` and `GET /api/v1/checkout/sessions/{session_id}`: an order, as clients read it.

use crate::dto::order::OrderView;
use crate::error::ApiError;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use payments_domain::{CheckoutSessionId, GetOrderError, Order, OrderId, Payments};

/// Registers both lookups.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(super::get(&["/api/v1/orders/{id}"], by_id))
        .service(super::get(&["/api/v1/checkout/sessions/{session_id}"], by_session));
}

/// The order with this id.
#[tracing::instrument(skip_all)]
async fn by_id(payments: web::Data<Payments>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = OrderId::parse(&id).map_err(|_| {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_order_id", "The order id must be a UUID.")
    })?;
    found(payments.order(id).await)
}

/// The order paid through this Checkout Session (a success page holds `?session_id=`).
#[tracing::instrument(skip_all)]
async fn by_session(payments: web::Data<Payments>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = CheckoutSessionId::parse(&id).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_session_id",
            "The session id must be 1 to 255 letters, digits and underscores (cs_...).",
        )
    })?;
    found(payments.order_by_session(&id).await)
}

fn found(result: Result<Order, GetOrderError>) -> Result<HttpResponse, ApiError> {
    match result {
        // It holds the customer's email: no shared cache may keep it.
        Ok(order) => Ok(HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(OrderView::from(&order))),
        Err(GetOrderError::NotFound) => {
            Err(ApiError::new(StatusCode::NOT_FOUND, "order_not_found", "No such order."))
        }
        Err(GetOrderError::Store(err)) => Err(ApiError::store(&err)),
    }
}

#[cfg(test)]
#[path = "orders_tests.rs"]
mod tests;
