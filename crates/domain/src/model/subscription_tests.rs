//! The merge of subscription and invoice snapshots: newest wins, whatever the delivery order.

use super::*;
use chrono::TimeZone;
use proptest::prelude::*;

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + seconds, 0).unwrap()
}

fn sub_id() -> SubscriptionId {
    SubscriptionId::parse("sub_1").unwrap()
}

fn snapshot(status: &str, period_end: i64, cancel_at_period_end: bool) -> BillingSnapshot {
    BillingSnapshot::Subscription(SubscriptionSnapshot {
        id: sub_id(),
        customer: CustomerId::parse("cus_1").unwrap(),
        status: SubscriptionStatus::parse(status),
        current_period_end: Some(at(period_end)),
        cancel_at_period_end,
        canceled_at: cancel_at_period_end.then(|| at(period_end - 10)),
        trial_end: None,
        price: None,
        links: SubscriptionLinks::default(),
    })
}

fn invoice(id: &str, created: i64, status: &str, attempts: u32, failed: bool) -> BillingSnapshot {
    BillingSnapshot::Invoice(InvoiceSnapshot {
        id: InvoiceId::parse(id).unwrap(),
        subscription: sub_id(),
        status: InvoiceStatus::parse(status),
        amount_due: None,
        attempt_count: attempts,
        next_payment_attempt: failed.then(|| at(created + 86_400)),
        payment_failed: failed,
        created: at(created),
    })
}

fn event_id(n: usize) -> EventId {
    EventId::parse(&format!("evt_{n}")).unwrap()
}

#[test]
fn a_newer_snapshot_replaces_an_older_one_and_never_the_reverse() {
    let mut record = Subscription::new(sub_id());
    assert!(record.merge(&snapshot("active", 100, false), at(10), &event_id(1)));
    assert!(record.merge(&snapshot("past_due", 100, false), at(20), &event_id(2)));
    assert!(!record.merge(&snapshot("active", 100, false), at(10), &event_id(1)), "a repeat changes nothing");
    assert!(!record.merge(&snapshot("active", 100, false), at(15), &event_id(3)), "an older one is stale");
    assert_eq!(record.status(), Some(&SubscriptionStatus::PastDue));
    assert!(record.grants_access(), "past due is a grace period");
    assert!(record.merge(&snapshot("canceled", 100, false), at(30), &event_id(4)));
    assert!(!record.grants_access());
}

#[test]
fn within_one_second_stripes_own_fields_decide() {
    let mut record = Subscription::new(sub_id());
    record.merge(&snapshot("active", 100, false), at(10), &event_id(9));
    assert!(!record.merge(&snapshot("incomplete", 100, false), at(10), &event_id(8)), "started beats not");
    assert!(record.merge(&snapshot("active", 200, false), at(10), &event_id(1)), "a later period beats");
    assert!(record.merge(&snapshot("canceled", 200, false), at(10), &event_id(2)), "ended beats running");
    assert_eq!(record.status(), Some(&SubscriptionStatus::Canceled));
}

#[test]
fn the_latest_invoice_is_the_newest_invoice_at_its_furthest_step() {
    let mut record = Subscription::new(sub_id());
    record.merge(&invoice("in_2", 200, "open", 1, true), at(201), &event_id(1));
    assert!(
        !record.merge(&invoice("in_1", 100, "paid", 1, false), at(300), &event_id(2)),
        "an older invoice"
    );
    assert!(record.merge(&invoice("in_2", 200, "open", 2, true), at(201), &event_id(3)), "a later attempt");
    assert!(record.merge(&invoice("in_2", 200, "paid", 2, false), at(201), &event_id(4)), "paid in the end");
    let latest = &record.latest_invoice().unwrap().snapshot;
    assert_eq!((latest.id.as_str(), &latest.status), ("in_2", &InvoiceStatus::Paid));
    assert!(record.state().is_none() && !record.grants_access(), "invoices alone grant nothing");
}

#[test]
fn statuses_read_stripes_names_and_keep_unknown_ones() {
    for name in
        ["incomplete", "incomplete_expired", "trialing", "active", "past_due", "unpaid", "canceled", "paused"]
    {
        assert_eq!(SubscriptionStatus::parse(name).as_str(), name);
    }
    assert_eq!(SubscriptionStatus::parse("frozen"), SubscriptionStatus::Other("frozen".to_owned()));
    let granting: Vec<&str> = [
        "incomplete",
        "incomplete_expired",
        "trialing",
        "active",
        "past_due",
        "unpaid",
        "canceled",
        "paused",
    ]
    .into_iter()
    .filter(|name| SubscriptionStatus::parse(name).grants_access())
    .collect();
    assert_eq!(granting, ["trialing", "active", "past_due"]);
    for name in ["draft", "open", "paid", "uncollectible", "void", "deleted"] {
        assert_eq!(InvoiceStatus::parse(name).as_str(), name);
    }
}

/// The snapshots one subscription's events can carry.
fn snapshots() -> impl Strategy<Value = Vec<(BillingSnapshot, i64)>> {
    let status =
        prop::sample::select(vec!["incomplete", "trialing", "active", "past_due", "unpaid", "canceled"]);
    let subscription = (status, 0i64..4, any::<bool>(), 0i64..6)
        .prop_map(|(status, period, cancel, created)| (snapshot(status, 100 * period, cancel), created));
    let invoice_status = prop::sample::select(vec!["draft", "open", "paid", "void"]);
    let invoices = (0usize..3, invoice_status, 0u32..3, any::<bool>(), 0i64..6).prop_map(
        |(n, status, attempts, failed, created)| {
            (invoice(&format!("in_{n}"), 100 * n as i64, status, attempts, failed), created)
        },
    );
    proptest::collection::vec(prop_oneof![subscription, invoices], 1..10)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Any permutation of one subscription's events, with repeats, ends in the same record.
    #[test]
    fn delivery_order_and_repeats_do_not_change_the_record(
        events in snapshots(),
        shuffle_seed in any::<u64>(),
        repeats in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
    ) {
        let mut in_order = Subscription::new(sub_id());
        for (n, (snapshot, created)) in events.iter().enumerate() {
            in_order.merge(snapshot, at(*created), &event_id(n));
        }
        let mut delivered: Vec<usize> = (0..events.len()).collect();
        for index in &repeats {
            delivered.push(index.index(events.len()));
        }
        let mut rng = shuffle_seed;
        for i in (1..delivered.len()).rev() {
            rng = rng.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            delivered.swap(i, (rng >> 33) as usize % (i + 1));
        }
        let mut shuffled = Subscription::new(sub_id());
        for n in delivered {
            let (snapshot, created) = &events[n];
            shuffled.merge(snapshot, at(*created), &event_id(n));
        }
        prop_assert_eq!(shuffled, in_order);
    }
}
