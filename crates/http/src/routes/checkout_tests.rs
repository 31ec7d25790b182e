//! The checkout routes against mocked ports.

use crate::test_support::{bearer, now, send, user_token, Ports, Reply, ADMIN_KEY};
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use payments_domain::{
    CheckoutSession, CheckoutSessionId, Currency, Customer, CustomerId, Email, GatewayError,
    InsertOrderError, OrderId, OrderStatus, StoreError, UserId,
};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use url::Url;

const PATH: &str = "/create-checkout-session";
const VERSIONED: &str = "/api/v1/checkout/sessions";

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
    send(untouched_ports().services(), post(body)).await
}

#[actix_web::test]
async fn a_valid_cart_is_stored_opened_and_answered_with_201_and_where_to_pay() {
    let mut ports = Ports::new();
    ports
        .store
        .expect_insert_order()
        .withf(|order| {
            order.amount().minor() == 2 * 1999 + 500
                && order.amount().currency() == Currency::USD
                && order.email().as_str() == "ada@example.com"
                && order.items().len() == 2
                && order.items()[0].image_url().is_some()
                && order.items()[1].image_url().is_none()
                && order.user_id().is_none()
                // Priced as the catalog prices them: linked to its products.
                && order.items()[0].catalog().is_some_and(|c| c.sku.as_str() == "course")
                && order.items()[1].catalog().is_some_and(|c| c.price_id.as_str() == "book-usd")
        })
        .times(1)
        .returning(|_| Ok(()));
    ports
        .gateway
        .expect_create_checkout_session()
        .withf(|request| request.customer.is_none())
        .times(1)
        .returning(|_| Ok(session()));
    ports.accept_order_changes(1, |order| order.checkout_session_id().is_some());

    let reply = send(ports.services(), post(&valid_cart())).await;

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
    ports.accept_order_changes(1, |order| order.checkout_session_id().is_some());

    let request = TestRequest::post().uri("/api/v1/checkout/sessions").set_json(valid_cart());
    assert_eq!(send(ports.services(), request).await.status, StatusCode::CREATED);
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
    ports
        .store
        .expect_insert_order()
        .withf(|order| order.items().len() == 100)
        .times(1)
        .returning(|_| Ok(()));
    ports.gateway.expect_create_checkout_session().times(1).returning(|_| Ok(session()));
    ports.accept_order_changes(1, |order| order.checkout_session_id().is_some());

    let items = vec![item("Pen", json!(100), json!(1)); 100];
    assert_eq!(send(ports.services(), post(&cart(items))).await.status, StatusCode::CREATED);
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
    let reply = send(untouched_ports().services(), request).await;
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
    let reply = send(untouched_ports().services(), request).await;
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
        *cell.lock().unwrap() = Some(order.id());
        Ok(())
    });
    ports.gateway.expect_create_checkout_session().times(1).returning(move |_| Err(error()));
    // The order is marked unpayable, with no session.
    ports.accept_order_changes(1, |order| {
        order.status() == OrderStatus::Canceled && order.checkout_session_id().is_none()
    });
    (ports, stored)
}

#[actix_web::test]
async fn a_refusal_by_stripe_is_a_502_that_does_not_repeat_stripes_message() {
    let (ports, _) = failing_gateway(|| GatewayError::Rejected {
        code: Some("api_key_invalid".to_owned()),
        message: "Invalid API Key provided: sk_test_****abcd".to_owned(),
    });
    let reply = send(ports.services(), post(&valid_cart())).await;
    reply.assert_error(StatusCode::BAD_GATEWAY, "payment_provider_rejected");
    let body = reply.body.to_string();
    assert!(!body.contains("sk_test") && !body.contains("api_key_invalid"), "{body}");
}

#[actix_web::test]
async fn stripe_unavailable_is_a_502_that_names_the_order_that_was_not_opened() {
    let (ports, stored) =
        failing_gateway(|| GatewayError::Unavailable("connect timeout to 10.1.2.3".to_owned()));
    let reply = send(ports.services(), post(&valid_cart())).await;
    reply.assert_error(StatusCode::BAD_GATEWAY, "payment_provider_unavailable");
    let stored = stored.lock().unwrap().expect("an order was stored");
    assert_eq!(reply.body["error"]["orderId"], stored.to_string());
    assert!(reply.message().contains("not opened"), "{}", reply.message());
    assert!(!reply.body.to_string().contains("10.1.2.3"));
}

#[actix_web::test]
async fn an_unreadable_stripe_answer_is_reported_as_unavailable() {
    let (ports, _) = failing_gateway(|| GatewayError::Unknown(anyhow::anyhow!("expected `url` in response")));
    let reply = send(ports.services(), post(&valid_cart())).await;
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
        .returning(|_| Err(InsertOrderError::Store(StoreError::Unavailable("pool timed out".to_owned()))));
    ports.gateway.expect_create_checkout_session().never();

    let reply = send(ports.services(), post(&valid_cart())).await;
    reply.assert_error(StatusCode::SERVICE_UNAVAILABLE, "store_unavailable");
    assert!(!reply.message().contains("pool"));
}

#[actix_web::test]
async fn any_other_store_failure_is_a_generic_500() {
    let mut ports = Ports::new();
    ports.store.expect_insert_order().times(1).returning(|_| {
        Err(InsertOrderError::Store(StoreError::Unknown(anyhow::anyhow!(
            "relation \"orders\" does not exist"
        ))))
    });
    ports.gateway.expect_create_checkout_session().never();

    let reply = send(ports.services(), post(&valid_cart())).await;
    reply.assert_error(StatusCode::INTERNAL_SERVER_ERROR, "internal_error");
    assert!(!reply.body.to_string().contains("relation"), "{}", reply.body);
}

// --- catalog items, prices from the catalog, and who checks out ---

fn post_versioned(body: &Value) -> TestRequest {
    TestRequest::post().uri(VERSIONED).set_json(body)
}

/// Ports where a guest's order is stored, opened and attached; `check` must hold for the stored order.
fn accepting(check: impl Fn(&payments_domain::Order) -> bool + Send + 'static) -> Ports {
    let mut ports = Ports::new();
    ports.store.expect_insert_order().withf(check).times(1).returning(|_| Ok(()));
    ports.gateway.expect_create_checkout_session().times(1).returning(|_| Ok(session()));
    ports.accept_order_changes(1, |order| order.checkout_session_id().is_some());
    ports
}

#[actix_web::test]
async fn catalog_items_by_sku_are_priced_named_and_linked_by_the_server() {
    let ports = accepting(|order| {
        let course = &order.items()[0];
        order.items().len() == 2
            && course.name() == "Course"
            && course.unit_amount().minor() == 1999
            && course.quantity() == 2
            && course.image_url().is_some_and(|url| url.as_str() == "https://cdn.example.com/c.png")
            && course
                .catalog()
                .is_some_and(|c| c.sku.as_str() == "course" && c.price_id.as_str() == "course-usd")
            && order.items()[1].name() == "Pen"
            && order.amount().minor() == 2 * 1999 + 3 * 100
            && order.email().as_str() == "ada@example.com"
    });
    let body = json!({"items": [{"sku": "course", "quantity": 2}, {"sku": "pen", "quantity": 3}], "email": "ada@example.com"});

    let reply = send(ports.services(), post_versioned(&body)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(reply.body["sessionId"], "cs_test_123");
    assert_eq!(reply.body.as_object().unwrap().len(), 3);
}

#[actix_web::test]
async fn catalog_items_by_price_id_take_a_catalog_or_a_stripe_price_id() {
    let ports = accepting(|order| {
        order.items()[0].catalog().is_some_and(|c| c.price_id.as_str() == "course-usd")
            && order.items()[1].catalog().is_some_and(|c| c.sku.as_str() == "book")
            && order.amount().minor() == 1999 + 500
    });
    let body = json!({
        "email": "ada@example.com",
        "items": [{"price_id": "price_course", "quantity": 1}, {"priceId": "book-usd", "quantity": 1}],
    });
    let reply = send(ports.services(), post_versioned(&body)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
}

#[actix_web::test]
async fn a_catalog_item_naming_both_or_neither_is_a_400_with_its_index() {
    let cases = [
        (json!({"sku": "book", "price_id": "book-usd", "quantity": 1}), "items[1] names both"),
        (json!({"quantity": 1}), "items[1] must name a product by sku or a price by price_id"),
    ];
    for (bad, expected) in cases {
        let body = json!({"email": "ada@example.com", "items": [{"sku": "pen", "quantity": 1}, bad]});
        let reply = send(untouched_ports().services(), post_versioned(&body)).await;
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_item");
        assert!(reply.message().starts_with(expected), "{}", reply.message());
    }
}

#[actix_web::test]
async fn catalog_item_values_are_checked_with_the_index() {
    let cases = [
        (json!({"sku": "pen", "quantity": 0}), "invalid_item", "items[0].quantity must be between 1 and 999"),
        (
            json!({"sku": "pen", "quantity": 1000}),
            "invalid_item",
            "items[0].quantity must be between 1 and 999",
        ),
        (
            json!({"sku": "pen", "quantity": 1.5}),
            "invalid_item",
            "items[0].quantity must be between 1 and 999",
        ),
        (json!({"sku": "a b", "quantity": 1}), "invalid_item", "items[0].sku must be"),
        (json!({"price_id": " ", "quantity": 1}), "invalid_item", "items[0].price_id must be"),
    ];
    for (bad, code, expected) in cases {
        let body = json!({"email": "ada@example.com", "items": [bad.clone()]});
        let reply = send(untouched_ports().services(), post_versioned(&body)).await;
        reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, code);
        assert!(reply.message().starts_with(expected), "{bad}: {}", reply.message());
    }
}

#[actix_web::test]
async fn a_catalog_cart_holds_1_to_100_items() {
    let empty = json!({"email": "ada@example.com", "items": []});
    let reply = send(untouched_ports().services(), post_versioned(&empty)).await;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_cart");
    assert!(reply.message().starts_with("items must hold at least one item"), "{}", reply.message());

    let many = json!({"email": "ada@example.com", "items": vec![json!({"sku": "pen", "quantity": 1}); 101]});
    let reply = send(untouched_ports().services(), post_versioned(&many)).await;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_cart");
    assert!(reply.message().contains("at most 100"), "{}", reply.message());

    let hundred =
        json!({"email": "ada@example.com", "items": vec![json!({"sku": "pen", "quantity": 1}); 100]});
    let ports = accepting(|order| order.items().len() == 100);
    assert_eq!(send(ports.services(), post_versioned(&hundred)).await.status, StatusCode::CREATED);
}

#[actix_web::test]
async fn the_versioned_path_needs_items_or_cart_items_but_not_both() {
    let cases = [
        json!({"email": "ada@example.com"}),
        json!({"email": "ada@example.com", "items": [], "cartItems": []}),
        json!([1, 2]),
        json!({"items": [{"sku": "pen"}]}),
    ];
    for body in cases {
        let reply = send(untouched_ports().services(), post_versioned(&body)).await;
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_json");
    }
    let reply = send(untouched_ports().services(), post_versioned(&json!({"items": [{"sku": "pen"}]}))).await;
    assert!(reply.message().contains("missing field `quantity`"), "{}", reply.message());
}

#[actix_web::test]
async fn the_seed_path_does_not_take_catalog_items() {
    let body = json!({"email": "ada@example.com", "items": [{"sku": "pen", "quantity": 1}]});
    let reply = refused(&body).await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_json");
    assert!(reply.message().contains("missing field `cartItems`"), "{}", reply.message());
}

/// Sends `body` to `path` with ports that must refuse before storing anything.
async fn refused_at(path: &str, body: &Value) -> Reply {
    send(untouched_ports().services(), TestRequest::post().uri(path).set_json(body)).await
}

#[actix_web::test]
async fn an_item_the_catalog_does_not_have_is_unknown() {
    let body = json!({"email": "ada@example.com", "items": [{"sku": "pen", "quantity": 1}, {"sku": "nope", "quantity": 1}]});
    let reply = refused_at(VERSIONED, &body).await;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "unknown_item");
    assert_eq!(reply.message(), "items[1]: sku nope is not in the catalog.");

    let reply = refused_at(
        VERSIONED,
        &json!({"email": "ada@example.com", "items": [{"price_id": "price_nope", "quantity": 1}]}),
    )
    .await;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "unknown_item");

    let reply = refused(&cart(vec![item("Unicorn", json!(100), json!(1))])).await;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "unknown_item");
    assert!(reply.message().starts_with("cartItems[0]: an item named \"Unicorn\""), "{}", reply.message());

    let mut with_sku = item("Pen", json!(100), json!(1));
    with_sku["sku"] = json!("nope");
    let reply = refused(&cart(vec![with_sku])).await;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "unknown_item");
    assert!(reply.message().contains("sku nope"), "{}", reply.message());
}

#[actix_web::test]
async fn a_client_price_that_is_not_the_catalogs_is_a_mismatch_naming_both_prices() {
    for path in [PATH, VERSIONED] {
        let body = cart(vec![item("Book", json!(500), json!(1)), item("Course", json!(999), json!(1))]);
        let reply = refused_at(path, &body).await;
        reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "price_mismatch");
        let message = reply.message();
        assert!(message.starts_with("cartItems[1] (Course)"), "{message}");
        assert!(message.contains("9.99 USD") && message.contains("19.99 USD"), "{message}");
    }

    // Named by sku too; a product without a USD price has no catalog price to name.
    let mut mug = item("Euro mug", json!(700), json!(1));
    mug["sku"] = json!("euro-mug");
    let reply = refused(&cart(vec![mug])).await;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "price_mismatch");
    assert!(reply.message().contains("no price for it in this currency"), "{}", reply.message());
}

#[actix_web::test]
async fn trusted_client_prices_sell_as_given() {
    let mut ports = accepting(|order| order.items()[0].catalog().is_none() && order.amount().minor() == 999);
    ports.settings.allow_client_prices = true;
    let reply = send(ports.services(), post(&cart(vec![item("Course", json!(999), json!(1))]))).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
}

#[actix_web::test]
async fn what_one_time_checkout_cannot_sell_is_not_for_sale() {
    // Sold, but in another currency: every line needs a price in the checkout's.
    for (line, reference) in [
        (json!({"sku": "euro-mug", "quantity": 1}), "sku euro-mug"),
        (json!({"price_id": "euro-mug-eur", "quantity": 1}), "price euro-mug-eur"),
    ] {
        let body = json!({"email": "ada@example.com", "items": [line]});
        let reply = refused_at(VERSIONED, &body).await;
        reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "currency_not_available");
        assert_eq!(
            reply.message(),
            format!("items[0]: {reference} has no price in usd; every line needs one.")
        );
    }
    let cases = [(json!({"sku": "poster", "quantity": 1}), "sku poster")];
    for (line, reference) in cases {
        let body = json!({"email": "ada@example.com", "items": [line]});
        let reply = refused_at(VERSIONED, &body).await;
        reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "not_for_sale");
        assert!(
            reply.message().starts_with(&format!("items[0]: {reference} cannot be bought here")),
            "{}",
            reply.message()
        );
    }
}

#[actix_web::test]
async fn a_guest_must_give_an_email() {
    for body in [
        json!({"items": [{"sku": "pen", "quantity": 1}]}),
        json!({"items": [{"sku": "pen", "quantity": 1}], "email": null}),
        json!({"items": [{"sku": "pen", "quantity": 1}], "email": "  "}),
        json!({"cartItems": [{"name": "Pen", "price": 100, "quantity": 1}]}),
    ] {
        let reply = refused_at(VERSIONED, &body).await;
        reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "email_required");
    }
    let reply = refused(&json!({"cartItems": [{"name": "Pen", "price": 100, "quantity": 1}]})).await;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "email_required");
}

#[actix_web::test]
async fn without_guest_checkout_a_guest_or_the_admin_must_sign_in() {
    for credentials in [None, Some(ADMIN_KEY)] {
        let mut ports = untouched_ports();
        ports.settings.allow_guest_checkout = false;
        let mut request =
            post_versioned(&json!({"email": "ada@example.com", "items": [{"sku": "pen", "quantity": 1}]}));
        if let Some(key) = credentials {
            request = request.insert_header(bearer(key));
        }
        let reply = send(ports.services(), request).await;
        reply.assert_error(StatusCode::UNAUTHORIZED, "authentication_required");
        assert!(reply.headers.contains_key("www-authenticate"));
    }
}

fn adas_customer() -> Customer {
    Customer {
        user_id: UserId::parse("auth0|ada").unwrap(),
        stripe_customer_id: CustomerId::parse("cus_ada").unwrap(),
        email: Email::parse("ada@example.com").unwrap(),
        created_at: now(),
    }
}

#[actix_web::test]
async fn a_signed_in_user_checks_out_as_their_customer_with_their_tokens_email() {
    let mut ports = Ports::new();
    ports.settings.allow_guest_checkout = false;
    ports
        .customers
        .expect_find_customer()
        .withf(|user| user.as_str() == "auth0|ada")
        .times(1)
        .returning(|_| Ok(Some(adas_customer())));
    ports
        .store
        .expect_insert_order()
        .withf(|order| {
            order.user_id().as_ref().is_some_and(|user| user.as_str() == "auth0|ada")
                && order.email().as_str() == "ada@tokens.example.com"
        })
        .times(1)
        .returning(|_| Ok(()));
    ports
        .gateway
        .expect_create_checkout_session()
        .withf(|request| request.customer.as_ref().is_some_and(|c| c.as_str() == "cus_ada"))
        .times(1)
        .returning(|_| Ok(session()));
    ports.accept_order_changes(1, |order| order.checkout_session_id().is_some());

    let token = user_token("auth0|ada", Some("ada@tokens.example.com"));
    let body = json!({"items": [{"sku": "course", "quantity": 1}]});
    let reply = send(ports.services(), post_versioned(&body).insert_header(bearer(&token))).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
}

#[actix_web::test]
async fn a_users_email_in_the_body_wins_over_the_tokens() {
    let mut ports =
        accepting(|order| order.email().as_str() == "billing@example.com" && order.user_id().is_some());
    ports.customers.expect_find_customer().times(1).returning(|_| Ok(Some(adas_customer())));

    let token = user_token("auth0|ada", Some("ada@tokens.example.com"));
    let request = post(
        &json!({"email": "billing@example.com", "cartItems": [{"name": "Pen", "price": 100, "quantity": 1}]}),
    )
    .insert_header(bearer(&token));
    let reply = send(ports.services(), request).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
}

#[actix_web::test]
async fn a_user_whose_token_has_no_email_must_give_one() {
    let token = user_token("auth0|ada", None);
    let request =
        post_versioned(&json!({"items": [{"sku": "pen", "quantity": 1}]})).insert_header(bearer(&token));
    let reply = send(untouched_ports().services(), request).await;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "email_required");
}

#[actix_web::test]
async fn a_customer_the_provider_cannot_create_is_a_502_and_nothing_is_stored() {
    type Failure = fn() -> GatewayError;
    let cases: [(Failure, &str); 2] = [
        (|| GatewayError::Unavailable("timeout to 10.9.8.7".to_owned()), "payment_provider_unavailable"),
        (
            || GatewayError::Rejected { code: None, message: "Invalid API Key sk_test_****".to_owned() },
            "payment_provider_rejected",
        ),
    ];
    for (error, code) in cases {
        let mut ports = untouched_ports();
        ports.customers.expect_find_customer().returning(|_| Ok(None));
        ports.gateway.expect_create_customer().times(1).returning(move |_| Err(error()));

        let token = user_token("auth0|ada", Some("ada@example.com"));
        let request =
            post_versioned(&json!({"items": [{"sku": "pen", "quantity": 1}]})).insert_header(bearer(&token));
        let reply = send(ports.services(), request).await;
        reply.assert_error(StatusCode::BAD_GATEWAY, code);
        let body = reply.body.to_string();
        assert!(
            !body.contains("10.9.8.7") && !body.contains("sk_test") && !body.contains("orderId"),
            "{body}"
        );
    }
}

#[actix_web::test]
async fn credentials_are_checked_before_the_body() {
    let request = TestRequest::post()
        .uri(VERSIONED)
        .insert_header(bearer("garbage"))
        .insert_header(("content-type", "application/json"))
        .set_payload("{not json");
    let reply = send(untouched_ports().services(), request).await;
    reply.assert_error(StatusCode::UNAUTHORIZED, "invalid_token");
}
