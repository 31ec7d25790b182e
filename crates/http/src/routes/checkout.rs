//! `POST /create-checkout-session` (the seed's path and body) and `POST /api/v1/checkout/sessions` (the seed's
//! body or catalog items).

use crate::auth::Authenticated;
use crate::dto::checkout::{
    order_error, unprocessable, AnyCheckoutRequest, CheckoutCreated, CheckoutRequest, FrontEndConfig,
    PaymentIntentCreated, ValidCheckout,
};
use crate::error::ApiError;
use crate::error_code::ErrorCode;
use crate::rate_limit::GuestCheckoutLimit;
use crate::server::Deadlines;
use crate::server::FrontEnd;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use payments_domain::{Caller, Checkout, GatewayError, PriceError, StartCheckoutError};

/// Registers both checkout paths.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(super::post(&["/create-checkout-session"], create_from_cart))
        .service(super::post(&["/api/v1/checkout/sessions"], create))
        .service(super::post(&["/api/v1/payment-intents"], create_payment_intent))
        .service(super::get(&["/api/v1/config"], config));
}

/// What a front end needs: Stripe's publishable key and the currencies on sale.
async fn config(front_end: web::Data<FrontEnd>) -> HttpResponse {
    HttpResponse::Ok().json(FrontEndConfig {
        publishable_key: front_end.publishable_key.clone(),
        currencies: front_end.currencies.clone(),
    })
}

/// The custom payment flow: the same body as `POST /api/v1/checkout/sessions`; creates the order and a
/// PaymentIntent for it and answers 201 with its client secret, for the shop's own card form.
#[tracing::instrument(skip_all)]
async fn create_payment_intent(
    extracted: Extracted,
    front_end: web::Data<FrontEnd>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    let gate = Gate::admit(extracted)?;
    let valid =
        AnyCheckoutRequest::from_json(body.into_inner())?.validate(gate.checkout.settings().currency)?;
    let list = valid.list;
    let started = within_deadline(
        &gate,
        gate.checkout.start_payment_in(&gate.caller, valid.email, valid.lines, valid.currency),
    )
    .await?
    .map_err(|e| start_checkout_error(&e, list))?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/orders/{}", started.order_id)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(PaymentIntentCreated::new(&started, front_end.publishable_key.clone())))
}

/// `work`, or 503 `checkout_timed_out` once the checkout deadline passes.
async fn within_deadline<T>(gate: &Gate, work: impl std::future::Future<Output = T>) -> Result<T, ApiError> {
    let deadline = gate.deadlines.checkout;
    actix_web::rt::time::timeout(deadline, work).await.map_err(|_| {
        tracing::warn!(deadline_ms = deadline.as_millis(), "a checkout passed its deadline");
        ApiError::new(
            ErrorCode::CheckoutTimedOut,
            format!("The checkout did not finish within {} ms; please retry.", deadline.as_millis()),
        )
        .with_retry_after(1)
    })
}

/// What every checkout request goes through: the guest limit per address, and the checkout's deadline.
struct Gate {
    checkout: web::Data<Checkout>,
    deadlines: web::Data<Deadlines>,
    caller: Caller,
}

impl Gate {
    /// The gate for the caller's request; a guest over the limit is answered 429 before anything is checked.
    fn admit((checkout, deadlines, guests, caller, request): Extracted) -> Result<Self, ApiError> {
        if let (Caller::Guest, Some(limit)) = (&caller.0, guests.as_ref()) {
            limit.admit(&request)?;
        }
        Ok(Self { checkout, deadlines, caller: caller.0 })
    }
}

/// The extractors a [`Gate`] is made of.
type Extracted = (
    web::Data<Checkout>,
    web::Data<Deadlines>,
    web::Data<Option<GuestCheckoutLimit>>,
    Authenticated,
    HttpRequest,
);

/// The seed's body: checks the cart, opens a checkout for it and answers 201 with where to send the customer.
#[tracing::instrument(skip_all)]
async fn create_from_cart(
    extracted: Extracted,
    body: web::Json<CheckoutRequest>,
) -> Result<HttpResponse, ApiError> {
    let gate = Gate::admit(extracted)?;
    let valid = body.into_inner().validate(gate.checkout.settings().currency)?;
    open(&gate, valid).await
}

/// Either body: `{"items": [{"sku" | "price_id", "quantity"}], "email"?}` or the seed's.
#[tracing::instrument(skip_all)]
async fn create(extracted: Extracted, body: web::Json<serde_json::Value>) -> Result<HttpResponse, ApiError> {
    let gate = Gate::admit(extracted)?;
    let valid =
        AnyCheckoutRequest::from_json(body.into_inner())?.validate(gate.checkout.settings().currency)?;
    open(&gate, valid).await
}

async fn open(gate: &Gate, valid: ValidCheckout) -> Result<HttpResponse, ApiError> {
    let list = valid.list;
    let started =
        within_deadline(gate, gate.checkout.start_in(&gate.caller, valid.email, valid.lines, valid.currency))
            .await?
            .map_err(|e| start_checkout_error(&e, list))?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/orders/{}", started.order_id)))
        .json(CheckoutCreated::from(&started)))
}

/// What a client reads when the domain refuses the checkout; `list` names the request's list of lines.
fn start_checkout_error(err: &StartCheckoutError, list: &str) -> ApiError {
    match err {
        StartCheckoutError::InvalidOrder(err) => order_error(err, list),
        StartCheckoutError::AuthenticationRequired => ApiError::authentication_required(
            "Sign in to check out: guest checkout is turned off (send Authorization: Bearer <token>).",
        ),
        StartCheckoutError::EmailRequired => unprocessable(
            ErrorCode::EmailRequired,
            "email is required: a guest must give one, and the signed-in user's token has no email claim.",
        ),
        StartCheckoutError::Price(PriceError::UnknownItem { index, reference }) => unprocessable(
            ErrorCode::UnknownItem,
            format!("{list}[{index}]: {reference} is not in the catalog."),
        ),
        StartCheckoutError::Price(PriceError::PriceMismatch { index, name, given, expected }) => {
            let expected = match expected {
                Some(price) => format!("the catalog price is {price}"),
                None => "the catalog has no price for it in this currency".to_owned(),
            };
            unprocessable(
                ErrorCode::PriceMismatch,
                format!("{list}[{index}] ({name}): the price {given} is not the catalog's; {expected}."),
            )
        }
        StartCheckoutError::Price(PriceError::NotForSale { index, reference, reason }) => unprocessable(
            ErrorCode::NotForSale,
            format!("{list}[{index}]: {reference} cannot be bought here: {reason}."),
        ),
        StartCheckoutError::Price(PriceError::CurrencyNotAvailable { index, reference, currency }) => {
            unprocessable(
                ErrorCode::CurrencyNotAvailable,
                format!("{list}[{index}]: {reference} has no price in {currency}; every line needs one."),
            )
        }
        StartCheckoutError::Price(PriceError::InvalidLine { index, source }) => {
            unprocessable(ErrorCode::InvalidItem, format!("{list}[{index}].{source}"))
        }
        StartCheckoutError::Customer(source @ GatewayError::Rejected { .. }) => {
            tracing::error!(error = %source, "the payment provider refused to create the user's customer");
            ApiError::new(
                ErrorCode::PaymentProviderRejected,
                "The payment provider refused to set up the customer; nothing was ordered.",
            )
        }
        StartCheckoutError::Customer(source) => {
            tracing::warn!(error = %source, "the payment provider could not create the user's customer");
            ApiError::new(
                ErrorCode::PaymentProviderUnavailable,
                "The payment provider could not be reached; nothing was ordered. Please try again.",
            )
        }
        StartCheckoutError::Gateway { order_id, source: source @ GatewayError::Rejected { .. } } => {
            // A refusal is our request's fault (a bad key or parameter): someone must look.
            tracing::error!(%order_id, error = %source, "the payment provider refused to start a payment");
            ApiError::new(
                ErrorCode::PaymentProviderRejected,
                "The payment provider refused to start the payment; the order was not opened.",
            )
        }
        StartCheckoutError::Gateway { order_id, source } => {
            tracing::warn!(%order_id, error = %source, "the payment provider could not open the checkout session");
            ApiError::new(
                ErrorCode::PaymentProviderUnavailable,
                "The payment provider could not be reached; the order was not opened. Please try again.",
            )
            .with_order_id(*order_id)
        }
        StartCheckoutError::Store(err) => ApiError::store(err),
    }
}

#[cfg(test)]
#[path = "checkout_tests.rs"]
mod tests;
