//! The whole payment loop offline: the service runs its built-in Stripe emulator, the customer uses the
//! hosted checkout page through its form posts, and the order moves only through signed webhooks.

use payments_stripe_emulator::{DeliveryStatus, DisputeOutcome};
use payments_tests::{spawn_app, TestApp, TestOptions};
use reqwest::Method;
use std::time::Duration;

async fn emulated_app() -> TestApp {
    spawn_app(TestOptions { emulated: true, ..TestOptions::default() }).await
}

#[tokio::test]
async fn paying_with_4242_on_the_hosted_page_marks_the_order_paid() {
    let app = emulated_app().await;
    let checkout = app.hosted_checkout(1500, 2).await;
    let page = app.client.get(&checkout.url).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Compiler course") && page.contains("30.00"), "the page shows the items and total");

    let answer = app.pay_with_card(&checkout, "4242 4242 4242 4242").await;
    assert_eq!(answer.status, 303);
    let expected_return = format!("{}/success?session_id={}", app.address, checkout.session_id);
    assert_eq!(answer.location.as_deref(), Some(expected_return.as_str()), "back to our own success page");

    let order = app.wait_for_status(&checkout.order_id, "paid").await;
    assert_eq!(order["amount"], 3000);
    assert!(order["transactionId"].as_str().unwrap().starts_with("pi_"), "{order}");
    let by_session = app
        .client
        .get(format!("{}/api/v1/checkout/sessions/{}", app.address, checkout.session_id))
        .send()
        .await
        .unwrap();
    assert_eq!(by_session.json::<serde_json::Value>().await.unwrap()["status"], "paid");
    let applied: Vec<_> =
        app.stored_event_rows().await.into_iter().filter(|(_, _, outcome)| outcome == "applied").collect();
    assert!(!applied.is_empty(), "the payment arrived as applied webhook events");
}

#[tokio::test]
async fn a_declined_card_shows_the_error_keeps_the_session_open_and_a_retry_pays() {
    let app = emulated_app().await;
    let checkout = app.hosted_checkout(2500, 1).await;

    let declined = app.pay_with_card(&checkout, "4000000000000002").await;
    assert_eq!(declined.status, 402);
    assert!(declined.body.to_lowercase().contains("declined"), "the page says why");
    let session =
        app.stripe_api(Method::GET, &format!("checkout/sessions/{}", checkout.session_id), &[]).await;
    assert_eq!(session["status"], "open", "a decline leaves the session open for another try");
    app.wait_for_status(&checkout.order_id, "failed").await;

    let insufficient = app.pay_with_card(&checkout, "4000000000009995").await;
    assert_eq!(insufficient.status, 402);
    assert!(insufficient.body.to_lowercase().contains("insufficient"), "the page says why");

    let paid = app.pay_with_card(&checkout, "4242424242424242").await;
    assert_eq!(paid.status, 303);
    app.wait_for_status(&checkout.order_id, "paid").await;
}

#[tokio::test]
async fn three_d_secure_completed_pays_and_failed_does_not() {
    let app = emulated_app().await;

    let completed = app.hosted_checkout(4000, 1).await;
    let challenge = app.pay_with_card(&completed, "4000002500003155").await;
    assert_eq!(challenge.status, 303);
    assert_eq!(challenge.location.as_deref(), Some(format!("{}/three_d_secure", completed.url).as_str()));
    let page = app.client.get(format!("{}/three_d_secure", completed.url)).send().await.unwrap();
    let page = page.text().await.unwrap();
    assert!(page.contains("complete") && page.contains("fail"), "the challenge offers Complete and Fail");
    let done = app.post_page(&completed, "/three_d_secure", &[("action", "complete")]).await;
    assert_eq!(done.status, 303);
    app.wait_for_status(&completed.order_id, "paid").await;

    let failed = app.hosted_checkout(4000, 1).await;
    app.pay_with_card(&failed, "4000 0025 0000 3155").await;
    let refused = app.post_page(&failed, "/three_d_secure", &[("action", "fail")]).await;
    assert_eq!(refused.status, 402, "a failed challenge is a decline: the form comes back with the error");
    app.wait_for_status(&failed.order_id, "failed").await;
    let session = app.stripe_api(Method::GET, &format!("checkout/sessions/{}", failed.session_id), &[]).await;
    assert_eq!(session["status"], "open");
}

#[tokio::test]
async fn a_delayed_bank_debit_stays_pending_then_succeeds_or_fails() {
    let app = emulated_app().await;

    let succeeds = app.hosted_checkout(9900, 1).await;
    let answer = app.pay_by_bank_debit(&succeeds).await;
    assert_eq!(answer.status, 303, "the customer goes back to the shop while the debit settles");
    app.emulator().wait_for_deliveries(Duration::from_secs(10)).await;
    assert_eq!(app.status(&succeeds.order_id).await, "pending", "completed but unpaid stays pending");
    let settled = app.post_page(&succeeds, "/settle", &[("outcome", "succeed")]).await;
    assert!(settled.status.is_success() || settled.status.is_redirection(), "{}", settled.status);
    app.wait_for_status(&succeeds.order_id, "paid").await;

    let fails = app.hosted_checkout(9900, 1).await;
    app.pay_by_bank_debit(&fails).await;
    app.emulator().wait_for_deliveries(Duration::from_secs(10)).await;
    assert_eq!(app.status(&fails.order_id).await, "pending");
    app.post_page(&fails, "/settle", &[("outcome", "fail")]).await;
    app.wait_for_status(&fails.order_id, "failed").await;
}

#[tokio::test]
async fn a_session_left_alone_expires_on_the_emulators_clock() {
    let app = emulated_app().await;
    let abandoned = app.hosted_checkout(1200, 1).await;
    let paid = app.hosted_checkout(1200, 1).await;
    app.pay_with_card(&paid, "4242424242424242").await;
    app.wait_for_status(&paid.order_id, "paid").await;

    app.emulator().advance_clock(Duration::from_secs(25 * 3600));
    app.wait_for_status(&abandoned.order_id, "expired").await;
    assert_eq!(app.status(&paid.order_id).await, "paid", "expiry never touches a paid order");
    let page = app.client.get(&abandoned.url).send().await.unwrap();
    assert_eq!(page.status(), 410, "an expired session's page says so");
}

#[tokio::test]
async fn a_session_opened_for_45_minutes_expires_after_them_and_its_order_with_it() {
    let env = &[("APP__CHECKOUT__SESSION_TTL_MINUTES", "45")];
    let app = spawn_app(TestOptions { emulated: true, env, ..TestOptions::default() }).await;
    let abandoned = app.hosted_checkout(1200, 1).await;
    let session =
        app.stripe_api(Method::GET, &format!("checkout/sessions/{}", abandoned.session_id), &[]).await;
    let lifetime = session["expires_at"].as_i64().unwrap() - session["created"].as_i64().unwrap();
    assert!((45 * 60 - 5..=45 * 60).contains(&lifetime), "the session lives 45 minutes: {lifetime} s");

    app.emulator().advance_clock(Duration::from_secs(40 * 60));
    app.emulator().wait_for_deliveries(Duration::from_secs(10)).await;
    assert_eq!(app.status(&abandoned.order_id).await, "pending", "still open after 40 minutes");
    app.emulator().advance_clock(Duration::from_secs(6 * 60));
    app.wait_for_status(&abandoned.order_id, "expired").await;
}

#[tokio::test]
async fn partial_then_full_refund_through_the_stripe_api() {
    let app = emulated_app().await;
    let checkout = app.hosted_checkout(1000, 3).await;
    app.pay_with_card(&checkout, "4242424242424242").await;
    let order = app.wait_for_status(&checkout.order_id, "paid").await;
    let payment_intent = order["transactionId"].as_str().unwrap().to_owned();

    let partial = app
        .stripe_api(Method::POST, "refunds", &[("payment_intent", &payment_intent), ("amount", "1000")])
        .await;
    assert_eq!(partial["amount"], 1000);
    app.wait_for_status(&checkout.order_id, "partially_refunded").await;

    let rest = app.stripe_api(Method::POST, "refunds", &[("payment_intent", &payment_intent)]).await;
    assert_eq!(rest["amount"], 2000, "a refund without an amount refunds what is left");
    app.wait_for_status(&checkout.order_id, "refunded").await;
}

#[tokio::test]
async fn a_disputed_card_opens_a_dispute_and_its_outcome_arrives() {
    let app = emulated_app().await;
    let checkout = app.hosted_checkout(5000, 1).await;
    let answer = app.pay_with_card(&checkout, "4000000000000259").await;
    assert_eq!(answer.status, 303, "the payment itself succeeds");
    app.wait_for_status(&checkout.order_id, "disputed").await;

    let disputes = app.stripe_api(Method::GET, "disputes", &[]).await;
    let dispute = disputes["data"][0]["id"].as_str().expect("a dispute").to_owned();
    app.emulator().close_dispute(&dispute, DisputeOutcome::Won).unwrap();
    app.wait_for_status(&checkout.order_id, "paid").await;
}

#[tokio::test]
async fn the_webhook_endpoint_failing_for_a_while_loses_nothing_and_applies_nothing_twice() {
    let app = emulated_app().await;
    let endpoints = app.stripe_api(Method::GET, "webhook_endpoints", &[]).await;
    let endpoint =
        endpoints["data"][0]["id"].as_str().expect("the service registered its endpoint").to_owned();
    assert!(endpoints["data"][0]["url"].as_str().unwrap().ends_with("/webhook"));

    let first = app.hosted_checkout(700, 1).await;
    let second = app.hosted_checkout(800, 1).await;
    app.emulator().fail_next_deliveries(&endpoint, 6).unwrap();
    app.pay_with_card(&first, "4000000000000002").await;
    app.pay_with_card(&first, "4242424242424242").await;
    app.pay_with_card(&second, "4242424242424242").await;

    app.wait_for_status(&first.order_id, "paid").await;
    app.wait_for_status(&second.order_id, "paid").await;

    let deliveries = app.emulator().deliveries();
    assert!(
        deliveries.iter().any(|d| d.attempts.len() > 1 && d.attempts.iter().any(|a| !a.succeeded)),
        "some deliveries failed and were retried"
    );
    assert!(
        deliveries.iter().all(|d| d.status == DeliveryStatus::Succeeded),
        "every delivery got through in the end: {deliveries:?}"
    );
    let stored = app.stored_event_rows().await;
    let mut delivered: Vec<&str> = deliveries.iter().map(|d| d.event.as_str()).collect();
    delivered.sort_unstable();
    delivered.dedup();
    assert_eq!(stored.len(), delivered.len(), "each delivered event is stored exactly once");
}
