//! An order as the API shows it (the seed's shape), and as outbox entries carry it.

use crate::model::line_item::LineItem;
use crate::model::order::Order;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

/// An order, in camelCase, with amounts in minor units and RFC 3339 times.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderView {
    id: String,
    email: String,
    /// The signed-in user who placed it; `null` for a guest checkout.
    user_id: Option<String>,
    items: Vec<ItemView>,
    amount: i64,
    currency: String,
    /// What refunds have given back so far, in minor units.
    refunded_amount: i64,
    status: &'static str,
    /// The PaymentIntent id (the seed's name for it).
    transaction_id: Option<String>,
    session_id: Option<String>,
    failure_reason: Option<String>,
    created_at: String,
    updated_at: String,
}

/// One line of an order; `sku` and `priceId` only when the line came from the catalog.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ItemView {
    name: String,
    price: i64,
    quantity: u32,
    image: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sku: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    price_id: Option<String>,
}

impl From<&Order> for OrderView {
    fn from(order: &Order) -> Self {
        Self {
            id: order.id().to_string(),
            email: order.email().to_string(),
            user_id: order.user_id().as_ref().map(ToString::to_string),
            items: order.items().iter().map(ItemView::from).collect(),
            amount: order.amount().minor(),
            currency: order.amount().currency().to_string(),
            refunded_amount: order.facts().refunded(),
            status: order.status().as_str(),
            transaction_id: order.payment_intent_id().as_ref().map(ToString::to_string),
            session_id: order.checkout_session_id().as_ref().map(ToString::to_string),
            failure_reason: order.failure_reason().map(str::to_owned),
            created_at: rfc3339(order.created_at()),
            updated_at: rfc3339(order.updated_at()),
        }
    }
}

impl From<&LineItem> for ItemView {
    fn from(item: &LineItem) -> Self {
        Self {
            name: item.name().to_owned(),
            price: item.unit_amount().minor(),
            quantity: item.quantity(),
            image: item.image_url().map(ToString::to_string),
            sku: item.catalog().map(|catalog| catalog.sku.to_string()),
            price_id: item.catalog().map(|catalog| catalog.price_id.to_string()),
        }
    }
}

/// Milliseconds and a `Z`, as JavaScript's `Date.toJSON` writes them (what the seed's clients parse).
pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl OrderView {
    /// The view as JSON text.
    pub fn json(order: &Order) -> String {
        serde_json::to_string(&Self::from(order)).expect("an order view serialises")
    }
}
