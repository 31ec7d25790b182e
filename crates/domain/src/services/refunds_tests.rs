//! Refunds through the service: what is held back, what reaches Stripe, and who may ask.

use super::*;
use crate::model::email::Email;
use crate::model::ids::{PaymentIntentId, RefundId};
use crate::model::line_item::LineItem;
use crate::model::money::Currency;
use crate::model::order::StoredOrder;
use crate::model::order_status::OrderStatus;
use crate::model::payment_facts::PaymentFacts;
use crate::model::refund::{RefundReason, RefundStatus};
use crate::model::user::UserId;
use crate::testing::MemoryStore;
use async_trait::async_trait;
use chrono::{DateTime, Duration, TimeZone, Utc};
use std::sync::Mutex;

struct FixedClock(DateTime<Utc>);
impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

fn placed() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap()
}

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::parse("usd").unwrap()).unwrap()
}

/// How the fake answers one refund request.
type Answer = Box<dyn FnMut(&NewRefund) -> Result<RefundStatus, GatewayError> + Send>;

/// A Stripe that answers each refund as `answer` says, after yielding (so concurrent requests interleave),
/// and keeps what it was asked.
struct FakeStripe {
    asked: Mutex<Vec<NewRefund>>,
    answer: Mutex<Answer>,
}

impl FakeStripe {
    fn answering(
        answer: impl FnMut(&NewRefund) -> Result<RefundStatus, GatewayError> + Send + 'static,
    ) -> Self {
        Self { asked: Mutex::new(Vec::new()), answer: Mutex::new(Box::new(answer)) }
    }
    fn succeeding() -> Self {
        Self::answering(|_| Ok(RefundStatus::Succeeded))
    }
    fn asked(&self) -> Vec<NewRefund> {
        self.asked.lock().unwrap().clone()
    }
}

#[async_trait]
impl RefundGateway for FakeStripe {
    async fn create_refund(&self, refund: &NewRefund) -> Result<Refund, GatewayError> {
        tokio::task::yield_now().await;
        self.asked.lock().unwrap().push(refund.clone());
        let status = (self.answer.lock().unwrap())(refund)?;
        let n = self.asked.lock().unwrap().len();
        Ok(Refund {
            id: RefundId::parse(&format!("re_{n}")).unwrap(),
            amount: refund.amount,
            status,
            reason: refund.reason,
            created: placed(),
            updated: placed(),
        })
    }
}

/// A paid order of 1,000 cents placed by ada, in `store`.
async fn paid_order(store: &MemoryStore) -> OrderId {
    let id = OrderId::new_v7();
    let order = Order::restore(StoredOrder {
        id,
        email: Email::parse("ada@example.com").unwrap(),
        user_id: Some(UserId::parse("ada").unwrap()),
        items: vec![LineItem::new("Course", usd(1000), 1, None).unwrap()],
        amount: usd(1000),
        checkout_session_id: None,
        payment_intent_id: Some(PaymentIntentId::parse("pi_1").unwrap()),
        facts: PaymentFacts::leading_to(OrderStatus::Paid, usd(1000)),
        created_at: placed(),
        updated_at: placed(),
    })
    .unwrap();
    store.insert_order(&order).await.unwrap();
    id
}

fn service(store: Arc<MemoryStore>, stripe: Arc<FakeStripe>, settings: RefundSettings, days: i64) -> Refunds {
    Refunds::new(store, stripe, Arc::new(FixedClock(placed() + Duration::days(days))), settings)
}

fn ask(amount: Option<i64>) -> RefundAsk {
    RefundAsk { amount, reason: Some(RefundReason::RequestedByCustomer) }
}

fn ada() -> Caller {
    Caller::User { id: UserId::parse("ada").unwrap(), email: None }
}

async fn status(store: &MemoryStore, id: OrderId) -> OrderStatus {
    store.find_order(id).await.unwrap().unwrap().status()
}

#[tokio::test]
async fn the_admin_refunds_the_whole_order_by_default_with_a_key_derived_from_the_callers() {
    let store = Arc::new(MemoryStore::new());
    let stripe = Arc::new(FakeStripe::succeeding());
    let id = paid_order(&store).await;
    let refunds = service(store.clone(), stripe.clone(), RefundSettings::default(), 0);

    let issued = refunds.issue(&Caller::Admin, id, "key-1", ask(None)).await.unwrap();

    assert_eq!(issued.refund.amount, usd(1000));
    assert_eq!(issued.refund.status, RefundStatus::Succeeded);
    let asked = stripe.asked();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].idempotency_key, format!("refund-{id}-key-1"));
    assert_eq!(asked[0].payment_intent.as_str(), "pi_1");
    assert_eq!(asked[0].reason, Some(RefundReason::RequestedByCustomer));
    assert_eq!(status(&store, id).await, OrderStatus::Refunded);
    assert_eq!(refunds.list(&Caller::Admin, id).await.unwrap(), vec![issued.refund]);
}

#[tokio::test]
async fn a_refund_over_what_is_left_is_refused_and_never_reaches_stripe() {
    let store = Arc::new(MemoryStore::new());
    let stripe = Arc::new(FakeStripe::answering(|_| Ok(RefundStatus::Pending)));
    let id = paid_order(&store).await;
    let refunds = service(store.clone(), stripe.clone(), RefundSettings::default(), 0);

    refunds.issue(&Caller::Admin, id, "a", ask(Some(300))).await.unwrap();
    // The first refund is still pending at Stripe: it is counted all the same.
    let over = refunds.issue(&Caller::Admin, id, "b", ask(Some(800))).await.unwrap_err();

    assert!(matches!(
        over,
        RefundError::Refused(RefundRefusal::ExceedsPayment { requested: 800, available: 700 })
    ));
    assert_eq!(stripe.asked().len(), 1);
    assert_eq!(refunds.issue(&Caller::Admin, id, "c", ask(None)).await.unwrap().refund.amount, usd(700));
    assert_eq!(stripe.asked().len(), 2);
}

#[tokio::test]
async fn the_same_key_answers_the_same_refund_and_another_ask_with_it_is_refused() {
    let store = Arc::new(MemoryStore::new());
    let stripe = Arc::new(FakeStripe::succeeding());
    let id = paid_order(&store).await;
    let refunds = service(store.clone(), stripe.clone(), RefundSettings::default(), 0);

    let first = refunds.issue(&Caller::Admin, id, "k", ask(Some(400))).await.unwrap();
    let again = refunds.issue(&Caller::Admin, id, "k", ask(Some(400))).await.unwrap();
    let other = refunds.issue(&Caller::Admin, id, "k", ask(Some(500))).await.unwrap_err();

    assert_eq!(first, again);
    assert!(matches!(other, RefundError::Refused(RefundRefusal::KeyReused)));
    assert_eq!(stripe.asked().len(), 1);
    assert_eq!(status(&store, id).await, OrderStatus::PartiallyRefunded);
}

#[tokio::test]
async fn of_two_concurrent_requests_for_the_rest_only_one_reaches_stripe() {
    let store = Arc::new(MemoryStore::new());
    let stripe = Arc::new(FakeStripe::succeeding());
    let id = paid_order(&store).await;
    let refunds = service(store.clone(), stripe.clone(), RefundSettings::default(), 0);

    let (a, b) = tokio::join!(
        refunds.issue(&Caller::Admin, id, "one", ask(None)),
        refunds.issue(&Caller::Admin, id, "two", ask(None))
    );

    assert_eq!(usize::from(a.is_ok()) + usize::from(b.is_ok()), 1, "{a:?} {b:?}");
    let refused = a.err().or(b.err()).unwrap();
    assert!(matches!(refused, RefundError::Refused(RefundRefusal::ExceedsPayment { available: 0, .. })));
    assert_eq!(stripe.asked().len(), 1);
}

#[tokio::test]
async fn a_refusal_by_stripe_frees_the_amount_and_an_outage_holds_it_until_the_key_comes_again() {
    let store = Arc::new(MemoryStore::new());
    let calls = Arc::new(Mutex::new(0));
    let seen = calls.clone();
    let stripe = Arc::new(FakeStripe::answering(move |_| {
        let mut n = seen.lock().unwrap();
        *n += 1;
        match *n {
            1 => Err(GatewayError::Rejected { code: Some("charge_disputed".into()), message: "no".into() }),
            2 => Err(GatewayError::Unavailable("timed out".into())),
            _ => Ok(RefundStatus::Succeeded),
        }
    }));
    let id = paid_order(&store).await;
    let refunds = service(store.clone(), stripe.clone(), RefundSettings::default(), 0);

    let rejected = refunds.issue(&Caller::Admin, id, "r", ask(None)).await.unwrap_err();
    assert!(matches!(&rejected, RefundError::Rejected(reason) if reason.starts_with("charge_disputed")));
    // The same key answers the same refusal, without asking Stripe again.
    assert!(matches!(refunds.issue(&Caller::Admin, id, "r", ask(None)).await, Err(RefundError::Rejected(_))));
    assert_eq!(stripe.asked().len(), 1);

    let outage = refunds.issue(&Caller::Admin, id, "o", ask(None)).await.unwrap_err();
    assert!(matches!(outage, RefundError::Gateway(GatewayError::Unavailable(_))));
    let held = refunds.issue(&Caller::Admin, id, "p", ask(Some(1))).await.unwrap_err();
    assert!(matches!(held, RefundError::Refused(RefundRefusal::ExceedsPayment { available: 0, .. })));

    let retried = refunds.issue(&Caller::Admin, id, "o", ask(None)).await.unwrap();
    assert_eq!(retried.refund.amount, usd(1000));
    let keys: Vec<String> = stripe.asked().into_iter().map(|r| r.idempotency_key).collect();
    assert_eq!(keys[1], keys[2], "the retry is sent with the same key");
    assert_eq!(status(&store, id).await, OrderStatus::Refunded);
}

#[tokio::test]
async fn users_refund_their_own_orders_only_when_allowed_and_within_the_window() {
    let store = Arc::new(MemoryStore::new());
    let stripe = Arc::new(FakeStripe::succeeding());
    let id = paid_order(&store).await;
    let allowed = RefundSettings { allow_users: true, window_days: 14 };
    let bob = Caller::User { id: UserId::parse("bob").unwrap(), email: None };

    let off = service(store.clone(), stripe.clone(), RefundSettings::default(), 0);
    assert!(matches!(off.issue(&ada(), id, "k", ask(None)).await, Err(RefundError::NotAllowed(_))));
    let late = service(store.clone(), stripe.clone(), allowed, 15);
    assert!(matches!(late.issue(&ada(), id, "k", ask(None)).await, Err(RefundError::NotAllowed(_))));
    let on = service(store.clone(), stripe.clone(), allowed, 14);
    assert!(matches!(on.issue(&bob, id, "k", ask(None)).await, Err(RefundError::NotFound)));
    assert!(matches!(
        on.issue(&Caller::Guest, id, "k", ask(None)).await,
        Err(RefundError::AuthenticationRequired)
    ));
    assert!(stripe.asked().is_empty());

    on.issue(&ada(), id, "k", ask(None)).await.unwrap();
    assert_eq!(stripe.asked().len(), 1);
}

#[tokio::test]
async fn an_unpaid_order_a_bad_key_and_a_missing_order_are_refused_before_stripe() {
    let store = Arc::new(MemoryStore::new());
    let stripe = Arc::new(FakeStripe::succeeding());
    let refunds = service(store.clone(), stripe.clone(), RefundSettings::default(), 0);
    let pending = Order::new(
        OrderId::new_v7(),
        Email::parse("ada@example.com").unwrap(),
        vec![LineItem::new("Course", usd(1000), 1, None).unwrap()],
        placed(),
    )
    .unwrap();
    store.insert_order(&pending).await.unwrap();

    let unpaid = refunds.issue(&Caller::Admin, pending.id(), "k", ask(None)).await.unwrap_err();
    assert!(matches!(unpaid, RefundError::Refused(RefundRefusal::NotRefundable(OrderStatus::Pending))));
    for key in ["", "\u{7f}", &"k".repeat(201)] {
        let bad = refunds.issue(&Caller::Admin, pending.id(), key, ask(None)).await.unwrap_err();
        assert!(matches!(bad, RefundError::InvalidKey), "{key:?}");
    }
    let missing = refunds.issue(&Caller::Admin, OrderId::new_v7(), "k", ask(None)).await.unwrap_err();
    assert!(matches!(missing, RefundError::NotFound));
    assert!(stripe.asked().is_empty());
}
