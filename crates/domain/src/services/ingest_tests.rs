//! Webhook ingest: verification first, then the rule's load-plan-commit rounds against the store.

use super::*;
use crate::model::email::Email;
use crate::model::event_outcome::EventOutcome;
use crate::model::event_scope::{EventOrigin, EventScope};
use crate::model::ids::{EventId, OrderId};
use crate::model::line_item::LineItem;
use crate::model::money::{Currency, Money};
use crate::model::order::Order;
use crate::model::order_status::OrderStatus;
use crate::model::payment_event::{EventRefs, PaymentEvent, PaymentEventKind};
use crate::model::plan::{LoadedOrder, RowVersion, Snapshot};
use crate::model::transition::Effect;
use crate::ports::clock::MockClock;
use crate::ports::order_store::{Committed, MockOrderStore, Orphans, ReceivedEvent, Write};
use crate::ports::webhook_verifier::MockWebhookVerifier;
use crate::testing::MemoryStore;
use chrono::{TimeZone, Utc};
use std::sync::atomic::{AtomicI64, Ordering};

fn clock() -> MockClock {
    let mut clock = MockClock::new();
    clock.expect_now().returning(|| Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap());
    clock
}

fn order() -> Order {
    let item = LineItem::new("Course", Money::new(4900, Currency::USD).unwrap(), 1, None).unwrap();
    Order::new(OrderId::new_v7(), Email::parse("ada@example.com").unwrap(), vec![item], Utc::now()).unwrap()
}

fn received(kind: PaymentEventKind, order_id: OrderId) -> ReceivedEvent {
    ReceivedEvent::new(
        PaymentEvent {
            id: EventId::parse("evt_1").unwrap(),
            event_type: "checkout.session.expired".to_owned(),
            created: Utc::now(),
            kind,
            refs: EventRefs { order_id: Some(order_id), ..EventRefs::default() },
        },
        "{}",
    )
}

fn verifying(event: ReceivedEvent) -> MockWebhookVerifier {
    let mut verifier = MockWebhookVerifier::new();
    verifier
        .expect_verify()
        .withf(|payload, header, _| payload == b"body" && *header == Some("t=1,v1=ab"))
        .returning(move |_, _, _| Ok(event.clone()));
    verifier
}

fn ingest(store: Arc<dyn OrderStore>, verifier: MockWebhookVerifier) -> WebhookIngest {
    WebhookIngest::new(
        store,
        Arc::new(MemoryStore::new()),
        Arc::new(verifier),
        Arc::new(clock()),
        EventScope::default(),
    )
}

#[tokio::test]
async fn an_event_from_another_mode_or_account_is_recorded_as_refused_and_changes_nothing() {
    let live = EventScope { livemode: true, connected_accounts: vec!["acct_1Known".to_owned()] };
    let cases = [
        (EventScope::default(), EventOrigin { livemode: true, account: None }, "live-mode event"),
        (live.clone(), EventOrigin { livemode: false, account: None }, "test-mode event"),
        (live, EventOrigin { livemode: true, account: Some("acct_1Other".to_owned()) }, "acct_1Other"),
    ];
    for (scope, origin, why) in cases {
        let store = Arc::new(MemoryStore::new());
        let order = order();
        store.insert_order(&order).await.unwrap();
        let mut event = received(PaymentEventKind::CheckoutExpired, order.id());
        event.origin = origin;
        let ingest = WebhookIngest::new(
            store.clone(),
            store.clone(),
            Arc::new(verifying(event.clone())),
            Arc::new(clock()),
            scope,
        );
        let outcome = ingest.handle(b"body", Some("t=1,v1=ab")).await.unwrap();
        assert!(matches!(&outcome, RecordOutcome::Refused { reason } if reason.contains(why)), "{outcome:?}");
        assert_eq!(store.find_order(order.id()).await.unwrap().unwrap().status(), OrderStatus::Pending);
        let recorded = store.event(&event.event.id).unwrap();
        assert_eq!((recorded.outcome, recorded.order_id), (EventOutcome::Refused, None));
        let again = ingest.handle(b"body", Some("t=1,v1=ab")).await.unwrap();
        assert_eq!(again, RecordOutcome::Duplicate, "a refused event is recorded once");
    }
}

#[tokio::test]
async fn a_verified_event_is_recorded_with_its_effect_and_its_outcome_returned() {
    let store = Arc::new(MemoryStore::new());
    let order = order();
    store.insert_order(&order).await.unwrap();
    let event = received(PaymentEventKind::CheckoutExpired, order.id());
    let outcome =
        ingest(store.clone(), verifying(event.clone())).handle(b"body", Some("t=1,v1=ab")).await.unwrap();
    let expired = Effect::Changed { from: OrderStatus::Pending, to: OrderStatus::Expired };
    assert_eq!(outcome, RecordOutcome::Applied { order_id: order.id(), effect: expired.clone(), adopted: 0 });
    assert_eq!(store.find_order(order.id()).await.unwrap().unwrap().status(), OrderStatus::Expired);
    let recorded = store.event(&event.event.id).unwrap();
    assert_eq!(
        (recorded.outcome, recorded.order_id, recorded.effect),
        (EventOutcome::Applied, Some(order.id()), Some(expired))
    );
}

#[tokio::test]
async fn a_badly_signed_delivery_never_reaches_the_store() {
    let mut verifier = MockWebhookVerifier::new();
    verifier.expect_verify().returning(|_, _, _| Err(WebhookError::NoMatchingSignature));
    let mut store = MockOrderStore::new();
    store.expect_load().never();
    store.expect_commit().never();
    let result = ingest(Arc::new(store), verifier).handle(b"{}", Some("t=1,v1=00")).await;
    assert!(matches!(result, Err(HandleWebhookError::Rejected(WebhookError::NoMatchingSignature))));
}

#[tokio::test]
async fn a_store_outage_is_reported_so_the_sender_retries() {
    let mut store = MockOrderStore::new();
    store.expect_load().returning(|_| Err(StoreError::Unavailable("pool timed out".to_owned())));
    store.expect_commit().never();
    let event = received(PaymentEventKind::CheckoutExpired, OrderId::new_v7());
    let result = ingest(Arc::new(store), verifying(event)).handle(b"body", Some("t=1,v1=ab")).await;
    assert!(matches!(result, Err(HandleWebhookError::Store(StoreError::Unavailable(_)))));
}

#[tokio::test]
async fn an_event_of_a_type_without_effect_is_stored_without_loading_anything() {
    let mut store = MockOrderStore::new();
    store.expect_load().never();
    store
        .expect_commit()
        .withf(|writes, _| matches!(writes.as_slice(), [Write::Event { outcome: EventOutcome::Stored, .. }]))
        .times(1)
        .returning(|_, _| Ok(vec![Committed::Done]));
    let event = received(PaymentEventKind::Unknown, OrderId::new_v7());
    let outcome = ingest(Arc::new(store), verifying(event)).handle(b"body", Some("t=1,v1=ab")).await.unwrap();
    assert_eq!(outcome, RecordOutcome::Stored);
}

/// A store whose order is at version `n` on the `n`th load, and whose commits answer `answers` in turn.
fn changing_store(order: Order, answers: Vec<Committed>) -> (MockOrderStore, Arc<AtomicI64>) {
    let mut store = MockOrderStore::new();
    let loads = Arc::new(AtomicI64::new(0));
    let counted = loads.clone();
    store.expect_load().returning(move |_| {
        let version = RowVersion(counted.fetch_add(1, Ordering::Relaxed) + 1);
        Ok(vec![Snapshot {
            known: false,
            order: Some(LoadedOrder { order: order.clone(), version }),
            kept: vec![],
        }])
    });
    let mut answers = answers.into_iter();
    let read = loads.clone();
    store.expect_commit().returning(move |writes, _| {
        let [Write::Order { write, .. }] = writes.as_slice() else {
            panic!("one order write expected: {writes:?}")
        };
        assert_eq!(write.version.0, read.load(Ordering::Relaxed), "planned on the latest load");
        Ok(vec![answers.next().unwrap_or(Committed::Stale)])
    });
    (store, loads)
}

#[tokio::test]
async fn a_stale_commit_is_planned_again_on_a_fresh_load() {
    let order = order();
    let (store, loads) =
        changing_store(order.clone(), vec![Committed::Stale, Committed::Stale, Committed::Done]);
    let event = received(PaymentEventKind::CheckoutExpired, order.id());
    let outcome = ingest(Arc::new(store), verifying(event)).handle(b"body", Some("t=1,v1=ab")).await.unwrap();
    assert!(matches!(outcome, RecordOutcome::Applied { .. }), "{outcome:?}");
    assert_eq!(loads.load(Ordering::Relaxed), 3, "one load per round");
}

#[tokio::test]
async fn a_commit_that_finds_the_event_recorded_meanwhile_is_a_duplicate() {
    let order = order();
    let (store, _) = changing_store(order.clone(), vec![Committed::Duplicate]);
    let event = received(PaymentEventKind::CheckoutExpired, order.id());
    let outcome = ingest(Arc::new(store), verifying(event)).handle(b"body", Some("t=1,v1=ab")).await.unwrap();
    assert_eq!(outcome, RecordOutcome::Duplicate);
}

#[tokio::test]
async fn an_order_that_never_stops_changing_gives_up_so_the_sender_retries_later() {
    let order = order();
    let (store, loads) = changing_store(order.clone(), vec![]);
    let event = received(PaymentEventKind::CheckoutExpired, order.id());
    let result = ingest(Arc::new(store), verifying(event)).handle(b"body", Some("t=1,v1=ab")).await;
    assert!(matches!(result, Err(HandleWebhookError::Store(StoreError::Unavailable(_)))), "{result:?}");
    assert_eq!(loads.load(Ordering::Relaxed), 16);
}

#[tokio::test]
async fn orphans_older_than_an_age_are_those_received_before_now_minus_it() {
    let store = Arc::new(MemoryStore::new());
    let now = clock().now();
    let kept = received(PaymentEventKind::CheckoutExpired, OrderId::new_v7());
    let recorded = crate::services::record::record_event(&*store, &kept, now - chrono::Duration::hours(2))
        .await
        .unwrap();
    assert_eq!(recorded, RecordOutcome::Orphaned);
    let ingest = ingest(store, MockWebhookVerifier::new());
    let old = ingest.orphans_older_than(std::time::Duration::from_secs(3600)).await.unwrap();
    assert_eq!(
        old,
        Orphans { count: 1, oldest: Some((kept.event.id.clone(), now - chrono::Duration::hours(2))) }
    );
    assert_eq!(
        ingest.orphans_older_than(std::time::Duration::from_secs(3 * 3600)).await.unwrap(),
        Orphans::default()
    );
}
