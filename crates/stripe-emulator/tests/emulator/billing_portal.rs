//! Customer portal sessions and the portal page: a person cancels at period end, takes it back, cancels
//! at once, and goes back to the merchant; without JavaScript.

use crate::support::{answer, form, id_of, period_end, start, Answer, Harness};
use serde_json::Value;

async fn portal(h: &Harness, customer: &str) -> Value {
    h.post(
        "/v1/billing_portal/sessions",
        &[("customer", customer), ("return_url", "https://shop.test/account")],
    )
    .await
    .ok()
}

async fn press(h: &Harness, action: &str, pairs: &[(&str, &str)]) -> Answer {
    let request =
        h.http.post(action).header("Content-Type", "application/x-www-form-urlencoded").body(form(pairs));
    answer(request).await
}

#[tokio::test]
async fn a_portal_session_links_to_a_page_where_the_customer_cancels_at_period_end_renews_and_cancels_now() {
    let h = start().await;
    let (_, sub) = h.subscribe("4242424242424242", &[("customer_email", "ada@example.com")]).await;
    let customer = sub["customer"].as_str().unwrap();
    let session = portal(&h, customer).await;
    assert_eq!(session["object"], "billing_portal.session");
    assert!(id_of(&session).starts_with("bps_"));
    assert!(session["configuration"].as_str().unwrap().starts_with("bpc_"));
    assert_eq!(
        (session["customer"].as_str(), session["return_url"].as_str()),
        (Some(customer), Some("https://shop.test/account"))
    );
    let url = session["url"].as_str().unwrap().to_owned();
    assert_eq!(url, h.url(&format!("billing_portal/{}", id_of(&session))));
    let created = h.events_of("billing_portal.session.created");
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["data"]["object"]["id"], id_of(&session).as_str());

    let page = answer(h.http.get(&url)).await;
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").unwrap().starts_with("text/html"));
    for text in [
        "Your subscriptions",
        "Pro plan",
        "9.00 USD every month",
        "ada@example.com",
        "Renews on",
        "<a id=\"return\" href=\"https://shop.test/account\">",
    ] {
        assert!(page.body.contains(text), "{text} missing from {}", page.body);
    }
    assert!(!page.body.to_lowercase().contains("<script"));
    let action = format!("{url}/subscriptions/{}", id_of(&sub));
    assert!(page.body.contains(&format!("action=\"{action}/cancel\"")));

    let scheduled = press(&h, &format!("{action}/cancel"), &[("when", "period_end")]).await;
    assert_eq!((scheduled.status, scheduled.header("location")), (303, Some(url.as_str())));
    let now = h.subscription(&id_of(&sub)).await;
    assert_eq!((now["status"].as_str(), now["cancel_at_period_end"].as_bool()), (Some("active"), Some(true)));
    assert_eq!(now["cancellation_details"]["reason"], "cancellation_requested");
    let updated = h.events_of("customer.subscription.updated").pop().unwrap();
    assert_eq!(updated["data"]["previous_attributes"]["cancel_at_period_end"], false);
    assert_eq!(updated["request"]["id"], Value::Null, "a person on the portal, not an API call");
    assert!(answer(h.http.get(&url)).await.body.contains("Cancels on"));

    press(&h, &format!("{action}/renew"), &[]).await;
    assert_eq!(h.subscription(&id_of(&sub)).await["cancel_at_period_end"], false);

    let canceled = press(&h, &format!("{action}/cancel"), &[("when", "now")]).await;
    assert_eq!(canceled.status, 303);
    let now = h.subscription(&id_of(&sub)).await;
    assert_eq!(now["status"], "canceled");
    assert_eq!(h.events_of("customer.subscription.deleted").len(), 1);
    let page = answer(h.http.get(&url)).await.body;
    assert!(page.contains("Canceled on") && !page.contains("Cancel now"));
    assert!(
        press(&h, &format!("{action}/cancel"), &[("when", "now")]).await.status == 400,
        "already canceled"
    );
    assert_eq!(press(&h, &format!("{action}/cancel"), &[]).await.status, 400, "when is needed");
    let count = h.emulator.events().len();
    h.advance(period_end(&sub) - h.emulator.now() + 60).await;
    assert_eq!(h.emulator.events().len(), count);
}

#[tokio::test]
async fn the_portal_only_touches_its_customers_subscriptions_and_refuses_bad_sessions() {
    let h = start().await;
    let (_, sub) = h.subscribe("4242424242424242", &[]).await;
    let stranger = h.post("/v1/customers", &[("email", "eve@example.com")]).await.ok();
    let session = portal(&h, &id_of(&stranger)).await;
    let url = session["url"].as_str().unwrap();
    let page = answer(h.http.get(url)).await.body;
    assert!(page.contains("You have no subscriptions.") && !page.contains("Pro plan"));
    let other = press(&h, &format!("{url}/subscriptions/{}/cancel", id_of(&sub)), &[("when", "now")]).await;
    assert_eq!(other.status, 404);
    assert_eq!(h.subscription(&id_of(&sub)).await["status"], "active");
    assert_eq!(answer(h.http.get(h.url("billing_portal/bps_missing"))).await.status, 404);

    let missing =
        h.post("/v1/billing_portal/sessions", &[("return_url", "https://shop.test")]).await.error(400);
    assert_eq!(
        (missing["param"].as_str(), missing["code"].as_str()),
        (Some("customer"), Some("parameter_missing"))
    );
    let unknown = h.post("/v1/billing_portal/sessions", &[("customer", "cus_missing")]).await.error(400);
    assert_eq!(
        (unknown["param"].as_str(), unknown["code"].as_str()),
        (Some("customer"), Some("resource_missing"))
    );
    let flow = h
        .post(
            "/v1/billing_portal/sessions",
            &[("customer", &id_of(&stranger)), ("flow_data[type]", "subscription_cancel")],
        )
        .await;
    assert_eq!(flow.error(400)["param"], "flow_data");
    let bad_url = h
        .post(
            "/v1/billing_portal/sessions",
            &[("customer", &id_of(&stranger)), ("return_url", "javascript:alert(1)")],
        )
        .await;
    assert_eq!(bad_url.error(400)["param"], "return_url");
    let without_return = h.post("/v1/billing_portal/sessions", &[("customer", &id_of(&stranger))]).await.ok();
    assert_eq!(without_return["return_url"], Value::Null);
    assert!(!answer(h.http.get(without_return["url"].as_str().unwrap()))
        .await
        .body
        .contains("id=\"return\""));
    assert_eq!(h.events_of("billing_portal.session.created").len(), 2);
}
