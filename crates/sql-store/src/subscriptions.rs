//! The [`SubscriptionStore`] port over a [`Dialect`]: a subscription's record as columns, written with its
//! event in one transaction.

use crate::changes::{event_columns, EventColumns, NoticeColumns};
use crate::dialect::Dialect;
use crate::records::{to_json, EffectRecord};
use crate::store::SqlStore;
use crate::subscription_records::SubscriptionRecord;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use payments_domain::{
    Committed, Effect, EventOutcome, RowVersion, StoreError, Subscription, SubscriptionId, SubscriptionQuery,
    SubscriptionStore, SubscriptionView, SubscriptionWrite, UserId,
};

/// The SQL for subscriptions.
#[async_trait]
pub trait SubscriptionSql: Send + Sync {
    /// The record (a [`SubscriptionRecord`] as JSON) and row version of subscription `id`.
    async fn subscription(&self, id: &str) -> Result<Option<(String, i64)>, sqlx::Error>;
    /// In one transaction: inserts the event unless its id is recorded ([`Committed::Duplicate`]), then
    /// inserts the row (no version: unless it exists) or updates it at `version` ([`Committed::Stale`] when
    /// that fails), then the outbox entries with the subscription's next sequence numbers; nothing is written
    /// unless all are.
    async fn commit_subscription(&self, change: &SubscriptionChange) -> Result<Committed, sqlx::Error>;
    /// `(record, owner)` of the subscriptions `query` names whose own snapshot has arrived, newest first.
    async fn subscriptions(
        &self,
        query: SubscriptionQuery<'_>,
    ) -> Result<Vec<(String, Option<String>)>, sqlx::Error>;
}

/// The columns of one subscription write.
#[derive(Debug, Clone)]
pub struct SubscriptionChange {
    /// `sub_...`.
    pub id: String,
    /// The row version loaded; `None`: there was no row.
    pub version: Option<i64>,
    /// The record, as JSON.
    pub record: String,
    /// Its customer, once known.
    pub customer_id: Option<String>,
    /// The user its checkout named (else the store looks the customer's user up).
    pub user_id: Option<String>,
    /// Its catalog product.
    pub sku: Option<String>,
    /// Its status, once known.
    pub status: Option<String>,
    /// When its period ends.
    pub current_period_end: Option<DateTime<Utc>>,
    /// Its event.
    pub event: EventColumns,
    /// The outbox entries it writes, in order (each with the record's view).
    pub notices: Vec<NoticeColumns>,
    /// When it is written.
    pub at: DateTime<Utc>,
}

impl SubscriptionChange {
    /// The columns of `write`, at `at`.
    pub fn of(write: &SubscriptionWrite, at: DateTime<Utc>) -> Self {
        let subscription = &write.subscription;
        let state = subscription.state().map(|seen| &seen.snapshot);
        let effect = if write.outcome == EventOutcome::Applied { Effect::Recorded } else { Effect::Ignored };
        Self {
            id: subscription.id().as_str().to_owned(),
            version: write.version.map(|version| version.0),
            record: to_json(&SubscriptionRecord::from(subscription)),
            customer_id: state.map(|s| s.customer.as_str().to_owned()),
            user_id: state.and_then(|s| s.links.user_id.as_ref()).map(|u| u.as_str().to_owned()),
            sku: state.and_then(|s| s.links.sku.as_ref()).map(|sku| sku.as_str().to_owned()),
            status: state.map(|s| s.status.as_str().to_owned()),
            current_period_end: state.and_then(|s| s.current_period_end),
            event: event_columns(
                &write.received,
                write.outcome,
                Some(to_json(&EffectRecord::from(&effect))),
                None,
            ),
            notices: NoticeColumns::all(&write.notices, || SubscriptionView::json(subscription)),
            at,
        }
    }
}

fn read(record: &str) -> Result<Subscription, StoreError> {
    let record: SubscriptionRecord = serde_json::from_str(record)
        .map_err(|e| StoreError::Unknown(anyhow::anyhow!("a stored subscription record: {e}")))?;
    Subscription::try_from(record).map_err(StoreError::Unknown)
}

#[async_trait]
impl<D: Dialect> SubscriptionStore for SqlStore<D> {
    async fn load_subscription(
        &self,
        id: &SubscriptionId,
    ) -> Result<Option<(Subscription, RowVersion)>, StoreError> {
        let row = self.dialect().subscription(id.as_str()).await.map_err(|e| self.dialect().failure(e))?;
        row.map(|(record, version)| Ok((read(&record)?, RowVersion(version)))).transpose()
    }

    async fn commit_subscription(
        &self,
        write: SubscriptionWrite,
        now: DateTime<Utc>,
    ) -> Result<Committed, StoreError> {
        let change = SubscriptionChange::of(&write, now);
        self.dialect().commit_subscription(&change).await.map_err(|e| self.dialect().failure(e))
    }

    async fn list_subscriptions<'a>(
        &self,
        query: SubscriptionQuery<'a>,
    ) -> Result<Vec<(Subscription, Option<UserId>)>, StoreError> {
        let rows = self.dialect().subscriptions(query).await.map_err(|e| self.dialect().failure(e))?;
        rows.iter()
            .map(|(record, owner)| {
                let owner =
                    owner.as_deref().map(UserId::parse).transpose().map_err(|e| {
                        StoreError::Unknown(anyhow::anyhow!("a stored subscription's user: {e}"))
                    })?;
                Ok((read(record)?, owner))
            })
            .collect()
    }
}
