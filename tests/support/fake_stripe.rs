//! A fake Stripe API (wiremock) answering Checkout Session and Customer requests with complete objects.

use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Answers `POST /v1/checkout/sessions` with a new open session echoing the request's metadata and amounts.
#[derive(Debug, Clone, Default)]
pub struct CreatesSessions {
    counter: Arc<AtomicU32>,
}

/// The form fields of a request, decoded.
pub fn form(request: &Request) -> HashMap<String, String> {
    url::form_urlencoded::parse(&request.body).into_owned().collect()
}

/// A complete open Checkout Session as Stripe returns it.
pub fn session_object(id: &str, fields: &HashMap<String, String>) -> Value {
    let now = chrono::Utc::now().timestamp();
    let mut total = 0i64;
    let mut index = 0;
    while let Some(amount) = fields.get(&format!("line_items[{index}][price_data][unit_amount]")) {
        let quantity: i64 =
            fields.get(&format!("line_items[{index}][quantity]")).and_then(|q| q.parse().ok()).unwrap_or(1);
        total += amount.parse::<i64>().unwrap_or(0) * quantity;
        index += 1;
    }
    json!({
        "id": id,
        "object": "checkout.session",
        "amount_subtotal": total,
        "amount_total": total,
        "automatic_tax": {"enabled": false, "liability": null, "status": null},
        "cancel_url": fields.get("cancel_url"),
        "client_reference_id": fields.get("client_reference_id"),
        "created": now,
        "currency": fields.get("line_items[0][price_data][currency]"),
        "custom_fields": [],
        "custom_text": {"after_submit": null, "shipping_address": null, "submit": null, "terms_of_service_acceptance": null},
        "customer": fields.get("customer"),
        "customer_email": fields.get("customer_email"),
        "expires_at": now + 86_400,
        "livemode": false,
        "metadata": {"order_id": fields.get("metadata[order_id]")},
        "mode": "payment",
        "payment_intent": null,
        "payment_method_types": ["card"],
        "payment_status": "unpaid",
        "shipping_options": [],
        "status": "open",
        "success_url": fields.get("success_url"),
        "url": format!("https://checkout.stripe.test/c/pay/{id}"),
    })
}

impl Respond for CreatesSessions {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let n = self.counter.fetch_add(1, Ordering::SeqCst) + 1;
        let id = format!("cs_test_fake{n:06}");
        ResponseTemplate::new(200).set_body_json(session_object(&id, &form(request)))
    }
}

/// Mounts the default happy-path responder.
pub async fn mount_checkout(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/v1/checkout/sessions"))
        .respond_with(CreatesSessions::default())
        .mount(server)
        .await;
}

/// Answers `POST /v1/customers` with a new customer echoing the email and `metadata[user_id]`.
#[derive(Debug, Clone, Default)]
pub struct CreatesCustomers {
    counter: Arc<AtomicU32>,
}

impl Respond for CreatesCustomers {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let n = self.counter.fetch_add(1, Ordering::SeqCst) + 1;
        let fields = form(request);
        ResponseTemplate::new(200).set_body_json(json!({
            "id": format!("cus_fake{n:06}"),
            "object": "customer",
            "balance": 0,
            "created": chrono::Utc::now().timestamp(),
            "delinquent": false,
            "email": fields.get("email"),
            "invoice_prefix": format!("FAKE{n:04}"),
            "invoice_settings": {"custom_fields": null, "default_payment_method": null, "footer": null, "rendering_options": null},
            "livemode": false,
            "metadata": {"user_id": fields.get("metadata[user_id]")},
            "next_invoice_sequence": 1,
            "preferred_locales": [],
            "tax_exempt": "none",
        }))
    }
}

/// Mounts the customer responder.
pub async fn mount_customers(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/v1/customers"))
        .respond_with(CreatesCustomers::default())
        .mount(server)
        .await;
}

/// Answers `POST /v1/payment_intents` with a new intent (`requires_payment_method`) echoing the request's amount,
/// currency, customer and `metadata[order_id]`.
#[derive(Debug, Clone, Default)]
pub struct CreatesPaymentIntents {
    counter: Arc<AtomicU32>,
}

impl Respond for CreatesPaymentIntents {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let n = self.counter.fetch_add(1, Ordering::SeqCst) + 1;
        let fields = form(request);
        let id = format!("pi_fake{n:06}");
        let amount: i64 = fields.get("amount").and_then(|a| a.parse().ok()).unwrap_or(0);
        ResponseTemplate::new(200).set_body_json(json!({
            "id": id,
            "object": "payment_intent",
            "amount": amount,
            "amount_capturable": 0,
            "amount_received": 0,
            "automatic_payment_methods": {"allow_redirects": "always", "enabled": true},
            "capture_method": "automatic_async",
            "client_secret": format!("{id}_secret_fake{n:06}"),
            "confirmation_method": "automatic",
            "created": chrono::Utc::now().timestamp(),
            "currency": fields.get("currency"),
            "customer": fields.get("customer"),
            "livemode": false,
            "metadata": {"order_id": fields.get("metadata[order_id]")},
            "payment_method_types": ["card"],
            "receipt_email": fields.get("receipt_email"),
            "status": "requires_payment_method",
        }))
    }
}

/// Mounts the payment intent responder.
pub async fn mount_payment_intents(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/v1/payment_intents"))
        .respond_with(CreatesPaymentIntents::default())
        .mount(server)
        .await;
}

/// A Stripe error body.
pub fn stripe_error(kind: &str, code: &str, message: &str) -> Value {
    json!({"error": {"type": kind, "code": code, "message": message}})
}
