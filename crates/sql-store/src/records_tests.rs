//! Records read back: rows written before records existed (captured from that code's serialisation of the
//! domain types) and rows written now.

use super::*;
use chrono::TimeZone;
use payments_domain::{
    CheckoutSessionId, EventRefs, OrderId, PaymentEventKind, PaymentFacts, PaymentIntentId, Refund,
    RefundAsk, RefundId, RefundReason, RefundRequest, RefundStatus, Refunder, SessionPaymentStatus, UserId,
};

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::USD).unwrap()
}

fn facts(json: &str) -> PaymentFacts {
    serde_json::from_str::<FactsRecord>(json).unwrap().try_into().unwrap()
}

fn effect(json: &str) -> Effect {
    serde_json::from_str::<EffectRecord>(json).unwrap().try_into().unwrap()
}

fn event(json: &str) -> PaymentEvent {
    serde_json::from_str::<EventRecord>(json).unwrap().try_into().unwrap()
}

/// Facts as the code before records wrote them (serde of the domain's `PaymentFacts`).
const LEGACY_FACTS: &str = r#"{"paid":true,"mismatched_amount":{"minor":1999,"currency":"usd"},"awaiting_async_payment":true,"async_payment_failed":true,"last_decline":{"at":"2026-11-23T12:00:00.123456Z","event_id":"evt_1","reason":"card_declined: no"},"expired":true,"payment_canceled":true,"refunded_minor":500,"disputes":{"dp_1":null,"dp_2":"lost"},"checkout_failed":"the payment provider was unavailable"}"#;
const LEGACY_EMPTY_FACTS: &str = r#"{"paid":false,"mismatched_amount":null,"awaiting_async_payment":false,"async_payment_failed":false,"last_decline":null,"expired":false,"payment_canceled":false,"refunded_minor":0,"disputes":{},"checkout_failed":null}"#;
/// Effects as the code before records wrote them.
const LEGACY_EFFECTS: [&str; 4] = [
    r#"{"effect":"changed","from":"pending","to":"partially_refunded"}"#,
    r#"{"effect":"recorded"}"#,
    r#"{"effect":"ignored"}"#,
    r#"{"effect":"refused","reason":"event is for order x, not y"}"#,
];
/// Kept events as the code before records wrote them: one of each kind.
const LEGACY_EVENTS: [&str; 12] = [
    r#"{"id":"evt_0","event_type":"x.y","created":"2026-11-23T12:00:05Z","kind":{"kind":"checkout_completed","payment_status":"paid","amount":{"minor":2500,"currency":"usd"}},"refs":{"order_id":"0190c0de-0000-7000-8000-000000000001","session_id":"cs_test_1","payment_intent_id":"pi_1"}}"#,
    r#"{"id":"evt_1","event_type":"x.y","created":"2026-11-23T12:00:05Z","kind":{"kind":"checkout_completed","payment_status":"no_payment_required","amount":null},"refs":{"order_id":null,"session_id":null,"payment_intent_id":"pi_1"}}"#,
    r#"{"id":"evt_2","event_type":"x.y","created":"2026-11-23T12:00:05Z","kind":{"kind":"async_payment_succeeded","amount":{"minor":1,"currency":"usd"}},"refs":{"order_id":null,"session_id":null,"payment_intent_id":"pi_1"}}"#,
    r#"{"id":"evt_3","event_type":"x.y","created":"2026-11-23T12:00:05Z","kind":{"kind":"async_payment_failed"},"refs":{"order_id":null,"session_id":null,"payment_intent_id":"pi_1"}}"#,
    r#"{"id":"evt_4","event_type":"x.y","created":"2026-11-23T12:00:05Z","kind":{"kind":"checkout_expired"},"refs":{"order_id":null,"session_id":null,"payment_intent_id":"pi_1"}}"#,
    r#"{"id":"evt_5","event_type":"x.y","created":"2026-11-23T12:00:05Z","kind":{"kind":"payment_succeeded","amount":null},"refs":{"order_id":null,"session_id":null,"payment_intent_id":"pi_1"}}"#,
    r#"{"id":"evt_6","event_type":"x.y","created":"2026-11-23T12:00:05Z","kind":{"kind":"payment_failed","reason":"insufficient_funds"},"refs":{"order_id":null,"session_id":null,"payment_intent_id":"pi_1"}}"#,
    r#"{"id":"evt_7","event_type":"x.y","created":"2026-11-23T12:00:05Z","kind":{"kind":"payment_canceled"},"refs":{"order_id":null,"session_id":null,"payment_intent_id":"pi_1"}}"#,
    r#"{"id":"evt_8","event_type":"x.y","created":"2026-11-23T12:00:05Z","kind":{"kind":"charge_refunded","amount_refunded":{"minor":700,"currency":"usd"}},"refs":{"order_id":null,"session_id":null,"payment_intent_id":"pi_1"}}"#,
    r#"{"id":"evt_9","event_type":"x.y","created":"2026-11-23T12:00:05Z","kind":{"kind":"dispute_opened","dispute_id":"dp_1"},"refs":{"order_id":null,"session_id":null,"payment_intent_id":"pi_1"}}"#,
    r#"{"id":"evt_10","event_type":"x.y","created":"2026-11-23T12:00:05Z","kind":{"kind":"dispute_closed","dispute_id":"dp_1","outcome":"won"},"refs":{"order_id":null,"session_id":null,"payment_intent_id":"pi_1"}}"#,
    r#"{"id":"evt_11","event_type":"x.y","created":"2026-11-23T12:00:05Z","kind":{"kind":"unknown"},"refs":{"order_id":null,"session_id":null,"payment_intent_id":"pi_1"}}"#,
];

fn every_fact() -> PaymentFacts {
    let mut facts = PaymentFacts {
        paid: true,
        mismatched_amount: Some(usd(1999)),
        // What a record written before these two existed reads as: it had a mismatch, so not confirmed.
        amount_confirmed: false,
        unconfirmed_payment: false,
        // Written only when set: records from before it read as not set.
        nothing_due: false,
        awaiting_async_payment: true,
        async_payment_failed: true,
        last_decline: Some(Decline {
            at: Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()
                + chrono::Duration::microseconds(123_456),
            event_id: EventId::parse("evt_1").unwrap(),
            reason: Some("card_declined: no".to_owned()),
        }),
        expired: true,
        payment_canceled: true,
        refunded_minor: 500,
        disputes: BTreeMap::new(),
        checkout_failed: Some("the payment provider was unavailable".to_owned()),
        // Written only when there are some: the record above, from before refunds were issued, has none.
        refunds: BTreeMap::new(),
        refund_requests: BTreeMap::new(),
    };
    facts.disputes.insert("dp_1".to_owned(), None);
    facts.disputes.insert("dp_2".to_owned(), Some(DisputeOutcome::Lost));
    facts
}

fn every_kind() -> Vec<PaymentEventKind> {
    use PaymentEventKind as K;
    vec![
        K::CheckoutCompleted { payment_status: SessionPaymentStatus::Paid, amount: Some(usd(2500)) },
        K::CheckoutCompleted { payment_status: SessionPaymentStatus::NoPaymentRequired, amount: None },
        K::AsyncPaymentSucceeded { amount: Some(usd(1)) },
        K::AsyncPaymentFailed,
        K::CheckoutExpired,
        K::PaymentSucceeded { amount: None },
        K::PaymentFailed { reason: Some("insufficient_funds".to_owned()) },
        K::PaymentCanceled,
        K::ChargeRefunded { amount_refunded: usd(700), refunds: vec![] },
        K::DisputeOpened { dispute_id: "dp_1".to_owned() },
        K::DisputeClosed { dispute_id: "dp_1".to_owned(), outcome: DisputeOutcome::Won },
        K::Unknown,
        // Kinds written after the legacy rows above.
        K::RefundChanged { refund: refund("re_1", RefundStatus::Pending) },
        K::ChargeRefunded {
            amount_refunded: usd(700),
            refunds: vec![refund("re_2", RefundStatus::Succeeded)],
        },
    ]
}

fn refund(id: &str, status: RefundStatus) -> Refund {
    Refund {
        id: RefundId::parse(id).unwrap(),
        amount: usd(700),
        status,
        reason: Some(RefundReason::Duplicate),
        created: Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap(),
        updated: Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 9).unwrap(),
    }
}

fn every_effect() -> [Effect; 4] {
    [
        Effect::Changed { from: OrderStatus::Pending, to: OrderStatus::PartiallyRefunded },
        Effect::Recorded,
        Effect::Ignored,
        Effect::Refused { reason: "event is for order x, not y".to_owned() },
    ]
}

fn pi() -> EventRefs {
    EventRefs { payment_intent_id: Some(PaymentIntentId::parse("pi_1").unwrap()), ..EventRefs::default() }
}

fn expected_event(n: usize, kind: PaymentEventKind) -> PaymentEvent {
    let refs = match n {
        0 => EventRefs {
            order_id: Some(OrderId::parse("0190c0de-0000-7000-8000-000000000001").unwrap()),
            session_id: Some(CheckoutSessionId::parse("cs_test_1").unwrap()),
            ..pi()
        },
        _ => pi(),
    };
    PaymentEvent {
        id: EventId::parse(&format!("evt_{n}")).unwrap(),
        event_type: "x.y".to_owned(),
        created: Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 5).unwrap(),
        kind,
        refs,
    }
}

#[test]
fn rows_written_before_records_existed_still_load() {
    assert_eq!(facts(LEGACY_FACTS), every_fact());
    assert_eq!(facts(LEGACY_EMPTY_FACTS), PaymentFacts::default());
    let paid = facts(r#"{"paid":true}"#);
    assert!(paid.amount_confirmed && !paid.unconfirmed_payment, "a payment that code judged good stays paid");
    for (json, expected) in LEGACY_EFFECTS.iter().zip(every_effect()) {
        assert_eq!(effect(json), expected, "{json}");
    }
    for (n, (json, kind)) in LEGACY_EVENTS.iter().zip(every_kind()).enumerate() {
        assert_eq!(event(json), expected_event(n, kind), "{json}");
    }
}

#[test]
fn records_written_now_carry_their_version_and_read_back() {
    let json = to_json(&FactsRecord::from(&every_fact()));
    assert!(json.starts_with(r#"{"v":1,"#), "{json}");
    assert_eq!(facts(&json), every_fact());
    let both = PaymentFacts { amount_confirmed: true, unconfirmed_payment: true, ..every_fact() };
    assert_eq!(facts(&to_json(&FactsRecord::from(&both))), both);
    for expected in every_effect() {
        let json = to_json(&EffectRecord::from(&expected));
        assert!(json.contains(r#""v":1"#), "{json}");
        assert_eq!(effect(&json), expected);
    }
    for (n, kind) in every_kind().into_iter().enumerate() {
        let expected = expected_event(n, kind);
        assert_eq!(event(&to_json(&EventRecord::from(&expected))), expected);
    }
}

#[test]
fn a_record_of_an_unknown_version_is_refused_not_misread() {
    let later = serde_json::from_str::<FactsRecord>(r#"{"v":2,"paid":true}"#).unwrap();
    let refused = PaymentFacts::try_from(later).unwrap_err();
    assert!(refused.to_string().contains("version 2"), "{refused}");
}

#[test]
fn a_session_with_nothing_due_is_kept_and_read_back() {
    let facts = PaymentFacts { paid: true, nothing_due: true, ..PaymentFacts::default() };
    let json = to_json(&FactsRecord::from(&facts));
    assert!(json.contains("\"nothing_due\":true"), "{json}");
    assert_eq!(facts_from_json(&serde_json::from_str(&json).unwrap()).unwrap(), facts);
    let without = to_json(&FactsRecord::from(&PaymentFacts::default()));
    assert!(!without.contains("nothing_due"), "records without it stay as they were: {without}");
}

#[test]
fn refunds_and_refund_requests_are_kept_and_read_back() {
    let mut facts = PaymentFacts { paid: true, ..PaymentFacts::default() };
    facts.refunds.insert(RefundId::parse("re_1").unwrap(), refund("re_1", RefundStatus::Failed));
    let at = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 1).unwrap();
    let request = |by, refund_id: Option<&str>, refused: Option<&str>| RefundRequest {
        ask: RefundAsk { amount: Some(700), reason: Some(RefundReason::Fraudulent) },
        amount_minor: 700,
        by,
        at,
        refund_id: refund_id.map(|id| RefundId::parse(id).unwrap()),
        refused: refused.map(str::to_owned),
    };
    facts.refund_requests.insert("a".into(), request(Refunder::Admin, Some("re_1"), None));
    facts
        .refund_requests
        .insert("b".into(), request(Refunder::User(UserId::parse("ada").unwrap()), None, None));
    let none = RefundRequest {
        ask: RefundAsk { amount: None, reason: None },
        ..request(Refunder::Admin, None, Some("no"))
    };
    facts.refund_requests.insert("c".into(), none);
    let json = to_json(&FactsRecord::from(&facts));
    assert_eq!(facts_from_json(&serde_json::from_str(&json).unwrap()).unwrap(), facts);
    let without = to_json(&FactsRecord::from(&PaymentFacts::default()));
    assert!(
        !without.contains("\"refunds\"") && !without.contains("refund_requests"),
        "records without them stay as they were: {without}"
    );
}
