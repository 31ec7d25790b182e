//! The fulfilment outbox: entries written with the order change they tell of (and only then), claimed first
//! per order with a lease, retried, dead, redelivered, and read from a feed that never skips one.

use crate::fixtures::{now, payment_intent_id, refs, refunded, session_paid, usd, user_id, user_order_at};
use crate::Harness;
use chrono::Duration;
use payments_domain::{
    plan_event, record_event, Attempt, Committed, FeedCursor, Load, NoticeKind, NoticeSubject, Order,
    OrderId, OrderStore, OutboxEntry, OutboxStatus, OutboxStore, PaymentIntentId, Write,
};
use std::collections::BTreeSet;

/// A new catalog order (two products), inserted, and its payment intent.
async fn placed(store: &dyn OrderStore) -> (Order, PaymentIntentId) {
    let order = user_order_at(&user_id(), OrderId::new_v7(), now());
    store.insert_order(&order).await.expect("insert_order");
    (order, payment_intent_id())
}

/// Pays `order` through its Checkout Session event.
async fn pay(store: &dyn OrderStore, order: &Order, intent: &PaymentIntentId) {
    let paid = session_paid(order, refs(Some(order.id()), None, Some(intent)));
    record_event(store, &paid, now()).await.expect("record_event");
}

/// The feed from `after`, once it holds at least `count` entries (it holds back entries newer than the oldest
/// transaction still running on the server, which other tests' may be for a moment).
pub(crate) async fn feed_of(
    outbox: &dyn OutboxStore,
    after: Option<FeedCursor>,
    count: usize,
) -> Vec<OutboxEntry> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let entries = outbox.feed(after, 500).await.expect("feed");
        if entries.len() >= count || std::time::Instant::now() > deadline {
            return entries;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Every entry of the feed, read a page of `page` at a time.
async fn whole_feed(outbox: &dyn OutboxStore, page: u32) -> Vec<OutboxEntry> {
    let (mut all, mut after) = (Vec::new(), None::<FeedCursor>);
    loop {
        let entries = outbox.feed(after, page).await.expect("feed");
        if entries.is_empty() {
            return all;
        }
        after = entries.last().map(|entry| entry.cursor);
        all.extend(entries);
    }
}

fn kinds_of(entries: &[OutboxEntry], order: OrderId) -> Vec<(i64, NoticeKind)> {
    kinds_told_of(entries, &NoticeSubject::Order(order))
}

/// `(sequence, type)` of the entries of `subject`, in the order given.
pub(crate) fn kinds_told_of(entries: &[OutboxEntry], subject: &NoticeSubject) -> Vec<(i64, NoticeKind)> {
    entries
        .iter()
        .filter(|entry| entry.subject == *subject)
        .map(|entry| (entry.sequence, entry.kind))
        .collect()
}

/// Paying an order writes `order.paid` then `purchase.granted`, a full refund `order.refunded` then
/// `purchase.revoked`: numbered in sequence, pending, carrying the order view as it was after the change.
pub async fn each_order_change_writes_its_outbox_entries_with_it_in_sequence(harness: &impl Harness) {
    let (store, outbox) = (harness.store(), harness.outbox());
    let (order, intent) = placed(&*store).await;
    assert!(whole_feed(&*outbox, 10).await.is_empty(), "a new order tells of nothing yet");
    pay(&*store, &order, &intent).await;
    record_event(&*store, &refunded(&intent, order.amount()), now()).await.expect("record_event");

    let feed = feed_of(&*outbox, None, 4).await;
    assert_eq!(
        kinds_of(&feed, order.id()),
        [
            (1, NoticeKind::OrderPaid),
            (2, NoticeKind::PurchaseGranted),
            (3, NoticeKind::OrderRefunded),
            (4, NoticeKind::PurchaseRevoked)
        ]
    );
    let view = |entry: &OutboxEntry| serde_json::from_str::<serde_json::Value>(&entry.payload).expect("JSON");
    assert_eq!(view(&feed[0])["status"], "paid");
    assert_eq!(view(&feed[0])["id"], order.id().to_string());
    assert_eq!(view(&feed[0])["amount"], order.amount().minor());
    assert_eq!(view(&feed[2])["status"], "refunded");
    assert!(feed.iter().all(|entry| entry.status == OutboxStatus::Pending && entry.attempts == 0));
    let ids: BTreeSet<_> = feed.iter().map(|entry| entry.id).collect();
    assert_eq!(ids.len(), feed.len(), "every entry has its own id");
}

/// A write that does not commit (stale, or its event a duplicate) writes no entry; nor does an event that
/// changes nothing a shop is told of.
pub async fn a_change_that_does_not_commit_writes_no_outbox_entry(harness: &impl Harness) {
    let (store, outbox) = (harness.store(), harness.outbox());
    let (order, intent) = placed(&*store).await;
    let paid = session_paid(&order, refs(Some(order.id()), None, Some(&intent)));
    let load = Load::event(&paid.event);
    let snapshot = store.load(vec![load.clone()]).await.expect("load").pop().expect("a snapshot");
    let plan = plan_event(&paid.event, &load, snapshot, now());
    let write = Write::of(&plan, Some(&paid)).expect("a write");
    // Another change of the order commits first: the planned write is stale.
    let other = session_paid(&order, refs(Some(order.id()), None, Some(&intent)));
    record_event(&*store, &other, now()).await.expect("record_event");
    let before = feed_of(&*outbox, None, 2).await;
    assert_eq!(kinds_of(&before, order.id()).len(), 2);

    let answers = store.commit(vec![write.clone()], now()).await.expect("commit");
    assert_eq!(answers, [Committed::Stale]);
    record_event(&*store, &other, now()).await.expect("a duplicate is answered");
    // Paid again by another event: the status does not change, so nothing is told.
    let again = session_paid(&order, refs(Some(order.id()), None, Some(&intent)));
    record_event(&*store, &again, now()).await.expect("record_event");
    assert_eq!(whole_feed(&*outbox, 10).await, before);
}

/// Claims hand out the first pending entry of each order, leased: not again before the lease ends, then
/// again. A retry is due at its time; a delivered entry lets the next of its order go; a dead one is listed
/// and, redelivered, pending again from its first attempt.
pub async fn due_entries_are_claimed_first_per_order_leased_retried_and_redelivered(harness: &impl Harness) {
    let (store, outbox) = (harness.store(), harness.outbox());
    let (order, intent) = placed(&*store).await;
    pay(&*store, &order, &intent).await;
    let t = now() + Duration::seconds(1);
    let lease = t + Duration::minutes(2);

    let claimed = outbox.claim_due(t, lease, 10).await.expect("claim_due");
    assert_eq!(kinds_of(&claimed, order.id()), [(1, NoticeKind::OrderPaid)], "only the first of the order");
    assert_eq!(claimed[0].attempts, 1);
    let first = claimed[0].id;
    assert!(outbox.claim_due(t, lease, 10).await.expect("claim_due").is_empty(), "leased");
    let after_lease = outbox.claim_due(lease, lease + Duration::minutes(2), 10).await.expect("claim_due");
    assert_eq!(after_lease.iter().map(|e| (e.id, e.attempts)).collect::<Vec<_>>(), [(first, 2)]);

    let retry_at = lease + Duration::seconds(30);
    let error = "http://shop.test/b: answered 500".to_owned();
    let a = vec!["http://shop.test/a".to_owned()];
    outbox
        .record_attempt(first, Attempt::Retry { next: retry_at, error: error.clone() }, a.clone())
        .await
        .unwrap();
    assert!(outbox.claim_due(retry_at - Duration::seconds(1), retry_at, 10).await.unwrap().is_empty());
    let retried = outbox.claim_due(retry_at, retry_at + Duration::minutes(2), 10).await.unwrap();
    assert_eq!(retried.len(), 1);
    assert_eq!(
        (retried[0].attempts, &retried[0].delivered_to, &retried[0].last_error),
        (3, &a, &Some(error))
    );

    let delivered_at = retry_at + Duration::seconds(1);
    outbox.record_attempt(first, Attempt::Delivered { at: delivered_at }, a.clone()).await.unwrap();
    let next = outbox.claim_due(delivered_at, delivered_at + Duration::minutes(2), 10).await.unwrap();
    assert_eq!(kinds_of(&next, order.id()), [(2, NoticeKind::PurchaseGranted)]);
    let delivered = outbox.list_outbox(OutboxStatus::Delivered, 10).await.unwrap();
    assert_eq!(
        delivered.iter().map(|e| (e.id, e.delivered_at)).collect::<Vec<_>>(),
        [(first, Some(delivered_at))]
    );

    let second = next[0].id;
    outbox.record_attempt(second, Attempt::Dead { error: "gone".to_owned() }, vec![]).await.unwrap();
    let dead = outbox.list_outbox(OutboxStatus::Dead, 10).await.unwrap();
    assert_eq!(
        dead.iter().map(|e| (e.id, e.last_error.clone())).collect::<Vec<_>>(),
        [(second, Some("gone".to_owned()))]
    );
    assert!(outbox
        .claim_due(lease + Duration::hours(9), lease + Duration::hours(10), 10)
        .await
        .unwrap()
        .is_empty());

    let again_at = delivered_at + Duration::minutes(5);
    let redelivered = outbox.redeliver(second, again_at).await.unwrap().expect("the entry");
    assert_eq!((redelivered.status, redelivered.attempts), (OutboxStatus::Pending, 0));
    assert!(outbox.list_outbox(OutboxStatus::Dead, 10).await.unwrap().is_empty());
    let reclaimed = outbox.claim_due(again_at, again_at + Duration::minutes(2), 10).await.unwrap();
    assert_eq!(reclaimed.iter().map(|e| e.id).collect::<Vec<_>>(), [second]);
    assert_eq!(outbox.redeliver(uuid::Uuid::new_v4(), again_at).await.unwrap(), None);
}

/// Read a page of one, two or many at a time, the feed holds every entry once, in the order written, and
/// an entry written after a reader reached the end comes after its cursor.
pub async fn the_feed_reads_every_entry_once_in_order_from_any_cursor(harness: &impl Harness) {
    let (store, outbox) = (harness.store(), harness.outbox());
    let mut orders = Vec::new();
    for _ in 0..3 {
        let (order, intent) = placed(&*store).await;
        pay(&*store, &order, &intent).await;
        orders.push((order, intent));
    }
    let all = feed_of(&*outbox, None, 6).await;
    assert_eq!(all.len(), 6);
    for page in [1, 2, 4] {
        assert_eq!(whole_feed(&*outbox, page).await, all, "pages of {page}");
    }
    let cursors: Vec<FeedCursor> = all.iter().map(|entry| entry.cursor).collect();
    assert!(cursors.windows(2).all(|pair| pair[0] < pair[1]), "cursors rise: {cursors:?}");
    let end = all.last().map(|entry| entry.cursor);
    assert!(outbox.feed(end, 10).await.unwrap().is_empty());

    let (order, intent) = &orders[0];
    record_event(&*store, &refunded(intent, usd(100)), now()).await.expect("record_event");
    let later = feed_of(&*outbox, end, 1).await;
    assert_eq!(kinds_of(&later, order.id()), [(3, NoticeKind::OrderPartiallyRefunded)]);
}

/// Two stores over one database (two instances) claiming at once never both claim one entry, and between
/// them claim every entry due.
pub async fn two_instances_claiming_at_once_never_claim_one_entry_twice(harness: &impl Harness) {
    let store = harness.store();
    let mut expected = BTreeSet::new();
    for _ in 0..20 {
        let (order, intent) = placed(&*store).await;
        pay(&*store, &order, &intent).await;
        expected.insert(order.id());
    }
    let (one, two): (std::sync::Arc<dyn OutboxStore>, std::sync::Arc<dyn OutboxStore>) =
        (harness.outbox(), std::sync::Arc::new(harness.another_store().await));
    let t = now() + Duration::seconds(1);
    let claim = |outbox: std::sync::Arc<dyn OutboxStore>| async move {
        let mut claimed = Vec::new();
        for _ in 0..10 {
            claimed.extend(outbox.claim_due(t, t + Duration::minutes(5), 3).await.expect("claim_due"));
        }
        claimed
    };
    let (a, b) = futures::future::join(claim(one), claim(two)).await;
    let ids: Vec<_> = a.iter().chain(&b).map(|entry| entry.id).collect();
    let unique: BTreeSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "an entry was claimed twice");
    let orders: BTreeSet<OrderId> = a.iter().chain(&b).filter_map(|entry| entry.subject.order_id()).collect();
    assert_eq!(orders, expected, "every order's first entry was claimed");
    assert!(a.iter().chain(&b).all(|entry| entry.sequence == 1));
}

/// The backlog counts pending and dead entries and names the oldest pending one's time; delivered entries
/// count for nothing.
pub async fn the_backlog_counts_pending_and_dead_entries_and_the_oldest_pending(harness: &impl Harness) {
    let (store, outbox) = (harness.store(), harness.outbox());
    let empty = outbox.backlog().await.expect("backlog");
    assert_eq!(empty, payments_domain::OutboxBacklog::default());
    let (order, intent) = placed(&*store).await;
    pay(&*store, &order, &intent).await;
    let (second, second_intent) = placed(&*store).await;
    pay(&*store, &second, &second_intent).await;
    let written = feed_of(&*outbox, None, 4).await;
    assert_eq!(written.len(), 4);
    let oldest = written.iter().map(|entry| entry.created_at).min();
    let backlog = outbox.backlog().await.expect("backlog");
    assert_eq!((backlog.pending, backlog.dead, backlog.oldest_pending), (4, 0, oldest));

    let t = now() + Duration::seconds(1);
    let claimed = outbox.claim_due(t, t + Duration::minutes(1), 10).await.expect("claim_due");
    assert_eq!(claimed.len(), 2, "the first of each order");
    let (first, other) = (&claimed[0], &claimed[1]);
    outbox.record_attempt(first.id, Attempt::Delivered { at: t }, vec![]).await.expect("record");
    outbox
        .record_attempt(other.id, Attempt::Dead { error: "gone".to_owned() }, vec![])
        .await
        .expect("record");
    let backlog = outbox.backlog().await.expect("backlog");
    assert_eq!((backlog.pending, backlog.dead), (2, 1));
    assert!(backlog.oldest_pending.is_some());
}
