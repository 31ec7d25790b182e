//! Payment intents made through `/v1/payment_intents`: create, confirm with a test or saved payment method,
//! finish 3-D Secure, update and cancel. Charging reuses the checkout page's outcomes
//! (`payment_outcomes.rs`); only the order of the success events differs (see [`Store::confirm_payment_intent`]).

use super::payment_methods::test_token_card;
use super::Store;
use crate::cards::CardBehaviour;
use crate::error::{ApiError, FailedPayment};
use crate::ids;
use crate::metadata::{Metadata, MetadataUpdate};
use crate::model::payment_intent::{PaymentIntent, PaymentIntentStatus};
use crate::model::payment_method::PaymentMethod;

/// What `POST /v1/payment_intents` asks for (validated by the API layer).
#[derive(Debug, Clone, Default)]
pub struct NewPaymentIntent {
    /// In the currency's minor unit.
    pub amount: i64,
    /// Lowercase ISO currency.
    pub currency: String,
    /// An existing customer's id.
    pub customer: Option<String>,
    /// Initial metadata.
    pub metadata: Metadata,
    /// `description`.
    pub description: Option<String>,
    /// `receipt_email`.
    pub receipt_email: Option<String>,
    /// `payment_method_types[]`; empty means automatic payment methods.
    pub payment_method_types: Vec<String>,
    /// `automatic_payment_methods[allow_redirects]`.
    pub allow_redirects: Option<String>,
    /// `payment_method`: a test token or a saved `pm_…`.
    pub payment_method: Option<String>,
}

/// What `POST /v1/payment_intents/{id}/confirm` (or create with `confirm=true`) adds.
#[derive(Debug, Clone, Default)]
pub struct Confirmation {
    /// A test token or a saved `pm_…`; else the one the payment intent already has.
    pub payment_method: Option<String>,
    /// Where 3-D Secure sends the customer back (makes `next_action` a `redirect_to_url`).
    pub return_url: Option<String>,
    /// `receipt_email`, replacing the payment intent's.
    pub receipt_email: Option<String>,
}

/// What `POST /v1/payment_intents/{id}` changes.
#[derive(Debug, Clone, Default)]
pub struct PaymentIntentChange {
    /// A new amount.
    pub amount: Option<i64>,
    /// A metadata update.
    pub metadata: Option<MetadataUpdate>,
    /// A new description (`""` clears it).
    pub description: Option<String>,
    /// A new receipt email (`""` clears it).
    pub receipt_email: Option<String>,
}

/// Stripe's 400 for an action the payment intent's status does not allow.
fn unexpected_state(pi: &PaymentIntent, action: &str) -> ApiError {
    let mut error = ApiError::invalid(format!(
        "You cannot {action} this PaymentIntent because it has a status of {}.",
        pi.status.as_str()
    ))
    .code("payment_intent_unexpected_state");
    // Stripe puts the payment intent in this error too.
    error.failed_payment = Some(Box::new(FailedPayment { charge: None, payment_intent: pi.to_json() }));
    error
}

impl Store {
    /// Creates a payment intent (`payment_intent.created`): `requires_payment_method`, or
    /// `requires_confirmation` when it is given a payment method; returns its id.
    ///
    /// Errors (nothing changes): no such customer or payment method (400 on the parameter); a saved payment
    /// method attached to another customer (400).
    pub fn create_payment_intent(&mut self, new: NewPaymentIntent) -> Result<String, ApiError> {
        if let Some(customer) = new.customer.as_deref().filter(|c| !self.customers.contains(c)) {
            return Err(ApiError::no_such("customer", customer, Some("customer")));
        }
        let method = match &new.payment_method {
            Some(given) => Some(self.resolve_payment_method(given, new.customer.as_deref())?),
            None => None,
        };
        let id = ids::new_id("pi_");
        let automatic = new.payment_method_types.is_empty();
        let pi = PaymentIntent {
            client_secret: format!("{id}_secret_{}", ids::random_token(25)),
            id: id.clone(),
            created: self.now,
            amount: new.amount,
            currency: new.currency,
            status: match method {
                Some(_) => PaymentIntentStatus::RequiresConfirmation,
                None => PaymentIntentStatus::RequiresPaymentMethod,
            },
            metadata: new.metadata,
            description: new.description,
            customer: new.customer,
            latest_charge: None,
            last_payment_error: None,
            payment_method: method,
            payment_method_types: if automatic { vec!["card".to_owned()] } else { new.payment_method_types },
            canceled_at: None,
            three_d_secure_url: None,
            receipt_email: new.receipt_email,
            return_url: None,
            use_stripe_sdk: false,
            cancellation_reason: None,
            automatic_payment_methods: automatic.then_some(new.allow_redirects),
        };
        self.emit("payment_intent.created", pi.to_json(), None);
        self.payment_intents.insert(pi);
        Ok(id)
    }

    /// Confirms payment intent `id` with its test card's behaviour: success emits `charge.succeeded`, then
    /// `payment_intent.succeeded` (the order Stripe's own captures show; the checkout page sends these two the
    /// other way round); a decline emits `charge.failed`, `payment_intent.payment_failed` and is answered
    /// with the 402 Stripe answers; 3-D Secure emits `payment_intent.requires_action`.
    ///
    /// Errors: no such payment intent (404); not confirmable in its status, owned by a checkout session, no
    /// payment method, an unknown or foreign payment method (400); a decline (402, after the changes above).
    pub fn confirm_payment_intent(&mut self, id: &str, confirmation: Confirmation) -> Result<(), ApiError> {
        let pi = self.payment_intents.get(id).ok_or_else(|| ApiError::no_such("payment_intent", id, None))?;
        if !matches!(
            pi.status,
            PaymentIntentStatus::RequiresPaymentMethod
                | PaymentIntentStatus::RequiresConfirmation
                | PaymentIntentStatus::RequiresAction
        ) {
            return Err(unexpected_state(pi, "confirm"));
        }
        if self.sessions.iter().any(|s| s.payment_intent.as_deref() == Some(id)) {
            return Err(ApiError::invalid(
                "This PaymentIntent is managed by a Checkout Session: pay it on the session's page.",
            )
            .code("payment_intent_unexpected_state"));
        }
        let customer = pi.customer.clone();
        let method = match (&confirmation.payment_method, &pi.payment_method) {
            (Some(given), _) => self.resolve_payment_method(given, customer.as_deref())?,
            (None, Some(method)) => method.clone(),
            (None, None) => return Err(ApiError::invalid(
                "You cannot confirm this PaymentIntent because it's missing a payment method. Update the \
                     PaymentIntent with a payment method and then confirm it again.",
            )
            .param("payment_method")
            .code("payment_intent_unexpected_state")),
        };
        let behaviour = self.payment_methods.get(&method.id).map_or(CardBehaviour::Succeed, |m| m.behaviour);
        let pi = self.payment_intents.get_mut(id).expect("found above");
        if confirmation.receipt_email.is_some() {
            pi.receipt_email = confirmation.receipt_email;
        }
        pi.return_url = confirmation.return_url;
        let email = pi.receipt_email.clone();
        match behaviour {
            CardBehaviour::Succeed | CardBehaviour::SucceedThenDispute => {
                self.payment_intent_succeeded(id, method, email.as_deref());
                if behaviour == CardBehaviour::SucceedThenDispute {
                    // Cannot fail: the charge just succeeded and has no dispute yet.
                    let _ = self.open_dispute(id, None);
                }
                Ok(())
            }
            CardBehaviour::RequireThreeDSecure => {
                let url = format!("{}payment_intents/{id}/three_d_secure", self.base_url);
                let pi = self.payment_intents.get_mut(id).expect("found above");
                pi.use_stripe_sdk = pi.return_url.is_none();
                self.require_three_d_secure(id, method, url);
                Ok(())
            }
            CardBehaviour::Decline(decline) => {
                self.card_declined(id, method, email.as_deref(), decline);
                Err(self.payment_failure(id))
            }
        }
    }

    /// Completes (`authenticated`) or fails the pending 3-D Secure step of payment intent `id`: success as
    /// a confirmation succeeds; failure back to `requires_payment_method` with
    /// `payment_intent_authentication_failure` (`payment_intent.payment_failed`; answered with a 402).
    ///
    /// Errors: no such payment intent (404); none is pending (400 `payment_intent_unexpected_state`).
    pub fn finish_payment_intent_action(&mut self, id: &str, authenticated: bool) -> Result<(), ApiError> {
        let pi = self.payment_intents.get(id).ok_or_else(|| ApiError::no_such("payment_intent", id, None))?;
        let method = match (&pi.status, &pi.payment_method) {
            (PaymentIntentStatus::RequiresAction, Some(method)) => method.clone(),
            _ => return Err(unexpected_state(pi, "authenticate")),
        };
        if !authenticated {
            self.authentication_failed(id);
            return Err(self.payment_failure(id));
        }
        let mut method = method;
        if let crate::model::payment_method::MethodKind::Card { three_d_secure, .. } = &mut method.kind {
            *three_d_secure = true;
        }
        let email = pi.receipt_email.clone();
        self.payment_intent_succeeded(id, method, email.as_deref());
        Ok(())
    }

    /// Cancels payment intent `id` (`payment_intent.canceled`).
    ///
    /// Errors: no such payment intent (404); succeeded, canceled or processing (400
    /// `payment_intent_unexpected_state`); owned by a checkout session (400: expire the session).
    pub fn cancel_payment_intent(&mut self, id: &str, reason: Option<&str>) -> Result<(), ApiError> {
        let pi = self.payment_intents.get(id).ok_or_else(|| ApiError::no_such("payment_intent", id, None))?;
        if matches!(
            pi.status,
            PaymentIntentStatus::Succeeded | PaymentIntentStatus::Canceled | PaymentIntentStatus::Processing
        ) {
            return Err(unexpected_state(pi, "cancel"));
        }
        if self.sessions.iter().any(|s| s.payment_intent.as_deref() == Some(id)) {
            return Err(ApiError::invalid(
                "You cannot cancel this PaymentIntent because it was created by Checkout. Expire the Checkout \
                 Session instead.",
            )
            .code("payment_intent_unexpected_state"));
        }
        let pi = self.payment_intents.get_mut(id).expect("found above");
        pi.status = PaymentIntentStatus::Canceled;
        pi.canceled_at = Some(self.now);
        pi.cancellation_reason = reason.map(str::to_owned);
        pi.three_d_secure_url = None;
        let json = pi.to_json();
        self.emit("payment_intent.canceled", json, None);
        Ok(())
    }

    /// Updates payment intent `id`; no event is emitted for an unchanged one, else none either (Stripe sends
    /// no `payment_intent.updated`).
    ///
    /// Errors: no such payment intent (404); succeeded, canceled or processing (400
    /// `payment_intent_unexpected_state`).
    pub fn update_payment_intent(&mut self, id: &str, change: PaymentIntentChange) -> Result<(), ApiError> {
        let pi =
            self.payment_intents.get_mut(id).ok_or_else(|| ApiError::no_such("payment_intent", id, None))?;
        if matches!(
            pi.status,
            PaymentIntentStatus::Succeeded | PaymentIntentStatus::Canceled | PaymentIntentStatus::Processing
        ) {
            return Err(unexpected_state(pi, "update"));
        }
        if let Some(amount) = change.amount {
            pi.amount = amount;
        }
        if let Some(update) = change.metadata {
            update.apply(&mut pi.metadata);
        }
        if let Some(description) = change.description {
            pi.description = (!description.is_empty()).then_some(description);
        }
        if let Some(email) = change.receipt_email {
            pi.receipt_email = (!email.is_empty()).then_some(email);
        }
        Ok(())
    }

    fn payment_intent_succeeded(&mut self, id: &str, method: PaymentMethod, email: Option<&str>) {
        let (_, pi_json, charge_json) = self.record_card_success(id, method, email);
        self.emit("charge.succeeded", charge_json, None);
        self.emit("payment_intent.succeeded", pi_json, None);
    }

    /// The 402 for the failed attempt of payment intent `id`: its `last_payment_error` with itself.
    fn payment_failure(&self, id: &str) -> ApiError {
        let json = self.payment_intents.get(id).map(PaymentIntent::to_json).unwrap_or_default();
        let error = json["last_payment_error"].clone();
        ApiError::payment_failed(&error, json)
    }

    /// The payment method a `payment_method` parameter names: a test token becomes a new `pm_…`; a saved one
    /// must be unattached or attached to `customer`.
    fn resolve_payment_method(
        &mut self,
        given: &str,
        customer: Option<&str>,
    ) -> Result<PaymentMethod, ApiError> {
        let id = match test_token_card(given) {
            Some(number) => self.payment_method_from_card(number),
            None => given.to_owned(),
        };
        let saved = self
            .payment_methods
            .get(&id)
            .ok_or_else(|| ApiError::no_such("PaymentMethod", given, Some("payment_method")))?;
        if saved.customer.is_some() && saved.customer.as_deref() != customer {
            return Err(ApiError::invalid(format!(
                "The provided PaymentMethod {given} is attached to another customer: pass that customer, or \
                 use a payment method of this PaymentIntent's customer."
            ))
            .param("payment_method"));
        }
        Ok(saved.method.clone())
    }
}
