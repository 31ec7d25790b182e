//! The application: routes and body limits ([`configure`]), then middleware and the server ([`serve`]).

use crate::auth::AuthOptions;
use crate::rate_limit::GuestCheckoutLimit;
use crate::request_id::{self, RequestSpan};
use crate::{body, routes};
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{middleware, web, App, HttpServer};
use payments_domain::Services;
use std::net::TcpListener;
use tracing_actix_web::TracingLogger;

/// What the HTTP layer serves besides the API, and whom it lets in.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// The demo storefront at `/`, `/success` and `/cancel`.
    pub storefront: bool,
    /// Which bearer tokens (user JWTs, the admin API key) are accepted.
    pub auth: AuthOptions,
    /// How long each kind of request may take.
    pub deadlines: Deadlines,
    /// Guest checkouts per client address; `None`: unlimited.
    pub guest_checkouts: Option<GuestCheckoutLimit>,
    /// What a front end needs to talk to Stripe itself (`GET /api/v1/config`).
    pub front_end: FrontEnd,
    /// The demo storefront's receiver of fulfilment deliveries (`/demo/fulfilment`), when the service delivers
    /// to it; only with the storefront.
    pub demo_shop: Option<std::sync::Arc<crate::DemoShop>>,
    /// `GET /metrics`, answering what this renders (Prometheus' text format); `None`: no such route.
    pub metrics: Option<MetricsRender>,
}

/// Renders the process's metrics as Prometheus text.
#[derive(Clone)]
pub struct MetricsRender(pub std::sync::Arc<dyn Fn() -> String + Send + Sync>);

impl std::fmt::Debug for MetricsRender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsRender")
    }
}

/// What `GET /api/v1/config` tells a front end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontEnd {
    /// Stripe's publishable key (`pk_test_...` / `pk_live_...`), for stripe.js; `None` when not configured.
    pub publishable_key: Option<String>,
    /// The currencies a checkout may be priced in, lowercase ISO codes.
    pub currencies: Vec<String>,
}

impl Default for FrontEnd {
    fn default() -> Self {
        Self { publishable_key: None, currencies: vec!["usd".to_owned()] }
    }
}

/// How long a request may take before it is answered that the service could not finish in time. What it was
/// doing is all or nothing: a webhook answered 503 for its deadline was committed or not at all, and Stripe
/// sends it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    /// A webhook delivery (default 8 s; Stripe waits longer, and retries a 503).
    pub webhook: std::time::Duration,
    /// `/readyz` (default 1 s): a database that does not answer is not ready.
    pub readiness: std::time::Duration,
    /// A checkout, its Stripe calls and their retries included (default 20 s): answered 503
    /// `checkout_timed_out` when it passes.
    pub checkout: std::time::Duration,
}

impl Default for Deadlines {
    fn default() -> Self {
        Self {
            webhook: std::time::Duration::from_secs(8),
            readiness: std::time::Duration::from_secs(1),
            checkout: std::time::Duration::from_secs(20),
        }
    }
}

impl Default for HttpOptions {
    /// The storefront on; no JWT key and no admin key (every caller is a guest); the default deadlines; guest
    /// checkouts unlimited.
    fn default() -> Self {
        HttpOptions {
            storefront: true,
            auth: AuthOptions::default(),
            deadlines: Deadlines::default(),
            guest_checkouts: None,
            front_end: FrontEnd::default(),
            demo_shop: None,
            metrics: None,
        }
    }
}

/// Registers every route, the JSON and payload limits, and the JSON answers for unknown paths and methods
/// on an `App` (used by [`serve`] and by tests): `App::new().configure(configure(services, options))`.
pub fn configure(services: Services, options: HttpOptions) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(web::Data::new(services.checkout))
            .app_data(web::Data::new(services.ingest))
            .app_data(web::Data::new(services.queries))
            .app_data(web::Data::new(services.subscriptions))
            .app_data(web::Data::new(services.refunds))
            .app_data(web::Data::new(services.outbox))
            .app_data(web::Data::new(services.reconciler))
            .app_data(web::Data::new(options.auth))
            .app_data(web::Data::new(options.deadlines))
            .app_data(web::Data::new(options.guest_checkouts))
            .app_data(web::Data::new(options.front_end))
            .app_data(body::json_config())
            .app_data(body::query_config())
            .configure(routes::checkout::configure)
            .configure(routes::webhook::configure)
            .configure(routes::orders::configure)
            .configure(routes::products::configure)
            .configure(routes::subscriptions::configure)
            .configure(routes::refunds::configure)
            .configure(routes::outbox::configure)
            .configure(routes::health::configure);
        if let Some(render) = options.metrics {
            cfg.app_data(web::Data::new(render)).configure(routes::metrics::configure);
        }
        if options.storefront {
            cfg.configure(routes::storefront::configure);
            if let Some(shop) = options.demo_shop {
                cfg.app_data(web::Data::from(shop)).configure(routes::demo_shop::configure);
            }
        }
        cfg.default_service(web::to(routes::not_found));
    }
}

/// Runs the server on an already-bound `listener` (port 0 in tests) with the default number of workers,
/// a tracing span per request, and an `x-request-id` on every response. Await the returned server to run it.
pub fn serve(listener: TcpListener, services: Services, options: HttpOptions) -> std::io::Result<Server> {
    let server = HttpServer::new(move || app(services.clone(), options.clone())).listen(listener)?.run();
    Ok(server)
}

/// The whole application, middleware included.
pub(crate) fn app(
    services: Services,
    options: HttpOptions,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        // Registered first, so it runs inside TracingLogger's span and can read the id it assigned.
        .wrap(middleware::from_fn(request_id::echo_or_assign))
        .wrap(TracingLogger::<RequestSpan>::new())
        .configure(configure(services, options))
}

#[cfg(test)]
#[path = "server_tests.rs"]
mod tests;
