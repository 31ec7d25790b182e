//! Stored rows and their rebuilding into domain values, refusing anything the domain would not build.

use anyhow::Context;
use chrono::{DateTime, Utc};
use payments_domain::{
    CatalogPrice, CatalogRef, CheckoutSessionId, Currency, Customer, CustomerId, Email, Interval, LineItem,
    Money, Order, OrderId, PaymentEvent, PaymentFacts, PaymentIntentId, PriceKey, Product, Recurring, Sku,
    StripePriceId, StripeProductId, UserId,
};
use serde::Deserialize;
use uuid::Uuid;

/// One `orders` row with its items (a JSON array in position order, see `orders.rs`).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct OrderRow {
    id: Uuid,
    email: String,
    user_id: Option<String>,
    amount_minor: i64,
    currency: String,
    status: String,
    checkout_session_id: Option<String>,
    payment_intent_id: Option<String>,
    failure_reason: Option<String>,
    facts: serde_json::Value,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    items: serde_json::Value,
}

/// One `order_items` row, as the items array holds it.
#[derive(Debug, Deserialize)]
struct ItemRow {
    name: String,
    unit_amount_minor: i64,
    currency: String,
    quantity: u32,
    image_url: Option<String>,
    sku: Option<String>,
    price_id: Option<String>,
}

impl OrderRow {
    /// The domain order; an error names the order and what is wrong with it.
    pub(crate) fn into_order(self) -> anyhow::Result<Order> {
        let id = self.id;
        self.rebuild().with_context(|| format!("stored order {id} is unreadable"))
    }

    fn rebuild(self) -> anyhow::Result<Order> {
        let items: Vec<ItemRow> = serde_json::from_value(self.items).context("items")?;
        let items = items.into_iter().map(ItemRow::into_line_item).collect::<anyhow::Result<_>>()?;
        Ok(Order {
            id: OrderId::from_uuid(self.id),
            email: Email::parse(&self.email)?,
            user_id: self.user_id.as_deref().map(UserId::parse).transpose()?,
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
            facts: serde_json::from_value::<PaymentFacts>(self.facts).context("facts")?,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

impl ItemRow {
    fn into_line_item(self) -> anyhow::Result<LineItem> {
        let price = money(self.unit_amount_minor, &self.currency)?;
        let item = LineItem::new(&self.name, price, self.quantity, self.image_url.as_deref())?;
        Ok(match (self.sku, self.price_id) {
            (None, None) => item,
            (Some(sku), Some(price_id)) => item
                .with_catalog(CatalogRef { sku: Sku::parse(&sku)?, price_id: PriceKey::parse(&price_id)? }),
            _ => anyhow::bail!("an item names a catalog product without its price, or the reverse"),
        })
    }
}

/// One `products` row with its prices (a JSON array in catalog order, see `catalog.rs`).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ProductRow {
    sku: String,
    name: String,
    description: Option<String>,
    image_url: Option<String>,
    active: bool,
    stripe_product_id: Option<String>,
    prices: serde_json::Value,
}

/// One `prices` row, as the prices array holds it.
#[derive(Debug, Deserialize)]
struct PriceRow {
    id: String,
    unit_amount_minor: i64,
    currency: String,
    recurring_interval: Option<String>,
    recurring_interval_count: Option<u32>,
    active: bool,
    stripe_price_id: Option<String>,
}

impl ProductRow {
    /// The domain product, checked as [`Product::new`] checks a new one; an error names the product.
    pub(crate) fn into_product(self) -> anyhow::Result<Product> {
        let sku = self.sku.clone();
        self.rebuild().with_context(|| format!("stored product {sku} is unreadable"))
    }

    fn rebuild(self) -> anyhow::Result<Product> {
        let prices: Vec<PriceRow> = serde_json::from_value(self.prices).context("prices")?;
        let prices = prices.into_iter().map(PriceRow::into_price).collect::<anyhow::Result<_>>()?;
        let mut product = Product::new(
            Sku::parse(&self.sku)?,
            &self.name,
            self.description.as_deref(),
            self.image_url.as_deref(),
            prices,
        )?;
        product.active = self.active;
        product.stripe_product_id =
            self.stripe_product_id.as_deref().map(StripeProductId::parse).transpose()?;
        Ok(product)
    }
}

impl PriceRow {
    fn into_price(self) -> anyhow::Result<CatalogPrice> {
        let recurring = match (self.recurring_interval.as_deref(), self.recurring_interval_count) {
            (None, None) => None,
            (Some(interval), Some(interval_count)) => Some(Recurring {
                interval: Interval::parse(interval)
                    .with_context(|| format!("price {}: unknown interval {interval:?}", self.id))?,
                interval_count,
            }),
            _ => anyhow::bail!("price {}: a recurrence needs both its interval and its count", self.id),
        };
        let mut price = CatalogPrice::new(
            PriceKey::parse(&self.id)?,
            money(self.unit_amount_minor, &self.currency)?,
            recurring,
        )?;
        price.active = self.active;
        price.stripe_price_id = self.stripe_price_id.as_deref().map(StripePriceId::parse).transpose()?;
        Ok(price)
    }
}

/// One `customers` row.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct CustomerRow {
    user_id: String,
    stripe_customer_id: String,
    email: String,
    created_at: DateTime<Utc>,
}

impl CustomerRow {
    /// The domain customer; an error names the user.
    pub(crate) fn into_customer(self) -> anyhow::Result<Customer> {
        let user = self.user_id.clone();
        self.rebuild().with_context(|| format!("the stored customer of user {user:?} is unreadable"))
    }

    fn rebuild(self) -> anyhow::Result<Customer> {
        Ok(Customer {
            user_id: UserId::parse(&self.user_id)?,
            stripe_customer_id: CustomerId::parse(&self.stripe_customer_id)?,
            email: Email::parse(&self.email)?,
            created_at: self.created_at,
        })
    }
}

fn money(minor: i64, currency: &str) -> anyhow::Result<Money> {
    Ok(Money::new(minor, Currency::parse(currency)?)?)
}

/// A kept event's `event` column read back as the domain event it was stored from.
pub(crate) fn stored_event(id: &str, event: serde_json::Value) -> anyhow::Result<PaymentEvent> {
    serde_json::from_value(event).with_context(|| format!("stored event {id} is unreadable"))
}
