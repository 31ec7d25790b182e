//! Customers (`cus_`).

use super::Row;
use crate::metadata::Metadata;
use serde_json::{json, Value};

/// A customer.
#[derive(Debug, Clone)]
pub struct Customer {
    /// `cus_…`
    pub id: String,
    /// Unix seconds.
    pub created: i64,
    /// The customer's email address.
    pub email: Option<String>,
    /// Full name.
    pub name: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// Key-value pairs.
    pub metadata: Metadata,
    /// Prefix of the customer's invoice numbers (random, as Stripe makes it).
    pub invoice_prefix: String,
    /// `invoice_settings.default_payment_method`: what subscriptions charge when they name none.
    pub default_payment_method: Option<String>,
    /// The sequence number of the customer's next invoice (starts at 1).
    pub next_invoice_sequence: u32,
}

impl Row for Customer {
    fn id(&self) -> &str {
        &self.id
    }
}

impl Customer {
    /// The customer in Stripe's shape.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "object": "customer",
            "address": null,
            "balance": 0,
            "created": self.created,
            "currency": null,
            "default_source": null,
            "delinquent": false,
            "description": self.description,
            "discount": null,
            "email": self.email,
            "invoice_prefix": self.invoice_prefix,
            "invoice_settings": {
                "custom_fields": null,
                "default_payment_method": self.default_payment_method,
                "footer": null,
                "rendering_options": null
            },
            "livemode": false,
            "metadata": self.metadata,
            "name": self.name,
            "next_invoice_sequence": self.next_invoice_sequence,
            "phone": self.phone,
            "preferred_locales": [],
            "shipping": null,
            "tax_exempt": "none",
            "test_clock": null
        })
    }
}
