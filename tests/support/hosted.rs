//! Driving the emulator's hosted checkout page as a customer's browser would (form posts, no JavaScript),
//! and waiting for the service to see the outcome through its webhooks.

use crate::TestApp;
use payments_stripe_emulator::Emulator;
use reqwest::header::LOCATION;
use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;

/// A checkout started through the service, with the hosted page it leads to.
#[derive(Debug, Clone)]
pub struct HostedCheckout {
    /// Our order id.
    pub order_id: String,
    /// `cs_test_...`
    pub session_id: String,
    /// The hosted page (`session.url`).
    pub url: String,
}

/// What a form post on the hosted page answered.
#[derive(Debug)]
pub struct PageAnswer {
    /// Status code (303 on redirects).
    pub status: StatusCode,
    /// `Location` of a redirect.
    pub location: Option<String>,
    /// The HTML.
    pub body: String,
}

impl TestApp {
    /// The in-process emulator (panics if the app was not started with `emulated`).
    pub fn emulator(&self) -> &Emulator {
        self.emulator.as_deref().expect("the app runs the Stripe emulator")
    }

    /// Starts a checkout for `quantity` × `unit` cents and returns where it leads.
    pub async fn hosted_checkout(&self, unit: i64, quantity: i64) -> HostedCheckout {
        let response = self
            .post_checkout(&serde_json::json!({
                "email": "grace@example.com",
                "cartItems": [{"name": "Compiler course", "price": unit, "quantity": quantity}]
            }))
            .await;
        let status = response.status();
        let body: Value = response.json().await.expect("json");
        assert_eq!(status, 201, "checkout should succeed: {body}");
        let url = body["url"].as_str().expect("url").to_owned();
        assert!(url.starts_with(self.emulator().base_url().as_str()), "{url} leads to the emulator");
        HostedCheckout {
            order_id: body["orderId"].as_str().expect("orderId").to_owned(),
            session_id: body["sessionId"].as_str().expect("sessionId").to_owned(),
            url,
        }
    }

    /// Posts a form on the hosted page (`path` after the session URL: `/pay`, `/three_d_secure`, `/settle`).
    pub async fn post_page(
        &self,
        checkout: &HostedCheckout,
        path: &str,
        form: &[(&str, &str)],
    ) -> PageAnswer {
        let response = self
            .client
            .post(format!("{}{path}", checkout.url))
            .form(form)
            .send()
            .await
            .expect("hosted page request");
        let status = response.status();
        let location = response.headers().get(LOCATION).map(|v| v.to_str().expect("location").to_owned());
        let body = response.text().await.expect("page body");
        PageAnswer { status, location, body }
    }

    /// Pays on the hosted page with `card` (as typed, spaces allowed).
    pub async fn pay_with_card(&self, checkout: &HostedCheckout, card: &str) -> PageAnswer {
        self.post_page(
            checkout,
            "/pay",
            &[
                ("email", "grace@example.com"),
                ("method", "card"),
                ("card_number", card),
                ("card_expiry", "12 / 34"),
                ("card_cvc", "123"),
            ],
        )
        .await
    }

    /// Chooses the delayed bank debit on the hosted page.
    pub async fn pay_by_bank_debit(&self, checkout: &HostedCheckout) -> PageAnswer {
        self.post_page(checkout, "/pay", &[("email", "grace@example.com"), ("method", "delayed")]).await
    }

    /// Waits until every webhook delivery the emulator has queued is done, then until the order has
    /// `expected` status; panics with the last status seen after `timeout`.
    pub async fn wait_for_status(&self, order_id: &str, expected: &str) -> Value {
        let timeout = Duration::from_secs(15);
        self.emulator().wait_for_deliveries(timeout).await;
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let order = self.order(order_id).await;
            if order["status"] == expected {
                return order;
            }
            if tokio::time::Instant::now() > deadline {
                panic!("order {order_id} should become {expected}, but is {}", order["status"]);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Calls the emulator's Stripe API (`/v1/...`) with a test key: form-encoded POST when `form` is given.
    pub async fn stripe_api(&self, method: reqwest::Method, path: &str, form: &[(&str, &str)]) -> Value {
        let url = format!("{}v1/{path}", self.emulator().base_url());
        let mut request = self.client.request(method, url).bearer_auth("sk_test_whole_app");
        if !form.is_empty() {
            request = request.form(form);
        }
        let response = request.send().await.expect("stripe api request");
        let status = response.status();
        let body: Value = response.json().await.expect("stripe api json");
        assert!(status.is_success(), "Stripe API {path} answered {status}: {body}");
        body
    }

    /// Every event the service stored, as (id, type, outcome), and asserts none is stored twice.
    pub async fn stored_event_rows(&self) -> Vec<(String, String, String)> {
        let rows =
            self.db.text_rows("SELECT id, type, outcome FROM stripe_events ORDER BY received_at").await;
        let mut ids: Vec<&String> = rows.iter().map(|(id, _, _)| id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), rows.len(), "an event id is stored at most once");
        rows
    }
}
