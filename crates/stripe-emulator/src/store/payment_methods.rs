//! Cards saved on customers: Stripe's test payment method tokens (`pm_card_visa`…), attaching, and which
//! cards cannot be attached at all.

use super::payment_outcomes::card_method;
use super::Store;
use crate::cards::{self, CardBehaviour};
use crate::error::ApiError;
use crate::model::saved_payment_method::SavedPaymentMethod;

/// Stripe's test payment method tokens and the test card each stands for: each use makes a new
/// `pm_…` payment method.
const TEST_TOKENS: &[(&str, &str)] = &[
    ("pm_card_visa", "4242424242424242"),
    ("pm_card_visa_debit", "4000056655665556"),
    ("pm_card_mastercard", "5555555555554444"),
    ("pm_card_amex", "378282246310005"),
    ("pm_card_discover", "6011111111111117"),
    ("pm_card_chargeCustomerFail", cards::CHARGE_CUSTOMER_FAIL),
    ("pm_card_chargeDeclined", "4000000000000002"),
    ("pm_card_visa_chargeDeclined", "4000000000000002"),
    ("pm_card_chargeDeclinedInsufficientFunds", "4000000000009995"),
    ("pm_card_chargeDeclinedExpiredCard", "4000000000000069"),
    ("pm_card_chargeDeclinedProcessingError", "4000000000000119"),
    ("pm_card_authenticationRequired", "4000002760003184"),
    ("pm_card_threeDSecure2Required", "4000000000003220"),
    ("pm_card_createDispute", "4000000000000259"),
    ("pm_card_refundFail", cards::REFUND_FAIL),
];

/// The test card a token stands for.
pub fn test_token_card(token: &str) -> Option<&'static str> {
    TEST_TOKENS.iter().find(|(t, _)| *t == token).map(|(_, number)| *number)
}

impl Store {
    /// Saves card `number` (digits) as a payment method, attached to `customer` if given
    /// (`payment_method.attached`); returns its id.
    ///
    /// Errors: 402 `card_declined` for the decline cards, which cannot be attached (0341 can).
    pub fn save_card(
        &mut self,
        number: &str,
        customer: Option<&str>,
        email: Option<String>,
    ) -> Result<String, ApiError> {
        if let CardBehaviour::Decline(decline) = cards::behaviour(number) {
            if number != cards::CHARGE_CUSTOMER_FAIL {
                return Err(ApiError::card_declined(&decline));
            }
        }
        let saved = SavedPaymentMethod {
            method: card_method(number, false),
            created: self.now,
            customer: customer.map(str::to_owned),
            later_charges_fail: number == cards::CHARGE_CUSTOMER_FAIL,
            email,
            behaviour: cards::behaviour(number),
        };
        let id = saved.method.id.clone();
        if customer.is_some() {
            self.emit("payment_method.attached", saved.to_json(), None);
        }
        self.payment_methods.insert(saved);
        Ok(id)
    }

    /// A new, unattached payment method for the test card `number` (what a test token such as
    /// `pm_card_chargeDeclined` becomes when a payment intent is confirmed with it): decline cards
    /// included, no event; returns its id.
    pub fn payment_method_from_card(&mut self, number: &str) -> String {
        let saved = SavedPaymentMethod {
            method: card_method(number, false),
            created: self.now,
            customer: None,
            later_charges_fail: number == cards::CHARGE_CUSTOMER_FAIL,
            email: None,
            behaviour: cards::behaviour(number),
        };
        let id = saved.method.id.clone();
        self.payment_methods.insert(saved);
        id
    }

    /// A payment method for `customer` from a parameter: a test token makes and attaches a new one; an id
    /// must be attached to the customer already.
    ///
    /// Errors: an unknown id (400 `resource_missing` on `param`), one not attached to the customer (400),
    /// a token for a decline card (402).
    pub fn customer_payment_method(
        &mut self,
        given: &str,
        customer: &str,
        param: &str,
    ) -> Result<String, ApiError> {
        if let Some(number) = test_token_card(given) {
            return self.save_card(number, Some(customer), None);
        }
        let saved = self
            .payment_methods
            .get(given)
            .ok_or_else(|| ApiError::no_such("PaymentMethod", given, Some(param)))?;
        if saved.customer.as_deref() != Some(customer) {
            return Err(ApiError::invalid(format!(
                "The customer does not have a payment method with the ID {given}. The payment method must be \
                 attached to the customer."
            ))
            .param(param));
        }
        Ok(given.to_owned())
    }

    /// `POST /v1/payment_methods/{id}/attach`: attaches a saved (or test token) payment method to `customer`
    /// (`payment_method.attached`); returns its id.
    ///
    /// Errors: no such payment method (404) or customer (400); already attached to another customer (400);
    /// a decline card (402).
    pub fn attach_payment_method(&mut self, id: &str, customer: &str) -> Result<String, ApiError> {
        if !self.customers.contains(customer) {
            return Err(ApiError::no_such("customer", customer, Some("customer")));
        }
        if let Some(number) = test_token_card(id) {
            return self.save_card(number, Some(customer), None);
        }
        let saved =
            self.payment_methods.get_mut(id).ok_or_else(|| ApiError::no_such("PaymentMethod", id, None))?;
        match saved.customer.as_deref() {
            Some(owner) if owner == customer => Ok(id.to_owned()),
            Some(_) => Err(ApiError::invalid(
                "The payment method you provided has already been attached to a customer.",
            )),
            None => {
                saved.customer = Some(customer.to_owned());
                let json = saved.to_json();
                self.emit("payment_method.attached", json, None);
                Ok(id.to_owned())
            }
        }
    }
}
