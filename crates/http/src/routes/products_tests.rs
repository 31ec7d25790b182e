//! The catalog, purchase statuses and purchases against mocked ports.

use crate::test_support::{bearer, now, send, user_token, Ports, ADMIN_KEY};
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use chrono::Duration;
use payments_domain::ports::catalog_store::MockCatalogStore;
use payments_domain::{
    CatalogRef, Currency, Email, LineItem, Money, Order, OrderId, OrderStatus, PaymentFacts, PriceKey, Sku,
    StoreError, UserId,
};
use serde_json::json;

fn get(uri: &str) -> TestRequest {
    TestRequest::get().uri(uri)
}

fn as_ada(uri: &str) -> TestRequest {
    get(uri).insert_header(bearer(&user_token("auth0|ada", Some("ada@example.com"))))
}

/// An order of ada's in `status`, placed `minutes` after [`now`], selling `skus` from the catalog.
fn order(id: &str, status: OrderStatus, minutes: i64, skus: &[&str]) -> Order {
    let items = skus
        .iter()
        .map(|sku| {
            let name = format!("Product {sku}");
            LineItem::new(&name, Money::new(100, Currency::USD).unwrap(), 1, None).unwrap().with_catalog(
                CatalogRef {
                    sku: Sku::parse(sku).unwrap(),
                    price_id: PriceKey::parse(&format!("{sku}-usd")).unwrap(),
                },
            )
        })
        .collect();
    let at = now() + Duration::minutes(minutes);
    let order = Order::new(OrderId::parse(id).unwrap(), Email::parse("ada@example.com").unwrap(), items, at)
        .unwrap()
        .placed_by(UserId::parse("auth0|ada").unwrap());
    let mut stored = order.into_stored();
    stored.facts = PaymentFacts::leading_to(status, stored.amount);
    stored.updated_at = at + Duration::seconds(30);
    Order::restore(stored).unwrap()
}

const FIRST: &str = "01936b2e-8f3a-7c4d-9e5f-000000000001";
const SECOND: &str = "01936b2e-8f3a-7c4d-9e5f-000000000002";

#[actix_web::test]
async fn products_are_listed_with_their_prices_and_checkout_price_to_anyone() {
    let reply = send(Ports::new().services(), get("/api/v1/products")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);

    let products = reply.body["products"].as_array().unwrap();
    let skus: Vec<&str> = products.iter().map(|p| p["sku"].as_str().unwrap()).collect();
    // The retired poster is not listed.
    assert_eq!(skus, ["course", "book", "pen", "car", "euro-mug"]);
    assert_eq!(
        products[0],
        json!({
            "id": "course",
            "sku": "course",
            "name": "Course",
            "description": "Everything about payments.",
            "image": "https://cdn.example.com/c.png",
            "prices": [
                {"id": "course-usd", "currency": "usd", "unitAmount": 1999, "recurring": null,
                 "stripePriceId": "price_course"},
                {"id": "course-monthly", "currency": "usd", "unitAmount": 900,
                 "recurring": {"interval": "month", "intervalCount": 1, "trialPeriodDays": null},
                 "stripePriceId": null},
            ],
            "price": {"id": "course-usd", "currency": "usd", "unitAmount": 1999, "recurring": null,
                      "stripePriceId": "price_course"},
        })
    );
    assert_eq!(products[1]["description"], json!(null));
    assert_eq!(products[1]["image"], json!(null));
    // Sold in EUR only: nothing to check out in USD.
    assert_eq!(products[4]["price"], json!(null));
    assert_eq!(products[4]["prices"][0]["currency"], "eur");
}

#[actix_web::test]
async fn the_product_list_ignores_credentials_even_bad_ones() {
    let request = get("/api/v1/products").insert_header(bearer("not-a-token"));
    let reply = send(Ports::new().services(), request).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

#[actix_web::test]
async fn an_unavailable_catalog_is_a_503() {
    let mut ports = Ports::new();
    ports.catalog = MockCatalogStore::new();
    ports.catalog.expect_list_products().returning(|| Err(StoreError::Unavailable("down".to_owned())));
    let reply = send(ports.services(), get("/api/v1/products")).await;
    reply.assert_error(StatusCode::SERVICE_UNAVAILABLE, "store_unavailable");
}

#[actix_web::test]
async fn the_purchase_status_is_the_users_strongest_for_the_product() {
    let cases = [
        (vec![], "not purchased"),
        (vec![order(FIRST, OrderStatus::Pending, 0, &["book"])], "not purchased"),
        (vec![order(FIRST, OrderStatus::Pending, 0, &["course"])], "pending"),
        (vec![order(FIRST, OrderStatus::Failed, 0, &["course"])], "failed"),
        (vec![order(FIRST, OrderStatus::Refunded, 0, &["course"])], "refunded"),
        (
            vec![
                order(FIRST, OrderStatus::Failed, 0, &["course"]),
                order(SECOND, OrderStatus::Paid, 1, &["course", "book"]),
            ],
            "completed",
        ),
    ];
    for (orders, status) in cases {
        let mut ports = Ports::new();
        ports
            .store
            .expect_list_orders_of_user()
            .withf(|user, _| user.as_str() == "auth0|ada")
            .times(1)
            .returning(move |_, _| Ok(orders.clone()));
        ports.subscriptions.expect_list_subscriptions().times(1).returning(|_| Ok(vec![]));

        let reply = send(ports.services(), as_ada("/api/v1/products/course/purchase-status")).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_eq!(reply.body, json!({"status": status, "subscription": null}));
        assert_eq!(reply.headers.get("cache-control").unwrap(), "no-store");
    }
}

#[actix_web::test]
async fn the_purchase_status_of_an_unknown_product_is_a_404() {
    for sku in ["nope", "not%20a%20sku"] {
        let mut ports = Ports::new();
        ports.store.expect_list_orders_of_user().never();
        let reply = send(ports.services(), as_ada(&format!("/api/v1/products/{sku}/purchase-status"))).await;
        reply.assert_error(StatusCode::NOT_FOUND, "product_not_found");
    }
}

#[actix_web::test]
async fn the_purchase_status_is_for_users_only() {
    let path = "/api/v1/products/course/purchase-status";
    let mut ports = Ports::new();
    ports.store.expect_list_orders_of_user().never();
    send(ports.services(), get(path)).await.assert_error(StatusCode::UNAUTHORIZED, "authentication_required");

    let mut ports = Ports::new();
    ports.store.expect_list_orders_of_user().never();
    let admin = send(ports.services(), get(path).insert_header(bearer(ADMIN_KEY))).await;
    admin.assert_error(StatusCode::FORBIDDEN, "users_only");

    // Who asks is answered before whether the product exists.
    let mut ports = Ports::new();
    ports.store.expect_list_orders_of_user().never();
    let guest = send(ports.services(), get("/api/v1/products/nope/purchase-status")).await;
    guest.assert_error(StatusCode::UNAUTHORIZED, "authentication_required");
}

#[actix_web::test]
async fn purchases_are_the_users_completed_ones_newest_first() {
    let mut ports = Ports::new();
    ports.store.expect_list_orders_of_user().times(1).returning(|_, _| {
        Ok(vec![
            order(FIRST, OrderStatus::Paid, 0, &["book"]),
            order(SECOND, OrderStatus::Paid, 5, &["course", "pen"]),
            order("01936b2e-8f3a-7c4d-9e5f-000000000003", OrderStatus::Pending, 9, &["car"]),
        ])
    });
    ports.subscriptions.expect_list_subscriptions().times(1).returning(|_| Ok(vec![]));

    let reply = send(ports.services(), as_ada("/api/v1/purchases")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.headers.get("cache-control").unwrap(), "no-store");
    let purchase = |sku: &str, order: &str, placed: &str, updated: &str| {
        json!({
            "productId": sku, "sku": sku, "name": format!("Product {sku}"), "orderId": order,
            "status": "completed", "subscription": null, "purchasedAt": placed, "updatedAt": updated,
        })
    };
    assert_eq!(
        reply.body,
        json!({"purchases": [
            purchase("course", SECOND, "2026-11-23T12:05:00.000Z", "2026-11-23T12:05:30.000Z"),
            purchase("pen", SECOND, "2026-11-23T12:05:00.000Z", "2026-11-23T12:05:30.000Z"),
            purchase("book", FIRST, "2026-11-23T12:00:00.000Z", "2026-11-23T12:00:30.000Z"),
        ]})
    );
}

#[actix_web::test]
async fn purchases_are_for_users_only() {
    let mut ports = Ports::new();
    ports.store.expect_list_orders_of_user().never();
    send(ports.services(), get("/api/v1/purchases"))
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "authentication_required");

    let mut ports = Ports::new();
    ports.store.expect_list_orders_of_user().never();
    send(ports.services(), get("/api/v1/purchases").insert_header(bearer(ADMIN_KEY)))
        .await
        .assert_error(StatusCode::FORBIDDEN, "users_only");
}

#[actix_web::test]
async fn a_subscription_speaks_for_its_product_with_its_status_and_period() {
    use payments_domain::{
        BillingSnapshot, CustomerId, EventId, Subscription, SubscriptionId, SubscriptionLinks,
        SubscriptionSnapshot, SubscriptionStatus,
    };
    let mut record = Subscription::new(SubscriptionId::parse("sub_1").unwrap());
    let snapshot = BillingSnapshot::Subscription(SubscriptionSnapshot {
        id: record.id().clone(),
        customer: CustomerId::parse("cus_1").unwrap(),
        status: SubscriptionStatus::PastDue,
        current_period_end: Some(now() + Duration::days(30)),
        cancel_at_period_end: true,
        canceled_at: None,
        trial_end: None,
        price: None,
        links: SubscriptionLinks { sku: Some(Sku::parse("course").unwrap()), ..SubscriptionLinks::default() },
    });
    record.merge(&snapshot, now(), &EventId::parse("evt_1").unwrap());
    let mut ports = Ports::new();
    ports.store.expect_list_orders_of_user().returning(|_, _| Ok(vec![]));
    ports.subscriptions.expect_list_subscriptions().returning(move |_| Ok(vec![(record.clone(), None)]));
    let services = ports.services();

    let reply = send(services.clone(), as_ada("/api/v1/products/course/purchase-status")).await;
    let subscription = json!({
        "id": "sub_1", "status": "past_due", "currentPeriodEnd": "2026-12-23T12:00:00.000Z",
        "cancelAtPeriodEnd": true,
    });
    assert_eq!(
        reply.body,
        json!({"status": "completed", "subscription": subscription}),
        "past due: a grace period"
    );
    let reply = send(services, as_ada("/api/v1/purchases")).await;
    assert_eq!(reply.body["purchases"][0]["subscription"], subscription);
    assert_eq!(reply.body["purchases"][0]["orderId"], serde_json::Value::Null);
}
