//! Subscriptions, invoices, payment methods and portal sessions through async-stripe-billing's own
//! requests and types, as the official Rust client sends and parses them; and every subscription-era event.

use super::{client, parse};
use crate::support::{id_of, period_end, start, DAY};
use std::collections::HashMap;
use stripe::StripeError;
use stripe_billing::billing_portal_session::CreateBillingPortalSession;
use stripe_billing::invoice::{ListInvoice, RetrieveInvoice};
use stripe_billing::subscription::{
    CancelSubscription, CreateSubscription, CreateSubscriptionItems, ListSubscription,
    ListSubscriptionStatus, RetrieveSubscription, UpdateSubscription, UpdateSubscriptionTrialEnd,
};
use stripe_billing::BillingPortalSession;
use stripe_shared::{
    CheckoutSession, Customer, Event, Invoice, InvoiceBillingReason, InvoiceStatus, PaymentIntent,
    PaymentMethod, Subscription, SubscriptionStatus,
};
use stripe_types::{Expandable, List};

#[tokio::test]
async fn the_async_stripe_client_creates_lists_updates_and_cancels_subscriptions_and_reads_their_invoices() {
    let h = start().await;
    let client = client(&h);
    let customer = h
        .post(
            "/v1/customers",
            &[
                ("email", "ada@example.com"),
                ("payment_method", "pm_card_visa"),
                ("invoice_settings[default_payment_method]", "pm_card_visa"),
            ],
        )
        .await
        .ok();
    let price = h.recurring_price("Pro plan", 900, "month", 1).await;
    let mut item = CreateSubscriptionItems::new();
    item.price = Some(id_of(&price));
    let sub = CreateSubscription::new()
        .customer(id_of(&customer))
        .items(vec![item])
        .metadata(HashMap::from([("order_id".to_owned(), "ord_9".to_owned())]))
        .send(&client)
        .await
        .unwrap();
    assert!(matches!(sub.status, SubscriptionStatus::Active));
    assert_eq!(sub.metadata.get("order_id").map(String::as_str), Some("ord_9"));
    let first = &sub.items.data[0];
    assert_eq!(first.price.id.as_str(), id_of(&price));
    assert!(first.current_period_end > first.current_period_start);
    let Some(Expandable::Id(invoice_id)) = &sub.latest_invoice else { panic!("{:?}", sub.latest_invoice) };

    let invoice =
        RetrieveInvoice::new(invoice_id.clone().expect("an invoice id")).send(&client).await.unwrap();
    assert!(matches!(invoice.status, Some(InvoiceStatus::Paid)));
    assert!(matches!(invoice.billing_reason, Some(InvoiceBillingReason::SubscriptionCreate)));
    assert_eq!((invoice.amount_due, invoice.amount_paid, invoice.attempt_count), (900, 900, 1));
    let details =
        invoice.parent.as_ref().and_then(|p| p.subscription_details.as_ref()).expect("a subscription parent");
    assert_eq!(details.subscription.id().as_str(), sub.id.as_str());
    assert_eq!(details.metadata.as_ref().and_then(|m| m.get("order_id")).map(String::as_str), Some("ord_9"));
    let invoices = ListInvoice::new().subscription(sub.id.as_str()).send(&client).await.unwrap();
    assert_eq!(invoices.data.len(), 1);

    let scheduled =
        UpdateSubscription::new(sub.id.clone()).cancel_at_period_end(true).send(&client).await.unwrap();
    assert!(scheduled.cancel_at_period_end);
    assert_eq!(scheduled.cancel_at, Some(first.current_period_end));
    let listed = ListSubscription::new().customer(id_of(&customer)).send(&client).await.unwrap();
    assert_eq!(listed.data.len(), 1);
    let canceled = CancelSubscription::new(sub.id.clone()).send(&client).await.unwrap();
    assert!(matches!(canceled.status, SubscriptionStatus::Canceled));
    assert!(canceled.ended_at.is_some());
    let all = ListSubscription::new().status(ListSubscriptionStatus::All).send(&client).await.unwrap();
    assert_eq!(all.data.len(), 1);
    match UpdateSubscription::new(sub.id.clone())
        .trial_end(UpdateSubscriptionTrialEnd::Now)
        .send(&client)
        .await
    {
        Err(StripeError::Stripe(error, 400)) => {
            assert!(error.message.unwrap().starts_with("A canceled subscription"))
        }
        other => panic!("expected a 400, got {other:?}"),
    }
    let again = RetrieveSubscription::new(sub.id.clone()).send(&client).await.unwrap();
    assert!(matches!(again.status, SubscriptionStatus::Canceled));

    let portal = CreateBillingPortalSession::new()
        .customer(id_of(&customer))
        .return_url("https://shop.test/account")
        .send(&client)
        .await
        .unwrap();
    assert!(portal.id.as_str().starts_with("bps_"));
    assert!(portal.url.starts_with(h.emulator.base_url().as_str()));
}

#[tokio::test]
async fn subscription_answers_and_every_billing_event_parse_with_the_clients_types() {
    let h = start().await;
    let (session, sub) =
        h.subscribe("4000000000000341", &[("subscription_data[metadata][order_id]", "o1")]).await;
    let session: CheckoutSession = parse(&session, "a subscription-mode session");
    assert!(matches!(session.subscription, Some(Expandable::Id(_))));
    let (_, trial) = h.subscribe("4242424242424242", &[("subscription_data[trial_period_days]", "1")]).await;
    let customer = h
        .post(
            "/v1/customers",
            &[
                ("payment_method", "pm_card_chargeCustomerFail"),
                ("invoice_settings[default_payment_method]", "pm_card_chargeCustomerFail"),
            ],
        )
        .await
        .ok();
    let _: Customer = parse(&customer, "a customer with a default payment method");
    let price = sub["items"]["data"][0]["price"]["id"].as_str().unwrap().to_owned();
    h.post("/v1/subscriptions", &[("customer", &id_of(&customer)), ("items[0][price]", &price)]).await.ok();
    h.post("/v1/billing_portal/sessions", &[("customer", &id_of(&customer))]).await.ok();
    // A failed renewal and its retries, the trial's end, the incomplete one's expiry, and the cancel.
    h.advance(period_end(&sub) - h.emulator.now() + 16 * DAY).await;
    let sub: Subscription = parse(&h.subscription(&id_of(&sub)).await, "a canceled subscription");
    assert!(matches!(sub.status, SubscriptionStatus::Canceled));
    let trial: Subscription = parse(&h.subscription(&id_of(&trial)).await, "a subscription after its trial");
    assert!(matches!(trial.status, SubscriptionStatus::Active) && trial.trial_end.is_some());

    let subs: List<Subscription> = parse(
        &h.get(
            "/v1/subscriptions?status=all&expand[]=data.latest_invoice&expand[]=data.default_payment_method",
        )
        .await
        .ok(),
        "subscriptions",
    );
    assert_eq!(subs.data.len(), 3);
    assert!(subs.data.iter().any(|s| matches!(s.status, SubscriptionStatus::IncompleteExpired)));
    let invoices: List<Invoice> =
        parse(&h.get("/v1/invoices?limit=100&expand[]=data.payments").await.ok(), "invoices");
    let statuses: std::collections::BTreeSet<_> =
        invoices.data.iter().map(|i| i.status.as_ref().unwrap().as_str().to_owned()).collect();
    assert_eq!(statuses.into_iter().collect::<Vec<_>>(), ["open", "paid", "void"]);
    assert!(invoices.data.iter().any(|i| i.payments.as_ref().is_some_and(|p| !p.data.is_empty())));
    let _: List<PaymentMethod> = parse(&h.get("/v1/payment_methods?type=card").await.ok(), "payment methods");

    for event in h.emulator.events() {
        let parsed: Event = parse(&event, "an event");
        assert!(!matches!(parsed.type_, stripe_shared::EventType::Unknown(_)), "{} is known", event["type"]);
        let object = &event["data"]["object"];
        let what = format!("the object of {}", event["type"]);
        match object["object"].as_str().unwrap() {
            "subscription" => drop(parse::<Subscription>(object, &what)),
            "invoice" => drop(parse::<Invoice>(object, &what)),
            "payment_method" => drop(parse::<PaymentMethod>(object, &what)),
            "billing_portal.session" => drop(parse::<BillingPortalSession>(object, &what)),
            "checkout.session" => drop(parse::<CheckoutSession>(object, &what)),
            "payment_intent" => drop(parse::<PaymentIntent>(object, &what)),
            "charge" => drop(parse::<stripe_shared::Charge>(object, &what)),
            "customer" => drop(parse::<Customer>(object, &what)),
            "product" => drop(parse::<stripe_shared::Product>(object, &what)),
            "price" => drop(parse::<stripe_shared::Price>(object, &what)),
            other => panic!("unexpected object {other}"),
        }
    }
    let types: std::collections::BTreeSet<_> = h.event_types().into_iter().collect();
    for wanted in [
        "billing_portal.session.created",
        "customer.subscription.deleted",
        "customer.subscription.trial_will_end",
        "invoice.payment_failed",
        "invoice.voided",
        "payment_method.attached",
    ] {
        assert!(types.contains(wanted), "{wanted} was not parsed");
    }
}
