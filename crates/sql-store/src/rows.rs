//! Stored rows as both dialects hand them over, one JSON text per row (the SQL builds it), rebuilt here into
//! domain values, refusing anything the domain would not build.

use crate::records::{EventRecord, FactsRecord};
use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use payments_domain::{
    CatalogPrice, CatalogRef, CheckoutSessionId, Currency, Customer, CustomerId, Email, Interval, LineItem,
    LoadedOrder, Money, Order, OrderId, PaymentEvent, PaymentIntentId, PriceKey, Product, Recurring,
    RowVersion, Sku, Snapshot, StoredOrder, StripePriceId, StripeProductId, UserId,
};
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// Parses one row's JSON; `what` names it in the error.
pub(crate) fn parse<T: DeserializeOwned>(json: &str, what: &str) -> anyhow::Result<T> {
    serde_json::from_str(json).with_context(|| format!("a stored {what} is unreadable"))
}

/// One `orders` row with its items (in position order) and its row version.
#[derive(Debug, Deserialize)]
pub(crate) struct OrderRow {
    id: String,
    email: String,
    user_id: Option<String>,
    amount_minor: i64,
    currency: String,
    checkout_session_id: Option<String>,
    payment_intent_id: Option<String>,
    facts: FactsRecord,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    version: i64,
    items: Vec<ItemRow>,
}

/// One `order_items` row.
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
    /// The domain order and its row version; an error names the order and what is wrong with it.
    pub(crate) fn into_loaded(self) -> anyhow::Result<LoadedOrder> {
        let id = self.id.clone();
        self.rebuild().with_context(|| format!("stored order {id} is unreadable"))
    }

    /// The domain order.
    pub(crate) fn into_order(self) -> anyhow::Result<Order> {
        Ok(self.into_loaded()?.order)
    }

    fn rebuild(self) -> anyhow::Result<LoadedOrder> {
        let items = self.items.into_iter().map(ItemRow::into_line_item).collect::<anyhow::Result<_>>()?;
        let order = Order::restore(StoredOrder {
            id: OrderId::parse(&self.id)?,
            email: Email::parse(&self.email)?,
            user_id: self.user_id.as_deref().map(UserId::parse).transpose()?,
            items,
            amount: money(self.amount_minor, &self.currency)?,
            checkout_session_id: self
                .checkout_session_id
                .as_deref()
                .map(CheckoutSessionId::parse)
                .transpose()?,
            payment_intent_id: self.payment_intent_id.as_deref().map(PaymentIntentId::parse).transpose()?,
            facts: self.facts.try_into().context("facts")?,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })?;
        Ok(LoadedOrder { order, version: RowVersion(self.version) })
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
            _ => bail!("an item names a catalog product without its price, or the reverse"),
        })
    }
}

/// What was loaded for one [`payments_domain::Load`]: whether its event id is known, the order, and the kept
/// events (`[id, record]`, oldest first).
#[derive(Debug, Deserialize)]
pub(crate) struct LoadRow {
    known: bool,
    order: Option<OrderRow>,
    kept: Vec<(String, EventRecord)>,
}

impl LoadRow {
    /// The snapshot the domain plans on.
    pub(crate) fn into_snapshot(self) -> anyhow::Result<Snapshot> {
        let kept = self
            .kept
            .into_iter()
            .map(|(id, record)| {
                PaymentEvent::try_from(record).with_context(|| format!("stored event {id} is unreadable"))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Snapshot { known: self.known, order: self.order.map(OrderRow::into_loaded).transpose()?, kept })
    }
}

/// One `products` row with its prices (in catalog order).
#[derive(Debug, Deserialize)]
pub(crate) struct ProductRow {
    sku: String,
    name: String,
    description: Option<String>,
    image_url: Option<String>,
    active: bool,
    stripe_product_id: Option<String>,
    prices: Vec<PriceRow>,
}

/// One `prices` row.
#[derive(Debug, Deserialize)]
struct PriceRow {
    id: String,
    unit_amount_minor: i64,
    currency: String,
    recurring_interval: Option<String>,
    recurring_interval_count: Option<u32>,
    active: bool,
    stripe_price_id: Option<String>,
    /// Rows written before trials existed have none.
    #[serde(default)]
    trial_period_days: Option<u32>,
}

impl ProductRow {
    /// The domain product, checked as [`Product::new`] checks a new one; an error names the product.
    pub(crate) fn into_product(self) -> anyhow::Result<Product> {
        let sku = self.sku.clone();
        self.rebuild().with_context(|| format!("stored product {sku} is unreadable"))
    }

    fn rebuild(self) -> anyhow::Result<Product> {
        let prices = self.prices.into_iter().map(PriceRow::into_price).collect::<anyhow::Result<_>>()?;
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
            _ => bail!("price {}: a recurrence needs both its interval and its count", self.id),
        };
        let mut price = CatalogPrice::new(
            PriceKey::parse(&self.id)?,
            money(self.unit_amount_minor, &self.currency)?,
            recurring,
        )?
        .with_trial_days(self.trial_period_days)?;
        price.active = self.active;
        price.stripe_price_id = self.stripe_price_id.as_deref().map(StripePriceId::parse).transpose()?;
        Ok(price)
    }
}

/// One `customers` row.
#[derive(Debug, Deserialize)]
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
        let customer = (|| -> anyhow::Result<Customer> {
            Ok(Customer {
                user_id: UserId::parse(&self.user_id)?,
                stripe_customer_id: CustomerId::parse(&self.stripe_customer_id)?,
                email: Email::parse(&self.email)?,
                created_at: self.created_at,
            })
        })();
        customer.with_context(|| format!("the stored customer of user {user:?} is unreadable"))
    }
}

fn money(minor: i64, currency: &str) -> anyhow::Result<Money> {
    Ok(Money::new(minor, Currency::parse(currency)?)?)
}

/// One `outbox` row.
#[derive(Debug, Deserialize)]
pub(crate) struct OutboxRow {
    id: uuid::Uuid,
    #[serde(rename = "type")]
    kind: String,
    order_id: Option<String>,
    subscription_id: Option<String>,
    sequence: i64,
    payload: String,
    created_at: DateTime<Utc>,
    status: String,
    attempts: i64,
    next_attempt_at: DateTime<Utc>,
    delivered_to: Vec<String>,
    last_error: Option<String>,
    delivered_at: Option<DateTime<Utc>>,
    tx: i64,
    position: i64,
}

impl OutboxRow {
    /// The domain's entry; an error names the entry and what is wrong with it.
    pub(crate) fn into_entry(self) -> anyhow::Result<payments_domain::OutboxEntry> {
        let id = self.id;
        (|| -> anyhow::Result<payments_domain::OutboxEntry> {
            Ok(payments_domain::OutboxEntry {
                id: self.id,
                kind: self.kind.parse()?,
                subject: match (self.order_id, self.subscription_id) {
                    (Some(order), None) => payments_domain::NoticeSubject::Order(OrderId::parse(&order)?),
                    (None, Some(subscription)) => payments_domain::NoticeSubject::Subscription(
                        payments_domain::SubscriptionId::parse(&subscription)?,
                    ),
                    _ => anyhow::bail!("it names no order or subscription, or both"),
                },
                sequence: self.sequence,
                payload: self.payload,
                created_at: self.created_at,
                status: self.status.parse()?,
                attempts: u32::try_from(self.attempts).context("a negative attempt count")?,
                next_attempt_at: self.next_attempt_at,
                delivered_to: self.delivered_to,
                last_error: self.last_error,
                delivered_at: self.delivered_at,
                cursor: payments_domain::FeedCursor { tx: self.tx, position: self.position },
            })
        })()
        .with_context(|| format!("stored outbox entry {id} is unreadable"))
    }
}
