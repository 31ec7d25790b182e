//! `/v1/subscriptions`, `/v1/invoices` and `/v1/payment_methods` as the Stripe CLI's fixtures and the
//! official clients use them: create, retrieve, list, update, cancel (at once or at period end), trials
//! ended early, first invoices left unpaid, and Stripe's refusals.

use crate::support::{id_of, period_end, start, Harness, DAY};
use serde_json::{json, Value};

/// A customer with `pm_card_visa` attached and set as its invoices' default (the CLI's
/// `customer.subscription.created` fixture), and a monthly 15.00 USD price.
async fn customer_and_price(h: &Harness, card: &str) -> (Value, Value) {
    let customer = h
        .post(
            "/v1/customers",
            &[
                ("email", "ada@example.com"),
                ("payment_method", card),
                ("invoice_settings[default_payment_method]", card),
            ],
        )
        .await
        .ok();
    let price = h.recurring_price("Team plan", 1500, "month", 1).await;
    (customer, price)
}

/// A refused create: its parameters and the parameter Stripe names.
type Case<'a> = (Vec<(&'a str, &'a str)>, Option<&'a str>);

async fn create(h: &Harness, customer: &Value, price: &Value, extra: &[(&str, &str)]) -> Value {
    let mut pairs = vec![
        ("customer", customer["id"].as_str().unwrap()),
        ("items[0][price]", price["id"].as_str().unwrap()),
    ];
    pairs.extend_from_slice(extra);
    h.post("/v1/subscriptions", &pairs).await.ok()
}

#[tokio::test]
async fn the_clis_subscription_fixture_creates_a_paid_subscription_that_lists_updates_and_cancels() {
    let h = start().await;
    let (customer, price) = customer_and_price(&h, "pm_card_visa").await;
    let method = customer["invoice_settings"]["default_payment_method"].as_str().unwrap().to_owned();
    assert!(method.starts_with("pm_") && method != "pm_card_visa", "a new payment method: {customer}");
    assert_eq!(
        h.get(&format!("/v1/payment_methods/{method}")).await.ok()["customer"],
        id_of(&customer).as_str()
    );
    let created = h
        .post_idempotent(
            "/v1/subscriptions",
            &[
                ("customer", &id_of(&customer)),
                ("items[0][price]", &id_of(&price)),
                ("metadata[order_id]", "ord_7"),
            ],
            "sub-ord_7",
        )
        .await;
    let request_id = created.header("request-id").unwrap().to_owned();
    let sub = created.ok();
    assert_eq!(
        (sub["status"].as_str(), sub["metadata"]["order_id"].as_str()),
        (Some("active"), Some("ord_7"))
    );
    assert_eq!(sub["default_payment_method"], Value::Null, "the customer's default pays");
    let replay = h
        .post_idempotent(
            "/v1/subscriptions",
            &[
                ("customer", &id_of(&customer)),
                ("items[0][price]", &id_of(&price)),
                ("metadata[order_id]", "ord_7"),
            ],
            "sub-ord_7",
        )
        .await;
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(id_of(&replay.json), id_of(&sub));
    let created_event = &h.events_of("customer.subscription.created")[0];
    assert_eq!(created_event["request"], json!({ "id": request_id, "idempotency_key": "sub-ord_7" }));
    let invoice = h.get(&format!("/v1/invoices/{}", sub["latest_invoice"].as_str().unwrap())).await.ok();
    assert_eq!((invoice["status"].as_str(), invoice["amount_paid"].as_i64()), (Some("paid"), Some(1500)));

    let listed = h.get(&format!("/v1/subscriptions?customer={}", id_of(&customer))).await.ok();
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    assert_eq!(listed["url"], "/v1/subscriptions");
    let by_price = h.get(&format!("/v1/subscriptions?price={}&status=active", id_of(&price))).await.ok();
    assert_eq!(by_price["data"][0]["id"], id_of(&sub).as_str());
    let invoices = h.get(&format!("/v1/invoices?customer={}&status=paid", id_of(&customer))).await.ok();
    assert_eq!(invoices["data"].as_array().unwrap().len(), 1);
    let lines = h.get(&format!("/v1/invoices/{}/lines", id_of(&invoice))).await.ok();
    assert_eq!(lines["data"][0]["description"], "1 × Team plan (at 15.00 USD / month)");

    let updated =
        h.post(&format!("/v1/subscriptions/{}", id_of(&sub)), &[("metadata[foo]", "bar")]).await.ok();
    assert_eq!(updated["metadata"], json!({ "order_id": "ord_7", "foo": "bar" }));
    let event = h.events_of("customer.subscription.updated").pop().unwrap();
    assert_eq!(event["data"]["previous_attributes"], json!({ "metadata": { "order_id": "ord_7" } }));

    let canceled = h.delete(&format!("/v1/subscriptions/{}", id_of(&sub))).await;
    let cancel_request = canceled.header("request-id").unwrap().to_owned();
    let canceled = canceled.ok();
    assert_eq!(canceled["status"], "canceled");
    assert_eq!(canceled["canceled_at"], canceled["ended_at"]);
    assert_eq!(canceled["cancellation_details"]["reason"], "cancellation_requested");
    let deleted = &h.events_of("customer.subscription.deleted")[0];
    assert_eq!(deleted["request"]["id"], cancel_request.as_str(), "your API call did it");
    assert_eq!(deleted["data"]["object"]["status"], "canceled");
    assert!(
        h.get(&format!("/v1/subscriptions?customer={}", id_of(&customer))).await.ok()["data"]
            .as_array()
            .unwrap()
            .is_empty(),
        "canceled ones are listed only on request"
    );
    assert_eq!(h.get("/v1/subscriptions?status=canceled").await.ok()["data"][0]["id"], id_of(&sub).as_str());

    let refused = h
        .post(&format!("/v1/subscriptions/{}", id_of(&sub)), &[("cancel_at_period_end", "true")])
        .await
        .error(400);
    assert_eq!(refused["type"], "invalid_request_error");
    assert_eq!(
        refused["message"],
        "A canceled subscription can only update its cancellation_details and metadata."
    );
    h.post(
        &format!("/v1/subscriptions/{}", id_of(&sub)),
        &[("metadata[after]", "1"), ("cancellation_details[comment]", "too pricey")],
    )
    .await
    .ok();
    h.delete(&format!("/v1/subscriptions/{}", id_of(&sub))).await.error(400);
    h.get("/v1/subscriptions/sub_missing").await.error(404);
}

#[tokio::test]
async fn cancel_at_period_end_keeps_it_active_then_ends_it_when_the_period_passes() {
    let h = start().await;
    let (customer, price) = customer_and_price(&h, "pm_card_visa").await;
    let sub = create(&h, &customer, &price, &[]).await;
    let end = period_end(&sub);
    let path = format!("/v1/subscriptions/{}", id_of(&sub));
    let scheduled = h.post(&path, &[("cancel_at_period_end", "true")]).await.ok();
    assert_eq!((scheduled["status"].as_str(), scheduled["cancel_at"].as_i64()), (Some("active"), Some(end)));
    let requested_at = scheduled["canceled_at"].as_i64().unwrap();
    let event = h.events_of("customer.subscription.updated").pop().unwrap();
    let previous = &event["data"]["previous_attributes"];
    assert_eq!((&previous["cancel_at_period_end"], &previous["cancel_at"]), (&json!(false), &Value::Null));

    // Taken back and scheduled again: two more updates.
    h.post(&path, &[("cancel_at_period_end", "false")]).await.ok();
    assert_eq!(h.subscription(&id_of(&sub)).await["canceled_at"], Value::Null);
    h.post(&path, &[("cancel_at_period_end", "true")]).await.ok();
    assert_eq!(h.events_of("customer.subscription.updated").len(), 3);

    let invoices = h.get("/v1/invoices").await.ok()["data"].as_array().unwrap().len();
    h.advance(end - h.emulator.now() + 10).await;
    let sub = h.subscription(&id_of(&sub)).await;
    assert_eq!(sub["status"], "canceled");
    assert_eq!(sub["ended_at"].as_i64(), Some(end));
    assert!(sub["canceled_at"].as_i64().unwrap() >= requested_at);
    let deleted = h.events_of("customer.subscription.deleted");
    assert_eq!((deleted.len(), deleted[0]["created"].as_i64()), (1, Some(end)));
    assert_eq!(h.get("/v1/invoices").await.ok()["data"].as_array().unwrap().len(), invoices, "no renewal");
}

#[tokio::test]
async fn a_trial_can_be_ended_now_and_a_first_invoice_left_unpaid_expires_after_23_hours() {
    let h = start().await;
    let (customer, price) = customer_and_price(&h, "pm_card_visa").await;
    let trial = create(&h, &customer, &price, &[("trial_period_days", "7")]).await;
    assert_eq!(
        (trial["status"].as_str(), period_end(&trial)),
        (Some("trialing"), trial["trial_end"].as_i64().unwrap())
    );
    assert!(h.events_of("customer.subscription.trial_will_end").is_empty());
    let ended = h.post(&format!("/v1/subscriptions/{}", id_of(&trial)), &[("trial_end", "now")]).await.ok();
    assert_eq!(ended["status"], "active");
    assert_eq!(ended["trial_end"].as_i64(), ended["items"]["data"][0]["current_period_start"].as_i64());
    assert_eq!(h.events_of("customer.subscription.trial_will_end").len(), 1, "sent at once");
    let invoice = h.get(&format!("/v1/invoices/{}", ended["latest_invoice"].as_str().unwrap())).await.ok();
    assert_eq!(
        (invoice["billing_reason"].as_str(), invoice["amount_paid"].as_i64()),
        (Some("subscription_update"), Some(1500))
    );
    h.post(&format!("/v1/subscriptions/{}", id_of(&trial)), &[("trial_end", "now")]).await.error(400);

    let (failing, _) = customer_and_price(&h, "pm_card_chargeCustomerFail").await;
    let incomplete = create(&h, &failing, &price, &[]).await;
    assert_eq!(incomplete["status"], "incomplete");
    let invoice =
        h.get(&format!("/v1/invoices/{}", incomplete["latest_invoice"].as_str().unwrap())).await.ok();
    assert_eq!((invoice["status"].as_str(), invoice["attempt_count"].as_i64()), (Some("open"), Some(1)));
    assert_eq!(invoice["next_payment_attempt"], Value::Null, "a first invoice is not retried");
    h.post(&format!("/v1/subscriptions/{}", id_of(&incomplete)), &[("cancel_at_period_end", "true")])
        .await
        .error(400);
    h.advance(23 * 3600 + 1).await;
    let expired = h.subscription(&id_of(&incomplete)).await;
    assert_eq!(expired["status"], "incomplete_expired");
    let voided = h.events_of("invoice.voided");
    assert_eq!((voided.len(), voided[0]["data"]["object"]["status"].as_str()), (1, Some("void")));
    let last = h.events_of("customer.subscription.updated").pop().unwrap();
    assert_eq!(last["data"]["previous_attributes"]["status"], "incomplete");

    let refused = h
        .post(
            "/v1/subscriptions",
            &[
                ("customer", &id_of(&failing)),
                ("items[0][price]", &id_of(&price)),
                ("payment_behavior", "error_if_incomplete"),
            ],
        )
        .await;
    let refused = refused.error(402);
    assert_eq!(
        (refused["type"].as_str(), refused["code"].as_str()),
        (Some("card_error"), Some("card_declined"))
    );
    let waiting = create(&h, &failing, &price, &[("payment_behavior", "default_incomplete")]).await;
    let invoice = h
        .get(&format!("/v1/invoices/{}?expand[]=payments", waiting["latest_invoice"].as_str().unwrap()))
        .await
        .ok();
    assert_eq!(
        (waiting["status"].as_str(), invoice["attempt_count"].as_i64()),
        (Some("incomplete"), Some(0))
    );
    assert_eq!(invoice["payments"]["data"][0]["status"], "open");
}

#[tokio::test]
async fn bad_subscription_requests_get_stripes_errors_and_change_nothing() {
    let h = start().await;
    let (customer, price) = customer_and_price(&h, "pm_card_visa").await;
    let bare = h.post("/v1/customers", &[("email", "bob@example.com")]).await.ok();
    let one_time = h
        .post("/v1/prices", &[("currency", "usd"), ("unit_amount", "500"), ("product_data[name]", "Mug")])
        .await
        .ok();
    let yearly = h.recurring_price("Yearly", 9000, "year", 1).await;
    let (c, p) = (id_of(&customer), id_of(&price));
    let cases: Vec<Case<'_>> = vec![
        (vec![("items[0][price]", &p)], Some("customer")),
        (vec![("customer", "cus_missing"), ("items[0][price]", &p)], Some("customer")),
        (vec![("customer", &c)], Some("items")),
        (vec![("customer", &c), ("items[0][price]", "price_missing")], Some("items[0][price]")),
        (
            vec![("customer", &c), ("items[0][price]", one_time["id"].as_str().unwrap())],
            Some("items[0][price]"),
        ),
        (
            vec![
                ("customer", &c),
                ("items[0][price]", &p),
                ("items[1][price]", yearly["id"].as_str().unwrap()),
            ],
            Some("items"),
        ),
        (
            vec![("customer", &c), ("items[0][price]", &p), ("trial_end", "1"), ("trial_period_days", "3")],
            Some("trial_end"),
        ),
        (
            vec![("customer", &c), ("items[0][price]", &p), ("payment_behavior", "pending_if_incomplete")],
            Some("payment_behavior"),
        ),
        (
            vec![("customer", &c), ("items[0][price]", &p), ("billing_cycle_anchor", "1")],
            Some("billing_cycle_anchor"),
        ),
        (
            vec![("customer", &c), ("items[0][price]", &p), ("default_payment_method", "pm_missing")],
            Some("default_payment_method"),
        ),
        (vec![("customer", bare["id"].as_str().unwrap()), ("items[0][price]", &p)], None),
        (vec![("customer", &c), ("items[0][price]", &p), ("bogus", "1")], Some("bogus")),
    ];
    for (pairs, param) in cases {
        let error = h.post("/v1/subscriptions", &pairs).await.error(400);
        assert_eq!(error["param"].as_str(), param, "{pairs:?}: {error}");
    }
    let no_method =
        h.post("/v1/subscriptions", &[("customer", &id_of(&bare)), ("items[0][price]", &p)]).await.error(400);
    assert!(no_method["message"]
        .as_str()
        .unwrap()
        .starts_with("This customer has no attached payment source or default payment method."));
    let declined = h.post("/v1/customers", &[("payment_method", "pm_card_chargeDeclined")]).await.error(402);
    assert_eq!(declined["decline_code"], "generic_decline", "a decline card cannot be attached");
    let attach =
        h.post("/v1/payment_methods/pm_card_visa/attach", &[("customer", "cus_missing")]).await.error(400);
    assert_eq!(attach["param"], "customer");
    assert!(h.get("/v1/subscriptions?status=all").await.ok()["data"].as_array().unwrap().is_empty());
    assert!(h.get("/v1/invoices").await.ok()["data"].as_array().unwrap().is_empty());
    h.get("/v1/invoices/in_missing").await.error(404);
    assert_eq!(h.get("/v1/subscriptions?status=bogus").await.error(400)["param"], "status");
    let later = h.emulator.now() + 5 * DAY;
    let future_trial = create(&h, &customer, &price, &[("trial_end", &later.to_string())]).await;
    assert_eq!(future_trial["trial_end"].as_i64(), Some(later));
    let wrong_owner = h
        .post(
            &format!("/v1/subscriptions/{}", id_of(&future_trial)),
            &[(
                "default_payment_method",
                customer["invoice_settings"]["default_payment_method"].as_str().unwrap(),
            )],
        )
        .await
        .ok();
    assert!(wrong_owner["default_payment_method"].is_string(), "the customer's own card is fine");
    let other = h.post("/v1/customers", &[("payment_method", "pm_card_mastercard")]).await.ok();
    let others_card = h.get(&format!("/v1/payment_methods?customer={}", id_of(&other))).await.ok()["data"][0]
        ["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let error = h
        .post(
            &format!("/v1/subscriptions/{}", id_of(&future_trial)),
            &[("default_payment_method", &others_card)],
        )
        .await
        .error(400);
    assert_eq!(error["param"], "default_payment_method");
}
