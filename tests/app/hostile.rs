//! Hostile input over real HTTP: random methods, paths, headers and bodies of random sizes. Whatever comes in,
//! the service answers with no 5xx but the documented 502 and 503, and every error in the JSON error shape.

use payments_tests::{spawn_app, TestApp, TestOptions, ADMIN_KEY};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;

/// The routes the service has, and a few it has not.
const PATHS: &[&str] = &[
    "/",
    "/success",
    "/cancel",
    "/healthz",
    "/readyz",
    "/webhook",
    "/api/v1/webhooks/stripe",
    "/create-checkout-session",
    "/api/v1/checkout/sessions",
    "/api/v1/checkout/sessions/cs_test_1",
    "/api/v1/orders",
    "/api/v1/orders/0190c0de-0000-7000-8000-000000000001",
    "/api/v1/admin/orders",
    "/api/v1/products",
    "/api/v1/products/course/purchase-status",
    "/api/v1/purchases",
    "/storefront/shop.js",
    "/nothing/here",
];

/// One request as the strategy makes it.
#[derive(Debug, Clone)]
struct Hostile {
    method: &'static str,
    path: String,
    query: Option<String>,
    content_type: Option<&'static str>,
    authorization: Option<String>,
    signature: Option<String>,
    body: Vec<u8>,
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,40}",
        "\\PC{0,20}",
        Just("t=1,v1=00".to_owned()),
        Just(format!("Bearer {ADMIN_KEY}")),
        Just("Bearer a.b.c".to_owned()),
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    let json = prop_oneof![
        Just(r#"{"email":"a@example.com","cartItems":[{"name":"A","price":100,"quantity":1}]}"#.to_owned()),
        Just(r#"{"items":[{"sku":"course","quantity":1}],"email":"a@example.com"}"#.to_owned()),
        Just(r#"{"id":"evt_1","type":"checkout.session.completed","data":{"object":{}}}"#.to_owned()),
        Just(r#"{"cartItems":[{"name":"","price":-1,"quantity":1e400}]}"#.to_owned()),
        Just(r#"{"items":[{"price_id":null,"sku":{"a":[]}}]}"#.to_owned()),
        Just("[".repeat(5000)),
    ];
    prop_oneof![
        Just(Vec::new()),
        proptest::collection::vec(any::<u8>(), 0..512),
        json.prop_map(String::into_bytes),
        (1usize..3_000_000).prop_map(|n| vec![b'{'; n]),
    ]
}

fn hostile() -> impl Strategy<Value = Hostile> {
    let method = prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]);
    let path = prop_oneof![
        prop::sample::select(PATHS).prop_map(str::to_owned),
        (prop::sample::select(PATHS), "[a-zA-Z0-9%._~-]{0,30}").prop_map(|(p, s)| format!("{p}/{s}")),
    ];
    let content_type = prop::option::of(prop::sample::select(vec![
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ]));
    (
        method,
        path,
        prop::option::of("[ -~]{0,40}"),
        content_type,
        prop::option::of(text()),
        prop::option::of(text()),
        body(),
    )
        .prop_map(|(method, path, query, content_type, authorization, signature, body)| Hostile {
            method,
            path,
            query,
            content_type,
            authorization,
            signature,
            body,
        })
}

/// Sends `request`; fails the case on a 5xx other than 502/503 or an error outside the JSON shape.
async fn check(app: &TestApp, request: Hostile) -> Result<(), TestCaseError> {
    let mut url = reqwest::Url::parse(&format!("{}{}", app.address, request.path)).expect("a URL");
    if let Some(query) = &request.query {
        url.set_query(Some(query));
    }
    let method = reqwest::Method::from_bytes(request.method.as_bytes()).expect("a method");
    let mut builder = app.client.request(method, url).body(request.body.clone());
    for (name, value) in [
        ("content-type", request.content_type.map(str::to_owned)),
        ("authorization", request.authorization.clone()),
        ("stripe-signature", request.signature.clone()),
    ] {
        if let Some(value) = value.filter(|v| reqwest::header::HeaderValue::from_str(v).is_ok()) {
            builder = builder.header(name, value);
        }
    }
    let response = builder.send().await.map_err(|e| TestCaseError::fail(format!("no answer: {e}")))?;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    prop_assert!(status < 500 || status == 502 || status == 503, "{status} for {request:?}: {text}");
    if status >= 400 && request.method != "HEAD" {
        let body: Value = serde_json::from_str(&text)
            .map_err(|_| TestCaseError::fail(format!("{status} is not JSON for {request:?}: {text:.200}")))?;
        prop_assert!(
            body["error"]["code"].is_string() && body["error"]["message"].is_string(),
            "{status} not in the error shape for {request:?}: {text:.200}"
        );
    }
    Ok(())
}

#[test]
fn random_requests_get_no_undocumented_5xx_and_every_error_in_the_json_shape() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let app = runtime.block_on(spawn_app(TestOptions::default()));
    let cases = std::env::var("HOSTILE_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(300);
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    runner.run(&hostile(), |request| runtime.block_on(check(&app, request))).unwrap();
}
