//! The SQL for the fulfilment outbox, and reconciliation's watermark. One process writes a SQLite file at a
//! time, and its writes never overlap (`write.rs`), so a claim needs no row locks; entries are written by
//! `commit.rs`.

use crate::dialect::SqliteDialect;
use crate::timestamp::timestamp;
use crate::write;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use payments_domain::FeedCursor;
use payments_sql_store::{AttemptColumns, NoticeColumns, OutboxSql};
use sqlx::SqliteConnection;
use uuid::Uuid;

/// An outbox row as one JSON object (`OutboxRow`), from `outbox` (its columns unqualified: SQLite's RETURNING
/// takes no table alias).
macro_rules! entry_json {
    () => {
        "json_object('id', id, 'type', type, 'order_id', order_id, 'subscription_id', subscription_id, 'sequence', sequence, \
             'payload', payload, 'created_at', created_at, 'status', status, 'attempts', attempts, \
             'next_attempt_at', next_attempt_at, 'delivered_to', json(delivered_to), \
             'last_error', last_error, 'delivered_at', delivered_at, 'tx', tx, 'position', position)"
    };
}

/// Writes the entries of an order change, inside its transaction: each takes its order's next sequence
/// number and the next feed position.
pub(crate) async fn insert_notices(
    conn: &mut SqliteConnection,
    order_id: Uuid,
    at: DateTime<Utc>,
    notices: &[NoticeColumns],
) -> Result<(), sqlx::Error> {
    for notice in notices {
        sqlx::query(
            "INSERT INTO outbox (id, order_id, sequence, type, payload, created_at, position, next_attempt_at)
             VALUES (?1, ?2, (SELECT coalesce(max(sequence), 0) + 1 FROM outbox WHERE order_id = ?2), ?3, ?4, ?5,
                     (SELECT coalesce(max(position), 0) + 1 FROM outbox), ?5)",
        )
        .bind(notice.id.to_string())
        .bind(order_id.to_string())
        .bind(notice.kind)
        .bind(&*notice.payload)
        .bind(timestamp(at))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

#[async_trait]
impl OutboxSql for SqliteDialect {
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<String>, sqlx::Error> {
        let mut tx = write::begin(&self.writer).await?;
        let claimed = sqlx::query_scalar(concat!(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?2
             WHERE id IN (
                 SELECT d.id FROM outbox d
                 WHERE d.status = 'pending' AND d.next_attempt_at <= ?1
                   AND NOT EXISTS (SELECT 1 FROM outbox p
                                   WHERE p.order_id = d.order_id AND p.status = 'pending' AND p.sequence < d.sequence)
                   AND NOT EXISTS (SELECT 1 FROM outbox p
                                   WHERE p.subscription_id = d.subscription_id AND p.status = 'pending'
                                     AND p.sequence < d.sequence)
                 ORDER BY d.next_attempt_at, d.id
                 LIMIT ?3)
             RETURNING ",
            entry_json!()
        ))
        .bind(timestamp(now))
        .bind(timestamp(lease_until))
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(claimed)
    }

    async fn record_attempt(&self, id: Uuid, attempt: &AttemptColumns) -> Result<(), sqlx::Error> {
        let mut tx = write::begin(&self.writer).await?;
        sqlx::query(
            "UPDATE outbox SET status = ?2, next_attempt_at = coalesce(?3, next_attempt_at), last_error = ?4,
                               delivered_at = ?5, delivered_to = ?6
             WHERE id = ?1",
        )
        .bind(id.to_string())
        .bind(attempt.status)
        .bind(attempt.next_attempt_at.map(timestamp))
        .bind(attempt.last_error.as_deref())
        .bind(attempt.delivered_at.map(timestamp))
        .bind(&attempt.delivered_to)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }

    async fn outbox(&self, status: &str, limit: u32) -> Result<Vec<String>, sqlx::Error> {
        sqlx::query_scalar(concat!(
            "SELECT ",
            entry_json!(),
            " FROM outbox WHERE status = ?1 ORDER BY created_at, id LIMIT ?2"
        ))
        .bind(status)
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await
    }

    async fn redeliver(&self, id: Uuid, now: DateTime<Utc>) -> Result<Option<String>, sqlx::Error> {
        let mut tx = write::begin(&self.writer).await?;
        let entry = sqlx::query_scalar(concat!(
            "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?2, delivered_to = '[]',
                              delivered_at = NULL
             WHERE id = ?1 RETURNING ",
            entry_json!()
        ))
        .bind(id.to_string())
        .bind(timestamp(now))
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(entry)
    }

    /// Positions are given in commit order (writes never overlap), so the feed reads every committed entry.
    async fn feed(&self, after: FeedCursor, limit: u32) -> Result<Vec<String>, sqlx::Error> {
        sqlx::query_scalar(concat!(
            "SELECT ",
            entry_json!(),
            " FROM outbox WHERE (tx, position) > (?1, ?2) ORDER BY tx, position LIMIT ?3"
        ))
        .bind(after.tx)
        .bind(after.position)
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await
    }

    async fn backlog(&self) -> Result<(i64, i64, Option<DateTime<Utc>>), sqlx::Error> {
        let (pending, dead, oldest): (i64, i64, Option<String>) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM outbox WHERE status = 'pending'),
                    (SELECT count(*) FROM outbox WHERE status = 'dead'),
                    (SELECT min(created_at) FROM outbox WHERE status = 'pending')",
        )
        .fetch_one(&self.reader)
        .await?;
        Ok((pending, dead, oldest.map(|text| parse_time(&text)).transpose()?))
    }
}

/// A stored time (`timestamp.rs`) read back.
fn parse_time(text: &str) -> Result<DateTime<Utc>, sqlx::Error> {
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|error| sqlx::Error::Decode(Box::new(error)))
}

#[async_trait]
impl payments_sql_store::ReconcileSql for SqliteDialect {
    async fn reconciled_through(&self) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
        let through: Option<String> =
            sqlx::query_scalar("SELECT through FROM reconciliation").fetch_optional(&self.reader).await?;
        through.map(|text| parse_time(&text)).transpose()
    }

    async fn set_reconciled_through(&self, at: DateTime<Utc>) -> Result<(), sqlx::Error> {
        let mut tx = write::begin(&self.writer).await?;
        // Stored times compare as text (timestamp.rs): max() keeps the later one.
        sqlx::query(
            "INSERT INTO reconciliation (singleton, through) VALUES (1, ?1)
             ON CONFLICT (singleton) DO UPDATE SET through = max(through, excluded.through)",
        )
        .bind(timestamp(at))
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }
}
