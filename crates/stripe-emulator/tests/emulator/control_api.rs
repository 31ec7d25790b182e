//! The control API under `/_emulator` (and the same actions as `Emulator` methods): the clock, expiry,
//! paying, 3-D Secure, settling, disputes, resending, injected delivery failures, the delivery log, reset.

use crate::support::{answer, id_of, start, Harness};
use payments_stripe_emulator::{ControlError, DeliveryStatus, DisputeOutcome};
use reqwest::Method;
use serde_json::Value;
use std::time::Duration;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn control_get(h: &Harness, path: &str) -> Value {
    answer(h.request(Method::GET, &format!("_emulator/{path}"))).await.ok()
}

async fn status_of(h: &Harness, id: &str) -> String {
    h.get(&format!("/v1/checkout/sessions/{id}")).await.ok()["status"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_clock_moves_forward_only_and_overdue_sessions_expire() {
    let h = start().await;
    let clock = control_get(&h, "clock").await;
    assert_eq!(clock["offset_seconds"], 0);
    let session = h.create_session(&[]).await;
    let expires_at = session["expires_at"].as_i64().unwrap();

    let moved = h.control("clock/advance", &[("seconds", "3600")]).await.ok();
    assert_eq!(moved["offset_seconds"], 3600);
    assert!(moved["now"].as_i64().unwrap() >= clock["now"].as_i64().unwrap() + 3600);
    assert_eq!(status_of(&h, &id_of(&session)).await, "open");

    assert_eq!(h.control("clock/advance", &[("seconds", "-5")]).await.error(400)["param"], "seconds");
    assert_eq!(h.control("clock/advance", &[]).await.error(400)["param"], "seconds");

    let to_expiry = expires_at - h.emulator.now();
    let now = h.emulator.advance_clock(Duration::from_secs(to_expiry as u64));
    assert!(now >= expires_at);
    assert_eq!(status_of(&h, &id_of(&session)).await, "expired");
    let expired = h.events_of("checkout.session.expired");
    assert_eq!(expired.len(), 1);
    assert!(expired[0]["created"].as_i64().unwrap() >= expires_at, "dated on the emulator's clock");
    assert_eq!(
        h.emulator.pay_session(&id_of(&session), "4242424242424242").map(|_| ()),
        Err(ControlError::Rejected(
            "This Checkout Session is no longer open (its status is `expired`).".into()
        ))
    );
}

#[tokio::test]
async fn an_overdue_session_expires_without_any_request_touching_it() {
    let h = start().await;
    let session = h.create_session(&[("expires_at", &(h.emulator.now() + 1800).to_string())]).await;
    h.emulator.advance_clock(Duration::from_secs(1800));
    // The background sweep expires it within about a second.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while h.emulator.events().is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(h.event_types(), ["checkout.session.expired"]);
    assert_eq!(status_of(&h, &id_of(&session)).await, "expired");
}

#[tokio::test]
async fn expiring_a_session_with_a_waiting_payment_intent_cancels_it() {
    let h = start().await;
    let session = h.create_session(&[("customer_email", "ada@example.com")]).await;
    let id = id_of(&session);
    h.emulator.pay_session(&id, "4000000000000002").unwrap();
    let expired = h.control(&format!("checkout/sessions/{id}/expire"), &[]).await.ok();
    assert_eq!(expired["status"], "expired");
    let pi =
        h.get(&format!("/v1/payment_intents/{}", expired["payment_intent"].as_str().unwrap())).await.ok();
    assert_eq!(
        (pi["status"].as_str(), pi["cancellation_reason"].as_str()),
        (Some("canceled"), Some("abandoned"))
    );
    let types = h.event_types();
    assert_eq!(types[types.len() - 2..], ["payment_intent.canceled", "checkout.session.expired"]);
    assert_eq!(
        h.control(&format!("checkout/sessions/{id}/expire"), &[]).await.error(400)["type"],
        "invalid_request_error"
    );
    h.control("checkout/sessions/cs_test_missing/expire", &[]).await.error(404);
    assert!(matches!(h.emulator.expire_session("cs_test_missing"), Err(ControlError::NotFound(_))));
    assert!(matches!(h.emulator.expire_session(&id), Err(ControlError::Rejected(_))));
}

#[tokio::test]
async fn paying_through_the_control_api_answers_the_outcome_and_the_next_url() {
    let h = start().await;
    let session = h.create_session(&[]).await;
    let id = id_of(&session);
    let paid = h
        .control(
            &format!("checkout/sessions/{id}/pay"),
            &[("card", "4242424242424242"), ("email", "ada@example.com")],
        )
        .await
        .ok();
    assert_eq!(paid["outcome"], "succeeded");
    assert_eq!(paid["redirect_url"], format!("https://shop.test/paid?session_id={id}"));
    assert_eq!(paid["checkout_session"]["status"], "complete");
    assert_eq!(paid["checkout_session"]["customer_details"]["email"], "ada@example.com");
    assert_eq!(paid["payment_intent"]["status"], "succeeded");
    h.control(&format!("checkout/sessions/{id}/pay"), &[("card", "4242424242424242")]).await.error(400);
    h.control("checkout/sessions/cs_test_missing/pay", &[]).await.error(404);
}

#[tokio::test]
async fn three_d_secure_and_delayed_settlement_through_the_control_api() {
    let h = start().await;
    let challenged = h.create_session(&[]).await;
    let id = id_of(&challenged);
    let pending = h
        .control(
            &format!("checkout/sessions/{id}/pay"),
            &[("card", "4000002500003155"), ("email", "a@example.com")],
        )
        .await
        .ok();
    assert_eq!(pending["outcome"], "requires_action");
    assert_eq!(pending["redirect_url"], format!("{}/three_d_secure", challenged["url"].as_str().unwrap()));
    assert_eq!(
        h.control(&format!("checkout/sessions/{id}/three_d_secure"), &[("outcome", "maybe")])
            .await
            .error(400)["param"],
        "outcome"
    );
    let done =
        h.control(&format!("checkout/sessions/{id}/three_d_secure"), &[("outcome", "complete")]).await.ok();
    assert_eq!(done["outcome"], "succeeded");
    assert_eq!(done["checkout_session"]["payment_status"], "paid");

    let delayed = h.create_session(&[]).await;
    let id = id_of(&delayed);
    let processing = h
        .control(&format!("checkout/sessions/{id}/pay"), &[("method", "delayed"), ("email", "a@example.com")])
        .await
        .ok();
    assert_eq!(processing["outcome"], "processing");
    assert_eq!(processing["checkout_session"]["payment_status"], "unpaid");
    let settled = h.control(&format!("checkout/sessions/{id}/settle"), &[("outcome", "fail")]).await.ok();
    assert_eq!(settled["payment_intent"]["status"], "requires_payment_method");
    assert_eq!(settled["checkout_session"]["payment_status"], "unpaid");
    h.control(&format!("checkout/sessions/{id}/settle"), &[("outcome", "succeed")]).await.error(400);

    let at_once = h.create_session(&[]).await;
    let id = id_of(&at_once);
    let paid = h
        .control(
            &format!("checkout/sessions/{id}/pay"),
            &[("method", "delayed"), ("outcome", "succeed"), ("email", "a@example.com")],
        )
        .await
        .ok();
    assert_eq!(paid["outcome"], "processing");
    assert_eq!(h.get(&format!("/v1/checkout/sessions/{id}")).await.ok()["payment_status"], "paid");
}

#[tokio::test]
async fn disputes_open_on_paid_charges_and_close_once() {
    let h = start().await;
    let paid = h.paid_session("4242424242424242", &[]).await;
    let pi = paid["payment_intent"].as_str().unwrap();
    let dispute =
        h.control("disputes", &[("payment_intent", pi), ("reason", "product_not_received")]).await.ok();
    assert!(id_of(&dispute).starts_with("dp_"));
    assert_eq!(
        (dispute["status"].as_str(), dispute["reason"].as_str()),
        (Some("needs_response"), Some("product_not_received"))
    );
    h.control("disputes", &[("charge", dispute["charge"].as_str().unwrap())]).await.error(400);
    let won = h.control(&format!("disputes/{}/close", id_of(&dispute)), &[("outcome", "won")]).await.ok();
    assert_eq!(won["status"], "won");
    h.control(&format!("disputes/{}/close", id_of(&dispute)), &[("outcome", "lost")]).await.error(400);
    assert_eq!(h.get(&format!("/v1/disputes/{}", id_of(&dispute))).await.ok()["status"], "won");
    // A won dispute gives the money back to the merchant: it can be refunded again.
    h.post("/v1/refunds", &[("payment_intent", pi)]).await.ok();

    let unpaid = h.create_session(&[("customer_email", "a@example.com")]).await;
    h.emulator.pay_session(&id_of(&unpaid), "4000000000000002").unwrap();
    let declined_pi = h.get(&format!("/v1/checkout/sessions/{}", id_of(&unpaid))).await.ok()
        ["payment_intent"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(matches!(h.emulator.open_dispute(&declined_pi), Err(ControlError::Rejected(_))));
    assert!(matches!(h.emulator.open_dispute("ch_missing"), Err(ControlError::NotFound(_))));
    assert!(matches!(
        h.emulator.close_dispute("dp_missing", DisputeOutcome::Won),
        Err(ControlError::NotFound(_))
    ));
    h.control("disputes", &[]).await.error(400);
}

#[tokio::test]
async fn deliveries_are_listed_resent_and_made_to_fail_over_http() {
    let h = start().await;
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    let endpoint = h.emulator.add_webhook_endpoint(&format!("{}/hook", server.uri()), &["customer.created"]);
    let fail =
        h.control(&format!("webhook_endpoints/{}/fail_next", endpoint.id), &[("count", "1")]).await.ok();
    assert_eq!(fail["fail_next"], 1);
    h.control("webhook_endpoints/we_missing/fail_next", &[("count", "1")]).await.error(404);
    h.post("/v1/customers", &[("email", "a@example.com")]).await.ok();
    assert!(h.emulator.wait_for_deliveries(Duration::from_secs(10)).await);

    let event = id_of(&h.events_of("customer.created")[0]);
    let log = control_get(&h, &format!("deliveries?event={event}")).await;
    assert_eq!(log["object"], "list");
    let delivery = &log["data"][0];
    assert_eq!(
        (delivery["event"].as_str(), delivery["webhook_endpoint"].as_str()),
        (Some(event.as_str()), Some(endpoint.id.as_str()))
    );
    assert_eq!(delivery["status"], "succeeded");
    let attempts = delivery["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2);
    assert_eq!(
        (attempts[0]["succeeded"].as_bool(), attempts[0]["status_code"].clone()),
        (Some(false), Value::Null)
    );
    assert_eq!(
        (attempts[1]["succeeded"].as_bool(), attempts[1]["status_code"].as_u64()),
        (Some(true), Some(200))
    );

    let resent = h.control(&format!("events/{event}/resend"), &[]).await.ok();
    assert_eq!(resent["deliveries"].as_array().unwrap().len(), 1);
    h.control("events/evt_missing/resend", &[]).await.error(404);
    assert!(h.emulator.wait_for_deliveries(Duration::from_secs(10)).await);
    let all = control_get(&h, &format!("deliveries?webhook_endpoint={}", endpoint.id)).await;
    assert_eq!(all["data"].as_array().unwrap().len(), 2);
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
    assert!(h.emulator.deliveries().iter().all(|d| d.status == DeliveryStatus::Succeeded));
}

#[tokio::test]
async fn reset_forgets_everything_and_puts_the_clock_back() {
    let h = start().await;
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    h.emulator.register_webhook_endpoint(&server.uri(), &["*"]);
    h.post_idempotent("/v1/customers", &[("email", "a@example.com")], "before-reset").await.ok();
    let paid = h.paid_session("4242424242424242", &[]).await;
    h.emulator.advance_clock(Duration::from_secs(3600));
    assert!(h.emulator.wait_for_deliveries(Duration::from_secs(10)).await);

    assert_eq!(h.control("reset", &[]).await.ok()["reset"], true);
    assert!(h.emulator.events().is_empty());
    assert!(h.emulator.deliveries().is_empty());
    assert_eq!(control_get(&h, "clock").await["offset_seconds"], 0);
    for list in [
        "/v1/customers",
        "/v1/checkout/sessions",
        "/v1/events",
        "/v1/webhook_endpoints",
        "/v1/payment_intents",
    ] {
        assert!(h.get(list).await.ok()["data"].as_array().unwrap().is_empty(), "{list}");
    }
    h.get(&format!("/v1/checkout/sessions/{}", id_of(&paid))).await.error(404);
    let again = h.post_idempotent("/v1/customers", &[("email", "b@example.com")], "before-reset").await;
    assert_eq!(again.status, 200, "idempotency keys are forgotten too");
    assert!(h.emulator.wait_for_deliveries(Duration::from_secs(1)).await, "no endpoint left to deliver to");

    h.emulator.reset();
    assert!(h.get("/v1/customers").await.ok()["data"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn paying_through_the_control_api_without_an_email_uses_a_placeholder_as_the_method_does() {
    let h = start().await;
    let session = h.create_session(&[]).await;
    let paid = h.control(&format!("checkout/sessions/{}/pay", id_of(&session)), &[]).await.ok();
    assert_eq!(paid["outcome"], "succeeded", "the default card is 4242…");
    assert_eq!(paid["checkout_session"]["customer_details"]["email"], "customer@example.com");
    let other = h.create_session(&[]).await;
    h.emulator.pay_session(&id_of(&other), "4242424242424242").unwrap();
    let other = h.get(&format!("/v1/checkout/sessions/{}", id_of(&other))).await.ok();
    assert_eq!(other["customer_details"]["email"], "customer@example.com");
    let bad = h
        .control(
            &format!("checkout/sessions/{}/pay", id_of(&h.create_session(&[]).await)),
            &[("email", "nope")],
        )
        .await;
    assert_eq!(bad.error(400)["param"], "email");
}

#[tokio::test]
async fn a_public_base_url_is_where_sessions_send_browsers() {
    let public = url::Url::parse("http://payments.test:9999/stripe").unwrap();
    let config = payments_stripe_emulator::EmulatorConfig {
        public_base_url: Some(public),
        ..payments_stripe_emulator::EmulatorConfig::for_tests()
    };
    let h = crate::support::start_with(config).await;
    assert_eq!(h.emulator.base_url().as_str(), "http://payments.test:9999/stripe/");
    assert!(h.emulator.local_addr().ip().is_loopback());
    // The test talks to the bound address; the session's URL names the public one.
    let request = h
        .http
        .post(format!("http://{}/v1/checkout/sessions", h.emulator.local_addr()))
        .bearer_auth(crate::support::KEY)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(crate::support::form(&[
            ("success_url", "https://shop.test/ok"),
            ("line_items[0][price_data][currency]", "usd"),
            ("line_items[0][price_data][unit_amount]", "1000"),
            ("line_items[0][price_data][product_data][name]", "Thing"),
            ("line_items[0][quantity]", "1"),
        ]));
    let session = answer(request).await.ok();
    assert_eq!(session["url"], format!("http://payments.test:9999/stripe/checkout/{}", id_of(&session)));
}

#[tokio::test]
async fn stopping_the_emulator_closes_its_port() {
    let h = start().await;
    let address = h.emulator.local_addr();
    assert_eq!(h.get("/v1/customers").await.status, 200);
    h.emulator.stop().await;
    let refused =
        h.http.get(format!("http://{address}/v1/customers")).timeout(Duration::from_secs(2)).send().await;
    assert!(refused.is_err(), "still answering after stop: {refused:?}");
}
