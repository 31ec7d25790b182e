//! Creating and updating customers, with their events.

use super::Store;
use crate::ids;
use crate::metadata::Metadata;
use crate::model::customer::Customer;
use serde_json::{Map, Value};

/// The fields a customer is created with.
#[derive(Debug, Clone, Default)]
pub struct NewCustomer {
    /// Email address.
    pub email: Option<String>,
    /// Full name.
    pub name: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// Key-value pairs.
    pub metadata: Metadata,
}

impl Store {
    /// Creates a customer (event `customer.created`) and returns its id.
    pub fn create_customer(&mut self, new: NewCustomer) -> String {
        let customer = Customer {
            id: ids::new_id("cus_"),
            created: self.now,
            email: new.email,
            name: new.name,
            phone: new.phone,
            description: new.description,
            metadata: new.metadata,
            invoice_prefix: ids::random_token(8).to_uppercase(),
        };
        let id = customer.id.clone();
        self.emit("customer.created", customer.to_json(), None);
        self.customers.insert(customer);
        id
    }

    /// Applies `change` to a customer; emits `customer.updated` with the previous values of the fields
    /// that changed, when any did. `None` when there is no such customer.
    pub fn update_customer(&mut self, id: &str, change: impl FnOnce(&mut Customer)) -> Option<Value> {
        let customer = self.customers.get_mut(id)?;
        let before = customer.to_json();
        change(customer);
        let after = customer.to_json();
        let previous: Map<String, Value> = before
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, v)| after.get(k.as_str()) != Some(v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !previous.is_empty() {
            self.emit("customer.updated", after.clone(), Some(Value::Object(previous)));
        }
        Some(after)
    }
}
