//! The `/v1` resources: what each route creates, returns, lists and refuses.

use crate::support::{id_of, start, Harness};
use serde_json::{json, Value};

fn ids(list: &Value) -> Vec<String> {
    list["data"].as_array().unwrap().iter().map(id_of).collect()
}

fn assert_stripe_object(object: &Value, kind: &str, prefix: &str) {
    assert_eq!(object["object"], kind, "{object}");
    assert!(id_of(object).starts_with(prefix), "{object}");
    // Refunds are the one resource here without `livemode`, on Stripe too.
    let livemode = if kind == "refund" { Value::Null } else { Value::Bool(false) };
    assert_eq!(object["livemode"], livemode, "{object}");
    assert!(object["created"].as_i64().unwrap() > 1_600_000_000, "{object}");
}

async fn price(h: &Harness, amount: &str, currency: &str) -> Value {
    h.post(
        "/v1/prices",
        &[
            ("currency", currency),
            ("unit_amount", amount),
            ("product_data[name]", "Mug"),
            ("lookup_key", "mug"),
        ],
    )
    .await
    .ok()
}

#[tokio::test]
async fn customers_are_created_retrieved_and_updated_with_events() {
    let h = start().await;
    let created = h
        .post("/v1/customers", &[("email", "ada@example.com"), ("name", "Ada"), ("metadata[user]", "7")])
        .await
        .ok();
    assert_stripe_object(&created, "customer", "cus_");
    assert_eq!((created["email"].as_str(), created["name"].as_str()), (Some("ada@example.com"), Some("Ada")));
    assert_eq!(created["metadata"], json!({ "user": "7" }));
    let events = h.events_of("customer.created");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["data"]["object"], created);

    let path = format!("/v1/customers/{}", id_of(&created));
    assert_eq!(h.get(&path).await.ok(), created);
    let updated = h.post(&path, &[("name", "Ada Lovelace"), ("phone", "+441234")]).await.ok();
    assert_eq!(updated["name"], "Ada Lovelace");
    assert_eq!(updated["email"], "ada@example.com");
    assert_eq!(h.get(&path).await.ok(), updated);
    let update_events = h.events_of("customer.updated");
    assert_eq!(update_events.len(), 1);
    assert_eq!(update_events[0]["data"]["previous_attributes"], json!({ "name": "Ada", "phone": null }));
    // An update that changes nothing sends no event.
    h.post(&path, &[("name", "Ada Lovelace")]).await.ok();
    assert_eq!(h.events_of("customer.updated").len(), 1);
    let unset = h.post(&path, &[("phone", "")]).await.ok();
    assert_eq!(unset["phone"], Value::Null);
    h.post("/v1/customers/cus_missing", &[("name", "x")]).await.error(404);
}

#[tokio::test]
async fn customers_are_listed_by_exact_email_and_found_by_search() {
    let h = start().await;
    let a1 = h.post("/v1/customers", &[("email", "ada@example.com")]).await.ok();
    let b = h.post("/v1/customers", &[("email", "bob@example.com"), ("name", "Bob")]).await.ok();
    let a2 = h.post("/v1/customers", &[("email", "ada@example.com"), ("metadata[tier]", "gold")]).await.ok();

    let all = h.get("/v1/customers").await.ok();
    assert_eq!(all["url"], "/v1/customers");
    assert_eq!(ids(&all), [id_of(&a2), id_of(&b), id_of(&a1)], "newest first");
    let ada = h.get("/v1/customers?email=ada@example.com").await.ok();
    assert_eq!(ids(&ada), [id_of(&a2), id_of(&a1)]);
    assert_eq!(ids(&h.get("/v1/customers?email=nobody@example.com").await.ok()), Vec::<String>::new());

    let found = h.get("/v1/customers/search?query=email%3A%27bob%40example.com%27").await.ok();
    assert_eq!(found["object"], "search_result");
    assert_eq!(ids(&found), [id_of(&b)]);
    let found =
        h.get("/v1/customers/search?query=email:'ADA@example.com' AND metadata['tier']:'gold'").await.ok();
    assert_eq!(ids(&found), [id_of(&a2)]);
    let error = h.get("/v1/customers/search?query=email=ada").await.error(400);
    assert_eq!(error["param"], "query");
    h.get("/v1/customers/search").await.error(400);
}

#[tokio::test]
async fn lists_page_with_limit_starting_after_and_ending_before() {
    let h = start().await;
    let mut created = Vec::new();
    for i in 0..5 {
        created.push(id_of(&h.post("/v1/customers", &[("email", &format!("c{i}@example.com"))]).await.ok()));
    }
    created.reverse();
    let first = h.get("/v1/customers?limit=2").await.ok();
    assert_eq!(ids(&first), created[..2]);
    assert_eq!(first["has_more"], true);
    let second = h.get(&format!("/v1/customers?limit=2&starting_after={}", created[1])).await.ok();
    assert_eq!(ids(&second), created[2..4]);
    let last = h.get(&format!("/v1/customers?limit=2&starting_after={}", created[3])).await.ok();
    assert_eq!(ids(&last), created[4..]);
    assert_eq!(last["has_more"], false);
    let before = h.get(&format!("/v1/customers?limit=2&ending_before={}", created[4])).await.ok();
    assert_eq!(ids(&before), created[2..4]);
    h.get("/v1/customers?starting_after=cus_nope").await.error(400);
}

#[tokio::test]
async fn products_and_prices_are_created_retrieved_and_listed() {
    let h = start().await;
    let product = h
        .post(
            "/v1/products",
            &[("name", "Mug"), ("description", "Blue"), ("images[]", "https://cdn.test/m.png")],
        )
        .await
        .ok();
    assert_stripe_object(&product, "product", "prod_");
    assert_eq!(product["images"], json!(["https://cdn.test/m.png"]));
    assert_eq!(product["active"], true);
    let product_path = format!("/v1/products/{}", id_of(&product));
    assert_eq!(h.get(&product_path).await.ok(), product);

    let price = h
        .post(
            "/v1/prices",
            &[
                ("currency", "EUR"),
                ("unit_amount", "1500"),
                ("product", &id_of(&product)),
                ("nickname", "standard"),
            ],
        )
        .await
        .ok();
    assert_stripe_object(&price, "price", "price_");
    assert_eq!((price["currency"].as_str(), price["unit_amount"].as_i64()), (Some("eur"), Some(1500)));
    assert_eq!(
        (price["product"].as_str(), price["type"].as_str()),
        (Some(id_of(&product).as_str()), Some("one_time"))
    );
    assert_eq!(price["unit_amount_decimal"], "1500");
    let price_path = format!("/v1/prices/{}", id_of(&price));
    assert_eq!(h.get(&price_path).await.ok(), price);
    let expanded = h.get(&format!("{price_path}?expand[]=product")).await.ok();
    assert_eq!(expanded["product"], product);

    let inline = h
        .post("/v1/prices", &[("currency", "usd"), ("unit_amount", "300"), ("product_data[name]", "Lid")])
        .await
        .ok();
    let lid = h.get(&format!("/v1/products/{}", inline["product"].as_str().unwrap())).await.ok();
    assert_eq!(lid["name"], "Lid");

    assert_eq!(ids(&h.get("/v1/products").await.ok()).len(), 2);
    assert_eq!(ids(&h.get(&format!("/v1/prices?product={}", id_of(&product))).await.ok()), [id_of(&price)]);
    assert_eq!(ids(&h.get("/v1/prices?currency=usd").await.ok()), [id_of(&inline)]);
    let types: Vec<_> = h.event_types().into_iter().filter(|t| t.starts_with("pr")).collect();
    assert_eq!(types, ["product.created", "price.created", "product.created", "price.created"]);
    let monthly = h
        .post(
            "/v1/prices",
            &[
                ("currency", "usd"),
                ("unit_amount", "300"),
                ("product_data[name]", "Sub"),
                ("recurring[interval]", "month"),
            ],
        )
        .await
        .ok();
    assert_eq!(monthly["type"], "recurring");
    assert_eq!(
        (monthly["recurring"]["interval"].as_str(), monthly["recurring"]["interval_count"].as_i64()),
        (Some("month"), Some(1))
    );
    assert_eq!(ids(&h.get("/v1/prices?type=recurring").await.ok()), [id_of(&monthly)]);
    assert!(!ids(&h.get("/v1/prices?type=one_time").await.ok()).contains(&id_of(&monthly)));
    let fortnightly = h
        .post(
            "/v1/prices",
            &[
                ("currency", "usd"),
                ("unit_amount", "300"),
                ("product", &id_of(&product)),
                ("recurring[interval]", "fortnight"),
            ],
        )
        .await;
    assert_eq!(fortnightly.error(400)["param"], "recurring[interval]");
    let too_many = h
        .post(
            "/v1/prices",
            &[
                ("currency", "usd"),
                ("unit_amount", "300"),
                ("product", &id_of(&product)),
                ("recurring[interval]", "year"),
                ("recurring[interval_count]", "2"),
            ],
        )
        .await;
    assert_eq!(too_many.error(400)["param"], "recurring[interval_count]");
    let in_payment_mode = h
        .post(
            "/v1/checkout/sessions",
            &[
                ("mode", "payment"),
                ("success_url", "https://shop.test/ok"),
                ("line_items[0][price]", &id_of(&monthly)),
                ("line_items[0][quantity]", "1"),
            ],
        )
        .await;
    assert_eq!(in_payment_mode.error(400)["param"], "line_items[0][price]");
}

#[tokio::test]
async fn a_session_is_created_in_payment_mode_from_prices_and_price_data() {
    let h = start().await;
    let mug = price(&h, "1500", "usd").await;
    let customer = h.post("/v1/customers", &[("email", "ada@example.com")]).await.ok();
    let session = h
        .post(
            "/v1/checkout/sessions",
            &[
                ("mode", "payment"),
                ("customer", &id_of(&customer)),
                ("success_url", "https://shop.test/ok?s={CHECKOUT_SESSION_ID}"),
                ("cancel_url", "https://shop.test/cancel"),
                ("line_items[0][price]", &id_of(&mug)),
                ("line_items[0][quantity]", "2"),
                ("line_items[1][price_data][currency]", "usd"),
                ("line_items[1][price_data][unit_amount]", "250"),
                ("line_items[1][price_data][product_data][name]", "Gift wrap"),
                ("line_items[1][quantity]", "1"),
                ("client_reference_id", "order-9"),
                ("metadata[order_id]", "order-9"),
            ],
        )
        .await
        .ok();
    assert_stripe_object(&session, "checkout.session", "cs_test_");
    assert_eq!(session["mode"], "payment");
    assert_eq!(
        (session["status"].as_str(), session["payment_status"].as_str()),
        (Some("open"), Some("unpaid"))
    );
    assert_eq!(session["amount_total"], 3250);
    assert_eq!(session["customer"], id_of(&customer).as_str());
    assert_eq!(session["client_reference_id"], "order-9");
    assert_eq!(session["success_url"], "https://shop.test/ok?s={CHECKOUT_SESSION_ID}");
    assert_eq!(session["cancel_url"], "https://shop.test/cancel");
    assert_eq!(session["payment_intent"], Value::Null, "no payment intent before the customer confirms");
    assert_eq!(session["url"], h.url(&format!("checkout/{}", id_of(&session))).as_str());
    let created = session["created"].as_i64().unwrap();
    assert_eq!(session["expires_at"].as_i64().unwrap() - created, 24 * 3600);

    let items = h.get(&format!("/v1/checkout/sessions/{}/line_items", id_of(&session))).await.ok();
    assert_eq!(items["object"], "list");
    assert_eq!(items["data"][0]["price"]["id"], id_of(&mug).as_str());
    assert_eq!(items["data"][0]["amount_total"], 3000);
    assert!(items["data"][0]["id"].as_str().unwrap().starts_with("li_"));
    assert_eq!(items["data"][1]["description"], "Gift wrap");
    // No event for a new session, as on Stripe.
    assert!(h.event_types().iter().all(|t| !t.starts_with("checkout.")));
}

#[tokio::test]
async fn session_creation_refuses_what_stripe_refuses() {
    let h = start().await;
    let customer = h.post("/v1/customers", &[("email", "ada@example.com")]).await.ok();
    let now = h.emulator.now();
    let cases: Vec<(Vec<(&str, String)>, &str)> = vec![
        (vec![("customer", id_of(&customer)), ("customer_email", "x@example.com".into())], "customer_email"),
        (vec![("customer", "cus_missing".into())], "customer"),
        (vec![("mode", "subscription".into())], "mode"),
        (vec![("expires_at", (now + 29 * 60).to_string())], "expires_at"),
        (vec![("expires_at", (now + 25 * 3600).to_string())], "expires_at"),
        (vec![("success_url", "not a url".into())], "success_url"),
        (
            vec![("line_items[1][price]", "price_missing".into()), ("line_items[1][quantity]", "1".into())],
            "line_items[1][price]",
        ),
        (vec![("line_items[0][quantity]", "0".into())], "line_items[0][quantity]"),
        (
            vec![
                ("line_items[1][price_data][currency]", "eur".into()),
                ("line_items[1][price_data][unit_amount]", "100".into()),
                ("line_items[1][price_data][product_data][name]", "Euro thing".into()),
                ("line_items[1][quantity]", "1".into()),
            ],
            "line_items[1]",
        ),
    ];
    for (extra, param) in cases {
        let extra: Vec<(&str, &str)> = extra.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let mut pairs = vec![
            ("mode", "payment"),
            ("success_url", "https://shop.test/ok"),
            ("line_items[0][price_data][currency]", "usd"),
            ("line_items[0][price_data][unit_amount]", "1000"),
            ("line_items[0][price_data][product_data][name]", "Thing"),
            ("line_items[0][quantity]", "1"),
        ];
        // A later value for the same key wins, so the case's value replaces the default.
        pairs.extend(extra.iter().copied());
        let error = h.post("/v1/checkout/sessions", &pairs).await.error(400);
        assert_eq!(error["param"], param, "{extra:?}: {error}");
    }
    let below_minimum = h
        .post(
            "/v1/checkout/sessions",
            &[
                ("success_url", "https://shop.test/ok"),
                ("line_items[0][price_data][currency]", "usd"),
                ("line_items[0][price_data][unit_amount]", "10"),
                ("line_items[0][price_data][product_data][name]", "Sticker"),
                ("line_items[0][quantity]", "1"),
            ],
        )
        .await;
    below_minimum.error(400);
    assert!(h.get("/v1/checkout/sessions").await.ok()["data"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn expires_at_within_30_minutes_to_24_hours_is_kept() {
    let h = start().await;
    let at = (h.emulator.now() + 2 * 3600).to_string();
    let session = h.create_session(&[("expires_at", &at)]).await;
    assert_eq!(session["expires_at"].as_i64().unwrap().to_string(), at);
}

#[tokio::test]
async fn an_inline_price_is_retrievable_but_inactive_and_cannot_be_reused() {
    let h = start().await;
    let session = h.create_session(&[]).await;
    let items = h.get(&format!("/v1/checkout/sessions/{}/line_items", id_of(&session))).await.ok();
    let price_id = items["data"][0]["price"]["id"].as_str().unwrap().to_owned();
    assert_eq!(h.get(&format!("/v1/prices/{price_id}")).await.ok()["active"], false);
    let error = h
        .post(
            "/v1/checkout/sessions",
            &[
                ("success_url", "https://shop.test/ok"),
                ("line_items[0][price]", &price_id),
                ("line_items[0][quantity]", "1"),
            ],
        )
        .await
        .error(400);
    assert_eq!(error["param"], "line_items[0][price]");
}

#[tokio::test]
async fn sessions_are_listed_and_filtered_and_expanded() {
    let h = start().await;
    let open = h.create_session(&[]).await;
    let paid = h.paid_session("4242424242424242", &[("customer_email", "ada@example.com")]).await;
    let all = h.get("/v1/checkout/sessions").await.ok();
    assert_eq!(ids(&all), [id_of(&paid), id_of(&open)]);
    assert_eq!(ids(&h.get("/v1/checkout/sessions?status=open").await.ok()), [id_of(&open)]);
    assert_eq!(ids(&h.get("/v1/checkout/sessions?status=complete").await.ok()), [id_of(&paid)]);
    let pi = paid["payment_intent"].as_str().unwrap();
    assert_eq!(ids(&h.get(&format!("/v1/checkout/sessions?payment_intent={pi}")).await.ok()), [id_of(&paid)]);
    let by_email = h.get("/v1/checkout/sessions?customer_details[email]=ada@example.com").await.ok();
    assert_eq!(ids(&by_email), [id_of(&paid)]);
    let expanded = h.get("/v1/checkout/sessions?expand[]=data.payment_intent").await.ok();
    assert_eq!(expanded["data"][0]["payment_intent"]["id"], pi);
    assert_eq!(expanded["data"][1]["payment_intent"], Value::Null);
    let error = h.get("/v1/checkout/sessions?expand[]=payment_intent").await.error(400);
    assert!(error["message"].as_str().unwrap().contains("data.payment_intent"));
}

#[tokio::test]
async fn a_session_expires_through_the_api_only_while_open() {
    let h = start().await;
    let session = h.create_session(&[]).await;
    let path = format!("/v1/checkout/sessions/{}/expire", id_of(&session));
    let expired = h.post(&path, &[]).await.ok();
    assert_eq!(expired["status"], "expired");
    assert_eq!(expired["url"], Value::Null);
    let events = h.events_of("checkout.session.expired");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["data"]["object"]["id"], session["id"]);
    let error = h.post(&path, &[]).await.error(400);
    assert!(error["message"].as_str().unwrap().contains("`expired`"));

    let paid = h.paid_session("4242424242424242", &[]).await;
    h.post(&format!("/v1/checkout/sessions/{}/expire", id_of(&paid)), &[]).await.error(400);
    h.post("/v1/checkout/sessions/cs_test_missing/expire", &[]).await.error(404);
    assert_eq!(h.events_of("checkout.session.expired").len(), 1);
}

#[tokio::test]
async fn a_paid_session_has_a_succeeded_payment_intent_and_charge_carrying_its_metadata() {
    let h = start().await;
    let paid = h
        .paid_session(
            "4242 4242 4242 4242",
            &[("payment_intent_data[metadata][order_id]", "ord_1"), ("customer_email", "ada@example.com")],
        )
        .await;
    assert_eq!((paid["status"].as_str(), paid["payment_status"].as_str()), (Some("complete"), Some("paid")));
    assert_eq!(paid["customer_details"]["email"], "ada@example.com");
    let pi = h.get(&format!("/v1/payment_intents/{}", paid["payment_intent"].as_str().unwrap())).await.ok();
    assert_stripe_object(&pi, "payment_intent", "pi_");
    assert_eq!(
        (pi["status"].as_str(), pi["amount"].as_i64(), pi["amount_received"].as_i64()),
        (Some("succeeded"), Some(4900), Some(4900))
    );
    assert_eq!(pi["metadata"], json!({ "order_id": "ord_1" }));
    assert!(pi["client_secret"].as_str().unwrap().starts_with(&format!("{}_secret_", id_of(&pi))));
    let charge = h.get(&format!("/v1/charges/{}", pi["latest_charge"].as_str().unwrap())).await.ok();
    assert_stripe_object(&charge, "charge", "ch_");
    assert_eq!(
        (charge["paid"].as_bool(), charge["captured"].as_bool(), charge["status"].as_str()),
        (Some(true), Some(true), Some("succeeded"))
    );
    assert_eq!(charge["amount"], 4900);
    assert_eq!(charge["payment_intent"], pi["id"]);
    assert_eq!(charge["metadata"], json!({ "order_id": "ord_1" }));
    assert_eq!(charge["billing_details"]["email"], "ada@example.com");
    assert_eq!(charge["payment_method_details"]["card"]["last4"], "4242");
    assert_eq!(charge["payment_method_details"]["card"]["brand"], "visa");
    assert_eq!(
        ids(&h.get(&format!("/v1/charges?payment_intent={}", id_of(&pi))).await.ok()),
        [id_of(&charge)]
    );
    assert_eq!(ids(&h.get("/v1/payment_intents").await.ok()), [id_of(&pi)]);
}

#[tokio::test]
async fn refunds_are_full_or_partial_by_payment_intent_or_charge_and_never_exceed_what_was_paid() {
    let h = start().await;
    let paid = h.paid_session("4242424242424242", &[]).await;
    let pi = paid["payment_intent"].as_str().unwrap().to_owned();
    let charge =
        h.get(&format!("/v1/payment_intents/{pi}")).await.ok()["latest_charge"].as_str().unwrap().to_owned();

    let first = h
        .post("/v1/refunds", &[("charge", &charge), ("amount", "1000"), ("reason", "requested_by_customer")])
        .await
        .ok();
    assert_stripe_object(&first, "refund", "re_");
    assert_eq!((first["amount"].as_i64(), first["status"].as_str()), (Some(1000), Some("succeeded")));
    assert_eq!(
        (first["charge"].as_str(), first["payment_intent"].as_str()),
        (Some(charge.as_str()), Some(pi.as_str()))
    );
    let partly = h.get(&format!("/v1/charges/{charge}")).await.ok();
    assert_eq!((partly["amount_refunded"].as_i64(), partly["refunded"].as_bool()), (Some(1000), Some(false)));

    let too_much = h.post("/v1/refunds", &[("payment_intent", &pi), ("amount", "3901")]).await.error(400);
    assert_eq!(
        (too_much["code"].as_str(), too_much["param"].as_str()),
        (Some("amount_too_large"), Some("amount"))
    );
    let rest = h.post("/v1/refunds", &[("payment_intent", &pi)]).await.ok();
    assert_eq!(rest["amount"], 3900);
    let refunded = h.get(&format!("/v1/charges/{charge}")).await.ok();
    assert_eq!(
        (refunded["amount_refunded"].as_i64(), refunded["refunded"].as_bool()),
        (Some(4900), Some(true))
    );
    let again = h.post("/v1/refunds", &[("charge", &charge), ("amount", "1")]).await.error(400);
    assert_eq!(again["code"], "charge_already_refunded");

    assert_eq!(h.get(&format!("/v1/refunds/{}", id_of(&first))).await.ok(), first);
    assert_eq!(
        ids(&h.get(&format!("/v1/refunds?payment_intent={pi}")).await.ok()),
        [id_of(&rest), id_of(&first)]
    );
    let charge_events = h.events_of("charge.refunded");
    assert_eq!(charge_events.len(), 2);
    assert_eq!(charge_events[1]["data"]["object"]["amount_refunded"], 4900);
    assert_eq!(
        charge_events[1]["data"]["previous_attributes"],
        json!({ "amount_refunded": 1000, "refunded": false })
    );
    assert_eq!(h.events_of("refund.created").len(), 2);
}

#[tokio::test]
async fn a_refund_of_the_refund_fail_card_succeeds_then_fails_and_gives_the_amount_back() {
    let h = start().await;
    let paid = h.paid_session("4000000000005126", &[]).await;
    let pi = paid["payment_intent"].as_str().unwrap().to_owned();
    let refund = h.post("/v1/refunds", &[("payment_intent", &pi), ("amount", "1000")]).await.ok();
    assert_eq!(refund["status"], "succeeded", "it begins as succeeded: {refund}");
    let now = h.get(&format!("/v1/refunds/{}", id_of(&refund))).await.ok();
    assert_eq!(
        (now["status"].as_str(), now["failure_reason"].as_str()),
        (Some("failed"), Some("expired_or_canceled_card"))
    );
    let charge = h.get(&format!("/v1/charges/{}", now["charge"].as_str().unwrap())).await.ok();
    assert_eq!(charge["amount_refunded"], 0, "the charge's refunded amount is lowered again");
    for event_type in ["refund.updated", "refund.failed", "charge.refund.updated"] {
        let events = h.events_of(event_type);
        assert_eq!(events.len(), 1, "{event_type}");
        assert_eq!(events[0]["data"]["object"]["status"], "failed", "{event_type}");
    }
    assert_eq!(h.events_of("refund.updated")[0]["data"]["previous_attributes"]["status"], "succeeded");
    // A card that takes refunds back keeps them.
    let kept = h.paid_session("4242424242424242", &[]).await;
    let kept_pi = kept["payment_intent"].as_str().unwrap().to_owned();
    h.post("/v1/refunds", &[("payment_intent", &kept_pi)]).await.ok();
    assert_eq!(h.events_of("refund.failed").len(), 1);
}

#[tokio::test]
async fn refunds_of_nothing_or_of_the_wrong_thing_are_refused() {
    let h = start().await;
    let open = h.create_session(&[("customer_email", "ada@example.com")]).await;
    let declined = h.emulator.pay_session(&id_of(&open), "4000000000000002").unwrap();
    assert!(matches!(declined, payments_stripe_emulator::PaymentResult::Declined { .. }));
    let pi = h.get(&format!("/v1/checkout/sessions/{}", id_of(&open))).await.ok()["payment_intent"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(h.post("/v1/refunds", &[("payment_intent", &pi)]).await.error(400)["param"], "payment_intent");
    let failed_charge =
        h.get(&format!("/v1/payment_intents/{pi}")).await.ok()["latest_charge"].as_str().unwrap().to_owned();
    h.post("/v1/refunds", &[("charge", &failed_charge)]).await.error(400);
    h.post("/v1/refunds", &[]).await.error(400);
    assert_eq!(
        h.post("/v1/refunds", &[("charge", "ch_missing")]).await.error(400)["code"],
        "resource_missing"
    );

    let paid = h.paid_session("4242424242424242", &[]).await;
    let paid_pi = paid["payment_intent"].as_str().unwrap();
    let zero = h.post("/v1/refunds", &[("payment_intent", paid_pi), ("amount", "0")]).await.error(400);
    assert_eq!(zero["param"], "amount");
    let other_charge = h.get(&format!("/v1/payment_intents/{paid_pi}")).await.ok()["latest_charge"]
        .as_str()
        .unwrap()
        .to_owned();
    let mismatch =
        h.post("/v1/refunds", &[("payment_intent", &pi), ("charge", &other_charge)]).await.error(400);
    assert_eq!(mismatch["param"], "payment_intent");
    assert!(h.events_of("refund.created").is_empty());
}

#[tokio::test]
async fn events_are_retrieved_and_listed_by_type() {
    let h = start().await;
    h.paid_session("4242424242424242", &[("customer_email", "ada@example.com")]).await;
    let all = h.get("/v1/events?limit=100").await.ok();
    let types: Vec<_> =
        all["data"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).rev().collect();
    assert_eq!(types, h.event_types());
    let completed = h.get("/v1/events?type=checkout.session.completed").await.ok();
    assert_eq!(completed["data"].as_array().unwrap().len(), 1);
    let event = &completed["data"][0];
    assert!(id_of(event).starts_with("evt_"));
    assert_eq!(h.get(&format!("/v1/events/{}", id_of(event))).await.ok(), *event);
    let payment_intents = h.get("/v1/events?type=payment_intent.*").await.ok();
    let types: Vec<_> =
        payment_intents["data"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["payment_intent.succeeded", "payment_intent.created"]);
    let several = h.get("/v1/events?types[]=charge.succeeded&types[]=checkout.session.completed").await.ok();
    assert_eq!(several["data"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn webhook_endpoints_are_created_with_a_secret_listed_updated_and_deleted() {
    let h = start().await;
    let created = h
        .post(
            "/v1/webhook_endpoints",
            &[
                ("url", "https://shop.test/webhooks/stripe"),
                ("enabled_events[0]", "checkout.session.completed"),
                ("enabled_events[1]", "charge.refunded"),
                ("api_version", "2023-10-16"),
                ("description", "shop"),
            ],
        )
        .await
        .ok();
    assert_stripe_object(&created, "webhook_endpoint", "we_");
    assert!(created["secret"].as_str().unwrap().starts_with("whsec_"));
    assert_eq!(created["enabled_events"], json!(["checkout.session.completed", "charge.refunded"]));
    assert_eq!(
        (created["api_version"].as_str(), created["status"].as_str()),
        (Some("2023-10-16"), Some("enabled"))
    );
    assert_eq!(created["url"], "https://shop.test/webhooks/stripe");

    let path = format!("/v1/webhook_endpoints/{}", id_of(&created));
    let fetched = h.get(&path).await.ok();
    assert_eq!(fetched["secret"], Value::Null, "the secret is only in the creation's answer");
    assert_eq!(fetched["url"], created["url"]);
    let listed = h.get("/v1/webhook_endpoints").await.ok();
    assert_eq!(ids(&listed), [id_of(&created)]);
    let disabled = h.post(&path, &[("disabled", "true"), ("enabled_events[]", "*")]).await.ok();
    assert_eq!(
        (disabled["status"].as_str(), disabled["enabled_events"].clone()),
        (Some("disabled"), json!(["*"]))
    );

    let deleted = h.delete(&path).await.ok();
    assert_eq!(deleted, json!({ "id": id_of(&created), "object": "webhook_endpoint", "deleted": true }));
    h.get(&path).await.error(404);
    h.delete(&path).await.error(404);
    let error =
        h.post("/v1/webhook_endpoints", &[("url", "ftp://x"), ("enabled_events[]", "*")]).await.error(400);
    assert_eq!(error["param"], "url");
    let error = h.post("/v1/webhook_endpoints", &[("url", "https://x.test/")]).await.error(400);
    assert_eq!(error["param"], "enabled_events");
}
