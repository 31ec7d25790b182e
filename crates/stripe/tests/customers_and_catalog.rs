//! Creating customers, products and prices against a fake Stripe (wiremock): the forms, the idempotency key
//! on every attempt, and how each kind of answer is read.

use payments_domain::{
    CatalogGateway, CatalogPrice, Currency, Email, GatewayError, Interval, Money, NewCustomer,
    PaymentGateway, PriceKey, Product, Recurring, Sku, StripeProductId, UserId,
};
use payments_stripe::{StripeConfig, StripeGateway};
use secrecy::SecretString;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const KEY: &str = "sk_test_51FakeKeyForCatalogTests0123456789";
const CUSTOMER_ID: &str = "cus_QXg1o8vcGmoR32";
const PRODUCT_ID: &str = "prod_QXg1hqf4jFNsqG";
const PRICE_ID: &str = "price_1PgafmB7WZ01zgkW6dKueIc5";

fn gateway(server: &MockServer) -> StripeGateway {
    StripeGateway::new(StripeConfig {
        secret_key: SecretString::from(KEY),
        api_base: url::Url::parse(&server.uri()).unwrap(),
        timeout: Duration::from_secs(5),
        deadline: StripeConfig::DEFAULT_DEADLINE,
    })
    .unwrap()
}

/// Stripe's example `resource` (from fixtures3.json), complete for async-stripe, edited by `edit`.
fn resource(resource: &str, edit: impl FnOnce(&mut Value)) -> ResponseTemplate {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/openapi/{resource}.json"));
    let mut object: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    edit(&mut object);
    ResponseTemplate::new(200).set_body_json(object)
}

fn stripe_error(status: u16, error: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({ "error": error }))
}

async fn mount(server: &MockServer, at: &str, response: ResponseTemplate, times: Option<u64>) {
    let mock = Mock::given(method("POST")).and(path(at)).respond_with(response);
    match times {
        Some(n) => mock.up_to_n_times(n).mount(server).await,
        None => mock.mount(server).await,
    }
}

async fn received(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap()
}

fn form(request: &Request) -> HashMap<String, String> {
    url::form_urlencoded::parse(&request.body).into_owned().collect()
}

fn owned(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn header<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request.headers.get(name).and_then(|value| value.to_str().ok())
}

fn new_customer(user: &str, key: &str) -> NewCustomer {
    NewCustomer {
        user_id: UserId::parse(user).unwrap(),
        email: Email::parse("ada@example.com").unwrap(),
        idempotency_key: key.into(),
    }
}

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::USD).unwrap()
}

fn one_time(id: &str, minor: i64) -> CatalogPrice {
    CatalogPrice::new(PriceKey::parse(id).unwrap(), usd(minor), None).unwrap()
}

fn product() -> Product {
    Product::new(
        Sku::parse("espresso-cup").unwrap(),
        "Espresso cup",
        Some("Porcelain, 90 ml"),
        Some("https://cdn.example.com/cup.png"),
        vec![one_time("cup-usd", 1250)],
    )
    .unwrap()
}

fn product_id() -> StripeProductId {
    StripeProductId::parse(PRODUCT_ID).unwrap()
}

// ---- customers ----

#[tokio::test]
async fn a_customer_is_created_with_the_email_and_the_user_id_under_the_idempotency_key() {
    let server = MockServer::start().await;
    let answer = resource("customer", |c| {
        c["email"] = json!("ada@example.com");
        c["metadata"] = json!({ "user_id": "auth0|42" });
    });
    mount(&server, "/v1/customers", answer, None).await;

    let id = gateway(&server).create_customer(&new_customer("auth0|42", "customer-auth0|42")).await.unwrap();

    assert_eq!(id.as_str(), CUSTOMER_ID);
    let received = received(&server).await;
    assert_eq!(received.len(), 1);
    let sent = &received[0];
    assert_eq!(header(sent, "authorization"), Some(format!("Bearer {KEY}").as_str()));
    assert_eq!(header(sent, "idempotency-key"), Some("customer-auth0|42"));
    assert_eq!(header(sent, "content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(form(sent), owned(&[("email", "ada@example.com"), ("metadata[user_id]", "auth0|42")]));
}

#[tokio::test]
async fn a_key_a_header_cannot_carry_is_sent_as_its_stable_hash() {
    let server = MockServer::start().await;
    mount(&server, "/v1/customers", resource("customer", |_| {}), None).await;
    let user = "ü".repeat(200);
    let customer = new_customer(&user, &format!("customer-{user}"));

    gateway(&server).create_customer(&customer).await.unwrap();
    gateway(&server).create_customer(&customer).await.unwrap();

    let received = received(&server).await;
    let keys: Vec<_> = received.iter().map(|r| header(r, "idempotency-key").unwrap().to_owned()).collect();
    assert!(keys[0].starts_with("sha256-") && keys[0].len() == 71, "{keys:?}");
    assert_eq!(keys[0], keys[1], "the same customer gets the same key");
    assert_eq!(
        form(&received[0]).get("metadata[user_id]"),
        Some(&user),
        "the metadata keeps the user id as is"
    );
}

#[tokio::test]
async fn a_customer_request_that_fails_on_stripes_side_is_retried_with_the_same_key() {
    let server = MockServer::start().await;
    let boom = stripe_error(500, json!({ "type": "api_error", "message": "Something went wrong." }));
    mount(&server, "/v1/customers", boom, Some(1)).await;
    let limited = stripe_error(429, json!({ "type": "invalid_request_error", "code": "rate_limit" }));
    mount(&server, "/v1/customers", limited, Some(1)).await;
    mount(&server, "/v1/customers", resource("customer", |_| {}), None).await;

    let id = gateway(&server).create_customer(&new_customer("u1", "customer-u1")).await.unwrap();

    assert_eq!(id.as_str(), CUSTOMER_ID);
    let received = received(&server).await;
    assert_eq!(received.len(), 3);
    for sent in &received {
        assert_eq!(header(sent, "idempotency-key"), Some("customer-u1"));
        assert_eq!(sent.body, received[0].body, "every attempt is the same request");
    }
}

#[tokio::test]
async fn a_persistently_unavailable_stripe_fails_the_customer_as_unavailable() {
    let server = MockServer::start().await;
    let down = stripe_error(503, json!({ "type": "api_error", "message": "Service unavailable" }));
    Mock::given(method("POST")).and(path("/v1/customers")).respond_with(down).expect(3).mount(&server).await;

    let err = gateway(&server).create_customer(&new_customer("u1", "customer-u1")).await.unwrap_err();

    assert!(matches!(&err, GatewayError::Unavailable(reason) if reason.contains("503")), "{err:?}");
}

#[tokio::test]
async fn a_refused_customer_is_rejected_with_stripes_code_and_message_once() {
    let server = MockServer::start().await;
    let refused = stripe_error(
        400,
        json!({ "type": "invalid_request_error", "code": "email_invalid", "param": "email",
                "message": "Invalid email address: ada@example" }),
    );
    Mock::given(method("POST"))
        .and(path("/v1/customers"))
        .respond_with(refused)
        .expect(1)
        .mount(&server)
        .await;

    let err = gateway(&server).create_customer(&new_customer("u1", "customer-u1")).await.unwrap_err();

    let GatewayError::Rejected { code, message } = err else { panic!("{err:?}") };
    assert_eq!(code.as_deref(), Some("email_invalid"));
    assert_eq!(message, "Invalid email address: ada@example");
}

#[tokio::test]
async fn a_refused_key_is_rejected_without_echoing_it() {
    let server = MockServer::start().await;
    let masked = format!("Invalid API Key provided: sk_test_{}{}", "*".repeat(24), &KEY[KEY.len() - 4..]);
    mount(
        &server,
        "/v1/customers",
        stripe_error(401, json!({ "type": "invalid_request_error", "message": masked })),
        None,
    )
    .await;

    let err = gateway(&server).create_customer(&new_customer("u1", "customer-u1")).await.unwrap_err();

    assert!(matches!(&err, GatewayError::Rejected { message, .. } if message.contains("API key")), "{err:?}");
    for printed in [err.to_string(), format!("{err:?}")] {
        assert!(!printed.contains("sk_test_") && !printed.contains(&KEY[KEY.len() - 4..]), "{printed}");
    }
}

#[tokio::test]
async fn an_unreadable_customer_answer_is_unknown() {
    let server = MockServer::start().await;
    let partial =
        ResponseTemplate::new(200).set_body_json(json!({ "id": CUSTOMER_ID, "object": "customer" }));
    mount(&server, "/v1/customers", partial, None).await;
    let err = gateway(&server).create_customer(&new_customer("u1", "customer-u1")).await.unwrap_err();
    assert!(matches!(err, GatewayError::Unknown(_)), "{err:?}");

    let server = MockServer::start().await;
    mount(&server, "/v1/customers", resource("customer", |c| c["id"] = json!("cus not an id")), None).await;
    let err = gateway(&server).create_customer(&new_customer("u1", "customer-u1")).await.unwrap_err();
    assert!(matches!(err, GatewayError::Unknown(_)), "{err:?}");
}

#[tokio::test]
async fn an_empty_idempotency_key_is_refused_before_calling_stripe() {
    let server = MockServer::start().await;
    let err = gateway(&server).create_customer(&new_customer("u1", "")).await.unwrap_err();
    assert!(matches!(&err, GatewayError::Unknown(e) if e.to_string().contains("user u1")), "{err:?}");
    assert!(received(&server).await.is_empty());
}

// ---- products ----

#[tokio::test]
async fn a_product_is_created_with_name_description_image_and_sku() {
    let server = MockServer::start().await;
    mount(
        &server,
        "/v1/products",
        resource("product", |p| p["metadata"] = json!({ "sku": "espresso-cup" })),
        None,
    )
    .await;

    let id = gateway(&server).create_product(&product(), "catalog-product-espresso-cup").await.unwrap();

    assert_eq!(id, product_id());
    let received = received(&server).await;
    assert_eq!(received.len(), 1);
    assert_eq!(header(&received[0], "idempotency-key"), Some("catalog-product-espresso-cup"));
    assert_eq!(header(&received[0], "authorization"), Some(format!("Bearer {KEY}").as_str()));
    assert_eq!(
        form(&received[0]),
        owned(&[
            ("name", "Espresso cup"),
            ("description", "Porcelain, 90 ml"),
            ("images[0]", "https://cdn.example.com/cup.png"),
            ("metadata[sku]", "espresso-cup"),
        ])
    );
}

#[tokio::test]
async fn a_product_without_description_or_image_sends_neither() {
    let server = MockServer::start().await;
    mount(&server, "/v1/products", resource("product", |_| {}), None).await;
    let bare = Product::new(
        Sku::parse("beans").unwrap(),
        "Beans 1kg",
        None,
        None,
        vec![one_time("beans-usd", 2400)],
    )
    .unwrap();

    gateway(&server).create_product(&bare, "catalog-product-beans").await.unwrap();

    let received = received(&server).await;
    assert_eq!(form(&received[0]), owned(&[("name", "Beans 1kg"), ("metadata[sku]", "beans")]));
}

#[tokio::test]
async fn a_product_request_is_retried_with_the_same_key_and_refusals_are_rejected() {
    let server = MockServer::start().await;
    let boom = ResponseTemplate::new(502).set_body_string("<html>Bad gateway</html>");
    mount(&server, "/v1/products", boom, Some(1)).await;
    mount(&server, "/v1/products", resource("product", |_| {}), None).await;

    gateway(&server).create_product(&product(), "catalog-product-espresso-cup").await.unwrap();

    let received = received(&server).await;
    assert_eq!(received.len(), 2);
    assert!(received.iter().all(|r| header(r, "idempotency-key") == Some("catalog-product-espresso-cup")));

    let server = MockServer::start().await;
    let message =
        "Keys for idempotent requests can only be used with the same parameters they were first used with.";
    let reused = stripe_error(400, json!({ "type": "idempotency_error", "message": message }));
    Mock::given(method("POST")).and(path("/v1/products")).respond_with(reused).expect(1).mount(&server).await;
    let err = gateway(&server).create_product(&product(), "catalog-product-espresso-cup").await.unwrap_err();
    let GatewayError::Rejected { code, message } = err else { panic!("{err:?}") };
    assert_eq!(code.as_deref(), Some("idempotency_error"));
    assert!(message.starts_with("Keys for idempotent requests"), "{message}");
}

// ---- prices ----

#[tokio::test]
async fn a_one_time_price_is_created_under_the_product_with_its_catalog_id() {
    let server = MockServer::start().await;
    let answer = resource("price", |p| {
        p["recurring"] = Value::Null;
        p["type"] = json!("one_time");
        p["unit_amount"] = json!(1250);
    });
    mount(&server, "/v1/prices", answer, None).await;

    let id = gateway(&server)
        .create_price(&product_id(), &one_time("cup-usd", 1250), "catalog-price-cup-usd-1250-usd")
        .await
        .unwrap();

    assert_eq!(id.as_str(), PRICE_ID);
    let received = received(&server).await;
    assert_eq!(received.len(), 1);
    assert_eq!(header(&received[0], "idempotency-key"), Some("catalog-price-cup-usd-1250-usd"));
    assert_eq!(
        form(&received[0]),
        owned(&[
            ("product", PRODUCT_ID),
            ("currency", "usd"),
            ("unit_amount", "1250"),
            ("metadata[price_id]", "cup-usd"),
        ])
    );
}

#[tokio::test]
async fn a_recurring_price_sends_its_interval_and_count() {
    let server = MockServer::start().await;
    mount(&server, "/v1/prices", resource("price", |_| {}), None).await;
    let every_two_weeks = Recurring { interval: Interval::Week, interval_count: 2 };
    let eur = Money::new(900, Currency::parse("eur").unwrap()).unwrap();
    let price = CatalogPrice::new(PriceKey::parse("club-eur").unwrap(), eur, Some(every_two_weeks)).unwrap();

    gateway(&server).create_price(&product_id(), &price, "catalog-price-club-eur").await.unwrap();

    let received = received(&server).await;
    assert_eq!(header(&received[0], "idempotency-key"), Some("catalog-price-club-eur"));
    assert_eq!(
        form(&received[0]),
        owned(&[
            ("product", PRODUCT_ID),
            ("currency", "eur"),
            ("unit_amount", "900"),
            ("recurring[interval]", "week"),
            ("recurring[interval_count]", "2"),
            ("metadata[price_id]", "club-eur"),
        ])
    );
}

#[tokio::test]
async fn a_price_for_an_unknown_product_is_rejected_and_a_hanging_stripe_is_unavailable() {
    let server = MockServer::start().await;
    let missing = stripe_error(
        400,
        json!({ "type": "invalid_request_error", "code": "resource_missing", "param": "product",
                "message": "No such product: 'prod_gone'" }),
    );
    mount(&server, "/v1/prices", missing, None).await;
    let gone = StripeProductId::parse("prod_gone").unwrap();
    let err = gateway(&server).create_price(&gone, &one_time("p", 100), "k1").await.unwrap_err();
    let GatewayError::Rejected { code, message } = &err else { panic!("{err:?}") };
    assert_eq!(code.as_deref(), Some("resource_missing"));
    assert_eq!(message, "No such product: 'prod_gone'");

    let server = MockServer::start().await;
    let slow = resource("price", |_| {}).set_delay(Duration::from_secs(3));
    Mock::given(method("POST")).and(path("/v1/prices")).respond_with(slow).expect(3).mount(&server).await;
    let impatient = StripeGateway::new(StripeConfig {
        secret_key: SecretString::from(KEY),
        api_base: url::Url::parse(&server.uri()).unwrap(),
        timeout: Duration::from_millis(150),
        deadline: StripeConfig::DEFAULT_DEADLINE,
    })
    .unwrap();
    let err = impatient.create_price(&product_id(), &one_time("p", 100), "k2").await.unwrap_err();
    assert!(matches!(err, GatewayError::Unavailable(_)), "{err:?}");
    let keys: Vec<_> =
        received(&server).await.iter().map(|r| header(r, "idempotency-key").map(str::to_owned)).collect();
    assert_eq!(keys, vec![Some("k2".to_owned()); 3], "every attempt carries the key");
}
