//! Reconciliation against mocked Stripe and an in-memory store: events no webhook brought are recorded once,
//! the watermark moves only after a complete run, pending orders are settled from their sessions, and an
//! abandoned session is expired.

use super::*;
use crate::model::email::Email;
use crate::model::event_scope::EventScope;
use crate::model::ids::OrderId;
use crate::model::ids::PaymentIntentId;
use crate::model::line_item::LineItem;
use crate::model::money::{Currency, Money};
use crate::model::order_status::OrderStatus;
use crate::model::payment_event::SessionPaymentStatus;
use crate::ports::event_source::{EventPage, MockEventSource};
use crate::ports::payment_gateway::{GatewayError, IntentSnapshot, IntentState, MockPaymentGateway};
use crate::ports::reconcile_store::MockReconcileStore;
use crate::ports::webhook_verifier::{MockWebhookVerifier, WebhookError};
use crate::testing::MemoryStore;
use chrono::TimeZone;
use mockall::predicate::eq;
use std::sync::Mutex;

struct Fixed(DateTime<Utc>);
impl Clock for Fixed {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap()
}

fn order(created: DateTime<Utc>) -> Order {
    let item = LineItem::new("Course", Money::new(4900, Currency::USD).unwrap(), 1, None).unwrap();
    Order::new(OrderId::new_v7(), Email::parse("ada@example.com").unwrap(), vec![item], created).unwrap()
}

/// A verifier reading `{"id": ..., "order": ...}` bodies as `checkout.session.completed`, paid, for the order
/// named; any other body is unreadable.
fn reader() -> MockWebhookVerifier {
    let mut verifier = MockWebhookVerifier::new();
    verifier.expect_read().returning(|payload, _| {
        let body: serde_json::Value =
            serde_json::from_slice(payload).map_err(|e| WebhookError::MalformedPayload(e.to_string()))?;
        let order = body["order"].as_str().and_then(|id| OrderId::parse(id).ok());
        let order = order.ok_or_else(|| WebhookError::MalformedPayload("no order".to_owned()))?;
        let event = PaymentEvent {
            id: EventId::parse(body["id"].as_str().unwrap()).unwrap(),
            event_type: "checkout.session.completed".to_owned(),
            created: now(),
            kind: PaymentEventKind::CheckoutCompleted {
                payment_status: SessionPaymentStatus::Paid,
                amount: Some(Money::new(4900, Currency::USD).unwrap()),
            },
            refs: EventRefs { order_id: Some(order), ..EventRefs::default() },
        };
        Ok(ReceivedEvent::new(event, String::from_utf8_lossy(payload).into_owned()))
    });
    verifier
}

fn page(events: &[(&str, String)], has_more: bool) -> EventPage {
    EventPage { events: events.iter().map(|(id, body)| ((*id).to_owned(), body.clone())).collect(), has_more }
}

fn body(id: &str, order: &Order) -> String {
    serde_json::json!({"id": id, "order": order.id().to_string()}).to_string()
}

struct Setup {
    orders: Arc<MemoryStore>,
    store: MockReconcileStore,
    events: MockEventSource,
    gateway: MockPaymentGateway,
}

impl Setup {
    fn new() -> Self {
        Self {
            orders: Arc::new(MemoryStore::new()),
            store: MockReconcileStore::new(),
            events: MockEventSource::new(),
            gateway: MockPaymentGateway::new(),
        }
    }

    fn reconciler(self) -> Reconciler {
        let clock: Arc<dyn Clock> = Arc::new(Fixed(now()));
        let ingest = WebhookIngest::new(
            self.orders.clone(),
            Arc::new(MemoryStore::new()),
            Arc::new(reader()),
            clock.clone(),
            EventScope::default(),
        );
        let ports = ReconcilePorts {
            ingest,
            orders: self.orders,
            store: Arc::new(self.store),
            events: Arc::new(self.events),
            gateway: Arc::new(self.gateway),
            clock,
        };
        Reconciler::new(ports, ReconcileSettings::default())
    }
}

#[tokio::test]
async fn events_no_webhook_brought_are_recorded_once_and_the_watermark_moves_after_the_whole_list() {
    let mut setup = Setup::new();
    let (a, b) = (order(now() - Duration::minutes(30)), order(now() - Duration::minutes(20)));
    for placed in [&a, &b] {
        setup.orders.insert_order(placed).await.unwrap();
    }
    // evt_a came by webhook already.
    let first = ingest_once(&setup.orders, &body("evt_a", &a)).await;
    assert!(matches!(first, RecordOutcome::Applied { .. }));

    let through = now() - Duration::hours(2);
    setup.store.expect_reconciled_through().times(1).returning(move || Ok(Some(through)));
    let since = through - Duration::minutes(10);
    let asked = Arc::new(Mutex::new(Vec::new()));
    let seen = asked.clone();
    let (body_a, body_b) = (body("evt_a", &a), body("evt_b", &b));
    setup.events.expect_list_events().times(2).returning(move |at, after, limit| {
        seen.lock().unwrap().push((at, after.clone(), limit));
        Ok(match after.as_deref() {
            None => page(&[("evt_b", body_b.clone()), ("evt_bad", "{}".to_owned())], true),
            Some("evt_bad") => page(&[("evt_a", body_a.clone())], false),
            Some(other) => panic!("asked after {other}"),
        })
    });
    setup.store.expect_set_reconciled_through().with(eq(now())).times(1).returning(|_| Ok(()));
    setup.store.expect_pending_orders().returning(|_, _| Ok(vec![]));
    let orders = setup.orders.clone();
    let report = setup.reconciler().run(None).await;

    assert_eq!(
        report,
        ReconcileReport {
            since: Some(since),
            listed: 3,
            recorded: 1,
            applied: 1,
            already_stored: 1,
            unreadable: 1,
            ..ReconcileReport::default()
        }
    );
    assert_eq!(*asked.lock().unwrap(), [(since, None, 100), (since, Some("evt_bad".to_owned()), 100)]);
    assert_eq!(orders.find_order(b.id()).await.unwrap().unwrap().status(), OrderStatus::Paid);
    assert_eq!(orders.events().len(), 2, "each event is stored once");
}

/// Records `body` as a webhook would have.
async fn ingest_once(orders: &Arc<MemoryStore>, body: &str) -> RecordOutcome {
    let ingest = WebhookIngest::new(
        orders.clone(),
        Arc::new(MemoryStore::new()),
        Arc::new(reader()),
        Arc::new(Fixed(now())),
        EventScope::default(),
    );
    ingest.record_fetched(body.as_bytes()).await.unwrap()
}

#[tokio::test]
async fn stripe_unreachable_mid_list_leaves_the_watermark_so_the_next_run_covers_the_gap() {
    let mut setup = Setup::new();
    let placed = order(now() - Duration::minutes(30));
    setup.orders.insert_order(&placed).await.unwrap();
    setup.store.expect_reconciled_through().returning(|| Ok(None));
    let first = body("evt_1", &placed);
    setup.events.expect_list_events().times(2).returning(move |_, after, _| match after {
        None => Ok(page(&[("evt_1", first.clone())], true)),
        Some(_) => Err(GatewayError::Unavailable("connection refused".to_owned())),
    });
    setup.store.expect_set_reconciled_through().never();
    setup.store.expect_pending_orders().returning(|_, _| Ok(vec![]));
    let report = setup.reconciler().run(None).await;
    assert_eq!(report.since, Some(now() - Duration::hours(72)), "a first run looks back 72 hours");
    assert_eq!((report.listed, report.recorded), (1, 1));
    assert!(report.error.as_deref().unwrap().contains("connection refused"), "{report:?}");
    assert!(report.summary().contains("stopped early"), "{}", report.summary());
}

#[tokio::test]
async fn an_explicit_lookback_is_held_to_stripes_thirty_days() {
    let mut setup = Setup::new();
    setup.events.expect_list_events().times(1).returning(|since, _, _| {
        assert_eq!(since, now() - STRIPE_EVENT_RETENTION);
        Ok(page(&[], false))
    });
    setup.store.expect_set_reconciled_through().times(1).returning(|_| Ok(()));
    setup.store.expect_pending_orders().returning(|_, _| Ok(vec![]));
    let report = setup.reconciler().run(Some(Duration::days(90))).await;
    assert_eq!(report.error, None);
}

fn snapshot(id: &CheckoutSessionId, state: SessionState, status: SessionPaymentStatus) -> SessionSnapshot {
    SessionSnapshot {
        id: id.clone(),
        state,
        payment_status: status,
        payment_intent_id: None,
        amount_total: Some(Money::new(4900, Currency::USD).unwrap()),
    }
}

#[tokio::test]
async fn a_pending_order_whose_session_was_paid_is_settled_and_an_abandoned_session_is_expired() {
    let mut setup = Setup::new();
    let paid = order(now() - Duration::hours(2));
    let abandoned = order(now() - Duration::hours(26));
    let waiting = order(now() - Duration::hours(3));
    let sessions: Vec<CheckoutSessionId> = ["cs_test_paid", "cs_test_abandoned", "cs_test_waiting"]
        .map(|id| CheckoutSessionId::parse(id).unwrap())
        .into();
    for (placed, session) in [&paid, &abandoned, &waiting].into_iter().zip(&sessions) {
        setup.orders.insert_order(placed).await.unwrap();
        crate::services::record::attach_session(&*setup.orders, placed.id(), session, now()).await.unwrap();
    }
    setup.store.expect_reconciled_through().returning(|| Ok(Some(now())));
    setup.events.expect_list_events().returning(|_, _, _| Ok(page(&[], false)));
    setup.store.expect_set_reconciled_through().returning(|_| Ok(()));
    // The three orders as the store lists them, asked for those created over an hour ago.
    let mut listed = Vec::new();
    for placed in [&paid, &abandoned, &waiting] {
        listed.push(setup.orders.find_order(placed.id()).await.unwrap().unwrap());
    }
    setup
        .store
        .expect_pending_orders()
        .withf(|before, _| *before == now() - Duration::hours(1))
        .times(2)
        .returning(move |_, _| Ok(listed.clone()));
    let s = sessions.clone();
    setup.gateway.expect_retrieve_checkout_session().returning(move |id| {
        Ok(if *id == s[0] {
            snapshot(id, SessionState::Complete, SessionPaymentStatus::Paid)
        } else {
            snapshot(id, SessionState::Open, SessionPaymentStatus::Unpaid)
        })
    });
    // Only the session past its 24 hours and the hour's grace is expired.
    let abandoned_session = sessions[1].clone();
    setup
        .gateway
        .expect_expire_checkout_session()
        .withf(move |id| *id == abandoned_session)
        .times(2)
        .returning(|id| Ok(snapshot(id, SessionState::Expired, SessionPaymentStatus::Unpaid)));
    let orders = setup.orders.clone();
    let reconciler = setup.reconciler();
    let report = reconciler.run(None).await;
    assert_eq!(
        (report.pending_checked, report.pending_settled, report.sessions_expired),
        (3, 2, 1),
        "{report:?}"
    );
    let status = |id| {
        let orders = orders.clone();
        async move { orders.find_order(id).await.unwrap().unwrap().status() }
    };
    assert_eq!(status(paid.id()).await, OrderStatus::Paid);
    assert_eq!(status(abandoned.id()).await, OrderStatus::Expired);
    assert_eq!(status(waiting.id()).await, OrderStatus::Pending);

    // Seen again (the list was read before the first run), nothing is applied twice.
    let again = reconciler.run(None).await;
    assert_eq!(again.pending_settled, 0, "{again:?}");
    let ids: Vec<String> = orders.events().iter().map(|e| e.received.event.id.to_string()).collect();
    assert_eq!(
        ids.iter().filter(|id| id.starts_with("evt_reconciled_")).count(),
        2,
        "one event per session and state: {ids:?}"
    );
}

#[test]
fn lookbacks_are_read_as_operators_write_them() {
    assert_eq!(parse_lookback("72h"), Ok(Duration::hours(72)));
    assert_eq!(parse_lookback(" 30m "), Ok(Duration::minutes(30)));
    assert_eq!(parse_lookback("2d"), Ok(Duration::days(2)));
    assert_eq!(parse_lookback("90s"), Ok(Duration::seconds(90)));
    for bad in ["", "h", "72", "-1h", "0s", "31d", "1.5h", "72H", "1w", "99999999h"] {
        assert!(parse_lookback(bad).is_err(), "{bad:?}");
    }
}

#[tokio::test]
async fn a_pending_order_paid_through_its_payment_intent_is_settled_from_the_intent() {
    let mut setup = Setup::new();
    let paid = order(now() - Duration::hours(2));
    let waiting = order(now() - Duration::hours(2));
    let intents = ["pi_reconcile_paid", "pi_reconcile_waiting"].map(|id| PaymentIntentId::parse(id).unwrap());
    for (placed, intent) in [&paid, &waiting].into_iter().zip(&intents) {
        setup.orders.insert_order(placed).await.unwrap();
        crate::services::record::attach_payment_intent(&*setup.orders, placed.id(), intent, now())
            .await
            .unwrap();
    }
    setup.store.expect_reconciled_through().returning(|| Ok(Some(now())));
    setup.events.expect_list_events().returning(|_, _, _| Ok(page(&[], false)));
    setup.store.expect_set_reconciled_through().returning(|_| Ok(()));
    let listed = vec![
        setup.orders.find_order(paid.id()).await.unwrap().unwrap(),
        setup.orders.find_order(waiting.id()).await.unwrap().unwrap(),
    ];
    setup.store.expect_pending_orders().returning(move |_, _| Ok(listed.clone()));
    let paid_intent = intents[0].clone();
    setup.gateway.expect_retrieve_payment_intent().returning(move |id| {
        let state = if *id == paid_intent { IntentState::Succeeded } else { IntentState::Waiting };
        Ok(IntentSnapshot { id: id.clone(), state, amount: Some(Money::new(4900, Currency::USD).unwrap()) })
    });
    setup.gateway.expect_retrieve_checkout_session().never();
    let orders = setup.orders.clone();
    let report = setup.reconciler().run(None).await;
    assert_eq!((report.pending_checked, report.pending_settled), (2, 1), "{report:?}");
    assert_eq!(orders.find_order(paid.id()).await.unwrap().unwrap().status(), OrderStatus::Paid);
    assert_eq!(orders.find_order(waiting.id()).await.unwrap().unwrap().status(), OrderStatus::Pending);
}
