//! Every route, and the JSON answers for unknown paths (404) and wrong methods (405).

pub(crate) mod checkout;
pub(crate) mod health;
pub(crate) mod orders;
pub(crate) mod storefront;
pub(crate) mod webhook;

use crate::error::ApiError;
use actix_web::http::{header, Method, StatusCode};
use actix_web::{web, FromRequest, Handler, HttpResponse, Resource, Responder, ResponseError};

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
    let mut response = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("This path only answers {allowed}."),
    )
    .error_response();
    if let Ok(value) = header::HeaderValue::from_str(allowed.as_str()) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

/// The answer for every path no route matches.
pub(crate) async fn not_found() -> HttpResponse {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such route.").error_response()
}
