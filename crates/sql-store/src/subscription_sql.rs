//! The SQL for subscriptions, the same text on every dialect (`$n` parameters, which SQLite reads too),
//! bound here once for any sqlx database; a dialect adds only its transaction and how it stores times.

use crate::subscriptions::SubscriptionChange;
use chrono::{DateTime, Utc};
use payments_domain::{Committed, SubscriptionQuery};

/// The record and row version of subscription `id`, read through `executor`.
pub async fn read_subscription<'e, DB, E>(executor: E, id: &str) -> Result<Option<(String, i64)>, sqlx::Error>
where
    DB: sqlx::Database,
    E: sqlx::Executor<'e, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'r> (String, i64): sqlx::FromRow<'r, DB::Row>,
{
    sqlx::query_as("SELECT record, version FROM subscriptions WHERE id = $1")
        .bind(id)
        .fetch_optional(executor)
        .await
}

/// What [`SubscriptionSql::subscriptions`](crate::SubscriptionSql::subscriptions) answers, read through
/// `executor`. A subscription's owner is the user its checkout named, else the user whose Stripe customer it
/// bills.
pub async fn list_subscriptions<'e, DB, E>(
    executor: E,
    query: SubscriptionQuery<'_>,
) -> Result<Vec<(String, Option<String>)>, sqlx::Error>
where
    DB: sqlx::Database,
    E: sqlx::Executor<'e, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'r> (String, Option<String>): sqlx::FromRow<'r, DB::Row>,
{
    macro_rules! select {
        ($rest:literal) => {
            concat!(
                "SELECT s.record, COALESCE(s.user_id, (SELECT c.user_id FROM customers c \
                                                        WHERE c.stripe_customer_id = s.customer_id)) \
                 FROM subscriptions s WHERE s.status IS NOT NULL ",
                $rest
            )
        };
    }
    let query = match query {
        SubscriptionQuery::Id(id) => sqlx::query_as(select!("AND s.id = $1")).bind(id.as_str().to_owned()),
        SubscriptionQuery::All { limit } => {
            sqlx::query_as(select!("ORDER BY s.created_at DESC, s.id DESC LIMIT $1")).bind(i64::from(limit))
        }
        SubscriptionQuery::OfUser { user, limit } => sqlx::query_as(select!(
            "AND (s.user_id = $1 OR (s.user_id IS NULL AND s.customer_id = \
                  (SELECT c.stripe_customer_id FROM customers c WHERE c.user_id = $1))) \
             ORDER BY s.created_at DESC, s.id DESC LIMIT $2"
        ))
        .bind(user.as_str().to_owned())
        .bind(i64::from(limit)),
    };
    query.fetch_all(executor).await
}

/// The statements of [`write_subscription`]; `{json}` stands where a dialect casts a parameter to its JSON
/// column type.
const INSERT_EVENT: &str =
    "INSERT INTO stripe_events (id, type, created_at, payload, subscription_id, outcome, \
                                                      effect, received_at, applied_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7{json}, $8, $8) ON CONFLICT (id) DO NOTHING RETURNING 1";
const INSERT_ROW: &str =
    "INSERT INTO subscriptions (id, customer_id, user_id, sku, status, current_period_end, \
                                                    record, version, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $8) ON CONFLICT (id) DO NOTHING RETURNING 1";
const UPDATE_ROW: &str = "UPDATE subscriptions SET customer_id = COALESCE($2, customer_id), \
            user_id = COALESCE($3, user_id), sku = COALESCE($4, sku), status = $5, current_period_end = $6, \
            record = $7, version = version + 1, updated_at = $8 \
     WHERE id = $1 AND version = $9 RETURNING 1";

/// How a dialect writes one outbox entry of a subscription: `$1` the entry's id (text), `$2` the
/// subscription, `$3` its type, `$4` its payload, `$5` the time; the statement takes the subscription's next
/// sequence number (and, where the table does not, the next feed position).
pub type NoticeInsert = &'static str;

/// What [`SubscriptionSql::commit_subscription`] does, in the transaction `tx` a dialect began, for any sqlx
/// database: `json_cast` follows a parameter bound for a JSON column (`::jsonb`, or nothing), `time` turns a
/// time into what the dialect stores, `insert_notice` writes an outbox entry.
pub async fn write_subscription<'t, DB, T>(
    mut tx: sqlx::Transaction<'t, DB>,
    change: &SubscriptionChange,
    json_cast: &str,
    insert_notice: NoticeInsert,
    time: impl Fn(DateTime<Utc>) -> T,
) -> Result<Committed, sqlx::Error>
where
    DB: sqlx::Database,
    for<'e> &'e mut DB::Connection: sqlx::Executor<'e, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<&'q str>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> T: sqlx::Encode<'q, DB> + sqlx::Type<DB> + Send + 'q,
    for<'q> Option<T>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let event = &change.event;
    let insert_event = INSERT_EVENT.replace("{json}", json_cast);
    let recorded = sqlx::query(&insert_event)
        .bind(event.id.as_str())
        .bind(event.event_type.as_str())
        .bind(time(event.created))
        .bind(&*event.payload)
        .bind(change.id.as_str())
        .bind(event.outcome.as_str())
        .bind(event.effect.as_deref())
        .bind(time(change.at))
        .fetch_optional(&mut *tx)
        .await?;
    if recorded.is_none() {
        tx.rollback().await?;
        return Ok(Committed::Duplicate);
    }
    let row = sqlx::query(if change.version.is_none() { INSERT_ROW } else { UPDATE_ROW })
        .bind(change.id.as_str())
        .bind(change.customer_id.as_deref())
        .bind(change.user_id.as_deref())
        .bind(change.sku.as_deref())
        .bind(change.status.as_deref())
        .bind(change.current_period_end.map(&time))
        .bind(change.record.as_str())
        .bind(time(change.at));
    let written = match change.version {
        Some(version) => row.bind(version),
        None => row,
    }
    .fetch_optional(&mut *tx)
    .await?;
    if written.is_none() {
        tx.rollback().await?;
        return Ok(Committed::Stale);
    }
    // The row write above holds the subscription's row until commit, so its next sequence number is this
    // transaction's alone.
    for notice in &change.notices {
        let id = notice.id.to_string();
        sqlx::query(insert_notice)
            .bind(id.as_str())
            .bind(change.id.as_str())
            .bind(notice.kind)
            .bind(&*notice.payload)
            .bind(time(change.at))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(Committed::Done)
}
