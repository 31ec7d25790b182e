use payments_tests::events::Payment;
use payments_tests::{spawn_app, TestOptions};
use serde_json::Value;

#[tokio::test]
async fn with_postgres_down_a_webhook_gets_503_and_the_redelivery_applies_once_it_is_back() {
    let app = spawn_app(TestOptions { through_db_proxy: true, ..TestOptions::default() }).await;
    let (order_id, session_id) = app.checkout(2200).await;
    let payment = Payment::new(&order_id, &session_id, 2200);
    let event = payment.session_completed("paid");
    let proxy = app.db_proxy.as_ref().unwrap();

    proxy.disable();
    let response = app.send_event(&event).await;
    assert_eq!(response.status(), 503, "Stripe must retry");
    assert!(response.headers().get("retry-after").is_some());
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "store_unavailable");
    let ready = app.client.get(format!("{}/readyz", app.address)).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    assert_eq!(app.stored_events(event["id"].as_str().unwrap()).await, 0, "nothing was committed");

    proxy.enable();
    let mut redelivered = app.send_event(&event).await;
    // The pool may need a moment to replace the connections that were cut.
    for _ in 0..20 {
        if redelivered.status() == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        redelivered = app.send_event(&event).await;
    }
    assert_eq!(redelivered.status(), 200);
    assert_eq!(app.status(&order_id).await, "paid");
    assert_eq!(app.stored_events(event["id"].as_str().unwrap()).await, 1);
}
