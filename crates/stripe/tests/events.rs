//! Every stored Stripe event payload, signed and verified through the public API, and the event kinds
//! the domain reads from them; plus payloads built from Stripe's Checkout Session resource.

use chrono::{DateTime, Utc};
use payments_domain::{
    BillingSnapshot, Currency, DisputeOutcome, EventRefs, Money, OrderId, PaymentEvent, PaymentEventKind,
    RefundStatus, SessionPaymentStatus, WebhookError, WebhookVerifier,
};
use payments_stripe::{parse_event, parse_secrets, signature_header, StripeWebhookVerifier};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;

const SECRET: &str = "whsec_fixture_tests";
const NOW: i64 = 1_800_000_000;

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(NOW, 0).unwrap()
}

fn verifier() -> StripeWebhookVerifier {
    StripeWebhookVerifier::new(parse_secrets(&format!("whsec_old_one,{SECRET}")), Duration::from_secs(300))
        .unwrap()
}

/// Signs `body` as Stripe would a few seconds ago, then verifies and parses it.
fn deliver(body: &[u8]) -> Result<PaymentEvent, WebhookError> {
    let header = signature_header(SECRET, NOW - 5, body);
    let received = verifier().verify(body, Some(&header), now())?;
    assert_eq!(received.payload.as_bytes(), body, "the raw body is kept as received");
    Ok(received.event)
}

fn deliver_json(body: &Value) -> PaymentEvent {
    deliver(body.to_string().as_bytes()).expect("a signed event parses")
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn fixture_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![fixtures_dir().join("events")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|ext| ext == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// `source/file.json`, e.g. `pay-rails__pay/charge.refunded.json`.
fn fixture_name(path: &Path) -> String {
    path.strip_prefix(fixtures_dir().join("events")).unwrap().to_string_lossy().replace('\\', "/")
}

/// The event type a data-only payload's file name stands for: `charge.refunded.json` → `charge.refunded`.
fn type_from_file_name(path: &Path) -> String {
    path.file_stem().unwrap().to_string_lossy().into_owned()
}

/// The body as delivered: fixtures without an envelope (`{"object": ...}`) get a synthetic one.
fn delivered_body(path: &Path) -> (Vec<u8>, String) {
    let raw = std::fs::read(path).unwrap();
    let json: Value = serde_json::from_slice(&raw).unwrap();
    if json.get("id").is_some() {
        let event_type = json["type"].as_str().unwrap().to_owned();
        return (raw, event_type);
    }
    let event_type = type_from_file_name(path);
    let id: String = format!("evt_{}", event_type.replace('.', "_"));
    let envelope = json!({
        "id": id,
        "object": "event",
        "type": event_type,
        "created": NOW - 60,
        "data": { "object": json["object"] },
    });
    (envelope.to_string().into_bytes(), event_type)
}

fn usd(minor: i64) -> Option<Money> {
    Some(Money::new(minor, Currency::USD).unwrap())
}

fn kind_name(kind: &PaymentEventKind) -> &'static str {
    match kind {
        PaymentEventKind::CheckoutCompleted { .. } => "CheckoutCompleted",
        PaymentEventKind::AsyncPaymentSucceeded { .. } => "AsyncPaymentSucceeded",
        PaymentEventKind::AsyncPaymentFailed => "AsyncPaymentFailed",
        PaymentEventKind::CheckoutExpired => "CheckoutExpired",
        PaymentEventKind::PaymentSucceeded { .. } => "PaymentSucceeded",
        PaymentEventKind::PaymentFailed { .. } => "PaymentFailed",
        PaymentEventKind::PaymentCanceled => "PaymentCanceled",
        PaymentEventKind::ChargeRefunded { .. } => "ChargeRefunded",
        PaymentEventKind::RefundChanged { .. } => "RefundChanged",
        PaymentEventKind::DisputeOpened { .. } => "DisputeOpened",
        PaymentEventKind::DisputeClosed { .. } => "DisputeClosed",
        PaymentEventKind::Unknown => "Unknown",
    }
}

/// What each event type must become (every stored fixture of these types carries what the kind needs).
fn expected_kind_name(event_type: &str) -> &'static str {
    match event_type {
        "checkout.session.completed" => "CheckoutCompleted",
        "payment_intent.succeeded" => "PaymentSucceeded",
        "payment_intent.payment_failed" => "PaymentFailed",
        "payment_intent.canceled" => "PaymentCanceled",
        "charge.succeeded" => "PaymentSucceeded",
        "charge.failed" => "PaymentFailed",
        "charge.refunded" => "ChargeRefunded",
        "refund.created" | "refund.updated" | "refund.failed" | "charge.refund.updated" => "RefundChanged",
        "charge.dispute.created" => "DisputeOpened",
        _ => "Unknown",
    }
}

fn parsed_fixture(name: &str) -> PaymentEvent {
    let path = fixtures_dir().join("events").join(name);
    let (body, _) = delivered_body(&path);
    deliver(&body).unwrap()
}

#[test]
fn every_stored_payload_verifies_parses_and_maps_to_the_kind_of_its_type() {
    let files = fixture_files();
    assert!(files.len() >= 38, "the fixtures are found ({} files)", files.len());
    for path in files {
        let name = fixture_name(&path);
        let (body, event_type) = delivered_body(&path);
        let event = deliver(&body).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(event.event_type, event_type, "{name}");
        assert_eq!(kind_name(&event.kind), expected_kind_name(&event_type), "{name}: {:?}", event.kind);
        let json: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(event.id.as_str(), json["id"].as_str().unwrap(), "{name}");
        let created = json["created"].as_i64().unwrap();
        assert_eq!(event.created.timestamp(), created, "{name}");
    }
}

#[test]
fn charge_refunded_carries_the_cumulative_amount_refunded() {
    let cases = [
        (
            "stripe-ruby-mock__stripe-ruby-mock/charge.refunded.json",
            100,
            None,
            ("re_000000000000000000000000", 100),
        ),
        (
            "supabase__stripe-sync-engine/charge_refunded.json",
            2500,
            Some("pi_3Kl36gJDPojXS6LN02fQVtKR"),
            ("re_3Kl36gJDPojXS6LN0eP4yPDz", 2500),
        ),
        ("pay-rails__pay/charge.refunded.json", 500, Some("pm_1234"), ("re_3LQOJoKXBGcbgpbZ10i9Mg75", 500)),
    ];
    for (name, refunded, payment_intent, (refund_id, refund_amount)) in cases {
        let event = parsed_fixture(name);
        let PaymentEventKind::ChargeRefunded { amount_refunded, refunds } = &event.kind else {
            panic!("{name}: {:?}", event.kind)
        };
        assert_eq!(*amount_refunded, usd(refunded).unwrap(), "{name}");
        // The refunds the charge lists (API versions before 2022-11-15) are read too.
        let listed: Vec<_> = refunds.iter().map(|r| (r.id.as_str(), r.amount.minor(), r.status)).collect();
        assert_eq!(listed, [(refund_id, refund_amount, RefundStatus::Succeeded)], "{name}");
        assert_eq!(event.refs.payment_intent_id.as_ref().map(|id| id.as_str()), payment_intent, "{name}");
        assert_eq!(event.refs.session_id, None, "{name}");
    }
}

#[test]
fn refund_events_carry_the_refund_with_its_status() {
    let cases = [
        (
            "supabase__stripe-sync-engine/refund_created.json",
            "re_1Nispe2eZvKYlo2Cd31jOCgZ",
            1000,
            RefundStatus::Succeeded,
        ),
        (
            "supabase__stripe-sync-engine/refund_updated.json",
            "re_1Nispe2eZvKYlo2Cd31jOCgZ",
            1000,
            RefundStatus::Succeeded,
        ),
        // This capture's object still says succeeded; the event type says it failed.
        (
            "supabase__stripe-sync-engine/refund_failed.json",
            "re_1Nispe2eZvKYlo2Cd31jOCgZ",
            1000,
            RefundStatus::Failed,
        ),
        (
            "stripe-ruby-mock__stripe-ruby-mock/charge.refund.updated.json",
            "re_000000000000000000000000",
            100,
            RefundStatus::Succeeded,
        ),
    ];
    for (name, id, amount, status) in cases {
        let event = parsed_fixture(name);
        let PaymentEventKind::RefundChanged { refund } = &event.kind else {
            panic!("{name}: {:?}", event.kind)
        };
        assert_eq!(
            (refund.id.as_str(), refund.amount, refund.status),
            (id, usd(amount).unwrap(), status),
            "{name}"
        );
        assert_eq!(refund.updated, event.created, "{name}: learnt when the event was created");
        assert!(refund.created <= refund.updated, "{name}");
    }
    let created = parsed_fixture("supabase__stripe-sync-engine/refund_created.json");
    assert_eq!(
        created.refs.payment_intent_id.as_ref().map(|id| id.as_str()),
        Some("pi_1GszsK2eZvKYlo2CfhZyoZLp")
    );
}

#[test]
fn a_refund_without_a_status_or_amount_is_unknown() {
    for object in [
        json!({"id": "re_1", "object": "refund", "amount": 100, "currency": "usd"}),
        json!({"id": "re_1", "object": "refund", "status": "succeeded", "currency": "usd"}),
        json!({"id": "re_1", "object": "refund", "amount": 100, "currency": "usd", "status": "new_status"}),
        json!({"id": "not a refund id", "object": "refund", "amount": 100, "currency": "usd", "status": "pending"}),
    ] {
        let body =
            json!({"id": "evt_r", "type": "refund.updated", "created": NOW, "data": {"object": object}});
        let event = deliver(body.to_string().as_bytes()).unwrap();
        assert_eq!(event.kind, PaymentEventKind::Unknown, "{object}");
    }
}

#[test]
fn checkout_session_completed_reads_payment_status_amount_and_ids() {
    let event = parsed_fixture("stripe-ruby-mock__stripe-ruby-mock/checkout.session.completed.json");
    assert_eq!(
        event.kind,
        PaymentEventKind::CheckoutCompleted { payment_status: SessionPaymentStatus::Paid, amount: usd(3000) }
    );
    assert_eq!(
        event.refs.session_id.unwrap().as_str(),
        "cs_test_0000000000000000000000000000000000000000000000000000000000"
    );
    assert_eq!(event.refs.payment_intent_id.unwrap().as_str(), "pi_000000000000000000000000");
    assert_eq!(event.refs.order_id, None, "no order id in these sessions");

    let event = parsed_fixture("supabase__stripe-sync-engine/checkout_session_completed.json");
    let eur = Money::new(999, Currency::parse("eur").unwrap()).unwrap();
    assert_eq!(
        event.kind,
        PaymentEventKind::CheckoutCompleted { payment_status: SessionPaymentStatus::Paid, amount: Some(eur) }
    );

    let event =
        parsed_fixture("stripe-ruby-mock__stripe-ruby-mock/checkout.session.completed.payment_mode.json");
    assert_eq!(
        event.kind,
        PaymentEventKind::CheckoutCompleted {
            payment_status: SessionPaymentStatus::Paid,
            amount: usd(25000)
        }
    );

    // A data-only payload in subscription mode: no payment intent, still a completed session.
    let event = parsed_fixture("pay-rails__pay/checkout.session.completed.json");
    assert_eq!(
        event.kind,
        PaymentEventKind::CheckoutCompleted { payment_status: SessionPaymentStatus::Paid, amount: usd(1900) }
    );
    assert_eq!(event.refs.payment_intent_id, None);
}

#[test]
fn payment_intent_events_read_amounts_reasons_and_the_intent_id() {
    let event = parsed_fixture("getlago__lago-api/payment_intent_succeeded-2022-11-15.json");
    assert_eq!(event.kind, PaymentEventKind::PaymentSucceeded { amount: usd(3897) });
    assert_eq!(event.refs.payment_intent_id.unwrap().as_str(), "pi_3R3dvoQ8iJWBZFaM0uu1G1rx");

    // Hand-edited: amount 1000 but amount_received 0; what was received wins.
    let event = parsed_fixture("supabase__stripe-sync-engine/payment_intent_succeeded.json");
    assert_eq!(event.kind, PaymentEventKind::PaymentSucceeded { amount: usd(0) });

    let event = parsed_fixture("stripe-ruby-mock__stripe-ruby-mock/payment_intent.payment_failed.json");
    assert_eq!(
        event.kind,
        PaymentEventKind::PaymentFailed { reason: Some("card_declined: Your card was declined.".into()) }
    );

    let event = parsed_fixture("getlago__lago-api/payment_intent_payment_failed.json");
    let PaymentEventKind::PaymentFailed { reason: Some(reason) } = event.kind else {
        panic!("{:?}", event.kind)
    };
    assert!(
        reason.starts_with("authentication_required: This payment required an authentication action"),
        "{reason}"
    );

    let event = parsed_fixture("supabase__stripe-sync-engine/payment_intent_payment_failed.json");
    assert_eq!(event.kind, PaymentEventKind::PaymentFailed { reason: None });

    let event = parsed_fixture("getlago__lago-api/payment_intent_canceled.json");
    assert_eq!(event.kind, PaymentEventKind::PaymentCanceled);
    assert_eq!(event.refs.payment_intent_id.unwrap().as_str(), "pi_3ReJRxFVEM9lDzyM2Jr1Zl9L");
}

#[test]
fn dispute_created_names_the_dispute_and_its_payment() {
    let event = parsed_fixture("getlago__lago-api/charge_dispute_created.json");
    assert_eq!(
        event.kind,
        PaymentEventKind::DisputeOpened { dispute_id: "dp_1RWXieQ8iJWBZFaM572opwWo".into() }
    );
    assert_eq!(event.refs.payment_intent_id.unwrap().as_str(), "pi_3RWXidQ8iJWBZFaM0hwfe7LL");
}

#[test]
fn events_about_other_resources_are_unknown_and_name_what_they_can() {
    let event = parsed_fixture("supabase__stripe-sync-engine/charge_captured.json");
    assert_eq!(event.kind, PaymentEventKind::Unknown);
    assert_eq!(event.refs.payment_intent_id.unwrap().as_str(), "pi_3KtoMeJDPojXS6LN0XnGDnI3");
    let event = parsed_fixture("dj-stripe__dj-stripe/event_account_application_deauthorized.json");
    assert_eq!(event.kind, PaymentEventKind::Unknown);
    assert_eq!(event.refs, EventRefs::default());
    let event = parsed_fixture("supabase__stripe-sync-engine/payment_intent_created.json");
    assert_eq!(event.kind, PaymentEventKind::Unknown);
    assert_eq!(event.refs.payment_intent_id.unwrap().as_str(), "pi_1IqxJOJDPojXS6LN9uOebAea");
}

#[test]
fn charge_succeeded_is_a_payment_of_the_charges_amount() {
    let cases = [
        ("stripe-ruby-mock__stripe-ruby-mock/charge.succeeded.json", 2000, "pi_000000000000000000000000"),
        ("supabase__stripe-sync-engine/charge_succeeded.json", 3000, "pi_3KtQThJDPojXS6LN0H9EfsjV"),
        // Data-only, with a made-up `payment_intent`: any Stripe-shaped id is kept.
        ("pay-rails__pay/charge.succeeded.json", 500, "pm_1234"),
    ];
    for (name, amount, payment_intent) in cases {
        let event = parsed_fixture(name);
        assert_eq!(event.kind, PaymentEventKind::PaymentSucceeded { amount: usd(amount) }, "{name}");
        assert_eq!(event.refs.payment_intent_id.unwrap().as_str(), payment_intent, "{name}");
        assert_eq!((event.refs.order_id, event.refs.session_id), (None, None), "{name}");
    }
}

#[test]
fn charge_failed_is_a_decline_with_the_charges_failure_code_and_message() {
    let event = parsed_fixture("stripe-ruby-mock__stripe-ruby-mock/charge.failed.json");
    assert_eq!(
        event.kind,
        PaymentEventKind::PaymentFailed { reason: Some("card_declined: Your card was declined.".into()) }
    );
    assert_eq!(event.refs.payment_intent_id.unwrap().as_str(), "pi_000000000000000000000000");

    let event = parsed_fixture("supabase__stripe-sync-engine/charge_failed.json");
    assert_eq!(
        event.kind,
        PaymentEventKind::PaymentFailed {
            reason: Some("card_declined: Your card does not support this type of purchase.".into())
        }
    );
    assert_eq!(event.refs.payment_intent_id.unwrap().as_str(), "pi_3KtoMeJDPojXS6LN0XnGDnI3");
}

fn charge_event(event_type: &str, charge: Value) -> Value {
    json!({
        "id": "evt_3ChargeEvent0001",
        "object": "event",
        "api_version": "2026-09-30.endive",
        "created": NOW - 10,
        "type": event_type,
        "data": { "object": charge },
    })
}

#[test]
fn charge_events_name_the_order_in_their_metadata_and_their_payment_intent() {
    let charge = json!({
        "id": "ch_3Order", "object": "charge", "amount": 4900, "amount_captured": 4900, "currency": "eur",
        "paid": true, "status": "succeeded",
        "payment_intent": { "id": "pi_3Order", "object": "payment_intent" },
        "metadata": { "order_id": ORDER }, "failure_code": null, "failure_message": null, "outcome": null,
        "a_future_field": { "nested": true },
    });
    let event = deliver_json(&charge_event("charge.succeeded", charge));
    let eur = Money::new(4900, Currency::parse("eur").unwrap()).unwrap();
    assert_eq!(event.kind, PaymentEventKind::PaymentSucceeded { amount: Some(eur) });
    assert_eq!(event.refs.order_id, Some(order_id()));
    assert_eq!(event.refs.payment_intent_id.unwrap().as_str(), "pi_3Order");
    assert_eq!(event.refs.session_id, None);

    let without_currency = json!({ "id": "ch_1", "object": "charge", "amount": 4900, "metadata": {} });
    let event = deliver_json(&charge_event("charge.succeeded", without_currency));
    assert_eq!(event.kind, PaymentEventKind::PaymentSucceeded { amount: None }, "an amount needs a currency");
}

#[test]
fn a_failed_charges_reason_falls_back_to_its_outcome() {
    let (long, cut) = ("x".repeat(600), "x".repeat(500));
    let outcome = json!({
        "network_status": "declined_by_network", "reason": "insufficient_funds", "risk_level": "normal",
        "seller_message": "The bank returned the decline code `insufficient_funds`.",
        "type": "issuer_declined",
    });
    let cases = [
        (
            json!({ "failure_code": "card_declined", "failure_message": null, "outcome": outcome }),
            Some("card_declined: insufficient_funds"),
        ),
        (
            json!({ "failure_code": null, "failure_message": "Your card has insufficient funds.",
                    "outcome": outcome }),
            Some("Your card has insufficient funds."),
        ),
        (
            json!({ "failure_code": null, "failure_message": null, "outcome": outcome }),
            Some("insufficient_funds"),
        ),
        (
            json!({ "outcome": { "type": "blocked", "seller_message": "Stripe blocked this payment." } }),
            Some("Stripe blocked this payment."),
        ),
        (json!({ "failure_code": null, "failure_message": null, "outcome": null }), None),
        (json!({ "failure_message": long }), Some(cut.as_str())),
    ];
    for (fields, reason) in cases {
        let mut charge = json!({
            "id": "ch_1", "object": "charge", "amount": 100, "currency": "usd", "status": "failed",
            "payment_intent": "pi_1", "metadata": { "order_id": ORDER },
        });
        charge.as_object_mut().unwrap().extend(fields.as_object().unwrap().clone());
        let event = deliver_json(&charge_event("charge.failed", charge));
        assert_eq!(
            event.kind,
            PaymentEventKind::PaymentFailed { reason: reason.map(str::to_owned) },
            "{fields}"
        );
        assert_eq!(event.refs.order_id, Some(order_id()));
        assert_eq!(event.refs.payment_intent_id.unwrap().as_str(), "pi_1");
    }
}

// ---- payloads built from Stripe's checkout.session resource (fixtures3.json) ----

fn checkout_session_resource() -> Value {
    let raw = std::fs::read(fixtures_dir().join("openapi/checkout.session.json")).unwrap();
    serde_json::from_slice(&raw).unwrap()
}

fn session_event(event_type: &str, edit: impl FnOnce(&mut Value)) -> Value {
    let mut session = checkout_session_resource();
    edit(&mut session);
    json!({
        "id": "evt_1SessionEvent0001",
        "object": "event",
        "api_version": "2026-09-30.endive",
        "created": NOW - 30,
        "livemode": false,
        "pending_webhooks": 1,
        "request": { "id": null, "idempotency_key": null },
        "type": event_type,
        "data": { "object": session },
    })
}

const ORDER: &str = "0190f5b2-7c4e-7a3b-9c1d-2e3f4a5b6c7d";

fn order_id() -> OrderId {
    OrderId::parse(ORDER).unwrap()
}

#[test]
fn checkout_session_expired_is_a_cancel_for_the_order_in_its_metadata() {
    let body = session_event("checkout.session.expired", |s| {
        s["status"] = json!("expired");
        s["url"] = Value::Null;
        s["payment_status"] = json!("unpaid");
        s["metadata"] = json!({ "order_id": ORDER });
    });
    let event = deliver_json(&body);
    assert_eq!(event.kind, PaymentEventKind::CheckoutExpired);
    assert_eq!(event.refs.order_id, Some(order_id()));
    assert_eq!(
        event.refs.session_id.unwrap().as_str(),
        "cs_test_a1YS1URlnyQCN5fUUduORoQ7Pw41PJqDWkIVQCpJPqkfIhd6tVY8XB1OLY"
    );
    assert_eq!(event.refs.payment_intent_id.unwrap().as_str(), "pi_1PgafyB7WZ01zgkWSjxsAJo3");
}

#[test]
fn async_payment_succeeded_carries_the_session_total() {
    let body = session_event("checkout.session.async_payment_succeeded", |s| {
        s["status"] = json!("complete");
        s["payment_status"] = json!("paid");
        s["amount_total"] = json!(2500);
        s["currency"] = json!("usd");
        s["client_reference_id"] = json!(ORDER);
    });
    let event = deliver_json(&body);
    assert_eq!(event.kind, PaymentEventKind::AsyncPaymentSucceeded { amount: usd(2500) });
    assert_eq!(event.refs.order_id, Some(order_id()), "client_reference_id stands in for missing metadata");
}

#[test]
fn async_payment_failed_is_read() {
    let body = session_event("checkout.session.async_payment_failed", |s| {
        s["status"] = json!("complete");
        s["payment_status"] = json!("unpaid");
        s["metadata"] = json!({ "order_id": ORDER });
    });
    assert_eq!(deliver_json(&body).kind, PaymentEventKind::AsyncPaymentFailed);
}

#[test]
fn unknown_fields_and_enum_values_never_fail_a_signed_event() {
    let mut body = session_event("checkout.session.completed", |s| {
        s["status"] = json!("complete");
        s["payment_status"] = json!("future_value");
        s["ui_mode"] = json!("holographic");
        s["brand_new_field"] = json!({ "nested": [1, 2, { "deeper": true }] });
        s["amount_total"] = json!(4200);
        s["currency"] = json!("usd");
        s["payment_intent"] =
            json!({ "id": "pi_expanded123", "object": "payment_intent", "status": "new_status" });
        s["metadata"] = json!({ "order_id": "not-a-uuid" });
        s["client_reference_id"] = json!(ORDER);
    });
    body["context"] = json!("acct_123");
    body["some_future_envelope_field"] = json!([true]);
    let event = deliver_json(&body);
    assert_eq!(
        event.kind,
        PaymentEventKind::CheckoutCompleted {
            payment_status: SessionPaymentStatus::Unpaid,
            amount: usd(4200)
        },
        "an unknown payment status is never read as paid"
    );
    assert_eq!(
        event.refs.payment_intent_id.unwrap().as_str(),
        "pi_expanded123",
        "expanded objects give their id"
    );
    assert_eq!(
        event.refs.order_id,
        Some(order_id()),
        "an invalid metadata order id falls back to the reference"
    );
}

#[test]
fn an_unknown_event_type_is_kept_as_unknown_with_its_references() {
    let body = session_event("checkout.session.teleported", |s| {
        s["metadata"] = json!({ "order_id": ORDER });
    });
    let event = deliver_json(&body);
    assert_eq!(event.kind, PaymentEventKind::Unknown);
    assert_eq!(event.event_type, "checkout.session.teleported");
    assert_eq!(event.refs.order_id, Some(order_id()));
    assert!(event.refs.session_id.is_some());
}

// ---- envelope rules ----

fn dispute_closed(status: &str) -> Value {
    json!({
        "id": "evt_dispute_closed",
        "type": "charge.dispute.closed",
        "created": NOW,
        "data": { "object": { "id": "dp_123", "object": "dispute", "status": status, "payment_intent": "pi_9" } },
    })
}

#[test]
fn a_closed_dispute_is_won_only_when_the_merchant_kept_the_money() {
    for (status, outcome) in [
        ("won", DisputeOutcome::Won),
        ("warning_closed", DisputeOutcome::Won),
        ("lost", DisputeOutcome::Lost),
        ("something_new", DisputeOutcome::Lost),
    ] {
        let event = deliver_json(&dispute_closed(status));
        assert_eq!(
            event.kind,
            PaymentEventKind::DisputeClosed { dispute_id: "dp_123".into(), outcome },
            "{status}"
        );
        assert_eq!(event.refs.payment_intent_id.unwrap().as_str(), "pi_9");
    }
}

#[test]
fn a_refund_event_without_an_amount_is_unknown_rather_than_a_failure() {
    let body = json!({
        "id": "evt_refund",
        "type": "charge.refunded",
        "created": NOW,
        "data": { "object": { "id": "ch_1", "object": "charge", "currency": "usd", "payment_intent": "pi_1",
                              "metadata": { "order_id": ORDER } } },
    });
    let event = deliver_json(&body);
    assert_eq!(event.kind, PaymentEventKind::Unknown);
    assert_eq!(event.refs.order_id, Some(order_id()));
}

#[test]
fn a_missing_created_is_the_time_of_receipt_and_a_missing_object_is_unknown() {
    let event = deliver_json(&json!({ "id": "evt_bare", "type": "payment_intent.succeeded" }));
    assert_eq!(event.created, now());
    assert_eq!(event.kind, PaymentEventKind::Unknown);
    assert_eq!(event.refs, EventRefs::default());
}

#[test]
fn unreadable_envelopes_are_malformed_and_the_reason_never_quotes_the_body() {
    let cases: [&[u8]; 6] = [
        b"secret-looking text, not json",
        b"[1, 2, 3]",
        br#"{"type": "charge.refunded"}"#,
        br#"{"id": 42, "type": "charge.refunded"}"#,
        br#"{"id": "evt; drop table", "type": "charge.refunded"}"#,
        br#"{"id": "evt_1"}"#,
    ];
    for body in cases {
        let err = deliver(body).unwrap_err();
        let WebhookError::MalformedPayload(reason) = &err else { panic!("{err:?}") };
        assert!(!reason.contains("secret-looking") && !reason.contains("drop table"), "{reason}");
    }
}

#[test]
fn parse_event_alone_reads_an_already_verified_body() {
    let received = parse_event(
        br#"{"id":"evt_1","type":"payment_intent.canceled","created":1700000000,
        "data":{"object":{"id":"pi_1","object":"payment_intent","metadata":{}}}}"#,
        now(),
    )
    .unwrap();
    assert_eq!(received.event.kind, PaymentEventKind::PaymentCanceled);
    assert_eq!(received.event.created.timestamp(), 1_700_000_000);
}

#[test]
fn livemode_and_account_are_read_into_the_origin() {
    let parse = |body: &str| parse_event(body.as_bytes(), now()).unwrap().origin;
    let test = parse(r#"{"id":"evt_1","type":"x.y","livemode":false}"#);
    assert_eq!((test.livemode, test.account), (false, None));
    let live = parse(r#"{"id":"evt_1","type":"x.y","livemode":true,"account":"acct_1Other"}"#);
    assert_eq!((live.livemode, live.account.as_deref()), (true, Some("acct_1Other")));
    let absent = parse(r#"{"id":"evt_1","type":"x.y","account":null}"#);
    assert_eq!(
        (absent.livemode, absent.account),
        (false, None),
        "absent or null is a test-mode platform event"
    );
}

#[test]
fn nul_and_other_control_characters_never_reach_a_stored_string() {
    let body = json!({
        "id": "evt_1Nul", "type": "payment_intent.payment_failed\u{0}", "created": NOW,
        "data": {"object": {"id": "pi_1", "object": "payment_intent", "metadata": {},
            "last_payment_error": {"code": "card\u{0}declined", "message": "bad\u{1b}[31m card"}}}
    });
    let raw = body.to_string();
    assert!(raw.contains("\\u0000"), "the body carries the escape as Stripe would send it");
    let received = parse_event(raw.as_bytes(), now()).unwrap();
    assert_eq!(received.payload.as_ref(), raw, "the body is kept exactly");
    assert_eq!(received.event.event_type, "payment_intent.payment_failed");
    assert_eq!(
        received.event.kind,
        PaymentEventKind::PaymentFailed { reason: Some("carddeclined: bad[31m card".into()) }
    );
}

/// The billing snapshot a fixture yields, in short: `sub <id> <status> <period end>` or `in <id> <status>
/// <subscription>`.
fn billing_of(name: &str) -> Option<String> {
    let path = fixtures_dir().join("events").join(name);
    let (body, _) = delivered_body(&path);
    let header = signature_header(SECRET, NOW - 5, &body);
    let received = verifier().verify(&body, Some(&header), now()).unwrap();
    if received.billing.is_some() {
        assert_eq!(
            received.event.kind,
            PaymentEventKind::Unknown,
            "{name}: a billing event changes no order"
        );
    }
    received.billing.map(|billing| match billing {
        BillingSnapshot::Subscription(s) => format!(
            "sub {} {} {:?} {}",
            s.id,
            s.status.as_str(),
            s.current_period_end.map(|t| t.timestamp()),
            s.cancel_at_period_end
        ),
        BillingSnapshot::Invoice(i) => format!(
            "in {} {} {} attempts={} failed={} next={:?}",
            i.id,
            i.status.as_str(),
            i.subscription,
            i.attempt_count,
            i.payment_failed,
            i.next_payment_attempt.map(|t| t.timestamp())
        ),
    })
}

#[test]
fn subscription_and_invoice_events_of_every_api_version_yield_their_snapshots() {
    // One-off (`manual`) invoices bill no subscription, and `invoice.upcoming` is a preview without an id.
    let rows: [(&str, Option<&str>); 17] = [
        (
            "stripe-ruby-mock__stripe-ruby-mock/customer.subscription.created.json",
            Some("sub sub_000000000000000000000000 active Some(1650998510) false"),
        ),
        (
            "stripe-ruby-mock__stripe-ruby-mock/customer.subscription.updated.json",
            Some("sub sub_000000000000000000000000 active Some(1650998505) false"),
        ),
        (
            "stripe-ruby-mock__stripe-ruby-mock/customer.subscription.deleted.json",
            Some("sub sub_000000000000000000000000 canceled Some(1650998496) false"),
        ),
        (
            "stripe-ruby-mock__stripe-ruby-mock/customer.subscription.trial_will_end.json",
            Some("sub su_00000000000000 trialing Some(1383759023) false"),
        ),
        (
            "stripe-ruby-mock__stripe-ruby-mock/invoice.created.json",
            Some("in in_000000000000000000000000 draft sub_000000000000000000000000 attempts=0 failed=false next=Some(1648323710)"),
        ),
        ("stripe-ruby-mock__stripe-ruby-mock/invoice.finalized.json", None),
        ("stripe-ruby-mock__stripe-ruby-mock/invoice.paid.json", None),
        ("stripe-ruby-mock__stripe-ruby-mock/invoice.payment_failed.json", None),
        ("stripe-ruby-mock__stripe-ruby-mock/invoice.upcoming.json", None),
        (
            "pay-rails__pay/customer.subscription.created.json",
            Some("sub sub_00000000000000 active Some(1488987924) false"),
        ),
        (
            "pay-rails__pay/customer.subscription.updated.json",
            Some("sub sub_00000000000000 canceled Some(1488987924) false"),
        ),
        (
            "pay-rails__pay/customer.subscription.deleted.json",
            Some("sub sub_00000000000000 canceled Some(1488987924) false"),
        ),
        (
            "pay-rails__pay/invoice.payment_failed.json",
            Some("in in_1234 open sub_1234 attempts=1 failed=true next=Some(1745552783)"),
        ),
        (
            "pay-rails__pay/invoice.payment_action_required.json",
            Some("in in_1234 open sub_1234 attempts=0 failed=true next=None"),
        ),
        ("pay-rails__pay/invoice.upcoming.json", None),
        // Its object is an `invoice_payment`, not an invoice.
        ("pay-rails__pay/invoice.updated.json", None),
        ("pay-rails__pay/checkout.session.completed.json", None),
    ];
    for (name, expected) in rows {
        assert_eq!(billing_of(name).as_deref(), expected, "{name}");
    }
}

#[test]
fn a_basil_subscription_reads_its_period_from_its_item_and_the_services_metadata() {
    let body = json!({
        "id": "evt_1Basil", "object": "event", "type": "customer.subscription.updated", "created": NOW,
        "api_version": "2025-03-31.basil",
        "data": {"object": {
            "id": "sub_1Basil", "object": "subscription", "status": "past_due", "customer": {"id": "cus_1"},
            "cancel_at_period_end": true, "canceled_at": NOW - 10, "trial_end": null,
            "metadata": {"user_id": "user-7", "order_id": "0190c0de-0000-7000-8000-000000000001",
                         "sku": "pro", "price_id": "pro-monthly"},
            "items": {"object": "list", "data": [{"id": "si_1", "current_period_end": NOW + 86_400,
                      "price": {"id": "price_1Pro", "object": "price"}}]}
        }}
    });
    let header = signature_header(SECRET, NOW - 5, body.to_string().as_bytes());
    let received = verifier().verify(body.to_string().as_bytes(), Some(&header), now()).unwrap();
    let Some(BillingSnapshot::Subscription(sub)) = received.billing else { panic!("a subscription") };
    assert_eq!(
        (sub.id.as_str(), sub.customer.as_str(), sub.status.as_str()),
        ("sub_1Basil", "cus_1", "past_due")
    );
    assert_eq!(sub.current_period_end.unwrap().timestamp(), NOW + 86_400);
    assert!(sub.cancel_at_period_end);
    assert_eq!(sub.price.unwrap().as_str(), "price_1Pro");
    assert_eq!(sub.links.user_id.unwrap().as_str(), "user-7");
    assert_eq!(sub.links.sku.unwrap().as_str(), "pro");
    assert_eq!(sub.links.price_key.unwrap().as_str(), "pro-monthly");
    assert!(sub.links.order_id.is_some());
}
