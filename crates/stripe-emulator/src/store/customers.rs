//! Creating and updating customers, with their events.

use super::payment_methods::test_token_card;
use super::Store;
use crate::error::ApiError;
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
    /// `invoice_settings[default_payment_method]` (an existing payment method's id).
    pub default_payment_method: Option<String>,
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
            default_payment_method: new.default_payment_method,
            next_invoice_sequence: 1,
        };
        let id = customer.id.clone();
        self.emit("customer.created", customer.to_json(), None);
        self.customers.insert(customer);
        id
    }

    /// Creates a customer with a payment method attached (`payment_method`, a test token or an unattached
    /// `pm_…`) and/or a default one for invoices (`invoice_settings[default_payment_method]`): events
    /// `customer.created` (with its default), then `payment_method.attached` for each. Returns its id.
    ///
    /// Errors (nothing is created): an unknown or already attached payment method, a default that is not
    /// the attached one (400); a decline card (402).
    pub fn create_customer_with_methods(
        &mut self,
        mut new: NewCustomer,
        payment_method: Option<&str>,
        default_method: Option<&str>,
    ) -> Result<String, ApiError> {
        let check = |store: &Store, given: &str, param: &str| -> Result<(), ApiError> {
            if test_token_card(given).is_some() {
                return Ok(());
            }
            match store.payment_methods.get(given) {
                None => Err(ApiError::no_such("PaymentMethod", given, Some(param))),
                Some(saved) if saved.customer.is_some() => Err(ApiError::invalid(
                    "The payment method you provided has already been attached to a customer.",
                )
                .param(param)),
                Some(_) => Ok(()),
            }
        };
        const DEFAULT: &str = "invoice_settings[default_payment_method]";
        if let Some(given) = payment_method {
            check(self, given, "payment_method")?;
        }
        if let Some(given) = default_method.filter(|d| Some(*d) != payment_method) {
            if test_token_card(given).is_none() {
                return Err(ApiError::no_such("PaymentMethod", given, Some(DEFAULT)));
            }
        }
        let saved = |store: &mut Store, given: &str| match test_token_card(given) {
            Some(number) => store.save_card(number, None, None),
            None => Ok(given.to_owned()),
        };
        let attached = payment_method.map(|given| saved(self, given)).transpose()?;
        let default = match default_method {
            Some(given) if Some(given) == payment_method => attached.clone(),
            Some(given) => Some(saved(self, given)?),
            None => None,
        };
        new.default_payment_method = default.clone();
        let id = self.create_customer(new);
        let mut methods: Vec<String> = attached.into_iter().chain(default).collect();
        methods.dedup();
        for method in methods {
            self.attach_payment_method(&method, &id)?;
        }
        Ok(id)
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
