//! Where the product catalog is kept.

use crate::model::catalog::{PriceKey, Product, Sku};
use crate::model::ids::{StripePriceId, StripeProductId};
use crate::ports::order_store::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Products and their prices.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait CatalogStore: Send + Sync + 'static {
    /// Inserts the product, or updates the one with its SKU: name, description, image, active flag and prices
    /// (by price id; prices missing from `product` are kept but made inactive). Stripe ids already stored
    /// are kept, except a price's when its amount, currency or recurrence changed (Stripe prices are
    /// immutable: the next sync creates a new one). The Stripe ids in `product` itself are ignored.
    /// Errors: [`StoreError::Unavailable`]; [`StoreError::Unknown`].
    async fn upsert_product(&self, product: &Product, now: DateTime<Utc>) -> Result<(), StoreError>;

    /// Every product with every price (active or not), products by SKU, prices in catalog order.
    /// Errors: [`StoreError::Unavailable`]; [`StoreError::Unknown`].
    async fn list_products(&self) -> Result<Vec<Product>, StoreError>;

    /// Records the Stripe product created for `sku`.
    /// Errors: [`StoreError::Unknown`] if no such product; [`StoreError::Unavailable`].
    async fn set_stripe_product_id(&self, sku: &Sku, id: &StripeProductId) -> Result<(), StoreError>;

    /// Records the Stripe price created for the catalog price `price`.
    /// Errors: [`StoreError::Unknown`] if no such price; [`StoreError::Unavailable`].
    async fn set_stripe_price_id(&self, price: &PriceKey, id: &StripePriceId) -> Result<(), StoreError>;
}
