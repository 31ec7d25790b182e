//! Subscriptions: `GET /api/v1/subscriptions` (the caller's; the admin's: every one), `GET
//! /api/v1/subscriptions/{id}`, `POST /api/v1/subscriptions/{id}/cancel` and `/resume`, and
//! `POST /api/v1/billing-portal` (a Stripe Customer Portal session for the signed-in user).

use crate::auth::Authenticated;
use crate::dto::subscription::{CancelRequest, ChangeRequested, PortalSession, SubscriptionList};
use crate::error::ApiError;
use crate::error_code::ErrorCode;
use actix_web::{web, HttpResponse};
use payments_domain::{
    GatewayError, SubscriptionAction, SubscriptionError, SubscriptionId, SubscriptionView, Subscriptions,
};

/// Registers the subscription routes.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(super::get(&["/api/v1/subscriptions"], list))
        .service(super::get(&["/api/v1/subscriptions/{id}"], by_id))
        .service(super::post(&["/api/v1/subscriptions/{id}/cancel"], cancel))
        .service(super::post(&["/api/v1/subscriptions/{id}/resume"], resume))
        .service(super::post(&["/api/v1/billing-portal"], portal));
}

#[tracing::instrument(skip_all)]
async fn list(
    subscriptions: web::Data<Subscriptions>,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    let found = subscriptions.list_for(&caller.0).await.map_err(|e| error(&e))?;
    Ok(super::private_json(SubscriptionList::new(&found)))
}

#[tracing::instrument(skip_all)]
async fn by_id(
    subscriptions: web::Data<Subscriptions>,
    caller: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse(&id)?;
    let found = subscriptions.get_for(&caller.0, &id).await.map_err(|e| error(&e))?;
    Ok(super::private_json(SubscriptionView::from(&found)))
}

#[tracing::instrument(skip_all)]
async fn cancel(
    subscriptions: web::Data<Subscriptions>,
    caller: Authenticated,
    id: web::Path<String>,
    body: web::Json<CancelRequest>,
) -> Result<HttpResponse, ApiError> {
    let action = if body.at_period_end {
        SubscriptionAction::CancelAtPeriodEnd
    } else {
        SubscriptionAction::CancelNow
    };
    change(&subscriptions, &caller, &id, action).await
}

#[tracing::instrument(skip_all)]
async fn resume(
    subscriptions: web::Data<Subscriptions>,
    caller: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    change(&subscriptions, &caller, &id, SubscriptionAction::Resume).await
}

async fn change(
    subscriptions: &Subscriptions,
    caller: &Authenticated,
    id: &str,
    action: SubscriptionAction,
) -> Result<HttpResponse, ApiError> {
    let id = parse(id)?;
    let requested = subscriptions.change(&caller.0, &id, action).await.map_err(|e| error(&e))?;
    Ok(HttpResponse::Accepted()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(ChangeRequested::from(&requested)))
}

#[tracing::instrument(skip_all)]
async fn portal(
    subscriptions: web::Data<Subscriptions>,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    let url = subscriptions.portal_for(&caller.0).await.map_err(|e| error(&e))?;
    Ok(super::private_json(PortalSession { url: url.to_string() }))
}

fn parse(id: &str) -> Result<SubscriptionId, ApiError> {
    SubscriptionId::parse(id).map_err(|_| {
        ApiError::new(ErrorCode::InvalidSubscriptionId, "The subscription id must be Stripe's (sub_...).")
    })
}

/// What a client reads when a subscription cannot be read or changed.
fn error(err: &SubscriptionError) -> ApiError {
    match err {
        SubscriptionError::NotFound => {
            ApiError::new(ErrorCode::SubscriptionNotFound, "No such subscription.")
        }
        SubscriptionError::AuthenticationRequired => {
            ApiError::authentication_required("Sign in to read this: send Authorization: Bearer <token>.")
        }
        SubscriptionError::UsersOnly => ApiError::new(
            ErrorCode::UsersOnly,
            "Only a signed-in user has a billing portal; the admin API key has none.",
        ),
        SubscriptionError::Ended(status) => ApiError::new(
            ErrorCode::SubscriptionEnded,
            format!("The subscription has ended ({status}); nothing can change it. Start a new one."),
        ),
        SubscriptionError::NotCanceling => ApiError::new(
            ErrorCode::SubscriptionNotCanceling,
            "The subscription is not set to cancel at its period's end: there is nothing to resume.",
        ),
        SubscriptionError::NoCustomer => ApiError::new(
            ErrorCode::NoBillingAccount,
            "There is no billing account yet: it is made at the first checkout.",
        ),
        SubscriptionError::Gateway(source @ GatewayError::Rejected { .. }) => {
            tracing::error!(error = %source, "the payment provider refused a subscription request");
            ApiError::new(
                ErrorCode::PaymentProviderRejected,
                "The payment provider refused the request; nothing changed.",
            )
        }
        SubscriptionError::Gateway(source) => {
            tracing::warn!(error = %source, "the payment provider could not take a subscription request");
            ApiError::new(
                ErrorCode::PaymentProviderUnavailable,
                "The payment provider could not be reached; nothing changed. Please try again.",
            )
        }
        SubscriptionError::Store(err) => ApiError::store(err),
    }
}

#[cfg(test)]
#[path = "subscriptions_tests.rs"]
mod tests;
