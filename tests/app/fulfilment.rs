//! The fulfilment outbox end to end: a paid order reaches a shop's endpoint, signed; an endpoint that fails
//! is retried until it takes the entry, or the entry dies and an operator redelivers it; the pull feed.

use payments_tests::events::Payment;
use payments_tests::{spawn_app, TestApp, TestOptions, ADMIN_KEY, FULFILMENT_SECRET};
use serde_json::Value;
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// A shop's endpoint answering `status` (after `failures` answers of 500).
async fn shop(failures: u64, status: u16) -> MockServer {
    let server = MockServer::start().await;
    if failures > 0 {
        Mock::given(method("POST"))
            .and(path("/fulfilment"))
            .respond_with(ResponseTemplate::new(500))
            .up_to_n_times(failures)
            .with_priority(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .and(path("/fulfilment"))
        .respond_with(ResponseTemplate::new(status))
        .with_priority(2)
        .mount(&server)
        .await;
    server
}

async fn app_delivering_to(shop: &MockServer, env: &'static [(&'static str, &'static str)]) -> TestApp {
    spawn_app(TestOptions { fulfilment_port: Some(shop.address().port()), env, ..TestOptions::default() })
        .await
}

/// Checks out and pays an order through signed Stripe events; its id.
async fn paid_order(app: &TestApp) -> String {
    let (order_id, session_id) = app.checkout(2500).await;
    let payment = Payment::new(&order_id, &session_id, 2500);
    app.deliver(&payment.session_completed("paid")).await;
    order_id
}

/// The requests `shop` received, until `done` holds of them (at most 20 s).
async fn received_until(shop: &MockServer, done: impl Fn(&[Request]) -> bool) -> Vec<Request> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let requests = shop.received_requests().await.expect("recording");
        if done(&requests) {
            return requests;
        }
        assert!(Instant::now() < deadline, "the shop received only {} request(s)", requests.len());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn body(request: &Request) -> Value {
    serde_json::from_slice(&request.body).expect("a JSON body")
}

/// Checks the delivery's `Payments-Signature` as a shop would: HMAC-SHA256 of `t.body` with the shared key.
fn assert_signed(request: &Request) {
    let header = request.headers.get("payments-signature").expect("signed").to_str().unwrap().to_owned();
    let (t, v1) = header.split_once(',').expect("t=...,v1=...");
    let t: i64 = t.strip_prefix("t=").expect("t=").parse().expect("a timestamp");
    let expected = payments_stripe::signature_header(FULFILMENT_SECRET, t, &request.body);
    assert_eq!(format!("t={t},{v1}"), expected, "the signature checks out");
    assert!((chrono::Utc::now().timestamp() - t).abs() < 60, "signed just now");
}

async fn admin_get(app: &TestApp, uri: &str) -> Value {
    let response =
        app.client.get(format!("{}{uri}", app.address)).bearer_auth(ADMIN_KEY).send().await.expect("request");
    assert_eq!(response.status(), 200, "{uri}");
    response.json().await.expect("json")
}

#[tokio::test]
async fn a_paid_order_reaches_the_shop_signed_after_the_endpoint_fails_twice() {
    let shop = shop(2, 204).await;
    let app = app_delivering_to(&shop, &[]).await;
    let order_id = paid_order(&app).await;

    let requests = received_until(&shop, |requests| requests.len() >= 3).await;
    let first = body(&requests[0]);
    assert_eq!(first["type"], "order.paid");
    assert_eq!(first["order_id"], order_id);
    assert_eq!(first["sequence"], 1);
    assert_eq!(first["data"]["object"]["status"], "paid");
    assert_eq!(first["data"]["object"]["id"], order_id);
    for request in &requests {
        assert_signed(request);
        assert_eq!(body(request)["id"], first["id"], "the same entry, retried");
    }

    // Delivered: the feed says so, and it is not sent again.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let feed = admin_get(&app, "/api/v1/admin/events").await;
        let entry = &feed["data"][0];
        if entry["delivery"]["status"] == "delivered" {
            assert_eq!(entry["delivery"]["attempts"], 3);
            assert_eq!(entry["id"], first["id"]);
            break;
        }
        assert!(Instant::now() < deadline, "never marked delivered: {feed}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(shop.received_requests().await.unwrap().len(), 3, "a delivered entry is not sent again");
}

#[tokio::test]
async fn an_entry_the_shop_keeps_refusing_dies_and_an_operator_redelivers_it() {
    let shop = shop(0, 500).await;
    let app = app_delivering_to(&shop, &[("APP__FULFILMENT__GIVE_UP_AFTER_SECS", "2")]).await;
    let dead_before = app.metric(r#"payments_outbox_deliveries_total{result="dead"}"#).await;
    let order_id = paid_order(&app).await;

    let deadline = Instant::now() + Duration::from_secs(20);
    let dead = loop {
        let dead = admin_get(&app, "/api/v1/admin/outbox?status=dead").await;
        if dead["data"].as_array().is_some_and(|entries| !entries.is_empty()) {
            break dead["data"][0].clone();
        }
        assert!(Instant::now() < deadline, "never given up on");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(dead["order_id"], order_id);
    assert!(dead["delivery"]["last_error"].as_str().unwrap().contains("answered 500"), "{dead}");
    let tried = shop.received_requests().await.unwrap().len();
    assert!(tried >= 2, "retried before giving up: {tried}");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(shop.received_requests().await.unwrap().len(), tried, "a dead entry is not retried");
    let given_up = app.metric(r#"payments_outbox_deliveries_total{result="dead"}"#).await;
    assert!(given_up >= dead_before + 1.0, "{dead_before} -> {given_up}");
    assert!(app.metric(r#"payments_outbox_deliveries_total{result="retry"}"#).await >= 1.0);
    // The backlog gauges are the process's too: another test's scrape may set them between this one's
    // reading and rendering, so a few scrapes are allowed to see this app's dead entry.
    let mut seen = false;
    for _ in 0..5 {
        seen |= app.metric("payments_outbox_dead").await >= 1.0;
    }
    assert!(seen, "the dead entry counts in payments_outbox_dead");

    // The shop is fixed; the operator redelivers.
    shop.reset().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&shop).await;
    let id = dead["id"].as_str().unwrap();
    let response = app
        .client
        .post(format!("{}/api/v1/admin/outbox/{id}/redeliver", app.address))
        .bearer_auth(ADMIN_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let requests = received_until(&shop, |requests| !requests.is_empty()).await;
    assert_eq!(body(&requests[0])["id"], id);
    assert_signed(&requests[0]);
}

#[tokio::test]
async fn the_pull_feed_pages_through_every_entry_with_its_cursor() {
    let shop = shop(0, 200).await;
    let app = app_delivering_to(&shop, &[]).await;
    let mut orders = Vec::new();
    for _ in 0..3 {
        orders.push(paid_order(&app).await);
    }
    let (mut seen, mut after) = (Vec::new(), String::new());
    for _ in 0..10 {
        let page = admin_get(&app, &format!("/api/v1/admin/events?limit=1&after={after}")).await;
        let data = page["data"].as_array().unwrap().clone();
        if data.is_empty() {
            assert_eq!(page["has_more"], false);
            break;
        }
        seen.extend(data.iter().map(|entry| entry["order_id"].as_str().unwrap().to_owned()));
        after = page["next_cursor"].as_str().unwrap().to_owned();
    }
    assert_eq!(seen, orders, "one order.paid per order, in the order they were paid");
    let response = app
        .client
        .get(format!("{}/api/v1/admin/events?after=not-a-cursor", app.address))
        .bearer_auth(ADMIN_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(response.json::<Value>().await.unwrap()["error"]["code"], "invalid_cursor");
}

#[tokio::test]
async fn with_stripe_emulated_a_paid_order_reaches_the_storefronts_demo_shop_signed() {
    let app = spawn_app(TestOptions { emulated: true, ..TestOptions::default() }).await;
    let checkout = app.hosted_checkout(1900, 1).await;
    assert_eq!(app.pay_with_card(&checkout, "4242 4242 4242 4242").await.status, 303);
    app.wait_for_status(&checkout.order_id, "paid").await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let shop: Value = app
            .client
            .get(format!("{}/demo/fulfilment", app.address))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let received = shop["received"].as_array().unwrap();
        if let Some(paid) = received.iter().find(|entry| entry["type"] == "order.paid") {
            assert_eq!(paid["order_id"], checkout.order_id);
            assert_eq!(paid["status"], "paid");
            assert_eq!(paid["duplicate"], false);
            break;
        }
        assert!(Instant::now() < deadline, "the demo shop never received order.paid: {shop}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A delivery not signed with the demo shop's key is refused and not shown.
    let forged = app
        .client
        .post(format!("{}/demo/fulfilment", app.address))
        .header("payments-signature", format!("t={},v1=00", chrono::Utc::now().timestamp()))
        .body(r#"{"id":"forged","type":"order.paid"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 400);
}

#[tokio::test]
async fn a_subscriptions_life_reaches_the_shop_in_its_own_sequence_signed() {
    let shop = shop(0, 204).await;
    let app = spawn_app(TestOptions {
        emulated: true,
        strict_prices: true,
        fulfilment_port: Some(shop.address().port()),
        ..TestOptions::default()
    })
    .await;
    let token = payments_tests::user_token("sub", Some("sub@example.com"));
    let order = serde_json::json!({"items": [{"price_id": "rust-course-monthly-usd", "quantity": 1}]});
    let created: Value =
        app.post_as("/api/v1/checkout/sessions", &order, Some(&token)).await.json().await.unwrap();
    let checkout = payments_tests::HostedCheckout {
        order_id: created["orderId"].as_str().unwrap().to_owned(),
        session_id: created["sessionId"].as_str().unwrap().to_owned(),
        url: created["url"].as_str().unwrap().to_owned(),
    };
    assert_eq!(app.pay_with_card(&checkout, "4242 4242 4242 4242").await.status, 303);
    let of_subscription = |requests: &[Request]| -> Vec<Value> {
        requests
            .iter()
            .map(body)
            .filter(|entry| entry["type"].as_str().unwrap().starts_with("subscription."))
            .collect()
    };
    let granted = received_until(&shop, |requests| {
        of_subscription(requests).iter().any(|entry| entry["type"] == "subscription.access_granted")
    })
    .await;
    let id = of_subscription(&granted)[0]["subscription_id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("sub_"), "{id}");

    let cancel = app
        .post_as(
            &format!("/api/v1/subscriptions/{id}/cancel"),
            &serde_json::json!({"atPeriodEnd": false}),
            Some(&token),
        )
        .await;
    assert_eq!(cancel.status(), 202);
    let requests = received_until(&shop, |requests| {
        of_subscription(requests).iter().any(|entry| entry["type"] == "subscription.access_revoked")
    })
    .await;
    requests.iter().for_each(assert_signed);
    let told = of_subscription(&requests);
    let kinds: Vec<&str> = told.iter().map(|entry| entry["type"].as_str().unwrap()).collect();
    assert_eq!(kinds.first(), Some(&"subscription.created"), "{kinds:?}");
    assert_eq!(kinds.last(), Some(&"subscription.access_revoked"), "{kinds:?}");
    let (granted_at, ended_at) = (
        kinds.iter().position(|kind| *kind == "subscription.access_granted").unwrap(),
        kinds.iter().position(|kind| *kind == "subscription.ended").expect("ended"),
    );
    assert!(granted_at < ended_at, "{kinds:?}");
    let sequences: Vec<i64> = told.iter().map(|entry| entry["sequence"].as_i64().unwrap()).collect();
    assert_eq!(
        sequences,
        (1..=i64::try_from(told.len()).unwrap()).collect::<Vec<_>>(),
        "in sequence, once each"
    );
    for entry in &told {
        assert_eq!(entry["subscription_id"], id.as_str());
        assert_eq!(entry["order_id"], Value::Null);
        assert_eq!(entry["data"]["object"]["id"], id.as_str());
    }
    assert_eq!(told.last().unwrap()["data"]["object"]["status"], "canceled");
    assert_eq!(told.last().unwrap()["data"]["object"]["grantsAccess"], false);
    assert!(
        requests
            .iter()
            .map(body)
            .any(|entry| entry["type"] == "order.paid" && entry["order_id"] == checkout.order_id),
        "the subscription's first order is told of too"
    );
}
