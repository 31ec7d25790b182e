//! `GET /healthz` (the process answers) and `GET /readyz` (it can serve: the store answers).

use crate::error::ApiError;
use crate::error_code::ErrorCode;
use crate::server::Deadlines;
use actix_web::{web, HttpResponse};
use payments_domain::Queries;
use serde_json::json;

/// Registers both probes.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(super::get(&["/healthz"], healthz)).service(super::get(&["/readyz"], readyz));
}

/// Liveness: always 200 while the process serves requests.
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// Readiness: 200 when the order store answers, else 503 `not_ready`.
async fn readyz(
    queries: web::Data<Queries>,
    deadlines: web::Data<Deadlines>,
) -> Result<HttpResponse, ApiError> {
    let not_ready = || ApiError::new(ErrorCode::NotReady, "The service cannot reach its order store.");
    match actix_web::rt::time::timeout(deadlines.readiness, queries.ready()).await {
        Ok(Ok(())) => {}
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "not ready: the order store does not answer");
            return Err(not_ready());
        }
        Err(_) => {
            tracing::warn!(deadline = ?deadlines.readiness, "not ready: the order store did not answer in time");
            return Err(not_ready());
        }
    }
    Ok(HttpResponse::Ok().json(json!({"status": "ready"})))
}

#[cfg(test)]
#[path = "health_tests.rs"]
mod tests;
