//! Paying a checkout session: what the hosted page and the control API do when a customer submits.
//!
//! Event order follows the contract: a first submission creates the payment intent
//! (`payment_intent.created`); a success emits `payment_intent.succeeded`, `charge.succeeded`,
//! `checkout.session.completed`; a decline emits `charge.failed`, `payment_intent.payment_failed` and
//! leaves the session open for a retry with the same payment intent. Subscription-mode sessions are paid
//! in `checkout_subscription.rs`.

use super::customers::NewCustomer;
use super::payment_outcomes::card_method;
use super::Store;
use crate::cards::{self, CardBehaviour};
use crate::error::ApiError;
use crate::ids;
use crate::model::charge::{ChargeFailure, ChargeStatus};
use crate::model::checkout_session::{CheckoutSession, PaymentStatus, SessionMode, SessionStatus};
use crate::model::payment_intent::{PaymentError, PaymentIntent, PaymentIntentStatus};
use crate::model::payment_method::{MethodKind, PaymentMethod};

/// What the customer chose on the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentChoice {
    /// A card number, as typed.
    Card(String),
    /// The delayed bank debit the session offers.
    DelayedDebit,
}

/// What a submission led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentResult {
    /// Paid; the session is complete.
    Succeeded,
    /// Declined (or 3-D Secure failed); the session stays open for another try.
    Declined {
        /// `card_declined`, `expired_card`, `payment_intent_authentication_failure`…
        code: String,
        /// The issuer's reason, for card declines.
        decline_code: Option<String>,
        /// For the customer.
        message: String,
    },
    /// 3-D Secure is needed: complete or fail it next.
    RequiresAction,
    /// A delayed debit was submitted: the session is complete and unpaid until it settles.
    Processing,
}

impl Store {
    /// Submits the checkout form for session `id`. `email` is what the customer typed (ignored when the
    /// session fixes it through `customer_email` or `customer`).
    ///
    /// Errors (nothing changes): no such session (404); the session is not open; the email or card number is
    /// invalid, or the chosen method is not offered (400).
    pub fn submit_payment(
        &mut self,
        id: &str,
        choice: PaymentChoice,
        email: Option<&str>,
    ) -> Result<PaymentResult, ApiError> {
        let session = self.open_session(id)?;
        if session.mode == SessionMode::Subscription {
            return self.subscribe_from_checkout(&session, choice, email);
        }
        let email = self.payer_email(&session, email)?;
        let method = match &choice {
            PaymentChoice::Card(typed) => {
                if !session.accepts_cards() {
                    return Err(ApiError::bad_value("card", "This Checkout Session does not accept cards."));
                }
                let number = cards::normalize(typed).ok_or_else(|| {
                    ApiError::bad_value("card", "Your card number is invalid.").code("incorrect_number")
                })?;
                card_method(&number, false)
            }
            PaymentChoice::DelayedDebit => {
                let method_type = match session.delayed_method() {
                    Some("us_bank_account") => "us_bank_account",
                    Some(_) => "sepa_debit",
                    None => {
                        return Err(ApiError::bad_value(
                            "method",
                            "This Checkout Session does not offer a delayed bank debit.",
                        ))
                    }
                };
                PaymentMethod { id: ids::new_id("pm_"), kind: MethodKind::BankDebit { method_type } }
            }
        };
        if let Some(session) = self.sessions.get_mut(id) {
            session.details_email = Some(email.clone());
        }
        let pi_id = self.ensure_payment_intent(id, &email);
        match choice {
            PaymentChoice::DelayedDebit => {
                self.start_delayed_debit(id, &pi_id, method, &email);
                Ok(PaymentResult::Processing)
            }
            PaymentChoice::Card(typed) => {
                let number = cards::normalize(&typed).unwrap_or_default();
                Ok(match cards::behaviour(&number) {
                    CardBehaviour::Succeed => self.card_succeeded(id, &pi_id, method, &email, false),
                    CardBehaviour::SucceedThenDispute => {
                        self.card_succeeded(id, &pi_id, method, &email, true)
                    }
                    CardBehaviour::Decline(decline) => {
                        self.card_declined(&pi_id, method, Some(&email), decline)
                    }
                    CardBehaviour::RequireThreeDSecure => {
                        let url = format!("{}checkout/{id}/three_d_secure", self.base_url);
                        self.require_three_d_secure(&pi_id, method, url)
                    }
                })
            }
        }
    }

    /// Completes (`authenticated`) or fails the 3-D Secure step of session `id`.
    ///
    /// Errors: no such session (404); not open, or no 3-D Secure step is pending (400).
    pub fn finish_three_d_secure(
        &mut self,
        id: &str,
        authenticated: bool,
    ) -> Result<PaymentResult, ApiError> {
        let session = self.open_session(id)?;
        let pending = session
            .payment_intent
            .as_ref()
            .and_then(|pi| self.payment_intents.get(pi))
            .filter(|pi| pi.status == PaymentIntentStatus::RequiresAction)
            .ok_or_else(|| {
                ApiError::invalid("No 3-D Secure authentication is pending for this Checkout Session.")
            })?;
        let pi_id = pending.id.clone();
        let method = pending.payment_method.clone();
        let email = session.details_email.clone().unwrap_or_default();
        match (authenticated, method) {
            (true, Some(mut method)) => {
                if let MethodKind::Card { three_d_secure, .. } = &mut method.kind {
                    *three_d_secure = true;
                }
                Ok(self.card_succeeded(id, &pi_id, method, &email, false))
            }
            _ => Ok(self.authentication_failed(&pi_id)),
        }
    }

    /// Settles the delayed debit of session `id`: success emits `payment_intent.succeeded`,
    /// `charge.succeeded`, `checkout.session.async_payment_succeeded`; failure emits `charge.failed`,
    /// `payment_intent.payment_failed`, `checkout.session.async_payment_failed`.
    ///
    /// Errors: no such session (404); no delayed payment is processing for it (400).
    pub fn settle_delayed_debit(&mut self, id: &str, succeed: bool) -> Result<(), ApiError> {
        let session = self.sessions.get(id).ok_or_else(|| ApiError::no_such("checkout.session", id, None))?;
        let not_processing =
            || ApiError::invalid("No delayed payment is processing for this Checkout Session.");
        let pi = session
            .payment_intent
            .as_ref()
            .and_then(|pi| self.payment_intents.get(pi))
            .filter(|pi| pi.status == PaymentIntentStatus::Processing)
            .ok_or_else(not_processing)?;
        let (pi_id, charge_id) = (pi.id.clone(), pi.latest_charge.clone().ok_or_else(not_processing)?);
        let method_type = pi.payment_method.as_ref().map_or("us_bank_account", PaymentMethod::method_type);

        let charge = self.charges.get_mut(&charge_id).ok_or_else(not_processing)?;
        let pi = self.payment_intents.get_mut(&pi_id).ok_or_else(not_processing)?;
        let session_event = if succeed {
            charge.status = ChargeStatus::Succeeded;
            pi.status = PaymentIntentStatus::Succeeded;
            let (pi_json, charge_json) = (pi.to_json(), charge.to_json());
            self.emit("payment_intent.succeeded", pi_json, None);
            self.emit("charge.succeeded", charge_json, None);
            "checkout.session.async_payment_succeeded"
        } else {
            let message = "The customer's account has insufficient funds to cover this payment.";
            charge.status = ChargeStatus::Failed;
            charge.failure = Some(ChargeFailure {
                code: "insufficient_funds".to_owned(),
                message: message.to_owned(),
                reason: None,
            });
            pi.status = PaymentIntentStatus::RequiresPaymentMethod;
            pi.payment_method = None;
            pi.last_payment_error = Some(PaymentError {
                kind: "invalid_request_error",
                code: "insufficient_funds".to_owned(),
                decline_code: None,
                message: message.to_owned(),
                charge: Some(charge_id.clone()),
                payment_method_type: method_type,
            });
            let (pi_json, charge_json) = (pi.to_json(), charge.to_json());
            self.emit("charge.failed", charge_json, None);
            self.emit("payment_intent.payment_failed", pi_json, None);
            "checkout.session.async_payment_failed"
        };
        let session = self.sessions.get_mut(id).expect("found above");
        if succeed {
            session.payment_status = PaymentStatus::Paid;
        }
        let json = session.to_json(&self.base_url);
        self.emit(session_event, json, None);
        Ok(())
    }

    /// The session, if open (expiry has already been applied by the caller's lock).
    pub(super) fn open_session(&self, id: &str) -> Result<CheckoutSession, ApiError> {
        let session = self.sessions.get(id).ok_or_else(|| ApiError::no_such("checkout.session", id, None))?;
        if session.status != SessionStatus::Open {
            return Err(ApiError::invalid(format!(
                "This Checkout Session is no longer open (its status is `{}`).",
                session.status.as_str()
            ))
            .code("checkout_session_not_open"));
        }
        Ok(session.clone())
    }

    /// The email the payment is made with: fixed by the session or its customer, else the typed one.
    pub(super) fn payer_email(
        &self,
        session: &CheckoutSession,
        typed: Option<&str>,
    ) -> Result<String, ApiError> {
        let fixed = session.customer_email.clone().or_else(|| {
            session.customer.as_ref().and_then(|c| self.customers.get(c)).and_then(|c| c.email.clone())
        });
        if let Some(email) = fixed {
            return Ok(email);
        }
        let typed = typed.map(str::trim).unwrap_or_default();
        let valid =
            typed.split_once('@').is_some_and(|(user, domain)| !user.is_empty() && domain.contains('.'));
        if valid {
            Ok(typed.to_owned())
        } else {
            Err(ApiError::bad_value("email", "Your email address is invalid.").code("email_invalid"))
        }
    }

    /// The session's payment intent, created on the first submission (`payment_intent.created`), along
    /// with the customer when the session asks for one to be created.
    fn ensure_payment_intent(&mut self, session_id: &str, email: &str) -> String {
        let session = self.sessions.get(session_id).expect("checked by the caller").clone();
        if let Some(pi) = session.payment_intent {
            return pi;
        }
        let mut customer = session.customer.clone();
        if customer.is_none() && session.always_create_customer {
            let id =
                self.create_customer(NewCustomer { email: Some(email.to_owned()), ..NewCustomer::default() });
            customer = Some(id);
        }
        let id = ids::new_id("pi_");
        let pi = PaymentIntent {
            client_secret: format!("{id}_secret_{}", ids::random_token(25)),
            id: id.clone(),
            created: self.now,
            amount: session.amount_total,
            currency: session.currency.clone(),
            status: PaymentIntentStatus::RequiresPaymentMethod,
            metadata: session.payment_intent_data.metadata.clone(),
            description: session.payment_intent_data.description.clone(),
            customer: customer.clone(),
            latest_charge: None,
            last_payment_error: None,
            payment_method: None,
            payment_method_types: session.payment_method_types.clone(),
            canceled_at: None,
            three_d_secure_url: None,
            return_url: None,
            use_stripe_sdk: false,
            cancellation_reason: None,
            automatic_payment_methods: None,
            receipt_email: session.payment_intent_data.receipt_email.clone(),
        };
        self.emit("payment_intent.created", pi.to_json(), None);
        self.payment_intents.insert(pi);
        let session = self.sessions.get_mut(session_id).expect("checked by the caller");
        session.payment_intent = Some(id.clone());
        session.customer = customer;
        id
    }
}
