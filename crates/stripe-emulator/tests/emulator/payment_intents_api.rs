//! `/v1/payment_intents` as a Stripe client drives it: create, confirm with Stripe's test payment methods,
//! 3-D Secure through the control API, cancel, update, `client_secret`, idempotency and refunds.

use crate::support::{id_of, start, Harness};
use payments_stripe_emulator::PaymentResult;
use serde_json::Value;

async fn create(h: &Harness, extra: &[(&str, &str)]) -> Value {
    let mut pairs = vec![("amount", "2000"), ("currency", "usd"), ("metadata[order_id]", "o-42")];
    pairs.extend_from_slice(extra);
    h.post("/v1/payment_intents", &pairs).await.ok()
}

async fn confirm(h: &Harness, pi: &Value, payment_method: &str) -> crate::support::Answer {
    h.post(&format!("/v1/payment_intents/{}/confirm", id_of(pi)), &[("payment_method", payment_method)]).await
}

#[tokio::test]
async fn a_created_payment_intent_waits_for_a_payment_method_with_its_client_secret() {
    let h = start().await;
    let pi = create(&h, &[("description", "Order 42"), ("automatic_payment_methods[enabled]", "true")]).await;
    assert_eq!(pi["object"], "payment_intent");
    assert_eq!(pi["status"], "requires_payment_method");
    assert_eq!((pi["amount"].as_i64(), pi["currency"].as_str()), (Some(2000), Some("usd")));
    assert_eq!(pi["metadata"]["order_id"], "o-42");
    assert_eq!(pi["automatic_payment_methods"]["enabled"], true);
    assert!(pi["client_secret"].as_str().unwrap().starts_with(&format!("{}_secret_", id_of(&pi))));
    assert_eq!(h.event_types(), ["payment_intent.created"]);
}

#[tokio::test]
async fn confirming_with_pm_card_visa_succeeds_with_a_charge_then_the_payment_intent_event() {
    let h = start().await;
    let pi = create(&h, &[]).await;
    let paid = confirm(&h, &pi, "pm_card_visa").await.ok();
    assert_eq!(paid["status"], "succeeded");
    assert_eq!(paid["amount_received"], 2000);
    let charge_id = paid["latest_charge"].as_str().expect("a charge").to_owned();
    assert_eq!(h.event_types(), ["payment_intent.created", "charge.succeeded", "payment_intent.succeeded"]);
    let charge = &h.events_of("charge.succeeded")[0]["data"]["object"];
    assert_eq!(
        (charge["id"].as_str(), charge["payment_intent"].as_str()),
        (Some(&*charge_id), Some(&*id_of(&pi)))
    );
    assert_eq!(charge["metadata"]["order_id"], "o-42");
    assert_eq!(h.events_of("payment_intent.succeeded")[0]["data"]["object"]["status"], "succeeded");
    // The test token became a payment method of its own.
    let method =
        h.get(&format!("/v1/payment_methods/{}", paid["payment_method"].as_str().unwrap())).await.ok();
    assert_eq!(method["card"]["brand"], "visa");
    // Refunds find the charge by its payment intent.
    let refund = h.post("/v1/refunds", &[("payment_intent", &id_of(&pi))]).await.ok();
    assert_eq!((refund["charge"].as_str(), refund["amount"].as_i64()), (Some(&*charge_id), Some(2000)));
    // A succeeded payment intent cannot be confirmed again.
    let error = confirm(&h, &pi, "pm_card_visa").await.error(400);
    assert_eq!(error["code"], "payment_intent_unexpected_state");
}

#[tokio::test]
async fn create_and_confirm_in_one_call_with_mastercard_and_amex() {
    let h = start().await;
    for (token, brand) in [("pm_card_mastercard", "mastercard"), ("pm_card_amex", "amex")] {
        let pi = create(&h, &[("payment_method", token), ("confirm", "true")]).await;
        assert_eq!(pi["status"], "succeeded", "{token}");
        let charge = h.get(&format!("/v1/charges/{}", pi["latest_charge"].as_str().unwrap())).await.ok();
        assert_eq!(charge["payment_method_details"]["card"]["brand"], brand);
    }
}

#[tokio::test]
async fn declined_cards_answer_402_card_errors_and_the_payment_intent_can_be_retried() {
    let h = start().await;
    for (token, code, decline_code) in [
        ("pm_card_chargeDeclined", "card_declined", "generic_decline"),
        ("pm_card_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"),
        ("pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card"),
    ] {
        let pi = create(&h, &[]).await;
        let before = h.emulator.events().len();
        let error = confirm(&h, &pi, token).await.error(402);
        assert_eq!(
            (error["type"].as_str(), error["code"].as_str()),
            (Some("card_error"), Some(code)),
            "{token}"
        );
        assert_eq!(error["decline_code"], decline_code);
        assert!(error["charge"].as_str().unwrap().starts_with("ch_"));
        assert_eq!(error["payment_intent"]["id"], id_of(&pi).as_str());
        assert_eq!(error["payment_intent"]["status"], "requires_payment_method");
        assert_eq!(error["payment_intent"]["last_payment_error"]["decline_code"], decline_code);
        let types: Vec<String> = h.event_types().split_off(before);
        assert_eq!(types, ["charge.failed", "payment_intent.payment_failed"], "{token}");
        let now = h.get(&format!("/v1/payment_intents/{}", id_of(&pi))).await.ok();
        assert_eq!(now["last_payment_error"]["code"], code);
        // The customer may try another card.
        assert_eq!(confirm(&h, &pi, "pm_card_visa").await.ok()["status"], "succeeded");
    }
}

#[tokio::test]
async fn authentication_required_asks_for_3ds_and_the_control_api_completes_or_fails_it() {
    let h = start().await;
    // Without return_url: use_stripe_sdk, as stripe.js handles it.
    let pi = create(&h, &[]).await;
    let waiting = confirm(&h, &pi, "pm_card_authenticationRequired").await.ok();
    assert_eq!(waiting["status"], "requires_action");
    assert_eq!(waiting["next_action"]["type"], "use_stripe_sdk");
    assert_eq!(h.events_of("payment_intent.requires_action").len(), 1);
    let done = h
        .control(&format!("payment_intents/{}/three_d_secure", id_of(&pi)), &[("outcome", "complete")])
        .await;
    assert_eq!(done.ok()["status"], "succeeded");
    assert_eq!(
        h.event_types(),
        [
            "payment_intent.created",
            "payment_intent.requires_action",
            "charge.succeeded",
            "payment_intent.succeeded"
        ]
    );

    // With return_url: redirect_to_url; a failed challenge is a 402 and the payment intent waits again.
    let pi = create(&h, &[]).await;
    let waiting = h
        .post(
            &format!("/v1/payment_intents/{}/confirm", id_of(&pi)),
            &[("payment_method", "pm_card_threeDSecure2Required"), ("return_url", "https://shop.test/back")],
        )
        .await
        .ok();
    assert_eq!(waiting["next_action"]["type"], "redirect_to_url");
    assert_eq!(waiting["next_action"]["redirect_to_url"]["return_url"], "https://shop.test/back");
    let failed =
        h.control(&format!("payment_intents/{}/three_d_secure", id_of(&pi)), &[("outcome", "fail")]).await;
    let error = failed.error(402);
    assert_eq!(error["code"], "payment_intent_authentication_failure");
    assert_eq!(error["payment_intent"]["status"], "requires_payment_method");
    assert_eq!(h.events_of("payment_intent.payment_failed").len(), 1);
    // Nothing is pending any more.
    let again = h.emulator.complete_payment_intent_action(&id_of(&pi), true);
    assert!(again.is_err());
    // The library method does the same as the route.
    confirm(&h, &pi, "pm_card_authenticationRequired").await.ok();
    assert_eq!(
        h.emulator.complete_payment_intent_action(&id_of(&pi), true).unwrap(),
        PaymentResult::Succeeded
    );
}

#[tokio::test]
async fn cancel_sets_the_reason_and_a_succeeded_payment_intent_cannot_be_canceled() {
    let h = start().await;
    let pi = create(&h, &[]).await;
    let canceled = h
        .post(
            &format!("/v1/payment_intents/{}/cancel", id_of(&pi)),
            &[("cancellation_reason", "requested_by_customer")],
        )
        .await
        .ok();
    assert_eq!(canceled["status"], "canceled");
    assert_eq!(canceled["cancellation_reason"], "requested_by_customer");
    assert!(canceled["canceled_at"].is_i64());
    assert_eq!(h.events_of("payment_intent.canceled").len(), 1);
    assert_eq!(confirm(&h, &pi, "pm_card_visa").await.error(400)["code"], "payment_intent_unexpected_state");
    let bad = h
        .post(
            &format!("/v1/payment_intents/{}/cancel", id_of(&create(&h, &[]).await)),
            &[("cancellation_reason", "bored")],
        )
        .await;
    assert_eq!(bad.error(400)["param"], "cancellation_reason");

    let paid = create(&h, &[("payment_method", "pm_card_visa"), ("confirm", "true")]).await;
    let error = h.post(&format!("/v1/payment_intents/{}/cancel", id_of(&paid)), &[]).await.error(400);
    assert_eq!(error["code"], "payment_intent_unexpected_state");
}

#[tokio::test]
async fn the_same_idempotency_key_replays_the_create_and_a_declined_confirm() {
    let h = start().await;
    let pairs = [("amount", "1500"), ("currency", "eur")];
    let first = h.post_idempotent("/v1/payment_intents", &pairs, "pi-key-1").await;
    let second = h.post_idempotent("/v1/payment_intents", &pairs, "pi-key-1").await;
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    assert_eq!(id_of(&first.json), id_of(&second.json));
    assert_eq!(h.events_of("payment_intent.created").len(), 1);
    let other = h
        .post_idempotent("/v1/payment_intents", &[("amount", "1600"), ("currency", "eur")], "pi-key-1")
        .await;
    assert_eq!(other.error(400)["type"], "idempotency_error");

    let path = format!("/v1/payment_intents/{}/confirm", id_of(&first.json));
    let decline = [("payment_method", "pm_card_chargeDeclined")];
    assert_eq!(h.post_idempotent(&path, &decline, "confirm-1").await.status, 402);
    let replay = h.post_idempotent(&path, &decline, "confirm-1").await;
    assert_eq!((replay.status, replay.header("idempotent-replayed")), (402, Some("true")));
    assert_eq!(h.events_of("charge.failed").len(), 1);
}

#[tokio::test]
async fn client_secret_must_be_the_payment_intents_own() {
    let h = start().await;
    let pi = create(&h, &[]).await;
    let secret = pi["client_secret"].as_str().unwrap();
    let path = format!("/v1/payment_intents/{}", id_of(&pi));
    assert_eq!(h.get(&format!("{path}?client_secret={secret}")).await.ok()["id"], id_of(&pi).as_str());
    let wrong = format!("{}_secret_wrong", id_of(&pi));
    assert_eq!(h.get(&format!("{path}?client_secret={wrong}")).await.error(400)["param"], "client_secret");
    let refused = h
        .post(&format!("{path}/confirm"), &[("payment_method", "pm_card_visa"), ("client_secret", &wrong)])
        .await;
    assert_eq!(refused.error(400)["param"], "client_secret");
    let confirmed = h
        .post(&format!("{path}/confirm"), &[("payment_method", "pm_card_visa"), ("client_secret", secret)])
        .await;
    assert_eq!(confirmed.ok()["status"], "succeeded");
}

#[tokio::test]
async fn bad_and_unknown_parameters_are_refused_before_anything_is_made() {
    let h = start().await;
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("currency", "usd")], "amount"),
        (&[("amount", "2000")], "currency"),
        (&[("amount", "0"), ("currency", "usd")], "amount"),
        (&[("amount", "49"), ("currency", "usd")], "amount"),
        (&[("amount", "100000000"), ("currency", "usd")], "amount"),
        (&[("amount", "2000"), ("currency", "usd"), ("bogus", "1")], "bogus"),
        (&[("amount", "2000"), ("currency", "usd"), ("capture_method", "manual")], "capture_method"),
        (&[("amount", "2000"), ("currency", "usd"), ("customer", "cus_missing")], "customer"),
        (&[("amount", "2000"), ("currency", "usd"), ("payment_method", "pm_missing")], "payment_method"),
        (&[("amount", "2000"), ("currency", "usd"), ("confirm", "true")], "payment_method"),
        (
            &[("amount", "2000"), ("currency", "usd"), ("payment_method_types[]", "ideal")],
            "payment_method_types",
        ),
    ];
    for (pairs, param) in cases {
        let error = h.post("/v1/payment_intents", pairs).await.error(400);
        assert_eq!(error["param"], *param, "{pairs:?}: {error}");
    }
    assert!(h.emulator.events().is_empty());
    let pi = create(&h, &[]).await;
    let error =
        h.post(&format!("/v1/payment_intents/{}/confirm", id_of(&pi)), &[("bogus", "1")]).await.error(400);
    assert_eq!(error["code"], "parameter_unknown");
    assert_eq!(
        h.post("/v1/payment_intents/pi_missing/confirm", &[]).await.error(404)["code"],
        "resource_missing"
    );
}

#[tokio::test]
async fn a_customers_saved_card_pays_and_update_changes_amount_and_metadata() {
    let h = start().await;
    let customer = h
        .post("/v1/customers", &[("email", "ada@example.com"), ("payment_method", "pm_card_visa")])
        .await
        .ok();
    let methods = h.get(&format!("/v1/payment_methods?customer={}", id_of(&customer))).await.ok();
    let saved = id_of(&methods["data"][0]);
    let pi = create(&h, &[("customer", &id_of(&customer)), ("payment_method", &saved)]).await;
    assert_eq!(pi["status"], "requires_confirmation");
    let updated = h
        .post(
            &format!("/v1/payment_intents/{}", id_of(&pi)),
            &[("amount", "2500"), ("metadata[order_id]", ""), ("metadata[note]", "gift")],
        )
        .await
        .ok();
    assert_eq!(updated["amount"], 2500);
    assert_eq!(updated["metadata"], serde_json::json!({ "note": "gift" }));
    let paid = h.post(&format!("/v1/payment_intents/{}/confirm", id_of(&pi)), &[]).await.ok();
    assert_eq!((paid["status"].as_str(), paid["amount_received"].as_i64()), (Some("succeeded"), Some(2500)));
    assert_eq!(paid["payment_method"], saved.as_str());
    let late = h.post(&format!("/v1/payment_intents/{}", id_of(&pi)), &[("amount", "3000")]).await;
    assert_eq!(late.error(400)["code"], "payment_intent_unexpected_state");
    // Someone else's saved card is refused.
    let pi = create(&h, &[]).await;
    assert_eq!(confirm(&h, &pi, &saved).await.error(400)["param"], "payment_method");
}
