//! Products, purchase statuses and purchases as clients read them.

use crate::dto::order::rfc3339;
use payments_domain::{
    CatalogPrice, Currency, Product, Purchase, PurchaseState, Recurring, SubscriptionAccess,
};
use serde::Serialize;

/// `{"products": [...]}`.
#[derive(Debug, Serialize)]
pub(crate) struct ProductList {
    products: Vec<ProductView>,
}

impl ProductList {
    /// The products, each with `price`: the one checkout sells it at in `currency`.
    pub(crate) fn new(products: &[Product], currency: Currency) -> Self {
        Self { products: products.iter().map(|product| ProductView::new(product, currency)).collect() }
    }
}

/// A product: `id` is its SKU (the id the purchase-status path takes).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ProductView {
    id: String,
    sku: String,
    name: String,
    description: Option<String>,
    image: Option<String>,
    prices: Vec<PriceView>,
    /// The first active one-time price in the checkout currency: what `{"sku"}` checks out at. `null` when
    /// the product cannot be bought in a one-time checkout.
    price: Option<PriceView>,
}

impl ProductView {
    fn new(product: &Product, currency: Currency) -> Self {
        Self {
            id: product.sku.to_string(),
            sku: product.sku.to_string(),
            name: product.name.clone(),
            description: product.description.clone(),
            image: product.image_url.as_ref().map(ToString::to_string),
            prices: product.prices.iter().map(PriceView::from).collect(),
            price: product.checkout_price(currency).map(PriceView::from),
        }
    }
}

/// A price, amounts in minor units.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PriceView {
    id: String,
    currency: String,
    unit_amount: i64,
    recurring: Option<RecurringView>,
    stripe_price_id: Option<String>,
}

impl From<&CatalogPrice> for PriceView {
    fn from(price: &CatalogPrice) -> Self {
        Self {
            id: price.id.to_string(),
            currency: price.unit_amount.currency().to_string(),
            unit_amount: price.unit_amount.minor(),
            recurring: price
                .recurring
                .as_ref()
                .map(|recurring| RecurringView::new(recurring, price.trial_period_days)),
            stripe_price_id: price.stripe_price_id.as_ref().map(ToString::to_string),
        }
    }
}

/// A recurring price's schedule, and the free trial a subscription to it starts with.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RecurringView {
    interval: &'static str,
    interval_count: u32,
    trial_period_days: Option<u32>,
}

impl RecurringView {
    fn new(recurring: &Recurring, trial_period_days: Option<u32>) -> Self {
        Self {
            interval: recurring.interval.as_str(),
            interval_count: recurring.interval_count,
            trial_period_days,
        }
    }
}

/// `{"status": "not purchased" | "pending" | "completed" | "failed" | "refunded" | "ended", "subscription"}`:
/// `subscription` is set when a subscription speaks for the product.
#[derive(Debug, Serialize)]
pub(crate) struct PurchaseStatusView {
    status: &'static str,
    subscription: Option<SubscriptionAccessView>,
}

impl PurchaseStatusView {
    /// The view of the purchase that speaks most strongly for the product, if any.
    pub(crate) fn new(purchase: Option<&Purchase>) -> Self {
        let state =
            purchase.map_or(PurchaseState::NotPurchased, |purchase| PurchaseState::Status(purchase.status));
        let subscription = purchase.and_then(|purchase| purchase.subscription.as_ref()).map(Into::into);
        Self { status: state.as_str(), subscription }
    }
}

/// The subscription a purchase comes from: `{"id", "status", "currentPeriodEnd", "cancelAtPeriodEnd"}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SubscriptionAccessView {
    id: String,
    status: String,
    current_period_end: Option<String>,
    cancel_at_period_end: bool,
}

impl From<&SubscriptionAccess> for SubscriptionAccessView {
    fn from(access: &SubscriptionAccess) -> Self {
        Self {
            id: access.id.to_string(),
            status: access.status.as_str().to_owned(),
            current_period_end: access.current_period_end.map(rfc3339),
            cancel_at_period_end: access.cancel_at_period_end,
        }
    }
}

/// `{"purchases": [...]}`, newest first.
#[derive(Debug, Serialize)]
pub(crate) struct PurchaseList {
    purchases: Vec<PurchaseView>,
}

impl PurchaseList {
    pub(crate) fn new(purchases: &[Purchase]) -> Self {
        Self { purchases: purchases.iter().map(PurchaseView::from).collect() }
    }
}

/// One product bought in one order, or subscribed to; `purchasedAt` is when the order was placed;
/// `subscription` is set for a subscription's product (`orderId` is `null` for one started outside checkout).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PurchaseView {
    product_id: String,
    sku: String,
    name: String,
    order_id: Option<String>,
    status: &'static str,
    subscription: Option<SubscriptionAccessView>,
    purchased_at: String,
    updated_at: String,
}

impl From<&Purchase> for PurchaseView {
    fn from(purchase: &Purchase) -> Self {
        Self {
            product_id: purchase.sku.to_string(),
            sku: purchase.sku.to_string(),
            name: purchase.name.clone(),
            order_id: purchase.order_id.map(|id| id.to_string()),
            status: purchase.status.as_str(),
            subscription: purchase.subscription.as_ref().map(Into::into),
            purchased_at: rfc3339(purchase.created_at),
            updated_at: rfc3339(purchase.updated_at),
        }
    }
}
