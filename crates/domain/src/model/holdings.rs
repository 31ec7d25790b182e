//! What a user holds: the one-time purchases their orders grant, and the subscriptions they pay for.
//!
//! A subscription's product is held while the subscription grants access (trialing, active, past due), whatever
//! became of the order whose checkout started it: the order records the first payment, the subscription's
//! record every later one, and its end. So an order line for a recurring price grants its product only until a
//! record of the subscription it started has arrived; from then on, the record speaks for it.

use crate::model::catalog::{Product, Sku};
use crate::model::ids::{OrderId, SubscriptionId};
use crate::model::order::Order;
use crate::model::purchase::{purchases_of, Purchase, PurchaseStatus};
use crate::model::subscription::{Subscription, SubscriptionStatus};
use chrono::{DateTime, Utc};

/// Where a subscription a purchase comes from stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionAccess {
    /// `sub_...`.
    pub id: SubscriptionId,
    /// Stripe's status.
    pub status: SubscriptionStatus,
    /// When the paid period ends: the next renewal, or the end of access when it is set to cancel then.
    pub current_period_end: Option<DateTime<Utc>>,
    /// Set to end at the period's end.
    pub cancel_at_period_end: bool,
}

impl PurchaseStatus {
    /// The status of the purchase a subscription in `status` grants: completed while it grants access,
    /// pending while its first invoice is unpaid, ended once it no longer grants access.
    pub fn of_subscription(status: &SubscriptionStatus) -> Self {
        match status {
            status if status.grants_access() => PurchaseStatus::Completed,
            SubscriptionStatus::Incomplete => PurchaseStatus::Pending,
            _ => PurchaseStatus::Ended,
        }
    }
}

/// The purchase `subscription` grants, if its own snapshot has arrived and it names a catalog product (by the
/// product its checkout named, else by its Stripe price). `started` is the order its checkout made, if known.
fn subscription_purchase(
    subscription: &Subscription,
    products: &[Product],
    started: Option<&Order>,
) -> Option<Purchase> {
    let seen = subscription.state()?;
    let snapshot = &seen.snapshot;
    let product = match &snapshot.links.sku {
        Some(sku) => products.iter().find(|product| product.sku == *sku),
        None => products.iter().find(|product| {
            product
                .prices
                .iter()
                .any(|price| price.stripe_price_id.is_some() && price.stripe_price_id == snapshot.price)
        }),
    }?;
    Some(Purchase {
        sku: product.sku.clone(),
        name: product.name.clone(),
        order_id: snapshot.links.order_id,
        status: PurchaseStatus::of_subscription(&snapshot.status),
        subscription: Some(SubscriptionAccess {
            id: subscription.id().clone(),
            status: snapshot.status.clone(),
            current_period_end: snapshot.current_period_end,
            cancel_at_period_end: snapshot.cancel_at_period_end,
        }),
        created_at: started.map_or(seen.at, Order::created_at),
        updated_at: seen.at,
    })
}

/// Every purchase of a user whose orders are `orders` and subscriptions `subscriptions`: each order's one-time
/// products, and each subscription's product (in place of the order line that started it). Unordered.
pub fn holdings(orders: &[Order], subscriptions: &[Subscription], products: &[Product]) -> Vec<Purchase> {
    let from_subscriptions: Vec<Purchase> = subscriptions
        .iter()
        .filter_map(|subscription| {
            let order_id = subscription.state()?.snapshot.links.order_id;
            let started = orders.iter().find(|order| Some(order.id()) == order_id);
            subscription_purchase(subscription, products, started)
        })
        .collect();
    let covered = |order: OrderId, sku: &Sku| {
        from_subscriptions.iter().any(|purchase| purchase.order_id == Some(order) && purchase.sku == *sku)
    };
    orders
        .iter()
        .flat_map(purchases_of)
        .filter(|purchase| purchase.order_id.is_none_or(|order| !covered(order, &purchase.sku)))
        .chain(from_subscriptions.iter().cloned())
        .collect()
}

#[cfg(test)]
#[path = "holdings_tests.rs"]
mod tests;
