//! Catalog, users, customers, purchases and who may see what, through the whole app: the shipped
//! config/catalog.toml, HS256 user tokens, the admin key, a fake Stripe, and signed webhooks.

use payments_tests::events::Payment;
use payments_tests::{
    spawn_app, token_with, user_token, TestApp, TestOptions, ADMIN_KEY, JWT_AUDIENCE, JWT_ISSUER, JWT_SECRET,
};
use serde_json::{json, Value};

fn strict() -> TestOptions {
    TestOptions { strict_prices: true, ..TestOptions::default() }
}

async fn json_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

/// Starts a catalog checkout as `token` and returns (order id, session id).
async fn buy(app: &TestApp, token: Option<&str>, skus: &[&str]) -> (String, String) {
    let items: Vec<Value> = skus.iter().map(|sku| json!({"sku": sku, "quantity": 1})).collect();
    let mut body = json!({ "items": items });
    if token.is_none() {
        body["email"] = json!("guest@example.com");
    }
    let (status, body) = json_of(app.post_as("/api/v1/checkout/sessions", &body, token).await).await;
    assert_eq!(status, 201, "checkout should succeed: {body}");
    (body["orderId"].as_str().unwrap().to_owned(), body["sessionId"].as_str().unwrap().to_owned())
}

async fn purchase_status(app: &TestApp, token: &str, sku: &str) -> String {
    let (status, body) =
        json_of(app.get_as(&format!("/api/v1/products/{sku}/purchase-status"), Some(token)).await).await;
    assert_eq!(status, 200, "{body}");
    body["status"].as_str().unwrap().to_owned()
}

async fn purchased_skus(app: &TestApp, token: &str) -> Vec<String> {
    let (status, body) = json_of(app.get_as("/api/v1/purchases", Some(token)).await).await;
    assert_eq!(status, 200, "{body}");
    body["purchases"].as_array().unwrap().iter().map(|p| p["sku"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn products_come_from_the_catalog_file_with_server_side_prices() {
    let app = spawn_app(strict()).await;
    let (status, body) = json_of(app.get_as("/api/v1/products", None).await).await;
    assert_eq!(status, 200);
    let products = body["products"].as_array().unwrap();
    let skus: Vec<&str> = products.iter().map(|p| p["sku"].as_str().unwrap()).collect();
    assert_eq!(skus, ["ebook", "rust-course", "stickers"], "listed by SKU");
    let course = products.iter().find(|p| p["sku"] == "rust-course").unwrap();
    assert_eq!(course["price"]["unitAmount"], 4900);
    assert_eq!(course["price"]["currency"], "usd");
    let monthly =
        course["prices"].as_array().unwrap().iter().find(|p| p["id"] == "rust-course-monthly-usd").unwrap();
    assert_eq!(monthly["recurring"]["interval"], "month");
}

#[tokio::test]
async fn no_request_makes_a_checkout_cheaper_than_the_catalog() {
    let app = spawn_app(strict()).await;
    let tampered = |name: &str, price: i64, sku: Option<&str>| {
        let mut item = json!({"name": name, "price": price, "quantity": 1});
        if let Some(sku) = sku {
            item["sku"] = json!(sku);
        }
        json!({"email": "eve@example.com", "cartItems": [item]})
    };
    for path in ["/create-checkout-session", "/api/v1/checkout/sessions"] {
        for body in [
            tampered("Rust for payments (video course)", 1, None),
            tampered("Rust for payments (video course)", 4899, None),
            tampered("Anything at all", 100, Some("rust-course")),
        ] {
            let (status, error) = json_of(app.post_as(path, &body, None).await).await;
            assert_eq!(status, 422, "{path} {body}: {error}");
            assert_eq!(error["error"]["code"], "price_mismatch", "{error}");
            assert!(error["error"]["message"].as_str().unwrap().contains("49.00"), "{error}");
        }
        let unknown = tampered("A gift card", 100, None);
        let (status, error) = json_of(app.post_as(path, &unknown, None).await).await;
        assert_eq!((status, error["error"]["code"].as_str()), (422, Some("unknown_item")), "{error}");
    }
    assert_eq!(app.order_count().await, 0, "refused checkouts store nothing");

    // The catalog body carries no price at all: the server computes every amount.
    let (order_id, _) = buy(&app, None, &["rust-course", "stickers"]).await;
    let order = app.order(&order_id).await;
    assert_eq!(order["amount"], 4900 + 300);
    let sent = app.stripe.received_requests().await.unwrap();
    let session = sent.iter().find(|r| r.url.path() == "/v1/checkout/sessions").unwrap();
    let form = payments_tests::fake_stripe::form(session);
    assert_eq!(form.get("line_items[0][price_data][unit_amount]").map(String::as_str), Some("4900"));

    // The seed's body with the catalog's own price is accepted and linked to the product.
    let honest = tampered("Rust for payments (video course)", 4900, None);
    let (status, body) = json_of(app.post_as("/create-checkout-session", &honest, None).await).await;
    assert_eq!(status, 201, "{body}");
    let order = app.order(body["orderId"].as_str().unwrap()).await;
    assert_eq!(order["items"][0]["sku"], "rust-course");

    // A recurring price opens a subscription: the session is in subscription mode, the line renews monthly,
    // and the subscription's metadata says what it sells.
    let monthly = json!({"price_id": "rust-course-monthly-usd", "quantity": 1});
    let recurring = json!({"email": "eve@example.com", "items": [monthly]});
    let (status, body) = json_of(app.post_as("/api/v1/checkout/sessions", &recurring, None).await).await;
    assert_eq!(status, 201, "{body}");
    let sent = app.stripe.received_requests().await.unwrap();
    let session = sent.iter().rev().find(|r| r.url.path() == "/v1/checkout/sessions").unwrap();
    let form = payments_tests::fake_stripe::form(session);
    let field = |key: &str| form.get(key).map(String::as_str);
    assert_eq!(field("mode"), Some("subscription"));
    assert_eq!(field("line_items[0][price_data][recurring][interval]"), Some("month"));
    assert_eq!(field("subscription_data[metadata][sku]"), Some("rust-course"));
    assert_eq!(field("subscription_data[metadata][order_id]"), body["orderId"].as_str());
    assert_eq!(field("customer_email"), Some("eve@example.com"), "Checkout creates the guest's customer");

    // One checkout starts one subscription.
    let two = json!({"email": "eve@example.com", "items": [monthly, monthly]});
    let (status, error) = json_of(app.post_as("/api/v1/checkout/sessions", &two, None).await).await;
    assert_eq!((status, error["error"]["code"].as_str()), (422, Some("not_for_sale")), "{error}");
}

#[tokio::test]
async fn trusting_client_prices_is_an_explicit_setting() {
    // TestOptions::default() sets checkout.allow_client_prices = true, as an operator would.
    let app = spawn_app(TestOptions::default()).await;
    let body = json!({"email": "a@example.com", "cartItems": [{"name": "Rust for payments (video course)", "price": 1, "quantity": 1}]});
    let (status, created) = json_of(app.post_as("/create-checkout-session", &body, None).await).await;
    assert_eq!(status, 201, "{created}");
    let order = app.order(created["orderId"].as_str().unwrap()).await;
    assert_eq!(order["amount"], 1);
    assert_eq!(order["items"][0]["sku"], Value::Null, "an underpriced line grants no product");
}

#[tokio::test]
async fn bad_tokens_are_refused_with_clear_codes_and_change_nothing() {
    let app = spawn_app(strict()).await;
    let body = json!({"items": [{"sku": "ebook", "quantity": 1}]});
    let cases = [
        ("not.a.token".to_owned(), "invalid_token"),
        ("garbage".to_owned(), "invalid_token"),
        (
            token_with("u1", None, "another_secret_0123456789abcdef012345", JWT_ISSUER, JWT_AUDIENCE, 600),
            "invalid_token",
        ),
        (token_with("u1", None, JWT_SECRET, "https://evil.test", JWT_AUDIENCE, 600), "invalid_token"),
        (token_with("u1", None, JWT_SECRET, JWT_ISSUER, "another-app", 600), "invalid_token"),
        (token_with("u1", None, JWT_SECRET, JWT_ISSUER, JWT_AUDIENCE, -3600), "token_expired"),
    ];
    for (token, code) in cases {
        let response = app.post_as("/api/v1/checkout/sessions", &body, Some(&token)).await;
        let challenge = response.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_owned());
        let (status, error) = json_of(response).await;
        assert_eq!((status, error["error"]["code"].as_str()), (401, Some(code)), "{error}");
        assert!(challenge.is_some_and(|c| c.starts_with("Bearer")), "401 names the scheme");
        assert!(!error.to_string().contains(&token), "the token is never echoed");
        let (status, _) = json_of(app.get_as("/api/v1/purchases", Some(&token)).await).await;
        assert_eq!(status, 401);
    }
    assert_eq!(app.order_count().await, 0);
    assert_eq!(app.db.count("SELECT count(*) FROM customers", None).await, 0);

    // A valid token needs no email in the body: the token's email claim is used.
    let token = user_token("u1", Some("ada@example.com"));
    let (order_id, _) = buy(&app, Some(&token), &["ebook"]).await;
    let order = app.order(&order_id).await;
    assert_eq!(order["email"], "ada@example.com");
    assert_eq!(order["userId"], "u1");
}

#[tokio::test]
async fn users_see_only_their_own_orders_and_guests_only_by_session() {
    let app = spawn_app(strict()).await;
    let ada = user_token("ada", Some("ada@example.com"));
    let bo = user_token("bo", Some("bo@example.com"));
    let (ada_order, ada_session) = buy(&app, Some(&ada), &["ebook"]).await;
    let (guest_order, guest_session) = buy(&app, None, &["stickers"]).await;

    let read = |path: String, token: Option<String>| {
        let app = &app;
        async move { json_of(app.get_as(&path, token.as_deref()).await).await.0 }
    };
    let order = |id: &str| format!("/api/v1/orders/{id}");
    let session = |id: &str| format!("/api/v1/checkout/sessions/{id}");
    assert_eq!(read(order(&ada_order), Some(ada.clone())).await, 200);
    assert_eq!(
        read(order(&ada_order), Some(bo.clone())).await,
        404,
        "another user's order does not exist for them"
    );
    assert_eq!(read(order(&ada_order), None).await, 401);
    assert_eq!(read(order(&ada_order), Some(ADMIN_KEY.to_owned())).await, 200);
    assert_eq!(read(session(&ada_session), Some(ada.clone())).await, 200);
    assert_eq!(
        read(session(&ada_session), None).await,
        404,
        "a user's order is not readable by session alone"
    );
    assert_eq!(read(session(&ada_session), Some(bo.clone())).await, 404);
    assert_eq!(read(order(&guest_order), None).await, 401, "a guest order is not readable by its id");
    assert_eq!(read(order(&guest_order), Some(bo.clone())).await, 404);
    assert_eq!(read(session(&guest_session), None).await, 200, "a guest order is readable by its session id");

    let (status, mine) = json_of(app.get_as("/api/v1/orders", Some(&ada)).await).await;
    assert_eq!(status, 200);
    let ids: Vec<&str> =
        mine["orders"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [ada_order.as_str()]);
    let (status, all) = json_of(app.get_as("/api/v1/admin/orders", Some(ADMIN_KEY)).await).await;
    assert_eq!(status, 200);
    assert_eq!(all["orders"].as_array().unwrap().len(), 2);
    let (status, error) = json_of(app.get_as("/api/v1/admin/orders", Some(&ada)).await).await;
    assert_eq!((status, error["error"]["code"].as_str()), (403, Some("admin_only")));
    let (status, _) = json_of(app.get_as("/api/v1/admin/orders", None).await).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn concurrent_first_checkouts_of_one_user_create_one_customer() {
    let app = spawn_app(strict()).await;
    let token = user_token("cara", Some("cara@example.com"));
    let checkouts = (0..10).map(|_| buy(&app, Some(&token), &["ebook"]));
    let orders = futures::future::join_all(checkouts).await;
    assert_eq!(orders.len(), 10);
    assert_eq!(app.db.count("SELECT count(*) FROM customers", None).await, 1);
    let sent = app.stripe.received_requests().await.unwrap();
    let customers: Vec<_> = sent.iter().filter(|r| r.url.path() == "/v1/customers").collect();
    assert_eq!(customers.len(), 1, "one customer is created at Stripe");
    let form = payments_tests::fake_stripe::form(customers[0]);
    assert_eq!(form.get("metadata[user_id]").map(String::as_str), Some("cara"));
    let sessions: Vec<_> = sent.iter().filter(|r| r.url.path() == "/v1/checkout/sessions").collect();
    assert_eq!(sessions.len(), 10);
    for session in sessions {
        let form = payments_tests::fake_stripe::form(session);
        assert_eq!(form.get("customer").map(String::as_str), Some("cus_fake000001"));
        assert!(
            !form.contains_key("customer_email"),
            "a customer's session does not also send customer_email"
        );
    }
    // A later checkout reuses the stored customer.
    buy(&app, Some(&token), &["stickers"]).await;
    let sent = app.stripe.received_requests().await.unwrap();
    assert_eq!(sent.iter().filter(|r| r.url.path() == "/v1/customers").count(), 1);
}

#[tokio::test]
async fn purchase_status_follows_the_whole_payment_and_refund_cycle() {
    let app = spawn_app(strict()).await;
    let token = user_token("dan", Some("dan@example.com"));
    assert_eq!(purchase_status(&app, &token, "rust-course").await, "not purchased");

    let (order_id, session_id) = buy(&app, Some(&token), &["rust-course", "stickers"]).await;
    assert_eq!(purchase_status(&app, &token, "rust-course").await, "pending");
    let payment = Payment::new(&order_id, &session_id, 5200);
    // charge.succeeded alone pays the order; the later session and intent events agree with it.
    app.deliver(&payment.charge_succeeded()).await;
    assert_eq!(purchase_status(&app, &token, "rust-course").await, "completed");
    app.deliver(&payment.session_completed("paid")).await;
    app.deliver(&payment.payment_succeeded()).await;
    assert_eq!(app.status(&order_id).await, "paid");
    assert_eq!(purchased_skus(&app, &token).await, ["rust-course", "stickers"]);

    app.deliver(&payment.charge_refunded(2000)).await;
    assert_eq!(
        purchase_status(&app, &token, "stickers").await,
        "completed",
        "a partial refund keeps the purchase"
    );
    app.deliver(&payment.charge_refunded(5200)).await;
    assert_eq!(purchase_status(&app, &token, "rust-course").await, "refunded");
    assert_eq!(purchase_status(&app, &token, "stickers").await, "refunded");
    assert!(purchased_skus(&app, &token).await.is_empty(), "a full refund revokes the purchases");

    // A second order: a declined charge fails it, the retried payment completes it.
    let (retry_order, retry_session) = buy(&app, Some(&token), &["ebook"]).await;
    let retry = Payment::new(&retry_order, &retry_session, 1500);
    app.deliver(&retry.charge_failed("insufficient_funds")).await;
    assert_eq!(purchase_status(&app, &token, "ebook").await, "failed");
    app.deliver(&retry.payment_succeeded()).await;
    app.deliver(&retry.charge_failed("generic_decline")).await;
    assert_eq!(
        purchase_status(&app, &token, "ebook").await,
        "completed",
        "a late failure never beats a payment"
    );

    // Another user owns nothing of this; an unknown product is 404; the admin has no purchases.
    let other = user_token("eve", None);
    assert_eq!(purchase_status(&app, &other, "ebook").await, "not purchased");
    let (status, error) =
        json_of(app.get_as("/api/v1/products/nothing/purchase-status", Some(&token)).await).await;
    assert_eq!((status, error["error"]["code"].as_str()), (404, Some("product_not_found")));
    let (status, _) = json_of(app.get_as("/api/v1/purchases", None).await).await;
    assert_eq!(status, 401);
    let (status, error) = json_of(app.get_as("/api/v1/purchases", Some(ADMIN_KEY)).await).await;
    assert_eq!((status, error["error"]["code"].as_str()), (403, Some("users_only")));
}

#[tokio::test]
async fn a_lost_dispute_revokes_the_purchase() {
    let app = spawn_app(strict()).await;
    let token = user_token("fay", None);
    let body = json!({"email": "fay@example.com", "items": [{"sku": "ebook", "quantity": 1}]});
    let (status, created) =
        json_of(app.post_as("/api/v1/checkout/sessions", &body, Some(&token)).await).await;
    assert_eq!(status, 201, "{created}");
    let payment =
        Payment::new(created["orderId"].as_str().unwrap(), created["sessionId"].as_str().unwrap(), 1500);
    app.deliver(&payment.session_completed("paid")).await;
    app.deliver(&payment.dispute(None)).await;
    assert_eq!(purchase_status(&app, &token, "ebook").await, "completed", "an open dispute keeps access");
    app.deliver(&payment.dispute(Some("lost"))).await;
    assert_eq!(purchase_status(&app, &token, "ebook").await, "refunded");
}

#[tokio::test]
async fn guest_checkout_can_be_turned_off() {
    let app = spawn_app(TestOptions { no_guest_checkout: true, ..strict() }).await;
    let body = json!({"email": "g@example.com", "items": [{"sku": "ebook", "quantity": 1}]});
    let (status, error) = json_of(app.post_as("/api/v1/checkout/sessions", &body, None).await).await;
    assert_eq!((status, error["error"]["code"].as_str()), (401, Some("authentication_required")), "{error}");
    assert_eq!(app.order_count().await, 0);
    buy(&app, Some(&user_token("gus", Some("gus@example.com"))), &["ebook"]).await;
}

#[tokio::test]
async fn catalog_sync_creates_each_product_and_price_in_stripe_once() {
    use payments_stripe_emulator::{Emulator, EmulatorConfig};
    let emulator = Emulator::start("127.0.0.1:0".parse().unwrap(), EmulatorConfig::default()).await.unwrap();
    let (db, database_url) = payments_tests::TestDb::fresh(payments_tests::backend_from_env()).await;
    let env = std::collections::HashMap::from([
        ("DATABASE_URL", database_url),
        ("STRIPE_SECRET_KEY", "sk_test_catalog_sync".to_owned()),
        ("STRIPE_WEBHOOK_SECRET", "whsec_catalog_sync".to_owned()),
        ("STRIPE_API_BASE", emulator.base_url().to_string()),
        ("APP__CATALOG__PATH", "../config/catalog.toml".to_owned()),
        ("APP__LOG__LEVEL", "warn".to_owned()),
    ]);
    let env = env.into_iter().map(|(name, value)| (name.to_owned(), value)).collect();
    let settings =
        payments_app::settings::Settings::load_from(std::path::Path::new("../config"), &env).unwrap();
    let first = payments_app::sync_catalog(&settings).await.unwrap();
    assert_eq!((first.products, first.prices), (3, 10), "three products, ten prices (two recurring)");
    let again = payments_app::sync_catalog(&settings).await.unwrap();
    assert_eq!((again.products, again.prices), (0, 0), "a rerun creates nothing");

    let client = reqwest::Client::new();
    let stripe = |path: &str| {
        let url = format!("{}v1/{path}", emulator.base_url());
        let request = client.get(url).bearer_auth("sk_test_catalog_sync");
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let products = stripe("products?limit=100").await;
    let mut skus: Vec<&str> =
        products["data"].as_array().unwrap().iter().map(|p| p["metadata"]["sku"].as_str().unwrap()).collect();
    skus.sort();
    assert_eq!(skus, ["ebook", "rust-course", "stickers"]);
    let prices = stripe("prices?limit=100").await;
    let prices = prices["data"].as_array().unwrap();
    assert_eq!(prices.len(), 10);
    let monthly = prices.iter().find(|p| p["metadata"]["price_id"] == "rust-course-monthly-usd").unwrap();
    assert_eq!(
        (monthly["unit_amount"].as_i64(), monthly["recurring"]["interval"].as_str()),
        (Some(900), Some("month"))
    );
    assert_eq!(db.count("SELECT count(*) FROM prices WHERE stripe_price_id IS NOT NULL", None).await, 10);
    assert_eq!(db.count("SELECT count(*) FROM products WHERE stripe_product_id IS NOT NULL", None).await, 3);
    emulator.stop().await;
}

#[tokio::test]
async fn after_a_catalog_sync_checkout_names_the_synced_stripe_prices() {
    let app = spawn_app(TestOptions { emulated: true, ..strict() }).await;
    let env = std::collections::HashMap::from([
        ("DATABASE_URL", app.database_url.clone()),
        ("STRIPE_SECRET_KEY", "sk_test_whole_app".to_owned()),
        ("STRIPE_WEBHOOK_SECRET", "whsec_catalog_sync".to_owned()),
        ("STRIPE_API_BASE", app.emulator().base_url().to_string()),
        ("APP__CATALOG__PATH", "../config/catalog.toml".to_owned()),
        ("APP__LOG__LEVEL", "warn".to_owned()),
    ]);
    let env = env.into_iter().map(|(name, value)| (name.to_owned(), value)).collect();
    let settings =
        payments_app::settings::Settings::load_from(std::path::Path::new("../config"), &env).unwrap();
    payments_app::sync_catalog(&settings).await.unwrap();
    // The sync ran as another process would: the service sees it once its kept catalog is older than
    // CATALOG_TTL (a second).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let (_, products) = json_of(app.get_as("/api/v1/products", None).await).await;
        let synced =
            products["products"].as_array().unwrap().iter().all(|p| p["price"]["stripePriceId"].is_string());
        if synced {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the synced catalog unseen after 5 s: {products}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let prices = app.stripe_api(reqwest::Method::GET, "prices?limit=100", &[]).await;
    let synced = |catalog_id: &str| {
        let found =
            prices["data"].as_array().unwrap().iter().find(|p| p["metadata"]["price_id"] == catalog_id);
        found.unwrap()["id"].as_str().unwrap().to_owned()
    };

    let token = user_token("syd", Some("syd@example.com"));
    let (order_id, session_id) = buy(&app, Some(&token), &["ebook", "stickers"]).await;
    let lines = app
        .stripe_api(reqwest::Method::GET, &format!("checkout/sessions/{session_id}/line_items"), &[])
        .await;
    let named: Vec<&str> =
        lines["data"].as_array().unwrap().iter().map(|line| line["price"]["id"].as_str().unwrap()).collect();
    assert_eq!(named, [synced("ebook-usd"), synced("stickers-usd")], "the session names the synced prices");
    let session = app.stripe_api(reqwest::Method::GET, &format!("checkout/sessions/{session_id}"), &[]).await;
    assert_eq!(session["amount_total"], 1800);
    let checkout = payments_tests::HostedCheckout {
        order_id: order_id.clone(),
        session_id,
        url: session["url"].as_str().unwrap().to_owned(),
    };
    app.pay_with_card(&checkout, "4242424242424242").await;
    app.wait_for_status(&order_id, "paid").await;
}

#[tokio::test]
async fn with_emulated_stripe_a_user_buys_pays_on_the_hosted_page_and_a_full_refund_revokes() {
    let app = spawn_app(TestOptions { emulated: true, ..strict() }).await;
    let token = user_token("hal", Some("hal@example.com"));
    let (order_id, session_id) = buy(&app, Some(&token), &["rust-course"]).await;
    let session = app.stripe_api(reqwest::Method::GET, &format!("checkout/sessions/{session_id}"), &[]).await;
    assert!(session["customer"].as_str().is_some_and(|c| c.starts_with("cus_")), "{session}");
    let checkout = payments_tests::HostedCheckout {
        order_id: order_id.clone(),
        session_id: session_id.clone(),
        url: session["url"].as_str().unwrap().to_owned(),
    };
    app.pay_with_card(&checkout, "4242424242424242").await;
    let paid = app.wait_for_status(&order_id, "paid").await;
    assert_eq!(purchase_status(&app, &token, "rust-course").await, "completed");
    let intent = paid["transactionId"].as_str().unwrap();
    app.stripe_api(reqwest::Method::POST, "refunds", &[("payment_intent", intent)]).await;
    app.wait_for_status(&order_id, "refunded").await;
    assert_eq!(purchase_status(&app, &token, "rust-course").await, "refunded");
    let types: Vec<String> = app.stored_event_rows().await.into_iter().map(|(_, kind, _)| kind).collect();
    assert!(
        types.iter().any(|t| t == "charge.succeeded"),
        "the emulator's charge events reach the service: {types:?}"
    );
}
