//! The control API over HTTP, under `/_emulator`. Parameters are form-encoded (body or query); answers are
//! JSON; errors use Stripe's error shape. No API key is needed, but it can pay any session: it answers only
//! clients on loopback, or, with a control token configured, only requests bearing it.

use super::{DelayedOutcome, DisputeOutcome};
use crate::error::ApiError;
use crate::form::FormValue;
use crate::model::event::EventRequest;
use crate::params::Params;
use crate::shared::Shared;
use crate::store::{PaymentChoice, PaymentResult};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};
use std::sync::Arc;

type Handler = fn(&Arc<Shared>, &str, &Params<'_>) -> Result<Value, ApiError>;

/// Registers the `/_emulator` routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let routes: &[(&str, bool, Handler)] = &[
        ("/_emulator/clock", false, clock),
        ("/_emulator/clock/advance", true, advance_clock),
        ("/_emulator/checkout/sessions/{id}/expire", true, expire),
        ("/_emulator/checkout/sessions/{id}/pay", true, pay),
        ("/_emulator/checkout/sessions/{id}/three_d_secure", true, three_d_secure),
        ("/_emulator/checkout/sessions/{id}/settle", true, settle),
        ("/_emulator/payment_intents/{id}/three_d_secure", true, payment_intent_three_d_secure),
        ("/_emulator/disputes", true, open_dispute),
        ("/_emulator/disputes/{id}/close", true, close_dispute),
        ("/_emulator/events/{id}/resend", true, resend),
        ("/_emulator/webhook_endpoints/{id}/fail_next", true, fail_next),
        ("/_emulator/deliveries", false, deliveries),
        ("/_emulator/reset", true, reset),
    ];
    for (path, post, handler) in routes {
        let handler = *handler;
        let route = if *post { web::post() } else { web::get() };
        cfg.route(
            path,
            route.to(move |shared: web::Data<Shared>, req: HttpRequest, body: web::Bytes| async move {
                run(&shared.into_inner(), &req, &body, handler)
            }),
        );
    }
}

/// Whether `req` may use the control API: it bears the configured token, or, with none configured, it comes
/// from loopback.
fn admitted(config: &crate::EmulatorConfig, req: &HttpRequest) -> Result<(), ApiError> {
    match &config.control_token {
        Some(token) => {
            let bearer = req
                .headers()
                .get(actix_web::http::header::AUTHORIZATION)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.strip_prefix("Bearer "));
            let matches = bearer.is_some_and(|given| {
                subtle::ConstantTimeEq::ct_eq(given.as_bytes(), token.as_bytes()).into()
            });
            if matches {
                Ok(())
            } else {
                Err(ApiError::authentication(
                    "The control API (/_emulator) needs Authorization: Bearer <the emulator's control token>.",
                ))
            }
        }
        None if req.peer_addr().is_some_and(|peer| peer.ip().is_loopback()) => Ok(()),
        None => {
            let mut error = ApiError::authentication(
                "The control API (/_emulator) answers loopback clients only, unless a control token is set.",
            );
            error.status = actix_web::http::StatusCode::FORBIDDEN;
            Err(error)
        }
    }
}

fn run(shared: &Arc<Shared>, req: &HttpRequest, body: &[u8], handler: Handler) -> HttpResponse {
    let result = admitted(&shared.config, req).and_then(|()| {
        let mut params = FormValue::parse(req.query_string().as_bytes())?;
        if let (FormValue::Map(entries), FormValue::Map(from_body)) = (&mut params, FormValue::parse(body)?) {
            entries.extend(from_body);
        }
        let id = req.match_info().get("id").unwrap_or_default();
        handler(shared, id, &Params::root(&params))
    });
    match result {
        Ok(value) => HttpResponse::Ok().content_type("application/json").body(value.to_string()),
        Err(error) => {
            HttpResponse::build(error.status).content_type("application/json").body(error.body().to_string())
        }
    }
}

fn choose<T: Copy>(p: &Params<'_>, key: &str, options: &[(&str, T)]) -> Result<T, ApiError> {
    let value = p.required_text(key)?;
    options.iter().find(|(name, _)| *name == value).map(|(_, v)| *v).ok_or_else(|| {
        let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
        ApiError::bad_value(key, format!("Invalid {key}: must be one of {}", names.join(", ")))
    })
}

fn clock(shared: &Arc<Shared>, _: &str, _: &Params<'_>) -> Result<Value, ApiError> {
    Ok(json!({ "now": shared.clock.now(), "offset_seconds": shared.clock.offset() }))
}

fn advance_clock(shared: &Arc<Shared>, _: &str, p: &Params<'_>) -> Result<Value, ApiError> {
    let seconds = p.integer("seconds")?.ok_or_else(|| ApiError::missing("seconds"))?;
    if seconds < 0 {
        return Err(ApiError::bad_value("seconds", "The clock only moves forward."));
    }
    let (now, billing_pending) = super::advance_clock(shared, seconds);
    Ok(json!({ "now": now, "offset_seconds": shared.clock.offset(), "billing_pending": billing_pending }))
}

fn session_state(shared: &Arc<Shared>, id: &str) -> (Value, Value) {
    shared.with_store(EventRequest::default(), |store| {
        let Some(session) = store.sessions.get(id) else { return (Value::Null, Value::Null) };
        let pi = session
            .payment_intent
            .as_ref()
            .and_then(|pi| store.payment_intents.get(pi))
            .map(|pi| pi.to_json());
        (store.session_json(session), pi.unwrap_or(Value::Null))
    })
}

/// The subscription a subscription-mode session created, as it now is (`Null` otherwise).
fn session_subscription(shared: &Arc<Shared>, session: &Value) -> Value {
    let Some(id) = session["subscription"].as_str() else { return Value::Null };
    shared.with_store(EventRequest::default(), |store| store.subscription_json_by_id(id))
}

/// The answer to a payment action: the outcome, where the browser would go next, and the session, payment
/// intent and (subscription mode) subscription as they now are. A decline is a 402 in Stripe's error shape:
/// the payment intent's `last_payment_error` with the payment intent, as Stripe answers a failed
/// confirmation (a subscription-mode decline has no payment intent: the card could not be attached).
fn payment_answer(shared: &Arc<Shared>, id: &str, result: &PaymentResult) -> Result<Value, ApiError> {
    let (session, payment_intent) = session_state(shared, id);
    let success_url =
        session["success_url"].as_str().unwrap_or_default().replace("{CHECKOUT_SESSION_ID}", id);
    let (outcome, redirect) = match result {
        PaymentResult::Succeeded => ("succeeded", success_url),
        PaymentResult::Processing => ("processing", success_url),
        PaymentResult::RequiresAction => {
            ("requires_action", format!("{}checkout/{id}/three_d_secure", shared.base_url))
        }
        PaymentResult::Declined { code, decline_code, message } if payment_intent.is_null() => {
            let decline = crate::cards::Decline {
                code: "card_declined",
                decline_code: "generic_decline",
                message: "Your card was declined.",
            };
            let mut error = ApiError::card_declined(&decline);
            error.code = Some(code.clone());
            error.decline_code = decline_code.clone();
            error.message = message.clone();
            return Err(error);
        }
        PaymentResult::Declined { .. } => {
            let error = payment_intent["last_payment_error"].clone();
            return Err(ApiError::payment_failed(&error, payment_intent));
        }
    };
    let subscription = session_subscription(shared, &session);
    Ok(json!({
        "outcome": outcome,
        "redirect_url": redirect,
        "checkout_session": session,
        "payment_intent": payment_intent,
        "subscription": subscription
    }))
}

fn expire(shared: &Arc<Shared>, id: &str, _: &Params<'_>) -> Result<Value, ApiError> {
    super::expire_session(shared, id)?;
    Ok(session_state(shared, id).0)
}

fn pay(shared: &Arc<Shared>, id: &str, p: &Params<'_>) -> Result<Value, ApiError> {
    let choice = match (p.opt_text("card")?, p.opt_text("method")?) {
        (Some(card), None | Some("card")) => PaymentChoice::Card(card.to_owned()),
        (None, Some("delayed")) => PaymentChoice::DelayedDebit,
        (None, None) => PaymentChoice::Card("4242424242424242".to_owned()),
        _ => return Err(ApiError::bad_value("method", "Send card=<number>, or method=delayed.")),
    };
    let settle_with = match p.has("outcome") {
        true => Some(choose(
            p,
            "outcome",
            &[("succeed", DelayedOutcome::Succeed), ("fail", DelayedOutcome::Fail)],
        )?),
        false => None,
    };
    if settle_with.is_some() && choice != PaymentChoice::DelayedDebit {
        return Err(ApiError::bad_value("outcome", "outcome applies to method=delayed only."));
    }
    let email = p.opt_text("email")?.unwrap_or(super::PLACEHOLDER_EMAIL);
    let result = super::pay(shared, id, choice, Some(email))?;
    if let (Some(outcome), PaymentResult::Processing) = (settle_with, &result) {
        super::settle(shared, id, outcome)?;
    }
    payment_answer(shared, id, &result)
}

fn three_d_secure(shared: &Arc<Shared>, id: &str, p: &Params<'_>) -> Result<Value, ApiError> {
    let complete = choose(p, "outcome", &[("complete", true), ("fail", false)])?;
    let result = super::three_d_secure(shared, id, complete)?;
    payment_answer(shared, id, &result)
}

/// Finishes the 3-D Secure step of a payment intent confirmed through the API: the payment intent as it now
/// is, or (a failure) the 402 a failed confirmation gets.
fn payment_intent_three_d_secure(shared: &Arc<Shared>, id: &str, p: &Params<'_>) -> Result<Value, ApiError> {
    let complete = choose(p, "outcome", &[("complete", true), ("fail", false)])?;
    let result = super::payment_intent_action(shared, id, complete)?;
    let payment_intent = shared.with_store(EventRequest::default(), |store| {
        store.payment_intents.get(id).map(|pi| pi.to_json()).unwrap_or_default()
    });
    match result {
        PaymentResult::Declined { .. } => {
            let error = payment_intent["last_payment_error"].clone();
            Err(ApiError::payment_failed(&error, payment_intent))
        }
        _ => Ok(payment_intent),
    }
}

fn settle(shared: &Arc<Shared>, id: &str, p: &Params<'_>) -> Result<Value, ApiError> {
    let outcome =
        choose(p, "outcome", &[("succeed", DelayedOutcome::Succeed), ("fail", DelayedOutcome::Fail)])?;
    super::settle(shared, id, outcome)?;
    let (session, payment_intent) = session_state(shared, id);
    Ok(json!({ "checkout_session": session, "payment_intent": payment_intent }))
}

fn dispute_json(shared: &Arc<Shared>, id: &str) -> Value {
    shared.with_store(EventRequest::default(), |store| {
        store.disputes.get(id).map(|d| d.to_json()).unwrap_or_default()
    })
}

fn open_dispute(shared: &Arc<Shared>, _: &str, p: &Params<'_>) -> Result<Value, ApiError> {
    let target = match (p.opt_text("charge")?, p.opt_text("payment_intent")?) {
        (Some(charge), None) => charge,
        (None, Some(pi)) => pi,
        _ => return Err(ApiError::invalid("Send exactly one of charge or payment_intent.").param("charge")),
    };
    let id = super::open_dispute(shared, target, p.opt_text("reason")?)?;
    Ok(dispute_json(shared, &id))
}

fn close_dispute(shared: &Arc<Shared>, id: &str, p: &Params<'_>) -> Result<Value, ApiError> {
    let outcome = choose(p, "outcome", &[("won", DisputeOutcome::Won), ("lost", DisputeOutcome::Lost)])?;
    super::close_dispute(shared, id, outcome)?;
    Ok(dispute_json(shared, id))
}

fn resend(shared: &Arc<Shared>, id: &str, p: &Params<'_>) -> Result<Value, ApiError> {
    let deliveries = super::resend_event(shared, id, p.opt_text("webhook_endpoint")?)?;
    Ok(json!({ "event": id, "deliveries": deliveries }))
}

fn fail_next(shared: &Arc<Shared>, id: &str, p: &Params<'_>) -> Result<Value, ApiError> {
    let count = p.integer("count")?.ok_or_else(|| ApiError::missing("count"))?;
    let count = u32::try_from(count)
        .map_err(|_| ApiError::bad_value("count", "count must be between 0 and 2^32-1"))?;
    super::fail_next_deliveries(shared, id, count)?;
    Ok(json!({ "webhook_endpoint": id, "fail_next": count }))
}

fn deliveries(shared: &Arc<Shared>, _: &str, p: &Params<'_>) -> Result<Value, ApiError> {
    let event = p.opt_text("event")?;
    let endpoint = p.opt_text("webhook_endpoint")?;
    let data: Vec<_> = super::deliveries(shared)
        .into_iter()
        .filter(|d| event.is_none_or(|e| d.event == e) && endpoint.is_none_or(|w| d.webhook_endpoint == w))
        .collect();
    Ok(json!({ "object": "list", "data": data }))
}

fn reset(shared: &Arc<Shared>, _: &str, _: &Params<'_>) -> Result<Value, ApiError> {
    shared.reset();
    Ok(json!({ "reset": true }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn config(token: Option<&str>) -> crate::EmulatorConfig {
        crate::EmulatorConfig {
            control_token: token.map(str::to_owned),
            ..crate::EmulatorConfig::for_tests()
        }
    }

    fn from(peer: &str, bearer: Option<&str>) -> HttpRequest {
        let mut request = TestRequest::post().uri("/_emulator/reset").peer_addr(peer.parse().unwrap());
        if let Some(bearer) = bearer {
            request = request.insert_header(("authorization", format!("Bearer {bearer}")));
        }
        request.to_http_request()
    }

    #[test]
    fn without_a_token_only_loopback_clients_may_control_the_emulator() {
        assert!(admitted(&config(None), &from("127.0.0.1:5000", None)).is_ok());
        assert!(admitted(&config(None), &from("[::1]:5000", None)).is_ok());
        let refused = admitted(&config(None), &from("192.0.2.9:5000", None)).unwrap_err();
        assert_eq!(refused.status, actix_web::http::StatusCode::FORBIDDEN);
        assert!(refused.message.contains("loopback"), "{}", refused.message);
    }

    #[test]
    fn with_a_token_every_client_must_bear_it_loopback_included() {
        let with = config(Some("ctl_secret_1"));
        assert!(admitted(&with, &from("192.0.2.9:5000", Some("ctl_secret_1"))).is_ok());
        for (peer, bearer) in [("127.0.0.1:5000", None), ("192.0.2.9:5000", Some("ctl_secret_2"))] {
            let refused = admitted(&with, &from(peer, bearer)).unwrap_err();
            assert_eq!(refused.status, actix_web::http::StatusCode::UNAUTHORIZED, "{peer} {bearer:?}");
            assert!(!refused.message.contains("ctl_secret"), "the token is never echoed");
        }
    }
}
