//! Events in Stripe's envelope, delivered to local receivers, signed as Stripe signs, retried with backoff.

use crate::support::{id_of, start, start_with, Harness};
use hmac::{Hmac, Mac};
use payments_stripe_emulator::{
    DelayedOutcome, DeliveryStatus, DisputeOutcome, EmulatorConfig, PaymentChoice,
};
use serde_json::{json, Value};
use sha2::Sha256;
use std::collections::BTreeSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

pub(crate) const WAIT: Duration = Duration::from_secs(10);

fn real_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Checks `Stripe-Signature` as a receiver must: `t=…,v1=…` where v1 is hex(HMAC-SHA256(secret, "{t}.{body}")).
/// Returns the timestamp.
pub(crate) fn verify_signature(request: &Request, secret: &str) -> i64 {
    let header = request.headers.get("stripe-signature").expect("signed").to_str().unwrap();
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", t)) => timestamp = Some(t.parse::<i64>().unwrap()),
            Some(("v1", v1)) => signatures.push(v1.to_owned()),
            other => panic!("unexpected part {other:?} in {header}"),
        }
    }
    let timestamp = timestamp.expect("a timestamp");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(&request.body);
    let expected = hex::encode(mac.finalize().into_bytes());
    assert_eq!(signatures, [expected], "one v1 signature, the HMAC of t.body under the whole whsec_ secret");
    timestamp
}

pub(crate) async fn receiver(status: u16) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(status)).mount(&server).await;
    server
}

pub(crate) async fn received(server: &MockServer) -> Vec<(Request, Value)> {
    let requests = server.received_requests().await.unwrap();
    requests
        .into_iter()
        .map(|r| {
            let body = serde_json::from_slice(&r.body).unwrap();
            (r, body)
        })
        .collect()
}

pub(crate) fn hook_url(server: &MockServer) -> String {
    format!("{}/webhooks/stripe", server.uri())
}

#[tokio::test]
async fn every_event_reaches_an_endpoint_for_all_events_signed_with_its_secret_in_stripes_envelope() {
    let h = start().await;
    let server = receiver(200).await;
    let secret = h.emulator.register_webhook_endpoint(&hook_url(&server), &["*"]);
    assert!(secret.starts_with("whsec_"));
    h.post("/v1/customers", &[("email", "ada@example.com")]).await.ok();
    h.paid_session("4242424242424242", &[]).await;
    assert!(h.emulator.wait_for_deliveries(WAIT).await);

    let delivered = received(&server).await;
    let sent: Vec<_> = delivered.iter().map(|(_, e)| e["type"].as_str().unwrap().to_owned()).collect();
    let sent: BTreeSet<_> = sent.into_iter().collect();
    let emitted: BTreeSet<_> = h.event_types().into_iter().collect();
    assert_eq!(sent, emitted);
    assert_eq!(delivered.len(), h.emulator.events().len());
    for (request, event) in &delivered {
        assert_eq!(request.url.path(), "/webhooks/stripe");
        assert!(request
            .headers
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("application/json"));
        let t = verify_signature(request, &secret);
        assert!((real_now() - t).abs() < 60, "signed at real time");
        assert!(id_of(event).starts_with("evt_"));
        assert_eq!(event["object"], "event");
        assert_eq!(event["api_version"], payments_stripe_emulator::api_version());
        assert_eq!(event["api_version"], stripe_shared::version::VERSION.as_str());
        assert_eq!(event["livemode"], false);
        assert_eq!(event["pending_webhooks"], 1);
        assert!(event["created"].as_i64().unwrap() > 1_600_000_000);
        assert!(event["data"]["object"]["id"].is_string());
        assert!(event["request"].is_object());
        // The delivered body is the event as the API serves it (pending_webhooks aside).
        let mut served = h.get(&format!("/v1/events/{}", id_of(event))).await.ok();
        served["pending_webhooks"] = event["pending_webhooks"].clone();
        assert_eq!(&served, event);
    }
    // Acknowledged everywhere: nothing pending any more.
    let served = h.get("/v1/events?limit=1").await.ok();
    assert_eq!(served["data"][0]["pending_webhooks"], 0);
}

#[tokio::test]
async fn events_caused_by_an_api_request_name_it_and_its_idempotency_key() {
    let h = start().await;
    let customer = h.post_idempotent("/v1/customers", &[("email", "ada@example.com")], "cust-ada").await;
    let request_id = customer.header("request-id").unwrap().to_owned();
    let event = &h.events_of("customer.created")[0];
    assert_eq!(event["request"], json!({ "id": request_id, "idempotency_key": "cust-ada" }));
    h.paid_session("4242424242424242", &[]).await;
    // A customer paying on the page is not an API request.
    assert_eq!(h.events_of("charge.succeeded")[0]["request"], json!({ "id": null, "idempotency_key": null }));
}

#[tokio::test]
async fn an_endpoint_gets_only_the_events_it_enabled_and_a_disabled_one_gets_none() {
    let h = start().await;
    let completed_only = receiver(200).await;
    let disabled = receiver(200).await;
    h.emulator.register_webhook_endpoint(&hook_url(&completed_only), &["checkout.session.completed"]);
    let endpoint = h
        .post("/v1/webhook_endpoints", &[("url", &hook_url(&disabled)), ("enabled_events[]", "*")])
        .await
        .ok();
    h.post(&format!("/v1/webhook_endpoints/{}", id_of(&endpoint)), &[("disabled", "true")]).await.ok();
    h.paid_session("4242424242424242", &[]).await;
    assert!(h.emulator.wait_for_deliveries(WAIT).await);
    let types: Vec<_> = received(&completed_only).await.into_iter().map(|(_, e)| e["type"].clone()).collect();
    assert_eq!(types, [json!("checkout.session.completed")]);
    assert!(received(&disabled).await.is_empty());
}

#[tokio::test]
async fn each_endpoint_has_its_own_secret() {
    let h = start().await;
    let (one, two) = (receiver(200).await, receiver(204).await);
    let secret_one = h.emulator.register_webhook_endpoint(&hook_url(&one), &["customer.created"]);
    let created = h
        .post("/v1/webhook_endpoints", &[("url", &hook_url(&two)), ("enabled_events[]", "customer.created")])
        .await
        .ok();
    let secret_two = created["secret"].as_str().unwrap().to_owned();
    assert_ne!(secret_one, secret_two);
    h.post("/v1/customers", &[("email", "ada@example.com")]).await.ok();
    assert!(h.emulator.wait_for_deliveries(WAIT).await);
    let (to_one, to_two) = (received(&one).await, received(&two).await);
    verify_signature(&to_one[0].0, &secret_one);
    verify_signature(&to_two[0].0, &secret_two);
    assert_eq!(to_one[0].1["pending_webhooks"], 2);
    assert!(
        h.emulator.deliveries().iter().all(|d| d.status == DeliveryStatus::Succeeded),
        "204 is a success too"
    );
}

#[tokio::test]
async fn a_failing_endpoint_is_retried_with_backoff_until_it_answers_2xx() {
    let h = start().await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .with_priority(2)
        .mount(&server)
        .await;
    let secret = h.emulator.register_webhook_endpoint(&hook_url(&server), &["customer.created"]);
    h.post("/v1/customers", &[("email", "ada@example.com")]).await.ok();
    assert!(h.emulator.wait_for_deliveries(WAIT).await);

    let deliveries = h.emulator.deliveries();
    assert_eq!(deliveries.len(), 1);
    let delivery = &deliveries[0];
    assert_eq!(delivery.status, DeliveryStatus::Succeeded);
    assert_eq!(delivery.event_type, "customer.created");
    let codes: Vec<_> = delivery.attempts.iter().map(|a| a.status_code).collect();
    assert_eq!(codes, [Some(500), Some(500), Some(200)]);
    let numbers: Vec<_> = delivery.attempts.iter().map(|a| a.number).collect();
    assert_eq!(numbers, [1, 2, 3]);
    assert_eq!(delivery.attempts.iter().map(|a| a.succeeded).collect::<Vec<_>>(), [false, false, true]);
    let requests = received(&server).await;
    assert_eq!(requests.len(), 3);
    // The same event each time, each attempt signed afresh.
    for (request, event) in &requests {
        verify_signature(request, &secret);
        assert_eq!(event["id"], json!(delivery.event));
    }
}

#[tokio::test]
async fn retries_follow_the_configured_schedule_and_stop_after_the_last() {
    let schedule = vec![Duration::from_millis(100), Duration::from_millis(300)];
    let config = EmulatorConfig { retry_schedule: schedule, ..EmulatorConfig::for_tests() };
    let h = start_with(config).await;
    let server = receiver(503).await;
    h.emulator.register_webhook_endpoint(&hook_url(&server), &["customer.created"]);
    let started = std::time::Instant::now();
    h.post("/v1/customers", &[("email", "ada@example.com")]).await.ok();
    assert!(h.emulator.wait_for_deliveries(WAIT).await);
    let elapsed = started.elapsed();
    let delivery = &h.emulator.deliveries()[0];
    assert_eq!(delivery.status, DeliveryStatus::Failed);
    assert_eq!(delivery.attempts.len(), 3, "one attempt and one per delay");
    assert!(delivery.attempts.iter().all(|a| a.status_code == Some(503) && !a.succeeded));
    assert!(elapsed >= Duration::from_millis(400), "waited 100 ms then 300 ms: {elapsed:?}");
    assert_eq!(received(&server).await.len(), 3);
}

#[tokio::test]
async fn the_default_schedule_doubles_and_the_test_schedule_is_fast() {
    let default = EmulatorConfig::default();
    assert_eq!(default.retry_schedule.len(), 8);
    for pair in default.retry_schedule.windows(2) {
        assert_eq!(pair[1], pair[0] * 2);
    }
    let tests = EmulatorConfig::for_tests();
    assert!(tests.retry_schedule.iter().sum::<Duration>() < Duration::from_secs(1));
    assert_eq!(
        payments_stripe_emulator::exponential_backoff(Duration::from_secs(1), 3),
        [1, 2, 4].map(Duration::from_secs)
    );
}

#[tokio::test]
async fn a_slow_endpoint_times_out_and_is_retried() {
    let config = EmulatorConfig {
        retry_schedule: vec![Duration::from_millis(10)],
        delivery_timeout: Duration::from_millis(200),
        ..EmulatorConfig::for_tests()
    };
    let h = start_with(config).await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(2)))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .with_priority(2)
        .mount(&server)
        .await;
    h.emulator.register_webhook_endpoint(&hook_url(&server), &["customer.created"]);
    h.post("/v1/customers", &[("email", "ada@example.com")]).await.ok();
    assert!(h.emulator.wait_for_deliveries(WAIT).await);
    let delivery = &h.emulator.deliveries()[0];
    assert_eq!(delivery.status, DeliveryStatus::Succeeded);
    assert_eq!(delivery.attempts.len(), 2);
    assert_eq!(delivery.attempts[0].status_code, None);
    assert!(
        delivery.attempts[0].error.as_deref().unwrap().contains("timed out"),
        "{:?}",
        delivery.attempts[0]
    );
    assert_eq!(delivery.attempts[1].status_code, Some(200));
}

#[tokio::test]
async fn a_redirect_or_an_unreachable_endpoint_is_a_failed_attempt() {
    let config =
        EmulatorConfig { retry_schedule: vec![Duration::from_millis(10)], ..EmulatorConfig::for_tests() };
    let h = start_with(config).await;
    let redirecting = receiver(302).await;
    h.emulator.register_webhook_endpoint(&hook_url(&redirecting), &["customer.created"]);
    // A port nothing listens on: bind one, then free it.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    h.emulator.register_webhook_endpoint(&format!("http://{closed}/hook"), &["customer.created"]);
    h.post("/v1/customers", &[("email", "ada@example.com")]).await.ok();
    assert!(h.emulator.wait_for_deliveries(WAIT).await);
    let deliveries = h.emulator.deliveries();
    assert_eq!(deliveries.len(), 2);
    assert!(deliveries.iter().all(|d| d.status == DeliveryStatus::Failed && d.attempts.len() == 2));
    let redirect = deliveries.iter().find(|d| d.url.starts_with(&redirecting.uri())).unwrap();
    assert_eq!(redirect.attempts[0].status_code, Some(302));
    let unreachable = deliveries.iter().find(|d| d.url.contains(&closed.to_string())).unwrap();
    assert_eq!(unreachable.attempts[0].status_code, None);
    assert!(unreachable.attempts[0].error.is_some());
    let served = h.get("/v1/events?delivery_success=false").await.ok();
    assert_eq!(served["data"][0]["pending_webhooks"], 2);
}

#[tokio::test]
async fn injected_failures_are_recorded_then_retried_and_never_sent() {
    let h = start().await;
    let server = receiver(200).await;
    let endpoint = h.emulator.add_webhook_endpoint(&hook_url(&server), &["customer.created"]);
    h.emulator.fail_next_deliveries(&endpoint.id, 2).unwrap();
    h.post("/v1/customers", &[("email", "ada@example.com")]).await.ok();
    assert!(h.emulator.wait_for_deliveries(WAIT).await);
    let delivery = &h.emulator.deliveries()[0];
    assert_eq!(delivery.webhook_endpoint, endpoint.id);
    assert_eq!(delivery.status, DeliveryStatus::Succeeded);
    let outcomes: Vec<_> = delivery.attempts.iter().map(|a| (a.status_code, a.error.is_some())).collect();
    assert_eq!(outcomes, [(None, true), (None, true), (Some(200), false)]);
    assert_eq!(received(&server).await.len(), 1, "injected failures are not sent");
    assert!(h.emulator.fail_next_deliveries("we_missing", 1).is_err());
}

/// Waits until the first delivery has made its first attempt.
async fn first_attempt_made(h: &Harness) {
    let deadline = std::time::Instant::now() + WAIT;
    while h.emulator.deliveries().first().is_none_or(|d| d.attempts.is_empty()) {
        assert!(std::time::Instant::now() < deadline, "no attempt within {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn deleting_an_endpoint_stops_its_retries() {
    let config =
        EmulatorConfig { retry_schedule: vec![Duration::from_secs(1); 5], ..EmulatorConfig::for_tests() };
    let h = start_with(config).await;
    let server = receiver(500).await;
    let endpoint = h.emulator.add_webhook_endpoint(&hook_url(&server), &["customer.created"]);
    h.post("/v1/customers", &[("email", "ada@example.com")]).await.ok();
    first_attempt_made(&h).await;
    h.delete(&format!("/v1/webhook_endpoints/{}", endpoint.id)).await.ok();
    assert!(h.emulator.wait_for_deliveries(WAIT).await);
    let delivery = &h.emulator.deliveries()[0];
    assert_eq!(delivery.status, DeliveryStatus::Failed);
    assert_eq!(delivery.attempts.len(), 1);
}

#[tokio::test]
async fn waiting_for_deliveries_gives_up_at_its_timeout() {
    let config =
        EmulatorConfig { retry_schedule: vec![Duration::from_secs(30)], ..EmulatorConfig::for_tests() };
    let h = start_with(config).await;
    let server = receiver(500).await;
    h.emulator.register_webhook_endpoint(&hook_url(&server), &["customer.created"]);
    h.post("/v1/customers", &[("email", "ada@example.com")]).await.ok();
    first_attempt_made(&h).await;
    assert!(!h.emulator.wait_for_deliveries(Duration::from_millis(300)).await);
    let delivery = &h.emulator.deliveries()[0];
    assert_eq!((delivery.status, delivery.attempts.len()), (DeliveryStatus::Pending, 1));
}

#[tokio::test]
async fn a_resent_event_is_delivered_again_with_the_same_body() {
    let h = start().await;
    let server = receiver(200).await;
    let endpoint = h.emulator.add_webhook_endpoint(&hook_url(&server), &["customer.created"]);
    h.post("/v1/customers", &[("email", "ada@example.com")]).await.ok();
    assert!(h.emulator.wait_for_deliveries(WAIT).await);
    let event_id = h.emulator.deliveries()[0].event.clone();
    let resent = h.emulator.resend_event(&event_id, Some(&endpoint.id)).unwrap();
    assert_eq!(resent.len(), 1);
    assert!(h.emulator.wait_for_deliveries(WAIT).await);
    let requests = received(&server).await;
    assert_eq!(requests.len(), 2);
    // The same event, as it now is: acknowledged by the first delivery.
    let (first, second) = (&requests[0].1, &requests[1].1);
    assert_eq!((first["id"].clone(), first["data"].clone()), (second["id"].clone(), second["data"].clone()));
    assert_eq!((first["pending_webhooks"].as_i64(), second["pending_webhooks"].as_i64()), (Some(1), Some(0)));
    verify_signature(&requests[1].0, &endpoint.secret);
    assert!(h.emulator.resend_event("evt_missing", None).is_err());
    assert!(h.emulator.resend_event(&event_id, Some("we_missing")).is_err());
}

#[tokio::test]
async fn events_are_dated_on_the_emulators_clock_and_signed_at_real_time() {
    let h = start().await;
    let server = receiver(200).await;
    let secret = h.emulator.register_webhook_endpoint(&hook_url(&server), &["customer.created"]);
    h.emulator.advance_clock(Duration::from_secs(7 * 24 * 3600));
    h.post("/v1/customers", &[("email", "ada@example.com")]).await.ok();
    assert!(h.emulator.wait_for_deliveries(WAIT).await);
    let (request, event) = &received(&server).await[0];
    let created = event["created"].as_i64().unwrap();
    assert!((created - real_now() - 7 * 24 * 3600).abs() < 60);
    assert_eq!(event["data"]["object"]["created"], created);
    assert!((verify_signature(request, &secret) - real_now()).abs() < 60);
}

/// Runs every flow the issue names and checks each required event type was emitted, delivered and
/// carries the object it is about.
#[tokio::test]
async fn every_event_type_the_issue_names_is_sent_with_its_object() {
    let h = start().await;
    let server = receiver(200).await;
    h.emulator.register_webhook_endpoint(&hook_url(&server), &["*"]);
    h.post("/v1/customers", &[("email", "ada@example.com")]).await.ok();
    // decline, then 3-D Secure, then success, then a refund and a dispute that closes
    let session = h.create_session(&[("customer_email", "ada@example.com")]).await;
    let id = id_of(&session);
    h.emulator.pay_session(&id, "4000000000000002").unwrap();
    h.emulator.pay_session(&id, "4000002500003155").unwrap();
    h.emulator.complete_three_d_secure(&id, true).unwrap();
    let pi = h.get(&format!("/v1/checkout/sessions/{id}")).await.ok()["payment_intent"]
        .as_str()
        .unwrap()
        .to_owned();
    h.post("/v1/refunds", &[("payment_intent", &pi), ("amount", "100")]).await.ok();
    let dispute = h.emulator.open_dispute(&pi).unwrap();
    h.emulator.close_dispute(&dispute, DisputeOutcome::Lost).unwrap();
    // delayed debits that succeed and fail
    for outcome in [DelayedOutcome::Succeed, DelayedOutcome::Fail] {
        let session = h.create_session(&[]).await;
        h.emulator
            .submit_payment(&id_of(&session), PaymentChoice::DelayedDebit, Some("bob@example.com"))
            .unwrap();
        h.emulator.settle_delayed_payment(&id_of(&session), outcome).unwrap();
    }
    // a session that expires
    let expiring = h.create_session(&[]).await;
    h.emulator.expire_session(&id_of(&expiring)).unwrap();
    assert!(h.emulator.wait_for_deliveries(WAIT).await);

    let delivered = received(&server).await;
    fn object_kind(event_type: &str) -> &str {
        match event_type.rsplit_once('.').unwrap().0 {
            "checkout.session" => "checkout.session",
            "charge.dispute" => "dispute",
            other => other,
        }
    }
    for required in [
        "customer.created",
        "payment_intent.created",
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "payment_intent.requires_action",
        "charge.succeeded",
        "charge.failed",
        "charge.refunded",
        "charge.dispute.created",
        "charge.dispute.closed",
        "refund.created",
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed",
        "checkout.session.expired",
    ] {
        let events: Vec<_> = delivered.iter().filter(|(_, e)| e["type"] == required).collect();
        assert!(!events.is_empty(), "{required} was not delivered");
        for (_, event) in events {
            assert_eq!(event["data"]["object"]["object"], object_kind(required), "{required}");
        }
    }
    let closed = delivered.iter().find(|(_, e)| e["type"] == "charge.dispute.closed").unwrap();
    assert_eq!(closed.1["data"]["object"]["status"], "lost");
    assert_eq!(closed.1["data"]["previous_attributes"], json!({ "status": "needs_response" }));
    let refunded = delivered.iter().find(|(_, e)| e["type"] == "charge.refunded").unwrap();
    assert_eq!(refunded.1["data"]["previous_attributes"]["amount_refunded"], 0);
    let created = delivered.iter().find(|(_, e)| e["type"] == "customer.created").unwrap();
    assert!(created.1["data"].get("previous_attributes").is_none(), "Stripe sends none for creations");
}

#[tokio::test]
async fn a_harness_helper_sanity_check_two_emulators_do_not_share_state() {
    let (a, b): (Harness, Harness) = (start().await, start().await);
    a.post("/v1/customers", &[("email", "a@example.com")]).await.ok();
    assert!(b.get("/v1/customers").await.ok()["data"].as_array().unwrap().is_empty());
    assert_ne!(a.emulator.base_url(), b.emulator.base_url());
}
