//! Orders, events, catalog products and customers built with the domain's own constructors.

use chrono::{DateTime, SubsecRound, Utc};
use payments_domain::{
    CatalogPrice, CatalogRef, CheckoutSessionId, Currency, Customer, CustomerId, Email, EventId, EventRefs,
    Interval, LineItem, Money, Order, OrderId, PaymentEvent, PaymentEventKind, PaymentIntentId, PriceKey,
    Product, ReceivedEvent, Recurring, SessionPaymentStatus, Sku, StripePriceId, StripeProductId, UserId,
};
use serde_json::json;

/// Now, to the microsecond: what every adapter keeps of a time.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// A fresh suffix for Stripe ids.
fn suffix() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// `amount` US cents.
pub fn usd(amount: i64) -> Money {
    Money::new(amount, Currency::USD).expect("a valid amount")
}

/// A pending order of 25.00 USD in two items (one with an image), created at `at`.
pub fn order_at(id: OrderId, at: DateTime<Utc>) -> Order {
    let items = vec![
        LineItem::new("Tea", usd(1000), 2, Some("https://example.com/tea.png")).expect("a valid item"),
        LineItem::new("Cup", usd(500), 1, None).expect("a valid item"),
    ];
    Order::new(id, Email::parse("ada@example.com").expect("a valid email"), items, at).expect("a valid order")
}

/// A new pending order of 25.00 USD created now.
pub fn order() -> Order {
    order_at(OrderId::new_v7(), now())
}

/// A fresh user id, shaped like an identity provider's `sub`.
pub fn user_id() -> UserId {
    UserId::parse(&format!("auth0|{}", suffix())).expect("a valid user id")
}

/// A reference to catalog product `sku` at price `price_id`.
pub fn catalog_ref(sku: &str, price_id: &str) -> CatalogRef {
    CatalogRef {
        sku: Sku::parse(sku).expect("a valid sku"),
        price_id: PriceKey::parse(price_id).expect("a valid price id"),
    }
}

/// A pending order `user` placed at `at`: 34.00 USD in two catalog items (`mug` at `mug-usd`, `tea` at
/// `tea-usd`, one with an image) and one free-form item.
pub fn user_order_at(user: &UserId, id: OrderId, at: DateTime<Utc>) -> Order {
    let items = vec![
        LineItem::new("Mug", usd(1200), 2, Some("https://example.com/mug.png"))
            .expect("a valid item")
            .with_catalog(catalog_ref("mug", "mug-usd")),
        LineItem::new("Gift wrap", usd(200), 1, None).expect("a valid item"),
        LineItem::new("Tea", usd(800), 1, None)
            .expect("a valid item")
            .with_catalog(catalog_ref("tea", "tea-usd")),
    ];
    Order::new(id, Email::parse("ada@example.com").expect("a valid email"), items, at)
        .expect("a valid order")
        .placed_by(user.clone())
}

/// A fresh Checkout Session id.
pub fn session_id() -> CheckoutSessionId {
    CheckoutSessionId::parse(&format!("cs_test_{}", suffix())).expect("a valid session id")
}

/// A fresh PaymentIntent id.
pub fn payment_intent_id() -> PaymentIntentId {
    PaymentIntentId::parse(&format!("pi_{}", suffix())).expect("a valid payment intent id")
}

/// A new event of `event_type` and `kind` naming `refs`, with a payload shaped like Stripe's envelope.
pub fn event(event_type: &str, kind: PaymentEventKind, refs: EventRefs) -> ReceivedEvent {
    let id = EventId::parse(&format!("evt_test_{}", suffix())).expect("a valid event id");
    let created = now();
    let payload = json!({
        "id": id.as_str(),
        "object": "event",
        "type": event_type,
        "created": created.timestamp(),
        "data": {"object": {
            "order_id": refs.order_id.map(|id| id.to_string()),
            "session": refs.session_id.as_ref().map(|id| id.as_str()),
            "payment_intent": refs.payment_intent_id.as_ref().map(|id| id.as_str()),
        }},
    });
    let event = PaymentEvent { id, event_type: event_type.to_owned(), created, kind, refs };
    ReceivedEvent::new(event, payload.to_string())
}

/// The ids an event names.
pub fn refs(
    order_id: Option<OrderId>,
    session_id: Option<&CheckoutSessionId>,
    payment_intent_id: Option<&PaymentIntentId>,
) -> EventRefs {
    EventRefs { order_id, session_id: session_id.cloned(), payment_intent_id: payment_intent_id.cloned() }
}

/// `checkout.session.completed`, paid in full for `order`, naming what `refs` names.
pub fn session_paid(order: &Order, refs: EventRefs) -> ReceivedEvent {
    let kind = PaymentEventKind::CheckoutCompleted {
        payment_status: SessionPaymentStatus::Paid,
        amount: Some(order.amount()),
    };
    event("checkout.session.completed", kind, refs)
}

/// `payment_intent.succeeded` for `amount`, naming only the payment intent.
pub fn payment_succeeded(payment_intent_id: &PaymentIntentId, amount: Money) -> ReceivedEvent {
    let kind = PaymentEventKind::PaymentSucceeded { amount: Some(amount) };
    event("payment_intent.succeeded", kind, refs(None, None, Some(payment_intent_id)))
}

/// `charge.refunded` with `amount_refunded` so far, naming only the payment intent (as Stripe's charge does).
pub fn refunded(payment_intent_id: &PaymentIntentId, amount_refunded: Money) -> ReceivedEvent {
    let kind = PaymentEventKind::ChargeRefunded { amount_refunded, refunds: vec![] };
    event("charge.refunded", kind, refs(None, None, Some(payment_intent_id)))
}

/// An event of a type the domain does not know, naming `refs`.
pub fn unknown(refs: EventRefs) -> ReceivedEvent {
    event("customer.updated", PaymentEventKind::Unknown, refs)
}

/// An active one-time price `id` of `amount`, without a Stripe id.
pub fn price(id: &str, amount: Money) -> CatalogPrice {
    CatalogPrice::new(PriceKey::parse(id).expect("a valid price id"), amount, None).expect("a valid price")
}

/// An active price `id` of `amount` charged every `count` `interval`s, without a Stripe id.
pub fn recurring_price(id: &str, amount: Money, interval: Interval, count: u32) -> CatalogPrice {
    let recurring = Recurring { interval, interval_count: count };
    CatalogPrice::new(PriceKey::parse(id).expect("a valid price id"), amount, Some(recurring))
        .expect("a valid price")
}

/// An active product `sku` named `name`, with `prices` in that order, without a Stripe id.
pub fn product(sku: &str, name: &str, prices: Vec<CatalogPrice>) -> Product {
    Product::new(Sku::parse(sku).expect("a valid sku"), name, None, None, prices).expect("a valid product")
}

/// `amount` minor units of `currency`.
pub fn money(amount: i64, currency: &str) -> Money {
    Money::new(amount, Currency::parse(currency).expect("a valid currency")).expect("a valid amount")
}

/// A fresh Stripe product id.
pub fn stripe_product_id() -> StripeProductId {
    StripeProductId::parse(&format!("prod_{}", suffix())).expect("a valid product id")
}

/// A fresh Stripe price id.
pub fn stripe_price_id() -> StripePriceId {
    StripePriceId::parse(&format!("price_{}", suffix())).expect("a valid price id")
}

/// A fresh Stripe customer id.
pub fn customer_id() -> CustomerId {
    CustomerId::parse(&format!("cus_{}", suffix())).expect("a valid customer id")
}

/// `user`'s Stripe customer `id`, created now with `email`.
pub fn customer(user: &UserId, id: CustomerId, email: &str) -> Customer {
    Customer {
        user_id: user.clone(),
        stripe_customer_id: id,
        email: Email::parse(email).expect("a valid email"),
        created_at: now(),
    }
}
