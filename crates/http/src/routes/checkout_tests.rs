//! The checkout route against mocked ports.

use crate::test_support::{send, Ports, Reply};
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use payments_domain::{CheckoutSession, CheckoutSessionId, Currency, GatewayError, OrderId, StoreError};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use url::Url;

const PATH: &str = "/create-checkout-session";

fn item(name: &str, price: Value, quantity: Value) -> Value {
    json!({"name": name, "price": price, "quantity": quantity, "image": null})
}

fn cart(items: Vec<Value>) -> Value {
    json!({"email": "ada@example.com", "cartItems": items})
}

fn valid_cart() -> Value {
    cart(vec![
        json!({"name": "Course", "price": 1999, "quantity": 2, "image": "https://cdn.example.com/c.png"}),
        json!({"name": "Book", "price": 500, "quantity": 1}),
    ])
}

fn post(body: &Value) -> TestRequest {
    TestRequest::post().uri(PATH).set_json(body)
}

fn session() -> CheckoutSession {
    CheckoutSession {
        id: CheckoutSessionId::parse("cs_test_123").unwrap(),
        url: Url::parse("https://checkout.stripe.com/c/pay/cs_test_123").unwrap(),
        expires_at: None,
    }
}

/// Ports that fail the test if the request gets as far as storing an order or calling Stripe.
fn untouched_ports() -> Ports {
    let mut ports = Ports::new();
    ports.store.expect_insert_order().never();
    ports.gateway.expect_create_checkout_session().never();
    ports
}

/// Sends `body` and asserts it is refused before any port is used.
async fn refused(body: &Value) -> Reply {
    send(untouched_ports().payments(), post(body)).await
}

#[actix_web::test]
async fn a_valid_cart_is_stored_opened_and_answered_with_201_and_where_to_pay() {
    let mut ports = Ports::new();
    ports
        .store
        .expect_insert_order()
        .withf(|order| {
            order.amount.minor() == 2 * 1999 + 500
                && order.amount.currency() == Currency::USD
                && order.email.as_str() == "ada@example.com"
                && order.items.len() == 2
                && order.items[0].image_url().is_some()
                && order.items[1].image_url().is_none()
        })
        .times(1)
        .returning(|_| Ok(()));
    ports.gateway.expect_create_checkout_session().times(1).returning(|_| Ok(session()));
    ports.store.expect_attach_checkout_session().times(1).returning(|_, _, _| Ok(()));

    let reply = send(ports.payments(), post(&valid_cart())).await;

    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let order_id = reply.body["orderId"].as_str().unwrap();
    assert!(OrderId::parse(order_id).is_ok());
    assert_eq!(reply.body["url"], "https://checkout.stripe.com/c/pay/cs_test_123");
    assert_eq!(reply.body["sessionId"], "cs_test_123");
    assert_eq!(reply.body.as_object().unwrap().len(), 3);
    assert_eq!(
        reply.headers.get("location").unwrap().to_str().unwrap(),
        format!("/api/v1/orders/{order_id}")
    );
}

#[actix_web::test]
async fn the_versioned_path_is_the_same_checkout() {
    let mut ports = Ports::new();
    ports.store.expect_insert_order().times(1).returning(|_| Ok(()));
    ports.gateway.expect_create_checkout_session().times(1).returning(|_| Ok(session()));
    ports.store.expect_attach_checkout_session().times(1).returning(|_, _, _| Ok(()));

    let request = TestRequest::post().uri("/api/v1/checkout/sessions").set_json(valid_cart());
    assert_eq!(send(ports.payments(), request).await.status, StatusCode::CREATED);
}

#[actix_web::test]
async fn a_bad_email_is_refused_and_nothing_is_stored() {
    let mut body = valid_cart();
    body["email"] = json!("not-an-email");
    refused(&body).await.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_email");
}

#[actix_web::test]
async fn an_empty_cart_is_refused_and_nothing_is_stored() {
    refused(&cart(vec![])).await.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_cart");
}

#[actix_web::test]
async fn a_cart_of_101_items_is_refused_and_nothing_is_stored() {
    let items = vec![item("Pen", json!(100), json!(1)); 101];
    let reply = refused(&cart(items)).await;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_cart");
    assert!(reply.message().contains("100"), "{}", reply.message());
}

#[actix_web::test]
async fn a_cart_of_100_items_is_accepted() {
    let mut ports = Ports::new();
    ports.store.expect_insert_order().withf(|order| order.items.len() == 100).times(1).returning(|_| Ok(()));
    ports.gateway.expect_create_checkout_session().times(1).returning(|_| Ok(session()));
    ports.store.expect_attach_checkout_session().times(1).returning(|_, _, _| Ok(()));

    let items = vec![item("Pen", json!(100), json!(1)); 100];
    assert_eq!(send(ports.payments(), post(&cart(items))).await.status, StatusCode::CREATED);
}

/// Each broken rule of the item at index 1 (index 0 is valid), and the message that names it.
#[actix_web::test]
async fn each_item_rule_is_refused_with_the_item_index_and_the_rule() {
    let long_name = "x".repeat(251);
    let cases = [
        (item("Mug", json!(500), json!(0)), "cartItems[1].quantity must be between 1 and 999"),
        (item("Mug", json!(500), json!(1000)), "cartItems[1].quantity must be between 1 and 999"),
        (item("Mug", json!(500), json!(-1)), "cartItems[1].quantity must be between 1 and 999"),
        (item("Mug", json!(500), json!(1.5)), "cartItems[1].quantity must be between 1 and 999"),
        (item("Mug", json!(0), json!(1)), "cartItems[1].price must be greater than 0"),
        (item("Mug", json!(-5), json!(1)), "cartItems[1].price must be greater than 0"),
        (item("Mug", json!(19.99), json!(1)), "cartItems[1].price must be a whole number of minor units"),
        (item("", json!(500), json!(1)), "cartItems[1].name must be 1 to 250 characters"),
        (item("   ", json!(500), json!(1)), "cartItems[1].name must be 1 to 250 characters"),
        (item(&long_name, json!(500), json!(1)), "cartItems[1].name must be 1 to 250 characters"),
        (
            json!({"name": "Mug", "price": 500, "quantity": 1, "image": "ftp://cdn.example.com/m.png"}),
            "cartItems[1].image must be an http or https URL",
        ),
    ];
    for (bad, expected) in cases {
        let body = cart(vec![item("Pen", json!(100), json!(1)), bad.clone()]);
        let reply = refused(&body).await;
        reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_item");
        assert!(reply.message().starts_with(expected), "{bad}: {}", reply.message());
    }
}

#[actix_web::test]
async fn a_total_above_stripes_limit_is_refused_and_nothing_is_stored() {
    // 100,000.00 x 999 + 100,000.00: each item is valid, the sum is not.
    let body = cart(vec![item("Car", json!(100_000), json!(999)), item("Car", json!(100_000), json!(1))]);
    let reply = refused(&body).await;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "amount_too_large");
    assert!(reply.message().contains("99999999"), "{}", reply.message());
}

#[actix_web::test]
async fn malformed_json_is_a_400_with_serdes_message() {
    let request = TestRequest::post()
        .uri(PATH)
        .insert_header(("content-type", "application/json"))
        .set_payload(r#"{"email": "ada@example.com", "cartItems": ["#);
    let reply = send(untouched_ports().payments(), request).await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_json");
    assert!(reply.message().contains("line 1 column"), "{}", reply.message());
}

#[actix_web::test]
async fn ill_typed_json_is_a_400_that_names_the_problem() {
    let body = cart(vec![item("Mug", json!("1999"), json!(1))]);
    let reply = refused(&body).await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_json");
    assert!(reply.message().contains("invalid type: string \"1999\""), "{}", reply.message());

    let reply = refused(&json!({"email": "ada@example.com"})).await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_json");
    assert!(reply.message().contains("missing field `cartItems`"), "{}", reply.message());
}

#[actix_web::test]
async fn a_body_that_is_not_json_is_a_415() {
    let request =
        TestRequest::post().uri(PATH).insert_header(("content-type", "text/plain")).set_payload("hi");
    let reply = send(untouched_ports().payments(), request).await;
    reply.assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    assert!(reply.message().contains("application/json"));
}

#[actix_web::test]
async fn a_body_over_64_kib_is_a_413() {
    let body = cart(vec![item(&"x".repeat(64 * 1024), json!(1), json!(1))]);
    let reply = refused(&body).await;
    reply.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
}

/// Ports where the order is stored, Stripe fails with `error`, and the order is marked unpayable. The id of
/// the stored order is written to the returned cell.
fn failing_gateway(error: fn() -> GatewayError) -> (Ports, Arc<Mutex<Option<OrderId>>>) {
    let stored = Arc::new(Mutex::new(None));
    let mut ports = Ports::new();
    let cell = Arc::clone(&stored);
    ports.store.expect_insert_order().times(1).returning(move |order| {
        *cell.lock().unwrap() = Some(order.id);
        Ok(())
    });
    ports.gateway.expect_create_checkout_session().times(1).returning(move |_| Err(error()));
    ports.store.expect_mark_checkout_failed().times(1).returning(|_, _, _| Ok(()));
    ports.store.expect_attach_checkout_session().never();
    (ports, stored)
}

#[actix_web::test]
async fn a_refusal_by_stripe_is_a_502_that_does_not_repeat_stripes_message() {
    let (ports, _) = failing_gateway(|| GatewayError::Rejected {
        code: Some("api_key_invalid".to_owned()),
        message: "Invalid API Key provided: sk_test_****abcd".to_owned(),
    });
    let reply = send(ports.payments(), post(&valid_cart())).await;
    reply.assert_error(StatusCode::BAD_GATEWAY, "payment_provider_rejected");
    let body = reply.body.to_string();
    assert!(!body.contains("sk_test") && !body.contains("api_key_invalid"), "{body}");
}

#[actix_web::test]
async fn stripe_unavailable_is_a_502_that_names_the_order_that_was_not_opened() {
    let (ports, stored) =
        failing_gateway(|| GatewayError::Unavailable("connect timeout to 10.1.2.3".to_owned()));
    let reply = send(ports.payments(), post(&valid_cart())).await;
    reply.assert_error(StatusCode::BAD_GATEWAY, "payment_provider_unavailable");
    let stored = stored.lock().unwrap().expect("an order was stored");
    assert_eq!(reply.body["error"]["orderId"], stored.to_string());
    assert!(reply.message().contains("not opened"), "{}", reply.message());
    assert!(!reply.body.to_string().contains("10.1.2.3"));
}

#[actix_web::test]
async fn an_unreadable_stripe_answer_is_reported_as_unavailable() {
    let (ports, _) = failing_gateway(|| GatewayError::Unknown(anyhow::anyhow!("expected `url` in response")));
    let reply = send(ports.payments(), post(&valid_cart())).await;
    reply.assert_error(StatusCode::BAD_GATEWAY, "payment_provider_unavailable");
    assert!(reply.body["error"]["orderId"].is_string());
}

#[actix_web::test]
async fn an_unavailable_store_is_a_503_and_stripe_is_not_called() {
    let mut ports = Ports::new();
    ports
        .store
        .expect_insert_order()
        .times(1)
        .returning(|_| Err(StoreError::Unavailable("pool timed out".to_owned())));
    ports.gateway.expect_create_checkout_session().never();

    let reply = send(ports.payments(), post(&valid_cart())).await;
    reply.assert_error(StatusCode::SERVICE_UNAVAILABLE, "store_unavailable");
    assert!(!reply.message().contains("pool"));
}

#[actix_web::test]
async fn any_other_store_failure_is_a_generic_500() {
    let mut ports = Ports::new();
    ports
        .store
        .expect_insert_order()
        .times(1)
        .returning(|_| Err(StoreError::Unknown(anyhow::anyhow!("relation \"orders\" does not exist"))));
    ports.gateway.expect_create_checkout_session().never();

    let reply = send(ports.payments(), post(&valid_cart())).await;
    reply.assert_error(StatusCode::INTERNAL_SERVER_ERROR, "internal_error");
    assert!(!reply.body.to_string().contains("relation"), "{}", reply.body);
}
