//! Checkouts in other currencies than the configured one, against the emulator, on each backend: one price per
//! currency in the catalog, `"currency"` in the request, zero- and three-decimal currencies kept in minor units,
//! and `currency_not_available` when a line has no price in the currency asked for.

use payments_tests::{spawn_app, HostedCheckout, TestApp, TestOptions, ADMIN_KEY};
use reqwest::Method;
use serde_json::{json, Value};

async fn json_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

async fn emulated() -> TestApp {
    spawn_app(TestOptions { emulated: true, strict_prices: true, ..TestOptions::default() }).await
}

/// A guest checkout of `items` (sku, quantity) in `currency`, paid with 4242: the paid order.
async fn paid_in(app: &TestApp, currency: &str, items: &[(&str, u32)]) -> (Value, Value) {
    let items: Vec<Value> =
        items.iter().map(|(sku, quantity)| json!({"sku": sku, "quantity": quantity})).collect();
    let body = json!({"email": "yuki@example.com", "currency": currency, "items": items});
    let (status, created) = json_of(app.post_as("/api/v1/checkout/sessions", &body, None).await).await;
    assert_eq!(status, 201, "{created}");
    let session_id = created["sessionId"].as_str().unwrap();
    let session = app.stripe_api(Method::GET, &format!("checkout/sessions/{session_id}"), &[]).await;
    let checkout = HostedCheckout {
        order_id: created["orderId"].as_str().unwrap().to_owned(),
        session_id: session_id.to_owned(),
        url: created["url"].as_str().unwrap().to_owned(),
    };
    app.pay_with_card(&checkout, "4242424242424242").await;
    (app.wait_for_status(&checkout.order_id, "paid").await, session)
}

#[tokio::test]
async fn a_checkout_in_eur_sells_each_line_at_its_eur_price() {
    let app = emulated().await;
    let (order, session) = paid_in(&app, "eur", &[("rust-course", 1), ("ebook", 2)]).await;
    assert_eq!(
        (session["amount_total"].as_i64(), session["currency"].as_str()),
        (Some(4500 + 2 * 1400), Some("eur"))
    );
    assert_eq!((order["amount"].as_i64(), order["currency"].as_str()), (Some(7300), Some("eur")));
    let prices: Vec<&str> =
        order["items"].as_array().unwrap().iter().map(|i| i["priceId"].as_str().unwrap()).collect();
    assert_eq!(prices, ["rust-course-eur", "ebook-eur"]);
}

#[tokio::test]
async fn a_checkout_in_jpy_keeps_whole_yen_through_payment_and_refund() {
    let app = emulated().await;
    let (order, session) = paid_in(&app, "JPY", &[("ebook", 2)]).await;
    assert_eq!((session["amount_total"].as_i64(), session["currency"].as_str()), (Some(4800), Some("jpy")));
    assert_eq!((order["amount"].as_i64(), order["currency"].as_str()), (Some(4800), Some("jpy")));
    let page = app.client.get(session["url"].as_str().unwrap()).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("48.00"), "the hosted page shows no decimals for yen");

    let order_id = order["id"].as_str().unwrap();
    let refund = app
        .client
        .post(format!("{}/api/v1/admin/orders/{order_id}/refunds", app.address))
        .bearer_auth(ADMIN_KEY)
        .header("idempotency-key", "yen")
        .json(&json!({"amount": 1000}))
        .send()
        .await
        .unwrap();
    let (status, refund) = json_of(refund).await;
    assert_eq!(
        (status, refund["amount"].as_i64(), refund["currency"].as_str()),
        (202, Some(1000), Some("jpy"))
    );
    let order = app.wait_for_status(order_id, "partially_refunded").await;
    assert_eq!(order["refundedAmount"], 1000);

    let (_, products) = json_of(app.get_as("/api/v1/products?currency=jpy", None).await).await;
    let ebook = products["products"].as_array().unwrap().iter().find(|p| p["sku"] == "ebook").unwrap();
    assert_eq!(
        (ebook["price"]["unitAmount"].as_i64(), ebook["price"]["currency"].as_str()),
        (Some(2400), Some("jpy"))
    );
}

#[tokio::test]
async fn three_decimal_kwd_and_a_payment_intent_in_yen_keep_their_minor_units() {
    let app = emulated().await;
    let (order, session) = paid_in(&app, "kwd", &[("ebook", 1)]).await;
    assert_eq!((session["amount_total"].as_i64(), order["amount"].as_i64()), (Some(4500), Some(4500)));
    assert_eq!(order["currency"], "kwd");

    let body = json!({"email": "yuki@example.com", "currency": "jpy", "items": [{"sku": "rust-course", "quantity": 1}]});
    let (status, created) = json_of(app.post_as("/api/v1/payment-intents", &body, None).await).await;
    assert_eq!(status, 201, "{created}");
    let intent = app
        .stripe_api(
            Method::GET,
            &format!("payment_intents/{}", created["paymentIntentId"].as_str().unwrap()),
            &[],
        )
        .await;
    assert_eq!((intent["amount"].as_i64(), intent["currency"].as_str()), (Some(7500), Some("jpy")));
}

#[tokio::test]
async fn a_line_without_a_price_in_the_currency_is_refused_and_nothing_is_stored() {
    let app = emulated().await;
    for (currency, code) in [("eur", "currency_not_available"), ("euro", "currency_not_available")] {
        let body = json!({"email": "e@example.com", "currency": currency,
                          "items": [{"sku": "ebook", "quantity": 1}, {"sku": "stickers", "quantity": 1}]});
        let (status, error) = json_of(app.post_as("/api/v1/checkout/sessions", &body, None).await).await;
        assert_eq!((status, error["error"]["code"].as_str()), (422, Some(code)), "{error}");
    }
    let body = json!({"email": "e@example.com", "currency": "eur", "items": [{"price_id": "ebook-usd", "quantity": 1}]});
    let (status, error) = json_of(app.post_as("/api/v1/checkout/sessions", &body, None).await).await;
    assert_eq!((status, error["error"]["code"].as_str()), (422, Some("currency_not_available")), "{error}");
    assert!(error["error"]["message"].as_str().unwrap().contains("items[0]"), "{error}");
    assert_eq!(app.order_count().await, 0);
    let (status, _) = json_of(app.get_as("/api/v1/products?currency=euro", None).await).await;
    assert_eq!(status, 400);
}
