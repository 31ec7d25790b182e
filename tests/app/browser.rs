//! The storefront in headless Chromium (Debian's `chromium`, driven by playwright-core from
//! `tests/browser`): add to cart, Pay, card 4242 4242 4242 4242 on the emulated checkout page, and the
//! success page showing the order paid; and a signed-in customer subscribing to the monthly price and seeing
//! the subscription grant the product. `make test` installs what this needs; without it, this fails with
//! a message saying what is missing, never skips.

use payments_tests::{spawn_app, user_token, TestOptions};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// Runs `script` (in `tests/browser`) with `args` in headless Chromium and reads the JSON line it prints last.
/// Fails, saying what is missing, without Chromium, playwright-core or Node.js.
async fn run_in_browser(script: &str, args: &[&str]) -> Value {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("browser");
    let chromium = std::env::var("CHROMIUM_PATH").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    assert!(
        Path::new(&chromium).exists(),
        "the browser test needs Chromium at {chromium}: run `make browser-deps` (apt-get install chromium) or set \
         CHROMIUM_PATH"
    );
    assert!(
        dir.join("node_modules/playwright-core").exists(),
        "the browser test needs playwright-core: run `make browser-deps` (npm ci in tests/browser)"
    );

    let (script, args) = (script.to_owned(), args.iter().map(|arg| arg.to_string()).collect::<Vec<_>>());
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node").arg(script).args(args).current_dir(dir).env("CHROMIUM_PATH", chromium).output()
    })
    .await
    .expect("the browser run")
    .expect("the browser test needs Node.js (`node` on PATH): install Debian's nodejs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the browser run failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.lines().last().expect("a result line")).expect("json")
}

#[tokio::test]
async fn a_customer_pays_in_a_real_browser_and_sees_the_order_paid() {
    let app = spawn_app(TestOptions { emulated: true, ..TestOptions::default() }).await;
    let seen = run_in_browser("checkout.mjs", &[&app.address]).await;
    assert_eq!(seen["status"], "paid");
    let session = seen["sessionId"].as_str().expect("session id");
    let order: Value = app
        .client
        .get(format!("{}/api/v1/checkout/sessions/{session}", app.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(order["status"], "paid");
    assert_eq!(order["amount"], 5200);
    assert_eq!(order["email"], "browser@example.com");
}

#[tokio::test]
async fn a_signed_in_customer_subscribes_in_a_real_browser_and_sees_access_granted() {
    let app = spawn_app(TestOptions { emulated: true, ..TestOptions::default() }).await;
    let token = user_token("browser-subscriber", Some("subscriber@example.com"));
    let seen = run_in_browser("subscribe.mjs", &[&app.address, &token]).await;
    assert_eq!(seen["status"], "paid", "{seen}");
    assert!(seen["access"].as_str().unwrap().contains("completed (subscription active"), "{seen}");
    let (status, purchase) = {
        let response = app.get_as("/api/v1/products/rust-course/purchase-status", Some(&token)).await;
        (response.status(), response.json::<Value>().await.unwrap())
    };
    assert_eq!((status.as_u16(), purchase["status"].as_str()), (200, Some("completed")), "{purchase}");
    assert_eq!(purchase["subscription"]["status"], "active");
}
