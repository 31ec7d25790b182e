//! The hosted checkout page at `session.url`, driven as a browser without JavaScript would: GET the page,
//! POST its forms, read the 303s.

use crate::support::{answer, form, id_of, start, Answer, Harness};
use reqwest::Method;
use serde_json::Value;

async fn page(h: &Harness, url: &str) -> Answer {
    answer(h.http.get(url)).await
}

async fn submit(h: &Harness, action: &str, pairs: &[(&str, &str)]) -> Answer {
    let request =
        h.http.post(action).header("Content-Type", "application/x-www-form-urlencoded").body(form(pairs));
    answer(request).await
}

async fn fetch_session(h: &Harness, id: &str) -> Value {
    h.get(&format!("/v1/checkout/sessions/{id}")).await.ok()
}

fn is_html(answer: &Answer) -> bool {
    answer.header("content-type").is_some_and(|c| c.starts_with("text/html"))
}

fn success_location(id: &str) -> String {
    format!("https://shop.test/paid?session_id={id}")
}

#[tokio::test]
async fn the_page_shows_the_lines_the_total_email_and_card_fields_without_javascript() {
    let h = start().await;
    let session = h.create_session(&[]).await;
    let url = session["url"].as_str().unwrap();
    assert!(url.starts_with(h.emulator.base_url().as_str()));
    let shown = page(&h, url).await;
    assert_eq!(shown.status, 200);
    assert!(is_html(&shown));
    let html = &shown.body;
    for text in ["Espresso cup × 2", "12.50 USD each", "25.00 USD", "Beans 1kg × 1", "24.00 USD", "49.00 USD"]
    {
        assert!(html.contains(text), "{text} missing from {html}");
    }
    assert!(html.contains(&format!("<form method=\"post\" action=\"{url}/pay\">")));
    for field in [
        "name=\"email\"",
        "name=\"card_number\"",
        "name=\"card_expiry\"",
        "name=\"card_cvc\"",
        "value=\"delayed\"",
        "type=\"submit\"",
    ] {
        assert!(html.contains(field), "{field} missing");
    }
    assert!(html.contains("<a id=\"cancel\" href=\"https://shop.test/cart\">"));
    assert!(!html.to_lowercase().contains("<script"));
}

#[tokio::test]
async fn a_fixed_email_is_shown_read_only_and_caller_text_is_escaped() {
    let h = start().await;
    let session = h
        .post(
            "/v1/checkout/sessions",
            &[
                ("success_url", "https://shop.test/ok"),
                ("cancel_url", "javascript:alert(1)"),
                ("customer_email", "ada@example.com"),
                ("line_items[0][price_data][currency]", "eur"),
                ("line_items[0][price_data][unit_amount]", "990"),
                ("line_items[0][price_data][product_data][name]", "<script>alert('x')</script>"),
                ("line_items[0][quantity]", "1"),
            ],
        )
        .await;
    // A javascript: URL is not a valid cancel_url.
    assert_eq!(session.error(400)["param"], "cancel_url");
    let session = h
        .post(
            "/v1/checkout/sessions",
            &[
                ("success_url", "https://shop.test/ok"),
                ("customer_email", "ada@example.com"),
                ("line_items[0][price_data][currency]", "eur"),
                ("line_items[0][price_data][unit_amount]", "990"),
                ("line_items[0][price_data][product_data][name]", "<script>alert('x')</script>"),
                ("line_items[0][quantity]", "1"),
            ],
        )
        .await
        .ok();
    let html = page(&h, session["url"].as_str().unwrap()).await.body;
    assert!(html.contains("value=\"ada@example.com\" readonly"));
    assert!(html.contains("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"));
    assert!(!html.contains("<script>"));
    assert!(html.contains("9.90 EUR"));
    assert!(!html.contains("id=\"cancel\""), "no cancel link without a cancel_url");
}

#[tokio::test]
async fn paying_with_a_good_card_redirects_to_success_url_with_the_session_id() {
    let h = start().await;
    let session = h.create_session(&[]).await;
    let (id, url) = (id_of(&session), session["url"].as_str().unwrap().to_owned());
    let paid = submit(
        &h,
        &format!("{url}/pay"),
        &[
            ("email", "ada@example.com"),
            ("method", "card"),
            ("card_number", "4242 4242 4242 4242"),
            ("card_expiry", "12 / 34"),
            ("card_cvc", "123"),
        ],
    )
    .await;
    assert_eq!(paid.status, 303);
    assert_eq!(paid.header("location"), Some(success_location(&id).as_str()));
    let session = session_state(&h, &id).await;
    assert_eq!(session, ("complete".into(), "paid".into()));
    let after = page(&h, &url).await;
    assert_eq!(after.status, 200);
    assert!(after.body.contains("Payment complete"));
    // The session is no longer open: paying again changes nothing.
    let again = submit(
        &h,
        &format!("{url}/pay"),
        &[("email", "ada@example.com"), ("card_number", "4242424242424242")],
    )
    .await;
    assert_ne!(again.status, 303);
    assert_eq!(h.events_of("charge.succeeded").len(), 1);
}

async fn session_state(h: &Harness, id: &str) -> (String, String) {
    let s = fetch_session(h, id).await;
    (s["status"].as_str().unwrap().to_owned(), s["payment_status"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn a_decline_shows_the_error_keeps_what_was_typed_and_lets_the_customer_retry() {
    let h = start().await;
    let session = h.create_session(&[]).await;
    let (id, url) = (id_of(&session), session["url"].as_str().unwrap().to_owned());
    let declined = submit(
        &h,
        &format!("{url}/pay"),
        &[("email", "ada@example.com"), ("method", "card"), ("card_number", "4000000000000002")],
    )
    .await;
    assert_eq!(declined.status, 402);
    assert!(is_html(&declined));
    assert!(declined.body.contains("id=\"error\""));
    assert!(declined.body.contains("Your card was declined."));
    assert!(declined.body.contains("value=\"ada@example.com\""), "the email stays typed");
    assert!(declined.body.contains(&format!("action=\"{url}/pay\"")), "the form is shown again");
    assert_eq!(session_state(&h, &id).await, ("open".into(), "unpaid".into()));

    let retried = submit(
        &h,
        &format!("{url}/pay"),
        &[("email", "ada@example.com"), ("method", "card"), ("card_number", "4242424242424242")],
    )
    .await;
    assert_eq!(retried.status, 303);
    assert_eq!(retried.header("location"), Some(success_location(&id).as_str()));
    let s = fetch_session(&h, &id).await;
    assert_eq!(s["payment_status"], "paid");
    // One payment intent across both attempts, with two charges.
    let pi = s["payment_intent"].as_str().unwrap();
    let charges = h.get(&format!("/v1/charges?payment_intent={pi}")).await.ok();
    let statuses: Vec<_> =
        charges["data"].as_array().unwrap().iter().map(|c| c["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["succeeded", "failed"]);
    assert_eq!(h.events_of("payment_intent.created").len(), 1);
}

#[tokio::test]
async fn a_mistyped_card_number_or_email_is_shown_and_nothing_is_charged() {
    let h = start().await;
    let session = h.create_session(&[]).await;
    let (id, url) = (id_of(&session), session["url"].as_str().unwrap().to_owned());
    let bad_number = submit(
        &h,
        &format!("{url}/pay"),
        &[("email", "ada@example.com"), ("card_number", "4242424242424241")],
    )
    .await;
    assert_eq!(bad_number.status, 400);
    assert!(bad_number.body.contains("Your card number is invalid."));
    let bad_email =
        submit(&h, &format!("{url}/pay"), &[("email", "ada"), ("card_number", "4242424242424242")]).await;
    assert_eq!(bad_email.status, 400);
    assert!(bad_email.body.contains("Your email address is invalid."));
    assert_eq!(fetch_session(&h, &id).await["payment_intent"], Value::Null);
    assert!(h.emulator.events().is_empty());
}

#[tokio::test]
async fn three_d_secure_shows_complete_and_fail_and_completing_pays() {
    let h = start().await;
    let session = h.create_session(&[]).await;
    let (id, url) = (id_of(&session), session["url"].as_str().unwrap().to_owned());
    let challenged = submit(
        &h,
        &format!("{url}/pay"),
        &[("email", "ada@example.com"), ("card_number", "4000002500003155")],
    )
    .await;
    assert_eq!(challenged.status, 303);
    let challenge_url = format!("{url}/three_d_secure");
    assert_eq!(challenged.header("location"), Some(challenge_url.as_str()));
    let challenge = page(&h, &challenge_url).await;
    assert_eq!(challenge.status, 200);
    assert!(challenge.body.contains(&format!("<form method=\"post\" action=\"{challenge_url}\">")));
    assert!(challenge.body.contains("name=\"action\" value=\"complete\""));
    assert!(challenge.body.contains("name=\"action\" value=\"fail\""));
    assert!(challenge.body.contains("49.00 USD"));
    assert_eq!(session_state(&h, &id).await, ("open".into(), "unpaid".into()));

    let completed = submit(&h, &challenge_url, &[("action", "complete")]).await;
    assert_eq!(completed.status, 303);
    assert_eq!(completed.header("location"), Some(success_location(&id).as_str()));
    assert_eq!(session_state(&h, &id).await, ("complete".into(), "paid".into()));
    // Nothing is pending any more: the challenge page sends the browser back to the session's page.
    let stale = page(&h, &challenge_url).await;
    assert_eq!(stale.status, 303);
    assert_eq!(stale.header("location"), Some(url.as_str()));
}

#[tokio::test]
async fn a_failed_three_d_secure_shows_the_error_and_the_session_stays_open() {
    let h = start().await;
    let session = h.create_session(&[]).await;
    let (id, url) = (id_of(&session), session["url"].as_str().unwrap().to_owned());
    submit(&h, &format!("{url}/pay"), &[("email", "ada@example.com"), ("card_number", "4000002500003155")])
        .await;
    let failed = submit(&h, &format!("{url}/three_d_secure"), &[("action", "fail")]).await;
    assert_eq!(failed.status, 402);
    assert!(failed.body.contains("We are unable to authenticate your payment method."));
    assert!(failed.body.contains(&format!("action=\"{url}/pay\"")));
    assert_eq!(session_state(&h, &id).await, ("open".into(), "unpaid".into()));
    let retried = submit(
        &h,
        &format!("{url}/pay"),
        &[("email", "ada@example.com"), ("card_number", "4242424242424242")],
    )
    .await;
    assert_eq!(retried.status, 303);
}

#[tokio::test]
async fn a_delayed_bank_debit_completes_unpaid_then_settles_from_the_page() {
    let h = start().await;
    let session = h.create_session(&[]).await;
    let (id, url) = (id_of(&session), session["url"].as_str().unwrap().to_owned());
    let submitted =
        submit(&h, &format!("{url}/pay"), &[("email", "ada@example.com"), ("method", "delayed")]).await;
    assert_eq!(submitted.status, 303);
    assert_eq!(submitted.header("location"), Some(success_location(&id).as_str()));
    assert_eq!(session_state(&h, &id).await, ("complete".into(), "unpaid".into()));

    let processing = page(&h, &url).await;
    assert_eq!(processing.status, 200);
    assert!(processing.body.contains("Payment processing"));
    assert!(processing.body.contains(&format!("<form method=\"post\" action=\"{url}/settle\">")));
    assert!(processing.body.contains("value=\"succeed\"") && processing.body.contains("value=\"fail\""));

    let settled = submit(&h, &format!("{url}/settle"), &[("outcome", "succeed")]).await;
    assert_eq!(settled.status, 303);
    assert_eq!(settled.header("location"), Some(url.as_str()));
    assert_eq!(session_state(&h, &id).await, ("complete".into(), "paid".into()));
    assert_eq!(h.events_of("checkout.session.async_payment_succeeded").len(), 1);
    let nothing_left = submit(&h, &format!("{url}/settle"), &[("outcome", "fail")]).await;
    assert_eq!(nothing_left.status, 400);
    assert!(h.events_of("checkout.session.async_payment_failed").is_empty());
}

#[tokio::test]
async fn a_delayed_bank_debit_that_fails_from_the_page_leaves_the_session_unpaid() {
    let h = start().await;
    let session = h.create_session(&[]).await;
    let (id, url) = (id_of(&session), session["url"].as_str().unwrap().to_owned());
    submit(&h, &format!("{url}/pay"), &[("email", "ada@example.com"), ("method", "delayed")]).await;
    let unknown = submit(&h, &format!("{url}/settle"), &[("outcome", "maybe")]).await;
    assert_eq!(unknown.status, 400, "an unknown outcome settles nothing");
    let failed = submit(&h, &format!("{url}/settle"), &[("outcome", "fail")]).await;
    assert_eq!(failed.status, 303);
    assert_eq!(session_state(&h, &id).await, ("complete".into(), "unpaid".into()));
    assert_eq!(h.events_of("checkout.session.async_payment_failed").len(), 1);
    let after = page(&h, &url).await;
    assert!(after.body.contains("Payment failed"));
}

#[tokio::test]
async fn an_expired_or_unknown_session_has_no_form() {
    let h = start().await;
    let session = h.create_session(&[]).await;
    let url = session["url"].as_str().unwrap().to_owned();
    h.emulator.expire_session(&id_of(&session)).unwrap();
    let expired = page(&h, &url).await;
    assert_eq!(expired.status, 410);
    assert!(expired.body.contains("This Checkout Session has expired"));
    assert!(expired.body.contains("href=\"https://shop.test/cart\""));
    assert!(!expired.body.contains("<form"));
    let pay = submit(
        &h,
        &format!("{url}/pay"),
        &[("email", "ada@example.com"), ("card_number", "4242424242424242")],
    )
    .await;
    assert_ne!(pay.status, 303);
    assert!(h.events_of("charge.succeeded").is_empty());
    let unknown = answer(h.request(Method::GET, "/checkout/cs_test_unknown")).await;
    assert_eq!(unknown.status, 404);
}
