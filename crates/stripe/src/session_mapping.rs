//! Reading async-stripe's Checkout Session into the domain's [`CheckoutSession`] and [`SessionSnapshot`].

use chrono::{DateTime, Utc};
use payments_domain::{
    CheckoutSession, CheckoutSessionId, Currency, GatewayError, IntentSnapshot, IntentState, Money,
    PaymentIntentId, SessionPaymentStatus, SessionSnapshot, SessionState,
};
use stripe_checkout::{
    CheckoutSession as StripeSession, CheckoutSessionPaymentStatus, CheckoutSessionStatus,
};
use url::Url;

/// The session just opened: its id, where to send the customer, and when it expires.
/// Errors: [`GatewayError::Unknown`] when the id or URL is missing or unreadable.
pub(crate) fn opened_session(session: &StripeSession) -> Result<CheckoutSession, GatewayError> {
    let raw_url = session.url.as_deref().ok_or_else(|| unreadable("the new session has no url"))?;
    Ok(CheckoutSession {
        id: session_id(session)?,
        url: Url::parse(raw_url).map_err(|_| unreadable("the new session's url is not a URL"))?,
        expires_at: timestamp(session.expires_at),
    })
}

/// The session as Stripe reports it now.
/// Errors: [`GatewayError::Unknown`] when the id is unreadable or the status is missing or new to us.
pub(crate) fn snapshot(session: &StripeSession) -> Result<SessionSnapshot, GatewayError> {
    let state = match &session.status {
        Some(CheckoutSessionStatus::Open) => SessionState::Open,
        Some(CheckoutSessionStatus::Complete) => SessionState::Complete,
        Some(CheckoutSessionStatus::Expired) => SessionState::Expired,
        Some(other) => return Err(unreadable(&format!("unknown session status {:?}", other.as_str()))),
        None => return Err(unreadable("the session has no status")),
    };
    Ok(SessionSnapshot {
        id: session_id(session)?,
        state,
        payment_status: payment_status(&session.payment_status),
        payment_intent_id: session
            .payment_intent
            .as_ref()
            .and_then(|intent| PaymentIntentId::parse(intent.id().as_str()).ok()),
        amount_total: amount(session.amount_total, session.currency.as_ref()),
    })
}

/// An unknown payment status is read as unpaid: money is never assumed.
fn payment_status(status: &CheckoutSessionPaymentStatus) -> SessionPaymentStatus {
    match status {
        CheckoutSessionPaymentStatus::Paid => SessionPaymentStatus::Paid,
        CheckoutSessionPaymentStatus::NoPaymentRequired => SessionPaymentStatus::NoPaymentRequired,
        CheckoutSessionPaymentStatus::Unpaid => SessionPaymentStatus::Unpaid,
        _ => SessionPaymentStatus::Unpaid,
    }
}

fn session_id(session: &StripeSession) -> Result<CheckoutSessionId, GatewayError> {
    CheckoutSessionId::parse(session.id.as_str()).map_err(|e| unreadable(&e.to_string()))
}

pub(crate) fn amount(minor: Option<i64>, currency: Option<&stripe_types::Currency>) -> Option<Money> {
    let currency = Currency::parse(&currency?.to_string()).ok()?;
    Money::new(minor?, currency).ok()
}

fn timestamp(unix_seconds: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(unix_seconds, 0)
}

fn unreadable(what: &str) -> GatewayError {
    GatewayError::Unknown(anyhow::anyhow!("Stripe's checkout session could not be read: {what}"))
}

/// A PaymentIntent as the domain reads it: succeeded, canceled, or waiting (every other status, an unknown one
/// included: money is never assumed); the amount received once it succeeded, else its amount.
pub(crate) fn intent_snapshot(intent: &stripe_shared::PaymentIntent) -> Result<IntentSnapshot, GatewayError> {
    use stripe_shared::PaymentIntentStatus as Status;
    let state = match intent.status {
        Status::Succeeded => IntentState::Succeeded,
        Status::Canceled => IntentState::Canceled,
        _ => IntentState::Waiting,
    };
    let id = PaymentIntentId::parse(intent.id.as_str())
        .map_err(|error| GatewayError::Unknown(anyhow::anyhow!("Stripe's payment intent id: {error}")))?;
    let minor = if state == IntentState::Succeeded { intent.amount_received } else { intent.amount };
    Ok(IntentSnapshot { id, state, amount: amount(Some(minor), Some(&intent.currency)) })
}
