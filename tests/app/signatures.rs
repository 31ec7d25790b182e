use payments_tests::events::Payment;
use payments_tests::{spawn_app, TestApp, TestOptions, ROTATED_SECRET};
use serde_json::Value;

async fn pending_payment(app: &TestApp) -> Payment {
    let (order_id, session_id) = app.checkout(1000).await;
    Payment::new(&order_id, &session_id, 1000)
}

async fn assert_refused(app: &TestApp, response: reqwest::Response, code: &str, order_id: &str) {
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    assert_eq!(app.all_stored_events().await, 0, "a refused delivery stores nothing");
    assert_eq!(app.status(order_id).await, "pending", "and changes nothing");
}

#[tokio::test]
async fn a_forged_signature_is_rejected_and_changes_nothing() {
    let app = spawn_app(TestOptions::default()).await;
    let payment = pending_payment(&app).await;
    let response = app.send_event_signed_with(&payment.session_completed("paid"), "whsec_not_ours").await;
    assert_refused(&app, response, "invalid_signature", &payment.order_id).await;
}

#[tokio::test]
async fn a_tampered_body_is_rejected_and_changes_nothing() {
    let app = spawn_app(TestOptions::default()).await;
    let payment = pending_payment(&app).await;
    let body = serde_json::to_vec(&payment.session_completed("paid")).unwrap();
    let header = payments_stripe::signature_header(
        payments_tests::PRIMARY_SECRET,
        chrono::Utc::now().timestamp(),
        &body,
    );
    let tampered = String::from_utf8(body).unwrap().replace("1000", "1").into_bytes();
    let response = app.send_raw(tampered, Some(header)).await;
    assert_refused(&app, response, "invalid_signature", &payment.order_id).await;
}

#[tokio::test]
async fn a_stale_timestamp_is_rejected_and_changes_nothing() {
    let app = spawn_app(TestOptions::default()).await;
    let payment = pending_payment(&app).await;
    let body = serde_json::to_vec(&payment.session_completed("paid")).unwrap();
    let an_hour_ago = chrono::Utc::now().timestamp() - 3600;
    let header = payments_stripe::signature_header(payments_tests::PRIMARY_SECRET, an_hour_ago, &body);
    let response = app.send_raw(body, Some(header)).await;
    assert_refused(&app, response, "timestamp_out_of_tolerance", &payment.order_id).await;
}

#[tokio::test]
async fn a_missing_signature_header_is_rejected_and_changes_nothing() {
    let app = spawn_app(TestOptions::default()).await;
    let payment = pending_payment(&app).await;
    let body = serde_json::to_vec(&payment.session_completed("paid")).unwrap();
    let response = app.send_raw(body, None).await;
    assert_refused(&app, response, "missing_signature", &payment.order_id).await;
}

#[tokio::test]
async fn an_event_signed_with_the_rotated_secret_is_accepted() {
    let app = spawn_app(TestOptions::default()).await;
    let payment = pending_payment(&app).await;
    let response = app.send_event_signed_with(&payment.session_completed("paid"), ROTATED_SECRET).await;
    assert_eq!(response.status(), 200);
    assert_eq!(app.status(&payment.order_id).await, "paid");
}

#[tokio::test]
async fn malformed_json_under_a_valid_signature_is_rejected_and_changes_nothing() {
    let app = spawn_app(TestOptions::default()).await;
    let payment = pending_payment(&app).await;
    let body = b"{\"id\": \"evt_1\", \"type\": \"checkout.session.completed\", \"data\": ".to_vec();
    let header = payments_stripe::signature_header(
        payments_tests::PRIMARY_SECRET,
        chrono::Utc::now().timestamp(),
        &body,
    );
    let response = app.send_raw(body, Some(header)).await;
    assert_refused(&app, response, "malformed_payload", &payment.order_id).await;
}

#[tokio::test]
async fn a_body_over_one_mebibyte_is_refused() {
    let app = spawn_app(TestOptions::default()).await;
    let body = vec![b' '; 1024 * 1024 + 1];
    let header = payments_stripe::signature_header(
        payments_tests::PRIMARY_SECRET,
        chrono::Utc::now().timestamp(),
        &body,
    );
    let response = app.send_raw(body, Some(header)).await;
    assert_eq!(response.status(), 413);
    assert_eq!(app.all_stored_events().await, 0);
}

#[tokio::test]
async fn a_timestamp_far_in_the_future_is_rejected_and_changes_nothing() {
    let app = spawn_app(TestOptions::default()).await;
    let payment = pending_payment(&app).await;
    let body = serde_json::to_vec(&payment.session_completed("paid")).unwrap();
    let in_an_hour = chrono::Utc::now().timestamp() + 3600;
    let header = payments_stripe::signature_header(payments_tests::PRIMARY_SECRET, in_an_hour, &body);
    let response = app.send_raw(body, Some(header)).await;
    assert_refused(&app, response, "timestamp_out_of_tolerance", &payment.order_id).await;
}

#[tokio::test]
async fn events_of_live_mode_or_an_unknown_connected_account_are_refused_and_change_nothing() {
    let app = spawn_app(TestOptions::default()).await;
    let payment = pending_payment(&app).await;
    let mut live = payment.session_completed("paid");
    live["livemode"] = true.into();
    let mut connected = payment.session_completed("paid");
    connected["account"] = "acct_1NotConfigured".into();
    for event in [live, connected] {
        let ack = app.deliver(&event).await;
        assert_eq!(ack, serde_json::json!({"received": true, "outcome": "refused"}));
        assert_eq!(app.stored_events(event["id"].as_str().unwrap()).await, 1, "stored as refused");
        assert_eq!(app.status(&payment.order_id).await, "pending", "and nothing changed");
        let again = app.deliver(&event).await;
        assert_eq!(again["outcome"], "duplicate");
    }
    let ack = app.deliver(&payment.session_completed("paid")).await;
    assert_eq!(
        (ack["outcome"].as_str(), app.status(&payment.order_id).await.as_str()),
        (Some("applied"), "paid")
    );
}

#[tokio::test]
async fn a_live_deployment_refuses_test_mode_events_and_takes_live_ones() {
    let app = spawn_app(TestOptions { live_key: true, ..TestOptions::default() }).await;
    let payment = pending_payment(&app).await;
    let ack = app.deliver(&payment.session_completed("paid")).await;
    assert_eq!(
        (ack["outcome"].as_str(), app.status(&payment.order_id).await.as_str()),
        (Some("refused"), "pending")
    );
    let mut live = payment.session_completed("paid");
    live["livemode"] = true.into();
    let ack = app.deliver(&live).await;
    assert_eq!(
        (ack["outcome"].as_str(), app.status(&payment.order_id).await.as_str()),
        (Some("applied"), "paid")
    );
}

#[tokio::test]
async fn a_signed_event_with_nul_escapes_is_stored_as_received_and_applied() {
    let app = spawn_app(TestOptions::default()).await;
    let payment = pending_payment(&app).await;
    let mut failed = payment.payment_failed("generic_decline");
    failed["data"]["object"]["last_payment_error"]["message"] = "Declined\u{0}\u{0}.".into();
    failed["data"]["object"]["metadata"]["note"] = "\u{0}".into();
    let body = serde_json::to_vec(&failed).unwrap();
    assert!(String::from_utf8_lossy(&body).contains("\\u0000"));
    for _ in 0..2 {
        let header = payments_stripe::signature_header(
            payments_tests::PRIMARY_SECRET,
            chrono::Utc::now().timestamp(),
            &body,
        );
        let response = app.send_raw(body.clone(), Some(header)).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    }
    assert_eq!(app.stored_events(failed["id"].as_str().unwrap()).await, 1);
    let order = app.order(&payment.order_id).await;
    assert!(!order.to_string().contains("\\u0000"), "no NUL reaches the order: {order}");
}
