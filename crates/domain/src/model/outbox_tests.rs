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
