//! Stripe webhook payloads as Stripe shapes them, for one order's session and payment intent.

use serde_json::{json, Value};

/// A fresh event id.
pub fn event_id() -> String {
    format!("evt_test_{}", uuid::Uuid::new_v4().simple())
}

/// Wraps `object` in Stripe's event envelope.
pub fn envelope(event_type: &str, object: Value) -> Value {
    json!({
        "id": event_id(),
        "object": "event",
        "api_version": "2026-09-30.endive",
        "created": chrono::Utc::now().timestamp(),
        "data": {"object": object},
        "livemode": false,
        "pending_webhooks": 1,
        "request": {"id": null, "idempotency_key": null},
        "type": event_type,
    })
}

/// The ids and amount of one checkout, as the events refer to them.
#[derive(Debug, Clone)]
pub struct Payment {
    /// Our order id.
    pub order_id: String,
    /// The Checkout Session.
    pub session_id: String,
    /// The PaymentIntent.
    pub payment_intent_id: String,
    /// The charge.
    pub charge_id: String,
    /// What was charged, in minor units.
    pub amount: i64,
    /// In which currency.
    pub currency: String,
}

impl Payment {
    /// A payment of `amount` USD for an order and session the service created.
    pub fn new(order_id: &str, session_id: &str, amount: i64) -> Self {
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        Self {
            order_id: order_id.to_owned(),
            session_id: session_id.to_owned(),
            payment_intent_id: format!("pi_{}", &suffix[..24]),
            charge_id: format!("ch_{}", &suffix[..24]),
            amount,
            currency: "usd".to_owned(),
        }
    }

    fn session(&self, status: &str, payment_status: &str, with_intent: bool) -> Value {
        json!({
            "id": self.session_id,
            "object": "checkout.session",
            "amount_total": self.amount,
            "currency": self.currency,
            "client_reference_id": self.order_id,
            "metadata": {"order_id": self.order_id},
            "mode": "payment",
            "payment_intent": if with_intent { json!(self.payment_intent_id) } else { Value::Null },
            "payment_status": payment_status,
            "status": status,
            "url": null,
            "some_field_from_a_newer_api": {"nested": true},
        })
    }

    /// `checkout.session.completed`, `payment_status` paid or unpaid.
    pub fn session_completed(&self, payment_status: &str) -> Value {
        envelope("checkout.session.completed", self.session("complete", payment_status, true))
    }

    /// `checkout.session.async_payment_succeeded` / `_failed`.
    pub fn async_payment(&self, succeeded: bool) -> Value {
        if succeeded {
            envelope("checkout.session.async_payment_succeeded", self.session("complete", "paid", true))
        } else {
            envelope("checkout.session.async_payment_failed", self.session("complete", "unpaid", true))
        }
    }

    /// `checkout.session.expired`.
    pub fn session_expired(&self) -> Value {
        envelope("checkout.session.expired", self.session("expired", "unpaid", false))
    }

    fn intent(&self, status: &str, amount_received: i64, error: Value) -> Value {
        json!({
            "id": self.payment_intent_id,
            "object": "payment_intent",
            "amount": self.amount,
            "amount_received": amount_received,
            "currency": self.currency,
            "metadata": {"order_id": self.order_id},
            "status": status,
            "last_payment_error": error,
        })
    }

    /// `payment_intent.payment_failed` with a card decline.
    pub fn payment_failed(&self, decline_code: &str) -> Value {
        let error = json!({"type": "card_error", "code": "card_declined", "decline_code": decline_code,
                           "message": "Your card was declined."});
        envelope("payment_intent.payment_failed", self.intent("requires_payment_method", 0, error))
    }

    /// `payment_intent.succeeded`.
    pub fn payment_succeeded(&self) -> Value {
        envelope("payment_intent.succeeded", self.intent("succeeded", self.amount, Value::Null))
    }

    /// `charge.succeeded` for the whole amount.
    pub fn charge_succeeded(&self) -> Value {
        envelope("charge.succeeded", self.charge("succeeded", Value::Null, Value::Null))
    }

    /// `charge.failed` with a card decline.
    pub fn charge_failed(&self, decline_code: &str) -> Value {
        envelope(
            "charge.failed",
            self.charge(
                "failed",
                json!("card_declined"),
                json!(format!("Your card was declined ({decline_code}).")),
            ),
        )
    }

    fn charge(&self, status: &str, failure_code: Value, failure_message: Value) -> Value {
        json!({
            "id": self.charge_id,
            "object": "charge",
            "amount": self.amount,
            "amount_captured": if status == "succeeded" { self.amount } else { 0 },
            "amount_refunded": 0,
            "captured": status == "succeeded",
            "currency": self.currency,
            "failure_code": failure_code,
            "failure_message": failure_message,
            "metadata": {"order_id": self.order_id},
            "paid": status == "succeeded",
            "payment_intent": self.payment_intent_id,
            "refunded": false,
            "status": status,
        })
    }

    /// `charge.refunded` with the cumulative refunded amount.
    pub fn charge_refunded(&self, amount_refunded: i64) -> Value {
        envelope(
            "charge.refunded",
            json!({
                "id": self.charge_id,
                "object": "charge",
                "amount": self.amount,
                "amount_refunded": amount_refunded,
                "currency": self.currency,
                "metadata": {"order_id": self.order_id},
                "payment_intent": self.payment_intent_id,
                "refunded": amount_refunded >= self.amount,
                "status": "succeeded",
            }),
        )
    }

    /// `charge.dispute.created` (status `None`) or `charge.dispute.closed` with `won`/`lost`.
    pub fn dispute(&self, closed_as: Option<&str>) -> Value {
        let object = json!({
            "id": format!("dp_{}", &self.charge_id[3..]),
            "object": "dispute",
            "amount": self.amount,
            "charge": self.charge_id,
            "currency": self.currency,
            "payment_intent": self.payment_intent_id,
            "reason": "fraudulent",
            "status": closed_as.unwrap_or("needs_response"),
        });
        envelope(if closed_as.is_some() { "charge.dispute.closed" } else { "charge.dispute.created" }, object)
    }
}
