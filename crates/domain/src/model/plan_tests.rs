//! The webhook's rule: one test per row of [`plan_event`]'s table, adoption, and the property that shuffled,
//! repeated events recorded through the rule end where applying each once ends.

use super::*;
use crate::model::email::Email;
use crate::model::ids::{CheckoutSessionId, OrderId, PaymentIntentId, RefundId};
use crate::model::line_item::LineItem;
use crate::model::money::{Currency, Money};
use crate::model::order::SessionConflict;
use crate::model::order_status::OrderStatus;
use crate::model::payment_event::{DisputeOutcome, PaymentEventKind, SessionPaymentStatus};
use crate::model::refund::{Refund, RefundStatus};
use crate::ports::order_store::{OrderStore, ReceivedEvent, RecordOutcome};
use crate::services::record::{attach_session, record_event};
use crate::testing::MemoryStore;
use chrono::TimeZone;
use proptest::prelude::*;
use std::sync::Arc;

const AMOUNT: i64 = 2000;

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::USD).unwrap()
}

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000 + seconds, 0).unwrap()
}

fn session() -> CheckoutSessionId {
    CheckoutSessionId::parse("cs_test_1").unwrap()
}

fn intent() -> PaymentIntentId {
    PaymentIntentId::parse("pi_1").unwrap()
}

fn order() -> Order {
    let item = LineItem::new("Course", usd(AMOUNT), 1, None).unwrap();
    Order::new(OrderId::new_v7(), Email::parse("ada@example.com").unwrap(), vec![item], at(0)).unwrap()
}

fn with_session(mut order: Order) -> Order {
    order.attach_session(&session(), at(0)).unwrap();
    order
}

fn loaded(order: &Order) -> LoadedOrder {
    LoadedOrder { order: order.clone(), version: RowVersion(7) }
}

fn event(n: i64, kind: PaymentEventKind, refs: EventRefs) -> PaymentEvent {
    PaymentEvent {
        id: EventId::parse(&format!("evt_{n}")).unwrap(),
        event_type: "test".to_owned(),
        created: at(n),
        kind,
        refs,
    }
}

fn refs(
    order: Option<&Order>,
    session: Option<CheckoutSessionId>,
    intent: Option<PaymentIntentId>,
) -> EventRefs {
    EventRefs { order_id: order.map(Order::id), session_id: session, payment_intent_id: intent }
}

fn paid(n: i64, order: &Order) -> PaymentEvent {
    let kind = PaymentEventKind::CheckoutCompleted {
        payment_status: SessionPaymentStatus::Paid,
        amount: Some(usd(AMOUNT)),
    };
    event(n, kind, refs(Some(order), Some(session()), Some(intent())))
}

fn refund(n: i64, minor: i64) -> PaymentEvent {
    event(
        n,
        PaymentEventKind::ChargeRefunded { amount_refunded: usd(minor), refunds: vec![] },
        refs(None, None, Some(intent())),
    )
}

fn snapshot(order: Option<&Order>, kept: Vec<PaymentEvent>) -> Snapshot {
    Snapshot { known: false, order: order.map(loaded), kept }
}

fn written(plan: Plan) -> OrderWrite {
    match plan {
        Plan::Write(write) => *write,
        other => panic!("expected a write, got {other:?}"),
    }
}

#[test]
fn a_known_event_is_a_duplicate_whatever_else_was_loaded() {
    let order = with_session(order());
    let event = paid(1, &order);
    let known = Snapshot { known: true, ..snapshot(Some(&order), vec![refund(0, 100)]) };
    assert_eq!(plan_event(&event, &Load::event(&event), known, at(5)), Plan::Duplicate);
}

#[test]
fn an_event_whose_type_changes_no_order_is_stored() {
    let order = with_session(order());
    let unknown = event(1, PaymentEventKind::Unknown, refs(Some(&order), None, None));
    assert_eq!(
        plan_event(&unknown, &Load::event(&unknown), snapshot(Some(&order), vec![]), at(5)),
        Plan::Store
    );
}

#[test]
fn an_event_naming_no_known_order_is_kept() {
    let early = refund(1, 100);
    assert_eq!(plan_event(&early, &Load::event(&early), snapshot(None, vec![]), at(5)), Plan::Keep);
}

#[test]
fn an_event_is_applied_to_its_order_at_the_version_read() {
    let order = with_session(order());
    let event = paid(1, &order);
    let write = written(plan_event(&event, &Load::event(&event), snapshot(Some(&order), vec![]), at(5)));
    let mut expected = order.clone();
    let effect = expected.apply(&event, at(5));
    assert_eq!(effect, Effect::Changed { from: OrderStatus::Pending, to: OrderStatus::Paid });
    assert_eq!(
        write,
        OrderWrite {
            order: expected,
            version: RowVersion(7),
            event: Some(Applied { event_id: event.id.clone(), effect }),
            adopted: vec![],
            notices: vec![NoticeKind::OrderPaid],
        }
    );
    assert_eq!(write.event.unwrap().outcome(), EventOutcome::Applied);
}

#[test]
fn an_event_for_another_session_is_refused_and_the_order_stays() {
    let order = with_session(order());
    let other = event(
        1,
        PaymentEventKind::CheckoutExpired,
        refs(Some(&order), Some(CheckoutSessionId::parse("cs_test_2").unwrap()), None),
    );
    let write = written(plan_event(&other, &Load::event(&other), snapshot(Some(&order), vec![]), at(5)));
    assert_eq!(write.order, order);
    assert_eq!(write.event.unwrap().outcome(), EventOutcome::Refused);
}

#[test]
fn kept_events_naming_the_order_are_adopted_after_the_event_oldest_first() {
    let order = with_session(order());
    let success = paid(5, &order);
    let (first, second) = (refund(1, 100), refund(2, 300));
    let unrelated = event(
        3,
        PaymentEventKind::CheckoutExpired,
        refs(None, Some(CheckoutSessionId::parse("cs_test_9").unwrap()), None),
    );
    let kept = vec![first.clone(), second.clone(), unrelated];
    let write = written(plan_event(&success, &Load::event(&success), snapshot(Some(&order), kept), at(9)));
    let adopted: Vec<&str> = write.adopted.iter().map(|applied| applied.event_id.as_str()).collect();
    assert_eq!(adopted, ["evt_1", "evt_2"]);
    assert_eq!(
        write.adopted[0].effect,
        Effect::Changed { from: OrderStatus::Paid, to: OrderStatus::PartiallyRefunded }
    );
    assert_eq!(write.adopted[1].effect, Effect::Recorded);
    assert_eq!(write.order.facts().refunded_minor, 300);
}

#[test]
fn a_kept_event_naming_an_id_another_kept_event_gives_the_order_is_adopted_in_a_later_round() {
    // The order is found by its id; a kept success naming the order and the payment intent gives it the
    // payment intent, and a kept refund naming only that payment intent is adopted after it.
    let order = with_session(order());
    let expired = event(9, PaymentEventKind::CheckoutExpired, refs(Some(&order), None, None));
    let success = event(
        2,
        PaymentEventKind::PaymentSucceeded { amount: Some(usd(AMOUNT)) },
        refs(Some(&order), None, Some(intent())),
    );
    let load = Load { also: refs(None, None, Some(intent())), ..Load::event(&expired) };
    let write =
        written(plan_event(&expired, &load, snapshot(Some(&order), vec![refund(1, AMOUNT), success]), at(9)));
    let adopted: Vec<&str> = write.adopted.iter().map(|applied| applied.event_id.as_str()).collect();
    assert_eq!(adopted, ["evt_2", "evt_1"]);
    assert_eq!(write.order.status(), OrderStatus::Refunded);
}

#[test]
fn adopting_an_id_kept_events_were_not_loaded_by_asks_to_load_again() {
    let order = with_session(order());
    let expired = event(9, PaymentEventKind::CheckoutExpired, refs(Some(&order), None, None));
    let success = event(
        2,
        PaymentEventKind::PaymentSucceeded { amount: Some(usd(AMOUNT)) },
        refs(Some(&order), None, Some(intent())),
    );
    let load = Load::event(&expired);
    let plan = plan_event(&expired, &load, snapshot(Some(&order), vec![success.clone()]), at(9));
    assert_eq!(plan, Plan::Reload(refs(None, Some(session()), Some(intent()))));

    let again = Load { also: refs(None, Some(session()), Some(intent())), ..load };
    let write = written(plan_event(&expired, &again, snapshot(Some(&order), vec![success]), at(9)));
    assert_eq!(write.order.payment_intent_id(), Some(&intent()));
}

#[test]
fn a_checkout_change_adopts_the_kept_events_naming_its_session() {
    let order = order();
    let early = paid(1, &order);
    let mut load = Load::order(refs(Some(&order), None, None));
    load.also.session_id = Some(session());
    let attach = |order: &mut Order| order.attach_session(&session(), at(3));
    let plan = plan_change(&load, loaded(&order), vec![early.clone()], at(3), attach);
    // The kept event gave the order its payment intent: kept events naming it must be loaded too.
    assert_eq!(plan, Ok(Plan::Reload(refs(None, Some(session()), Some(intent())))));
    load.also.payment_intent_id = Some(intent());
    let write = written(plan_change(&load, loaded(&order), vec![early.clone()], at(3), attach).unwrap());
    assert_eq!(write.event, None);
    assert_eq!(
        write.adopted,
        vec![Applied {
            event_id: early.id,
            effect: Effect::Changed { from: OrderStatus::Pending, to: OrderStatus::Paid }
        }]
    );
    assert_eq!(write.order.checkout_session_id(), Some(&session()));
}

#[test]
fn a_refused_checkout_change_is_returned_as_it_is() {
    let order = with_session(order());
    let other = CheckoutSessionId::parse("cs_test_2").unwrap();
    let refused =
        plan_change(&Load::order(refs(Some(&order), None, None)), loaded(&order), vec![], at(3), |order| {
            order.attach_session(&other, at(3))
        });
    assert!(matches!(refused, Err(SessionConflict { .. })));
}

/// The events one payment can produce, each naming what Stripe's would: the session's name the order, the
/// session and the payment intent; the payment intent's, the charge's and the dispute's only the payment
/// intent; an expiry the order and the session.
fn scenario_event(n: i64, order: &Order, kind: u8) -> PaymentEvent {
    let by_intent = refs(None, None, Some(intent()));
    let by_session = refs(Some(order), Some(session()), None);
    let snapshot = |id: &str, minor: i64, status: RefundStatus| PaymentEventKind::RefundChanged {
        refund: Refund {
            id: RefundId::parse(id).unwrap(),
            amount: usd(minor),
            status,
            reason: None,
            created: at(1),
            updated: at(status as i64),
        },
    };
    match kind % 12 {
        0 => paid(n, order),
        1 => event(n, PaymentEventKind::PaymentSucceeded { amount: Some(usd(AMOUNT)) }, by_intent),
        2 => refund(n, 500),
        3 => refund(n, AMOUNT),
        4 => event(n, PaymentEventKind::DisputeOpened { dispute_id: "dp_1".to_owned() }, by_intent),
        5 => event(
            n,
            PaymentEventKind::DisputeClosed { dispute_id: "dp_1".to_owned(), outcome: DisputeOutcome::Won },
            by_intent,
        ),
        6 => event(n, PaymentEventKind::CheckoutExpired, by_session),
        7 => {
            event(n, PaymentEventKind::PaymentFailed { reason: Some("card_declined".to_owned()) }, by_intent)
        }
        8 => event(n, snapshot("re_1", 500, RefundStatus::Pending), by_intent),
        9 => event(n, snapshot("re_1", 500, RefundStatus::Succeeded), by_intent),
        10 => event(n, snapshot("re_2", AMOUNT, RefundStatus::Failed), by_intent),
        _ => event(n, PaymentEventKind::Unknown, refs(Some(order), None, None)),
    }
}

/// What a delivery does in a scenario: attach the session, or deliver event `n`.
#[derive(Debug, Clone, Copy)]
enum Step {
    Attach,
    Deliver(usize),
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// A payment's events, delivered shuffled, some twice, with the session attached at any point, and
    /// recorded through the rule: every event is recorded once and none stays kept, and the order ends with
    /// the facts and status of the same events applied once each, in order, to the order with its session.
    #[test]
    fn shuffled_repeated_events_through_the_rule_end_where_applying_each_once_ends(
        kinds in proptest::collection::vec(0u8..12, 0..7),
        attach_at in any::<prop::sample::Index>(),
        repeats in proptest::collection::vec(any::<prop::sample::Index>(), 0..5),
        shuffle in any::<u64>(),
    ) {
        let template = order();
        // The paid session always arrives, so the payment intent becomes the order's and nothing stays kept.
        let events: Vec<PaymentEvent> = std::iter::once(0).chain(kinds)
            .enumerate()
            .map(|(n, kind)| scenario_event(n as i64 + 1, &template, kind))
            .collect();
        let mut expected = with_session(template.clone());
        for event in &events {
            expected.apply(event, at(100));
        }

        let mut steps: Vec<Step> = (0..events.len()).map(Step::Deliver).collect();
        steps.extend(repeats.iter().map(|index| Step::Deliver(index.index(events.len()))));
        let mut state = shuffle | 1;
        for i in (1..steps.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            steps.swap(i, (state % (i as u64 + 1)) as usize);
        }
        steps.insert(attach_at.index(steps.len() + 1), Step::Attach);

        let store = Arc::new(MemoryStore::new());
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let mut seen = std::collections::BTreeSet::new();
        runtime.block_on(async {
            store.insert_order(&template).await.unwrap();
            for step in steps {
                match step {
                    Step::Attach => attach_session(&*store, template.id(), &session(), at(50)).await.unwrap(),
                    Step::Deliver(n) => {
                        let received = ReceivedEvent::new(events[n].clone(), "{}");
                        let outcome = record_event(&*store, &received, at(60)).await.unwrap();
                        assert_eq!(outcome == RecordOutcome::Duplicate, !seen.insert(n), "{outcome:?}");
                    }
                }
            }
        });
        let stored = runtime.block_on(store.find_order(template.id())).unwrap().unwrap();
        prop_assert_eq!(stored.facts(), expected.facts());
        prop_assert_eq!(stored.status(), expected.status());
        prop_assert_eq!(stored.failure_reason(), expected.failure_reason());
        prop_assert_eq!(stored.payment_intent_id(), Some(&intent()));
        prop_assert_eq!(stored.checkout_session_id(), Some(&session()));
        let recorded = store.events();
        prop_assert_eq!(recorded.len(), events.len());
        for event in recorded {
            prop_assert_ne!(event.outcome, EventOutcome::Orphaned, "{:?} stayed kept", event.received.event.id);
        }
    }
}
