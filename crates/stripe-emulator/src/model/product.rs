//! Products (`prod_`).

use super::Row;
use crate::metadata::Metadata;
use serde_json::{json, Value};

/// A product.
#[derive(Debug, Clone)]
pub struct Product {
    /// `prod_…`, or the id the caller chose.
    pub id: String,
    /// Unix seconds.
    pub created: i64,
    /// Unix seconds of the last change.
    pub updated: i64,
    /// Shown to customers, on the checkout page too.
    pub name: String,
    /// Shown under the name.
    pub description: Option<String>,
    /// Whether it can be bought.
    pub active: bool,
    /// Image URLs.
    pub images: Vec<String>,
    /// Key-value pairs.
    pub metadata: Metadata,
    /// The product's public URL.
    pub url: Option<String>,
}

impl Row for Product {
    fn id(&self) -> &str {
        &self.id
    }
}

impl Product {
    /// The product in Stripe's shape.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "object": "product",
            "active": self.active,
            "attributes": [],
            "created": self.created,
            "default_price": null,
            "description": self.description,
            "features": [],
            "images": self.images,
            "livemode": false,
            "marketing_features": [],
            "metadata": self.metadata,
            "name": self.name,
            "package_dimensions": null,
            "shippable": null,
            "statement_descriptor": null,
            "tax_code": null,
            "type": "service",
            "unit_label": null,
            "updated": self.updated,
            "url": self.url
        })
    }
}
