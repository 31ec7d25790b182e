//! Orders as clients read them: `GET /api/v1/orders/{id}`, `GET /api/v1/checkout/sessions/{session_id}`,
//! `GET /api/v1/orders` (the caller's) and `GET /api/v1/admin/orders` (every order, admin only).

use crate::auth::Authenticated;
use crate::dto::order::{OrderList, OrderView};
use crate::error::ApiError;
use crate::error_code::ErrorCode;
use actix_web::{web, HttpResponse};
use payments_domain::{Caller, CheckoutSessionId, OrderId, Queries};
use serde::Deserialize;

/// How many orders a list holds unless `?limit=` says otherwise.
const DEFAULT_LIMIT: u32 = 50;
/// The largest `?limit=`.
const MAX_LIMIT: u32 = 500;

/// Registers the lookups and the lists.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(super::get(&["/api/v1/orders"], list))
        .service(super::get(&["/api/v1/orders/{id}"], by_id))
        .service(super::get(&["/api/v1/checkout/sessions/{session_id}"], by_session))
        .service(super::get(&["/api/v1/admin/orders"], admin_list));
}

/// The order with this id: the admin may read any, a user their own (anyone else's is a 404), a guest none
/// (401: a guest reads their order by its session id).
#[tracing::instrument(skip_all)]
async fn by_id(
    queries: web::Data<Queries>,
    caller: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = OrderId::parse(&id)
        .map_err(|_| ApiError::new(ErrorCode::InvalidOrderId, "The order id must be a UUID."))?;
    let order = queries.order_for(&caller.0, id).await.map_err(|e| super::read_error(&e))?;
    Ok(super::private_json(OrderView::from(&order)))
}

/// The order paid through this Checkout Session (a success page holds `?session_id=`): a guest's order for
/// anyone holding the session id, a user's only for that user or the admin.
#[tracing::instrument(skip_all)]
async fn by_session(
    queries: web::Data<Queries>,
    caller: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = CheckoutSessionId::parse(&id).map_err(|_| {
        ApiError::new(
            ErrorCode::InvalidSessionId,
            "The session id must be 1 to 255 letters, digits and underscores (cs_...).",
        )
    })?;
    let order = queries.order_by_session_for(&caller.0, &id).await.map_err(|e| super::read_error(&e))?;
    Ok(super::private_json(OrderView::from(&order)))
}

/// `?limit=`: 1 to 500, 50 when absent.
#[derive(Debug, Deserialize)]
struct ListQuery {
    #[serde(default)]
    limit: Option<String>,
}

impl ListQuery {
    fn limit(&self) -> Result<u32, ApiError> {
        match self.limit.as_deref() {
            None => Ok(DEFAULT_LIMIT),
            Some(raw) => {
                raw.trim().parse::<u32>().ok().filter(|limit| (1..=MAX_LIMIT).contains(limit)).ok_or_else(
                    || {
                        ApiError::new(
                            ErrorCode::InvalidLimit,
                            format!("limit must be a whole number from 1 to {MAX_LIMIT}."),
                        )
                    },
                )
            }
        }
    }
}

/// The caller's orders: a user's own, newest first; the admin's every order (as the store lists them).
#[tracing::instrument(skip_all)]
async fn list(
    queries: web::Data<Queries>,
    caller: Authenticated,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = query.limit()?;
    let orders = queries.orders_for(&caller.0, limit).await.map_err(|e| super::read_error(&e))?;
    Ok(super::private_json(OrderList::new(&orders)))
}

/// Every order, for the admin API key only.
#[tracing::instrument(skip_all)]
async fn admin_list(
    queries: web::Data<Queries>,
    caller: Authenticated,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    super::admin_only(&caller.0)?;
    let limit = query.limit()?;
    let orders = queries.orders_for(&Caller::Admin, limit).await.map_err(|e| super::read_error(&e))?;
    Ok(super::private_json(OrderList::new(&orders)))
}

#[cfg(test)]
#[path = "orders_tests.rs"]
mod tests;
