//! Purchases: what a user owns, one per catalog product in each of their orders (and one per subscription:
//! see [`crate::model::holdings`]).
//!
//! A purchase is read off its order (status and payment facts), never stored apart from it, so it changes in
//! the same transaction as the order and can never disagree with it: a paid order grants its products, a
//! full refund or a lost dispute revokes them.

use crate::model::catalog::Sku;
use crate::model::holdings::SubscriptionAccess;
use crate::model::ids::OrderId;
use crate::model::order::Order;
use crate::model::order_status::OrderStatus;
use crate::model::payment_event::DisputeOutcome;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Where one purchase stands (the seed's statuses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PurchaseStatus {
    /// Checkout started or payment settling (also an order held for review).
    Pending,
    /// Paid: the user owns the product (also while a dispute is open or after one was won, and after a
    /// partial refund).
    Completed,
    /// The payment failed, the session expired or was canceled.
    Failed,
    /// Revoked: fully refunded, or a dispute was lost.
    Refunded,
    /// A subscription that no longer grants its product: canceled, unpaid, expired or paused.
    Ended,
}

impl PurchaseStatus {
    /// The seed's word for it.
    pub fn as_str(&self) -> &'static str {
        match self {
            PurchaseStatus::Pending => "pending",
            PurchaseStatus::Completed => "completed",
            PurchaseStatus::Failed => "failed",
            PurchaseStatus::Refunded => "refunded",
            PurchaseStatus::Ended => "ended",
        }
    }

    /// The status of the purchases an order grants.
    ///
    /// | order                                   | purchase  |
    /// |-----------------------------------------|-----------|
    /// | pending, needs_review                   | pending   |
    /// | paid, partially_refunded                | completed |
    /// | disputed, no dispute lost               | completed |
    /// | disputed, a dispute lost                | refunded  |
    /// | refunded                                | refunded  |
    /// | failed, expired, canceled               | failed    |
    pub fn of_order(order: &Order) -> Self {
        match order.status() {
            OrderStatus::Pending | OrderStatus::NeedsReview => PurchaseStatus::Pending,
            OrderStatus::Paid | OrderStatus::PartiallyRefunded => PurchaseStatus::Completed,
            OrderStatus::Disputed => {
                let lost =
                    order.facts().disputes.values().any(|outcome| *outcome == Some(DisputeOutcome::Lost));
                if lost {
                    PurchaseStatus::Refunded
                } else {
                    PurchaseStatus::Completed
                }
            }
            OrderStatus::Refunded => PurchaseStatus::Refunded,
            OrderStatus::Failed | OrderStatus::Expired | OrderStatus::Canceled => PurchaseStatus::Failed,
        }
    }

    /// How strongly a status speaks for the user owning the product, when several orders hold it.
    fn rank(self) -> u8 {
        match self {
            PurchaseStatus::Completed => 3,
            PurchaseStatus::Pending => 2,
            PurchaseStatus::Refunded | PurchaseStatus::Ended => 1,
            PurchaseStatus::Failed => 0,
        }
    }
}

/// What the purchase-status endpoint answers for a user and a product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurchaseState {
    /// No order of the user holds the product.
    NotPurchased,
    /// The strongest status among the user's purchases of it: completed, then pending, refunded, failed.
    Status(PurchaseStatus),
}

impl PurchaseState {
    /// The seed's words: "not purchased", "pending", "completed", "failed", "refunded"; and "ended" for a
    /// subscription that no longer grants its product.
    pub fn as_str(&self) -> &'static str {
        match self {
            PurchaseState::NotPurchased => "not purchased",
            PurchaseState::Status(status) => status.as_str(),
        }
    }
}

/// One product bought in one order, or subscribed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purchase {
    /// The product.
    pub sku: Sku,
    /// The product's name as sold.
    pub name: String,
    /// The order (a subscription started outside this service's checkout has none).
    pub order_id: Option<OrderId>,
    /// Where it stands.
    pub status: PurchaseStatus,
    /// The subscription it comes from, if it does.
    pub subscription: Option<SubscriptionAccess>,
    /// When the order was placed (the subscription first seen, without an order).
    pub created_at: DateTime<Utc>,
    /// When the order (or the subscription) last changed.
    pub updated_at: DateTime<Utc>,
}

/// The purchases an order grants: one per catalog product in it (lines without a catalog reference grant
/// nothing), in line order.
pub fn purchases_of(order: &Order) -> Vec<Purchase> {
    let status = PurchaseStatus::of_order(order);
    let mut seen = BTreeSet::new();
    order
        .items()
        .iter()
        .filter_map(|item| item.catalog().map(|catalog| (item, catalog)))
        .filter(|(_, catalog)| seen.insert(catalog.sku.clone()))
        .map(|(item, catalog)| Purchase {
            sku: catalog.sku.clone(),
            name: item.name().to_owned(),
            order_id: Some(order.id()),
            status,
            subscription: None,
            created_at: order.created_at(),
            updated_at: order.updated_at(),
        })
        .collect()
}

/// The purchase of `sku` that speaks most strongly for the user owning it (see [`PurchaseState`]), if any.
pub fn strongest_purchase<'a>(
    purchases: impl IntoIterator<Item = &'a Purchase>,
    sku: &Sku,
) -> Option<&'a Purchase> {
    purchases
        .into_iter()
        .filter(|purchase| purchase.sku == *sku)
        .max_by_key(|purchase| purchase.status.rank())
}

/// The state of `sku` for a user whose purchases are `purchases`.
pub fn purchase_state<'a>(purchases: impl IntoIterator<Item = &'a Purchase>, sku: &Sku) -> PurchaseState {
    strongest_purchase(purchases, sku)
        .map_or(PurchaseState::NotPurchased, |purchase| PurchaseState::Status(purchase.status))
}

/// The completed ones of `purchases`, newest first (ties by order id; the sort is stable, so line order
/// stays).
pub fn completed_purchases(purchases: impl IntoIterator<Item = Purchase>) -> Vec<Purchase> {
    let mut completed: Vec<Purchase> =
        purchases.into_iter().filter(|purchase| purchase.status == PurchaseStatus::Completed).collect();
    completed.sort_by_key(|purchase| std::cmp::Reverse((purchase.created_at, purchase.order_id)));
    completed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::catalog::{CatalogRef, PriceKey};
    use crate::model::email::Email;
    use crate::model::line_item::LineItem;
    use crate::model::money::{Currency, Money};
    use crate::model::payment_facts::PaymentFacts;
    use chrono::{Duration, TimeZone};

    fn line(sku: Option<&str>) -> LineItem {
        let item = LineItem::new("Thing", Money::new(500, Currency::USD).unwrap(), 1, None).unwrap();
        match sku {
            Some(sku) => item.with_catalog(CatalogRef {
                sku: Sku::parse(sku).unwrap(),
                price_id: PriceKey::parse(&format!("{sku}-usd")).unwrap(),
            }),
            None => item,
        }
    }

    fn order(status: OrderStatus, skus: &[Option<&str>], minutes: i64) -> Order {
        let at = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap() + Duration::minutes(minutes);
        let items = skus.iter().map(|sku| line(*sku)).collect();
        let order = Order::new(OrderId::new_v7(), Email::parse("a@b.co").unwrap(), items, at).unwrap();
        with_facts(order, |facts, amount| *facts = PaymentFacts::leading_to(status, amount))
    }

    /// `order` with its facts changed by `change`.
    fn with_facts(order: Order, change: impl FnOnce(&mut PaymentFacts, Money)) -> Order {
        let mut stored = order.into_stored();
        change(&mut stored.facts, stored.amount);
        Order::restore(stored).unwrap()
    }

    #[test]
    fn every_order_status_maps_to_a_purchase_status() {
        let cases = [
            (OrderStatus::Pending, PurchaseStatus::Pending),
            (OrderStatus::NeedsReview, PurchaseStatus::Pending),
            (OrderStatus::Paid, PurchaseStatus::Completed),
            (OrderStatus::PartiallyRefunded, PurchaseStatus::Completed),
            (OrderStatus::Disputed, PurchaseStatus::Completed),
            (OrderStatus::Refunded, PurchaseStatus::Refunded),
            (OrderStatus::Failed, PurchaseStatus::Failed),
            (OrderStatus::Expired, PurchaseStatus::Failed),
            (OrderStatus::Canceled, PurchaseStatus::Failed),
        ];
        for (order_status, expected) in cases {
            assert_eq!(
                PurchaseStatus::of_order(&order(order_status, &[Some("a")], 0)),
                expected,
                "{order_status:?}"
            );
        }
    }

    #[test]
    fn a_lost_dispute_revokes_and_a_won_one_does_not() {
        let mut disputed = order(OrderStatus::Disputed, &[Some("a")], 0);
        assert_eq!(PurchaseStatus::of_order(&disputed), PurchaseStatus::Completed);
        disputed = with_facts(disputed, |facts, _| facts.dispute("dp_1", Some(DisputeOutcome::Won)));
        assert_eq!(PurchaseStatus::of_order(&disputed), PurchaseStatus::Completed);
        disputed = with_facts(disputed, |facts, _| facts.dispute("dp_2", Some(DisputeOutcome::Lost)));
        assert_eq!(disputed.status(), OrderStatus::Disputed);
        assert_eq!(PurchaseStatus::of_order(&disputed), PurchaseStatus::Refunded);
    }

    #[test]
    fn an_order_grants_one_purchase_per_catalog_product() {
        let paid = order(OrderStatus::Paid, &[Some("a"), None, Some("b"), Some("a")], 0);
        let purchases = purchases_of(&paid);
        let skus: Vec<&str> = purchases.iter().map(|p| p.sku.as_str()).collect();
        assert_eq!(skus, ["a", "b"]);
        assert!(purchases
            .iter()
            .all(|p| p.order_id == Some(paid.id()) && p.status == PurchaseStatus::Completed));
    }

    fn all<'a>(orders: impl IntoIterator<Item = &'a Order>) -> Vec<Purchase> {
        orders.into_iter().flat_map(purchases_of).collect()
    }

    #[test]
    fn the_strongest_status_across_orders_wins() {
        let a = Sku::parse("a").unwrap();
        let failed = order(OrderStatus::Failed, &[Some("a")], 0);
        let refunded = order(OrderStatus::Refunded, &[Some("a")], 1);
        let pending = order(OrderStatus::Pending, &[Some("a")], 2);
        let paid = order(OrderStatus::Paid, &[Some("a")], 3);
        let other = order(OrderStatus::Paid, &[Some("b")], 4);
        assert_eq!(purchase_state(&all([&other]), &a), PurchaseState::NotPurchased);
        assert_eq!(purchase_state(&all([&failed]), &a), PurchaseState::Status(PurchaseStatus::Failed));
        assert_eq!(
            purchase_state(&all([&failed, &refunded]), &a),
            PurchaseState::Status(PurchaseStatus::Refunded)
        );
        assert_eq!(
            purchase_state(&all([&refunded, &pending]), &a),
            PurchaseState::Status(PurchaseStatus::Pending)
        );
        assert_eq!(
            purchase_state(&all([&paid, &failed, &pending]), &a),
            PurchaseState::Status(PurchaseStatus::Completed)
        );
        assert_eq!(PurchaseState::NotPurchased.as_str(), "not purchased");
    }

    #[test]
    fn completed_purchases_are_listed_newest_first() {
        let old = order(OrderStatus::Paid, &[Some("a")], 0);
        let new = order(OrderStatus::PartiallyRefunded, &[Some("b"), Some("c")], 10);
        let failed = order(OrderStatus::Failed, &[Some("d")], 20);
        let listed = completed_purchases(all([&old, &failed, &new]));
        let skus: Vec<&str> = listed.iter().map(|p| p.sku.as_str()).collect();
        assert_eq!(skus, ["b", "c", "a"]);
    }
}
