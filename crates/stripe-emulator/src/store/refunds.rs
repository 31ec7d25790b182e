//! Refunding charges: never more than was paid.

use super::Store;
use crate::error::ApiError;
use crate::ids;
use crate::metadata::Metadata;
use crate::model::charge::ChargeStatus;
use crate::model::dispute::DisputeStatus;
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

impl Store {
    /// Refunds all or part of a succeeded charge: emits `refund.created`, then `charge.refunded` (with the
    /// charge's cumulative `amount_refunded` and its previous values). Returns the refund's id.
    ///
    /// Errors (400): neither or mismatching charge and payment intent, either missing, nothing paid yet,
    /// the charge disputed, fully refunded already, or `amount` above what is left.
    pub fn create_refund(&mut self, new: NewRefund) -> Result<String, ApiError> {
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
        };
        let charge_json = charge.to_json();
        let id = refund.id.clone();
        self.emit("refund.created", refund.to_json(), None);
        self.emit("charge.refunded", charge_json, Some(previous));
        self.refunds.insert(refund);
        Ok(id)
    }
}
