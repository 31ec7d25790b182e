//! One line of an order.

use crate::model::catalog::CatalogRef;
use crate::model::money::{Money, MoneyError};
use serde::{Deserialize, Serialize};
use url::Url;

/// Most characters a line item's name may have.
pub const MAX_NAME_CHARS: usize = 250;
/// Most units of one line item.
pub const MAX_QUANTITY: u32 = 999;

/// A product name, its unit price, a quantity and an optional image, all checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineItem {
    name: String,
    unit_amount: Money,
    quantity: u32,
    image_url: Option<Url>,
    /// The catalog product and price this line sells, when it came from the catalog.
    #[serde(default)]
    catalog: Option<CatalogRef>,
}

/// Why a line item was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineItemError {
    /// Empty, blank or longer than [`MAX_NAME_CHARS`].
    #[error("name must be 1 to {MAX_NAME_CHARS} characters")]
    Name,
    /// Zero or negative.
    #[error("price must be greater than 0 (in minor units)")]
    Price,
    /// Outside 1..=[`MAX_QUANTITY`].
    #[error("quantity must be between 1 and {MAX_QUANTITY}")]
    Quantity,
    /// Not an absolute http(s) URL.
    #[error("image must be an http or https URL")]
    Image,
}

impl LineItem {
    /// Checks and builds a line item.
    pub fn new(
        name: &str,
        unit_amount: Money,
        quantity: u32,
        image_url: Option<&str>,
    ) -> Result<Self, LineItemError> {
        let name = name.trim();
        let chars = name.chars().count();
        if chars == 0 || chars > MAX_NAME_CHARS {
            return Err(LineItemError::Name);
        }
        if unit_amount.minor() <= 0 {
            return Err(LineItemError::Price);
        }
        if !(1..=MAX_QUANTITY).contains(&quantity) {
            return Err(LineItemError::Quantity);
        }
        let image_url = match image_url.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(raw) => {
                let url = Url::parse(raw).map_err(|_| LineItemError::Image)?;
                if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
                    return Err(LineItemError::Image);
                }
                Some(url)
            }
        };
        Ok(Self { name: name.to_owned(), unit_amount, quantity, image_url, catalog: None })
    }

    /// The product name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The price of one unit.
    pub fn unit_amount(&self) -> Money {
        self.unit_amount
    }

    /// How many units.
    pub fn quantity(&self) -> u32 {
        self.quantity
    }

    /// The product image, if any.
    pub fn image_url(&self) -> Option<&Url> {
        self.image_url.as_ref()
    }

    /// The same line, marked as selling this catalog product at this price.
    pub fn with_catalog(mut self, catalog: CatalogRef) -> Self {
        self.catalog = Some(catalog);
        self
    }

    /// The catalog product and price this line sells, if it came from the catalog.
    pub fn catalog(&self) -> Option<&CatalogRef> {
        self.catalog.as_ref()
    }

    /// Unit amount times quantity.
    pub fn total(&self) -> Result<Money, MoneyError> {
        self.unit_amount.checked_mul(self.quantity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::money::Currency;

    fn usd(minor: i64) -> Money {
        Money::new(minor, Currency::USD).unwrap()
    }

    #[test]
    fn a_valid_item_is_built_and_totals() {
        let item = LineItem::new(" Mug ", usd(1250), 3, Some("https://cdn.example.com/mug.png")).unwrap();
        assert_eq!(item.name(), "Mug");
        assert_eq!(item.total().unwrap().minor(), 3750);
        assert_eq!(item.image_url().unwrap().host_str(), Some("cdn.example.com"));
    }

    #[test]
    fn each_rule_has_its_error() {
        assert_eq!(LineItem::new("", usd(1), 1, None), Err(LineItemError::Name));
        assert_eq!(LineItem::new(&"x".repeat(251), usd(1), 1, None), Err(LineItemError::Name));
        assert!(LineItem::new(&"é".repeat(250), usd(1), 1, None).is_ok());
        assert_eq!(LineItem::new("a", usd(0), 1, None), Err(LineItemError::Price));
        assert_eq!(LineItem::new("a", usd(1), 0, None), Err(LineItemError::Quantity));
        assert_eq!(LineItem::new("a", usd(1), 1000, None), Err(LineItemError::Quantity));
        assert_eq!(LineItem::new("a", usd(1), 1, Some("ftp://x.com/a")), Err(LineItemError::Image));
        assert_eq!(LineItem::new("a", usd(1), 1, Some("javascript:alert(1)")), Err(LineItemError::Image));
        assert!(LineItem::new("a", usd(1), 1, Some("")).unwrap().image_url().is_none());
    }
}
