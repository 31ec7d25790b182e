//! Paying a subscription-mode checkout session: the card is saved on the customer (created if the session
//! names none), the subscription and its first invoice are made and charged, then the session completes.
//!
//! Events, in order: `customer.created` (a new customer), `payment_method.attached`,
//! `customer.subscription.created`, `invoice.created`, `invoice.finalized`, `payment_intent.created`,
//! `payment_intent.succeeded`, `charge.succeeded`, `invoice.paid`, `invoice.payment_succeeded`
//! (no payment intent or charge when the first invoice is free), `customer.subscription.trial_will_end` for a
//! trial shorter than 3 days, and `checkout.session.completed`. A card that cannot be attached (the decline
//! cards but 0341) makes nothing and leaves the session open.

use super::customers::NewCustomer;
use super::payment::{PaymentChoice, PaymentResult};
use super::subscriptions::{NewSubscription, PaymentBehavior};
use super::Store;
use crate::cards::{self, CardBehaviour};
use crate::error::ApiError;
use crate::model::checkout_session::{CheckoutSession, PaymentStatus, SessionStatus};
use crate::model::invoice::InvoiceStatus;

impl Store {
    /// Submits the checkout form of a subscription-mode session (cards only; 3-D Secure cards pay without a
    /// challenge).
    pub(super) fn subscribe_from_checkout(
        &mut self,
        session: &CheckoutSession,
        choice: PaymentChoice,
        email: Option<&str>,
    ) -> Result<PaymentResult, ApiError> {
        let email = self.payer_email(session, email)?;
        let PaymentChoice::Card(typed) = choice else {
            return Err(ApiError::bad_value(
                "method",
                "This Checkout Session does not offer a delayed bank debit.",
            ));
        };
        let number = cards::normalize(&typed).ok_or_else(|| {
            ApiError::bad_value("card", "Your card number is invalid.").code("incorrect_number")
        })?;
        let behaviour = cards::behaviour(&number);
        if let Some(s) = self.sessions.get_mut(&session.id) {
            s.details_email = Some(email.clone());
        }
        if let CardBehaviour::Decline(decline) = behaviour {
            if number != cards::CHARGE_CUSTOMER_FAIL {
                return Ok(PaymentResult::Declined {
                    code: decline.code.to_owned(),
                    decline_code: Some(decline.decline_code.to_owned()),
                    message: decline.message.to_owned(),
                });
            }
        }
        let customer = match &session.customer {
            Some(customer) => customer.clone(),
            None => {
                self.create_customer(NewCustomer { email: Some(email.clone()), ..NewCustomer::default() })
            }
        };
        let method = self.save_card(&number, Some(&customer), Some(email))?;
        let (mut items, mut add_invoice_items) = (Vec::new(), Vec::new());
        for line in &session.line_items {
            let recurring = self.prices.get(&line.price).is_some_and(|p| p.recurring.is_some());
            let target = if recurring { &mut items } else { &mut add_invoice_items };
            target.push((line.price.clone(), line.quantity));
        }
        let data = &session.subscription_data;
        let subscription = self.create_subscription(NewSubscription {
            customer: customer.clone(),
            items,
            add_invoice_items,
            default_payment_method: Some(method),
            trial_end: data.trial_period_days.map(|days| self.now + days * 86_400),
            metadata: data.metadata.clone(),
            description: data.description.clone(),
            cancel_at_period_end: false,
            payment_behavior: PaymentBehavior::ChargeOrIncomplete,
            on_session: true,
        })?;
        let invoice = self.subscriptions.get(&subscription).and_then(|s| s.latest_invoice.clone());
        let first = invoice.as_ref().and_then(|i| self.invoices.get(i));
        let payment_status = match first {
            Some(i) if i.status == InvoiceStatus::Paid && i.total() == 0 => PaymentStatus::NoPaymentRequired,
            Some(i) if i.status == InvoiceStatus::Paid => PaymentStatus::Paid,
            _ => PaymentStatus::Unpaid,
        };
        let charge = first
            .and_then(|i| i.payment_intent.as_ref())
            .and_then(|pi| self.payment_intents.get(pi))
            .and_then(|pi| pi.latest_charge.clone());
        let s = self.sessions.get_mut(&session.id).expect("the caller found it");
        s.customer = Some(customer);
        s.subscription = Some(subscription);
        s.invoice = invoice;
        s.status = SessionStatus::Complete;
        s.payment_status = payment_status;
        let json = s.to_json(&self.base_url);
        self.emit("checkout.session.completed", json, None);
        if let (CardBehaviour::SucceedThenDispute, Some(charge)) = (behaviour, charge) {
            // Cannot fail: the charge just succeeded and has no dispute yet.
            let _ = self.open_dispute(&charge, None);
        }
        Ok(PaymentResult::Succeeded)
    }
}
