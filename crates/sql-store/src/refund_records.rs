//! An order's refunds and refund requests as its `facts` record holds them (see [`records`](crate::records)).

use crate::records::MoneyRecord;
use anyhow::Context;
use chrono::{DateTime, Utc};
use payments_domain::{
    Money, Refund, RefundAsk, RefundId, RefundReason, RefundRequest, RefundStatus, Refunder, UserId,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A refund as Stripe last told it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RefundRecord {
    id: String,
    amount: MoneyRecord,
    /// Stripe's word (`pending`, `succeeded`, `canceled`, `failed`).
    status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    created: DateTime<Utc>,
    updated: DateTime<Utc>,
}

impl From<&Refund> for RefundRecord {
    fn from(refund: &Refund) -> Self {
        Self {
            id: refund.id.as_str().to_owned(),
            amount: refund.amount.into(),
            status: refund.status.as_str().to_owned(),
            reason: refund.reason.map(|reason| reason.as_str().to_owned()),
            created: refund.created,
            updated: refund.updated,
        }
    }
}

impl TryFrom<RefundRecord> for Refund {
    type Error = anyhow::Error;
    fn try_from(record: RefundRecord) -> anyhow::Result<Self> {
        Ok(Refund {
            id: RefundId::parse(&record.id)?,
            amount: Money::try_from(record.amount)?,
            status: RefundStatus::parse(&record.status)
                .with_context(|| format!("unknown refund status {:?}", record.status))?,
            reason: record.reason.as_deref().map(reason).transpose()?,
            created: record.created,
            updated: record.updated,
        })
    }
}

fn reason(raw: &str) -> anyhow::Result<RefundReason> {
    RefundReason::parse(raw).with_context(|| format!("unknown refund reason {raw:?}"))
}

/// A refund asked of the service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RefundRequestRecord {
    /// The amount asked; absent when all that was left was asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    asked: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    amount_minor: i64,
    /// `admin`, or the user's id.
    by: RefunderRecord,
    at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refund_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refused: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", content = "user_id", rename_all = "snake_case")]
enum RefunderRecord {
    Admin,
    User(String),
}

impl From<&RefundRequest> for RefundRequestRecord {
    fn from(request: &RefundRequest) -> Self {
        Self {
            asked: request.ask.amount,
            reason: request.ask.reason.map(|reason| reason.as_str().to_owned()),
            amount_minor: request.amount_minor,
            by: match &request.by {
                Refunder::Admin => RefunderRecord::Admin,
                Refunder::User(user) => RefunderRecord::User(user.as_str().to_owned()),
            },
            at: request.at,
            refund_id: request.refund_id.as_ref().map(|id| id.as_str().to_owned()),
            refused: request.refused.clone(),
        }
    }
}

impl TryFrom<RefundRequestRecord> for RefundRequest {
    type Error = anyhow::Error;
    fn try_from(record: RefundRequestRecord) -> anyhow::Result<Self> {
        Ok(RefundRequest {
            ask: RefundAsk {
                amount: record.asked,
                reason: record.reason.as_deref().map(reason).transpose()?,
            },
            amount_minor: record.amount_minor,
            by: match record.by {
                RefunderRecord::Admin => Refunder::Admin,
                RefunderRecord::User(user) => {
                    Refunder::User(UserId::parse(&user).map_err(|_| anyhow::anyhow!("a refund's user id"))?)
                }
            },
            at: record.at,
            refund_id: record.refund_id.as_deref().map(RefundId::parse).transpose()?,
            refused: record.refused,
        })
    }
}

/// The records of `refunds`, by id.
pub(crate) fn refund_records(refunds: &BTreeMap<RefundId, Refund>) -> BTreeMap<String, RefundRecord> {
    refunds.iter().map(|(id, refund)| (id.as_str().to_owned(), refund.into())).collect()
}

/// The refunds of `records`.
pub(crate) fn refunds_of(
    records: BTreeMap<String, RefundRecord>,
) -> anyhow::Result<BTreeMap<RefundId, Refund>> {
    records
        .into_values()
        .map(|record| {
            let refund = Refund::try_from(record)?;
            Ok((refund.id.clone(), refund))
        })
        .collect()
}

/// The records of `requests`, by idempotency key.
pub(crate) fn request_records(
    requests: &BTreeMap<String, RefundRequest>,
) -> BTreeMap<String, RefundRequestRecord> {
    requests.iter().map(|(key, request)| (key.clone(), request.into())).collect()
}

/// The requests of `records`.
pub(crate) fn requests_of(
    records: BTreeMap<String, RefundRequestRecord>,
) -> anyhow::Result<BTreeMap<String, RefundRequest>> {
    records.into_iter().map(|(key, record)| Ok((key, RefundRequest::try_from(record)?))).collect()
}
