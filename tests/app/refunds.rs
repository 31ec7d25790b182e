//! Refunds issued through the service against the built-in Stripe emulator, on each backend: full and
//! partial, settled by Stripe's events; over the rest refused before Stripe is asked; concurrent requests for
//! the rest; a replayed Idempotency-Key; a refund made in the Dashboard (the Stripe API, here) shown too;
//! the owner's own refunds behind `refunds.allow_users`.

use payments_tests::{spawn_app, user_token, HostedCheckout, TestApp, TestOptions, ADMIN_KEY};
use reqwest::Method;
use serde_json::{json, Value};

async fn emulated_app(env: &'static [(&'static str, &'static str)]) -> TestApp {
    spawn_app(TestOptions { emulated: true, env, ..TestOptions::default() }).await
}

/// A guest order of `amount` cents paid with 4242 on the hosted page, and its payment intent.
async fn paid_order(app: &TestApp, amount: i64) -> (String, String) {
    let checkout = app.hosted_checkout(amount, 1).await;
    app.pay_with_card(&checkout, "4242424242424242").await;
    let order = app.wait_for_status(&checkout.order_id, "paid").await;
    (checkout.order_id, order["transactionId"].as_str().unwrap().to_owned())
}

/// `POST {path}` as `token` with an optional Idempotency-Key and JSON body: (status, body).
async fn refund_at(
    app: &TestApp,
    path: &str,
    token: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app.client.post(format!("{}{path}", app.address)).bearer_auth(token);
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

async fn admin_refund(app: &TestApp, order_id: &str, key: Option<&str>, body: Option<Value>) -> (u16, Value) {
    refund_at(app, &format!("/api/v1/admin/orders/{order_id}/refunds"), ADMIN_KEY, key, body).await
}

async fn listed_refunds(app: &TestApp, order_id: &str) -> Vec<Value> {
    let response = app.get_as(&format!("/api/v1/admin/orders/{order_id}/refunds"), Some(ADMIN_KEY)).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["refunds"].as_array().unwrap().clone()
}

/// The refunds Stripe (the emulator) holds for the payment.
async fn stripe_refunds(app: &TestApp, payment_intent: &str) -> Vec<Value> {
    let list = app.stripe_api(Method::GET, &format!("refunds?payment_intent={payment_intent}"), &[]).await;
    list["data"].as_array().unwrap().clone()
}

/// Waits for every webhook, then reads the order.
async fn settled(app: &TestApp, order_id: &str, status: &str) -> Value {
    app.wait_for_status(order_id, status).await
}

#[tokio::test]
async fn a_partial_then_a_full_refund_issued_by_the_admin_are_settled_by_stripes_events() {
    let app = emulated_app(&[]).await;
    let (order_id, payment_intent) = paid_order(&app, 4900).await;

    let (status, partial) = admin_refund(
        &app,
        &order_id,
        Some("k-1"),
        Some(json!({"amount": 1000, "reason": "requested_by_customer"})),
    )
    .await;
    assert_eq!(status, 202, "{partial}");
    assert!(partial["id"].as_str().unwrap().starts_with("re_"), "{partial}");
    assert_eq!((partial["amount"].as_i64(), partial["currency"].as_str()), (Some(1000), Some("usd")));
    assert_eq!(partial["orderId"], order_id.as_str());
    assert_eq!(partial["reason"], "requested_by_customer");
    let order = settled(&app, &order_id, "partially_refunded").await;
    assert_eq!(order["refundedAmount"], 1000);

    // No body: all that is left.
    let (status, rest) = admin_refund(&app, &order_id, Some("k-2"), None).await;
    assert_eq!(status, 202, "{rest}");
    assert_eq!(rest["amount"], 3900);
    let order = settled(&app, &order_id, "refunded").await;
    assert_eq!(order["refundedAmount"], 4900);

    let listed = listed_refunds(&app, &order_id).await;
    let mut amounts: Vec<i64> = listed.iter().map(|r| r["amount"].as_i64().unwrap()).collect();
    amounts.sort_unstable();
    assert_eq!(amounts, [1000, 3900], "{listed:?}");
    assert!(listed.iter().all(|r| r["status"] == "succeeded"), "{listed:?}");
    let at_stripe = stripe_refunds(&app, &payment_intent).await;
    assert_eq!(at_stripe.len(), 2);
    assert!(at_stripe.iter().all(|r| r["metadata"]["order_id"] == order_id.as_str()), "{at_stripe:?}");

    // Nothing is left: a further refund is refused and Stripe is not asked.
    let (status, refused) = admin_refund(&app, &order_id, Some("k-3"), Some(json!({"amount": 1}))).await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (422, Some("refund_exceeds_payment")),
        "{refused}"
    );
    assert_eq!(stripe_refunds(&app, &payment_intent).await.len(), 2);
}

#[tokio::test]
async fn a_refund_over_the_rest_is_refused_and_never_reaches_stripe() {
    let app = emulated_app(&[]).await;
    let (order_id, payment_intent) = paid_order(&app, 2000).await;
    let (status, _) = admin_refund(&app, &order_id, Some("a"), Some(json!({"amount": 1500}))).await;
    assert_eq!(status, 202);

    let (status, refused) = admin_refund(&app, &order_id, Some("b"), Some(json!({"amount": 501}))).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["error"]["code"], "refund_exceeds_payment");
    assert!(refused["error"]["message"].as_str().unwrap().contains("500"), "it says what is left: {refused}");
    assert_eq!(stripe_refunds(&app, &payment_intent).await.len(), 1, "nothing was sent to Stripe");

    let (status, missing) = admin_refund(&app, &order_id, None, Some(json!({"amount": 100}))).await;
    assert_eq!((status, missing["error"]["code"].as_str()), (400, Some("idempotency_key_required")));
    assert_eq!(stripe_refunds(&app, &payment_intent).await.len(), 1);

    // An order that was never paid has nothing to refund.
    let unpaid = app.hosted_checkout(700, 1).await;
    let (status, body) = admin_refund(&app, &unpaid.order_id, Some("c"), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("order_not_refundable")), "{body}");
}

#[tokio::test]
async fn concurrent_refunds_of_the_rest_reach_stripe_once() {
    let app = emulated_app(&[]).await;
    let (order_id, payment_intent) = paid_order(&app, 3000).await;
    let keys: Vec<String> = (0..6).map(|i| format!("concurrent-{i}")).collect();
    let answers =
        futures::future::join_all(keys.iter().map(|key| admin_refund(&app, &order_id, Some(key), None)))
            .await;
    let accepted: Vec<&Value> =
        answers.iter().filter(|(status, _)| *status == 202).map(|(_, body)| body).collect();
    assert_eq!(accepted.len(), 1, "exactly one refund of the rest is issued: {answers:?}");
    assert_eq!(accepted[0]["amount"], 3000);
    for (status, body) in answers.iter().filter(|(status, _)| *status != 202) {
        assert_eq!(
            (*status, body["error"]["code"].as_str()),
            (422, Some("refund_exceeds_payment")),
            "{body}"
        );
    }
    assert_eq!(stripe_refunds(&app, &payment_intent).await.len(), 1, "only one reached Stripe");
    let order = settled(&app, &order_id, "refunded").await;
    assert_eq!(order["refundedAmount"], 3000);
}

#[tokio::test]
async fn a_replayed_idempotency_key_answers_the_same_refund_and_another_body_is_a_conflict() {
    let app = emulated_app(&[]).await;
    let (order_id, payment_intent) = paid_order(&app, 2500).await;
    let body = json!({"amount": 700, "reason": "duplicate"});
    let (first_status, first) = admin_refund(&app, &order_id, Some("replay-me"), Some(body.clone())).await;
    let (again_status, again) = admin_refund(&app, &order_id, Some("replay-me"), Some(body)).await;
    assert_eq!((first_status, again_status), (202, 202), "{first} {again}");
    assert_eq!(first["id"], again["id"], "the same refund");
    assert_eq!(stripe_refunds(&app, &payment_intent).await.len(), 1);

    let (status, reused) =
        admin_refund(&app, &order_id, Some("replay-me"), Some(json!({"amount": 800}))).await;
    assert_eq!((status, reused["error"]["code"].as_str()), (409, Some("idempotency_key_reused")), "{reused}");
    assert_eq!(stripe_refunds(&app, &payment_intent).await.len(), 1);
    let order = settled(&app, &order_id, "partially_refunded").await;
    assert_eq!(order["refundedAmount"], 700);
}

#[tokio::test]
async fn a_refund_made_in_the_dashboard_shows_up_as_a_record() {
    let app = emulated_app(&[]).await;
    let (order_id, payment_intent) = paid_order(&app, 1800).await;
    let made = app
        .stripe_api(Method::POST, "refunds", &[("payment_intent", &payment_intent), ("amount", "800")])
        .await;
    let order = settled(&app, &order_id, "partially_refunded").await;
    assert_eq!(order["refundedAmount"], 800);
    let listed = listed_refunds(&app, &order_id).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(
        (&listed[0]["id"], &listed[0]["amount"], &listed[0]["status"]),
        (&made["id"], &json!(800), &json!("succeeded"))
    );
    // What the Dashboard refunded counts against what the service may refund.
    let (status, refused) = admin_refund(&app, &order_id, Some("k"), Some(json!({"amount": 1001}))).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (422, Some("refund_exceeds_payment")));
    let (status, _) = admin_refund(&app, &order_id, Some("k2"), Some(json!({"amount": 1000}))).await;
    assert_eq!(status, 202);
    settled(&app, &order_id, "refunded").await;
}

/// A user's order of the e-book, paid.
async fn users_paid_order(app: &TestApp, token: &str) -> String {
    let body = json!({"items": [{"sku": "ebook", "quantity": 1}]});
    let response = app.post_as("/api/v1/checkout/sessions", &body, Some(token)).await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let checkout = HostedCheckout {
        order_id: created["orderId"].as_str().unwrap().to_owned(),
        session_id: created["sessionId"].as_str().unwrap().to_owned(),
        url: created["url"].as_str().unwrap().to_owned(),
    };
    app.pay_with_card(&checkout, "4242424242424242").await;
    app.wait_for_status(&checkout.order_id, "paid").await;
    checkout.order_id
}

#[tokio::test]
async fn users_refund_their_own_orders_only_when_the_operator_allows_it() {
    let closed = emulated_app(&[]).await;
    let ada = user_token("ada", Some("ada@example.com"));
    let order_id = users_paid_order(&closed, &ada).await;
    let path = format!("/api/v1/orders/{order_id}/refunds");
    let (status, body) = refund_at(&closed, &path, &ada, Some("u-1"), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("refunds_not_allowed")), "{body}");

    let open = emulated_app(&[("APP__REFUNDS__ALLOW_USERS", "true")]).await;
    let order_id = users_paid_order(&open, &ada).await;
    let path = format!("/api/v1/orders/{order_id}/refunds");
    let eve = user_token("eve", Some("eve@example.com"));
    let (status, body) = refund_at(&open, &path, &eve, Some("u-1"), None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("order_not_found")),
        "someone else's: {body}"
    );
    let (status, body) = refund_at(&open, &path, &ada, Some("u-1"), None).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["amount"], 1500);
    settled(&open, &order_id, "refunded").await;
    let mine = open.get_as(&path, Some(&ada)).await;
    assert_eq!(mine.status(), 200);
    let purchase = open.get_as("/api/v1/products/ebook/purchase-status", Some(&ada)).await;
    assert_eq!(
        purchase.json::<Value>().await.unwrap()["status"],
        "refunded",
        "the refund revokes the purchase"
    );
}

#[tokio::test]
async fn a_refund_that_fails_after_it_succeeded_gives_the_order_its_money_back() {
    let app = emulated_app(&[]).await;
    let checkout = app.hosted_checkout(2200, 1).await;
    // Stripe's refund-fail card: the refund succeeds at first, then fails (refund.failed).
    app.pay_with_card(&checkout, "4000000000005126").await;
    app.wait_for_status(&checkout.order_id, "paid").await;

    let (status, issued) = admin_refund(&app, &checkout.order_id, Some("fails"), None).await;
    // Stripe answers `succeeded`; its refund.failed may already have been applied when the answer is written,
    // and the record shows what is known by then.
    assert_eq!(status, 202, "{issued}");
    assert!(matches!(issued["status"].as_str(), Some("succeeded" | "failed")), "{issued}");
    let order = settled(&app, &checkout.order_id, "paid").await;
    assert_eq!(order["refundedAmount"], 0, "the money did not go back: {order}");
    let listed = listed_refunds(&app, &checkout.order_id).await;
    assert_eq!((listed.len(), listed[0]["status"].as_str()), (1, Some("failed")), "{listed:?}");
    let types: Vec<String> = app.stored_event_rows().await.into_iter().map(|(_, kind, _)| kind).collect();
    for wanted in
        ["refund.created", "charge.refunded", "refund.updated", "refund.failed", "charge.refund.updated"]
    {
        assert!(types.iter().any(|t| t == wanted), "{wanted} arrived: {types:?}");
    }
    // What failed is free to refund again.
    let (status, again) = admin_refund(&app, &checkout.order_id, Some("again"), None).await;
    assert_eq!((status, again["amount"].as_i64()), (202, Some(2200)), "{again}");
}
