use super::*;
use crate::model::ids::{OrderId, SubscriptionId};
use crate::model::outbox::NoticeKind;
use crate::ports::notice_sender::SendFailure;
use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use std::sync::Mutex;

struct Fixed(DateTime<Utc>);
impl Clock for Fixed {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap() + Duration::minutes(minutes)
}

fn entry(created: DateTime<Utc>, attempts: u32, delivered_to: &[&str]) -> OutboxEntry {
    OutboxEntry {
        id: Uuid::from_u128(0x1234_5678),
        kind: NoticeKind::OrderPaid,
        subject: NoticeSubject::Order(OrderId::new_v7()),
        sequence: 1,
        payload: r#"{"id":"x","status":"paid"}"#.to_owned(),
        created_at: created,
        status: OutboxStatus::Pending,
        attempts,
        next_attempt_at: created,
        delivered_to: delivered_to.iter().map(|s| (*s).to_owned()).collect(),
        last_error: None,
        delivered_at: None,
        cursor: FeedCursor::default(),
    }
}

/// A claim as asked: now, the lease's end, the most entries.
type Claim = (DateTime<Utc>, DateTime<Utc>, u32);

#[derive(Default)]
struct Store {
    due: Mutex<Vec<OutboxEntry>>,
    claims: Mutex<Vec<Claim>>,
    recorded: Mutex<Vec<(Uuid, Attempt, Vec<String>)>>,
}

#[async_trait]
impl OutboxStore for Store {
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        self.claims.lock().unwrap().push((now, lease_until, limit));
        Ok(std::mem::take(&mut *self.due.lock().unwrap()))
    }
    async fn record_attempt(&self, id: Uuid, attempt: Attempt, to: Vec<String>) -> Result<(), StoreError> {
        self.recorded.lock().unwrap().push((id, attempt, to));
        Ok(())
    }
    async fn list_outbox(&self, _: OutboxStatus, _: u32) -> Result<Vec<OutboxEntry>, StoreError> {
        unreachable!()
    }
    async fn redeliver(&self, _: Uuid, _: DateTime<Utc>) -> Result<Option<OutboxEntry>, StoreError> {
        Ok(None)
    }
    async fn feed(&self, after: Option<FeedCursor>, limit: u32) -> Result<Vec<OutboxEntry>, StoreError> {
        let three = (1..=3).map(|position| OutboxEntry {
            cursor: FeedCursor { tx: 0, position },
            ..entry(at(position), 0, &[])
        });
        Ok(three.filter(|entry| Some(entry.cursor) > after).take(limit as usize).collect())
    }
    async fn backlog(&self) -> Result<OutboxBacklog, StoreError> {
        Ok(OutboxBacklog { pending: 2, dead: 1, oldest_pending: Some(at(0)) })
    }
}

/// Answers 2xx for the endpoints in `ok`, a failure for the others; remembers what it was sent.
struct Sender {
    ok: Vec<&'static str>,
    sent: Mutex<Vec<(String, String)>>,
}

#[async_trait]
impl NoticeSender for Sender {
    async fn send(&self, endpoint: &Url, body: &str, _: DateTime<Utc>) -> Result<(), SendFailure> {
        self.sent.lock().unwrap().push((endpoint.to_string(), body.to_owned()));
        if self.ok.contains(&endpoint.as_str()) {
            Ok(())
        } else {
            Err(SendFailure("answered 500".to_owned()))
        }
    }
}

const A: &str = "http://shop.test/a";
const B: &str = "http://shop.test/b";

fn deliveries(store: Arc<Store>, sender: Arc<Sender>, now: DateTime<Utc>) -> Deliveries {
    let settings = DeliverySettings {
        endpoints: vec![Url::parse(A).unwrap(), Url::parse(B).unwrap()],
        ..DeliverySettings::default()
    };
    Deliveries::new(store, sender, Arc::new(Fixed(now)), settings)
}

fn sender(ok: &[&'static str]) -> Arc<Sender> {
    Arc::new(Sender { ok: ok.to_vec(), sent: Mutex::new(Vec::new()) })
}

#[tokio::test]
async fn an_entry_every_endpoint_takes_is_delivered_and_claims_carry_the_lease() {
    let store = Arc::new(Store::default());
    store.due.lock().unwrap().push(entry(at(0), 1, &[]));
    let sender = sender(&[A, B]);
    let round = deliveries(store.clone(), sender.clone(), at(1)).run_once().await.unwrap();
    assert_eq!(round, Round { claimed: 1, delivered: 1, retried: 0, dead: 0 });
    assert_eq!(*store.claims.lock().unwrap(), [(at(1), at(3), 100)]);
    let recorded = store.recorded.lock().unwrap();
    assert_eq!(recorded[0].1, Attempt::Delivered { at: at(1) });
    assert_eq!(recorded[0].2, [A, B]);
    assert_eq!(sender.sent.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn an_endpoint_that_fails_is_retried_later_and_alone() {
    let store = Arc::new(Store::default());
    let first = entry(at(0), 1, &[]);
    store.due.lock().unwrap().push(first.clone());
    let round = deliveries(store.clone(), sender(&[A]), at(1)).run_once().await.unwrap();
    assert_eq!(round.retried, 1);
    let (id, attempt, to) = store.recorded.lock().unwrap()[0].clone();
    assert_eq!((id, to), (first.id, vec![A.to_owned()]));
    let delay = DeliverySettings::default().retry_delay(first.id, 1);
    assert_eq!(
        attempt,
        Attempt::Retry { next: at(1) + delay, error: "http://shop.test/b: answered 500".to_owned() }
    );

    // The next attempt goes to B only; it takes it, and the entry is delivered.
    store.due.lock().unwrap().push(entry(at(0), 2, &[A]));
    let sender = sender(&[B]);
    deliveries(store.clone(), sender.clone(), at(2)).run_once().await.unwrap();
    let sent: Vec<String> = sender.sent.lock().unwrap().iter().map(|(to, _)| to.clone()).collect();
    assert_eq!(sent, [B]);
    assert_eq!(store.recorded.lock().unwrap()[1].1, Attempt::Delivered { at: at(2) });
}

#[tokio::test]
async fn an_entry_that_fails_past_the_age_limit_is_dead() {
    let store = Arc::new(Store::default());
    let created = at(0);
    store.due.lock().unwrap().push(entry(created, 40, &[]));
    let now = created + Duration::days(3);
    let round = deliveries(store.clone(), sender(&[]), now).run_once().await.unwrap();
    assert_eq!(round.dead, 1);
    assert!(matches!(store.recorded.lock().unwrap()[0].1, Attempt::Dead { .. }));

    store.due.lock().unwrap().push(entry(created, 40, &[]));
    let round = deliveries(store.clone(), sender(&[]), now - Duration::seconds(1)).run_once().await.unwrap();
    assert_eq!(round.retried, 1);
}

#[test]
fn retries_back_off_doubling_up_to_the_cap_with_jitter_between_a_half_and_one() {
    let settings = DeliverySettings::default();
    let id = Uuid::from_u128(77);
    let mut spread = std::collections::BTreeSet::new();
    for attempts in 1..=40u32 {
        let base = (5_000i64 << attempts.saturating_sub(1).min(30)).min(3_600_000);
        let delay = settings.retry_delay(id, attempts).num_milliseconds();
        assert!(delay >= base / 2 && delay <= base, "attempt {attempts}: {delay} ms of {base}");
        spread.insert(delay);
    }
    assert!(settings.retry_delay(id, 1) < Duration::seconds(6));
    assert!(settings.retry_delay(id, 40) <= Duration::hours(1));
    assert_eq!(settings.retry_delay(id, 3), settings.retry_delay(id, 3));
    let others: std::collections::BTreeSet<i64> =
        (0..20u128).map(|n| settings.retry_delay(Uuid::from_u128(n), 12).num_milliseconds()).collect();
    assert!(others.len() > 10, "jitter spreads entries: {others:?}");
}

#[test]
fn the_body_carries_the_entry_and_the_order_view() {
    let entry = entry(at(0), 0, &[]);
    let body: serde_json::Value = serde_json::from_str(&body(&entry)).unwrap();
    assert_eq!(body["id"], entry.id.to_string());
    assert_eq!(body["object"], "event");
    assert_eq!(body["type"], "order.paid");
    assert_eq!(body["created"], at(0).timestamp());
    assert_eq!(body["order_id"], entry.subject.order_id().unwrap().to_string());
    assert_eq!(body["subscription_id"], serde_json::Value::Null);
    assert_eq!(body["sequence"], 1);
    assert_eq!(body["data"]["object"]["status"], "paid");
}

#[test]
fn a_subscription_entry_names_its_subscription_and_no_order() {
    let mut entry = entry(at(0), 0, &[]);
    entry.kind = NoticeKind::SubscriptionAccessGranted;
    entry.subject = NoticeSubject::Subscription(SubscriptionId::parse("sub_1Abc").unwrap());
    entry.payload = r#"{"id":"sub_1Abc","status":"active"}"#.to_owned();
    let body: serde_json::Value = serde_json::from_str(&body(&entry)).unwrap();
    assert_eq!(body["type"], "subscription.access_granted");
    assert_eq!(body["order_id"], serde_json::Value::Null);
    assert_eq!(body["subscription_id"], "sub_1Abc");
    assert_eq!(body["data"]["object"]["status"], "active");
}

#[test]
fn an_endpoint_is_named_without_its_credentials_or_query() {
    let url = Url::parse("https://user:secret@shop.test:8443/hooks/pay?token=abc").unwrap();
    assert_eq!(endpoint_name(&url), "https://shop.test:8443/hooks/pay");
}

#[tokio::test]
async fn a_feed_page_says_where_the_next_starts_and_whether_more_may_follow() {
    let outbox = Outbox::new(Arc::new(Store::default()), Arc::new(Fixed(at(0))));
    let full = outbox.feed(None, 2).await.unwrap();
    assert_eq!((full.entries.len(), full.has_more), (2, true));
    assert_eq!(full.next, Some(FeedCursor { tx: 0, position: 2 }));
    let rest = outbox.feed(full.next, 10).await.unwrap();
    assert_eq!(
        (rest.entries.len(), rest.has_more, rest.next),
        (1, false, Some(FeedCursor { tx: 0, position: 3 }))
    );
    let none = outbox.feed(rest.next, 10).await.unwrap();
    assert_eq!((none.entries.len(), none.has_more, none.next), (0, false, rest.next));
    assert!(matches!(outbox.redeliver(Uuid::nil()).await, Err(OutboxError::NotFound(_))));
}

#[tokio::test]
async fn with_no_endpoint_nothing_is_claimed_so_nothing_counts_as_delivered() {
    let store = Arc::new(Store::default());
    store.due.lock().unwrap().push(entry(at(0), 0, &[]));
    let settings = DeliverySettings { endpoints: vec![], ..DeliverySettings::default() };
    let deliveries = Deliveries::new(store.clone(), sender(&[]), Arc::new(Fixed(at(1))), settings);
    assert_eq!(deliveries.run_once().await.unwrap(), Round::default());
    assert!(store.claims.lock().unwrap().is_empty());
    assert!(store.recorded.lock().unwrap().is_empty());
}

#[tokio::test]
async fn the_backlog_tells_the_oldest_pending_entrys_age_by_the_clock() {
    let outbox = Outbox::new(Arc::new(Store::default()), Arc::new(Fixed(at(10))));
    let (backlog, age) = outbox.backlog().await.unwrap();
    assert_eq!((backlog.pending, backlog.dead), (2, 1));
    assert_eq!(age, Some(Duration::minutes(10)));
}
