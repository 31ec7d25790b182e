//! The customer portal page at a portal session's `url` (`/billing_portal/{id}`): the customer's
//! subscriptions, each with forms (no JavaScript) to cancel it at the end of its period or at once, or to
//! take a scheduled cancellation back, and a link to the session's `return_url`.
//!
//! - `GET  /billing_portal/{id}`: the page.
//! - `POST /billing_portal/{id}/subscriptions/{subscription}/cancel`: `when=period_end|now`; 303 back.
//! - `POST /billing_portal/{id}/subscriptions/{subscription}/renew`: undoes a scheduled cancel; 303 back.

use super::{field, html, redirect};
use crate::calendar::date;
use crate::form::FormValue;
use crate::html::{escape, href, page};
use crate::model::event::EventRequest;
use crate::model::subscription::{describe_interval, SubscriptionStatus};
use crate::money::format_amount;
use crate::shared::Shared;
use crate::store::{PortalAction, Store};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use std::fmt::Write;
use std::sync::Arc;

/// Registers the portal page's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/billing_portal/{id}", web::get().to(show))
        .route("/billing_portal/{id}/subscriptions/{subscription}/cancel", web::post().to(cancel))
        .route("/billing_portal/{id}/subscriptions/{subscription}/renew", web::post().to(renew));
}

fn not_found() -> HttpResponse {
    html(
        StatusCode::NOT_FOUND,
        super::pages::notice(
            "Portal session not found",
            "This link does not lead to a portal session.",
            None,
        ),
    )
}

/// One subscription as the page shows it.
fn subscription_block(store: &Store, page_url: &str, id: &str) -> String {
    let Some(sub) = store.subscriptions.get(id) else { return String::new() };
    let names: Vec<String> = sub
        .items
        .iter()
        .filter_map(|item| store.prices.get(&item.price))
        .map(|price| store.products.get(&price.product).map(|p| p.name.clone()).unwrap_or_default())
        .collect();
    let amount: i64 = sub
        .items
        .iter()
        .filter_map(|item| store.prices.get(&item.price).map(|p| p.unit_amount * item.quantity))
        .sum();
    let price = format!("{} {}", format_amount(amount, &sub.currency), describe_interval(&sub.recurring));
    let state = match sub.status {
        SubscriptionStatus::Canceled => format!("Canceled on {}", date(sub.ended_at.unwrap_or(sub.created))),
        _ if sub.cancel_at_period_end => format!("Cancels on {}", date(sub.current_period_end)),
        SubscriptionStatus::Trialing => format!("Trial ends on {}", date(sub.current_period_end)),
        SubscriptionStatus::Active => format!("Renews on {}", date(sub.current_period_end)),
        other => format!("Status: {}", other.as_str()),
    };
    let mut out = format!(
        "<section class=\"subscription\" id=\"{id}\"><h2>{}</h2><p>{}</p><p class=\"status\">{}</p>",
        escape(&names.join(", ")),
        escape(&price),
        escape(&state),
        id = escape(id)
    );
    let action = format!("{page_url}/subscriptions/{}", sub.id);
    if !sub.status.is_terminal() && sub.status != SubscriptionStatus::Incomplete {
        if sub.cancel_at_period_end {
            let _ = write!(
                out,
                "<form method=\"post\" action=\"{}/renew\"><button type=\"submit\" id=\"renew-{id}\">Don't cancel \
                 (renew)</button></form>",
                escape(&action),
                id = escape(&sub.id)
            );
        } else {
            let _ = write!(
                out,
                "<form method=\"post\" action=\"{}/cancel\">\
                 <button type=\"submit\" name=\"when\" value=\"period_end\" id=\"cancel-at-period-end-{id}\">Cancel at \
                 the end of the period ({})</button> \
                 <button type=\"submit\" name=\"when\" value=\"now\" id=\"cancel-now-{id}\">Cancel now</button></form>",
                escape(&action),
                escape(&date(sub.current_period_end)),
                id = escape(&sub.id)
            );
        }
    }
    out.push_str("</section>");
    out
}

async fn show(shared: web::Data<Shared>, id: web::Path<String>) -> HttpResponse {
    let shared = shared.into_inner();
    let body = shared.with_store(EventRequest::default(), |store| {
        let session = store.portal_sessions.get(&id)?;
        let page_url = session.page_url(&store.base_url);
        let customer = store.customers.get(&session.customer);
        let who = customer.and_then(|c| c.email.clone().or_else(|| c.name.clone())).unwrap_or_default();
        let mut body = format!("<h1>Your subscriptions</h1><p class=\"hint\">{}</p>", escape(&who));
        let subscriptions: Vec<String> = store
            .subscriptions
            .newest_first()
            .filter(|s| s.customer == session.customer && s.status != SubscriptionStatus::IncompleteExpired)
            .map(|s| s.id.clone())
            .collect();
        if subscriptions.is_empty() {
            body.push_str("<p id=\"none\">You have no subscriptions.</p>");
        }
        for sub in &subscriptions {
            body.push_str(&subscription_block(store, &page_url, sub));
        }
        if let Some(url) = &session.return_url {
            let _ = write!(body, "<p><a id=\"return\" href=\"{}\">Return to the merchant</a></p>", href(url));
        }
        Some(page("Customer portal", &body))
    });
    match body {
        Some(body) => html(StatusCode::OK, body),
        None => not_found(),
    }
}

fn act(shared: &Arc<Shared>, id: &str, subscription: &str, action: Option<PortalAction>) -> HttpResponse {
    let Some(action) = action else {
        return html(
            StatusCode::BAD_REQUEST,
            super::pages::notice("Nothing changed", "Choose when to cancel.", None),
        );
    };
    let result = shared.with_store(EventRequest::default(), |store| {
        let url = store.portal_sessions.get(id)?.page_url(&store.base_url);
        Some(store.portal_action(id, subscription, action).map(|()| url))
    });
    match result {
        Some(Ok(url)) => redirect(&url),
        Some(Err(error)) => html(error.status, super::pages::notice("Nothing changed", &error.message, None)),
        None => not_found(),
    }
}

async fn cancel(
    shared: web::Data<Shared>,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> HttpResponse {
    let form = FormValue::parse(&body).unwrap_or_default();
    let action = match field(&form, "when").as_str() {
        "period_end" => Some(PortalAction::CancelAtPeriodEnd),
        "now" => Some(PortalAction::CancelNow),
        _ => None,
    };
    act(&shared.into_inner(), &path.0, &path.1, action)
}

async fn renew(shared: web::Data<Shared>, path: web::Path<(String, String)>) -> HttpResponse {
    act(&shared.into_inner(), &path.0, &path.1, Some(PortalAction::Renew))
}
