//! The probes against mocked ports.

use crate::test_support::{send, Ports};
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use payments_domain::StoreError;
use serde_json::json;

#[actix_web::test]
async fn liveness_is_ok_without_asking_the_store() {
    let mut ports = Ports::new();
    ports.store.expect_ping().never();

    let reply = send(ports.services(), TestRequest::get().uri("/healthz")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, json!({"status": "ok"}));
}

#[actix_web::test]
async fn the_service_is_ready_when_the_store_answers() {
    let mut ports = Ports::new();
    ports.store.expect_ping().times(1).returning(|| Ok(()));

    let reply = send(ports.services(), TestRequest::get().uri("/readyz")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, json!({"status": "ready"}));
}

#[actix_web::test]
async fn the_service_is_not_ready_when_the_store_does_not_answer() {
    let mut ports = Ports::new();
    ports.store.expect_ping().times(1).returning(|| Err(StoreError::Unavailable("refused".to_owned())));

    let reply = send(ports.services(), TestRequest::get().uri("/readyz")).await;
    reply.assert_error(StatusCode::SERVICE_UNAVAILABLE, "not_ready");
    assert!(!reply.message().contains("refused"));
}

#[actix_web::test]
async fn a_store_that_never_answers_is_not_ready_within_the_readiness_deadline() {
    let deadlines =
        crate::Deadlines { readiness: std::time::Duration::from_millis(150), ..crate::Deadlines::default() };
    let options = crate::HttpOptions { deadlines, ..crate::HttpOptions::default() };
    let services = Ports::new().services_over(Some(std::sync::Arc::new(crate::test_support::SilentStore)));
    let started = std::time::Instant::now();
    let reply = crate::test_support::send_with(services, options, TestRequest::get().uri("/readyz")).await;
    reply.assert_error(StatusCode::SERVICE_UNAVAILABLE, "not_ready");
    assert!(started.elapsed() < std::time::Duration::from_secs(1), "{:?}", started.elapsed());
}
