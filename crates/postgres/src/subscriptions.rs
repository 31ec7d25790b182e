//! The SQL for subscriptions: a record read by id, written with its event in one transaction, and listed.

use crate::dialect::PgDialect;
use async_trait::async_trait;
use payments_domain::{Committed, SubscriptionQuery};
use payments_sql_store::{
    list_subscriptions, read_subscription, write_subscription, SubscriptionChange, SubscriptionSql,
};

#[async_trait]
impl SubscriptionSql for PgDialect {
    async fn subscription(&self, id: &str) -> Result<Option<(String, i64)>, sqlx::Error> {
        read_subscription(&self.pool, id).await
    }

    async fn commit_subscription(&self, change: &SubscriptionChange) -> Result<Committed, sqlx::Error> {
        write_subscription(self.pool.begin().await?, change, "::jsonb", |at| at).await
    }

    async fn subscriptions(
        &self,
        query: SubscriptionQuery<'_>,
    ) -> Result<Vec<(String, Option<String>)>, sqlx::Error> {
        list_subscriptions(&self.pool, query).await
    }
}
