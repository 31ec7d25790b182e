//! Subscriptions, their items, invoices and lines, payment methods, portal sessions, their lists and
//! events, checked against Stripe's spec like every other answer (fields the spec requires but basil
//! removed excepted, see `REMOVED_SINCE_THE_SPEC`).

use super::{check_schema, conform, conform_get};
use crate::support::{id_of, period_end, start, DAY};
use serde_json::json;

#[test]
fn only_the_fields_later_versions_removed_may_be_missing() {
    let item = json!({
        "id": "si_1", "object": "subscription_item", "created": 1, "metadata": {}, "subscription": "sub_1",
        "price": { "id": "price_1", "object": "price", "active": true, "billing_scheme": "per_unit", "created": 1,
                   "currency": "usd", "livemode": false, "metadata": {}, "product": "prod_1", "type": "recurring" }
    });
    let mut sub = json!({
        "id": "sub_1", "object": "subscription", "automatic_tax": { "enabled": false }, "billing_cycle_anchor": 1,
        "cancel_at_period_end": false, "collection_method": "charge_automatically", "created": 1, "currency": "usd",
        "customer": "cus_1", "livemode": false, "metadata": {}, "start_date": 1, "status": "active",
        "items": { "object": "list", "data": [item], "has_more": false, "url": "/v1/subscription_items" }
    });
    assert!(check_schema("subscription", &sub, "subscription").is_empty(), "no top-level period since basil");
    sub.as_object_mut().unwrap().remove("status");
    assert_eq!(
        check_schema("subscription", &sub, "subscription"),
        ["subscription.status: required, missing"]
    );
}

#[tokio::test]
async fn subscriptions_invoices_payment_methods_portal_sessions_and_their_events_conform_to_the_spec() {
    let h = start().await;
    let mut checked = 0;
    let price = h.recurring_price("Pro plan", 900, "month", 1).await;
    let session = h
        .subscription_session(
            &id_of(&price),
            &[
                ("subscription_data[metadata][order_id]", "o1"),
                ("line_items[1][price_data][currency]", "usd"),
                ("line_items[1][price_data][unit_amount]", "1500"),
                ("line_items[1][price_data][product_data][name]", "Setup fee"),
                ("line_items[1][quantity]", "1"),
            ],
        )
        .await;
    checked += conform(&session, "a subscription-mode session");
    h.emulator.pay_session(&id_of(&session), "4242424242424242").unwrap();
    let (_, trial) = h.subscribe("4242424242424242", &[("subscription_data[trial_period_days]", "2")]).await;
    let (_, failing) = h.subscribe("4000000000000341", &[]).await;
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
    checked += conform(&customer, "a customer with a default payment method");
    let created = h
        .post(
            "/v1/subscriptions",
            &[
                ("customer", &id_of(&customer)),
                ("items[0][price]", &id_of(&price)),
                ("cancel_at_period_end", "true"),
            ],
        )
        .await
        .ok();
    checked += conform(&created, "a created subscription");
    let updated =
        h.post(&format!("/v1/subscriptions/{}", id_of(&created)), &[("metadata[a]", "b")]).await.ok();
    checked += conform(&updated, "an updated subscription");
    let other = h
        .post("/v1/subscriptions", &[("customer", &id_of(&customer)), ("items[0][price]", &id_of(&price))])
        .await
        .ok();
    checked += conform(
        &h.delete(&format!("/v1/subscriptions/{}", id_of(&other))).await.ok(),
        "a canceled subscription",
    );
    let failing_customer = h
        .post(
            "/v1/customers",
            &[
                ("payment_method", "pm_card_chargeCustomerFail"),
                ("invoice_settings[default_payment_method]", "pm_card_chargeCustomerFail"),
            ],
        )
        .await
        .ok();
    h.post(
        "/v1/subscriptions",
        &[("customer", &id_of(&failing_customer)), ("items[0][price]", &id_of(&price))],
    )
    .await
    .ok();
    // Trial ends, renewals fail and are retried, the incomplete one expires, the scheduled cancel happens.
    h.advance(period_end(&failing) - h.emulator.now() + 4 * DAY).await;
    assert_eq!(h.subscription(&id_of(&failing)).await["status"], "past_due");
    assert_eq!(h.subscription(&id_of(&trial)).await["status"], "active");
    let portal = h
        .post(
            "/v1/billing_portal/sessions",
            &[("customer", &id_of(&customer)), ("return_url", "https://shop.test/account")],
        )
        .await
        .ok();
    checked += conform(&portal, "a portal session");
    let attached = h
        .post("/v1/payment_methods/pm_card_mastercard/attach", &[("customer", &id_of(&customer))])
        .await
        .ok();
    checked += conform(&attached, "an attached payment method");

    for path in [
        "/v1/subscriptions?status=all&limit=100&expand[]=data.latest_invoice&expand[]=data.customer&expand[]=data.default_payment_method".to_owned(),
        "/v1/invoices?limit=100&expand[]=data.payments".to_owned(),
        format!("/v1/invoices/{}/lines", updated["latest_invoice"].as_str().unwrap()),
        format!("/v1/invoices/{}?expand[]=payments", updated["latest_invoice"].as_str().unwrap()),
        format!("/v1/payment_methods?customer={}", id_of(&customer)),
        format!("/v1/subscriptions/{}?expand[]=latest_invoice", id_of(&failing)),
        format!("/v1/checkout/sessions/{}?expand[]=subscription&expand[]=invoice", id_of(&session)),
        "/v1/events?limit=100".to_owned(),
    ] {
        checked += conform_get(&h, &path).await;
    }
    for event in h.emulator.events() {
        checked += conform(&event, "an event");
    }
    for (answer, status) in [
        (h.post("/v1/customers", &[("payment_method", "pm_card_chargeDeclined")]).await, 402),
        (h.post("/v1/subscriptions", &[("customer", &id_of(&customer))]).await, 400),
        (
            h.post(&format!("/v1/subscriptions/{}", id_of(&other)), &[("cancel_at_period_end", "true")])
                .await,
            400,
        ),
        (h.get("/v1/invoices/in_missing").await, 404),
    ] {
        assert_eq!(answer.status, status, "{}", answer.body);
        checked += conform(&answer.json, &format!("a {status} answer"));
    }
    let kinds: std::collections::BTreeSet<_> = h
        .emulator
        .events()
        .iter()
        .map(|e| e["data"]["object"]["object"].as_str().unwrap().to_owned())
        .collect();
    for kind in ["billing_portal.session", "invoice", "payment_method", "subscription"] {
        assert!(kinds.contains(kind), "no {kind} event checked: {kinds:?}");
    }
    let types: std::collections::BTreeSet<_> = h.event_types().into_iter().collect();
    for event in [
        "invoice.payment_failed",
        "invoice.voided",
        "customer.subscription.deleted",
        "customer.subscription.trial_will_end",
    ] {
        assert!(types.contains(event), "{event} not checked");
    }
    assert!(checked > 150, "only {checked} objects checked");
}
