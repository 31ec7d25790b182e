//! The SQL for subscriptions: a record read by id, written with its event in one write transaction, and
//! listed.

use crate::dialect::SqliteDialect;
use crate::timestamp::timestamp;
use crate::write;
use async_trait::async_trait;
use payments_domain::{Committed, SubscriptionQuery};
use payments_sql_store::{
    list_subscriptions, read_subscription, write_subscription, NoticeInsert, SubscriptionChange,
    SubscriptionSql,
};

/// One outbox entry of a subscription, at the next feed position (writes never overlap: see outbox.rs).
const INSERT_NOTICE: NoticeInsert =
    "INSERT INTO outbox (id, subscription_id, sequence, type, payload, created_at, position, next_attempt_at)
     VALUES ($1, $2, (SELECT coalesce(max(sequence), 0) + 1 FROM outbox WHERE subscription_id = $2), $3, $4, $5,
             (SELECT coalesce(max(position), 0) + 1 FROM outbox), $5)";

#[async_trait]
impl SubscriptionSql for SqliteDialect {
    async fn subscription(&self, id: &str) -> Result<Option<(String, i64)>, sqlx::Error> {
        read_subscription(&self.reader, id).await
    }

    async fn commit_subscription(&self, change: &SubscriptionChange) -> Result<Committed, sqlx::Error> {
        write_subscription(write::begin(&self.writer).await?, change, "", INSERT_NOTICE, timestamp).await
    }

    async fn subscriptions(
        &self,
        query: SubscriptionQuery<'_>,
    ) -> Result<Vec<(String, Option<String>)>, sqlx::Error> {
        list_subscriptions(&self.reader, query).await
    }
}
