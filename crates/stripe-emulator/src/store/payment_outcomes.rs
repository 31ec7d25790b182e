//! What each payment method does once submitted: the charge, the payment intent's and session's states and
//! the events that go with them (the outcomes `payment.rs` picks).

use super::payment::PaymentResult;
use super::Store;
use crate::cards::{self, Decline};
use crate::ids;
use crate::model::charge::{Charge, ChargeFailure, ChargeStatus};
use crate::model::checkout_session::{PaymentStatus, SessionStatus};
use crate::model::payment_intent::{PaymentError, PaymentIntentStatus};
use crate::model::payment_method::{MethodKind, PaymentMethod};

const AUTHENTICATION_FAILED: &str = "We are unable to authenticate your payment method. Please choose a \
                                     different payment method and try again.";

impl Store {
    pub(super) fn new_charge(
        &mut self,
        pi_id: &str,
        method: PaymentMethod,
        email: Option<&str>,
        status: ChargeStatus,
    ) -> String {
        let pi = self.payment_intents.get(pi_id).expect("created before charging");
        let charge = Charge {
            id: ids::new_id("ch_"),
            created: self.now,
            amount: pi.amount,
            currency: pi.currency.clone(),
            status,
            amount_refunded: 0,
            disputed: false,
            metadata: pi.metadata.clone(),
            payment_intent: pi.id.clone(),
            customer: pi.customer.clone(),
            description: pi.description.clone(),
            failure: None,
            payment_method: method,
            billing_email: email.map(str::to_owned),
            receipt_email: pi.receipt_email.clone(),
        };
        let id = charge.id.clone();
        self.charges.insert(charge);
        id
    }

    /// A succeeded charge of the payment intent with `method`, and the payment intent `succeeded`; returns
    /// the charge's id and both objects as they now are, for the caller to emit in its order.
    pub(super) fn record_card_success(
        &mut self,
        pi_id: &str,
        method: PaymentMethod,
        email: Option<&str>,
    ) -> (String, serde_json::Value, serde_json::Value) {
        let charge_id = self.new_charge(pi_id, method.clone(), email, ChargeStatus::Succeeded);
        let pi = self.payment_intents.get_mut(pi_id).expect("created before charging");
        pi.status = PaymentIntentStatus::Succeeded;
        pi.latest_charge = Some(charge_id.clone());
        pi.payment_method = Some(method);
        pi.last_payment_error = None;
        pi.three_d_secure_url = None;
        let pi_json = pi.to_json();
        let charge_json = self.charges.get(&charge_id).map(Charge::to_json).unwrap_or_default();
        (charge_id, pi_json, charge_json)
    }

    pub(super) fn card_succeeded(
        &mut self,
        session_id: &str,
        pi_id: &str,
        method: PaymentMethod,
        email: &str,
        dispute: bool,
    ) -> PaymentResult {
        let (charge_id, pi_json, charge_json) = self.record_card_success(pi_id, method, Some(email));
        self.emit("payment_intent.succeeded", pi_json, None);
        self.emit("charge.succeeded", charge_json, None);
        self.complete_session(session_id, PaymentStatus::Paid);
        if dispute {
            // Cannot fail: the charge just succeeded and has no dispute yet.
            let _ = self.open_dispute(&charge_id, None);
        }
        PaymentResult::Succeeded
    }

    pub(super) fn card_declined(
        &mut self,
        pi_id: &str,
        method: PaymentMethod,
        email: Option<&str>,
        decline: Decline,
    ) -> PaymentResult {
        let charge_id = self.new_charge(pi_id, method, email, ChargeStatus::Failed);
        let charge = self.charges.get_mut(&charge_id).expect("just created");
        charge.failure = Some(ChargeFailure {
            code: decline.code.to_owned(),
            message: decline.message.to_owned(),
            reason: Some(decline.decline_code.to_owned()),
        });
        let charge_json = charge.to_json();
        let pi = self.payment_intents.get_mut(pi_id).expect("created before charging");
        pi.status = PaymentIntentStatus::RequiresPaymentMethod;
        pi.latest_charge = Some(charge_id.clone());
        pi.payment_method = None;
        pi.three_d_secure_url = None;
        pi.last_payment_error = Some(PaymentError {
            kind: "card_error",
            code: decline.code.to_owned(),
            decline_code: Some(decline.decline_code.to_owned()),
            message: decline.message.to_owned(),
            charge: Some(charge_id),
            payment_method_type: "card",
        });
        let pi_json = pi.to_json();
        self.emit("charge.failed", charge_json, None);
        self.emit("payment_intent.payment_failed", pi_json, None);
        PaymentResult::Declined {
            code: decline.code.to_owned(),
            decline_code: Some(decline.decline_code.to_owned()),
            message: decline.message.to_owned(),
        }
    }

    /// The payment intent waits for 3-D Secure at `url` (`payment_intent.requires_action`).
    pub(super) fn require_three_d_secure(
        &mut self,
        pi_id: &str,
        method: PaymentMethod,
        url: String,
    ) -> PaymentResult {
        let pi = self.payment_intents.get_mut(pi_id).expect("created before charging");
        pi.status = PaymentIntentStatus::RequiresAction;
        pi.payment_method = Some(method);
        pi.three_d_secure_url = Some(url);
        let json = pi.to_json();
        self.emit("payment_intent.requires_action", json, None);
        PaymentResult::RequiresAction
    }

    /// 3-D Secure failed: the payment intent goes back to `requires_payment_method` with
    /// `payment_intent_authentication_failure` (`payment_intent.payment_failed`; no charge is made).
    pub(super) fn authentication_failed(&mut self, pi_id: &str) -> PaymentResult {
        let pi = self.payment_intents.get_mut(pi_id).expect("checked by the caller");
        pi.status = PaymentIntentStatus::RequiresPaymentMethod;
        pi.three_d_secure_url = None;
        pi.payment_method = None;
        pi.last_payment_error = Some(PaymentError {
            kind: "invalid_request_error",
            code: "payment_intent_authentication_failure".to_owned(),
            decline_code: None,
            message: AUTHENTICATION_FAILED.to_owned(),
            charge: None,
            payment_method_type: "card",
        });
        let json = pi.to_json();
        self.emit("payment_intent.payment_failed", json, None);
        PaymentResult::Declined {
            code: "payment_intent_authentication_failure".to_owned(),
            decline_code: None,
            message: AUTHENTICATION_FAILED.to_owned(),
        }
    }

    pub(super) fn start_delayed_debit(
        &mut self,
        session_id: &str,
        pi_id: &str,
        method: PaymentMethod,
        email: &str,
    ) {
        let charge_id = self.new_charge(pi_id, method.clone(), Some(email), ChargeStatus::Pending);
        let pi = self.payment_intents.get_mut(pi_id).expect("created before charging");
        pi.status = PaymentIntentStatus::Processing;
        pi.latest_charge = Some(charge_id.clone());
        pi.payment_method = Some(method);
        pi.last_payment_error = None;
        pi.three_d_secure_url = None;
        let pi_json = pi.to_json();
        self.emit("payment_intent.processing", pi_json, None);
        let charge_json = self.charges.get(&charge_id).map(Charge::to_json).unwrap_or_default();
        self.emit("charge.pending", charge_json, None);
        self.complete_session(session_id, PaymentStatus::Unpaid);
    }

    pub(super) fn complete_session(&mut self, session_id: &str, payment_status: PaymentStatus) {
        let Some(session) = self.sessions.get_mut(session_id) else { return };
        session.status = SessionStatus::Complete;
        session.payment_status = payment_status;
        let json = session.to_json(&self.base_url);
        self.emit("checkout.session.completed", json, None);
    }
}

/// A card payment method for a normalized number, with a fingerprint stable per number.
pub(super) fn card_method(number: &str, three_d_secure: bool) -> PaymentMethod {
    use sha2::{Digest, Sha256};
    let digest = hex::encode(Sha256::digest(number.as_bytes()));
    PaymentMethod {
        id: ids::new_id("pm_"),
        kind: MethodKind::Card {
            brand: cards::brand(number),
            last4: number[number.len() - 4..].to_owned(),
            exp_month: 12,
            exp_year: 2034,
            fingerprint: digest[..16].to_owned(),
            three_d_secure,
        },
    }
}
