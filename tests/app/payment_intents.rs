//! The custom payment flow (`POST /api/v1/payment-intents`) against a local fake Stripe, on each backend: the
//! order and its PaymentIntent, the client secret for the shop's card form, the intent's events moving the
//! order, and what a front end reads from `GET /api/v1/config`.

use payments_tests::events::Payment;
use payments_tests::fake_stripe::form;
use payments_tests::{spawn_app, user_token, TestApp, TestOptions};
use serde_json::{json, Value};

async fn json_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

/// The payment of a created intent, as its events will name it.
fn payment_of(created: &Value, amount: i64) -> Payment {
    let mut payment = Payment::new(created["orderId"].as_str().unwrap(), "cs_unused", amount);
    payment.payment_intent_id = created["paymentIntentId"].as_str().unwrap().to_owned();
    payment
}

async fn create(app: &TestApp, body: Value, token: Option<&str>) -> (u16, Value) {
    json_of(app.post_as("/api/v1/payment-intents", &body, token).await).await
}

#[tokio::test]
async fn a_payment_intent_is_created_for_a_new_order_and_its_success_pays_the_order() {
    let app = spawn_app(TestOptions {
        env: &[("STRIPE_PUBLISHABLE_KEY", "pk_test_shop")],
        ..TestOptions::default()
    })
    .await;
    let (status, created) =
        create(&app, json!({"email": "ada@example.com", "items": [{"sku": "ebook", "quantity": 2}]}), None)
            .await;
    assert_eq!(status, 201, "{created}");
    let order_id = created["orderId"].as_str().unwrap();
    let intent = created["paymentIntentId"].as_str().unwrap();
    assert!(intent.starts_with("pi_"), "{created}");
    assert_eq!(created["clientSecret"], format!("{intent}_secret_fake000001").as_str());
    assert_eq!(created["publishableKey"], "pk_test_shop");

    let requests = app.stripe.received_requests().await.unwrap();
    let sent: Vec<_> = requests.iter().filter(|r| r.url.path() == "/v1/payment_intents").collect();
    assert_eq!(sent.len(), 1, "one intent was asked for");
    let fields = form(sent[0]);
    assert_eq!(fields.get("amount").map(String::as_str), Some("3000"));
    assert_eq!(fields.get("currency").map(String::as_str), Some("usd"));
    assert_eq!(fields.get("automatic_payment_methods[enabled]").map(String::as_str), Some("true"));
    assert_eq!(fields.get("metadata[order_id]").map(String::as_str), Some(order_id));
    assert_eq!(fields.get("receipt_email").map(String::as_str), Some("ada@example.com"));
    let key = sent[0].headers.get("idempotency-key").expect("an idempotency key").to_str().unwrap();
    assert_eq!(key, format!("payment-intent-{order_id}"));

    let order = app.order(order_id).await;
    assert_eq!((order["status"].as_str(), order["transactionId"].as_str()), (Some("pending"), Some(intent)));
    assert_eq!(order["sessionId"], Value::Null);

    let payment = payment_of(&created, 3000);
    assert_eq!(app.deliver(&payment.payment_failed("insufficient_funds")).await["outcome"], "applied");
    assert_eq!(app.status(order_id).await, "failed");
    assert_eq!(app.deliver(&payment.payment_succeeded()).await["outcome"], "applied");
    assert_eq!(app.status(order_id).await, "paid");
}

#[tokio::test]
async fn a_users_payment_intent_is_made_for_their_customer_and_a_recurring_price_is_refused() {
    let app = spawn_app(TestOptions::default()).await;
    let token = user_token("kai", Some("kai@example.com"));
    let (status, created) =
        create(&app, json!({"items": [{"price_id": "rust-course-usd", "quantity": 1}]}), Some(&token)).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["publishableKey"], Value::Null, "no publishable key is configured");
    let requests = app.stripe.received_requests().await.unwrap();
    let sent = requests.iter().find(|r| r.url.path() == "/v1/payment_intents").unwrap();
    assert!(form(sent).get("customer").is_some_and(|c| c.starts_with("cus_")), "the user's customer");
    let order = app.order(created["orderId"].as_str().unwrap()).await;
    assert_eq!(order["userId"], "kai");

    let before = app.order_count().await;
    let (status, refused) = create(
        &app,
        json!({"items": [{"price_id": "rust-course-monthly-usd", "quantity": 1}]}),
        Some(&token),
    )
    .await;
    assert_eq!((status, refused["error"]["code"].as_str()), (422, Some("not_for_sale")), "{refused}");
    assert!(refused["error"]["message"].as_str().unwrap().contains("Checkout Session"), "{refused}");
    assert_eq!(app.order_count().await, before, "nothing was stored");
    let (status, refused) = create(&app, json!({"items": []}), Some(&token)).await;
    assert_eq!(status, 422, "{refused}");
}

#[tokio::test]
async fn a_front_end_reads_the_publishable_key_and_currencies() {
    let app = spawn_app(TestOptions {
        env: &[("STRIPE_PUBLISHABLE_KEY", "pk_test_shop")],
        ..TestOptions::default()
    })
    .await;
    let (status, config) = json_of(app.get_as("/api/v1/config", None).await).await;
    assert_eq!(status, 200);
    assert_eq!(config, json!({"publishableKey": "pk_test_shop", "currencies": ["usd", "eur", "jpy", "kwd"]}));

    let emulated = spawn_app(TestOptions { emulated: true, ..TestOptions::default() }).await;
    let (_, config) = json_of(emulated.get_as("/api/v1/config", None).await).await;
    assert_eq!(config["publishableKey"], "pk_test_emulator");
}

/// Confirms the intent at the emulator as stripe.js would, with a test PaymentMethod: (status, body).
async fn confirm(app: &TestApp, intent: &str, payment_method: &str) -> (u16, Value) {
    let url = format!("{}v1/payment_intents/{intent}/confirm", app.emulator().base_url());
    let response = app
        .client
        .post(url)
        .bearer_auth("sk_test_whole_app")
        .form(&[("payment_method", payment_method)])
        .send()
        .await
        .unwrap();
    json_of(response).await
}

#[tokio::test]
async fn through_the_emulator_pm_card_visa_pays_the_order_and_a_declined_card_fails_it() {
    let app = spawn_app(TestOptions { emulated: true, ..TestOptions::default() }).await;
    let body = json!({"email": "ada@example.com", "items": [{"sku": "ebook", "quantity": 1}]});
    let (status, paid) = create(&app, body.clone(), None).await;
    assert_eq!(status, 201, "{paid}");
    assert_eq!(paid["publishableKey"], "pk_test_emulator");
    let intent = app
        .stripe_api(
            reqwest::Method::GET,
            &format!("payment_intents/{}", paid["paymentIntentId"].as_str().unwrap()),
            &[],
        )
        .await;
    assert_eq!(intent["client_secret"], paid["clientSecret"]);
    assert_eq!((intent["amount"].as_i64(), intent["currency"].as_str()), (Some(1500), Some("usd")));
    assert_eq!(intent["metadata"]["order_id"], paid["orderId"]);
    assert_eq!(intent["automatic_payment_methods"]["enabled"], true);

    let (status, confirmed) = confirm(&app, paid["paymentIntentId"].as_str().unwrap(), "pm_card_visa").await;
    assert_eq!((status, confirmed["status"].as_str()), (200, Some("succeeded")), "{confirmed}");
    let order = app.wait_for_status(paid["orderId"].as_str().unwrap(), "paid").await;
    assert_eq!(order["transactionId"], paid["paymentIntentId"]);

    let (_, declined) = create(&app, body, None).await;
    let (status, error) =
        confirm(&app, declined["paymentIntentId"].as_str().unwrap(), "pm_card_chargeDeclined").await;
    assert_eq!((status, error["error"]["type"].as_str()), (402, Some("card_error")), "{error}");
    let order = app.wait_for_status(declined["orderId"].as_str().unwrap(), "failed").await;
    assert!(order["failureReason"].as_str().unwrap().contains("declined"), "{order}");

    // A paid intent's order is refundable like a Checkout order.
    let refund = app
        .client
        .post(format!("{}/api/v1/admin/orders/{}/refunds", app.address, paid["orderId"].as_str().unwrap()))
        .bearer_auth(payments_tests::ADMIN_KEY)
        .header("idempotency-key", "pi-refund")
        .send()
        .await
        .unwrap();
    assert_eq!(refund.status(), 202);
    app.wait_for_status(paid["orderId"].as_str().unwrap(), "refunded").await;
}
