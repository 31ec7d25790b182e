//! Stored rows and their rebuilding into domain values, refusing anything the domain would not build.

use anyhow::Context;
use chrono::{DateTime, Utc};
use payments_domain::{
    CheckoutSessionId, Currency, Email, LineItem, Money, Order, OrderId, PaymentEvent, PaymentFacts,
    PaymentIntentId,
};
use serde::Deserialize;

/// One `orders` row with its items (a JSON array in position order, see `orders.rs`).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct OrderRow {
    id: String,
    email: String,
    amount_minor: i64,
    currency: String,
    status: String,
    checkout_session_id: Option<String>,
    payment_intent_id: Option<String>,
    failure_reason: Option<String>,
    facts: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    items: String,
}

/// One `order_items` row, as the items array holds it.
#[derive(Debug, Deserialize)]
struct ItemRow {
    name: String,
    unit_amount_minor: i64,
    currency: String,
    quantity: u32,
    image_url: Option<String>,
}

impl OrderRow {
    /// The domain order; an error names the order and what is wrong with it.
    pub(crate) fn into_order(self) -> anyhow::Result<Order> {
        let id = self.id.clone();
        self.rebuild().with_context(|| format!("stored order {id} is unreadable"))
    }

    fn rebuild(self) -> anyhow::Result<Order> {
        let items: Vec<ItemRow> = serde_json::from_str(&self.items).context("items")?;
        let items = items.into_iter().map(ItemRow::into_line_item).collect::<anyhow::Result<_>>()?;
        Ok(Order {
            id: OrderId::parse(&self.id)?,
            email: Email::parse(&self.email)?,
            items,
            amount: money(self.amount_minor, &self.currency)?,
            status: self.status.parse()?,
            checkout_session_id: self
                .checkout_session_id
                .as_deref()
                .map(CheckoutSessionId::parse)
                .transpose()?,
            payment_intent_id: self.payment_intent_id.as_deref().map(PaymentIntentId::parse).transpose()?,
            failure_reason: self.failure_reason,
            facts: serde_json::from_str::<PaymentFacts>(&self.facts).context("facts")?,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

impl ItemRow {
    fn into_line_item(self) -> anyhow::Result<LineItem> {
        let price = money(self.unit_amount_minor, &self.currency)?;
        Ok(LineItem::new(&self.name, price, self.quantity, self.image_url.as_deref())?)
    }
}

fn money(minor: i64, currency: &str) -> anyhow::Result<Money> {
    Ok(Money::new(minor, Currency::parse(currency)?)?)
}

/// A kept event's `event` column read back as the domain event it was stored from.
pub(crate) fn stored_event(id: &str, event: &str) -> anyhow::Result<PaymentEvent> {
    serde_json::from_str(event).with_context(|| format!("stored event {id} is unreadable"))
}

/// JSON text for a column, or [`StoreError::Unknown`](payments_domain::StoreError) naming what failed.
pub(crate) fn json<T: serde::Serialize>(
    value: &T,
    what: &str,
) -> Result<String, payments_domain::StoreError> {
    serde_json::to_string(value).map_err(|error| {
        payments_domain::StoreError::Unknown(
            anyhow::Error::new(error).context(format!("{what} not serializable")),
        )
    })
}
