use super::*;
use crate::model::catalog::{CatalogRef, PriceKey, Sku};
use crate::model::email::Email;
use crate::model::line_item::LineItem;
use crate::model::money::{Currency, Money};
use crate::model::payment_event::DisputeOutcome;
use crate::model::payment_facts::PaymentFacts;
use chrono::TimeZone;

fn order(status: OrderStatus, catalog: bool) -> Order {
    let item = LineItem::new("Course", Money::new(500, Currency::USD).unwrap(), 1, None).unwrap();
    let item = if catalog {
        item.with_catalog(CatalogRef {
            sku: Sku::parse("course").unwrap(),
            price_id: PriceKey::parse("course-usd").unwrap(),
        })
    } else {
        item
    };
    let at = Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap();
    let order = Order::new(OrderId::new_v7(), Email::parse("a@b.co").unwrap(), vec![item], at).unwrap();
    with_facts(&order, |facts, amount| *facts = PaymentFacts::leading_to(status, amount))
}

fn with_facts(order: &Order, change: impl FnOnce(&mut PaymentFacts, Money)) -> Order {
    let mut stored = order.clone().into_stored();
    change(&mut stored.facts, stored.amount);
    Order::restore(stored).unwrap()
}

fn moved(from: OrderStatus, to: OrderStatus, catalog: bool) -> Vec<NoticeKind> {
    let before = order(from, catalog);
    let after = with_facts(&before, |facts, amount| *facts = PaymentFacts::leading_to(to, amount));
    assert_eq!(after.status(), to);
    notices(&before, &after)
}

#[test]
fn each_status_a_change_enters_tells_of_it() {
    use NoticeKind::*;
    use OrderStatus::*;
    let cases = [
        (Pending, Paid, vec![OrderPaid, PurchaseGranted]),
        (Pending, Failed, vec![OrderFailed]),
        (Failed, Paid, vec![OrderPaid, PurchaseGranted]),
        (Pending, Expired, vec![OrderExpired]),
        (Pending, Canceled, vec![OrderCanceled]),
        (Pending, NeedsReview, vec![OrderNeedsReview]),
        (NeedsReview, Paid, vec![OrderPaid, PurchaseGranted]),
        (Paid, Refunded, vec![OrderRefunded, PurchaseRevoked]),
        (Paid, PartiallyRefunded, vec![OrderPartiallyRefunded]),
        (PartiallyRefunded, Refunded, vec![OrderRefunded, PurchaseRevoked]),
        (Paid, Disputed, vec![OrderDisputed]),
        (Pending, Pending, vec![]),
        (Paid, Paid, vec![]),
    ];
    for (from, to, expected) in cases {
        assert_eq!(moved(from, to, true), expected, "{from:?} -> {to:?}");
    }
}

#[test]
fn an_order_without_catalog_products_grants_and_revokes_nothing() {
    assert_eq!(moved(OrderStatus::Pending, OrderStatus::Paid, false), [NoticeKind::OrderPaid]);
    assert_eq!(moved(OrderStatus::Paid, OrderStatus::Refunded, false), [NoticeKind::OrderRefunded]);
}

#[test]
fn a_further_partial_refund_tells_again_and_a_repeated_fact_does_not() {
    let first = order(OrderStatus::PartiallyRefunded, true);
    let more = with_facts(&first, |facts, _| facts.refunded_minor = 200);
    assert_eq!(notices(&first, &more), [NoticeKind::OrderPartiallyRefunded]);
    assert_eq!(notices(&more, &more), []);
}

#[test]
fn a_closed_dispute_tells_of_its_closing_whichever_way_it_went() {
    let disputed = order(OrderStatus::Disputed, true);
    let won = with_facts(&disputed, |facts, _| facts.dispute("dp_1", Some(DisputeOutcome::Won)));
    assert_eq!(won.status(), OrderStatus::Paid);
    assert_eq!(notices(&disputed, &won), [NoticeKind::OrderDisputeClosed]);
    let lost = with_facts(&disputed, |facts, _| facts.dispute("dp_1", Some(DisputeOutcome::Lost)));
    assert_eq!(lost.status(), OrderStatus::Disputed);
    assert_eq!(notices(&disputed, &lost), [NoticeKind::OrderDisputeClosed, NoticeKind::PurchaseRevoked]);
}

#[test]
fn names_and_cursors_round_trip_and_foreign_ones_are_refused() {
    for kind in NoticeKind::ALL {
        assert_eq!(kind.as_str().parse::<NoticeKind>().unwrap(), kind);
        assert_eq!(kind.to_string(), kind.as_str(), "the wire name (entries carry it through Display)");
    }
    for status in OutboxStatus::ALL {
        assert_eq!(status.as_str().parse::<OutboxStatus>().unwrap(), status);
    }
    assert!("order.shipped".parse::<NoticeKind>().is_err());
    let cursor = FeedCursor { tx: 981, position: 12 };
    assert_eq!(cursor.to_string().parse::<FeedCursor>().unwrap(), cursor);
    for bad in ["", "1", "-1", "1-", "a-1", "1-2-3", "+1-2", "99999999999999999999-1", " 1-2"] {
        assert_eq!(bad.parse::<FeedCursor>(), Err(BadCursor), "{bad:?}");
    }
}

mod subscriptions {
    use super::super::*;
    use crate::model::ids::{CustomerId, EventId, InvoiceId, SubscriptionId};
    use crate::model::subscription::{
        BillingSnapshot, InvoiceSnapshot, InvoiceStatus, Subscription, SubscriptionLinks,
        SubscriptionSnapshot, SubscriptionStatus,
    };
    use chrono::TimeZone;
    use NoticeKind::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + seconds, 0).unwrap()
    }

    fn state(status: &str, period_end: i64, cancel_at_period_end: bool) -> BillingSnapshot {
        BillingSnapshot::Subscription(SubscriptionSnapshot {
            id: SubscriptionId::parse("sub_1").unwrap(),
            customer: CustomerId::parse("cus_1").unwrap(),
            status: SubscriptionStatus::parse(status),
            current_period_end: Some(at(period_end)),
            cancel_at_period_end,
            canceled_at: None,
            trial_end: None,
            price: None,
            links: SubscriptionLinks::default(),
        })
    }

    fn invoice(id: &str, attempts: u32, failed: bool) -> BillingSnapshot {
        BillingSnapshot::Invoice(InvoiceSnapshot {
            id: InvoiceId::parse(id).unwrap(),
            subscription: SubscriptionId::parse("sub_1").unwrap(),
            status: InvoiceStatus::parse("open"),
            amount_due: None,
            attempt_count: attempts,
            next_payment_attempt: None,
            payment_failed: failed,
            created: at(0),
        })
    }

    /// The entries each of `snapshots`, merged in turn (one event per second), writes.
    fn written(snapshots: &[BillingSnapshot]) -> Vec<Vec<NoticeKind>> {
        let mut record = Subscription::new(SubscriptionId::parse("sub_1").unwrap());
        let mut out = Vec::new();
        for (n, snapshot) in snapshots.iter().enumerate() {
            let before = record.clone();
            let at = at(i64::try_from(n).unwrap() + 1);
            record.merge(snapshot, at, &EventId::parse(&format!("evt_{n}")).unwrap());
            out.push(subscription_notices(&before, &record));
        }
        out
    }

    #[test]
    fn a_subscriptions_life_tells_of_each_step() {
        let steps = written(&[
            state("incomplete", 100, false),
            state("active", 100, false),
            state("active", 100, true),
            state("active", 200, true),
            state("past_due", 200, true),
            state("canceled", 200, true),
        ]);
        assert_eq!(
            steps,
            vec![
                vec![SubscriptionCreated],
                vec![SubscriptionUpdated, SubscriptionAccessGranted],
                vec![SubscriptionUpdated],
                vec![SubscriptionRenewed],
                vec![SubscriptionUpdated],
                vec![SubscriptionEnded, SubscriptionAccessRevoked],
            ]
        );
    }

    #[test]
    fn a_trial_grants_at_once_and_an_expired_first_invoice_ends_it_without_access() {
        assert_eq!(
            written(&[state("trialing", 100, false)]),
            vec![vec![SubscriptionCreated, SubscriptionAccessGranted]]
        );
        assert_eq!(
            written(&[state("incomplete", 100, false), state("incomplete_expired", 100, false)]),
            vec![vec![SubscriptionCreated], vec![SubscriptionEnded]]
        );
    }

    #[test]
    fn each_failed_attempt_tells_of_it_once_and_a_repeat_or_a_paid_invoice_of_nothing() {
        let steps = written(&[
            state("active", 100, false),
            invoice("in_1", 1, false),
            invoice("in_1", 1, true),
            invoice("in_1", 1, true),
            invoice("in_1", 2, true),
            state("past_due", 100, false),
            state("unpaid", 100, false),
        ]);
        assert_eq!(
            steps,
            vec![
                vec![SubscriptionCreated, SubscriptionAccessGranted],
                vec![],
                vec![SubscriptionPaymentFailed],
                vec![],
                vec![SubscriptionPaymentFailed],
                vec![SubscriptionUpdated],
                vec![SubscriptionUpdated, SubscriptionAccessRevoked],
            ]
        );
    }

    #[test]
    fn a_failed_invoice_that_comes_before_the_subscription_is_told_of_while_the_record_waits() {
        assert_eq!(
            written(&[invoice("in_1", 1, true), state("incomplete", 100, false)]),
            vec![vec![SubscriptionPaymentFailed], vec![SubscriptionCreated]]
        );
    }

    #[test]
    fn every_kind_has_its_own_name_and_reads_back() {
        let names: std::collections::BTreeSet<&str> =
            NoticeKind::ALL.iter().map(NoticeKind::as_str).collect();
        assert_eq!(names.len(), NoticeKind::ALL.len());
        for kind in NoticeKind::ALL {
            assert_eq!(kind.as_str().parse::<NoticeKind>(), Ok(kind));
        }
    }
}
