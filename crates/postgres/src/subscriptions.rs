//! The SQL for subscriptions: a record read by id, written with its event in one transaction, and listed.

use crate::dialect::PgDialect;
use async_trait::async_trait;
use payments_domain::{Committed, SubscriptionQuery};
use payments_sql_store::{
    list_subscriptions, read_subscription, write_subscription, NoticeInsert, SubscriptionChange,
    SubscriptionSql,
};

/// One outbox entry of a subscription; its feed place comes from the table's defaults.
const INSERT_NOTICE: NoticeInsert =
    "INSERT INTO outbox (id, subscription_id, sequence, type, payload, created_at, next_attempt_at)
     VALUES ($1::uuid, $2,
             (SELECT coalesce(max(sequence), 0) + 1 FROM outbox WHERE subscription_id = $2), $3, $4, $5, $5)";

#[async_trait]
impl SubscriptionSql for PgDialect {
    async fn subscription(&self, id: &str) -> Result<Option<(String, i64)>, sqlx::Error> {
        read_subscription(&self.pool, id).await
    }

    async fn commit_subscription(&self, change: &SubscriptionChange) -> Result<Committed, sqlx::Error> {
        write_subscription(self.pool.begin().await?, change, "::jsonb", INSERT_NOTICE, |at| at).await
    }

    async fn subscriptions(
        &self,
        query: SubscriptionQuery<'_>,
    ) -> Result<Vec<(String, Option<String>)>, sqlx::Error> {
        list_subscriptions(&self.pool, query).await
    }
}
