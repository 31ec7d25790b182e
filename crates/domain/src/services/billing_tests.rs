//! Recording billing events against the memory store: new records, merges, duplicates and stale rounds.

use super::*;
use crate::model::ids::{CustomerId, EventId, SubscriptionId};
use crate::model::payment_event::{EventRefs, PaymentEvent, PaymentEventKind};
use crate::model::plan::RowVersion;
use crate::model::subscription::{SubscriptionLinks, SubscriptionSnapshot, SubscriptionStatus};
use crate::ports::subscription_store::MockSubscriptionStore;
use crate::testing::MemoryStore;
use chrono::TimeZone;

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + seconds, 0).unwrap()
}

fn snapshot(status: &str) -> BillingSnapshot {
    BillingSnapshot::Subscription(SubscriptionSnapshot {
        id: SubscriptionId::parse("sub_1").unwrap(),
        customer: CustomerId::parse("cus_1").unwrap(),
        status: SubscriptionStatus::parse(status),
        current_period_end: Some(at(1000)),
        cancel_at_period_end: false,
        canceled_at: None,
        trial_end: None,
        price: None,
        links: SubscriptionLinks::default(),
    })
}

fn received(n: u32, created: i64, billing: &BillingSnapshot) -> ReceivedEvent {
    let event = PaymentEvent {
        id: EventId::parse(&format!("evt_{n}")).unwrap(),
        event_type: "customer.subscription.updated".to_owned(),
        created: at(created),
        kind: PaymentEventKind::Unknown,
        refs: EventRefs::default(),
    };
    ReceivedEvent { billing: Some(billing.clone()), ..ReceivedEvent::new(event, "{}") }
}

async fn record(store: &MemoryStore, n: u32, created: i64, status: &str) -> RecordOutcome {
    let billing = snapshot(status);
    record_billing_event(store, &received(n, created, &billing), &billing, at(2000)).await.unwrap()
}

#[tokio::test]
async fn events_build_the_record_newest_first_whatever_their_order_and_repeats_are_duplicates() {
    let store = MemoryStore::new();
    let id = SubscriptionId::parse("sub_1").unwrap();
    let applied = |effect| RecordOutcome::Subscription { subscription_id: id.clone(), effect };
    assert_eq!(record(&store, 2, 20, "past_due").await, applied(Effect::Recorded));
    assert_eq!(record(&store, 1, 10, "active").await, applied(Effect::Ignored), "an older snapshot");
    assert_eq!(record(&store, 2, 20, "past_due").await, RecordOutcome::Duplicate);
    let (subscription, _) = store.load_subscription(&id).await.unwrap().unwrap();
    assert_eq!(subscription.status(), Some(&SubscriptionStatus::PastDue));
    assert_eq!(store.event(&EventId::parse("evt_1").unwrap()).unwrap().outcome, EventOutcome::Ignored);
}

#[tokio::test]
async fn a_stale_commit_merges_again_on_a_fresh_load() {
    let mut store = MockSubscriptionStore::new();
    let mut loads = 0;
    store.expect_load_subscription().times(2).returning(move |id| {
        loads += 1;
        Ok((loads == 2).then(|| (Subscription::new(id.clone()), RowVersion(1))))
    });
    let mut commits = vec![Committed::Done, Committed::Stale];
    store.expect_commit_subscription().times(2).returning(move |write, _| {
        assert_eq!(
            write.version.is_some(),
            commits.len() == 1,
            "the second round writes at the loaded version"
        );
        Ok(commits.pop().unwrap())
    });
    let billing = snapshot("active");
    let outcome = record_billing_event(&store, &received(1, 10, &billing), &billing, at(2000)).await.unwrap();
    assert!(matches!(outcome, RecordOutcome::Subscription { effect: Effect::Recorded, .. }));
}

#[tokio::test]
async fn each_change_writes_its_outbox_entries_with_it_and_a_stale_or_repeated_event_none() {
    use crate::model::outbox::{NoticeKind::*, NoticeSubject};
    let store = MemoryStore::new();
    record(&store, 2, 20, "active").await;
    record(&store, 1, 10, "incomplete").await;
    record(&store, 2, 20, "active").await;
    record(&store, 3, 30, "canceled").await;
    let subject = NoticeSubject::Subscription(SubscriptionId::parse("sub_1").unwrap());
    let notices = store.notices();
    assert!(notices.iter().all(|(of, _)| *of == subject));
    let kinds: Vec<_> = notices.into_iter().map(|(_, kind)| kind).collect();
    assert_eq!(
        kinds,
        [SubscriptionCreated, SubscriptionAccessGranted, SubscriptionEnded, SubscriptionAccessRevoked]
    );
}

#[tokio::test]
async fn a_stale_round_tells_of_the_change_against_the_record_it_loads_again() {
    let mut store = MockSubscriptionStore::new();
    let mut loads = 0;
    store.expect_load_subscription().times(2).returning(move |id| {
        loads += 1;
        if loads == 1 {
            return Ok(None);
        }
        let mut meanwhile = Subscription::new(id.clone());
        meanwhile.merge(&snapshot("active"), at(5), &EventId::parse("evt_0").unwrap());
        Ok(Some((meanwhile, RowVersion(0))))
    });
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let written = seen.clone();
    store.expect_commit_subscription().times(2).returning(move |write, _| {
        let mut written = written.lock().unwrap();
        written.push(write.notices.clone());
        Ok(if written.len() == 1 { Committed::Stale } else { Committed::Done })
    });
    let billing = snapshot("active");
    record_billing_event(&store, &received(1, 10, &billing), &billing, at(2000)).await.unwrap();
    use crate::model::outbox::NoticeKind::*;
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        vec![vec![SubscriptionCreated, SubscriptionAccessGranted], vec![]],
        "already active meanwhile"
    );
}
