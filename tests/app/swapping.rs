//! The README's "Swapping adapters in your own tests" example, kept compiling and passing: the HTTP app
//! with the SQLite store and a mockall mock in place of Stripe.

use actix_web::{test, App};
use payments_domain::ports::billing_gateway::MockBillingGateway;
use payments_domain::ports::payment_gateway::MockPaymentGateway;
use payments_domain::ports::refund_gateway::MockRefundGateway;
use payments_domain::{
    CheckoutSession, CheckoutSessionId, CheckoutSettings, Currency, EventScope, Ports, RefundSettings,
    Services, SystemClock,
};
use payments_sqlite::{SqliteStore, SqliteStoreOptions};
use payments_stripe::StripeWebhookVerifier;
use secrecy::SecretString;
use std::sync::Arc;
use std::time::Duration;

#[actix_web::test]
async fn a_team_swaps_the_store_and_the_payment_gateway() {
    let dir = std::env::temp_dir().join(format!("payments-example-{}", uuid::Uuid::new_v4()));
    let url = format!("sqlite://{}/orders.db", dir.display());

    // --- the README example starts here ---
    let store = SqliteStore::connect(&url, &SqliteStoreOptions::default()).await.unwrap();
    store.migrate().await.unwrap();

    let mut gateway = MockPaymentGateway::new();
    gateway.expect_create_checkout_session().times(1).returning(|request| {
        assert_eq!(request.order.amount().minor(), 4900);
        Ok(CheckoutSession {
            id: CheckoutSessionId::parse("cs_test_fake").unwrap(),
            url: "https://pay.example/cs_test_fake".parse().unwrap(),
            expires_at: None,
        })
    });
    let verifier =
        StripeWebhookVerifier::new(vec![SecretString::from("whsec_test")], Duration::from_secs(300)).unwrap();

    // One adapter serves the six storage ports.
    let store = Arc::new(store);
    let services = Services::new(
        Ports {
            orders: store.clone(),
            outbox: store.clone(),
            reconcile: store.clone(),
            events: Arc::new(payments_domain::ports::event_source::MockEventSource::new()),
            subscriptions: store.clone(),
            catalog: store.clone(),
            customers: store,
            gateway: Arc::new(gateway),
            billing: Arc::new(MockBillingGateway::new()),
            refunds: Arc::new(MockRefundGateway::new()),
            verifier: Arc::new(verifier),
            clock: Arc::new(SystemClock),
        },
        CheckoutSettings {
            currency: Currency::USD,
            success_url: "https://shop.example/success?session_id={CHECKOUT_SESSION_ID}".into(),
            cancel_url: "https://shop.example/cancel".into(),
            portal_return_url: "https://shop.example/".into(),
            // This store's catalog is empty: trust the cart's prices, as the seed does.
            allow_client_prices: true,
            allow_guest_checkout: true,
            session_ttl: chrono::Duration::hours(24),
        },
        EventScope::default(),
        RefundSettings::default(),
        payments_domain::ReconcileSettings::default(),
    );
    let app = test::init_service(
        App::new().configure(payments_http::configure(services, payments_http::HttpOptions::default())),
    )
    .await;

    let request = test::TestRequest::post()
        .uri("/create-checkout-session")
        .set_json(serde_json::json!({
            "email": "ada@example.com",
            "cartItems": [{"name": "Rust course", "price": 4900, "quantity": 1}]
        }))
        .to_request();
    let created: serde_json::Value = test::call_and_read_body_json(&app, request).await;
    assert_eq!(created["url"], "https://pay.example/cs_test_fake");
    // --- the README example ends here ---

    let order = test::TestRequest::get().uri("/api/v1/checkout/sessions/cs_test_fake").to_request();
    let order: serde_json::Value = test::call_and_read_body_json(&app, order).await;
    assert_eq!(order["status"], "pending");
    assert_eq!(order["id"], created["orderId"]);
    let _ = std::fs::remove_dir_all(dir);
}
