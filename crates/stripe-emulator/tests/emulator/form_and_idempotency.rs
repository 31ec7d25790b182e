//! Stripe's form encoding (bracket nesting, indexed and `[]` arrays) and Idempotency-Key replays.

use crate::support::{answer, id_of, start};
use reqwest::Method;

#[tokio::test]
async fn nested_brackets_and_indexed_arrays_decode_as_stripe_node_sends_them() {
    let h = start().await;
    let session = h
        .create_session(&[
            ("metadata[order_id]", "ord_42"),
            ("metadata[note]", "a b&c=d"),
            ("payment_intent_data[metadata][order_id]", "ord_42"),
            ("client_reference_id", "ord_42"),
        ])
        .await;
    assert_eq!(session["amount_total"], 2 * 1250 + 2400);
    assert_eq!(session["currency"], "usd");
    assert_eq!(session["metadata"], serde_json::json!({ "order_id": "ord_42", "note": "a b&c=d" }));
    let items = h.get(&format!("/v1/checkout/sessions/{}/line_items", id_of(&session))).await.ok();
    let data = items["data"].as_array().unwrap();
    let lines: Vec<_> = data
        .iter()
        .map(|i| {
            (
                i["description"].as_str().unwrap(),
                i["quantity"].as_i64().unwrap(),
                i["amount_total"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(lines, [("Espresso cup", 2, 2500), ("Beans 1kg", 1, 2400)]);
    assert_eq!(data[0]["price"]["unit_amount"], 1250);
}

#[tokio::test]
async fn unencoded_brackets_plus_signs_and_indices_out_of_order_decode_too() {
    let h = start().await;
    let body = "line_items[1][quantity]=1&line_items[1][price_data][currency]=usd\
                &line_items[1][price_data][unit_amount]=700&line_items[1][price_data][product_data][name]=Second\
                &line_items[0][quantity]=3&line_items[0][price_data][currency]=usd\
                &line_items[0][price_data][unit_amount]=100&line_items[0][price_data][product_data][name]=First+item\
                &success_url=https%3A%2F%2Fshop.test%2Fok&mode=payment";
    let request = h
        .api(Method::POST, "/v1/checkout/sessions")
        .header("Content-Type", "application/x-www-form-urlencoded");
    let session = answer(request.body(body)).await.ok();
    assert_eq!(session["amount_total"], 3 * 100 + 700);
    assert_eq!(session["success_url"], "https://shop.test/ok");
    let items = h.get(&format!("/v1/checkout/sessions/{}/line_items", id_of(&session))).await.ok();
    assert_eq!(items["data"][0]["description"], "First item");
    assert_eq!(items["data"][1]["description"], "Second");
}

#[tokio::test]
async fn expand_works_as_an_indexed_array_and_as_empty_brackets() {
    let h = start().await;
    let paid = h.paid_session("4242424242424242", &[]).await;
    let id = id_of(&paid);
    assert!(paid["payment_intent"].as_str().unwrap().starts_with("pi_"));
    for query in ["expand[]=payment_intent", "expand[0]=payment_intent", "expand%5B%5D=payment_intent"] {
        let session = h.get(&format!("/v1/checkout/sessions/{id}?{query}")).await.ok();
        assert_eq!(session["payment_intent"]["object"], "payment_intent", "{query}");
        assert_eq!(session["payment_intent"]["status"], "succeeded", "{query}");
    }
    let nested = h
        .get(&format!("/v1/checkout/sessions/{id}?expand[]=payment_intent.latest_charge&expand[]=line_items"))
        .await
        .ok();
    assert_eq!(nested["payment_intent"]["latest_charge"]["object"], "charge");
    assert_eq!(nested["line_items"]["object"], "list");
    assert_eq!(nested["line_items"]["data"].as_array().unwrap().len(), 2);
    let error = h.get(&format!("/v1/checkout/sessions/{id}?expand[]=success_url")).await.error(400);
    assert_eq!(error["param"], "expand");
}

#[tokio::test]
async fn a_key_used_as_both_a_value_and_a_hash_is_a_400() {
    let h = start().await;
    let request =
        h.api(Method::POST, "/v1/customers").header("Content-Type", "application/x-www-form-urlencoded");
    let error = answer(request.body("metadata=x&metadata[a]=b")).await.error(400);
    assert_eq!(error["type"], "invalid_request_error");
}

#[tokio::test]
async fn metadata_keys_are_set_removed_by_an_empty_value_and_cleared_by_an_empty_hash() {
    let h = start().await;
    let customer = h.post("/v1/customers", &[("metadata[a]", "1"), ("metadata[b]", "2")]).await.ok();
    let path = format!("/v1/customers/{}", id_of(&customer));
    let updated = h.post(&path, &[("metadata[a]", ""), ("metadata[c]", "3")]).await.ok();
    assert_eq!(updated["metadata"], serde_json::json!({ "b": "2", "c": "3" }));
    let cleared = h.post(&path, &[("metadata", "")]).await.ok();
    assert_eq!(cleared["metadata"], serde_json::json!({}));
    let too_long = "x".repeat(41);
    let error = h.post(&path, &[(&format!("metadata[{too_long}]"), "v")]).await.error(400);
    assert_eq!(error["param"], format!("metadata[{too_long}]"));
}

#[tokio::test]
async fn the_same_key_with_the_same_parameters_replays_the_first_answer_and_creates_nothing_new() {
    let h = start().await;
    let params = [("email", "ada@example.com"), ("name", "Ada"), ("metadata[order_id]", "1")];
    let first = h.post_idempotent("/v1/customers", &params, "create-ada-1").await;
    assert_eq!(first.status, 200);
    assert_eq!(first.header("idempotency-key"), Some("create-ada-1"));
    assert!(first.header("idempotent-replayed").is_none());
    // Same parameters in another order are the same request.
    let reordered = [params[2], params[0], params[1]];
    let second = h.post_idempotent("/v1/customers", &reordered, "create-ada-1").await;
    assert_eq!(second.status, 200);
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    assert_eq!(second.header("request-id"), first.header("request-id"));
    assert_eq!(second.body, first.body);
    let listed = h.get("/v1/customers?email=ada@example.com").await.ok();
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    assert_eq!(h.events_of("customer.created").len(), 1);
}

#[tokio::test]
async fn the_same_key_with_other_parameters_or_another_path_is_a_400_idempotency_error() {
    let h = start().await;
    h.post_idempotent("/v1/customers", &[("email", "ada@example.com")], "key-1").await.ok();
    let answer = h.post_idempotent("/v1/customers", &[("email", "bob@example.com")], "key-1").await;
    assert!(answer.header("idempotent-replayed").is_none());
    let error = answer.error(400);
    assert_eq!(error["type"], "idempotency_error");
    assert!(error["message"].as_str().unwrap().contains("key-1"));
    let error = h.post_idempotent("/v1/products", &[("email", "ada@example.com")], "key-1").await.error(400);
    assert_eq!(error["type"], "idempotency_error");
    assert_eq!(h.events_of("customer.created").len(), 1);
}

#[tokio::test]
async fn a_refused_request_is_not_stored_under_its_key() {
    let h = start().await;
    h.post_idempotent("/v1/customers", &[("email", "not-an-email")], "retry-me").await.error(400);
    let fixed = h.post_idempotent("/v1/customers", &[("email", "ada@example.com")], "retry-me").await;
    assert_eq!(fixed.status, 200);
    assert!(fixed.header("idempotent-replayed").is_none());
}

#[tokio::test]
async fn idempotency_keys_belong_to_one_api_key_and_to_post_requests_only() {
    let h = start().await;
    let first = h.post_idempotent("/v1/customers", &[("email", "a@example.com")], "shared-key").await.ok();
    let other_key = h
        .request(Method::POST, "/v1/customers")
        .bearer_auth("sk_test_another_account")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Idempotency-Key", "shared-key")
        .body("email=b%40example.com");
    let other = answer(other_key).await.ok();
    assert_ne!(other["id"], first["id"]);
    let get = answer(
        h.api(Method::GET, &format!("/v1/customers/{}", id_of(&first)))
            .header("Idempotency-Key", "shared-key"),
    )
    .await;
    assert!(get.header("idempotent-replayed").is_none());
    assert_eq!(get.ok()["email"], "a@example.com");
}

#[tokio::test]
async fn a_replayed_session_creation_returns_the_same_session() {
    let h = start().await;
    let params = [
        ("mode", "payment"),
        ("success_url", "https://shop.test/ok"),
        ("line_items[0][price_data][currency]", "eur"),
        ("line_items[0][price_data][unit_amount]", "990"),
        ("line_items[0][price_data][product_data][name]", "Tea"),
        ("line_items[0][quantity]", "1"),
    ];
    let first = h.post_idempotent("/v1/checkout/sessions", &params, "order-7-checkout").await.ok();
    let again = h.post_idempotent("/v1/checkout/sessions", &params, "order-7-checkout").await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.ok()["id"], first["id"]);
    let sessions = h.get("/v1/checkout/sessions").await.ok();
    assert_eq!(sessions["data"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_retries_with_one_key_create_one_object() {
    let h = start().await;
    let params = [("email", "race@example.com")];
    let send = || h.post_idempotent("/v1/customers", &params, "racing-key");
    let answers = tokio::join!(send(), send(), send(), send(), send(), send());
    let answers = [answers.0, answers.1, answers.2, answers.3, answers.4, answers.5];
    let replayed = answers.iter().filter(|a| a.header("idempotent-replayed") == Some("true")).count();
    assert_eq!(replayed, answers.len() - 1);
    let ids: std::collections::BTreeSet<_> = answers.into_iter().map(|a| id_of(&a.ok())).collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(h.get("/v1/customers?email=race@example.com").await.ok()["data"].as_array().unwrap().len(), 1);
}
