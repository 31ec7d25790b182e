//! Refunding charges: never more than was paid.

use super::Store;
use crate::cards;
use crate::error::ApiError;
use crate::ids;
use crate::metadata::Metadata;
use crate::model::charge::ChargeStatus;
use crate::model::dispute::DisputeStatus;
use crate::model::payment_method::MethodKind;
use crate::model::refund::Refund;
use crate::money::format_amount;
use serde_json::json;

/// A validated refund request.
#[derive(Debug, Clone, Default)]
pub struct NewRefund {
    /// `charge`.
    pub charge: Option<String>,
    /// `payment_intent`.
    pub payment_intent: Option<String>,
    /// `amount`; the rest of the charge when absent.
    pub amount: Option<i64>,
    /// `reason`.
    pub reason: Option<String>,
    /// `metadata`.
    pub metadata: Metadata,
}

/// The fingerprint every card payment method of [`cards::REFUND_FAIL`] carries.
fn refund_fail_fingerprint() -> String {
    match super::payment_outcomes::card_method(cards::REFUND_FAIL, false).kind {
        MethodKind::Card { fingerprint, .. } => fingerprint,
        MethodKind::BankDebit { .. } => String::new(),
    }
}

impl Store {
    /// Refunds all or part of a succeeded charge: emits `refund.created`, then `charge.refunded` (with the
    /// charge's cumulative `amount_refunded` and its previous values). A charge of the refund-fail card
    /// ([`cards::REFUND_FAIL`]) then takes the refund back: `refund.updated` (status `failed`), `refund.failed`
    /// and `charge.refund.updated`, the charge's `amount_refunded` lowered again. Returns the refund as created
    /// (`succeeded`), with its id.
    ///
    /// Errors (400): neither or mismatching charge and payment intent, either missing, nothing paid yet,
    /// the charge disputed, fully refunded already, or `amount` above what is left.
    pub fn create_refund(&mut self, new: NewRefund) -> Result<(String, serde_json::Value), ApiError> {
        let charge_id = match (&new.charge, &new.payment_intent) {
            (None, None) => return Err(ApiError::invalid(
                "One of the following params should be provided for this request: payment_intent or charge.",
            )
            .code("parameter_missing")),
            (Some(charge), pi) => {
                let found = self
                    .charges
                    .get(charge)
                    .ok_or_else(|| ApiError::no_such("charge", charge, Some("charge")))?;
                if pi.as_ref().is_some_and(|pi| *pi != found.payment_intent) {
                    return Err(ApiError::bad_value(
                        "payment_intent",
                        format!(
                            "Charge {charge} does not belong to PaymentIntent {}.",
                            pi.as_deref().unwrap_or_default()
                        ),
                    ));
                }
                charge.clone()
            }
            (None, Some(pi_id)) => {
                let pi = self
                    .payment_intents
                    .get(pi_id)
                    .ok_or_else(|| ApiError::no_such("payment_intent", pi_id, Some("payment_intent")))?;
                let paid = pi
                    .latest_charge
                    .as_ref()
                    .and_then(|c| self.charges.get(c))
                    .filter(|c| c.status == ChargeStatus::Succeeded);
                paid.map(|c| c.id.clone()).ok_or_else(|| {
                    ApiError::invalid(format!(
                        "This PaymentIntent ({pi_id}) does not have a successful charge to refund."
                    ))
                    .param("payment_intent")
                })?
            }
        };
        let disputed = self.disputes.iter().any(|d| d.charge == charge_id && d.status != DisputeStatus::Won);
        let charge = self.charges.get_mut(&charge_id).expect("found above");
        if charge.status != ChargeStatus::Succeeded {
            return Err(ApiError::invalid(format!(
                "Charge {charge_id} has not succeeded; there is nothing to refund."
            ))
            .param("charge"));
        }
        if disputed {
            return Err(ApiError::invalid(format!(
                "Charge {charge_id} has been charged back; cannot issue a refund."
            ))
            .code("charge_disputed"));
        }
        let left = charge.refundable();
        if left <= 0 {
            return Err(ApiError::invalid(format!("Charge {charge_id} has already been refunded."))
                .code("charge_already_refunded"));
        }
        let amount = new.amount.unwrap_or(left);
        if amount <= 0 {
            return Err(ApiError::invalid("Invalid positive integer")
                .param("amount")
                .code("parameter_invalid_integer"));
        }
        if amount > left {
            return Err(ApiError::invalid(format!(
                "Refund amount ({}) is greater than unrefunded amount on charge ({})",
                format_amount(amount, &charge.currency),
                format_amount(left, &charge.currency)
            ))
            .param("amount")
            .code("amount_too_large"));
        }
        let previous = json!({
            "amount_refunded": charge.amount_refunded,
            "refunded": charge.to_json()["refunded"].clone()
        });
        charge.amount_refunded += amount;
        let refund = Refund {
            id: ids::new_id("re_"),
            created: self.now,
            amount,
            currency: charge.currency.clone(),
            charge: charge_id.clone(),
            payment_intent: charge.payment_intent.clone(),
            reason: new.reason,
            metadata: new.metadata,
            failure_reason: None,
        };
        let fails = matches!(&charge.payment_method.kind, MethodKind::Card { fingerprint, .. }
            if *fingerprint == refund_fail_fingerprint());
        let charge_json = charge.to_json();
        let id = refund.id.clone();
        let created = refund.to_json();
        self.emit("refund.created", created.clone(), None);
        self.emit("charge.refunded", charge_json, Some(previous));
        if fails {
            if let Some(charge) = self.charges.get_mut(&charge_id) {
                charge.amount_refunded -= amount;
            }
            let mut failed = refund.clone();
            failed.failure_reason = Some("expired_or_canceled_card".to_owned());
            let json = failed.to_json();
            self.emit(
                "refund.updated",
                json.clone(),
                Some(json!({"status": "succeeded", "failure_reason": null})),
            );
            self.emit("refund.failed", json.clone(), None);
            self.emit("charge.refund.updated", json, Some(json!({"status": "succeeded"})));
            self.refunds.insert(failed);
        } else {
            self.refunds.insert(refund);
        }
        Ok((id, created))
    }
}
