//! `GET /metrics`: the process's metrics in Prometheus' text format, with the outbox's backlog read from the
//! store at scrape time (a store that does not answer in time leaves those gauges as they were).

use crate::server::{Deadlines, MetricsRender};
use actix_web::{web, HttpResponse};
use payments_domain::Outbox;

/// Registers the route.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(super::get(&["/metrics"], metrics));
}

async fn metrics(
    render: web::Data<MetricsRender>,
    outbox: web::Data<Outbox>,
    deadlines: web::Data<Deadlines>,
) -> HttpResponse {
    match actix_web::rt::time::timeout(deadlines.readiness, outbox.backlog()).await {
        Ok(Ok((backlog, age))) => {
            // Counts far below 2^53 are exact as f64.
            #[allow(clippy::cast_precision_loss)]
            {
                metrics::gauge!("payments_outbox_pending").set(backlog.pending as f64);
                metrics::gauge!("payments_outbox_dead").set(backlog.dead as f64);
                let seconds = age.map_or(0.0, |age| age.num_milliseconds() as f64 / 1000.0);
                metrics::gauge!("payments_outbox_oldest_pending_age_seconds").set(seconds);
            }
        }
        Ok(Err(error)) => tracing::warn!(%error, "the outbox's backlog could not be read for /metrics"),
        Err(_) => tracing::warn!("the outbox's backlog was not read in time for /metrics"),
    }
    HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body((render.0)())
}
