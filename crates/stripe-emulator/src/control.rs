//! The control API (not Stripe's): what tests do to the emulator that Stripe's customers, banks and
//! clocks would do. Served over HTTP under `/_emulator` (see [`routes`]) and called by [`crate::Emulator`].

pub(crate) mod routes;

use crate::delivery::{self, Delivery};
use crate::error::ApiError;
use crate::model::event::EventRequest;
use crate::shared::Shared;
use crate::store::{PaymentChoice, PaymentResult};
use actix_web::http::StatusCode;
use std::sync::Arc;

/// The email a control action pays with when the session fixes none and the caller gives none.
pub(crate) const PLACEHOLDER_EMAIL: &str = "customer@example.com";

/// How a delayed bank debit settles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DelayedOutcome {
    /// The money arrives.
    Succeed,
    /// The debit is returned.
    Fail,
}

/// How a dispute closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisputeOutcome {
    /// In the merchant's favour.
    Won,
    /// In the customer's favour.
    Lost,
}

/// Why a control action was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    /// The session, charge, dispute, event or endpoint does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The object is not in a state that allows the action (a session no longer open, a dispute already
    /// closed…), or a parameter is invalid.
    #[error("{0}")]
    Rejected(String),
}

impl From<ApiError> for ControlError {
    fn from(error: ApiError) -> Self {
        if error.status == StatusCode::NOT_FOUND {
            ControlError::NotFound(error.message)
        } else {
            ControlError::Rejected(error.message)
        }
    }
}

fn act<T>(
    shared: &Arc<Shared>,
    f: impl FnOnce(&mut crate::store::Store) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    shared.with_store(EventRequest::default(), f)
}

/// How many store passes one clock advance runs billing in at most (each runs up to
/// [`crate::store::BILLING_STEPS_PER_PASS`] steps, 1,000 in all, the lock released between passes); what is
/// still due after them runs in the background, a pass a second.
pub(crate) const BILLING_PASSES_PER_ADVANCE: usize = 10;

/// Moves the clock forward by `seconds`, expires what became overdue, runs the subscription billing that
/// fell due in time order (up to [`BILLING_PASSES_PER_ADVANCE`] passes), and returns the new time and
/// whether billing work is still due (it then goes on in the background).
pub(crate) fn advance_clock(shared: &Arc<Shared>, seconds: i64) -> (i64, bool) {
    shared.clock.advance(seconds);
    let mut state = (shared.clock.now(), false);
    for _ in 0..BILLING_PASSES_PER_ADVANCE {
        // Each use of the store runs one billing pass first.
        state = shared.with_store(EventRequest::default(), |store| (store.now, store.billing_due()));
        if !state.1 {
            break;
        }
    }
    state
}

/// Expires an open session now.
pub(crate) fn expire_session(shared: &Arc<Shared>, id: &str) -> Result<(), ApiError> {
    act(shared, |store| store.expire_session(id))
}

/// Submits the checkout form of session `id`, as the hosted page does.
pub(crate) fn pay(
    shared: &Arc<Shared>,
    id: &str,
    choice: PaymentChoice,
    email: Option<&str>,
) -> Result<PaymentResult, ApiError> {
    act(shared, |store| store.submit_payment(id, choice, email))
}

/// Completes or fails the pending 3-D Secure step of session `id`.
pub(crate) fn three_d_secure(
    shared: &Arc<Shared>,
    id: &str,
    complete: bool,
) -> Result<PaymentResult, ApiError> {
    act(shared, |store| store.finish_three_d_secure(id, complete))
}

/// Completes or fails the pending 3-D Secure step of payment intent `id` (made through the API).
/// A failure is `Declined` here (the HTTP route answers it with a 402).
pub(crate) fn payment_intent_action(
    shared: &Arc<Shared>,
    id: &str,
    complete: bool,
) -> Result<PaymentResult, ApiError> {
    match act(shared, |store| store.finish_payment_intent_action(id, complete)) {
        Ok(()) => Ok(PaymentResult::Succeeded),
        Err(error) if error.status == StatusCode::PAYMENT_REQUIRED => Ok(PaymentResult::Declined {
            code: error.code.unwrap_or_default(),
            decline_code: error.decline_code,
            message: error.message,
        }),
        Err(error) => Err(error),
    }
}

/// Settles the delayed bank debit of session `id`.
pub(crate) fn settle(shared: &Arc<Shared>, id: &str, outcome: DelayedOutcome) -> Result<(), ApiError> {
    act(shared, |store| store.settle_delayed_debit(id, outcome == DelayedOutcome::Succeed))
}

/// Opens a dispute on a charge (given its id or its payment intent's).
pub(crate) fn open_dispute(
    shared: &Arc<Shared>,
    charge_or_pi: &str,
    reason: Option<&str>,
) -> Result<String, ApiError> {
    act(shared, |store| store.open_dispute(charge_or_pi, reason))
}

/// Closes an open dispute.
pub(crate) fn close_dispute(shared: &Arc<Shared>, id: &str, outcome: DisputeOutcome) -> Result<(), ApiError> {
    act(shared, |store| store.close_dispute(id, outcome == DisputeOutcome::Won))
}

/// Delivers an event again (to one endpoint, or to every endpoint that wants it); returns the new
/// deliveries' ids.
pub(crate) fn resend_event(
    shared: &Arc<Shared>,
    id: &str,
    endpoint: Option<&str>,
) -> Result<Vec<String>, ApiError> {
    let jobs = act(shared, |store| {
        if let Some(endpoint) = endpoint.filter(|e| !store.endpoints.contains(e)) {
            return Err(ApiError::no_such("webhook_endpoint", endpoint, None));
        }
        store.redeliveries(id, endpoint).ok_or_else(|| ApiError::no_such("event", id, None))
    })?;
    Ok(delivery::dispatch(shared, jobs))
}

/// Makes the next `count` delivery attempts to an endpoint fail without being sent.
pub(crate) fn fail_next_deliveries(shared: &Arc<Shared>, endpoint: &str, count: u32) -> Result<(), ApiError> {
    if !shared.endpoint_exists(endpoint) {
        return Err(ApiError::no_such("webhook_endpoint", endpoint, None));
    }
    shared.deliveries().fail_next(endpoint, count);
    Ok(())
}

/// Every delivery so far, oldest first, with its attempts.
pub(crate) fn deliveries(shared: &Shared) -> Vec<Delivery> {
    shared.deliveries().all()
}
