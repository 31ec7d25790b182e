//! A kept event's reading as the `stripe_events.event` column holds it: a record of its own, versioned like
//! the others in [`records`](crate::records).

use crate::records::{check_version, version, DisputeOutcomeRecord, MoneyRecord, RefundRecord, VERSION};
use chrono::{DateTime, Utc};
use payments_domain::{
    CheckoutSessionId, EventId, EventRefs, Money, OrderId, PaymentEvent, PaymentEventKind, PaymentIntentId,
    SessionPaymentStatus,
};
use serde::{Deserialize, Serialize};

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
    CheckoutCompleted {
        payment_status: PaymentStatusRecord,
        amount: Option<MoneyRecord>,
    },
    AsyncPaymentSucceeded {
        amount: Option<MoneyRecord>,
    },
    AsyncPaymentFailed,
    CheckoutExpired,
    PaymentSucceeded {
        amount: Option<MoneyRecord>,
    },
    PaymentFailed {
        reason: Option<String>,
    },
    PaymentCanceled,
    ChargeRefunded {
        amount_refunded: MoneyRecord,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        refunds: Vec<RefundRecord>,
    },
    RefundChanged {
        refund: RefundRecord,
    },
    DisputeOpened {
        dispute_id: String,
    },
    DisputeClosed {
        dispute_id: String,
        outcome: DisputeOutcomeRecord,
    },
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
            K::ChargeRefunded { amount_refunded, refunds } => KindRecord::ChargeRefunded {
                amount_refunded: (*amount_refunded).into(),
                refunds: refunds.iter().map(Into::into).collect(),
            },
            K::RefundChanged { refund } => KindRecord::RefundChanged { refund: refund.into() },
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
            KindRecord::ChargeRefunded { amount_refunded, refunds } => K::ChargeRefunded {
                amount_refunded: amount_refunded.try_into()?,
                refunds: refunds.into_iter().map(TryInto::try_into).collect::<anyhow::Result<_>>()?,
            },
            KindRecord::RefundChanged { refund } => K::RefundChanged { refund: refund.try_into()? },
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
