//! Reconciliation end to end, on the emulator: payments whose webhooks never arrived are found in Stripe's
//! events list; a pending order whose events are out of the run's window is settled from its session.

use payments_tests::{spawn_app, TestApp, TestOptions, ADMIN_KEY};
use reqwest::Method;
use serde_json::Value;
use std::time::Duration;

async fn app(env: &'static [(&'static str, &'static str)]) -> TestApp {
    spawn_app(TestOptions { emulated: true, env, ..TestOptions::default() }).await
}

/// Every delivery to the service's endpoint fails from now on, so the emulator gives each event up.
async fn cut_webhooks(app: &TestApp) {
    let endpoints = app.stripe_api(Method::GET, "webhook_endpoints", &[]).await;
    for endpoint in endpoints["data"].as_array().expect("endpoints") {
        app.emulator().fail_next_deliveries(endpoint["id"].as_str().unwrap(), 100_000).expect("endpoint");
    }
}

async fn reconcile(app: &TestApp, query: &str) -> (u16, Value) {
    let response = app
        .client
        .post(format!("{}/api/v1/admin/reconcile{query}", app.address))
        .bearer_auth(ADMIN_KEY)
        .send()
        .await
        .expect("request");
    (response.status().as_u16(), response.json().await.expect("a report"))
}

#[tokio::test]
async fn payments_whose_webhooks_never_arrived_are_found_in_stripes_events_and_recorded_once() {
    let app = app(&[("APP__RECONCILE__ENABLED", "false")]).await;
    let runs_before = app.metric(r#"payments_reconcile_runs_total{result="complete"}"#).await;
    let recorded_before = app.metric(r#"payments_reconcile_events_total{outcome="recorded"}"#).await;
    cut_webhooks(&app).await;
    let checkout = app.hosted_checkout(1500, 1).await;
    assert_eq!(app.pay_with_card(&checkout, "4242 4242 4242 4242").await.status, 303);
    app.emulator().wait_for_deliveries(Duration::from_secs(15)).await;
    assert_eq!(app.status(&checkout.order_id).await, "pending", "no webhook reached the service");

    // Two runs at once (two instances): each event is recorded by one of them, and applied once.
    let ((status, report), (other_status, other)) =
        futures::future::join(reconcile(&app, ""), reconcile(&app, "")).await;
    assert_eq!((status, other_status), (200, 200), "{report} {other}");
    let recorded = report["recorded"].as_u64().unwrap() + other["recorded"].as_u64().unwrap();
    assert_eq!(
        recorded,
        report["listed"].as_u64().unwrap(),
        "every listed event recorded by exactly one run: {report} {other}"
    );
    let applied = report["applied"].as_u64().unwrap() + other["applied"].as_u64().unwrap();
    assert!(applied >= 1, "{report} {other}");
    assert_eq!(app.status(&checkout.order_id).await, "paid");
    let stored = app.all_stored_events().await;

    let (_, again) = reconcile(&app, "?since=1h").await;
    assert_eq!(again["recorded"], 0, "a second run records nothing new: {again}");
    assert_eq!(again["already_stored"], report["listed"], "{again}");
    assert_eq!(app.all_stored_events().await, stored, "every event is stored once");

    // What the runs found is in the metrics too.
    let runs = app.metric(r#"payments_reconcile_runs_total{result="complete"}"#).await;
    assert!(runs >= runs_before + 3.0, "{runs_before} -> {runs}");
    let found = app.metric(r#"payments_reconcile_events_total{outcome="recorded"}"#).await;
    #[allow(clippy::cast_precision_loss)]
    let recorded = recorded as f64;
    assert!(found >= recorded_before + recorded, "{recorded_before} -> {found}, {recorded} recorded");
    assert!(app.metric("payments_reconcile_last_complete_timestamp_seconds").await > 1.7e9);
}

#[tokio::test]
async fn a_pending_order_whose_session_was_paid_is_settled_from_the_session_itself() {
    let app = app(&[("APP__RECONCILE__ENABLED", "false"), ("APP__RECONCILE__PENDING_AFTER_SECS", "1")]).await;
    cut_webhooks(&app).await;
    let checkout = app.hosted_checkout(2500, 1).await;
    app.pay_with_card(&checkout, "4242424242424242").await;
    app.emulator().wait_for_deliveries(Duration::from_secs(15)).await;
    tokio::time::sleep(Duration::from_millis(2100)).await;

    // A one-second window holds none of the payment's events: the order is settled from its session.
    let (status, report) = reconcile(&app, "?since=1s").await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["recorded"], 0, "{report}");
    assert_eq!((report["pending_checked"].as_u64(), report["pending_settled"].as_u64()), (Some(1), Some(1)));
    assert_eq!(app.status(&checkout.order_id).await, "paid");

    let (status, bad) = reconcile(&app, "?since=forever").await;
    assert_eq!(status, 400);
    assert_eq!(bad["error"]["code"], "invalid_query");
}

#[tokio::test]
async fn the_periodic_run_catches_up_on_its_own_shortly_after_start() {
    let app = app(&[("APP__RECONCILE__ENABLED", "true")]).await;
    cut_webhooks(&app).await;
    let checkout = app.hosted_checkout(1200, 1).await;
    app.pay_with_card(&checkout, "4242424242424242").await;
    // The first run starts five seconds after start-up.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while app.status(&checkout.order_id).await != "paid" {
        assert!(std::time::Instant::now() < deadline, "no periodic run caught up with the payment");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
