//! Subscriptions end to end, through the emulator and its hosted page: subscribe, renew on the emulator's
//! clock, fail renewals and run out of retries, cancel at the period's end or at once, resume, and the
//! customer portal. Access is read from the service's own API, which learns everything from signed webhooks.

use payments_tests::{spawn_app, user_token, HostedCheckout, TestApp, TestOptions};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const MONTH: Duration = Duration::from_secs(32 * 86_400);
const DAY: Duration = Duration::from_secs(86_400);

fn emulated() -> TestOptions {
    TestOptions { emulated: true, strict_prices: true, ..TestOptions::default() }
}

async fn json_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

/// Starts a subscription checkout of the monthly course as `token`'s user and pays it with `card`.
async fn subscribe(app: &TestApp, token: &str, card: &str) -> HostedCheckout {
    let body = json!({"items": [{"price_id": "rust-course-monthly-usd", "quantity": 1}]});
    let (status, created) = json_of(app.post_as("/api/v1/checkout/sessions", &body, Some(token)).await).await;
    assert_eq!(status, 201, "{created}");
    let checkout = HostedCheckout {
        order_id: created["orderId"].as_str().unwrap().to_owned(),
        session_id: created["sessionId"].as_str().unwrap().to_owned(),
        url: created["url"].as_str().unwrap().to_owned(),
    };
    app.pay_with_card(&checkout, card).await;
    checkout
}

/// The user's one subscription, once `ready` holds for it (webhooks arrive on their own time).
async fn subscription_when(app: &TestApp, token: &str, what: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (status, body) = json_of(app.get_as("/api/v1/subscriptions", Some(token)).await).await;
        assert_eq!(status, 200, "{body}");
        if let Some(first) = body["subscriptions"].as_array().and_then(|all| all.first()) {
            if ready(first) {
                return first.clone();
            }
        }
        assert!(Instant::now() < deadline, "the subscription never became {what}: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn status_is(app: &TestApp, token: &str, status: &str) -> Value {
    subscription_when(app, token, status, |s| s["status"] == status).await
}

/// What purchase-status says of the course.
async fn access(app: &TestApp, token: &str) -> Value {
    let (status, body) =
        json_of(app.get_as("/api/v1/products/rust-course/purchase-status", Some(token)).await).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn change(app: &TestApp, token: &str, id: &str, path: &str, body: Value) -> (u16, Value) {
    json_of(app.post_as(&format!("/api/v1/subscriptions/{id}/{path}"), &body, Some(token)).await).await
}

#[tokio::test]
async fn a_subscription_paid_with_4242_grants_access_renews_and_a_cancel_at_period_end_ends_it_then() {
    let app = spawn_app(emulated()).await;
    let token = user_token("sam", Some("sam@example.com"));
    let checkout = subscribe(&app, &token, "4242424242424242").await;
    let active = status_is(&app, &token, "active").await;
    let id = active["id"].as_str().unwrap().to_owned();
    assert_eq!(active["sku"], "rust-course");
    assert_eq!(active["orderId"], checkout.order_id.as_str());
    assert_eq!(access(&app, &token).await["status"], "completed");
    assert_eq!(access(&app, &token).await["subscription"]["id"], id.as_str());
    app.wait_for_status(&checkout.order_id, "paid").await;

    // A period passes: Stripe bills the next one and the subscription stays active, its period moved on.
    let first_end = active["currentPeriodEnd"].as_str().unwrap().to_owned();
    app.emulator().advance_clock(MONTH);
    let first_invoice = active["latestInvoice"]["id"].clone();
    let renewed = subscription_when(&app, &token, "renewed by a new paid invoice", |s| {
        s["currentPeriodEnd"] != first_end.as_str()
            && s["latestInvoice"]["id"] != first_invoice
            && s["latestInvoice"]["status"] == "paid"
    })
    .await;
    assert_eq!(renewed["status"], "active");
    assert_eq!(access(&app, &token).await["status"], "completed");

    // Cancel at the period's end: still granted; resume undoes it; cancel again and let the period end.
    let (status, answer) = change(&app, &token, &id, "cancel", json!({"atPeriodEnd": true})).await;
    assert_eq!((status, answer["requested"].as_str()), (202, Some("cancel_at_period_end")), "{answer}");
    subscription_when(&app, &token, "set to cancel", |s| s["cancelAtPeriodEnd"] == true).await;
    assert_eq!(access(&app, &token).await["status"], "completed", "granted until the period ends");
    // Stripe dates events to the second and two snapshots of one second cannot be told apart by time: the
    // customer changes their mind a moment later.
    app.emulator().advance_clock(Duration::from_secs(2));
    let (status, answer) = change(&app, &token, &id, "resume", json!({})).await;
    assert_eq!(status, 202, "{answer}");
    subscription_when(&app, &token, "resumed", |s| s["cancelAtPeriodEnd"] == false).await;
    app.emulator().advance_clock(Duration::from_secs(2));
    let (status, answer) = change(&app, &token, &id, "cancel", json!({"atPeriodEnd": true})).await;
    assert_eq!(status, 202, "{answer}");
    subscription_when(&app, &token, "set to cancel again", |s| s["cancelAtPeriodEnd"] == true).await;
    app.emulator().advance_clock(MONTH);
    status_is(&app, &token, "canceled").await;
    let ended = access(&app, &token).await;
    assert_eq!(ended["status"], "ended", "{ended}");
    let (status, purchases) = json_of(app.get_as("/api/v1/purchases", Some(&token)).await).await;
    assert_eq!((status, purchases["purchases"].as_array().map(Vec::len)), (200, Some(0)), "{purchases}");

    // Nothing changes an ended subscription.
    let (status, refused) = change(&app, &token, &id, "cancel", json!({"atPeriodEnd": false})).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (409, Some("subscription_ended")), "{refused}");
}

#[tokio::test]
async fn a_card_that_fails_renewals_goes_past_due_keeping_access_until_the_retries_run_out() {
    let app = spawn_app(emulated()).await;
    let token = user_token("pat", Some("pat@example.com"));
    subscribe(&app, &token, "4000000000000341").await;
    status_is(&app, &token, "active").await;

    app.emulator().advance_clock(MONTH);
    let past_due = subscription_when(&app, &token, "past due with a failed invoice", |s| {
        s["status"] == "past_due" && s["latestInvoice"]["paymentFailed"] == true
    })
    .await;
    let invoice = &past_due["latestInvoice"];
    assert_eq!(
        (invoice["paymentFailed"].as_bool(), invoice["status"].as_str()),
        (Some(true), Some("open")),
        "{past_due}"
    );
    assert!(
        invoice["nextPaymentAttempt"].is_string(),
        "the user is told when Stripe tries again: {past_due}"
    );
    assert_eq!(access(&app, &token).await["status"], "completed", "past due is a grace period");

    // Stripe retries on its schedule (3, 5 and 7 days in the emulator), then cancels.
    for _ in 0..4 {
        app.emulator().advance_clock(8 * DAY);
    }
    status_is(&app, &token, "canceled").await;
    assert_eq!(access(&app, &token).await["status"], "ended");
}

#[tokio::test]
async fn a_cancel_now_ends_access_at_once_and_someone_else_cannot_touch_it() {
    let app = spawn_app(emulated()).await;
    let token = user_token("kim", Some("kim@example.com"));
    subscribe(&app, &token, "4242424242424242").await;
    let id = status_is(&app, &token, "active").await["id"].as_str().unwrap().to_owned();

    let other = user_token("eve", Some("eve@example.com"));
    let (status, refused) = change(&app, &other, &id, "cancel", json!({"atPeriodEnd": false})).await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (404, Some("subscription_not_found")),
        "{refused}"
    );
    let (status, _) = json_of(app.get_as(&format!("/api/v1/subscriptions/{id}"), Some(&other)).await).await;
    assert_eq!(status, 404);

    let (status, answer) = change(&app, &token, &id, "cancel", json!({"atPeriodEnd": false})).await;
    assert_eq!((status, answer["requested"].as_str()), (202, Some("cancel_now")), "{answer}");
    status_is(&app, &token, "canceled").await;
    assert_eq!(access(&app, &token).await["status"], "ended");
}

#[tokio::test]
async fn the_billing_portal_opens_for_a_subscriber_and_not_for_someone_without_a_customer() {
    let app = spawn_app(emulated()).await;
    let token = user_token("lee", Some("lee@example.com"));
    subscribe(&app, &token, "4242424242424242").await;
    status_is(&app, &token, "active").await;
    let (status, portal) =
        json_of(app.post_as("/api/v1/billing-portal", &json!({}), Some(&token)).await).await;
    assert_eq!(status, 200, "{portal}");
    let url = portal["url"].as_str().unwrap();
    assert!(url.starts_with(app.emulator().base_url().as_str()), "{url}");
    let page = reqwest::get(url).await.unwrap();
    assert_eq!(page.status(), 200);

    let newcomer = user_token("new", Some("new@example.com"));
    let (status, refused) =
        json_of(app.post_as("/api/v1/billing-portal", &json!({}), Some(&newcomer)).await).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (409, Some("no_billing_account")), "{refused}");
}

#[tokio::test]
async fn a_free_trial_grants_access_at_once_with_nothing_due_and_bills_when_it_ends() {
    let app = spawn_app(emulated()).await;
    let token = user_token("tia", Some("tia@example.com"));
    let trial = json!({"price_id": "rust-course-monthly-trial-usd", "quantity": 1});
    let (status, refused) = json_of(
        app.post_as(
            "/api/v1/checkout/sessions",
            &json!({"items": [trial, {"sku": "ebook", "quantity": 1}]}),
            Some(&token),
        )
        .await,
    )
    .await;
    assert_eq!((status, refused["error"]["code"].as_str()), (422, Some("not_for_sale")), "{refused}");

    let (status, created) =
        json_of(app.post_as("/api/v1/checkout/sessions", &json!({"items": [trial]}), Some(&token)).await)
            .await;
    assert_eq!(status, 201, "{created}");
    let checkout = HostedCheckout {
        order_id: created["orderId"].as_str().unwrap().to_owned(),
        session_id: created["sessionId"].as_str().unwrap().to_owned(),
        url: created["url"].as_str().unwrap().to_owned(),
    };
    app.pay_with_card(&checkout, "4242424242424242").await;
    let trialing = status_is(&app, &token, "trialing").await;
    assert!(trialing["trialEnd"].is_string(), "{trialing}");
    assert_eq!(access(&app, &token).await["status"], "completed", "a trial grants the product");
    app.wait_for_status(&checkout.order_id, "paid").await;

    app.emulator().advance_clock(8 * DAY);
    let active = subscription_when(&app, &token, "active after its trial, billed", |s| {
        s["status"] == "active"
            && s["latestInvoice"]["amountDue"] == 900
            && s["latestInvoice"]["status"] == "paid"
    })
    .await;
    assert_eq!(active["grantsAccess"], true);
}
