//! API keys (Bearer, HTTP basic), and Stripe's error shape and status codes.

use crate::support::{self, answer, start, start_with, KEY};
use payments_stripe_emulator::EmulatorConfig;
use reqwest::Method;

#[tokio::test]
async fn a_request_without_a_key_gets_401_in_stripes_error_shape() {
    let h = start().await;
    let answer = answer(h.request(Method::GET, "/v1/customers")).await;
    assert!(answer.header("request-id").is_some_and(|id| id.starts_with("req_")));
    let error = answer.error(401);
    assert_eq!(error["type"], "invalid_request_error");
    assert!(error["message"].as_str().unwrap().contains("You did not provide an API key"));
}

#[tokio::test]
async fn a_bearer_test_key_and_basic_auth_with_the_key_as_user_are_both_accepted() {
    let h = start().await;
    let bearer = answer(h.request(Method::GET, "/v1/customers").bearer_auth(KEY)).await;
    assert_eq!(bearer.ok()["object"], "list");
    // curl -u sk_test_…: sends base64("sk_test_…:")
    let basic = answer(h.request(Method::GET, "/v1/customers").basic_auth(KEY, Some(""))).await;
    assert_eq!(basic.ok()["object"], "list");
    let basic_without_colon =
        answer(h.request(Method::GET, "/v1/customers").basic_auth(KEY, None::<&str>)).await;
    assert_eq!(basic_without_colon.ok()["object"], "list");
}

#[tokio::test]
async fn live_publishable_unknown_and_malformed_credentials_get_401_and_the_key_is_never_echoed_whole() {
    let h = start().await;
    let secret_looking = "sk_live_51SuperSecretValue1234";
    for header in [
        format!("Bearer {secret_looking}"),
        "Bearer pk_test_123456789".to_owned(),
        "Token sk_test_123".to_owned(),
        "Basic !!!not-base64".to_owned(),
        "Bearer".to_owned(),
    ] {
        let answer = answer(h.request(Method::GET, "/v1/customers").header("Authorization", &header)).await;
        assert!(!answer.body.contains(secret_looking), "{}", answer.body);
        let error = answer.error(401);
        assert_eq!(error["type"], "invalid_request_error", "{header}");
    }
}

#[tokio::test]
async fn configured_keys_are_the_only_keys_accepted() {
    let config =
        EmulatorConfig { api_keys: vec!["sk_test_only_this".to_owned()], ..EmulatorConfig::for_tests() };
    let h = start_with(config).await;
    let other = answer(h.request(Method::GET, "/v1/customers").bearer_auth(KEY)).await;
    assert!(other.error(401)["message"].as_str().unwrap().starts_with("Invalid API Key provided"));
    let configured = answer(h.request(Method::GET, "/v1/customers").bearer_auth("sk_test_only_this")).await;
    assert_eq!(configured.ok()["object"], "list");
}

#[tokio::test]
async fn a_missing_object_is_a_404_resource_missing_naming_it() {
    let h = start().await;
    for (path, what) in [
        ("/v1/customers/cus_missing", "customer"),
        ("/v1/products/prod_missing", "product"),
        ("/v1/prices/price_missing", "price"),
        ("/v1/checkout/sessions/cs_test_missing", "checkout.session"),
        ("/v1/payment_intents/pi_missing", "payment_intent"),
        ("/v1/charges/ch_missing", "charge"),
        ("/v1/refunds/re_missing", "refund"),
        ("/v1/events/evt_missing", "event"),
        ("/v1/disputes/dp_missing", "dispute"),
        ("/v1/webhook_endpoints/we_missing", "webhook_endpoint"),
    ] {
        let error = h.get(path).await.error(404);
        let id = path.rsplit('/').next().unwrap();
        assert_eq!(error["code"], "resource_missing", "{path}");
        assert_eq!(error["param"], "id", "{path}");
        assert_eq!(error["message"], format!("No such {what}: '{id}'"), "{path}");
    }
}

#[tokio::test]
async fn an_unknown_path_or_method_is_a_404_unrecognized_url() {
    let h = start().await;
    let error = h.get("/v1/quotes").await.error(404);
    assert_eq!(error["message"], "Unrecognized request URL (GET: /v1/quotes).");
    let error = h.delete("/v1/customers").await.error(404);
    assert_eq!(error["message"], "Unrecognized request URL (DELETE: /v1/customers).");
}

#[tokio::test]
async fn a_missing_or_unknown_parameter_is_a_400_naming_the_parameter() {
    let h = start().await;
    let error = h
        .post("/v1/checkout/sessions", &[("mode", "payment"), ("success_url", "https://shop.test/ok")])
        .await;
    let error = error.error(400);
    assert_eq!(
        (error["code"].as_str(), error["param"].as_str()),
        (Some("parameter_missing"), Some("line_items"))
    );

    let error = h.post("/v1/customers", &[("emali", "typo@example.com")]).await.error(400);
    assert_eq!((error["code"].as_str(), error["param"].as_str()), (Some("parameter_unknown"), Some("emali")));

    let error = h
        .post("/v1/products", &[("name", "x"), ("package_dimensions[weight]", "1"), ("nope[deep]", "1")])
        .await;
    assert_eq!(error.error(400)["param"], "nope");

    let error = h.post("/v1/prices", &[("currency", "usd"), ("product_data[name]", "x")]).await.error(400);
    assert_eq!(error["param"], "unit_amount");
    assert_eq!(error["message"], "Missing required param: unit_amount.");
}

#[tokio::test]
async fn a_bad_value_is_a_400_invalid_request_error_with_its_param() {
    let h = start().await;
    let error = h.post("/v1/customers", &[("email", "not-an-email")]).await.error(400);
    assert_eq!(
        (error["type"].as_str(), error["param"].as_str()),
        (Some("invalid_request_error"), Some("email"))
    );

    let error = h
        .post("/v1/prices", &[("currency", "usd"), ("unit_amount", "ten"), ("product_data[name]", "x")])
        .await;
    let error = error.error(400);
    assert_eq!(
        (error["code"].as_str(), error["param"].as_str()),
        (Some("parameter_invalid_integer"), Some("unit_amount"))
    );

    let error = h.get("/v1/customers?limit=1000").await.error(400);
    assert_eq!(error["param"], "limit");

    let error =
        h.post("/v1/prices", &[("currency", "usd"), ("unit_amount", "100"), ("product", "prod_nope")]).await;
    let error = error.error(400);
    assert_eq!(
        (error["code"].as_str(), error["param"].as_str()),
        (Some("resource_missing"), Some("product"))
    );
}

#[tokio::test]
async fn a_declined_card_is_a_402_card_error_with_its_decline_code() {
    let h = start().await;
    let session = h.create_session(&[("customer_email", "ada@example.com")]).await;
    let id = support::id_of(&session);
    let error =
        h.control(&format!("checkout/sessions/{id}/pay"), &[("card", "4000000000009995")]).await.error(402);
    assert_eq!(error["type"], "card_error");
    assert_eq!(error["code"], "card_declined");
    assert_eq!(error["decline_code"], "insufficient_funds");
    assert_eq!(error["message"], "Your card has insufficient funds.");
    assert!(error["charge"].as_str().unwrap().starts_with("ch_"));
    assert_eq!(error["payment_intent"]["status"], "requires_payment_method");
}
