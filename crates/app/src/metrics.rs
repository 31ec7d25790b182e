//! The process's metrics recorder: every `metrics::counter!`/`gauge!` of the domain and the adapters lands in
//! one Prometheus recorder, rendered by `GET /metrics`.

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The recorder, installed as the process's on first use (several services in one process, as in tests,
/// share it). Its upkeep runs at each scrape (no histograms are recorded yet, so nothing accumulates between
/// scrapes).
pub(crate) fn render() -> payments_http::MetricsRender {
    let handle = HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        if let Err(error) = metrics::set_global_recorder(recorder) {
            tracing::warn!(%error, "another metrics recorder is installed; /metrics shows only this one's");
        }
        handle
    });
    let handle = handle.clone();
    payments_http::MetricsRender(std::sync::Arc::new(move || {
        handle.run_upkeep();
        handle.render()
    }))
}
