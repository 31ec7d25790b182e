//! Refund routes against mocked ports: every refused request is refused before the store or Stripe is asked
//! (the mocks have no expectations, so a call would panic). Refunds issued and settled are in the whole-app
//! tests (`tests/app/refunds.rs`).

use crate::test_support::{bearer, send, user_token, Ports, ADMIN_KEY};
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use serde_json::json;

const ORDER: &str = "0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";

fn admin() -> (actix_web::http::header::HeaderName, String) {
    bearer(ADMIN_KEY)
}

fn admin_refund() -> TestRequest {
    TestRequest::post().uri(&format!("/api/v1/admin/orders/{ORDER}/refunds")).insert_header(admin())
}

#[actix_web::test]
async fn a_refund_without_an_idempotency_key_is_refused() {
    let reply = send(Ports::new().services(), admin_refund().set_json(json!({"amount": 100}))).await;
    reply.assert_error(StatusCode::BAD_REQUEST, "idempotency_key_required");
    assert!(reply.message().contains("Idempotency-Key"), "{}", reply.body);
}

#[actix_web::test]
async fn an_unusable_idempotency_key_is_refused() {
    for key in ["", "   ", &"k".repeat(201)] {
        let request = admin_refund().insert_header(("Idempotency-Key", key)).set_json(json!({}));
        let reply = send(Ports::new().services(), request).await;
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_idempotency_key");
    }
}

#[actix_web::test]
async fn a_bad_amount_or_reason_is_refused() {
    for body in [json!({"amount": 0}), json!({"amount": -5}), json!({"reason": "changed_my_mind"})] {
        let request = admin_refund().insert_header(("Idempotency-Key", "k1")).set_json(&body);
        let reply = send(Ports::new().services(), request).await;
        reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_refund");
    }
    for body in [json!({"amount": "100"}), json!({"amount": 1.5}), json!({"amount": 100, "currency": "eur"})]
    {
        let request = admin_refund().insert_header(("Idempotency-Key", "k1")).set_json(&body);
        let reply = send(Ports::new().services(), request).await;
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_json");
    }
    let request = admin_refund()
        .insert_header(("Idempotency-Key", "k1"))
        .insert_header(("content-type", "text/plain"))
        .set_payload("amount=100");
    let reply = send(Ports::new().services(), request).await;
    reply.assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
}

#[actix_web::test]
async fn only_the_admin_key_refunds_through_the_admin_path() {
    let guest = TestRequest::post().uri(&format!("/api/v1/admin/orders/{ORDER}/refunds"));
    let reply = send(Ports::new().services(), guest.insert_header(("Idempotency-Key", "k1"))).await;
    reply.assert_error(StatusCode::UNAUTHORIZED, "authentication_required");
    let user = TestRequest::post()
        .uri(&format!("/api/v1/admin/orders/{ORDER}/refunds"))
        .insert_header(bearer(&user_token("auth0|ada", Some("ada@example.com"))))
        .insert_header(("Idempotency-Key", "k1"));
    let reply = send(Ports::new().services(), user).await;
    reply.assert_error(StatusCode::FORBIDDEN, "admin_only");
    let list = TestRequest::get().uri(&format!("/api/v1/admin/orders/{ORDER}/refunds"));
    send(Ports::new().services(), list)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "authentication_required");
}

#[actix_web::test]
async fn a_guest_cannot_refund_and_other_methods_are_405() {
    let guest = TestRequest::post()
        .uri(&format!("/api/v1/orders/{ORDER}/refunds"))
        .insert_header(("Idempotency-Key", "k1"));
    send(Ports::new().services(), guest)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "authentication_required");
    let reply = send(
        Ports::new().services(),
        TestRequest::delete().uri(&format!("/api/v1/admin/orders/{ORDER}/refunds")).insert_header(admin()),
    )
    .await;
    reply.assert_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    assert_eq!(reply.headers.get("allow").unwrap(), "GET, POST");
    let reply = send(
        Ports::new().services(),
        admin_refund()
            .uri("/api/v1/admin/orders/not-a-uuid/refunds")
            .insert_header(("Idempotency-Key", "k1")),
    )
    .await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_order_id");
}
