//! The SQL for the fulfilment outbox, and reconciliation's watermark. Outbox claims take `FOR UPDATE SKIP
//! LOCKED`, so instances sharing the database never claim one entry together; entries are written by
//! `payments_cycle_notify` (`cycle.rs`).

use crate::dialect::PgDialect;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use payments_domain::FeedCursor;
use payments_sql_store::{AttemptColumns, OutboxSql};
use uuid::Uuid;

/// An outbox row as one JSON object (`OutboxRow`), from `outbox x`.
macro_rules! entry_json {
    () => {
        "json_build_object('id', x.id, 'type', x.type, 'order_id', x.order_id, 'subscription_id', x.subscription_id, 'sequence', x.sequence, \
             'payload', x.payload, 'created_at', x.created_at, 'status', x.status, 'attempts', x.attempts, \
             'next_attempt_at', x.next_attempt_at, 'delivered_to', x.delivered_to::json, \
             'last_error', x.last_error, 'delivered_at', x.delivered_at, 'tx', x.tx, 'position', x.position)::text"
    };
}

#[async_trait]
impl OutboxSql for PgDialect {
    /// The oldest due entries that are first pending of their order or subscription, locked (skipping those another claim
    /// holds), then leased, in one statement.
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<String>, sqlx::Error> {
        sqlx::query_scalar(concat!(
            "WITH due AS (
                 SELECT d.id FROM outbox d
                 WHERE d.status = 'pending' AND d.next_attempt_at <= $1
                   AND NOT EXISTS (SELECT 1 FROM outbox p
                                   WHERE p.order_id = d.order_id AND p.status = 'pending' AND p.sequence < d.sequence)
                   AND NOT EXISTS (SELECT 1 FROM outbox p
                                   WHERE p.subscription_id = d.subscription_id AND p.status = 'pending'
                                     AND p.sequence < d.sequence)
                 ORDER BY d.next_attempt_at, d.id
                 LIMIT $3
                 FOR UPDATE SKIP LOCKED)
             UPDATE outbox x SET attempts = x.attempts + 1, next_attempt_at = $2
             FROM due WHERE x.id = due.id
             RETURNING ",
            entry_json!()
        ))
        .bind(now)
        .bind(lease_until)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
    }

    async fn record_attempt(&self, id: Uuid, attempt: &AttemptColumns) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE outbox SET status = $2, next_attempt_at = coalesce($3, next_attempt_at), last_error = $4,
                               delivered_at = $5, delivered_to = $6
             WHERE id = $1",
        )
        .bind(id)
        .bind(attempt.status)
        .bind(attempt.next_attempt_at)
        .bind(attempt.last_error.as_deref())
        .bind(attempt.delivered_at)
        .bind(&attempt.delivered_to)
        .execute(&self.pool)
        .await
        .map(drop)
    }

    /// Dead entries by their partial index (`status = 'dead'` written out, so the planner can use it); the
    /// rarer lists of pending or delivered ones scan.
    async fn outbox(&self, status: &str, limit: u32) -> Result<Vec<String>, sqlx::Error> {
        let limit = i64::from(limit);
        if status == "dead" {
            sqlx::query_scalar(concat!(
                "SELECT ",
                entry_json!(),
                " FROM outbox x WHERE x.status = 'dead' ORDER BY x.created_at, x.id LIMIT $1"
            ))
            .bind(limit)
            .fetch_all(&self.pool)
            .await
        } else {
            sqlx::query_scalar(concat!(
                "SELECT ",
                entry_json!(),
                " FROM outbox x WHERE x.status = $1 ORDER BY x.created_at, x.id LIMIT $2"
            ))
            .bind(status)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
        }
    }

    async fn redeliver(&self, id: Uuid, now: DateTime<Utc>) -> Result<Option<String>, sqlx::Error> {
        sqlx::query_scalar(concat!(
            "UPDATE outbox x SET status = 'pending', attempts = 0, next_attempt_at = $2, delivered_to = '[]',
                            delivered_at = NULL
             WHERE x.id = $1 RETURNING ",
            entry_json!()
        ))
        .bind(id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
    }

    /// Only entries of transactions older than the oldest one running (`pg_snapshot_xmin`): any entry not
    /// shown yet will have a later place than every entry shown.
    async fn feed(&self, after: FeedCursor, limit: u32) -> Result<Vec<String>, sqlx::Error> {
        sqlx::query_scalar(concat!(
            "SELECT ",
            entry_json!(),
            " FROM outbox x
             WHERE (x.tx, x.position) > ($1, $2)
               AND x.tx < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
             ORDER BY x.tx, x.position LIMIT $3"
        ))
        .bind(after.tx)
        .bind(after.position)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
    }

    async fn backlog(&self) -> Result<(i64, i64, Option<DateTime<Utc>>), sqlx::Error> {
        sqlx::query_as(
            "SELECT (SELECT count(*) FROM outbox WHERE status = 'pending'),
                    (SELECT count(*) FROM outbox WHERE status = 'dead'),
                    (SELECT min(created_at) FROM outbox WHERE status = 'pending')",
        )
        .fetch_one(&self.pool)
        .await
    }
}

#[async_trait]
impl payments_sql_store::ReconcileSql for PgDialect {
    async fn reconciled_through(&self) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
        sqlx::query_scalar("SELECT through FROM reconciliation").fetch_optional(&self.pool).await
    }

    async fn set_reconciled_through(&self, at: DateTime<Utc>) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO reconciliation (singleton, through) VALUES (true, $1)
             ON CONFLICT (singleton) DO UPDATE SET through = greatest(reconciliation.through, excluded.through)",
        )
        .bind(at)
        .execute(&self.pool)
        .await
        .map(drop)
    }
}
