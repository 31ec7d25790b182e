use payments_tests::events::Payment;
use payments_tests::{spawn_app, TestOptions, ADMIN_KEY};
use serde_json::Value;

#[tokio::test]
async fn an_order_reads_in_the_seed_shape() {
    let app = spawn_app(TestOptions::default()).await;
    let (order_id, session_id) = app.checkout(2500).await;
    let payment = Payment::new(&order_id, &session_id, 2500);
    app.deliver(&payment.session_completed("paid")).await;
    let order = app.order(&order_id).await;
    for field in
        ["id", "email", "items", "amount", "currency", "status", "transactionId", "createdAt", "updatedAt"]
    {
        assert!(order.get(field).is_some(), "missing {field} in {order}");
    }
    assert_eq!(order["transactionId"], payment.payment_intent_id.as_str());
    assert_eq!(order["items"][0]["price"], 2500);
    assert!(chrono::DateTime::parse_from_rfc3339(order["createdAt"].as_str().unwrap()).is_ok());
}

#[tokio::test]
async fn unknown_and_malformed_order_ids_get_clear_errors() {
    let app = spawn_app(TestOptions::default()).await;
    let unknown = app
        .client
        .get(format!("{}/api/v1/orders/{}", app.address, uuid::Uuid::now_v7()))
        .bearer_auth(ADMIN_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert_eq!(unknown.json::<Value>().await.unwrap()["error"]["code"], "order_not_found");
    let malformed = app
        .client
        .get(format!("{}/api/v1/orders/not-a-uuid", app.address))
        .bearer_auth(ADMIN_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    assert_eq!(malformed.json::<Value>().await.unwrap()["error"]["code"], "invalid_order_id");
}

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = spawn_app(TestOptions::default()).await;
    let health = app.client.get(format!("{}/healthz", app.address)).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(health.headers().get("x-request-id").is_some(), "every response carries a request id");
    let ready = app.client.get(format!("{}/readyz", app.address)).send().await.unwrap();
    assert_eq!(ready.status(), 200);
}
