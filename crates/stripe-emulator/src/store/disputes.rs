//! Opening and closing disputes.

use super::Store;
use crate::error::ApiError;
use crate::ids;
use crate::metadata::Metadata;
use crate::model::charge::ChargeStatus;
use crate::model::dispute::{Dispute, DisputeStatus};
use serde_json::json;

impl Store {
    /// Opens a dispute (status `needs_response`) on a succeeded charge, given the charge's or its payment
    /// intent's id; emits `charge.dispute.created` and returns the dispute's id.
    ///
    /// Errors: no such charge or payment intent (404); the charge has not succeeded or is already
    /// disputed (400).
    pub fn open_dispute(
        &mut self,
        charge_or_payment_intent: &str,
        reason: Option<&str>,
    ) -> Result<String, ApiError> {
        let charge_id = self.charge_of(charge_or_payment_intent)?;
        let charge = self.charges.get_mut(&charge_id).expect("found by charge_of");
        if charge.status != ChargeStatus::Succeeded {
            return Err(ApiError::invalid(format!(
                "Charge {charge_id} has not succeeded and cannot be disputed."
            )));
        }
        if charge.disputed {
            return Err(ApiError::invalid(format!("Charge {charge_id} is already disputed.")));
        }
        charge.disputed = true;
        let dispute = Dispute {
            id: ids::new_id("dp_"),
            created: self.now,
            amount: charge.amount,
            currency: charge.currency.clone(),
            charge: charge_id.clone(),
            payment_intent: charge.payment_intent.clone(),
            reason: reason.unwrap_or("fraudulent").to_owned(),
            status: DisputeStatus::NeedsResponse,
            metadata: Metadata::new(),
            card_brand: charge.payment_method.card_brand(),
        };
        let id = dispute.id.clone();
        self.emit("charge.dispute.created", dispute.to_json(), None);
        self.disputes.insert(dispute);
        Ok(id)
    }

    /// Closes an open dispute as won or lost; emits `charge.dispute.closed` with the previous status.
    ///
    /// Errors: no such dispute (404); it is already closed (400).
    pub fn close_dispute(&mut self, id: &str, won: bool) -> Result<(), ApiError> {
        let dispute = self.disputes.get_mut(id).ok_or_else(|| ApiError::no_such("dispute", id, None))?;
        if dispute.status != DisputeStatus::NeedsResponse {
            return Err(ApiError::invalid(format!(
                "Dispute {id} is already closed ({}).",
                dispute.status.as_str()
            )));
        }
        let previous = json!({ "status": dispute.status.as_str() });
        dispute.status = if won { DisputeStatus::Won } else { DisputeStatus::Lost };
        let json = dispute.to_json();
        self.emit("charge.dispute.closed", json, Some(previous));
        Ok(())
    }

    /// The charge meant by a charge id, or the latest charge of a payment intent id.
    pub fn charge_of(&self, charge_or_payment_intent: &str) -> Result<String, ApiError> {
        let id = charge_or_payment_intent;
        if id.starts_with("pi_") {
            let pi =
                self.payment_intents.get(id).ok_or_else(|| ApiError::no_such("payment_intent", id, None))?;
            return pi
                .latest_charge
                .clone()
                .ok_or_else(|| ApiError::invalid(format!("PaymentIntent {id} has no charge.")));
        }
        if self.charges.contains(id) {
            Ok(id.to_owned())
        } else {
            Err(ApiError::no_such("charge", id, None))
        }
    }
}
