use payments_tests::events::Payment;
use payments_tests::{spawn_app, TestApp, TestOptions};
use serde_json::Value;

async fn paid_checkout(app: &TestApp, amount: i64) -> Payment {
    let (order_id, session_id) = app.checkout(amount).await;
    Payment::new(&order_id, &session_id, amount)
}

#[tokio::test]
async fn a_paid_session_marks_the_order_paid() {
    let app = spawn_app(TestOptions::default()).await;
    let payment = paid_checkout(&app, 4900).await;
    let event = payment.session_completed("paid");
    let ack = app.deliver(&event).await;
    assert_eq!(ack["received"], true);
    assert_eq!(ack["outcome"], "applied");
    let order = app.order(&payment.order_id).await;
    assert_eq!(order["status"], "paid");
    assert_eq!(order["transactionId"], payment.payment_intent_id.as_str());
    assert_eq!(app.stored_events(event["id"].as_str().unwrap()).await, 1);
}

#[tokio::test]
async fn a_declined_card_then_a_retry_that_succeeds_ends_paid() {
    let app = spawn_app(TestOptions::default()).await;
    let payment = paid_checkout(&app, 1500).await;
    app.deliver(&payment.payment_failed("generic_decline")).await;
    assert_eq!(app.status(&payment.order_id).await, "failed");
    app.deliver(&payment.payment_failed("insufficient_funds")).await;
    app.deliver(&payment.payment_succeeded()).await;
    app.deliver(&payment.session_completed("paid")).await;
    let order = app.order(&payment.order_id).await;
    assert_eq!(order["status"], "paid");
    assert_eq!(order["failureReason"], Value::Null);
}

#[tokio::test]
async fn an_expired_session_expires_the_order_but_never_a_paid_one() {
    let app = spawn_app(TestOptions::default()).await;
    let unpaid = paid_checkout(&app, 700).await;
    app.deliver(&unpaid.session_expired()).await;
    assert_eq!(app.status(&unpaid.order_id).await, "expired");

    let paid = paid_checkout(&app, 700).await;
    app.deliver(&paid.session_completed("paid")).await;
    app.deliver(&paid.session_expired()).await;
    assert_eq!(app.status(&paid.order_id).await, "paid");
}

#[tokio::test]
async fn a_delayed_payment_stays_pending_then_succeeds() {
    let app = spawn_app(TestOptions::default()).await;
    let payment = paid_checkout(&app, 3000).await;
    app.deliver(&payment.session_completed("unpaid")).await;
    assert_eq!(app.status(&payment.order_id).await, "pending");
    app.deliver(&payment.async_payment(true)).await;
    assert_eq!(app.status(&payment.order_id).await, "paid");
}

#[tokio::test]
async fn a_delayed_payment_stays_pending_then_fails() {
    let app = spawn_app(TestOptions::default()).await;
    let payment = paid_checkout(&app, 3000).await;
    app.deliver(&payment.session_completed("unpaid")).await;
    assert_eq!(app.status(&payment.order_id).await, "pending");
    app.deliver(&payment.async_payment(false)).await;
    let order = app.order(&payment.order_id).await;
    assert_eq!(order["status"], "failed");
    assert_eq!(order["failureReason"], "the delayed payment failed");
}

#[tokio::test]
async fn the_same_event_delivered_ten_times_at_once_is_applied_once_and_stored_once() {
    let app = spawn_app(TestOptions::default()).await;
    let payment = paid_checkout(&app, 2000).await;
    let event = payment.session_completed("paid");
    let deliveries = (0..10).map(|_| app.send_event(&event));
    let responses = futures::future::join_all(deliveries).await;
    let mut outcomes = Vec::new();
    for response in responses {
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        outcomes.push(body["outcome"].as_str().unwrap().to_owned());
    }
    assert_eq!(outcomes.iter().filter(|o| *o == "applied").count(), 1, "{outcomes:?}");
    assert_eq!(outcomes.iter().filter(|o| *o == "duplicate").count(), 9, "{outcomes:?}");
    assert_eq!(app.stored_events(event["id"].as_str().unwrap()).await, 1);
    assert_eq!(app.status(&payment.order_id).await, "paid");
}

#[tokio::test]
async fn any_delivery_order_of_a_payments_events_ends_in_the_same_state() {
    let app = spawn_app(TestOptions::default()).await;
    // Four orderings of: a decline, the success, a partial refund, a dispute opened and won.
    let orderings: [[usize; 6]; 4] =
        [[0, 1, 2, 3, 4, 5], [5, 4, 3, 2, 1, 0], [3, 0, 5, 1, 4, 2], [4, 2, 0, 5, 3, 1]];
    let mut finals = Vec::new();
    for ordering in orderings {
        let payment = paid_checkout(&app, 5000).await;
        let events = [
            payment.payment_failed("generic_decline"),
            payment.payment_succeeded(),
            payment.session_completed("paid"),
            payment.charge_refunded(1000),
            payment.dispute(None),
            payment.dispute(Some("won")),
        ];
        for index in ordering {
            app.deliver(&events[index]).await;
        }
        app.deliver(&events[ordering[0]]).await; // a repeat, for good measure
        let order = app.order(&payment.order_id).await;
        finals.push((
            order["status"].clone(),
            order["transactionId"].clone() == payment.payment_intent_id.as_str(),
        ));
    }
    for state in &finals {
        assert_eq!(state.0, "partially_refunded", "{finals:?}");
        assert!(state.1, "the payment intent is recorded whatever the order");
    }
}

#[tokio::test]
async fn a_full_refund_then_a_lost_dispute() {
    let app = spawn_app(TestOptions::default()).await;
    let refunded = paid_checkout(&app, 800).await;
    app.deliver(&refunded.session_completed("paid")).await;
    app.deliver(&refunded.charge_refunded(300)).await;
    assert_eq!(app.status(&refunded.order_id).await, "partially_refunded");
    app.deliver(&refunded.charge_refunded(800)).await;
    assert_eq!(app.status(&refunded.order_id).await, "refunded");

    let disputed = paid_checkout(&app, 800).await;
    app.deliver(&disputed.session_completed("paid")).await;
    app.deliver(&disputed.dispute(None)).await;
    assert_eq!(app.status(&disputed.order_id).await, "disputed");
    app.deliver(&disputed.dispute(Some("lost"))).await;
    assert_eq!(app.status(&disputed.order_id).await, "disputed");
}

#[tokio::test]
async fn a_paid_amount_that_differs_from_the_order_is_held_for_review() {
    let app = spawn_app(TestOptions::default()).await;
    let (order_id, session_id) = app.checkout(10_000).await;
    let underpaid = Payment::new(&order_id, &session_id, 100);
    app.deliver(&underpaid.session_completed("paid")).await;
    let order = app.order(&order_id).await;
    assert_eq!(order["status"], "needs_review");
    assert!(order["failureReason"].as_str().unwrap().contains("review"));
}

#[tokio::test]
async fn an_unknown_event_type_is_stored_and_acknowledged() {
    let app = spawn_app(TestOptions::default()).await;
    let event = payments_tests::events::envelope(
        "issuing_card.shipped_to_the_moon",
        serde_json::json!({"id": "ic_1", "object": "issuing.card", "brand_new_enum": "value_from_the_future"}),
    );
    let ack = app.deliver(&event).await;
    assert_eq!(ack["outcome"], "stored");
    assert_eq!(app.stored_events(event["id"].as_str().unwrap()).await, 1);
}

#[tokio::test]
async fn an_event_for_an_order_not_known_yet_is_kept_and_applied_when_it_is() {
    let app = spawn_app(TestOptions::default()).await;
    let payment = paid_checkout(&app, 1200).await;
    // The dispute names only the payment intent, which the order learns from the completed session.
    let ack = app.deliver(&payment.dispute(None)).await;
    assert_eq!(ack["outcome"], "orphaned");
    assert_eq!(app.status(&payment.order_id).await, "pending");
    app.deliver(&payment.session_completed("paid")).await;
    assert_eq!(app.status(&payment.order_id).await, "disputed");
}
