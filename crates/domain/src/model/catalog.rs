//! The product catalog: products with server-side prices (Stripe's Product/Price model).
//!
//! A product is named by its SKU, stable across databases and Stripe accounts; each price by a catalog price id
//! of the operator's choosing. Prices are immutable in Stripe, so a price whose amount, currency or recurrence
//! changes in the catalog loses its Stripe price id and is created again by the next sync.

use crate::model::ids::{StripePriceId, StripeProductId};
use crate::model::line_item::MAX_NAME_CHARS;
use crate::model::money::{Currency, Money};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use url::Url;

/// The longest SKU or catalog price id.
pub const MAX_KEY_CHARS: usize = 64;
/// The longest product description.
pub const MAX_DESCRIPTION_CHARS: usize = 2000;

/// Why a catalog entry is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// A SKU or price id with other characters or length.
    #[error("{kind} must be 1 to {MAX_KEY_CHARS} letters, digits, '-', '_' or '.', got {value:?}")]
    Key {
        /// "sku" or "price id".
        kind: &'static str,
        /// The value (cut to 80 characters).
        value: String,
    },
    /// A product name that is empty or too long.
    #[error("product {sku}: the name must be 1 to {MAX_NAME_CHARS} characters")]
    Name {
        /// The product.
        sku: String,
    },
    /// A description that is too long.
    #[error("product {sku}: the description may hold at most {MAX_DESCRIPTION_CHARS} characters")]
    Description {
        /// The product.
        sku: String,
    },
    /// An image that is not an http(s) URL.
    #[error("product {sku}: the image must be an http or https URL")]
    Image {
        /// The product.
        sku: String,
    },
    /// A product without prices.
    #[error("product {sku} has no price")]
    NoPrice {
        /// The product.
        sku: String,
    },
    /// A price of zero or less.
    #[error("price {price}: the amount must be greater than 0 minor units")]
    Amount {
        /// The price.
        price: String,
    },
    /// A free trial on a one-time price, or one outside 1 to 730 days.
    #[error("price {price}: a free trial is for recurring prices, of 1 to 730 days")]
    TrialDays {
        /// The price.
        price: String,
    },
    /// A recurring interval count of zero or above a year's worth.
    #[error("price {price}: the interval count must be 1 to 365")]
    IntervalCount {
        /// The price.
        price: String,
    },
    /// Two prices (or two products) with one id.
    #[error("{kind} {value} appears twice in the catalog")]
    Duplicate {
        /// "sku" or "price id".
        kind: &'static str,
        /// The repeated id.
        value: String,
    },
}

macro_rules! catalog_key {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses `raw`: 1 to [`MAX_KEY_CHARS`] ASCII letters, digits, `-`, `_` or `.`.
            pub fn parse(raw: &str) -> Result<Self, CatalogError> {
                let ok = !raw.is_empty()
                    && raw.len() <= MAX_KEY_CHARS
                    && raw.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
                if ok {
                    Ok(Self(raw.to_owned()))
                } else {
                    Err(CatalogError::Key { kind: $kind, value: raw.chars().take(80).collect() })
                }
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = CatalogError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }
    };
}

catalog_key!(
    /// A product's stock-keeping unit: the product's id in this service's API.
    Sku,
    "sku"
);
catalog_key!(
    /// A catalog price's id, chosen by the operator (Stripe's own price id is kept beside it once synced).
    PriceKey,
    "price id"
);

/// How often a recurring price charges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    /// Daily.
    Day,
    /// Weekly.
    Week,
    /// Monthly.
    Month,
    /// Yearly.
    Year,
}

impl Interval {
    /// Stripe's name for it.
    pub fn as_str(&self) -> &'static str {
        match self {
            Interval::Day => "day",
            Interval::Week => "week",
            Interval::Month => "month",
            Interval::Year => "year",
        }
    }

    /// Parses Stripe's name.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "day" => Some(Interval::Day),
            "week" => Some(Interval::Week),
            "month" => Some(Interval::Month),
            "year" => Some(Interval::Year),
            _ => None,
        }
    }
}

/// A recurring price's schedule (kept for subscriptions; one-time checkout refuses such prices).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Recurring {
    /// The unit.
    pub interval: Interval,
    /// How many units between charges.
    pub interval_count: u32,
}

/// One price of a product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogPrice {
    /// The catalog's id for it.
    pub id: PriceKey,
    /// The amount per unit.
    pub unit_amount: Money,
    /// `None` for a one-time price.
    pub recurring: Option<Recurring>,
    /// Whether it can be bought.
    pub active: bool,
    /// Stripe's id, once synced.
    pub stripe_price_id: Option<StripePriceId>,
    /// Days of free trial a subscription to it starts with (recurring prices only).
    #[serde(default)]
    pub trial_period_days: Option<u32>,
}

/// The longest free trial Stripe allows, in days.
pub const MAX_TRIAL_DAYS: u32 = 730;

impl CatalogPrice {
    /// A one-time or recurring price, checked.
    pub fn new(id: PriceKey, unit_amount: Money, recurring: Option<Recurring>) -> Result<Self, CatalogError> {
        if unit_amount.minor() <= 0 {
            return Err(CatalogError::Amount { price: id.to_string() });
        }
        if recurring.is_some_and(|r| !(1..=365).contains(&r.interval_count)) {
            return Err(CatalogError::IntervalCount { price: id.to_string() });
        }
        Ok(Self { id, unit_amount, recurring, active: true, stripe_price_id: None, trial_period_days: None })
    }

    /// This price with a free trial of `days` (`None`: none) for the subscriptions it starts.
    /// Errors: [`CatalogError::TrialDays`] for a one-time price, or days outside 1 to [`MAX_TRIAL_DAYS`].
    pub fn with_trial_days(mut self, days: Option<u32>) -> Result<Self, CatalogError> {
        if days.is_some_and(|days| self.recurring.is_none() || !(1..=MAX_TRIAL_DAYS).contains(&days)) {
            return Err(CatalogError::TrialDays { price: self.id.to_string() });
        }
        self.trial_period_days = days;
        Ok(self)
    }

    /// Whether Stripe's copy of this price (amount, currency, recurrence) still equals `other`'s.
    pub fn same_terms(&self, other: &CatalogPrice) -> bool {
        self.unit_amount == other.unit_amount && self.recurring == other.recurring
    }

    /// Whether one-time checkout can sell it.
    pub fn is_one_time_and_active(&self) -> bool {
        self.active && self.recurring.is_none()
    }
}

/// A product and its prices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    /// Its SKU.
    pub sku: Sku,
    /// Shown to customers and on Stripe's checkout page.
    pub name: String,
    /// A longer text, if any.
    pub description: Option<String>,
    /// A picture.
    pub image_url: Option<Url>,
    /// Whether it is for sale.
    pub active: bool,
    /// Its prices, in catalog order.
    pub prices: Vec<CatalogPrice>,
    /// Stripe's id, once synced.
    pub stripe_product_id: Option<StripeProductId>,
}

impl Product {
    /// A product, checked: a name of 1 to 250 characters, an http(s) image, at least one price, price ids unique.
    pub fn new(
        sku: Sku,
        name: &str,
        description: Option<&str>,
        image_url: Option<&str>,
        prices: Vec<CatalogPrice>,
    ) -> Result<Self, CatalogError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
            return Err(CatalogError::Name { sku: sku.to_string() });
        }
        let description = description.map(str::trim).filter(|text| !text.is_empty());
        if description.is_some_and(|text| text.chars().count() > MAX_DESCRIPTION_CHARS) {
            return Err(CatalogError::Description { sku: sku.to_string() });
        }
        let image_url = match image_url.map(str::trim).filter(|raw| !raw.is_empty()) {
            None => None,
            Some(raw) => {
                let url = Url::parse(raw)
                    .ok()
                    .filter(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
                    .ok_or_else(|| CatalogError::Image { sku: sku.to_string() })?;
                Some(url)
            }
        };
        if prices.is_empty() {
            return Err(CatalogError::NoPrice { sku: sku.to_string() });
        }
        let mut seen = BTreeSet::new();
        if let Some(price) = prices.iter().find(|price| !seen.insert(price.id.clone())) {
            return Err(CatalogError::Duplicate { kind: "price id", value: price.id.to_string() });
        }
        Ok(Self {
            sku,
            name: name.to_owned(),
            description: description.map(str::to_owned),
            image_url,
            active: true,
            prices,
            stripe_product_id: None,
        })
    }

    /// The price one-time checkout uses for this product in `currency`: its first active one-time price there.
    pub fn checkout_price(&self, currency: Currency) -> Option<&CatalogPrice> {
        self.prices
            .iter()
            .find(|price| price.is_one_time_and_active() && price.unit_amount.currency() == currency)
    }

    /// The price with this catalog id or Stripe price id.
    pub fn price(&self, id: &str) -> Option<&CatalogPrice> {
        self.prices.iter().find(|price| {
            price.id.as_str() == id
                || price.stripe_price_id.as_ref().is_some_and(|stripe| stripe.as_str() == id)
        })
    }
}

/// Checks a whole catalog: SKUs and price ids are unique across it.
pub fn check_catalog(products: &[Product]) -> Result<(), CatalogError> {
    let mut skus = BTreeSet::new();
    let mut prices = BTreeSet::new();
    for product in products {
        if !skus.insert(product.sku.clone()) {
            return Err(CatalogError::Duplicate { kind: "sku", value: product.sku.to_string() });
        }
        for price in &product.prices {
            if !prices.insert(price.id.clone()) {
                return Err(CatalogError::Duplicate { kind: "price id", value: price.id.to_string() });
            }
        }
    }
    Ok(())
}

/// What a line of an order refers to in the catalog, so a paid order can grant its products.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CatalogRef {
    /// The product.
    pub sku: Sku,
    /// The price it was sold at.
    pub price_id: PriceKey,
}

#[cfg(test)]
#[path = "catalog_tests.rs"]
mod tests;
