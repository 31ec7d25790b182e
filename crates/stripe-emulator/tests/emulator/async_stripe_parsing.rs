//! Every answer parses with async-stripe 1.0's own types, as the client parses them (miniserde), and the
//! client itself works against the emulator.

mod billing;

use crate::support::{id_of, start, Harness, KEY};
use payments_stripe_emulator::{DelayedOutcome, DisputeOutcome, PaymentChoice};
use serde_json::Value;
use std::collections::HashMap;
use std::time::Duration;
use stripe::{IdempotencyKey, RequestStrategy, StripeError, StripeRequest};
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionLineItemsPriceData,
    CreateCheckoutSessionPaymentIntentData, ExpireCheckoutSession, ListCheckoutSession,
    ListLineItemsCheckoutSession, ProductData, RetrieveCheckoutSession,
};
use stripe_shared::{
    ApiErrors, Charge, CheckoutSession, CheckoutSessionItem, CheckoutSessionPaymentStatus,
    CheckoutSessionStatus, Customer, Dispute, Event, PaymentIntent, PaymentIntentStatus, Price, Product,
    Refund,
};
use stripe_types::{Expandable, List, SearchList};

/// `value` parsed as `T` with miniserde, as async-stripe parses responses; panics with the JSON if not.
fn parse<T: miniserde::Deserialize>(value: &Value, what: &str) -> T {
    miniserde::json::from_str(&value.to_string())
        .unwrap_or_else(|_| panic!("{what} does not parse as {}:\n{value:#}", std::any::type_name::<T>()))
}

fn client(h: &Harness) -> stripe::Client {
    stripe::ClientBuilder::new(KEY)
        .url(h.emulator.base_url().as_str())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

fn session_form() -> CreateCheckoutSession {
    let mut product = ProductData::new("Espresso cup");
    product.images = Some(vec!["https://cdn.test/cup.png".to_owned()]);
    let mut price = CreateCheckoutSessionLineItemsPriceData::new(stripe_types::Currency::USD);
    price.unit_amount = Some(1250);
    price.product_data = Some(product);
    let mut line = CreateCheckoutSessionLineItems::new();
    line.price_data = Some(price);
    line.quantity = Some(2);
    let metadata = HashMap::from([("order_id".to_owned(), "ord_1".to_owned())]);
    let mut payment_intent_data = CreateCheckoutSessionPaymentIntentData::new();
    payment_intent_data.metadata = Some(metadata.clone());
    CreateCheckoutSession::new()
        .mode(stripe_checkout::CheckoutSessionMode::Payment)
        .line_items(vec![line])
        .customer_email("ada@example.com")
        .success_url("https://shop.test/paid?session_id={CHECKOUT_SESSION_ID}")
        .cancel_url("https://shop.test/cart")
        .client_reference_id("ord_1")
        .metadata(metadata)
        .payment_intent_data(payment_intent_data)
}

#[tokio::test]
async fn the_async_stripe_client_creates_retrieves_expands_lists_and_expires_sessions() {
    let h = start().await;
    let client = client(&h);
    let key = IdempotencyKey::new("order-ord_1").unwrap();
    let form = session_form();
    let session = form
        .customize()
        .request_strategy(RequestStrategy::Idempotent(key.clone()))
        .send(&client)
        .await
        .unwrap();
    assert!(session.id.as_str().starts_with("cs_test_"));
    assert!(matches!(session.status, Some(CheckoutSessionStatus::Open)));
    assert!(matches!(session.payment_status, CheckoutSessionPaymentStatus::Unpaid));
    assert_eq!(session.amount_total, Some(2500));
    assert_eq!(session.client_reference_id.as_deref(), Some("ord_1"));
    assert!(session.url.as_deref().unwrap().starts_with(h.emulator.base_url().as_str()));
    assert!(session.payment_intent.is_none());
    let replayed =
        form.customize().request_strategy(RequestStrategy::Idempotent(key)).send(&client).await.unwrap();
    assert_eq!(replayed.id, session.id);

    h.emulator.pay_session(session.id.as_str(), "4242424242424242").unwrap();
    let paid = RetrieveCheckoutSession::new(session.id.clone())
        .expand(vec!["payment_intent".to_owned()])
        .send(&client)
        .await
        .unwrap();
    assert!(matches!(paid.status, Some(CheckoutSessionStatus::Complete)));
    assert!(matches!(paid.payment_status, CheckoutSessionPaymentStatus::Paid));
    let Some(Expandable::Object(pi)) = &paid.payment_intent else {
        panic!("expanded: {:?}", paid.payment_intent)
    };
    assert!(matches!(pi.status, PaymentIntentStatus::Succeeded));
    assert_eq!(pi.metadata.get("order_id").map(String::as_str), Some("ord_1"));
    assert_eq!(paid.customer_details.as_ref().and_then(|d| d.email.as_deref()), Some("ada@example.com"));

    let items = ListLineItemsCheckoutSession::new(session.id.clone()).send(&client).await.unwrap();
    assert_eq!(items.data.len(), 1);
    assert_eq!((items.data[0].quantity, items.data[0].amount_total), (Some(2), 2500));
    assert_eq!(items.data[0].description.as_deref(), Some("Espresso cup"));

    let other = session_form().send(&client).await.unwrap();
    let expired = ExpireCheckoutSession::new(other.id.clone()).send(&client).await.unwrap();
    assert!(matches!(expired.status, Some(CheckoutSessionStatus::Expired)));
    let listed = ListCheckoutSession::new().send(&client).await.unwrap();
    let ids: Vec<_> = listed.data.iter().map(|s| s.id.as_str().to_owned()).collect();
    assert_eq!(ids, [other.id.as_str(), session.id.as_str()]);
}

#[tokio::test]
async fn refusals_reach_the_client_as_stripe_errors_with_their_status() {
    let h = start().await;
    let client = client(&h);
    match RetrieveCheckoutSession::new("cs_test_missing").send(&client).await {
        Err(StripeError::Stripe(error, 404)) => {
            assert_eq!(error.code.as_ref().map(|c| c.as_str()), Some("resource_missing"));
            assert_eq!(error.message.as_deref(), Some("No such checkout.session: 'cs_test_missing'"));
        }
        other => panic!("expected a 404 StripeError, got {other:?}"),
    }
    let mut form = session_form();
    form = form.success_url("not a url");
    match form.send(&client).await {
        Err(StripeError::Stripe(error, 400)) => assert_eq!(error.param.as_deref(), Some("success_url")),
        other => panic!("expected a 400 StripeError, got {other:?}"),
    }
    let unauthorized =
        stripe::ClientBuilder::new("sk_live_nope").url(h.emulator.base_url().as_str()).build().unwrap();
    assert!(matches!(ListCheckoutSession::new().send(&unauthorized).await, Err(StripeError::Stripe(_, 401))));
}

#[tokio::test]
async fn every_resource_list_event_and_error_parses_with_the_clients_types() {
    let h = start().await;
    let customer = h.post("/v1/customers", &[("email", "ada@example.com"), ("name", "Ada")]).await.ok();
    let parsed: Customer = parse(&customer, "a customer");
    assert_eq!(parsed.email.as_deref(), Some("ada@example.com"));
    let _: Customer = parse(
        &h.post(&format!("/v1/customers/{}", id_of(&customer)), &[("metadata[a]", "b")]).await.ok(),
        "an updated customer",
    );
    let product: Product = parse(&h.post("/v1/products", &[("name", "Mug")]).await.ok(), "a product");
    assert_eq!(product.name, "Mug");
    let price_json = h
        .post("/v1/prices", &[("currency", "usd"), ("unit_amount", "1500"), ("product", product.id.as_str())])
        .await
        .ok();
    let price: Price = parse(&price_json, "a price");
    assert_eq!(price.unit_amount, Some(1500));
    let _: Price = parse(
        &h.get(&format!("/v1/prices/{}?expand[]=product", price.id.as_str())).await.ok(),
        "a price with its product",
    );

    // Sessions and payments in every state.
    let session = h.create_session(&[("customer", &id_of(&customer))]).await;
    let _: CheckoutSession = parse(&session, "an open session");
    let id = id_of(&session);
    h.emulator.pay_session(&id, "4000000000000002").unwrap();
    h.emulator.pay_session(&id, "4000002500003155").unwrap();
    let waiting =
        h.get(&format!("/v1/checkout/sessions/{id}?expand[]=payment_intent&expand[]=line_items")).await.ok();
    let waiting: CheckoutSession = parse(&waiting, "a session waiting for 3-D Secure");
    let Some(Expandable::Object(pi)) = waiting.payment_intent else { panic!("expanded") };
    assert!(matches!(pi.status, PaymentIntentStatus::RequiresAction));
    assert!(pi.next_action.is_some() && pi.last_payment_error.is_some());
    h.emulator.complete_three_d_secure(&id, true).unwrap();
    let disputed = h.create_session(&[("customer_email", "bob@example.com")]).await;
    h.emulator.pay_session(&id_of(&disputed), "4000000000000259").unwrap();
    let dispute_id =
        h.events_of("charge.dispute.created")[0]["data"]["object"]["id"].as_str().unwrap().to_owned();
    h.emulator.close_dispute(&dispute_id, DisputeOutcome::Lost).unwrap();
    for (method_outcome, currency) in
        [(Some(DelayedOutcome::Succeed), "usd"), (Some(DelayedOutcome::Fail), "eur"), (None, "usd")]
    {
        let delayed = h
            .post(
                "/v1/checkout/sessions",
                &[
                    ("success_url", "https://shop.test/ok"),
                    ("line_items[0][price_data][currency]", currency),
                    ("line_items[0][price_data][unit_amount]", "2000"),
                    ("line_items[0][price_data][product_data][name]", "Tea"),
                    ("line_items[0][quantity]", "1"),
                ],
            )
            .await
            .ok();
        h.emulator
            .submit_payment(&id_of(&delayed), PaymentChoice::DelayedDebit, Some("eve@example.com"))
            .unwrap();
        if let Some(outcome) = method_outcome {
            h.emulator.settle_delayed_payment(&id_of(&delayed), outcome).unwrap();
        }
    }
    let expiring = h.create_session(&[("customer_email", "x@example.com")]).await;
    h.emulator.pay_session(&id_of(&expiring), "4000000000000119").unwrap();
    h.emulator.expire_session(&id_of(&expiring)).unwrap();
    let paid_pi = h.get(&format!("/v1/checkout/sessions/{id}")).await.ok()["payment_intent"]
        .as_str()
        .unwrap()
        .to_owned();
    let refund: Refund = parse(
        &h.post("/v1/refunds", &[("payment_intent", &paid_pi), ("amount", "900")]).await.ok(),
        "a refund",
    );
    assert_eq!(refund.amount, 900);

    // Every object of every kind, through its list.
    let sessions: List<CheckoutSession> =
        parse(&h.get("/v1/checkout/sessions?limit=100&expand[]=data.payment_intent").await.ok(), "sessions");
    assert_eq!(sessions.data.len(), 6);
    let statuses: Vec<_> = sessions.data.iter().map(|s| s.status.as_ref().unwrap().as_str()).collect();
    assert!(statuses.contains(&"expired") && statuses.contains(&"complete"));
    let items: List<CheckoutSessionItem> = parse(
        &h.get(&format!("/v1/checkout/sessions/{id}/line_items?expand[]=data.price.product")).await.ok(),
        "line items",
    );
    assert_eq!(items.data.len(), 2);
    let intents: List<PaymentIntent> = parse(
        &h.get("/v1/payment_intents?limit=100&expand[]=data.latest_charge").await.ok(),
        "payment intents",
    );
    let statuses: std::collections::BTreeSet<_> =
        intents.data.iter().map(|p| p.status.as_str().to_owned()).collect();
    assert_eq!(
        statuses.into_iter().collect::<Vec<_>>(),
        ["canceled", "processing", "requires_payment_method", "succeeded"]
    );
    let charges: List<Charge> = parse(&h.get("/v1/charges?limit=100").await.ok(), "charges");
    let statuses: std::collections::BTreeSet<_> =
        charges.data.iter().map(|c| c.status.as_str().to_owned()).collect();
    assert_eq!(statuses.into_iter().collect::<Vec<_>>(), ["failed", "pending", "succeeded"]);
    let _: List<Refund> = parse(&h.get("/v1/refunds").await.ok(), "refunds");
    let disputes: List<Dispute> = parse(&h.get("/v1/disputes").await.ok(), "disputes");
    assert_eq!(disputes.data[0].status.as_str(), "lost");
    let _: List<Customer> = parse(&h.get("/v1/customers?limit=100").await.ok(), "customers");
    let found: SearchList<Customer> =
        parse(&h.get("/v1/customers/search?query=email:'ada@example.com'").await.ok(), "a search");
    assert_eq!(found.data.len(), 1);
    let _: List<Product> = parse(&h.get("/v1/products?limit=100").await.ok(), "products");
    let _: List<Price> = parse(&h.get("/v1/prices?limit=100&expand[]=data.product").await.ok(), "prices");

    // Every event, and the object each carries.
    let events: List<Event> = parse(&h.get("/v1/events?limit=100").await.ok(), "events");
    assert_eq!(events.data.len(), h.emulator.events().len());
    for event in h.emulator.events() {
        let parsed: Event = parse(&event, "an event");
        assert_eq!(parsed.type_.as_str(), event["type"].as_str().unwrap());
        assert!(
            !matches!(parsed.type_, stripe_shared::EventType::Unknown(_)),
            "{} is known to async-stripe",
            event["type"]
        );
        assert_eq!(parsed.api_version.as_deref(), Some(stripe_shared::version::VERSION.as_str()));
        let object = &event["data"]["object"];
        let what = format!("the object of {}", event["type"]);
        match object["object"].as_str().unwrap() {
            "customer" => drop(parse::<Customer>(object, &what)),
            "product" => drop(parse::<Product>(object, &what)),
            "price" => drop(parse::<Price>(object, &what)),
            "checkout.session" => drop(parse::<CheckoutSession>(object, &what)),
            "payment_intent" => drop(parse::<PaymentIntent>(object, &what)),
            "charge" => drop(parse::<Charge>(object, &what)),
            "refund" => drop(parse::<Refund>(object, &what)),
            "dispute" => drop(parse::<Dispute>(object, &what)),
            other => panic!("unexpected object {other}"),
        }
    }

    // Webhook endpoints, created (with the secret) and read back.
    let created = h
        .post("/v1/webhook_endpoints", &[("url", "https://shop.test/hook"), ("enabled_events[]", "*")])
        .await
        .ok();
    let endpoint: stripe_misc::WebhookEndpoint = parse(&created, "a created webhook endpoint");
    assert!(endpoint.secret.as_deref().unwrap().starts_with("whsec_"));
    let _: stripe_misc::WebhookEndpoint =
        parse(&h.get(&format!("/v1/webhook_endpoints/{}", endpoint.id.as_str())).await.ok(), "an endpoint");
    let _: List<stripe_misc::WebhookEndpoint> =
        parse(&h.get("/v1/webhook_endpoints").await.ok(), "endpoints");

    // A card error carries the payment intent, as Stripe's does.
    let open = h.create_session(&[]).await;
    let declined = h
        .control(
            &format!("checkout/sessions/{}/pay", id_of(&open)),
            &[("card", "4000000000000069"), ("email", "a@example.com")],
        )
        .await;
    let error: ApiErrors = parse(&declined.error(402), "a card error");
    assert_eq!(error.type_.as_str(), "card_error");
    assert_eq!(error.decline_code.as_deref(), Some("expired_card"));
    assert!(error.payment_intent.is_some());
    let missing: ApiErrors = parse(&h.get("/v1/refunds/re_missing").await.error(404), "a 404");
    assert_eq!(missing.param.as_deref(), Some("id"));
}
