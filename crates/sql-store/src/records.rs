//! The JSON the stores keep in their `facts`, `effect` and `event` columns: record types of their own, so that
//! renaming a domain field changes no stored data. Each record carries `"v": 1`; a record without `v` was
//! written before records existed (by serialising the domain types), in the same shape as version 1, and
//! reads as version 1.

use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use payments_domain::{
    CheckoutSessionId, Currency, Decline, DisputeOutcome, Effect, EventId, EventRefs, Money, OrderId,
    OrderStatus, PaymentEvent, PaymentEventKind, PaymentFacts, PaymentIntentId, SessionPaymentStatus,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
enum DisputeOutcomeRecord {
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

/// A kept event's reading, so that it can be applied later (the `stripe_events.event` column).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRecord {
    #[serde(default = "version")]
    v: u32,
    id: String,
    event_type: String,
    created: DateTime<Utc>,
    kind: KindRecord,
    refs: RefsRecord,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct RefsRecord {
    #[serde(default)]
    order_id: Option<String>,
    #[serde(default)]
    session_id: Option<String>,
    #[serde(default)]
    payment_intent_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum PaymentStatusRecord {
    Paid,
    Unpaid,
    NoPaymentRequired,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum KindRecord {
    CheckoutCompleted { payment_status: PaymentStatusRecord, amount: Option<MoneyRecord> },
    AsyncPaymentSucceeded { amount: Option<MoneyRecord> },
    AsyncPaymentFailed,
    CheckoutExpired,
    PaymentSucceeded { amount: Option<MoneyRecord> },
    PaymentFailed { reason: Option<String> },
    PaymentCanceled,
    ChargeRefunded { amount_refunded: MoneyRecord },
    DisputeOpened { dispute_id: String },
    DisputeClosed { dispute_id: String, outcome: DisputeOutcomeRecord },
    Unknown,
}

impl From<&PaymentEventKind> for KindRecord {
    fn from(kind: &PaymentEventKind) -> Self {
        use PaymentEventKind as K;
        match kind {
            K::CheckoutCompleted { payment_status, amount } => KindRecord::CheckoutCompleted {
                payment_status: match payment_status {
                    SessionPaymentStatus::Paid => PaymentStatusRecord::Paid,
                    SessionPaymentStatus::Unpaid => PaymentStatusRecord::Unpaid,
                    SessionPaymentStatus::NoPaymentRequired => PaymentStatusRecord::NoPaymentRequired,
                },
                amount: amount.map(Into::into),
            },
            K::AsyncPaymentSucceeded { amount } => {
                KindRecord::AsyncPaymentSucceeded { amount: amount.map(Into::into) }
            }
            K::AsyncPaymentFailed => KindRecord::AsyncPaymentFailed,
            K::CheckoutExpired => KindRecord::CheckoutExpired,
            K::PaymentSucceeded { amount } => KindRecord::PaymentSucceeded { amount: amount.map(Into::into) },
            K::PaymentFailed { reason } => KindRecord::PaymentFailed { reason: reason.clone() },
            K::PaymentCanceled => KindRecord::PaymentCanceled,
            K::ChargeRefunded { amount_refunded } => {
                KindRecord::ChargeRefunded { amount_refunded: (*amount_refunded).into() }
            }
            K::DisputeOpened { dispute_id } => KindRecord::DisputeOpened { dispute_id: dispute_id.clone() },
            K::DisputeClosed { dispute_id, outcome } => {
                KindRecord::DisputeClosed { dispute_id: dispute_id.clone(), outcome: (*outcome).into() }
            }
            K::Unknown => KindRecord::Unknown,
        }
    }
}

impl TryFrom<KindRecord> for PaymentEventKind {
    type Error = anyhow::Error;
    fn try_from(record: KindRecord) -> anyhow::Result<Self> {
        use PaymentEventKind as K;
        let money = |amount: Option<MoneyRecord>| amount.map(Money::try_from).transpose();
        Ok(match record {
            KindRecord::CheckoutCompleted { payment_status, amount } => K::CheckoutCompleted {
                payment_status: match payment_status {
                    PaymentStatusRecord::Paid => SessionPaymentStatus::Paid,
                    PaymentStatusRecord::Unpaid => SessionPaymentStatus::Unpaid,
                    PaymentStatusRecord::NoPaymentRequired => SessionPaymentStatus::NoPaymentRequired,
                },
                amount: money(amount)?,
            },
            KindRecord::AsyncPaymentSucceeded { amount } => {
                K::AsyncPaymentSucceeded { amount: money(amount)? }
            }
            KindRecord::AsyncPaymentFailed => K::AsyncPaymentFailed,
            KindRecord::CheckoutExpired => K::CheckoutExpired,
            KindRecord::PaymentSucceeded { amount } => K::PaymentSucceeded { amount: money(amount)? },
            KindRecord::PaymentFailed { reason } => K::PaymentFailed { reason },
            KindRecord::PaymentCanceled => K::PaymentCanceled,
            KindRecord::ChargeRefunded { amount_refunded } => {
                K::ChargeRefunded { amount_refunded: amount_refunded.try_into()? }
            }
            KindRecord::DisputeOpened { dispute_id } => K::DisputeOpened { dispute_id },
            KindRecord::DisputeClosed { dispute_id, outcome } => {
                K::DisputeClosed { dispute_id, outcome: outcome.into() }
            }
            KindRecord::Unknown => K::Unknown,
        })
    }
}

impl From<&PaymentEvent> for EventRecord {
    fn from(event: &PaymentEvent) -> Self {
        Self {
            v: VERSION,
            id: event.id.as_str().to_owned(),
            event_type: event.event_type.clone(),
            created: event.created,
            kind: (&event.kind).into(),
            refs: RefsRecord {
                order_id: event.refs.order_id.map(|id| id.to_string()),
                session_id: event.refs.session_id.as_ref().map(|id| id.as_str().to_owned()),
                payment_intent_id: event.refs.payment_intent_id.as_ref().map(|id| id.as_str().to_owned()),
            },
        }
    }
}

impl TryFrom<EventRecord> for PaymentEvent {
    type Error = anyhow::Error;
    fn try_from(record: EventRecord) -> anyhow::Result<Self> {
        check_version(record.v, "event")?;
        Ok(PaymentEvent {
            id: EventId::parse(&record.id)?,
            event_type: record.event_type,
            created: record.created,
            kind: record.kind.try_into()?,
            refs: EventRefs {
                order_id: record.refs.order_id.as_deref().map(OrderId::parse).transpose()?,
                session_id: record.refs.session_id.as_deref().map(CheckoutSessionId::parse).transpose()?,
                payment_intent_id: record
                    .refs
                    .payment_intent_id
                    .as_deref()
                    .map(PaymentIntentId::parse)
                    .transpose()?,
            },
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
