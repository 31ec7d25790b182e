//! Orders created in the store, and the Stripe events that settle each one, with the state they must end in
//! whatever the delivery order and however often each is delivered.

use futures::StreamExt;
use payments_domain::{CheckoutSessionId, Currency, Email, LineItem, Money, Order, OrderId, OrderStore};
use serde_json::{json, Value};
use std::sync::Arc;

/// Every order's amount, in cents.
const AMOUNT: i64 = 4900;

/// What an order's events make of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// `checkout.session.completed`, paid.
    Paid,
    /// `payment_intent.payment_failed`.
    Failed,
    /// `checkout.session.expired`.
    Expired,
    /// Completed, then `charge.refunded` for the whole amount.
    Refunded,
    /// Completed, then `charge.refunded` for part of it.
    PartiallyRefunded,
    /// A decline, then `payment_intent.succeeded`: a later success beats a failure.
    DeclinedThenPaid,
}

impl Fate {
    const ALL: [Fate; 6] = [
        Fate::Paid,
        Fate::Failed,
        Fate::Expired,
        Fate::Refunded,
        Fate::PartiallyRefunded,
        Fate::DeclinedThenPaid,
    ];

    /// The status the order must end in.
    pub fn status(self) -> &'static str {
        match self {
            Fate::Paid | Fate::DeclinedThenPaid => "paid",
            Fate::Failed => "failed",
            Fate::Expired => "expired",
            Fate::Refunded => "refunded",
            Fate::PartiallyRefunded => "partially_refunded",
        }
    }
}

/// One order of the scenario.
#[derive(Debug, Clone)]
pub struct PlannedOrder {
    /// Its id, as stored (hyphenated UUID).
    pub id: String,
    /// What its events make of it.
    pub fate: Fate,
    /// How many events name it.
    pub events: usize,
}

/// One event of the scenario.
#[derive(Debug, Clone)]
pub struct PlannedEvent {
    /// Stripe's event id.
    pub id: String,
    /// The order it settles (an index into [`Scenario::orders`]).
    pub order: usize,
    /// The body as sent (signed anew at each attempt).
    pub body: Arc<Vec<u8>>,
}

/// Orders and their events.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The orders, in creation order.
    pub orders: Vec<PlannedOrder>,
    /// Their events, shuffled (an order's events arrive in any order).
    pub events: Vec<PlannedEvent>,
}

impl Scenario {
    /// Creates `count` orders in `store`, each with a Checkout Session, their fates in turn, and builds their
    /// events (named `evt_{tag}_{n}`), shuffled with a fixed seed.
    pub async fn create(store: &dyn OrderStore, tag: &str, count: usize) -> Scenario {
        let create = |n: usize| async move {
            let item = LineItem::new("Course", Money::new(AMOUNT, Currency::USD).expect("money"), 1, None)
                .expect("item");
            let now = chrono::Utc::now();
            let email = Email::parse("faults@example.com").expect("email");
            let order = Order::new(OrderId::new_v7(), email, vec![item], now).expect("order");
            store.insert_order(&order).await.unwrap_or_else(|error| panic!("cannot store an order: {error}"));
            let session = format!("cs_test_{tag}_{n}");
            let session_id = CheckoutSessionId::parse(&session).expect("session id");
            payments_domain::attach_session(store, order.id(), &session_id, now)
                .await
                .unwrap_or_else(|error| panic!("cannot attach a session: {error}"));
            Ids { order: order.id().to_string(), session, intent: format!("pi_{tag}_{n}") }
        };
        let created: Vec<Ids> = futures::stream::iter(0..count).map(create).buffered(16).collect().await;
        let mut orders = Vec::with_capacity(count);
        let mut events = Vec::new();
        for (n, ids) in created.into_iter().enumerate() {
            let fate = Fate::ALL[n % Fate::ALL.len()];
            let bodies = ids.events(fate);
            orders.push(PlannedOrder { id: ids.order.clone(), fate, events: bodies.len() });
            for (k, mut body) in bodies.into_iter().enumerate() {
                let id = format!("evt_{tag}_{n}_{k}");
                body["id"] = json!(id);
                let body = Arc::new(serde_json::to_vec(&body).expect("serializable"));
                events.push(PlannedEvent { id, order: n, body });
            }
        }
        shuffle(&mut events, 0x5eed_fa17);
        adjoin_pairs(&mut events, &orders);
        Scenario { orders, events }
    }

    /// The deliveries, as indices into [`Scenario::events`]: each event once; every tenth one again 50
    /// deliveries later, and every tenth (another one) twice at once, as Stripe delivers some events more than
    /// once, and sometimes again while the first delivery is still waiting for its answer.
    pub fn deliveries(&self) -> Vec<usize> {
        const LATER: usize = 50;
        let mut deliveries = Vec::with_capacity(self.events.len() * 12 / 10 + 1);
        for n in 0..self.events.len() {
            deliveries.push(n);
            if n % 10 == 5 {
                deliveries.push(n);
            }
            if n >= LATER && (n - LATER) % 10 == 0 {
                deliveries.push(n - LATER);
            }
        }
        deliveries
    }
}

/// The ids an order's events name.
struct Ids {
    order: String,
    session: String,
    intent: String,
}

impl Ids {
    fn events(&self, fate: Fate) -> Vec<Value> {
        match fate {
            Fate::Paid => vec![self.session_completed()],
            Fate::Failed => vec![self.intent("payment_intent.payment_failed", "requires_payment_method")],
            Fate::Expired => vec![self.session_expired()],
            Fate::Refunded => vec![self.session_completed(), self.refunded(AMOUNT)],
            Fate::PartiallyRefunded => vec![self.session_completed(), self.refunded(1200)],
            Fate::DeclinedThenPaid => vec![
                self.intent("payment_intent.payment_failed", "requires_payment_method"),
                self.intent("payment_intent.succeeded", "succeeded"),
            ],
        }
    }

    fn session_completed(&self) -> Value {
        envelope(
            "checkout.session.completed",
            json!({
                "id": self.session, "object": "checkout.session", "amount_total": AMOUNT, "currency": "usd",
                "client_reference_id": self.order, "metadata": {"order_id": self.order}, "mode": "payment",
                "payment_intent": self.intent, "payment_status": "paid", "status": "complete",
            }),
        )
    }

    fn session_expired(&self) -> Value {
        envelope(
            "checkout.session.expired",
            json!({
                "id": self.session, "object": "checkout.session", "amount_total": AMOUNT, "currency": "usd",
                "client_reference_id": self.order, "metadata": {"order_id": self.order}, "mode": "payment",
                "payment_intent": null, "payment_status": "unpaid", "status": "expired",
            }),
        )
    }

    fn intent(&self, event_type: &str, status: &str) -> Value {
        let succeeded = status == "succeeded";
        let error = if succeeded {
            Value::Null
        } else {
            json!({"type": "card_error", "code": "card_declined", "decline_code": "generic_decline",
                   "message": "Your card was declined."})
        };
        envelope(
            event_type,
            json!({
                "id": self.intent, "object": "payment_intent", "amount": AMOUNT,
                "amount_received": if succeeded { AMOUNT } else { 0 }, "currency": "usd",
                "metadata": {"order_id": self.order}, "status": status, "last_payment_error": error,
            }),
        )
    }

    fn refunded(&self, amount_refunded: i64) -> Value {
        envelope(
            "charge.refunded",
            json!({
                "id": format!("ch_{}", &self.intent[3..]), "object": "charge", "amount": AMOUNT,
                "amount_refunded": amount_refunded, "currency": "usd", "metadata": {"order_id": self.order},
                "payment_intent": self.intent, "refunded": amount_refunded >= AMOUNT, "status": "succeeded",
            }),
        )
    }
}

/// Stripe's event envelope around `object` (the id is set by the caller).
fn envelope(event_type: &str, object: Value) -> Value {
    json!({
        "id": "", "object": "event", "api_version": "2026-09-30.endive",
        "created": chrono::Utc::now().timestamp(), "data": {"object": object}, "livemode": false,
        "pending_webhooks": 1, "request": {"id": null, "idempotency_key": null}, "type": event_type,
    })
}

/// Moves the second event of every other two-event order right after its first, so that they are delivered
/// together and race for the order (the others' events are far apart).
fn adjoin_pairs(events: &mut Vec<PlannedEvent>, orders: &[PlannedOrder]) {
    for (order, _) in orders.iter().enumerate().filter(|(n, planned)| planned.events == 2 && n % 2 == 0) {
        let mut positions =
            events.iter().enumerate().filter(|(_, event)| event.order == order).map(|(i, _)| i);
        let (Some(first), Some(second)) = (positions.next(), positions.next()) else { continue };
        let moved = events.remove(second);
        events.insert(first + 1, moved);
    }
}

/// A Fisher-Yates shuffle driven by xorshift64 from `seed`, so every run sends the same order.
pub fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut state = seed.max(1);
    for i in (1..items.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let j = usize::try_from(state % (i as u64 + 1)).expect("an index");
        items.swap(i, j);
    }
}
