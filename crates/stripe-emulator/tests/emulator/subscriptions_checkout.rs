//! Subscription-mode Checkout: the page saves the card, makes the customer, the subscription, its first
//! invoice and charge, and sends Stripe's events, signed; trials; what Stripe refuses.

use crate::events_and_delivery::{hook_url, received, receiver, verify_signature, WAIT};
use crate::support::{answer, form, id_of, period_end, start, DAY};
use payments_stripe_emulator::PaymentResult;
use serde_json::{json, Value};

/// The event types after the first `skip` (the product and price a test made first).
fn types_after(types: Vec<String>, skip: usize) -> Vec<String> {
    types.into_iter().skip(skip).collect()
}

#[tokio::test]
async fn a_subscription_checkout_paid_with_4242_makes_the_subscription_its_invoice_and_charge_with_signed_events(
) {
    let h = start().await;
    let server = receiver(200).await;
    let secret = h.emulator.register_webhook_endpoint(&hook_url(&server), &["*"]);
    let price = h.recurring_price("Pro plan", 900, "month", 1).await;
    let session = h
        .post(
            "/v1/checkout/sessions",
            &[
                ("mode", "subscription"),
                ("success_url", "https://shop.test/welcome?session_id={CHECKOUT_SESSION_ID}"),
                ("cancel_url", "https://shop.test/plans"),
                ("line_items[0][price]", &id_of(&price)),
                ("line_items[0][quantity]", "1"),
                ("line_items[1][price_data][currency]", "usd"),
                ("line_items[1][price_data][unit_amount]", "1500"),
                ("line_items[1][price_data][product_data][name]", "Setup fee"),
                ("line_items[1][quantity]", "1"),
                ("subscription_data[metadata][order_id]", "ord_42"),
                ("metadata[order_id]", "ord_42"),
                ("client_reference_id", "ord_42"),
                ("customer_email", "ada@example.com"),
            ],
        )
        .await
        .ok();
    assert_eq!(session["mode"], "subscription");
    assert_eq!(session["amount_total"], 2400, "the first invoice: the plan and the one-time fee");
    assert_eq!(session["payment_method_types"], json!(["card"]));
    assert_eq!((&session["subscription"], &session["customer_creation"]), (&Value::Null, &Value::Null));
    let id = id_of(&session);
    assert_eq!(h.emulator.pay_session(&id, "4242 4242 4242 4242").unwrap(), PaymentResult::Succeeded);

    let session = h.get(&format!("/v1/checkout/sessions/{id}")).await.ok();
    assert_eq!(
        (session["status"].as_str(), session["payment_status"].as_str()),
        (Some("complete"), Some("paid"))
    );
    assert_eq!(session["payment_intent"], Value::Null, "subscription mode has no session payment intent");
    assert_eq!(session["amount_total"], 2400);
    assert_eq!(session["metadata"], json!({ "order_id": "ord_42" }));
    let (sub_id, customer) =
        (session["subscription"].as_str().unwrap(), session["customer"].as_str().unwrap());
    assert!(sub_id.starts_with("sub_") && customer.starts_with("cus_"));

    let sub = h.subscription(sub_id).await;
    assert_eq!(sub["object"], "subscription");
    assert_eq!(sub["status"], "active");
    assert_eq!(sub["customer"], customer);
    assert_eq!(sub["metadata"], json!({ "order_id": "ord_42" }));
    assert_eq!(
        (&sub["cancel_at_period_end"], &sub["canceled_at"], &sub["ended_at"]),
        (&json!(false), &Value::Null, &Value::Null)
    );
    assert_eq!(sub["latest_invoice"], session["invoice"]);
    let item = &sub["items"]["data"][0];
    assert_eq!(sub["items"]["data"].as_array().unwrap().len(), 1, "one-time lines are not items");
    assert_eq!(item["price"]["id"], id_of(&price).as_str());
    assert_eq!(item["price"]["recurring"]["interval"], "month");
    let start = item["current_period_start"].as_i64().unwrap();
    assert_eq!(start, sub["start_date"].as_i64().unwrap());
    assert!((28 * DAY..=31 * DAY).contains(&(period_end(&sub) - start)), "a month: {sub}");
    assert!(sub.get("current_period_end").is_none(), "basil and later keep the period on items only");
    let method = sub["default_payment_method"].as_str().unwrap();
    let card = h.get(&format!("/v1/payment_methods/{method}")).await.ok();
    assert_eq!((card["customer"].as_str(), card["card"]["last4"].as_str()), (Some(customer), Some("4242")));
    assert_eq!(h.get(&format!("/v1/customers/{customer}")).await.ok()["email"], "ada@example.com");

    let invoice = h
        .get(&format!("/v1/invoices/{}?expand[]=payments", sub["latest_invoice"].as_str().unwrap()))
        .await
        .ok();
    assert_eq!(invoice["billing_reason"], "subscription_create");
    assert_eq!((invoice["status"].as_str(), invoice["currency"].as_str()), (Some("paid"), Some("usd")));
    assert_eq!((invoice["amount_due"].as_i64(), invoice["amount_paid"].as_i64()), (Some(2400), Some(2400)));
    assert_eq!((invoice["attempt_count"].as_i64(), invoice["attempted"].as_bool()), (Some(1), Some(true)));
    assert_eq!(invoice["next_payment_attempt"], Value::Null);
    assert_eq!(invoice["customer"], customer);
    assert_eq!(
        invoice["parent"],
        json!({
            "quote_details": null,
            "subscription_details": { "metadata": { "order_id": "ord_42" }, "subscription": sub_id },
            "type": "subscription_details"
        })
    );
    for removed in ["subscription", "payment_intent", "charge", "paid"] {
        assert!(invoice.get(removed).is_none(), "{removed} is gone since basil");
    }
    let lines = invoice["lines"]["data"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["amount"], 900);
    assert_eq!(lines[0]["parent"]["subscription_item_details"]["subscription_item"], item["id"]);
    assert_eq!(lines[0]["pricing"]["price_details"]["price"], id_of(&price).as_str());
    assert_eq!(
        (lines[1]["amount"].as_i64(), lines[1]["parent"]["type"].as_str()),
        (Some(1500), Some("invoice_item_details"))
    );
    let pi_id = invoice["payments"]["data"][0]["payment"]["payment_intent"].as_str().unwrap();
    let pi = h.get(&format!("/v1/payment_intents/{pi_id}?expand[]=latest_charge")).await.ok();
    assert_eq!((pi["status"].as_str(), pi["amount"].as_i64()), (Some("succeeded"), Some(2400)));
    assert_eq!(pi["metadata"], json!({}));
    assert_eq!(pi["latest_charge"]["status"], "succeeded");

    let types = types_after(h.event_types(), 2);
    assert_eq!(
        types,
        [
            "customer.created",
            "payment_method.attached",
            "customer.subscription.created",
            "invoice.created",
            "invoice.finalized",
            "payment_intent.created",
            "payment_intent.succeeded",
            "charge.succeeded",
            "invoice.paid",
            "invoice.payment_succeeded",
            "checkout.session.completed"
        ]
    );
    assert_eq!(h.events_of("customer.subscription.created")[0]["data"]["object"]["status"], "active");
    assert_eq!(h.events_of("invoice.created")[0]["data"]["object"]["status"], "draft");
    assert_eq!(h.events_of("invoice.finalized")[0]["data"]["object"]["status"], "open");
    let completed = &h.events_of("checkout.session.completed")[0]["data"]["object"];
    assert_eq!(
        (completed["subscription"].as_str(), completed["client_reference_id"].as_str()),
        (Some(sub_id), Some("ord_42"))
    );
    assert!(h.emulator.wait_for_deliveries(WAIT).await);
    let delivered = received(&server).await;
    assert_eq!(delivered.len(), h.emulator.events().len());
    for (request, event) in &delivered {
        verify_signature(request, &secret);
        if !matches!(event["type"].as_str(), Some("product.created" | "price.created")) {
            assert_eq!(
                event["request"],
                json!({ "id": null, "idempotency_key": null }),
                "a customer on the page"
            );
        }
    }
}

#[tokio::test]
async fn a_trial_checkout_charges_nothing_then_reminds_and_bills_on_the_clock() {
    let h = start().await;
    let (session, sub) =
        h.subscribe("4242424242424242", &[("subscription_data[trial_period_days]", "14")]).await;
    assert_eq!(
        (session["payment_status"].as_str(), session["amount_total"].as_i64()),
        (Some("no_payment_required"), Some(0))
    );
    assert_eq!(sub["status"], "trialing");
    let (trial_start, trial_end) = (sub["trial_start"].as_i64().unwrap(), sub["trial_end"].as_i64().unwrap());
    assert_eq!(trial_end - trial_start, 14 * DAY);
    assert_eq!(period_end(&sub), trial_end);
    let first = h.get(&format!("/v1/invoices/{}", sub["latest_invoice"].as_str().unwrap())).await.ok();
    assert_eq!((first["status"].as_str(), first["amount_due"].as_i64()), (Some("paid"), Some(0)));
    assert_eq!(first["lines"]["data"][0]["description"], "Trial period for Pro plan");
    assert!(!h.event_types().iter().any(|t| t.starts_with("payment_intent.") || t.starts_with("charge.")));
    assert!(h.events_of("customer.subscription.trial_will_end").is_empty());

    h.advance(trial_end - 3 * DAY - h.emulator.now() + 1).await;
    let reminders = h.events_of("customer.subscription.trial_will_end");
    assert_eq!(reminders.len(), 1);
    assert_eq!(reminders[0]["created"].as_i64().unwrap(), trial_end - 3 * DAY, "dated when it fell due");
    assert_eq!(reminders[0]["data"]["object"]["status"], "trialing");

    h.advance(3 * DAY).await;
    let sub = h.subscription(&id_of(&sub)).await;
    assert_eq!(sub["status"], "active");
    assert!((28 * DAY..=31 * DAY).contains(&(period_end(&sub) - trial_end)));
    let invoice = h.get(&format!("/v1/invoices/{}", sub["latest_invoice"].as_str().unwrap())).await.ok();
    assert_eq!(invoice["billing_reason"], "subscription_cycle");
    assert_eq!((invoice["status"].as_str(), invoice["amount_paid"].as_i64()), (Some("paid"), Some(900)));
    assert_eq!(invoice["created"].as_i64().unwrap(), trial_end);
    let updated = h.events_of("customer.subscription.updated");
    assert_eq!(updated.last().unwrap()["data"]["previous_attributes"]["status"], "trialing");
    assert!(
        updated.last().unwrap()["data"]["previous_attributes"]["items"].is_object(),
        "the item's period moved"
    );
}

#[tokio::test]
async fn a_trial_shorter_than_three_days_reminds_at_once_and_inline_recurring_prices_work_for_a_known_customer(
) {
    let h = start().await;
    let customer = h.post("/v1/customers", &[("email", "bob@example.com")]).await.ok();
    let session = h
        .post(
            "/v1/checkout/sessions",
            &[
                ("mode", "subscription"),
                ("success_url", "https://shop.test/ok"),
                ("customer", &id_of(&customer)),
                ("line_items[0][price_data][currency]", "usd"),
                ("line_items[0][price_data][unit_amount]", "500"),
                ("line_items[0][price_data][product_data][name]", "Fortnightly box"),
                ("line_items[0][price_data][recurring][interval]", "week"),
                ("line_items[0][price_data][recurring][interval_count]", "2"),
                ("line_items[0][quantity]", "2"),
                ("subscription_data[trial_period_days]", "1"),
            ],
        )
        .await
        .ok();
    h.emulator.pay_session(&id_of(&session), "4242424242424242").unwrap();
    let types = h.event_types();
    assert_eq!(
        types.iter().filter(|t| *t == "customer.created").count(),
        1,
        "the session's customer is used"
    );
    let tail = &types[types.len() - 2..];
    assert_eq!(tail, ["customer.subscription.trial_will_end", "checkout.session.completed"]);
    let session = h.get(&format!("/v1/checkout/sessions/{}", id_of(&session))).await.ok();
    assert_eq!(session["customer"], id_of(&customer).as_str());
    let sub = h.subscription(session["subscription"].as_str().unwrap()).await;
    assert_eq!(sub["items"]["data"][0]["price"]["recurring"]["interval_count"], 2);
    assert_eq!(sub["items"]["data"][0]["quantity"], 2);
    h.advance(DAY).await;
    let sub = h.subscription(&id_of(&sub)).await;
    assert_eq!(period_end(&sub) - sub["trial_end"].as_i64().unwrap(), 14 * DAY);
    let invoice = h.get(&format!("/v1/invoices/{}", sub["latest_invoice"].as_str().unwrap())).await.ok();
    assert_eq!(invoice["amount_paid"], 1000);
}

#[tokio::test]
async fn the_page_shows_the_plan_and_a_declined_card_creates_nothing() {
    let h = start().await;
    let price = h.recurring_price("Pro plan", 900, "month", 1).await;
    let session =
        h.subscription_session(&id_of(&price), &[("subscription_data[trial_period_days]", "7")]).await;
    let url = session["url"].as_str().unwrap().to_owned();
    let page = answer(h.http.get(&url)).await;
    assert_eq!(page.status, 200);
    for text in [
        "Start your free trial",
        "7-day free trial, then 9.00 USD every month",
        "9.00 USD each every month",
        "Total due today",
    ] {
        assert!(page.body.contains(text), "{text} missing from {}", page.body);
    }
    let submit = |card: &str| {
        let body = form(&[("email", "eve@example.com"), ("method", "card"), ("card_number", card)]);
        h.http
            .post(format!("{url}/pay"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
    };
    let declined = answer(submit("4000 0000 0000 0002")).await;
    assert_eq!(declined.status, 402);
    assert!(declined.body.contains("Your card was declined."));
    assert_eq!(h.get(&format!("/v1/checkout/sessions/{}", id_of(&session))).await.ok()["status"], "open");
    assert!(h.get("/v1/subscriptions?status=all").await.ok()["data"].as_array().unwrap().is_empty());
    assert_eq!(
        h.event_types(),
        ["product.created", "price.created"],
        "a card that cannot be saved makes nothing"
    );
    let error = h
        .control(&format!("checkout/sessions/{}/pay", id_of(&session)), &[("card", "4000000000009995")])
        .await;
    let error = error.error(402);
    assert_eq!(
        (error["type"].as_str(), error["decline_code"].as_str()),
        (Some("card_error"), Some("insufficient_funds"))
    );

    let paid = answer(submit("4242424242424242")).await;
    assert_eq!(paid.status, 303);
    let location = paid.header("location").unwrap();
    assert_eq!(location, format!("https://shop.test/welcome?session_id={}", id_of(&session)));
    assert!(answer(h.http.get(&url)).await.body.contains("Subscription started"));
}

#[tokio::test]
async fn subscription_mode_refuses_what_stripe_refuses() {
    let h = start().await;
    let monthly = id_of(&h.recurring_price("Monthly", 900, "month", 1).await);
    let yearly = id_of(&h.recurring_price("Yearly", 9000, "year", 1).await);
    let one_time = h
        .post("/v1/prices", &[("currency", "usd"), ("unit_amount", "500"), ("product_data[name]", "Mug")])
        .await
        .ok();
    let one_time = id_of(&one_time);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![
                ("mode", "subscription"),
                ("line_items[0][price]", &monthly),
                ("payment_intent_data[metadata][a]", "1"),
            ],
            "payment_intent_data",
        ),
        (
            vec![
                ("mode", "subscription"),
                ("line_items[0][price]", &monthly),
                ("customer_creation", "always"),
            ],
            "customer_creation",
        ),
        (
            vec![
                ("mode", "subscription"),
                ("line_items[0][price]", &monthly),
                ("payment_method_types[]", "sepa_debit"),
            ],
            "payment_method_types",
        ),
        (vec![("mode", "subscription"), ("line_items[0][price]", &one_time)], "mode"),
        (
            vec![
                ("mode", "subscription"),
                ("line_items[0][price]", &monthly),
                ("line_items[1][price]", &yearly),
                ("line_items[1][quantity]", "1"),
            ],
            "line_items[1]",
        ),
        (vec![("mode", "subscription"), ("line_items[0][price]", "price_missing")], "line_items[0][price]"),
        (
            vec![
                ("mode", "subscription"),
                ("line_items[0][price]", &monthly),
                ("subscription_data[trial_period_days]", "0"),
            ],
            "subscription_data[trial_period_days]",
        ),
        (vec![("mode", "payment"), ("line_items[0][price]", &monthly)], "line_items[0][price]"),
        (
            vec![
                ("mode", "payment"),
                ("line_items[0][price]", &one_time),
                ("subscription_data[metadata][a]", "1"),
            ],
            "subscription_data",
        ),
    ];
    for (extra, param) in cases {
        let mut pairs = vec![("success_url", "https://shop.test/ok"), ("line_items[0][quantity]", "1")];
        pairs.extend(extra.iter().copied());
        let error = h.post("/v1/checkout/sessions", &pairs).await.error(400);
        assert_eq!(error["param"], param, "{extra:?}: {error}");
        assert_eq!(error["type"], "invalid_request_error");
    }
    let inline_recurring_in_payment_mode = h
        .post(
            "/v1/checkout/sessions",
            &[
                ("mode", "payment"),
                ("success_url", "https://shop.test/ok"),
                ("line_items[0][price_data][currency]", "usd"),
                ("line_items[0][price_data][unit_amount]", "900"),
                ("line_items[0][price_data][product_data][name]", "Plan"),
                ("line_items[0][price_data][recurring][interval]", "month"),
                ("line_items[0][quantity]", "1"),
            ],
        )
        .await
        .error(400);
    assert_eq!(inline_recurring_in_payment_mode["param"], "line_items[0][price_data][recurring]");
    let message = h
        .post(
            "/v1/checkout/sessions",
            &[
                ("mode", "subscription"),
                ("success_url", "https://shop.test/ok"),
                ("line_items[0][price]", &monthly),
                ("line_items[0][quantity]", "1"),
                ("payment_intent_data[description]", "x"),
            ],
        )
        .await
        .error(400);
    assert_eq!(message["message"], "You can not pass `payment_intent_data` in `subscription` mode.");
    assert!(h.get("/v1/checkout/sessions").await.ok()["data"].as_array().unwrap().is_empty());
}
