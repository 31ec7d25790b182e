//! Stripe's test cards and the delayed bank debit: what each does to the session, payment intent and
//! charge, and which events it sends in which order.

use crate::support::{id_of, start, Harness};
use payments_stripe_emulator::{DelayedOutcome, PaymentChoice, PaymentResult};
use serde_json::Value;

async fn session_pi_charge(h: &Harness, session_id: &str) -> (Value, Value, Value) {
    let session = h.get(&format!("/v1/checkout/sessions/{session_id}")).await.ok();
    let pi =
        h.get(&format!("/v1/payment_intents/{}", session["payment_intent"].as_str().unwrap())).await.ok();
    let charge = match pi["latest_charge"].as_str() {
        Some(charge) => h.get(&format!("/v1/charges/{charge}")).await.ok(),
        None => Value::Null,
    };
    (session, pi, charge)
}

#[tokio::test]
async fn the_4242_card_succeeds_and_sends_the_events_in_stripes_order() {
    let h = start().await;
    let session = h.create_session(&[("customer_email", "ada@example.com")]).await;
    let result = h.emulator.pay_session(&id_of(&session), "4242424242424242").unwrap();
    assert_eq!(result, PaymentResult::Succeeded);
    assert_eq!(
        h.event_types(),
        [
            "payment_intent.created",
            "payment_intent.succeeded",
            "charge.succeeded",
            "checkout.session.completed"
        ]
    );
    let (session, pi, charge) = session_pi_charge(&h, &id_of(&session)).await;
    assert_eq!(
        (session["status"].as_str(), session["payment_status"].as_str()),
        (Some("complete"), Some("paid"))
    );
    assert_eq!(pi["status"], "succeeded");
    assert_eq!(
        (charge["status"].as_str(), charge["outcome"]["type"].as_str()),
        (Some("succeeded"), Some("authorized"))
    );
    let completed = &h.events_of("checkout.session.completed")[0]["data"]["object"];
    assert_eq!(
        (completed["payment_status"].as_str(), completed["payment_intent"].as_str()),
        (Some("paid"), pi["id"].as_str())
    );
}

#[tokio::test]
async fn each_declining_card_fails_with_its_code_and_leaves_the_session_open() {
    let cases = [
        ("4000000000000002", "card_declined", "generic_decline", "Your card was declined."),
        ("4000000000009995", "card_declined", "insufficient_funds", "Your card has insufficient funds."),
        ("4000000000000069", "expired_card", "expired_card", "Your card has expired."),
        (
            "4000000000000119",
            "processing_error",
            "processing_error",
            "An error occurred while processing your card. Try again in a little bit.",
        ),
    ];
    for (card, code, decline_code, message) in cases {
        let h = start().await;
        let session = h.create_session(&[("customer_email", "ada@example.com")]).await;
        let result = h.emulator.pay_session(&id_of(&session), card).unwrap();
        assert_eq!(
            result,
            PaymentResult::Declined {
                code: code.into(),
                decline_code: Some(decline_code.into()),
                message: message.into()
            },
            "{card}"
        );
        assert_eq!(
            h.event_types(),
            ["payment_intent.created", "charge.failed", "payment_intent.payment_failed"],
            "{card}"
        );
        let (session, pi, charge) = session_pi_charge(&h, &id_of(&session)).await;
        assert_eq!(
            (session["status"].as_str(), session["payment_status"].as_str()),
            (Some("open"), Some("unpaid")),
            "{card}"
        );
        assert_eq!(pi["status"], "requires_payment_method", "{card}");
        let error = &pi["last_payment_error"];
        assert_eq!(
            (error["type"].as_str(), error["code"].as_str(), error["decline_code"].as_str()),
            (Some("card_error"), Some(code), Some(decline_code)),
            "{card}"
        );
        assert_eq!(error["charge"], charge["id"]);
        assert_eq!(
            (charge["status"].as_str(), charge["paid"].as_bool()),
            (Some("failed"), Some(false)),
            "{card}"
        );
        assert_eq!(
            (charge["failure_code"].as_str(), charge["failure_message"].as_str()),
            (Some(code), Some(message)),
            "{card}"
        );
        assert_eq!(charge["outcome"]["reason"], decline_code, "{card}");
        let failed = &h.events_of("payment_intent.payment_failed")[0]["data"]["object"];
        assert_eq!(failed["last_payment_error"]["decline_code"], decline_code);
    }
}

#[tokio::test]
async fn the_0259_card_succeeds_then_a_dispute_opens() {
    let h = start().await;
    let session = h.create_session(&[("customer_email", "ada@example.com")]).await;
    assert_eq!(
        h.emulator.pay_session(&id_of(&session), "4000000000000259").unwrap(),
        PaymentResult::Succeeded
    );
    assert_eq!(
        h.event_types(),
        [
            "payment_intent.created",
            "payment_intent.succeeded",
            "charge.succeeded",
            "checkout.session.completed",
            "charge.dispute.created"
        ]
    );
    let (_, pi, charge) = session_pi_charge(&h, &id_of(&session)).await;
    assert_eq!(charge["disputed"], true);
    let dispute = &h.events_of("charge.dispute.created")[0]["data"]["object"];
    assert!(id_of(dispute).starts_with("dp_"));
    assert_eq!(
        (dispute["status"].as_str(), dispute["reason"].as_str()),
        (Some("needs_response"), Some("fraudulent"))
    );
    assert_eq!(
        (dispute["charge"].as_str(), dispute["payment_intent"].as_str()),
        (charge["id"].as_str(), pi["id"].as_str())
    );
    assert_eq!(dispute["amount"], 4900);
    assert_eq!(&h.get(&format!("/v1/disputes/{}", id_of(dispute))).await.ok(), dispute);
    // A disputed charge cannot be refunded.
    let error = h.post("/v1/refunds", &[("payment_intent", pi["id"].as_str().unwrap())]).await.error(400);
    assert_eq!(error["code"], "charge_disputed");
}

#[tokio::test]
async fn the_3155_card_asks_for_three_d_secure_and_completing_it_pays() {
    let h = start().await;
    let session = h.create_session(&[("customer_email", "ada@example.com")]).await;
    let id = id_of(&session);
    assert_eq!(h.emulator.pay_session(&id, "4000002500003155").unwrap(), PaymentResult::RequiresAction);
    assert_eq!(h.event_types(), ["payment_intent.created", "payment_intent.requires_action"]);
    let (session, pi, _) = session_pi_charge(&h, &id).await;
    assert_eq!(session["status"], "open");
    assert_eq!(pi["status"], "requires_action");
    assert_eq!(pi["next_action"]["type"], "redirect_to_url");
    assert_eq!(
        pi["next_action"]["redirect_to_url"]["url"],
        format!("{}/three_d_secure", session["url"].as_str().unwrap())
    );

    assert_eq!(h.emulator.complete_three_d_secure(&id, true).unwrap(), PaymentResult::Succeeded);
    let (session, pi, charge) = session_pi_charge(&h, &id).await;
    assert_eq!(session["payment_status"], "paid");
    assert_eq!(pi["next_action"], Value::Null);
    assert_eq!(charge["payment_method_details"]["card"]["three_d_secure"]["result"], "authenticated");
    assert!(h.emulator.complete_three_d_secure(&id, true).is_err(), "nothing is pending any more");
}

#[tokio::test]
async fn failing_three_d_secure_declines_and_the_customer_can_pay_again() {
    let h = start().await;
    let session = h.create_session(&[("customer_email", "ada@example.com")]).await;
    let id = id_of(&session);
    assert!(h.emulator.complete_three_d_secure(&id, false).is_err(), "nothing is pending yet");
    h.emulator.pay_session(&id, "4000002500003155").unwrap();
    let PaymentResult::Declined { code, .. } = h.emulator.complete_three_d_secure(&id, false).unwrap() else {
        panic!("a failed authentication declines")
    };
    assert_eq!(code, "payment_intent_authentication_failure");
    let (session, pi, _) = session_pi_charge(&h, &id).await;
    assert_eq!(
        (session["status"].as_str(), pi["status"].as_str()),
        (Some("open"), Some("requires_payment_method"))
    );
    assert_eq!(pi["last_payment_error"]["code"], "payment_intent_authentication_failure");
    assert_eq!(h.events_of("payment_intent.payment_failed").len(), 1);
    assert_eq!(h.emulator.pay_session(&id, "4242424242424242").unwrap(), PaymentResult::Succeeded);
}

#[tokio::test]
async fn a_delayed_bank_debit_completes_the_session_unpaid_and_succeeds_later() {
    let h = start().await;
    let session = h.create_session(&[]).await;
    let id = id_of(&session);
    let result =
        h.emulator.submit_payment(&id, PaymentChoice::DelayedDebit, Some("ada@example.com")).unwrap();
    assert_eq!(result, PaymentResult::Processing);
    let (session, pi, charge) = session_pi_charge(&h, &id).await;
    assert_eq!(
        (session["status"].as_str(), session["payment_status"].as_str()),
        (Some("complete"), Some("unpaid"))
    );
    assert_eq!((pi["status"].as_str(), charge["status"].as_str()), (Some("processing"), Some("pending")));
    assert_eq!(charge["payment_method_details"]["type"], "us_bank_account");
    let completed = &h.events_of("checkout.session.completed")[0]["data"]["object"];
    assert_eq!(completed["payment_status"], "unpaid");

    h.emulator.settle_delayed_payment(&id, DelayedOutcome::Succeed).unwrap();
    let (session, pi, charge) = session_pi_charge(&h, &id).await;
    assert_eq!(session["payment_status"], "paid");
    assert_eq!((pi["status"].as_str(), charge["status"].as_str()), (Some("succeeded"), Some("succeeded")));
    let types = h.event_types();
    assert_eq!(
        types[types.len() - 3..],
        ["payment_intent.succeeded", "charge.succeeded", "checkout.session.async_payment_succeeded"]
    );
    let succeeded = &h.events_of("checkout.session.async_payment_succeeded")[0]["data"]["object"];
    assert_eq!(succeeded["payment_status"], "paid");
    assert!(h.emulator.settle_delayed_payment(&id, DelayedOutcome::Fail).is_err());
}

#[tokio::test]
async fn a_delayed_bank_debit_can_fail_later_and_in_euros_it_is_sepa() {
    let h = start().await;
    let session = h
        .post(
            "/v1/checkout/sessions",
            &[
                ("success_url", "https://shop.test/ok"),
                ("line_items[0][price_data][currency]", "eur"),
                ("line_items[0][price_data][unit_amount]", "2000"),
                ("line_items[0][price_data][product_data][name]", "Tea"),
                ("line_items[0][quantity]", "1"),
            ],
        )
        .await
        .ok();
    assert_eq!(session["payment_method_types"], serde_json::json!(["card", "sepa_debit"]));
    let id = id_of(&session);
    h.emulator.submit_payment(&id, PaymentChoice::DelayedDebit, Some("ada@example.com")).unwrap();
    h.emulator.settle_delayed_payment(&id, DelayedOutcome::Fail).unwrap();
    let (session, pi, charge) = session_pi_charge(&h, &id).await;
    assert_eq!(
        (session["status"].as_str(), session["payment_status"].as_str()),
        (Some("complete"), Some("unpaid"))
    );
    assert_eq!(
        (pi["status"].as_str(), charge["status"].as_str()),
        (Some("requires_payment_method"), Some("failed"))
    );
    assert_eq!(charge["payment_method_details"]["type"], "sepa_debit");
    let types = h.event_types();
    assert_eq!(
        types[types.len() - 3..],
        ["charge.failed", "payment_intent.payment_failed", "checkout.session.async_payment_failed"]
    );
}

#[tokio::test]
async fn a_card_only_session_refuses_the_bank_debit_and_bad_numbers() {
    let h = start().await;
    let session = h.create_session(&[("payment_method_types[]", "card")]).await;
    let id = id_of(&session);
    assert!(h.emulator.submit_payment(&id, PaymentChoice::DelayedDebit, None).is_err());
    assert!(h.emulator.pay_session(&id, "1234").is_err());
    assert!(h.emulator.pay_session("cs_test_missing", "4242424242424242").is_err());
    assert!(h.emulator.events().is_empty());
}
