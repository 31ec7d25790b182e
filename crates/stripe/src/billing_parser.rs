//! Reading subscription and invoice events into the domain's [`BillingSnapshot`], whatever their API version:
//! `current_period_end` is read from the subscription (before 2025-03-31.basil) or from its first item (from
//! basil on), and an invoice's subscription from `parent.subscription_details.subscription` (basil) or
//! `subscription` (before).

use chrono::{DateTime, Utc};
use payments_domain::{
    BillingSnapshot, Currency, CustomerId, InvoiceId, InvoiceSnapshot, InvoiceStatus, Money, OrderId,
    PriceKey, Sku, StripePriceId, SubscriptionId, SubscriptionLinks, SubscriptionSnapshot,
    SubscriptionStatus, UserId,
};
use serde_json::{Map, Value};

/// Metadata keys the service sets on a subscription at checkout.
pub(crate) const USER_ID_METADATA_KEY: &str = "user_id";
/// See [`USER_ID_METADATA_KEY`].
pub(crate) const SKU_METADATA_KEY: &str = "sku";
/// See [`USER_ID_METADATA_KEY`].
pub(crate) const PRICE_METADATA_KEY: &str = "price_id";

/// What a `customer.subscription.*` or `invoice.*` event carries, when its object is readable; `None` for
/// every other event, an invoice of no subscription, and `invoice.upcoming` (a preview with no id).
pub(crate) fn billing_snapshot(event_type: &str, object: &Map<String, Value>) -> Option<BillingSnapshot> {
    let kind = object.get("object").and_then(Value::as_str);
    if event_type.starts_with("customer.subscription.") && kind == Some("subscription") {
        return subscription(object).map(BillingSnapshot::Subscription);
    }
    if event_type.starts_with("invoice.") && event_type != "invoice.upcoming" && kind == Some("invoice") {
        let failed = matches!(event_type, "invoice.payment_failed" | "invoice.payment_action_required");
        return invoice(object, failed).map(BillingSnapshot::Invoice);
    }
    None
}

fn subscription(object: &Map<String, Value>) -> Option<SubscriptionSnapshot> {
    let first_item = object.get("items")?.get("data")?.as_array()?.first().and_then(Value::as_object);
    let item_field = |key: &str| first_item.and_then(|item| item.get(key));
    let metadata = object.get("metadata").and_then(Value::as_object);
    let meta = |key: &str| metadata.and_then(|m| m.get(key)).and_then(Value::as_str);
    Some(SubscriptionSnapshot {
        id: SubscriptionId::parse(object.get("id")?.as_str()?).ok()?,
        customer: CustomerId::parse(id_of(object.get("customer")?)?).ok()?,
        status: SubscriptionStatus::parse(object.get("status")?.as_str()?),
        current_period_end: time(object.get("current_period_end"))
            .or_else(|| time(item_field("current_period_end"))),
        cancel_at_period_end: object.get("cancel_at_period_end").and_then(Value::as_bool).unwrap_or(false),
        canceled_at: time(object.get("canceled_at")),
        trial_end: time(object.get("trial_end")),
        price: item_field("price")
            .and_then(|price| price.get("id").or(Some(price)))
            .and_then(Value::as_str)
            .and_then(|id| StripePriceId::parse(id).ok()),
        links: SubscriptionLinks {
            user_id: meta(USER_ID_METADATA_KEY).and_then(|id| UserId::parse(id).ok()),
            order_id: meta(crate::checkout_form::ORDER_ID_METADATA_KEY)
                .and_then(|id| OrderId::parse(id).ok()),
            sku: meta(SKU_METADATA_KEY).and_then(|sku| Sku::parse(sku).ok()),
            price_key: meta(PRICE_METADATA_KEY).and_then(|key| PriceKey::parse(key).ok()),
        },
    })
}

fn invoice(object: &Map<String, Value>, payment_failed: bool) -> Option<InvoiceSnapshot> {
    let subscription = object
        .get("parent")
        .and_then(|parent| parent.get("subscription_details"))
        .and_then(|details| details.get("subscription"))
        .or_else(|| object.get("subscription"))
        .and_then(id_of)
        .and_then(|id| SubscriptionId::parse(id).ok())?;
    let amount_due = object.get("amount_due").and_then(Value::as_i64).and_then(|minor| {
        let currency = Currency::parse(object.get("currency")?.as_str()?).ok()?;
        Money::new(minor, currency).ok()
    });
    Some(InvoiceSnapshot {
        id: InvoiceId::parse(object.get("id")?.as_str()?).ok()?,
        subscription,
        status: InvoiceStatus::parse(object.get("status").and_then(Value::as_str).unwrap_or("draft")),
        amount_due,
        attempt_count: object
            .get("attempt_count")
            .and_then(Value::as_u64)
            .map_or(0, |count| u32::try_from(count).unwrap_or(u32::MAX)),
        next_payment_attempt: time(object.get("next_payment_attempt")),
        payment_failed,
        created: time(object.get("created"))?,
    })
}

/// An id given as a string or as an expanded object.
fn id_of(value: &Value) -> Option<&str> {
    match value {
        Value::String(id) => Some(id),
        Value::Object(expanded) => expanded.get("id")?.as_str(),
        _ => None,
    }
}

/// A Unix time in seconds.
fn time(value: Option<&Value>) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(value?.as_i64()?, 0)
}
