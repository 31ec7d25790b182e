//! The subscription-mode parameters of `POST /v1/checkout/sessions`: `subscription_data`, and what
//! Stripe refuses in that mode.

use crate::error::ApiError;
use crate::model::checkout_session::SubscriptionData;
use crate::params::Params;

/// `subscription_data` parameters Stripe accepts; the emulator keeps metadata, trial_period_days and
/// description, ignores the rest and refuses those that change billing.
const SUBSCRIPTION_DATA_PARAMS: &[&str] = &[
    "application_fee_percent",
    "billing_cycle_anchor",
    "billing_mode",
    "default_tax_rates",
    "description",
    "invoice_settings",
    "metadata",
    "on_behalf_of",
    "proration_behavior",
    "transfer_data",
    "trial_end",
    "trial_period_days",
    "trial_settings",
];

/// The longest trial Stripe allows (730 days).
const MAX_TRIAL_DAYS: i64 = 730;

/// Reads `subscription_data`.
pub fn subscription_data(p: &Params<'_>) -> Result<SubscriptionData, ApiError> {
    let Some(data) = p.hash("subscription_data")? else { return Ok(SubscriptionData::default()) };
    data.allow_only(SUBSCRIPTION_DATA_PARAMS)?;
    for unsupported in ["billing_cycle_anchor", "trial_end", "application_fee_percent", "transfer_data"] {
        if data.has(unsupported) {
            return Err(ApiError::bad_value(
                &data.name(unsupported),
                format!("The emulator does not support subscription_data[{unsupported}]."),
            ));
        }
    }
    let trial_period_days = data.integer("trial_period_days")?;
    if trial_period_days.is_some_and(|days| !(1..=MAX_TRIAL_DAYS).contains(&days)) {
        return Err(ApiError::bad_value(
            &data.name("trial_period_days"),
            format!("trial_period_days must be between 1 and {MAX_TRIAL_DAYS}."),
        ));
    }
    Ok(SubscriptionData {
        metadata: data.metadata("metadata")?.map(|m| m.into_new()).unwrap_or_default(),
        trial_period_days,
        description: data.opt_text("description")?.map(str::to_owned),
    })
}

/// What Stripe refuses in subscription mode (payment-mode parameters), and `subscription_data` outside it.
pub fn check_mode_parameters(p: &Params<'_>, subscription: bool) -> Result<(), ApiError> {
    if subscription {
        for payment_only in ["payment_intent_data", "customer_creation", "submit_type", "invoice_creation"] {
            if p.has(payment_only) {
                return Err(ApiError::bad_value(
                    payment_only,
                    format!("You can not pass `{payment_only}` in `subscription` mode."),
                ));
            }
        }
        let types = p.text_list("payment_method_types")?;
        if let Some(other) = types.iter().find(|t| **t != "card") {
            return Err(ApiError::bad_value(
                "payment_method_types",
                format!("The emulator supports cards only in `subscription` mode, not {other}."),
            ));
        }
    } else if p.has("subscription_data") {
        return Err(ApiError::bad_value(
            "subscription_data",
            "You can only pass `subscription_data` in `subscription` mode.",
        ));
    }
    Ok(())
}
