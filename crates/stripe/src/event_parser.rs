//! Reading a Stripe event, whatever its API version, into the domain's [`PaymentEvent`].
//!
//! The JSON is read field by field rather than into a fixed schema: unknown fields, unknown enum values and
//! unknown event types never fail an event Stripe signed. Only an unreadable envelope (not JSON, no `id`
//! or `type`) does.

use crate::checkout_form::ORDER_ID_METADATA_KEY;
use chrono::{DateTime, Utc};
use payments_domain::{
    CheckoutSessionId, Currency, DisputeOutcome, EventId, EventOrigin, EventRefs, Money, OrderId,
    PaymentEvent, PaymentEventKind, PaymentIntentId, ReceivedEvent, Refund, RefundId, RefundReason,
    RefundStatus, SessionPaymentStatus, WebhookError,
};
use serde_json::{Map, Value};

/// Longest failure reason kept from `last_payment_error` or a failed charge, in characters.
const MAX_REASON_CHARS: usize = 500;
/// Longest event type or account id kept, in characters (Stripe's are far shorter).
const MAX_TYPE_CHARS: usize = 255;

/// Parses a webhook body that has already passed signature verification. `received_at` stands in for a
/// missing `created`.
/// Errors: [`WebhookError::MalformedPayload`] when the body is not a JSON object with a string `id` (a
/// Stripe id) and a string `type`. The reason never quotes the body.
pub fn parse_event(payload: &[u8], received_at: DateTime<Utc>) -> Result<ReceivedEvent, WebhookError> {
    let text = std::str::from_utf8(payload).map_err(|_| malformed("the body is not UTF-8"))?;
    let json: Value = serde_json::from_str(text).map_err(|e| {
        malformed(&format!("the body is not JSON (line {}, column {})", e.line(), e.column()))
    })?;
    let envelope = json.as_object().ok_or_else(|| malformed("the body is not a JSON object"))?;
    let id = str_field(envelope, "id").ok_or_else(|| malformed("the event has no string `id`"))?;
    let id = EventId::parse(id).map_err(|_| malformed("the event `id` is not a Stripe id"))?;
    let event_type =
        str_field(envelope, "type").ok_or_else(|| malformed("the event has no string `type`"))?;
    let event_type = printable(event_type, MAX_TYPE_CHARS);
    let created = envelope
        .get("created")
        .and_then(Value::as_i64)
        .and_then(|seconds| DateTime::from_timestamp(seconds, 0))
        .unwrap_or(received_at);
    let object = envelope.get("data").and_then(|data| data.get("object")).and_then(Value::as_object);
    let (kind, refs, billing) = match object {
        Some(object) => (
            event_kind(&event_type, object, created),
            event_refs(&event_type, object),
            crate::billing_parser::billing_snapshot(&event_type, object),
        ),
        None => (PaymentEventKind::Unknown, EventRefs::default(), None),
    };
    let origin = EventOrigin {
        livemode: envelope.get("livemode").and_then(Value::as_bool).unwrap_or(false),
        account: str_field(envelope, "account").map(|account| printable(account, MAX_TYPE_CHARS)),
    };
    Ok(ReceivedEvent {
        event: PaymentEvent { id, event_type, created, kind, refs },
        payload: text.into(),
        origin,
        billing,
    })
}

/// `text` without control characters (a `\u0000` in a signed body is valid JSON, but no database column takes
/// it), cut to `max` characters.
fn printable(text: &str, max: usize) -> String {
    text.chars().filter(|c| !c.is_control()).take(max).collect()
}

/// What happened, by event type. A known type missing what it needs is [`PaymentEventKind::Unknown`].
fn event_kind(event_type: &str, object: &Map<String, Value>, created: DateTime<Utc>) -> PaymentEventKind {
    use PaymentEventKind as Kind;
    match event_type {
        "checkout.session.completed" => Kind::CheckoutCompleted {
            payment_status: session_payment_status(object),
            amount: money(object, "amount_total"),
        },
        "checkout.session.async_payment_succeeded" => {
            Kind::AsyncPaymentSucceeded { amount: money(object, "amount_total") }
        }
        "checkout.session.async_payment_failed" => Kind::AsyncPaymentFailed,
        "checkout.session.expired" => Kind::CheckoutExpired,
        "payment_intent.succeeded" => Kind::PaymentSucceeded {
            amount: money(object, "amount_received").or_else(|| money(object, "amount")),
        },
        "payment_intent.payment_failed" => Kind::PaymentFailed { reason: payment_error_reason(object) },
        "payment_intent.canceled" => Kind::PaymentCanceled,
        // A charge is one attempt at a payment intent: its success pays the order like the intent's, and its
        // failure is a decline the customer may retry after.
        "charge.succeeded" => Kind::PaymentSucceeded { amount: money(object, "amount") },
        "charge.failed" => Kind::PaymentFailed { reason: charge_failure_reason(object) },
        "charge.refunded" => match money(object, "amount_refunded") {
            Some(amount_refunded) => {
                Kind::ChargeRefunded { amount_refunded, refunds: listed_refunds(object, created) }
            }
            None => Kind::Unknown,
        },
        "refund.created" | "refund.updated" | "refund.failed" | "charge.refund.updated" => {
            match refund(object, created) {
                // `refund.failed` says so whatever status its object shows.
                Some(mut refund) if event_type == "refund.failed" => {
                    refund.status = RefundStatus::Failed;
                    Kind::RefundChanged { refund }
                }
                Some(refund) => Kind::RefundChanged { refund },
                None => Kind::Unknown,
            }
        }
        "charge.dispute.created" => match dispute_id(object) {
            Some(dispute_id) => Kind::DisputeOpened { dispute_id },
            None => Kind::Unknown,
        },
        "charge.dispute.closed" => match dispute_id(object) {
            Some(dispute_id) => Kind::DisputeClosed { dispute_id, outcome: dispute_outcome(object) },
            None => Kind::Unknown,
        },
        _ => Kind::Unknown,
    }
}

/// Which order, session and payment the object names, by what kind of object it is (its `object` field,
/// else the event type's prefix). Ids that do not parse are left out rather than failing the event.
fn event_refs(event_type: &str, object: &Map<String, Value>) -> EventRefs {
    let resource = str_field(object, "object").unwrap_or_else(|| resource_of(event_type));
    match resource {
        "checkout.session" => EventRefs {
            order_id: metadata_order_id(object)
                .or_else(|| str_field(object, "client_reference_id").and_then(|id| OrderId::parse(id).ok())),
            session_id: str_field(object, "id").and_then(|id| CheckoutSessionId::parse(id).ok()),
            payment_intent_id: payment_intent_ref(object),
        },
        "payment_intent" => EventRefs {
            order_id: metadata_order_id(object),
            session_id: None,
            payment_intent_id: str_field(object, "id").and_then(|id| PaymentIntentId::parse(id).ok()),
        },
        "charge" | "dispute" | "refund" => EventRefs {
            order_id: metadata_order_id(object),
            session_id: None,
            payment_intent_id: payment_intent_ref(object),
        },
        _ => EventRefs::default(),
    }
}

/// The resource an event type is about, for objects without an `object` field.
fn resource_of(event_type: &str) -> &'static str {
    const PREFIXES: [(&str, &str); 6] = [
        ("checkout.session.", "checkout.session"),
        ("payment_intent.", "payment_intent"),
        ("charge.dispute.", "dispute"),
        ("charge.refund.", "refund"),
        ("charge.", "charge"),
        ("refund.", "refund"),
    ];
    PREFIXES.iter().find(|(prefix, _)| event_type.starts_with(prefix)).map_or("", |(_, resource)| resource)
}

/// An unknown or missing status is read as unpaid: money is never assumed.
fn session_payment_status(object: &Map<String, Value>) -> SessionPaymentStatus {
    match str_field(object, "payment_status") {
        Some("paid") => SessionPaymentStatus::Paid,
        Some("no_payment_required") => SessionPaymentStatus::NoPaymentRequired,
        _ => SessionPaymentStatus::Unpaid,
    }
}

/// The reason from a payment intent's `last_payment_error`: its `code`, `message` and `decline_code`.
fn payment_error_reason(object: &Map<String, Value>) -> Option<String> {
    let error = object.get("last_payment_error")?.as_object()?;
    failure_reason(str_field(error, "code"), str_field(error, "message"), str_field(error, "decline_code"))
}

/// The reason from a failed charge: `failure_code` and `failure_message`, with the issuer's `outcome.reason`
/// as the decline code; when all are missing, the outcome's `seller_message`.
fn charge_failure_reason(object: &Map<String, Value>) -> Option<String> {
    let outcome = object.get("outcome").and_then(Value::as_object);
    let outcome_field = |key| outcome.and_then(|outcome| str_field(outcome, key));
    failure_reason(
        str_field(object, "failure_code"),
        str_field(object, "failure_message"),
        outcome_field("reason"),
    )
    .or_else(|| outcome_field("seller_message").map(cut_reason))
}

/// `"code: message"`, or whichever of them (or the decline code) is present.
fn failure_reason(code: Option<&str>, message: Option<&str>, decline_code: Option<&str>) -> Option<String> {
    let reason = match (code, message) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => {
            decline_code.map_or_else(|| code.to_owned(), |decline| format!("{code}: {decline}"))
        }
        (None, Some(message)) => message.to_owned(),
        (None, None) => decline_code?.to_owned(),
    };
    Some(cut_reason(&reason))
}

fn cut_reason(reason: &str) -> String {
    printable(reason, MAX_REASON_CHARS)
}

/// A refund object as Stripe sends it: its id, amount in its currency, status and reason, with `updated` the
/// event's time. `None` when the id, amount, currency or status is missing or unknown.
fn refund(object: &Map<String, Value>, updated: DateTime<Utc>) -> Option<Refund> {
    let id = RefundId::parse(str_field(object, "id")?).ok()?;
    let amount = money(object, "amount")?;
    let status = RefundStatus::parse(str_field(object, "status")?)?;
    let reason = str_field(object, "reason").and_then(RefundReason::parse);
    let created = object
        .get("created")
        .and_then(Value::as_i64)
        .and_then(|seconds| DateTime::from_timestamp(seconds, 0))
        .unwrap_or(updated)
        .min(updated);
    Some(Refund { id, amount, status, reason, created, updated })
}

/// The refunds a charge lists (`refunds.data`, present in API versions before 2022-11-15 and when expanded);
/// entries that do not read are left out.
fn listed_refunds(object: &Map<String, Value>, updated: DateTime<Utc>) -> Vec<Refund> {
    object
        .get("refunds")
        .and_then(|refunds| refunds.get("data"))
        .and_then(Value::as_array)
        .map(|data| data.iter().filter_map(Value::as_object).filter_map(|r| refund(r, updated)).collect())
        .unwrap_or_default()
}

/// A dispute the merchant kept the money for is won; every other closing status is lost.
fn dispute_outcome(object: &Map<String, Value>) -> DisputeOutcome {
    match str_field(object, "status") {
        Some("won" | "warning_closed") => DisputeOutcome::Won,
        _ => DisputeOutcome::Lost,
    }
}

/// The dispute's id, if it looks like a Stripe id.
fn dispute_id(object: &Map<String, Value>) -> Option<String> {
    let id = str_field(object, "id")?;
    let ok = !id.is_empty() && id.len() <= 255 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    ok.then(|| id.to_owned())
}

/// `payment_intent` as an id string, or as an expanded object with an `id`.
fn payment_intent_ref(object: &Map<String, Value>) -> Option<PaymentIntentId> {
    let id = match object.get("payment_intent")? {
        Value::String(id) => id.as_str(),
        Value::Object(expanded) => str_field(expanded, "id")?,
        _ => return None,
    };
    PaymentIntentId::parse(id).ok()
}

fn metadata_order_id(object: &Map<String, Value>) -> Option<OrderId> {
    let id = object.get("metadata")?.get(ORDER_ID_METADATA_KEY)?.as_str()?;
    OrderId::parse(id).ok()
}

/// `amount_key` in minor units of the object's `currency`, when both are present and valid.
fn money(object: &Map<String, Value>, amount_key: &str) -> Option<Money> {
    let minor = object.get(amount_key)?.as_i64()?;
    let currency = Currency::parse(str_field(object, "currency")?).ok()?;
    Money::new(minor, currency).ok()
}

fn str_field<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    object.get(key)?.as_str()
}

fn malformed(reason: &str) -> WebhookError {
    WebhookError::MalformedPayload(reason.to_owned())
}
