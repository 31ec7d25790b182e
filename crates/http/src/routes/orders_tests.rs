//! The order lookups and lists against mocked ports.

use crate::test_support::{bearer, now, send, user_token, Ports, ADMIN_KEY};
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use chrono::Duration;
use payments_domain::{
    CatalogRef, CheckoutSessionId, Currency, Email, LineItem, Money, Order, OrderId, OrderStatus,
    PaymentFacts, PaymentIntentId, PriceKey, Sku, StoreError, UserId,
};
use serde_json::json;

const ORDER_ID: &str = "01936b2e-8f3a-7c4d-9e5f-0a1b2c3d4e5f";

/// A paid guest order of two client-priced lines.
fn paid_order() -> Order {
    let usd = |minor| Money::new(minor, Currency::USD).unwrap();
    let items = vec![
        LineItem::new("Course", usd(1999), 2, Some("https://cdn.example.com/c.png")).unwrap(),
        LineItem::new("Book", usd(500), 1, None).unwrap(),
    ];
    let order =
        Order::new(OrderId::parse(ORDER_ID).unwrap(), Email::parse("ada@example.com").unwrap(), items, now())
            .unwrap();
    let mut stored = order.into_stored();
    stored.facts = PaymentFacts::leading_to(OrderStatus::Paid, stored.amount);
    stored.checkout_session_id = Some(CheckoutSessionId::parse("cs_test_123").unwrap());
    stored.payment_intent_id = Some(PaymentIntentId::parse("pi_456").unwrap());
    stored.updated_at = now() + Duration::milliseconds(90_250);
    Order::restore(stored).unwrap()
}

fn paid_order_json() -> serde_json::Value {
    json!({
        "id": ORDER_ID,
        "email": "ada@example.com",
        "userId": null,
        "items": [
            {"name": "Course", "price": 1999, "quantity": 2, "image": "https://cdn.example.com/c.png"},
            {"name": "Book", "price": 500, "quantity": 1, "image": null},
        ],
        "amount": 4498,
        "refundedAmount": 0,
        "currency": "usd",
        "status": "paid",
        "transactionId": "pi_456",
        "sessionId": "cs_test_123",
        "failureReason": null,
        "createdAt": "2026-11-23T12:00:00.000Z",
        "updatedAt": "2026-11-23T12:01:30.250Z",
    })
}

/// The paid order, placed by `user`, its first line sold from the catalog.
fn users_order(user: &str) -> Order {
    let mut stored = paid_order().into_stored();
    stored.user_id = Some(UserId::parse(user).unwrap());
    stored.items[0] = stored.items[0].clone().with_catalog(CatalogRef {
        sku: Sku::parse("course").unwrap(),
        price_id: PriceKey::parse("course-usd").unwrap(),
    });
    Order::restore(stored).unwrap()
}

fn get(uri: &str) -> TestRequest {
    TestRequest::get().uri(uri)
}

fn as_admin(uri: &str) -> TestRequest {
    get(uri).insert_header(bearer(ADMIN_KEY))
}

fn as_user(uri: &str, user: &str) -> TestRequest {
    get(uri).insert_header(bearer(&user_token(user, None)))
}

fn by_id() -> String {
    format!("/api/v1/orders/{ORDER_ID}")
}

#[actix_web::test]
async fn the_admin_finds_any_order_by_id_in_the_seeds_shape() {
    let mut ports = Ports::new();
    ports
        .store
        .expect_find_order()
        .withf(|id| id.to_string() == ORDER_ID)
        .times(1)
        .returning(|_| Ok(Some(paid_order())));

    let reply = send(ports.services(), as_admin(&by_id())).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body, paid_order_json());
    assert_eq!(reply.headers.get("cache-control").unwrap(), "no-store");
}

#[actix_web::test]
async fn a_user_reads_their_own_order_with_its_user_id_and_catalog_links() {
    let mut ports = Ports::new();
    ports.store.expect_find_order().times(1).returning(|_| Ok(Some(users_order("auth0|ada"))));

    let reply = send(ports.services(), as_user(&by_id(), "auth0|ada")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let mut expected = paid_order_json();
    expected["userId"] = json!("auth0|ada");
    expected["items"][0]["sku"] = json!("course");
    expected["items"][0]["priceId"] = json!("course-usd");
    assert_eq!(reply.body, expected);
}

#[actix_web::test]
async fn another_users_order_is_a_404_like_an_unknown_one() {
    let mut ports = Ports::new();
    ports.store.expect_find_order().times(1).returning(|_| Ok(Some(users_order("auth0|ada"))));
    let someone_elses = send(ports.services(), as_user(&by_id(), "auth0|eve")).await;
    someone_elses.assert_error(StatusCode::NOT_FOUND, "order_not_found");

    let mut ports = Ports::new();
    ports.store.expect_find_order().times(1).returning(|_| Ok(None));
    let unknown = send(ports.services(), as_user(&by_id(), "auth0|eve")).await;
    assert_eq!(someone_elses.body, unknown.body);

    // A guest order is no user's either.
    let mut ports = Ports::new();
    ports.store.expect_find_order().times(1).returning(|_| Ok(Some(paid_order())));
    let guests = send(ports.services(), as_user(&by_id(), "auth0|eve")).await;
    guests.assert_error(StatusCode::NOT_FOUND, "order_not_found");
}

#[actix_web::test]
async fn a_guest_reading_an_order_by_id_is_a_401_and_the_store_is_not_asked() {
    let mut ports = Ports::new();
    ports.store.expect_find_order().never();

    let reply = send(ports.services(), get(&by_id())).await;
    reply.assert_error(StatusCode::UNAUTHORIZED, "authentication_required");
    assert_eq!(reply.headers.get("www-authenticate").unwrap(), r#"Bearer realm="payments""#);
}

#[actix_web::test]
async fn an_unknown_order_is_a_404() {
    let mut ports = Ports::new();
    ports.store.expect_find_order().times(1).returning(|_| Ok(None));

    let reply = send(ports.services(), as_admin(&by_id())).await;
    reply.assert_error(StatusCode::NOT_FOUND, "order_not_found");
}

#[actix_web::test]
async fn an_order_id_that_is_not_a_uuid_is_a_400_and_the_store_is_not_asked() {
    let mut ports = Ports::new();
    ports.store.expect_find_order().never();

    let reply = send(ports.services(), as_admin("/api/v1/orders/42")).await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_order_id");
}

#[actix_web::test]
async fn an_unavailable_store_is_a_503() {
    let mut ports = Ports::new();
    ports.store.expect_find_order().times(1).returning(|_| Err(StoreError::Unavailable("down".to_owned())));

    let reply = send(ports.services(), as_admin(&by_id())).await;
    reply.assert_error(StatusCode::SERVICE_UNAVAILABLE, "store_unavailable");
}

#[actix_web::test]
async fn a_guest_order_is_found_by_its_checkout_session_without_credentials() {
    let mut ports = Ports::new();
    ports
        .store
        .expect_find_order_by_session()
        .withf(|id| id.as_str() == "cs_test_123")
        .times(1)
        .returning(|_| Ok(Some(paid_order())));

    let reply = send(ports.services(), get("/api/v1/checkout/sessions/cs_test_123")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body, paid_order_json());
    assert_eq!(reply.headers.get("cache-control").unwrap(), "no-store");
}

#[actix_web::test]
async fn a_users_order_by_session_is_theirs_and_the_admins_only() {
    let session = "/api/v1/checkout/sessions/cs_test_123";
    let cases = [
        (get(session), StatusCode::NOT_FOUND),
        (as_user(session, "auth0|eve"), StatusCode::NOT_FOUND),
        (as_user(session, "auth0|ada"), StatusCode::OK),
        (as_admin(session), StatusCode::OK),
    ];
    for (request, status) in cases {
        let mut ports = Ports::new();
        ports.store.expect_find_order_by_session().times(1).returning(|_| Ok(Some(users_order("auth0|ada"))));
        let reply = send(ports.services(), request).await;
        assert_eq!(reply.status, status, "{}", reply.body);
        if status == StatusCode::NOT_FOUND {
            reply.assert_error(StatusCode::NOT_FOUND, "order_not_found");
        } else {
            assert_eq!(reply.body["userId"], "auth0|ada");
        }
    }
}

#[actix_web::test]
async fn an_unknown_session_is_a_404() {
    let mut ports = Ports::new();
    ports.store.expect_find_order_by_session().times(1).returning(|_| Ok(None));

    let reply = send(ports.services(), get("/api/v1/checkout/sessions/cs_test_999")).await;
    reply.assert_error(StatusCode::NOT_FOUND, "order_not_found");
}

#[actix_web::test]
async fn a_malformed_session_id_is_a_400_and_the_store_is_not_asked() {
    let mut ports = Ports::new();
    ports.store.expect_find_order_by_session().never();

    let reply = send(ports.services(), get("/api/v1/checkout/sessions/cs-test;drop")).await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_session_id");
}

#[actix_web::test]
async fn a_user_lists_their_own_orders_50_by_default() {
    let mut ports = Ports::new();
    ports
        .store
        .expect_list_orders_of_user()
        .withf(|user, limit| user.as_str() == "auth0|ada" && *limit == 50)
        .times(1)
        .returning(|_, _| Ok(vec![users_order("auth0|ada")]));
    ports.store.expect_list_orders().never();

    let reply = send(ports.services(), as_user("/api/v1/orders", "auth0|ada")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.headers.get("cache-control").unwrap(), "no-store");
    let orders = reply.body["orders"].as_array().unwrap();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0]["id"], ORDER_ID);
    assert_eq!(orders[0]["userId"], "auth0|ada");
}

#[actix_web::test]
async fn the_admin_lists_every_order_on_both_paths_with_a_limit() {
    for path in ["/api/v1/orders?limit=500", "/api/v1/admin/orders?limit=500"] {
        let mut ports = Ports::new();
        ports
            .store
            .expect_list_orders()
            .withf(|limit| *limit == 500)
            .times(1)
            .returning(|_| Ok(vec![paid_order(), users_order("auth0|ada")]));
        ports.store.expect_list_orders_of_user().never();

        let reply = send(ports.services(), as_admin(path)).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
        assert_eq!(reply.body["orders"].as_array().unwrap().len(), 2, "{path}");
        assert_eq!(reply.body["orders"][0], paid_order_json(), "{path}");
    }
}

#[actix_web::test]
async fn a_guest_cannot_list_orders() {
    let mut ports = Ports::new();
    ports.store.expect_list_orders().never();
    ports.store.expect_list_orders_of_user().never();

    let reply = send(ports.services(), get("/api/v1/orders")).await;
    reply.assert_error(StatusCode::UNAUTHORIZED, "authentication_required");
}

#[actix_web::test]
async fn a_limit_outside_1_to_500_is_a_400() {
    for limit in ["0", "501", "abc", "-1", "2.5", ""] {
        for path in ["/api/v1/orders", "/api/v1/admin/orders"] {
            let mut ports = Ports::new();
            ports.store.expect_list_orders().never();
            let reply = send(ports.services(), as_admin(&format!("{path}?limit={limit}"))).await;
            reply.assert_error(StatusCode::BAD_REQUEST, "invalid_limit");
            assert!(reply.message().contains("1 to 500"), "{}", reply.message());
        }
    }
}

#[actix_web::test]
async fn the_admin_route_needs_the_admin_key() {
    let path = "/api/v1/admin/orders";
    let no_store = || {
        let mut ports = Ports::new();
        ports.store.expect_list_orders().never();
        ports.store.expect_list_orders_of_user().never();
        ports.services()
    };

    let guest = send(no_store(), get(path)).await;
    guest.assert_error(StatusCode::UNAUTHORIZED, "authentication_required");

    let user = send(no_store(), as_user(path, "auth0|ada")).await;
    user.assert_error(StatusCode::FORBIDDEN, "admin_only");
    assert!(user.headers.get("www-authenticate").is_none());

    let wrong_key =
        send(no_store(), get(path).insert_header(bearer("test-admin-key-0123456789abcdeX"))).await;
    wrong_key.assert_error(StatusCode::UNAUTHORIZED, "invalid_token");
    assert!(!wrong_key.body.to_string().contains("test-admin-key"), "{}", wrong_key.body);

    let mut ports = Ports::new();
    ports.store.expect_list_orders().withf(|limit| *limit == 50).times(1).returning(|_| Ok(vec![]));
    let admin = send(ports.services(), as_admin(path)).await;
    assert_eq!(admin.status, StatusCode::OK, "{}", admin.body);
    assert_eq!(admin.body, json!({"orders": []}));
}

#[actix_web::test]
async fn an_unreadable_query_string_is_a_json_400() {
    let mut ports = Ports::new();
    ports.store.expect_list_orders().never();
    let reply = send(ports.services(), as_admin("/api/v1/admin/orders?limit=1&limit=2")).await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_query");
    assert!(reply.message().contains("limit"), "{}", reply.message());
}
