//! Subscription records: written with their events, one transaction each, the newest snapshot kept; read by
//! id and listed for their owner.

use super::outbox::{feed_of, kinds_told_of};
use super::stored_once;
use crate::fixtures::{customer, customer_id, now, user_id};
use crate::Harness;
use chrono::Duration;
use payments_domain::{
    record_billing_event, Attempt, BillingSnapshot, Committed, CustomerId, Effect, EventId, EventRefs,
    InvoiceId, InvoiceSnapshot, InvoiceStatus, NoticeKind, NoticeSubject, OutboxEntry, PaymentEvent,
    PaymentEventKind, ReceivedEvent, RecordOutcome, RowVersion, Subscription, SubscriptionId,
    SubscriptionLinks, SubscriptionQuery, SubscriptionSnapshot, SubscriptionStatus, SubscriptionWrite,
    UserId,
};

fn fresh(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

fn snapshot(
    id: &SubscriptionId,
    customer: &CustomerId,
    status: &str,
    user: Option<&UserId>,
) -> BillingSnapshot {
    BillingSnapshot::Subscription(SubscriptionSnapshot {
        id: id.clone(),
        customer: customer.clone(),
        status: SubscriptionStatus::parse(status),
        current_period_end: Some(now() + Duration::days(30)),
        cancel_at_period_end: false,
        canceled_at: None,
        trial_end: None,
        price: None,
        links: SubscriptionLinks { user_id: user.cloned(), ..SubscriptionLinks::default() },
    })
}

fn invoice(id: &SubscriptionId, status: &str) -> BillingSnapshot {
    BillingSnapshot::Invoice(InvoiceSnapshot {
        id: InvoiceId::parse(&fresh("in")).unwrap(),
        subscription: id.clone(),
        status: InvoiceStatus::parse(status),
        amount_due: None,
        attempt_count: 1,
        next_payment_attempt: None,
        payment_failed: false,
        created: now(),
    })
}

/// A signed event carrying `billing`, created `seconds` from now.
fn event(billing: BillingSnapshot, seconds: i64) -> ReceivedEvent {
    let event = PaymentEvent {
        id: EventId::parse(&fresh("evt")).unwrap(),
        event_type: "customer.subscription.updated".to_owned(),
        created: now() + Duration::seconds(seconds),
        kind: PaymentEventKind::Unknown,
        refs: EventRefs::default(),
    };
    ReceivedEvent { billing: Some(billing), ..ReceivedEvent::new(event, r#"{"object":"event"}"#) }
}

async fn record(harness: &impl Harness, received: &ReceivedEvent) -> RecordOutcome {
    let billing = received.billing.as_ref().expect("a billing event");
    record_billing_event(&*harness.subscriptions(), received, billing, now())
        .await
        .expect("record_billing_event")
}

/// Events make the record (an invoice's first waits in it for the subscription's own), the newest snapshot
/// wins, each event is stored once against the subscription, and the record lists once its own snapshot is in.
pub async fn subscription_events_build_one_record_newest_first_each_event_stored_once(
    harness: &impl Harness,
) {
    let store = harness.subscriptions();
    let (id, customer) = (SubscriptionId::parse(&fresh("sub")).unwrap(), customer_id());
    let user = user_id();
    let first_invoice = event(invoice(&id, "paid"), 0);
    assert!(matches!(record(harness, &first_invoice).await, RecordOutcome::Subscription { .. }));
    assert!(
        store.list_subscriptions(SubscriptionQuery::Id(&id)).await.expect("list").is_empty(),
        "no snapshot yet"
    );

    let active = event(snapshot(&id, &customer, "active", Some(&user)), 10);
    let older = event(snapshot(&id, &customer, "incomplete", Some(&user)), 5);
    let applied = RecordOutcome::Subscription { subscription_id: id.clone(), effect: Effect::Recorded };
    assert_eq!(record(harness, &active).await, applied);
    let ignored = RecordOutcome::Subscription { subscription_id: id.clone(), effect: Effect::Ignored };
    assert_eq!(record(harness, &older).await, ignored, "an older snapshot never overwrites");
    assert_eq!(record(harness, &active).await, RecordOutcome::Duplicate);

    let (record_now, version) = store.load_subscription(&id).await.expect("load").expect("a record");
    assert_eq!(record_now.status(), Some(&SubscriptionStatus::Active));
    assert_eq!(record_now.latest_invoice().map(|seen| &seen.snapshot.status), Some(&InvoiceStatus::Paid));
    assert_eq!(version, RowVersion(2), "three writes");
    for (received, outcome) in [(&first_invoice, "applied"), (&active, "applied"), (&older, "ignored")] {
        let row = stored_once(harness, &received.event.id).await;
        assert_eq!((row.outcome.as_str(), row.order_id), (outcome, None));
    }
    let listed = store.list_subscriptions(SubscriptionQuery::Id(&id)).await.expect("list");
    assert_eq!(listed, vec![(record_now.clone(), Some(user.clone()))]);
    let mine =
        store.list_subscriptions(SubscriptionQuery::OfUser { user: &user, limit: 10 }).await.expect("list");
    assert_eq!(mine.len(), 1);
}

/// A write planned on a version the row no longer has, or for a row that appeared meanwhile, is stale and
/// writes nothing, not even its event.
pub async fn a_subscription_write_on_a_stale_version_writes_nothing(harness: &impl Harness) {
    let store = harness.subscriptions();
    let (id, customer) = (SubscriptionId::parse(&fresh("sub")).unwrap(), customer_id());
    record(harness, &event(snapshot(&id, &customer, "active", None), 0)).await;
    let late = event(snapshot(&id, &customer, "past_due", None), 10);
    let mut subscription = Subscription::new(id.clone());
    subscription.merge(late.billing.as_ref().unwrap(), late.event.created, &late.event.id);
    for version in [None, Some(RowVersion(7))] {
        let write = SubscriptionWrite {
            received: late.clone(),
            outcome: payments_domain::EventOutcome::Applied,
            subscription: subscription.clone(),
            version,
            notices: vec![payments_domain::NoticeKind::SubscriptionUpdated],
        };
        assert_eq!(store.commit_subscription(write, now()).await.expect("commit"), Committed::Stale);
    }
    assert!(harness.stored_events(&late.event.id).await.is_empty(), "the event was not recorded");
    let (kept, _) = store.load_subscription(&id).await.expect("load").expect("a record");
    assert_eq!(kept.status(), Some(&SubscriptionStatus::Active));
    // The feed shows an entry once every transaction older than it has ended: wait for the two written.
    let told = entries_of(&feed_of(&*harness.outbox(), None, 2).await, &id);
    assert_eq!(told, [(1, NoticeKind::SubscriptionCreated), (2, NoticeKind::SubscriptionAccessGranted)]);
}

fn entries_of(entries: &[OutboxEntry], id: &SubscriptionId) -> Vec<(i64, NoticeKind)> {
    kinds_told_of(entries, &NoticeSubject::Subscription(id.clone()))
}

/// Each change of a subscription's record writes its `subscription.*` entries with it, numbered in the
/// subscription's own sequence and carrying the record's view; a repeated event writes none; claims hand out
/// the first pending entry of the subscription only, the next once it is delivered.
pub async fn each_subscription_change_writes_its_outbox_entries_with_it_in_sequence(harness: &impl Harness) {
    let (id, customer) = (SubscriptionId::parse(&fresh("sub")).unwrap(), customer_id());
    let active = event(snapshot(&id, &customer, "active", None), 10);
    let mut failed = invoice(&id, "open");
    if let BillingSnapshot::Invoice(invoice) = &mut failed {
        invoice.payment_failed = true;
    }
    for received in [
        event(snapshot(&id, &customer, "incomplete", None), 0),
        active.clone(),
        active,
        event(failed, 15),
        event(snapshot(&id, &customer, "canceled", None), 20),
    ] {
        record(harness, &received).await;
    }
    let outbox = harness.outbox();
    let feed = feed_of(&*outbox, None, 6).await;
    use NoticeKind::*;
    assert_eq!(
        entries_of(&feed, &id),
        [
            (1, SubscriptionCreated),
            (2, SubscriptionUpdated),
            (3, SubscriptionAccessGranted),
            (4, SubscriptionPaymentFailed),
            (5, SubscriptionEnded),
            (6, SubscriptionAccessRevoked)
        ]
    );
    let view = |entry: &OutboxEntry| serde_json::from_str::<serde_json::Value>(&entry.payload).expect("JSON");
    let statuses: Vec<_> =
        feed.iter().map(|entry| view(entry)["status"].as_str().map(str::to_owned)).collect();
    let expected = ["incomplete", "active", "active", "active", "canceled", "canceled"];
    assert_eq!(statuses, expected.map(|status| Some(status.to_owned())));
    assert!(feed.iter().all(|entry| view(entry)["id"] == id.as_str()));
    assert_eq!(view(&feed[3])["latestInvoice"]["paymentFailed"], true);
    assert_eq!(view(&feed[2])["grantsAccess"], true);

    let t = now() + Duration::seconds(1);
    let claimed = outbox.claim_due(t, t + Duration::minutes(5), 100).await.expect("claim_due");
    assert_eq!(entries_of(&claimed, &id), [(1, SubscriptionCreated)], "only the first of the subscription");
    let delivered = Attempt::Delivered { at: t };
    outbox
        .record_attempt(claimed[0].id, delivered, vec!["http://shop.test/".to_owned()])
        .await
        .expect("record");
    let next = outbox.claim_due(t, t + Duration::minutes(5), 100).await.expect("claim_due");
    assert_eq!(entries_of(&next, &id), [(2, SubscriptionUpdated)]);
}

/// A subscription whose checkout named no user belongs to the user whose Stripe customer it bills.
pub async fn a_subscription_belongs_to_the_user_of_its_customer_when_its_checkout_named_none(
    harness: &impl Harness,
) {
    let (id, customer_id) = (SubscriptionId::parse(&fresh("sub")).unwrap(), customer_id());
    let (owner, other) = (user_id(), user_id());
    harness
        .customers()
        .insert_customer(&customer(&owner, customer_id.clone(), "o@example.com"))
        .await
        .unwrap();
    record(harness, &event(snapshot(&id, &customer_id, "trialing", None), 0)).await;
    let store = harness.subscriptions();
    let mine = store.list_subscriptions(SubscriptionQuery::OfUser { user: &owner, limit: 10 }).await.unwrap();
    assert_eq!(
        mine.iter().map(|(s, u)| (s.id().clone(), u.clone())).collect::<Vec<_>>(),
        [(id, Some(owner))]
    );
    let theirs =
        store.list_subscriptions(SubscriptionQuery::OfUser { user: &other, limit: 10 }).await.unwrap();
    assert!(theirs.is_empty());
}

/// Sixteen events of one subscription at once all succeed and end in the newest snapshot.
pub async fn sixteen_events_of_one_subscription_at_once_all_succeed_and_keep_the_newest(
    harness: &impl Harness,
) {
    let (id, customer) = (SubscriptionId::parse(&fresh("sub")).unwrap(), customer_id());
    let statuses = ["incomplete", "active", "past_due", "active"];
    let events: Vec<ReceivedEvent> =
        (0..16).map(|n| event(snapshot(&id, &customer, statuses[n % 4], None), n as i64)).collect();
    let tasks: Vec<_> = events
        .iter()
        .cloned()
        .map(|received| {
            let store = harness.subscriptions();
            tokio::spawn(async move {
                let billing = received.billing.clone().unwrap();
                record_billing_event(&*store, &received, &billing, now()).await
            })
        })
        .collect();
    for task in tasks {
        let outcome = task.await.expect("the task ran").expect("recorded");
        assert!(matches!(outcome, RecordOutcome::Subscription { .. }), "{outcome:?}");
    }
    let (record, _) = harness.subscriptions().load_subscription(&id).await.unwrap().unwrap();
    assert_eq!(record.state().unwrap().event_id, events[15].event.id, "the newest snapshot");
}
