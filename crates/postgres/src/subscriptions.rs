//! The SQL for subscriptions: a record read by id, written with its event in one transaction, and listed.

use crate::dialect::PgDialect;
use async_trait::async_trait;
use payments_domain::{Committed, SubscriptionQuery};
use payments_sql_store::{SubscriptionChange, SubscriptionSql};

#[async_trait]
impl SubscriptionSql for PgDialect {
    async fn subscription(&self, id: &str) -> Result<Option<(String, i64)>, sqlx::Error> {
        sqlx::query_as("SELECT record, version FROM subscriptions WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
    }

    async fn commit_subscription(&self, change: &SubscriptionChange) -> Result<Committed, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let event = &change.event;
        let recorded = sqlx::query(
            "INSERT INTO stripe_events (id, type, created_at, payload, subscription_id, outcome, effect, \
                                        received_at, applied_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $8) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&event.id)
        .bind(&event.event_type)
        .bind(event.created)
        .bind(&*event.payload)
        .bind(&change.id)
        .bind(event.outcome.as_str())
        .bind(event.effect.as_deref())
        .bind(change.at)
        .execute(&mut *tx)
        .await?;
        if recorded.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(Committed::Duplicate);
        }
        let written = match change.version {
            None => sqlx::query(
                "INSERT INTO subscriptions (id, customer_id, user_id, sku, status, current_period_end, record, \
                                            version, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $8) ON CONFLICT (id) DO NOTHING",
            ),
            Some(_) => sqlx::query(
                "UPDATE subscriptions SET customer_id = COALESCE($2, customer_id), \
                        user_id = COALESCE($3, user_id), sku = COALESCE($4, sku), status = $5, \
                        current_period_end = $6, record = $7, version = version + 1, updated_at = $8 \
                 WHERE id = $1 AND version = $9",
            ),
        }
        .bind(&change.id)
        .bind(change.customer_id.as_deref())
        .bind(change.user_id.as_deref())
        .bind(change.sku.as_deref())
        .bind(change.status.as_deref())
        .bind(change.current_period_end)
        .bind(&change.record)
        .bind(change.at)
        .bind(change.version)
        .execute(&mut *tx)
        .await?;
        if written.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(Committed::Stale);
        }
        tx.commit().await?;
        Ok(Committed::Done)
    }

    /// A subscription's owner is the user its checkout named, else the user whose Stripe customer it bills.
    async fn subscriptions(
        &self,
        query: SubscriptionQuery<'_>,
    ) -> Result<Vec<(String, Option<String>)>, sqlx::Error> {
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
            SubscriptionQuery::Id(id) => sqlx::query_as(select!("AND s.id = $1")).bind(id.as_str()),
            SubscriptionQuery::All { limit } => {
                sqlx::query_as(select!("ORDER BY s.created_at DESC, s.id DESC LIMIT $1"))
                    .bind(i64::from(limit))
            }
            SubscriptionQuery::OfUser { user, limit } => sqlx::query_as(select!(
                "AND (s.user_id = $1 OR (s.user_id IS NULL AND s.customer_id = \
                      (SELECT c.stripe_customer_id FROM customers c WHERE c.user_id = $1))) \
                 ORDER BY s.created_at DESC, s.id DESC LIMIT $2"
            ))
            .bind(user.as_str())
            .bind(i64::from(limit)),
        };
        query.fetch_all(&self.pool).await
    }
}
