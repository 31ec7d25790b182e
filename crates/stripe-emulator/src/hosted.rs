//! The hosted checkout page at `session.url` (`/checkout/{id}`): plain HTML forms that POST back.
//!
//! - `GET  /checkout/{id}`: the form (open), the settle buttons (delayed debit processing), or a notice.
//! - `POST /checkout/{id}/pay`: `email`, `method=card|delayed`, `card_number`. Success and delayed debits
//!   redirect (303) to `success_url`; 3-D Secure redirects to the challenge; a decline shows the form
//!   again with the error (402), the session still open.
//! - `GET|POST /checkout/{id}/three_d_secure`: the challenge; `action=complete|fail`.
//! - `POST /checkout/{id}/settle`: `outcome=succeed|fail` for a delayed debit.
//!
//! The customer portal's page lives in [`portal`] (`/billing_portal/{id}`).

mod pages;
mod portal;
mod view;

use crate::control;
use crate::form::FormValue;
use crate::model::checkout_session::{PaymentStatus, SessionStatus};
use crate::model::event::EventRequest;
use crate::model::payment_intent::PaymentIntentStatus;
use crate::shared::Shared;
use crate::store::{PaymentChoice, PaymentResult};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use pages::Typed;
use std::sync::Arc;
use view::SessionView;

/// Registers the checkout page's and the portal page's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/checkout/{id}", web::get().to(show))
        .route("/checkout/{id}/pay", web::post().to(pay))
        .route("/checkout/{id}/three_d_secure", web::get().to(show_three_d_secure))
        .route("/checkout/{id}/three_d_secure", web::post().to(three_d_secure))
        .route("/checkout/{id}/settle", web::post().to(settle));
    portal::configure(cfg);
}

fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, to)).finish()
}

fn load(shared: &Arc<Shared>, id: &str) -> Option<SessionView> {
    shared.with_store(EventRequest::default(), |store| SessionView::load(store, id))
}

fn not_found() -> HttpResponse {
    html(
        StatusCode::NOT_FOUND,
        pages::notice("Checkout session not found", "This link does not lead to a Checkout Session.", None),
    )
}

/// The page for a session in any state; `error` and `typed` only matter while it is open.
fn state_page(
    view: &SessionView,
    error: Option<&str>,
    typed: &Typed,
    open_status: StatusCode,
) -> HttpResponse {
    match (view.status, view.payment_status, view.payment_intent_status) {
        (SessionStatus::Open, _, _) => html(open_status, pages::checkout(view, error, typed)),
        (SessionStatus::Expired, _, _) => html(
            StatusCode::GONE,
            pages::notice(
                "This Checkout Session has expired",
                "Return to the merchant to start again.",
                view.cancel_url.as_deref().map(|url| (url, "Back to the merchant")),
            ),
        ),
        (SessionStatus::Complete, PaymentStatus::NoPaymentRequired, _) => html(
            StatusCode::OK,
            pages::notice(
                "Subscription started",
                "Your free trial has begun: nothing was charged today.",
                Some((&view.success_url, "Return to the merchant")),
            ),
        ),
        (SessionStatus::Complete, PaymentStatus::Paid, _) => html(
            StatusCode::OK,
            pages::notice(
                "Payment complete",
                "You're all done here.",
                Some((&view.success_url, "Return to the merchant")),
            ),
        ),
        (SessionStatus::Complete, PaymentStatus::Unpaid, Some(PaymentIntentStatus::Processing)) => {
            html(StatusCode::OK, pages::processing(view))
        }
        (SessionStatus::Complete, PaymentStatus::Unpaid, _) => html(
            StatusCode::OK,
            pages::notice(
                "Payment failed",
                "The bank debit was not completed.",
                Some((&view.success_url, "Return to the merchant")),
            ),
        ),
    }
}

async fn show(shared: web::Data<Shared>, id: web::Path<String>) -> HttpResponse {
    let shared = shared.into_inner();
    match load(&shared, &id) {
        Some(view) => state_page(&view, None, &Typed::default(), StatusCode::OK),
        None => not_found(),
    }
}

fn field(form: &FormValue, name: &str) -> String {
    form.get(name).and_then(FormValue::as_text).unwrap_or_default().trim().to_owned()
}

/// Where the browser goes after a payment step: the merchant, the challenge, or the form with the error.
fn after_payment(
    shared: &Arc<Shared>,
    id: &str,
    result: Result<PaymentResult, crate::error::ApiError>,
    typed: &Typed,
) -> HttpResponse {
    let Some(view) = load(shared, id) else { return not_found() };
    match result {
        Ok(PaymentResult::Succeeded | PaymentResult::Processing) => redirect(&view.success_url),
        Ok(PaymentResult::RequiresAction) => redirect(&format!("{}/three_d_secure", view.page_url)),
        Ok(PaymentResult::Declined { message, .. }) => {
            state_page(&view, Some(&message), typed, StatusCode::PAYMENT_REQUIRED)
        }
        Err(error) => state_page(&view, Some(&error.message), typed, StatusCode::BAD_REQUEST),
    }
}

async fn pay(shared: web::Data<Shared>, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let shared = shared.into_inner();
    let form = FormValue::parse(&body).unwrap_or_default();
    let typed = Typed {
        email: field(&form, "email"),
        card_number: field(&form, "card_number"),
        delayed: field(&form, "method") == "delayed",
    };
    let choice = if typed.delayed {
        PaymentChoice::DelayedDebit
    } else {
        PaymentChoice::Card(typed.card_number.clone())
    };
    let result = control::pay(&shared, &id, choice, Some(&typed.email));
    after_payment(&shared, &id, result, &typed)
}

async fn show_three_d_secure(shared: web::Data<Shared>, id: web::Path<String>) -> HttpResponse {
    let shared = shared.into_inner();
    match load(&shared, &id) {
        Some(view) if view.payment_intent_status == Some(PaymentIntentStatus::RequiresAction) => {
            html(StatusCode::OK, pages::three_d_secure(&view))
        }
        Some(view) => redirect(&view.page_url),
        None => not_found(),
    }
}

async fn three_d_secure(shared: web::Data<Shared>, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let shared = shared.into_inner();
    let form = FormValue::parse(&body).unwrap_or_default();
    let complete = field(&form, "action") == "complete";
    let result = control::three_d_secure(&shared, &id, complete);
    after_payment(&shared, &id, result, &Typed::default())
}

async fn settle(shared: web::Data<Shared>, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let shared = shared.into_inner();
    let form = FormValue::parse(&body).unwrap_or_default();
    let Some(view) = load(&shared, &id) else { return not_found() };
    let outcome = match field(&form, "outcome").as_str() {
        "succeed" => control::DelayedOutcome::Succeed,
        "fail" => control::DelayedOutcome::Fail,
        _ => {
            return html(
                StatusCode::BAD_REQUEST,
                pages::notice("Nothing settled", "Choose Succeed or Fail.", Some((&view.page_url, "Back"))),
            )
        }
    };
    match control::settle(&shared, &id, outcome) {
        Ok(()) => redirect(&view.page_url),
        Err(error) => html(
            StatusCode::BAD_REQUEST,
            pages::notice("Nothing to settle", &error.message, Some((&view.page_url, "Back"))),
        ),
    }
}
