//! Holdings: one-time purchases from orders, subscriptions from their records, the record in place of the
//! order line that started it.

use super::*;
use crate::model::catalog::{CatalogPrice, CatalogRef, Interval, PriceKey, Recurring};
use crate::model::email::Email;
use crate::model::ids::{CustomerId, EventId, StripePriceId};
use crate::model::line_item::LineItem;
use crate::model::money::{Currency, Money};
use crate::model::order_status::OrderStatus;
use crate::model::payment_facts::PaymentFacts;
use crate::model::purchase::{completed_purchases, purchase_state, PurchaseState};
use crate::model::subscription::{BillingSnapshot, SubscriptionLinks, SubscriptionSnapshot};
use chrono::TimeZone;

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap() + chrono::Duration::minutes(minutes)
}

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::USD).unwrap()
}

fn sku(name: &str) -> Sku {
    Sku::parse(name).unwrap()
}

/// A course sold once, and a membership sold monthly (synced to Stripe as `price_member`).
fn products() -> Vec<Product> {
    let once = CatalogPrice::new(PriceKey::parse("course-usd").unwrap(), usd(4900), None).unwrap();
    let course = Product::new(sku("course"), "Course", None, None, vec![once]).unwrap();
    let monthly = Recurring { interval: Interval::Month, interval_count: 1 };
    let mut plan =
        CatalogPrice::new(PriceKey::parse("member-monthly").unwrap(), usd(900), Some(monthly)).unwrap();
    plan.stripe_price_id = Some(StripePriceId::parse("price_member").unwrap());
    let member = Product::new(sku("member"), "Membership", None, None, vec![plan]).unwrap();
    vec![course, member]
}

fn line(name: &str, price: &str) -> LineItem {
    LineItem::new(name, usd(900), 1, None)
        .unwrap()
        .with_catalog(CatalogRef { sku: sku(name), price_id: PriceKey::parse(price).unwrap() })
}

fn order(status: OrderStatus, lines: Vec<LineItem>, minutes: i64) -> Order {
    let order = Order::new(OrderId::new_v7(), Email::parse("a@b.co").unwrap(), lines, at(minutes)).unwrap();
    let mut stored = order.into_stored();
    stored.facts = PaymentFacts::leading_to(status, stored.amount);
    Order::restore(stored).unwrap()
}

fn subscription(id: &str, status: &str, links: SubscriptionLinks, price: Option<&str>) -> Subscription {
    let mut record = Subscription::new(SubscriptionId::parse(id).unwrap());
    let snapshot = BillingSnapshot::Subscription(SubscriptionSnapshot {
        id: record.id().clone(),
        customer: CustomerId::parse("cus_1").unwrap(),
        status: SubscriptionStatus::parse(status),
        current_period_end: Some(at(60 * 24 * 30)),
        cancel_at_period_end: false,
        canceled_at: None,
        trial_end: None,
        price: price.map(|price| StripePriceId::parse(price).unwrap()),
        links,
    });
    record.merge(&snapshot, at(5), &EventId::parse(&format!("evt_{id}")).unwrap());
    record
}

fn started_by(order: &Order) -> SubscriptionLinks {
    SubscriptionLinks {
        order_id: Some(order.id()),
        sku: Some(sku("member")),
        price_key: Some(PriceKey::parse("member-monthly").unwrap()),
        user_id: None,
    }
}

#[test]
fn a_subscriptions_record_speaks_for_the_order_line_that_started_it() {
    let paid =
        order(OrderStatus::Paid, vec![line("course", "course-usd"), line("member", "member-monthly")], 0);
    let before = holdings(std::slice::from_ref(&paid), &[], &products());
    assert_eq!(
        purchase_state(&before, &sku("member")),
        PurchaseState::Status(PurchaseStatus::Completed),
        "the first payment grants it until the subscription's record arrives"
    );
    for (status, expected) in [
        ("active", PurchaseStatus::Completed),
        ("trialing", PurchaseStatus::Completed),
        ("past_due", PurchaseStatus::Completed),
        ("incomplete", PurchaseStatus::Pending),
        ("canceled", PurchaseStatus::Ended),
        ("unpaid", PurchaseStatus::Ended),
        ("incomplete_expired", PurchaseStatus::Ended),
        ("paused", PurchaseStatus::Ended),
    ] {
        let record = subscription("sub_1", status, started_by(&paid), None);
        let held = holdings(std::slice::from_ref(&paid), &[record], &products());
        assert_eq!(purchase_state(&held, &sku("member")), PurchaseState::Status(expected), "{status}");
        assert_eq!(
            purchase_state(&held, &sku("course")),
            PurchaseState::Status(PurchaseStatus::Completed),
            "the one-time line stays the order's"
        );
        let member: Vec<_> = held.iter().filter(|p| p.sku == sku("member")).collect();
        assert_eq!(member.len(), 1, "one purchase for the subscription, not two: {status}");
        let access = member[0].subscription.as_ref().expect("it says which subscription");
        assert_eq!((access.id.as_str(), access.status.as_str()), ("sub_1", status));
        assert_eq!(member[0].created_at, paid.created_at(), "bought when its order was placed");
    }
}

#[test]
fn a_subscription_started_elsewhere_is_held_by_its_stripe_price_and_one_without_a_product_is_not() {
    let dashboard = subscription("sub_2", "active", SubscriptionLinks::default(), Some("price_member"));
    let unknown = subscription("sub_3", "active", SubscriptionLinks::default(), Some("price_other"));
    let held = holdings(&[], &[dashboard, unknown], &products());
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!((held[0].sku.as_str(), held[0].order_id), ("member", None));
    assert_eq!(completed_purchases(held).len(), 1);
}

#[test]
fn an_ended_subscription_leaves_no_completed_purchase() {
    let paid = order(OrderStatus::Paid, vec![line("member", "member-monthly")], 0);
    let ended = subscription("sub_1", "canceled", started_by(&paid), None);
    assert!(completed_purchases(holdings(&[paid], &[ended], &products())).is_empty());
}
