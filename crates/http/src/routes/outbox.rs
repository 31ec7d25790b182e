//! The fulfilment outbox, for the admin API key: `GET /api/v1/admin/events` (the pull feed),
//! `GET /api/v1/admin/outbox?status=` and `POST /api/v1/admin/outbox/{id}/redeliver`; and
//! `POST /api/v1/admin/reconcile`, a reconciliation run with Stripe now.

use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::error_code::ErrorCode;
use actix_web::{web, HttpResponse};
use chrono::SecondsFormat;
use payments_domain::{
    FeedCursor, Outbox, OutboxEntry, OutboxError, OutboxStatus, ReconcileReport, Reconciler, MAX_OUTBOX_PAGE,
};
use serde::{Deserialize, Serialize};

/// How many entries a page holds unless `?limit=` says otherwise.
const DEFAULT_LIMIT: u32 = 100;

/// Registers the feed and the operator's tools.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(super::get(&["/api/v1/admin/events"], feed))
        .service(super::get(&["/api/v1/admin/outbox"], list))
        .service(super::post(&["/api/v1/admin/outbox/{id}/redeliver"], redeliver))
        .service(super::post(&["/api/v1/admin/reconcile"], reconcile));
}

/// One entry as the admin endpoints show it: what a shop's endpoint receives (`id`, `type`, `created`,
/// `order_id` or `subscription_id`, `sequence`, `data.object`), with its delivery state and feed cursor.
#[derive(Debug, Serialize)]
struct EntryView<'a> {
    id: String,
    object: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    created: i64,
    order_id: Option<String>,
    subscription_id: Option<&'a str>,
    sequence: i64,
    data: Data,
    delivery: Delivery<'a>,
    cursor: String,
}

#[derive(Debug, Serialize)]
struct Data {
    object: serde_json::Value,
}

#[derive(Debug, Serialize)]
struct Delivery<'a> {
    status: &'static str,
    attempts: u32,
    next_attempt_at: Option<String>,
    delivered_to: &'a [String],
    delivered_at: Option<String>,
    last_error: Option<&'a str>,
}

fn view(entry: &OutboxEntry) -> Result<EntryView<'_>, ApiError> {
    let object = serde_json::from_str(&entry.payload).map_err(|error| {
        tracing::error!(entry_id = %entry.id, %error, "an outbox entry's payload is unreadable");
        ApiError::internal()
    })?;
    let time = |at: chrono::DateTime<chrono::Utc>| at.to_rfc3339_opts(SecondsFormat::Millis, true);
    Ok(EntryView {
        id: entry.id.to_string(),
        object: "event",
        kind: entry.kind.as_str(),
        created: entry.created_at.timestamp(),
        order_id: entry.subject.order_id().map(|id| id.to_string()),
        subscription_id: entry.subject.subscription_id().map(|id| id.as_str()),
        sequence: entry.sequence,
        data: Data { object },
        delivery: Delivery {
            status: entry.status.as_str(),
            attempts: entry.attempts,
            next_attempt_at: (entry.status == OutboxStatus::Pending).then(|| time(entry.next_attempt_at)),
            delivered_to: &entry.delivered_to,
            delivered_at: entry.delivered_at.map(time),
            last_error: entry.last_error.as_deref(),
        },
        cursor: entry.cursor.to_string(),
    })
}

fn views(entries: &[OutboxEntry]) -> Result<Vec<EntryView<'_>>, ApiError> {
    entries.iter().map(view).collect()
}

fn limit(raw: Option<&str>) -> Result<u32, ApiError> {
    match raw {
        None => Ok(DEFAULT_LIMIT),
        Some(raw) => {
            raw.trim().parse::<u32>().ok().filter(|limit| (1..=MAX_OUTBOX_PAGE).contains(limit)).ok_or_else(
                || {
                    ApiError::new(
                        ErrorCode::InvalidLimit,
                        format!("limit must be a whole number from 1 to {MAX_OUTBOX_PAGE}."),
                    )
                },
            )
        }
    }
}

fn store_error(error: payments_domain::StoreError) -> ApiError {
    ApiError::store(&error)
}

#[derive(Debug, Deserialize)]
struct FeedQuery {
    after: Option<String>,
    limit: Option<String>,
}

/// A page of the feed: `{"object": "list", "data": [...], "next_cursor", "has_more"}`; `?after=` takes the
/// `next_cursor` of the page before (none: from the first entry).
#[tracing::instrument(skip_all)]
async fn feed(
    outbox: web::Data<Outbox>,
    caller: Authenticated,
    query: web::Query<FeedQuery>,
) -> Result<HttpResponse, ApiError> {
    super::admin_only(&caller.0)?;
    let after = match query.after.as_deref().map(str::trim).filter(|after| !after.is_empty()) {
        None => None,
        Some(raw) => Some(
            raw.parse::<FeedCursor>()
                .map_err(|error| ApiError::new(ErrorCode::InvalidCursor, format!("after: {error}.")))?,
        ),
    };
    let page = outbox.feed(after, limit(query.limit.as_deref())?).await.map_err(store_error)?;
    #[derive(Serialize)]
    struct Page<'a> {
        object: &'static str,
        data: Vec<EntryView<'a>>,
        next_cursor: Option<String>,
        has_more: bool,
    }
    Ok(super::private_json(Page {
        object: "list",
        data: views(&page.entries)?,
        next_cursor: page.next.map(|cursor| cursor.to_string()),
        has_more: page.has_more,
    }))
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    status: Option<String>,
    limit: Option<String>,
}

/// Entries by delivery status, oldest first: `?status=dead` (the default), `pending` or `delivered`.
#[tracing::instrument(skip_all)]
async fn list(
    outbox: web::Data<Outbox>,
    caller: Authenticated,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    super::admin_only(&caller.0)?;
    let status = match query.status.as_deref() {
        None => OutboxStatus::Dead,
        Some(raw) => raw.parse::<OutboxStatus>().map_err(|_| {
            ApiError::new(ErrorCode::InvalidOutboxStatus, "status must be pending, delivered or dead.")
        })?,
    };
    let entries = outbox.list(status, limit(query.limit.as_deref())?).await.map_err(store_error)?;
    #[derive(Serialize)]
    struct List<'a> {
        object: &'static str,
        data: Vec<EntryView<'a>>,
    }
    Ok(super::private_json(List { object: "list", data: views(&entries)? }))
}

/// Makes the entry pending and due now, to go to every endpoint again; answers it.
#[tracing::instrument(skip_all)]
async fn redeliver(
    outbox: web::Data<Outbox>,
    caller: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    super::admin_only(&caller.0)?;
    let id = uuid::Uuid::parse_str(id.trim())
        .map_err(|_| ApiError::new(ErrorCode::InvalidOutboxId, "The outbox entry id must be a UUID."))?;
    let entry = outbox.redeliver(id).await.map_err(|error| match error {
        OutboxError::NotFound(_) => {
            ApiError::new(ErrorCode::OutboxEntryNotFound, "No outbox entry has this id.")
        }
        OutboxError::Store(error) => ApiError::store(&error),
    })?;
    Ok(super::private_json(view(&entry)?))
}

#[derive(Debug, Deserialize)]
struct ReconcileQuery {
    since: Option<String>,
}

/// What a run found and fixed, as `payments reconcile` prints it, and in fields.
#[derive(Debug, Serialize)]
struct ReportView {
    since: Option<String>,
    listed: usize,
    recorded: usize,
    applied: usize,
    already_stored: usize,
    unreadable: usize,
    pending_checked: usize,
    pending_settled: usize,
    sessions_expired: usize,
    error: Option<String>,
    summary: String,
}

impl From<&ReconcileReport> for ReportView {
    fn from(report: &ReconcileReport) -> Self {
        Self {
            since: report.since.map(|at| at.to_rfc3339_opts(SecondsFormat::Secs, true)),
            listed: report.listed,
            recorded: report.recorded,
            applied: report.applied,
            already_stored: report.already_stored,
            unreadable: report.unreadable,
            pending_checked: report.pending_checked,
            pending_settled: report.pending_settled,
            sessions_expired: report.sessions_expired,
            error: report.error.clone(),
            summary: report.summary(),
        }
    }
}

/// Runs reconciliation now (`?since=` a duration back, `72h`, `30m`, `2d`; else from the watermark) and
/// answers its report: 200 when it ran to the end, 502 `payment_provider_unavailable` with the report when
/// it stopped early.
#[tracing::instrument(skip_all)]
async fn reconcile(
    reconciler: web::Data<Reconciler>,
    caller: Authenticated,
    query: web::Query<ReconcileQuery>,
) -> Result<HttpResponse, ApiError> {
    super::admin_only(&caller.0)?;
    let since = match query.since.as_deref().map(str::trim).filter(|since| !since.is_empty()) {
        None => None,
        Some(raw) => Some(
            payments_domain::parse_lookback(raw)
                .map_err(|error| ApiError::new(ErrorCode::InvalidQuery, format!("since: {error}")))?,
        ),
    };
    let report = reconciler.run(since).await;
    let view = ReportView::from(&report);
    Ok(match report.error {
        None => super::private_json(view),
        Some(_) => HttpResponse::BadGateway()
            .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
            .json(view),
    })
}

#[cfg(test)]
#[path = "outbox_tests.rs"]
mod tests;
