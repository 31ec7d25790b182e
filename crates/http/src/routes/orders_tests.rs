//! The order lookups against mocked ports.

use crate::test_support::{now, send, Ports};
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use chrono::Duration;
use payments_domain::{
    CheckoutSessionId, Currency, Email, LineItem, Money, Order, OrderId, OrderStatus, PaymentIntentId,
    StoreError,
};
use serde_json::json;

const ORDER_ID: &str = "01936b2e-8f3a-7c4d-9e5f-0a1b2c3d4e5f";

fn paid_order() -> Order {
    let usd = |minor| Money::new(minor, Currency::USD).unwrap();
    let items = vec![
        LineItem::new("Course", usd(1999), 2, Some("https://cdn.example.com/c.png")).unwrap(),
        LineItem::new("Book", usd(500), 1, None).unwrap(),
    ];
    let mut order =
        Order::new(OrderId::parse(ORDER_ID).unwrap(), Email::parse("ada@example.com").unwrap(), items, now())
            .unwrap();
    order.status = OrderStatus::Paid;
    order.checkout_session_id = Some(CheckoutSessionId::parse("cs_test_123").unwrap());
    order.payment_intent_id = Some(PaymentIntentId::parse("pi_456").unwrap());
    order.updated_at = now() + Duration::milliseconds(90_250);
    order
}

fn paid_order_json() -> serde_json::Value {
    json!({
        "id": ORDER_ID,
        "email": "ada@example.com",
        "items": [
            {"name": "Course", "price": 1999, "quantity": 2, "image": "https://cdn.example.com/c.png"},
            {"name": "Book", "price": 500, "quantity": 1, "image": null},
        ],
        "amount": 4498,
        "currency": "usd",
        "status": "paid",
        "transactionId": "pi_456",
        "sessionId": "cs_test_123",
        "failureReason": null,
        "createdAt": "2026-11-23T12:00:00.000Z",
        "updatedAt": "2026-11-23T12:01:30.250Z",
    })
}

fn get(uri: &str) -> TestRequest {
    TestRequest::get().uri(uri)
}

#[actix_web::test]
async fn an_order_is_found_by_id_in_the_seeds_shape() {
    let mut ports = Ports::new();
    ports
        .store
        .expect_find_order()
        .withf(|id| id.to_string() == ORDER_ID)
        .times(1)
        .returning(|_| Ok(Some(paid_order())));

    let reply = send(ports.payments(), get(&format!("/api/v1/orders/{ORDER_ID}"))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body, paid_order_json());
    assert_eq!(reply.headers.get("cache-control").unwrap(), "no-store");
}

#[actix_web::test]
async fn an_unknown_order_is_a_404() {
    let mut ports = Ports::new();
    ports.store.expect_find_order().times(1).returning(|_| Ok(None));

    let reply = send(ports.payments(), get(&format!("/api/v1/orders/{ORDER_ID}"))).await;
    reply.assert_error(StatusCode::NOT_FOUND, "order_not_found");
}

#[actix_web::test]
async fn an_order_id_that_is_not_a_uuid_is_a_400_and_the_store_is_not_asked() {
    let mut ports = Ports::new();
    ports.store.expect_find_order().never();

    let reply = send(ports.payments(), get("/api/v1/orders/42")).await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_order_id");
}

#[actix_web::test]
async fn an_unavailable_store_is_a_503() {
    let mut ports = Ports::new();
    ports.store.expect_find_order().times(1).returning(|_| Err(StoreError::Unavailable("down".to_owned())));

    let reply = send(ports.payments(), get(&format!("/api/v1/orders/{ORDER_ID}"))).await;
    reply.assert_error(StatusCode::SERVICE_UNAVAILABLE, "store_unavailable");
}

#[actix_web::test]
async fn an_order_is_found_by_its_checkout_session() {
    let mut ports = Ports::new();
    ports
        .store
        .expect_find_order_by_session()
        .withf(|id| id.as_str() == "cs_test_123")
        .times(1)
        .returning(|_| Ok(Some(paid_order())));

    let reply = send(ports.payments(), get("/api/v1/checkout/sessions/cs_test_123")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body, paid_order_json());
}

#[actix_web::test]
async fn an_unknown_session_is_a_404() {
    let mut ports = Ports::new();
    ports.store.expect_find_order_by_session().times(1).returning(|_| Ok(None));

    let reply = send(ports.payments(), get("/api/v1/checkout/sessions/cs_test_999")).await;
    reply.assert_error(StatusCode::NOT_FOUND, "order_not_found");
}

#[actix_web::test]
async fn a_malformed_session_id_is_a_400_and_the_store_is_not_asked() {
    let mut ports = Ports::new();
    ports.store.expect_find_order_by_session().never();

    let reply = send(ports.payments(), get("/api/v1/checkout/sessions/cs-test;drop")).await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_session_id");
}
