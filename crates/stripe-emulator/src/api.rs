//! Stripe's API under `/v1`: authentication, form decoding, idempotency, `expand[]` and Stripe's
//! response headers around one operation per route.

mod billing_portal;
mod charges;
mod checkout_sessions;
mod checkout_subscription;
mod customers;
mod disputes;
mod events;
mod expand;
mod invoices;
mod list;
mod payment_intents;
mod payment_methods;
mod prices;
mod products;
mod refunds;
mod subscriptions;
mod webhook_endpoints;

use crate::auth;
use crate::error::ApiError;
use crate::form::FormValue;
use crate::idempotency::{Lookup, StoredResponse};
use crate::ids;
use crate::model::event::{api_version, EventRequest};
use crate::params::Params;
use crate::shared::Shared;
use crate::store::Store;
use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;
use std::sync::Arc;

/// One API request, as an operation sees it.
#[derive(Debug)]
pub struct Call<'a> {
    /// Query and body parameters.
    pub params: Params<'a>,
    /// The `{id}` in the path, if the route has one.
    pub id: &'a str,
}

/// What a route does with the store; its `Ok` is answered with 200.
pub type Operation = fn(&mut Store, &Call<'_>) -> Result<Value, ApiError>;

/// Registers every `/v1` route. Literal paths come before `{id}` paths that would shadow them.
pub fn configure(cfg: &mut web::ServiceConfig) {
    use Method as M;
    let routes: &[(&str, &[(M, Operation)])] = &[
        ("/v1/customers/search", &[(M::GET, customers::search)]),
        ("/v1/customers", &[(M::GET, customers::list), (M::POST, customers::create)]),
        ("/v1/customers/{id}", &[(M::GET, customers::retrieve), (M::POST, customers::update)]),
        ("/v1/products", &[(M::GET, products::list), (M::POST, products::create)]),
        ("/v1/products/{id}", &[(M::GET, products::retrieve)]),
        ("/v1/prices", &[(M::GET, prices::list), (M::POST, prices::create)]),
        ("/v1/prices/{id}", &[(M::GET, prices::retrieve)]),
        ("/v1/checkout/sessions", &[(M::GET, checkout_sessions::list), (M::POST, checkout_sessions::create)]),
        ("/v1/checkout/sessions/{id}", &[(M::GET, checkout_sessions::retrieve)]),
        ("/v1/checkout/sessions/{id}/line_items", &[(M::GET, checkout_sessions::line_items)]),
        ("/v1/checkout/sessions/{id}/expire", &[(M::POST, checkout_sessions::expire)]),
        ("/v1/payment_intents", &[(M::GET, payment_intents::list), (M::POST, payment_intents::create)]),
        (
            "/v1/payment_intents/{id}",
            &[(M::GET, payment_intents::retrieve), (M::POST, payment_intents::update)],
        ),
        ("/v1/payment_intents/{id}/confirm", &[(M::POST, payment_intents::confirm)]),
        ("/v1/payment_intents/{id}/cancel", &[(M::POST, payment_intents::cancel)]),
        ("/v1/charges", &[(M::GET, charges::list)]),
        ("/v1/charges/{id}", &[(M::GET, charges::retrieve)]),
        ("/v1/refunds", &[(M::GET, refunds::list), (M::POST, refunds::create)]),
        ("/v1/refunds/{id}", &[(M::GET, refunds::retrieve)]),
        ("/v1/disputes", &[(M::GET, disputes::list)]),
        ("/v1/disputes/{id}", &[(M::GET, disputes::retrieve)]),
        ("/v1/subscriptions", &[(M::GET, subscriptions::list), (M::POST, subscriptions::create)]),
        (
            "/v1/subscriptions/{id}",
            &[
                (M::GET, subscriptions::retrieve),
                (M::POST, subscriptions::update),
                (M::DELETE, subscriptions::cancel),
            ],
        ),
        ("/v1/invoices", &[(M::GET, invoices::list)]),
        ("/v1/invoices/{id}", &[(M::GET, invoices::retrieve)]),
        ("/v1/invoices/{id}/lines", &[(M::GET, invoices::lines)]),
        ("/v1/billing_portal/sessions", &[(M::POST, billing_portal::create)]),
        ("/v1/payment_methods", &[(M::GET, payment_methods::list)]),
        ("/v1/payment_methods/{id}", &[(M::GET, payment_methods::retrieve)]),
        ("/v1/payment_methods/{id}/attach", &[(M::POST, payment_methods::attach)]),
        ("/v1/events", &[(M::GET, events::list)]),
        ("/v1/events/{id}", &[(M::GET, events::retrieve)]),
        ("/v1/webhook_endpoints", &[(M::GET, webhook_endpoints::list), (M::POST, webhook_endpoints::create)]),
        (
            "/v1/webhook_endpoints/{id}",
            &[
                (M::GET, webhook_endpoints::retrieve),
                (M::POST, webhook_endpoints::update),
                (M::DELETE, webhook_endpoints::delete),
            ],
        ),
    ];
    for (path, methods) in routes {
        let mut resource = web::resource(*path).default_service(web::to(unrecognized));
        for (method, op) in *methods {
            let op = *op;
            resource = resource.route(web::method(method.clone()).to(
                move |shared: web::Data<Shared>, req: HttpRequest, body: web::Bytes| {
                    run(shared.into_inner(), req, body, op)
                },
            ));
        }
        cfg.service(resource);
    }
    cfg.service(web::scope("/v1").default_service(web::to(unrecognized)));
}

/// Stripe's 404 for paths and methods it does not serve.
pub async fn unrecognized(req: HttpRequest) -> HttpResponse {
    let error = ApiError::unrecognized_url(req.method().as_str(), req.path());
    respond(error.status, error.body().to_string(), &ids::new_id("req_"), None, false)
}

async fn run(shared: Arc<Shared>, req: HttpRequest, body: web::Bytes, op: Operation) -> HttpResponse {
    let request_id = ids::new_id("req_");
    match execute(&shared, &req, &body, op, &request_id) {
        Ok(response) => response,
        Err(error) => respond(error.status, error.body().to_string(), &request_id, None, false),
    }
}

fn execute(
    shared: &Arc<Shared>,
    req: &HttpRequest,
    body: &[u8],
    op: Operation,
    request_id: &str,
) -> Result<HttpResponse, ApiError> {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let api_key = auth::authenticate(header("Authorization"), &shared.config.api_keys)?;
    let mut params = FormValue::parse(req.query_string().as_bytes())?;
    // DELETE may carry parameters in its body too (`DELETE /v1/subscriptions/{id}` with
    // `cancellation_details`, as the official clients send them).
    if matches!(*req.method(), Method::POST | Method::DELETE) && !body.is_empty() {
        let FormValue::Map(from_body) = FormValue::parse(body)? else { unreachable!("parse returns a map") };
        if let FormValue::Map(entries) = &mut params {
            entries.extend(from_body);
        }
    }
    let idempotency_key = header("Idempotency-Key")
        .filter(|key| !key.is_empty() && req.method() == Method::POST)
        .map(str::to_owned);
    let fingerprint = format!("{} {}?{params}", req.method(), req.path());
    // Held until the answer is stored, so a retry racing the first request waits and gets its replay
    // instead of running the operation a second time.
    let mut idempotency = idempotency_key.as_ref().map(|_| shared.idempotency());
    if let (Some(key), Some(cache)) = (&idempotency_key, &idempotency) {
        match cache.lookup(&api_key, key, &fingerprint) {
            Lookup::New => {}
            Lookup::Replay(stored) => {
                let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
                return Ok(respond(status, stored.body, &stored.request_id, Some(key), true));
            }
            Lookup::Mismatch => {
                return Err(ApiError::idempotency(format!(
                    "Keys for idempotent requests can only be used with the same parameters they were first used \
                     with. Try using a key other than '{key}' if you meant to execute a different request."
                )))
            }
        }
    }
    let call = Call { params: Params::root(&params), id: req.match_info().get("id").unwrap_or_default() };
    let expand = call.params.text_list("expand")?;
    let event_request =
        EventRequest { id: Some(request_id.to_owned()), idempotency_key: idempotency_key.clone() };
    let result = shared.with_store(event_request, |store| {
        let mut value = op(store, &call)?;
        expand::apply(store, &mut value, &expand)?;
        Ok::<_, ApiError>(value)
    });
    let (status, body) = match result {
        Ok(value) => (StatusCode::OK, value.to_string()),
        Err(error) => (error.status, error.body().to_string()),
    };
    // A failed payment (402) happened, with its charge and events, so it is replayed as Stripe replays it;
    // other errors changed nothing and may be retried.
    let keep = status.is_success() || status == StatusCode::PAYMENT_REQUIRED;
    if let (Some(key), Some(cache), true) = (&idempotency_key, &mut idempotency, keep) {
        let stored = StoredResponse {
            fingerprint,
            status: status.as_u16(),
            body: body.clone(),
            request_id: request_id.to_owned(),
        };
        cache.store(&api_key, key, stored);
    }
    drop(idempotency);
    let version = header("Stripe-Version").unwrap_or(api_version()).to_owned();
    let mut response = respond(status, body, request_id, idempotency_key.as_deref(), false);
    if let Ok(value) = version.parse() {
        response
            .headers_mut()
            .insert(actix_web::http::header::HeaderName::from_static("stripe-version"), value);
    }
    Ok(response)
}

/// A JSON answer with Stripe's headers.
fn respond(
    status: StatusCode,
    body: String,
    request_id: &str,
    idempotency_key: Option<&str>,
    replayed: bool,
) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response.content_type("application/json").insert_header(("Request-Id", request_id));
    if let Some(key) = idempotency_key {
        response.insert_header(("Idempotency-Key", key));
    }
    if replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    response.body(body)
}

/// The object with `id` in `table`, rendered, or Stripe's 404.
pub fn found<T>(
    object: Option<&T>,
    what: &str,
    id: &str,
    render: impl FnOnce(&T) -> Value,
) -> Result<Value, ApiError> {
    object.map(render).ok_or_else(|| ApiError::no_such(what, id, None))
}
