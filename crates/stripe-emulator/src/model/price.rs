//! Prices (`price_`): per unit, one-time or recurring.

use super::Row;
use crate::metadata::Metadata;
use serde_json::{json, Value};

/// A per-unit price, one-time or recurring.
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
    /// `None` for a one-time price.
    pub recurring: Option<Recurring>,
}

/// A recurring price's schedule (licensed usage: charged per unit each period).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recurring {
    /// `day`, `week`, `month` or `year`.
    pub interval: String,
    /// Periods between charges.
    pub interval_count: i64,
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
            "recurring": self.recurring.as_ref().map(|r| json!({
                "aggregate_usage": null,
                "interval": r.interval,
                "interval_count": r.interval_count,
                "meter": null,
                "trial_period_days": null,
                "usage_type": "licensed"
            })),
            "tax_behavior": self.tax_behavior,
            "tiers_mode": null,
            "transform_quantity": null,
            "type": if self.recurring.is_some() { "recurring" } else { "one_time" },
            "unit_amount": self.unit_amount,
            "unit_amount_decimal": self.unit_amount.to_string()
        })
    }
}
