//! The JSON the stores keep in their `facts`, `effect` and `event` columns: record types of their own, so that
//! renaming a domain field changes no stored data. Each record carries `"v": 1`; a record without `v` was
//! written before records existed (by serialising the domain types), in the same shape as version 1, and
//! reads as version 1.

use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use payments_domain::{
    Currency, Decline, DisputeOutcome, Effect, EventId, Money, OrderStatus, PaymentEvent, PaymentFacts,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use crate::event_records::EventRecord;
pub(crate) use crate::refund_records::RefundRecord;
use crate::refund_records::RefundRequestRecord;
use crate::refund_records::{refund_records, refunds_of, request_records, requests_of};

/// The record version written now.
pub(crate) const VERSION: u32 = 1;

pub(crate) fn version() -> u32 {
    VERSION
}

/// Refuses a record of a version this build cannot read.
pub(crate) fn check_version(v: u32, what: &str) -> anyhow::Result<()> {
    if v != VERSION {
        bail!("{what} record version {v} is not one this build reads (it reads {VERSION})");
    }
    Ok(())
}

/// An amount: `{"minor": 1500, "currency": "usd"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct MoneyRecord {
    minor: i64,
    currency: String,
}

impl From<Money> for MoneyRecord {
    fn from(money: Money) -> Self {
        Self { minor: money.minor(), currency: money.currency().as_str().to_owned() }
    }
}

impl TryFrom<MoneyRecord> for Money {
    type Error = anyhow::Error;
    fn try_from(record: MoneyRecord) -> anyhow::Result<Money> {
        Ok(Money::new(record.minor, Currency::parse(&record.currency)?)?)
    }
}

/// A dispute's outcome: `"won"` or `"lost"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum DisputeOutcomeRecord {
    Won,
    Lost,
}

impl From<DisputeOutcome> for DisputeOutcomeRecord {
    fn from(outcome: DisputeOutcome) -> Self {
        match outcome {
            DisputeOutcome::Won => Self::Won,
            DisputeOutcome::Lost => Self::Lost,
        }
    }
}

impl From<DisputeOutcomeRecord> for DisputeOutcome {
    fn from(outcome: DisputeOutcomeRecord) -> Self {
        match outcome {
            DisputeOutcomeRecord::Won => Self::Won,
            DisputeOutcomeRecord::Lost => Self::Lost,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct DeclineRecord {
    at: DateTime<Utc>,
    event_id: String,
    reason: Option<String>,
}

/// An order's payment facts (the `orders.facts` column).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactsRecord {
    #[serde(default = "version")]
    v: u32,
    #[serde(default)]
    paid: bool,
    #[serde(default)]
    mismatched_amount: Option<MoneyRecord>,
    /// Absent from records written before it: then any payment seen without a mismatch counts as confirmed,
    /// as that code judged it.
    #[serde(default)]
    amount_confirmed: Option<bool>,
    #[serde(default)]
    unconfirmed_payment: bool,
    #[serde(default)]
    awaiting_async_payment: bool,
    #[serde(default)]
    async_payment_failed: bool,
    #[serde(default)]
    last_decline: Option<DeclineRecord>,
    #[serde(default)]
    expired: bool,
    #[serde(default)]
    payment_canceled: bool,
    #[serde(default)]
    refunded_minor: i64,
    #[serde(default)]
    disputes: BTreeMap<String, Option<DisputeOutcomeRecord>>,
    #[serde(default)]
    checkout_failed: Option<String>,
    /// Written only when set, so records without it read as before.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    nothing_due: bool,
    /// Written only when there are some, like the requests.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    refunds: BTreeMap<String, RefundRecord>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    refund_requests: BTreeMap<String, RefundRequestRecord>,
}

impl From<&PaymentFacts> for FactsRecord {
    fn from(facts: &PaymentFacts) -> Self {
        Self {
            v: VERSION,
            paid: facts.paid,
            mismatched_amount: facts.mismatched_amount.map(MoneyRecord::from),
            amount_confirmed: Some(facts.amount_confirmed),
            unconfirmed_payment: facts.unconfirmed_payment,
            awaiting_async_payment: facts.awaiting_async_payment,
            async_payment_failed: facts.async_payment_failed,
            last_decline: facts.last_decline.as_ref().map(|decline| DeclineRecord {
                at: decline.at,
                event_id: decline.event_id.as_str().to_owned(),
                reason: decline.reason.clone(),
            }),
            expired: facts.expired,
            payment_canceled: facts.payment_canceled,
            refunded_minor: facts.refunded_minor,
            disputes: facts
                .disputes
                .iter()
                .map(|(id, outcome)| (id.clone(), outcome.map(Into::into)))
                .collect(),
            checkout_failed: facts.checkout_failed.clone(),
            nothing_due: facts.nothing_due,
            refunds: refund_records(&facts.refunds),
            refund_requests: request_records(&facts.refund_requests),
        }
    }
}

impl TryFrom<FactsRecord> for PaymentFacts {
    type Error = anyhow::Error;
    fn try_from(record: FactsRecord) -> anyhow::Result<Self> {
        check_version(record.v, "facts")?;
        Ok(PaymentFacts {
            paid: record.paid,
            amount_confirmed: record
                .amount_confirmed
                .unwrap_or(record.paid && record.mismatched_amount.is_none()),
            unconfirmed_payment: record.unconfirmed_payment,
            nothing_due: record.nothing_due,
            mismatched_amount: record.mismatched_amount.map(Money::try_from).transpose()?,
            awaiting_async_payment: record.awaiting_async_payment,
            async_payment_failed: record.async_payment_failed,
            last_decline: record
                .last_decline
                .map(|decline| -> anyhow::Result<Decline> {
                    Ok(Decline {
                        at: decline.at,
                        event_id: EventId::parse(&decline.event_id)?,
                        reason: decline.reason,
                    })
                })
                .transpose()?,
            expired: record.expired,
            payment_canceled: record.payment_canceled,
            refunded_minor: record.refunded_minor,
            disputes: record
                .disputes
                .into_iter()
                .map(|(id, outcome)| (id, outcome.map(Into::into)))
                .collect(),
            checkout_failed: record.checkout_failed,
            refunds: refunds_of(record.refunds).context("refunds")?,
            refund_requests: requests_of(record.refund_requests).context("refund requests")?,
        })
    }
}

/// What an event did to its order (the `stripe_events.effect` column).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EffectRecord {
    #[serde(default = "version")]
    v: u32,
    #[serde(flatten)]
    effect: EffectKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "effect", rename_all = "snake_case")]
enum EffectKind {
    Changed { from: String, to: String },
    Recorded,
    Ignored,
    Refused { reason: String },
}

impl From<&Effect> for EffectRecord {
    fn from(effect: &Effect) -> Self {
        let effect = match effect {
            Effect::Changed { from, to } => {
                EffectKind::Changed { from: from.as_str().to_owned(), to: to.as_str().to_owned() }
            }
            Effect::Recorded => EffectKind::Recorded,
            Effect::Ignored => EffectKind::Ignored,
            Effect::Refused { reason } => EffectKind::Refused { reason: reason.clone() },
        };
        Self { v: VERSION, effect }
    }
}

impl TryFrom<EffectRecord> for Effect {
    type Error = anyhow::Error;
    fn try_from(record: EffectRecord) -> anyhow::Result<Self> {
        check_version(record.v, "effect")?;
        Ok(match record.effect {
            EffectKind::Changed { from, to } => {
                Effect::Changed { from: from.parse::<OrderStatus>()?, to: to.parse::<OrderStatus>()? }
            }
            EffectKind::Recorded => Effect::Recorded,
            EffectKind::Ignored => Effect::Ignored,
            EffectKind::Refused { reason } => Effect::Refused { reason },
        })
    }
}

/// `value` as JSON text for a column.
pub fn to_json<T: Serialize>(value: &T) -> String {
    // These records hold strings, numbers, booleans and maps with string keys: serialising cannot fail.
    serde_json::to_string(value).unwrap_or_else(|error| unreachable!("a record always serialises: {error}"))
}

/// The facts stored as `json`.
pub fn facts_from_json(json: &serde_json::Value) -> anyhow::Result<PaymentFacts> {
    FactsRecord::deserialize(json).context("facts")?.try_into()
}

/// The effect stored as `json`.
pub fn effect_from_json(json: &serde_json::Value) -> anyhow::Result<Effect> {
    EffectRecord::deserialize(json).context("effect")?.try_into()
}

/// The kept event `id` stored as `json`.
pub fn event_from_json(id: &str, json: &serde_json::Value) -> anyhow::Result<PaymentEvent> {
    let record =
        EventRecord::deserialize(json).with_context(|| format!("stored event {id} is unreadable"))?;
    record.try_into().with_context(|| format!("stored event {id} is unreadable"))
}

#[cfg(test)]
#[path = "records_tests.rs"]
mod tests;
