//! Subscriptions on the emulator's clock: renewals, every period of a long advance, a renewal declined
//! (the 0341 card) and its retries, then canceled or `unpaid` by setting, and a retry that succeeds.

use crate::support::{id_of, period_end, start, start_with, Harness, DAY};
use payments_stripe_emulator::{EmulatorConfig, RetriesExhausted};
use serde_json::{json, Value};

/// The events emitted since `before` events existed.
fn events_since(h: &Harness, before: usize) -> Vec<Value> {
    h.emulator.events().into_iter().skip(before).collect()
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

async fn latest_invoice(h: &Harness, subscription: &Value) -> Value {
    h.get(&format!("/v1/invoices/{}", subscription["latest_invoice"].as_str().unwrap())).await.ok()
}

#[tokio::test]
async fn passing_the_period_end_renews_invoices_and_charges_the_saved_card() {
    let h = start().await;
    let (_, sub) = h.subscribe("4242424242424242", &[("subscription_data[metadata][plan]", "pro")]).await;
    let first_end = period_end(&sub);
    let before = h.emulator.events().len();
    h.advance(first_end - h.emulator.now() - 60).await;
    assert_eq!(h.emulator.events().len(), before, "nothing is due before the period ends");

    h.advance(61).await;
    let renewal = events_since(&h, before);
    assert_eq!(
        types(&renewal),
        [
            "invoice.created",
            "invoice.finalized",
            "payment_intent.created",
            "payment_intent.succeeded",
            "charge.succeeded",
            "invoice.paid",
            "invoice.payment_succeeded",
            "customer.subscription.updated"
        ]
    );
    for event in &renewal {
        assert_eq!(event["created"].as_i64().unwrap(), first_end, "dated when the period ended");
        assert_eq!(event["request"]["id"], Value::Null, "Stripe's own doing");
    }
    let sub = h.subscription(&id_of(&sub)).await;
    assert_eq!(sub["status"], "active");
    assert_eq!(sub["items"]["data"][0]["current_period_start"].as_i64().unwrap(), first_end);
    assert!((28 * DAY..=31 * DAY).contains(&(period_end(&sub) - first_end)));
    let updated = &renewal[7]["data"];
    let previous = &updated["previous_attributes"];
    assert_eq!(previous["items"]["data"][0]["current_period_end"].as_i64().unwrap(), first_end);
    assert!(previous["latest_invoice"].is_string());
    let invoice = latest_invoice(&h, &sub).await;
    assert_eq!(invoice["billing_reason"], "subscription_cycle");
    assert_eq!((invoice["status"].as_str(), invoice["amount_paid"].as_i64()), (Some("paid"), Some(900)));
    assert_eq!(invoice["period_end"].as_i64().unwrap(), first_end, "an invoice closes the period before");
    assert_eq!(invoice["lines"]["data"][0]["period"]["start"].as_i64().unwrap(), first_end);
    assert_eq!(invoice["parent"]["subscription_details"]["metadata"], json!({ "plan": "pro" }));
    assert_eq!(renewal[2]["data"]["object"]["description"], "Subscription update");
}

#[tokio::test]
async fn a_long_advance_bills_every_period_in_between_in_time_order() {
    let h = start().await;
    let (_, sub) = h.subscribe("4242424242424242", &[]).await;
    let start_date = sub["start_date"].as_i64().unwrap();
    h.advance(365 * DAY + DAY).await;
    let invoices = h.get(&format!("/v1/invoices?subscription={}&limit=100", id_of(&sub))).await.ok();
    let invoices = invoices["data"].as_array().unwrap();
    assert_eq!(invoices.len(), 13, "the first invoice and twelve renewals");
    let mut created: Vec<i64> = invoices.iter().map(|i| i["created"].as_i64().unwrap()).collect();
    created.reverse();
    assert_eq!(created[0], start_date);
    assert!(created.windows(2).all(|w| (28 * DAY..=31 * DAY).contains(&(w[1] - w[0]))), "{created:?}");
    assert!(invoices.iter().all(|i| i["status"] == "paid"));
    let dates: Vec<i64> = h.emulator.events().iter().map(|e| e["created"].as_i64().unwrap()).collect();
    assert!(dates.windows(2).all(|w| w[0] <= w[1]), "events come in time order");
    let sub = h.subscription(&id_of(&sub)).await;
    assert!(period_end(&sub) > h.emulator.now());
}

/// Subscribes with the 0341 card (it pays on the page) and lets the first renewal fail; returns the
/// subscription and the failed invoice.
async fn failed_renewal(h: &Harness) -> (Value, Value) {
    let (session, sub) = h.subscribe("4000000000000341", &[]).await;
    assert_eq!((session["payment_status"].as_str(), sub["status"].as_str()), (Some("paid"), Some("active")));
    let before = h.emulator.events().len();
    let renewal_at = period_end(&sub);
    h.advance(renewal_at - h.emulator.now()).await;
    let events = events_since(h, before);
    assert_eq!(
        types(&events),
        [
            "invoice.created",
            "invoice.finalized",
            "payment_intent.created",
            "charge.failed",
            "payment_intent.payment_failed",
            "invoice.payment_failed",
            "customer.subscription.updated"
        ]
    );
    assert_eq!(events[6]["data"]["previous_attributes"]["status"], "active");
    let sub = h.subscription(&id_of(&sub)).await;
    assert_eq!(sub["status"], "past_due");
    let invoice = latest_invoice(h, &sub).await;
    assert_eq!((invoice["status"].as_str(), invoice["attempt_count"].as_i64()), (Some("open"), Some(1)));
    assert_eq!(invoice["next_payment_attempt"].as_i64().unwrap(), renewal_at + 3 * DAY);
    assert_eq!(invoice["amount_remaining"], 900);
    let failed = &events[3]["data"]["object"];
    assert_eq!(
        (failed["failure_code"].as_str(), failed["outcome"]["reason"].as_str()),
        (Some("card_declined"), Some("generic_decline"))
    );
    (sub, invoice)
}

#[tokio::test]
async fn a_declined_renewal_is_retried_after_3_5_and_7_days_then_the_subscription_is_canceled() {
    let h = start().await;
    let (sub, invoice) = failed_renewal(&h).await;
    let mut at = invoice["next_payment_attempt"].as_i64().unwrap();
    for (attempt, next_delay) in [(2, Some(5)), (3, Some(7)), (4, None)] {
        h.advance(at - h.emulator.now() - 60).await;
        assert_eq!(h.events_of("invoice.payment_failed").len(), attempt - 1, "not before its time");
        h.advance(60).await;
        let failures = h.events_of("invoice.payment_failed");
        assert_eq!(failures.len(), attempt);
        let failed = &failures[attempt - 1]["data"]["object"];
        assert_eq!(failed["attempt_count"], attempt);
        assert_eq!(failures[attempt - 1]["created"].as_i64().unwrap(), at);
        match next_delay {
            Some(days) => {
                assert_eq!(failed["next_payment_attempt"].as_i64().unwrap(), at + days * DAY);
                assert_eq!(h.subscription(&id_of(&sub)).await["status"], "past_due");
                at += days * DAY;
            }
            None => assert_eq!(failed["next_payment_attempt"], Value::Null),
        }
    }
    let sub = h.subscription(&id_of(&sub)).await;
    assert_eq!(sub["status"], "canceled");
    assert_eq!(sub["cancellation_details"]["reason"], "payment_failed");
    assert_eq!((sub["ended_at"].as_i64(), sub["canceled_at"].as_i64()), (Some(at), Some(at)));
    let deleted = h.events_of("customer.subscription.deleted");
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0]["request"]["id"], Value::Null, "an automatic cancel");
    let invoice = h.get(&format!("/v1/invoices/{}", id_of(&invoice))).await.ok();
    assert_eq!((invoice["status"].as_str(), invoice["auto_advance"].as_bool()), (Some("open"), Some(false)));
    let count = h.emulator.events().len();
    h.advance(90 * DAY).await;
    assert_eq!(h.emulator.events().len(), count, "a canceled subscription bills nothing more");
}

#[tokio::test]
async fn with_the_unpaid_setting_exhausted_retries_leave_the_subscription_unpaid_and_later_invoices_drafts() {
    let config = EmulatorConfig {
        when_retries_exhausted: RetriesExhausted::MarkUnpaid,
        ..EmulatorConfig::for_tests()
    };
    let h = start_with(config).await;
    let (sub, _) = failed_renewal(&h).await;
    h.advance(15 * DAY).await;
    let sub = h.subscription(&id_of(&sub)).await;
    assert_eq!(sub["status"], "unpaid");
    assert!(h.events_of("customer.subscription.deleted").is_empty());
    assert_eq!(h.events_of("invoice.payment_failed").len(), 4);
    let charges = h.events_of("charge.failed").len();
    h.advance(period_end(&sub) - h.emulator.now()).await;
    let sub = h.subscription(&id_of(&sub)).await;
    assert_eq!(sub["status"], "unpaid");
    let draft = latest_invoice(&h, &sub).await;
    assert_eq!((draft["status"].as_str(), draft["attempt_count"].as_i64()), (Some("draft"), Some(0)));
    assert_eq!(h.events_of("charge.failed").len(), charges, "drafts are not charged");
}

#[tokio::test]
async fn a_retry_with_a_working_card_makes_the_subscription_active_again() {
    let h = start().await;
    let (sub, invoice) = failed_renewal(&h).await;
    let customer = sub["customer"].as_str().unwrap();
    let card = h.post("/v1/payment_methods/pm_card_visa/attach", &[("customer", customer)]).await.ok();
    assert_eq!((card["customer"].as_str(), card["card"]["last4"].as_str()), (Some(customer), Some("4242")));
    let updated = h
        .post(&format!("/v1/subscriptions/{}", id_of(&sub)), &[("default_payment_method", &id_of(&card))])
        .await
        .ok();
    assert_eq!(updated["default_payment_method"], id_of(&card).as_str());
    h.advance(3 * DAY).await;
    let invoice = h.get(&format!("/v1/invoices/{}", id_of(&invoice))).await.ok();
    assert_eq!((invoice["status"].as_str(), invoice["attempt_count"].as_i64()), (Some("paid"), Some(2)));
    assert_eq!(invoice["next_payment_attempt"], Value::Null);
    let sub = h.subscription(&id_of(&sub)).await;
    assert_eq!(sub["status"], "active");
    let last = h.events_of("customer.subscription.updated").pop().unwrap();
    assert_eq!(last["data"]["previous_attributes"]["status"], "past_due");
    assert_eq!(h.events_of("invoice.paid").last().unwrap()["data"]["object"]["id"], id_of(&invoice).as_str());
}

#[tokio::test]
async fn a_huge_advance_bills_about_a_thousand_periods_at_once_and_the_rest_in_the_background() {
    let h = start().await;
    let customer = h
        .post(
            "/v1/customers",
            &[
                ("payment_method", "pm_card_visa"),
                ("invoice_settings[default_payment_method]", "pm_card_visa"),
            ],
        )
        .await
        .ok();
    let daily = h.recurring_price("Daily", 100, "day", 1).await;
    h.post("/v1/subscriptions", &[("customer", &id_of(&customer)), ("items[0][price]", &id_of(&daily))])
        .await
        .ok();
    let renewals =
        |h: &Harness| h.emulator.events().iter().filter(|e| e["type"] == "invoice.created").count() - 1;
    let seconds = (5 * 365 * DAY).to_string();
    let moved = h.control("clock/advance", &[("seconds", &seconds)]).await.ok();
    assert_eq!(moved["billing_pending"], true, "five years of days do not fit in one advance");
    let at_once = renewals(&h);
    assert!((1000..5 * 365).contains(&at_once), "{at_once} renewals in one advance");
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let later = renewals(&h);
    assert!(later > at_once && later <= 5 * 365, "the background sweep goes on: {later}");
}
