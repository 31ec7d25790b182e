//! Every route, and the JSON answers for unknown paths (404) and wrong methods (405).

pub(crate) mod checkout;
pub(crate) mod demo_shop;
pub(crate) mod health;
pub(crate) mod metrics;
pub(crate) mod orders;
pub(crate) mod outbox;
pub(crate) mod products;
pub(crate) mod refunds;
pub(crate) mod storefront;
pub(crate) mod subscriptions;
pub(crate) mod webhook;

use crate::error::ApiError;
use crate::error_code::ErrorCode;
use actix_web::http::{header, Method};
use actix_web::{web, FromRequest, Handler, HttpResponse, Resource, Responder, ResponseError};
use payments_domain::{Caller, GetOrderError};
use serde::Serialize;

/// A resource answering `GET` on each of `paths` with `handler`, and other methods with 405.
pub(crate) fn get<F, Args>(paths: &[&str], handler: F) -> Resource
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    only(Method::GET, paths).route(web::get().to(handler))
}

/// A resource answering `POST` on each of `paths` with `handler`, and other methods with 405.
pub(crate) fn post<F, Args>(paths: &[&str], handler: F) -> Resource
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    only(Method::POST, paths).route(web::post().to(handler))
}

fn only(allowed: Method, paths: &[&str]) -> Resource {
    web::resource(paths.to_vec()).default_service(web::to(move || {
        let allowed = allowed.clone();
        async move { method_not_allowed(&allowed) }
    }))
}

fn method_not_allowed(allowed: &Method) -> HttpResponse {
    method_not_allowed_many(allowed.as_str())
}

/// The 405 for a path that answers only `allowed` (`"GET, POST"`), with an `Allow` header.
pub(crate) fn method_not_allowed_many(allowed: &str) -> HttpResponse {
    let mut response =
        ApiError::new(ErrorCode::MethodNotAllowed, format!("This path only answers {allowed}."))
            .error_response();
    if let Ok(value) = header::HeaderValue::from_str(allowed) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

/// The answer for every path no route matches.
pub(crate) async fn not_found() -> HttpResponse {
    ApiError::new(ErrorCode::NotFound, "No such route.").error_response()
}

/// A 200 with `body` that only its caller may see: no shared cache may keep it.
pub(crate) fn private_json(body: impl Serialize) -> HttpResponse {
    HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(body)
}

/// What a client reads when an order, a purchase status or a list cannot be read.
pub(crate) fn read_error(err: &GetOrderError) -> ApiError {
    match err {
        GetOrderError::NotFound => ApiError::new(ErrorCode::OrderNotFound, "No such order."),
        GetOrderError::ProductNotFound => ApiError::new(ErrorCode::ProductNotFound, "No such product."),
        GetOrderError::AuthenticationRequired => {
            ApiError::authentication_required("Sign in to read this: send Authorization: Bearer <token>.")
        }
        GetOrderError::UsersOnly => users_only_error(),
        GetOrderError::Store(err) => ApiError::store(err),
    }
}

/// Passes the admin only: a guest is a 401 `authentication_required`, a user a 403 `admin_only`.
pub(crate) fn admin_only(caller: &Caller) -> Result<(), ApiError> {
    match caller {
        Caller::Admin => Ok(()),
        Caller::Guest => Err(ApiError::authentication_required(
            "This endpoint needs the admin API key: send Authorization: Bearer <admin key>.",
        )),
        Caller::User { .. } => Err(ApiError::new(
            ErrorCode::AdminOnly,
            "This endpoint is for the admin API key only; a user token does not give access.",
        )),
    }
}

/// Passes signed-in users only: a guest is a 401 `authentication_required`, the admin a 403 `users_only`.
pub(crate) fn users_only(caller: &Caller) -> Result<(), ApiError> {
    match caller {
        Caller::User { .. } => Ok(()),
        Caller::Guest => Err(read_error(&GetOrderError::AuthenticationRequired)),
        Caller::Admin => Err(users_only_error()),
    }
}

fn users_only_error() -> ApiError {
    ApiError::new(ErrorCode::UsersOnly, "Only a signed-in user has purchases; the admin API key has none.")
}
