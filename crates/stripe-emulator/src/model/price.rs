//! Prices (`price_`): one-time, per unit.

use super::Row;
use crate::metadata::Metadata;
use serde_json::{json, Value};

/// A one-time, per-unit price.
#[derive(Debug, Clone)]
pub struct Price {
    /// `price_…`
    pub id: String,
    /// Unix seconds.
    pub created: i64,
    /// The product's id.
    pub product: String,
    /// Lowercase ISO currency.
    pub currency: String,
    /// In the currency's minor unit.
    pub unit_amount: i64,
    /// Whether new purchases can use it (inline `price_data` prices are created inactive, as on Stripe).
    pub active: bool,
    /// Internal name.
    pub nickname: Option<String>,
    /// A key to look the price up by.
    pub lookup_key: Option<String>,
    /// Key-value pairs.
    pub metadata: Metadata,
    /// `inclusive`, `exclusive` or `unspecified`.
    pub tax_behavior: String,
}

impl Row for Price {
    fn id(&self) -> &str {
        &self.id
    }
}

impl Price {
    /// The price in Stripe's shape, with `product` as given (an id, or the expanded product).
    pub fn to_json(&self, product: Value) -> Value {
        json!({
            "id": self.id,
            "object": "price",
            "active": self.active,
            "billing_scheme": "per_unit",
            "created": self.created,
            "currency": self.currency,
            "custom_unit_amount": null,
            "livemode": false,
            "lookup_key": self.lookup_key,
            "metadata": self.metadata,
            "nickname": self.nickname,
            "product": product,
            "recurring": null,
            "tax_behavior": self.tax_behavior,
            "tiers_mode": null,
            "transform_quantity": null,
            "type": "one_time",
            "unit_amount": self.unit_amount,
            "unit_amount_decimal": self.unit_amount.to_string()
        })
    }
}
