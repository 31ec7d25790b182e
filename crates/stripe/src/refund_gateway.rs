//! [`RefundGateway`] over Stripe Refunds (`POST /v1/refunds`), through async-stripe.

use crate::checkout_form::ORDER_ID_METADATA_KEY;
use crate::gateway::StripeGateway;
use crate::idempotency::stripe_idempotency_key;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use payments_domain::{
    Currency, GatewayError, Money, NewRefund, Refund, RefundGateway, RefundId, RefundReason, RefundStatus,
};
use std::collections::HashMap;
use stripe_core::refund::{CreateRefund, CreateRefundReason};

#[async_trait]
impl RefundGateway for StripeGateway {
    #[tracing::instrument(skip_all, fields(order_id = %refund.order_id, amount = refund.amount.minor()))]
    async fn create_refund(&self, refund: &NewRefund) -> Result<Refund, GatewayError> {
        let key = stripe_idempotency_key(
            &refund.idempotency_key,
            &format!("a refund of order {}", refund.order_id),
        )?;
        let created = self.create("create refund", &refund_form(refund), &key).await?;
        let refund = read_refund(&created, Utc::now())?;
        tracing::info!(refund_id = %refund.id, status = refund.status.as_str(), "refund created");
        Ok(refund)
    }
}

/// A refund of `amount` of the payment intent, with the order id in its metadata (so its events find the
/// order even when they name no payment intent).
pub(crate) fn refund_form(refund: &NewRefund) -> CreateRefund {
    let form = CreateRefund::new()
        .payment_intent(refund.payment_intent.as_str())
        .amount(refund.amount.minor())
        .metadata(HashMap::from([(ORDER_ID_METADATA_KEY.to_owned(), refund.order_id.to_string())]));
    match refund.reason {
        None => form,
        Some(RefundReason::Duplicate) => form.reason(CreateRefundReason::Duplicate),
        Some(RefundReason::Fraudulent) => form.reason(CreateRefundReason::Fraudulent),
        Some(RefundReason::RequestedByCustomer) => form.reason(CreateRefundReason::RequestedByCustomer),
    }
}

/// Stripe's refund as the domain's, learnt at `now`.
/// Errors: [`GatewayError::Unknown`] when its id, currency, amount or status does not read.
fn read_refund(refund: &stripe_core::Refund, now: DateTime<Utc>) -> Result<Refund, GatewayError> {
    let unreadable =
        |what: &str| GatewayError::Unknown(anyhow::anyhow!("Stripe's refund could not be read: {what}"));
    let id = RefundId::parse(refund.id.as_str()).map_err(|_| unreadable("its id"))?;
    let currency = Currency::parse(&refund.currency.to_string()).map_err(|_| unreadable("its currency"))?;
    let amount = Money::new(refund.amount, currency).map_err(|_| unreadable("its amount"))?;
    let status =
        refund.status.as_deref().and_then(RefundStatus::parse).ok_or_else(|| unreadable("its status"))?;
    let reason = refund.reason.as_ref().and_then(|r| RefundReason::parse(r.as_str()));
    let created = DateTime::from_timestamp(refund.created, 0).unwrap_or(now).min(now);
    Ok(Refund { id, amount, status, reason, created, updated: now })
}

#[cfg(test)]
mod tests {
    use super::*;
    use payments_domain::{OrderId, PaymentIntentId};
    use stripe::StripeRequest;

    #[test]
    fn the_form_names_the_payment_amount_reason_and_order() {
        let order_id = OrderId::new_v7();
        let refund = NewRefund {
            order_id,
            payment_intent: PaymentIntentId::parse("pi_123").unwrap(),
            amount: Money::new(250, Currency::USD).unwrap(),
            reason: Some(RefundReason::RequestedByCustomer),
            idempotency_key: "refund-x".into(),
        };
        let body = refund_form(&refund).build().body.expect("a POST has a form body");
        let form: HashMap<String, String> =
            url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
        assert_eq!(
            form,
            HashMap::from([
                ("payment_intent".to_owned(), "pi_123".to_owned()),
                ("amount".to_owned(), "250".to_owned()),
                ("reason".to_owned(), "requested_by_customer".to_owned()),
                ("metadata[order_id]".to_owned(), order_id.to_string()),
            ])
        );
    }
}
