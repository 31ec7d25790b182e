//! Where an order stands.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The status of an order, as clients and storage see it.
///
/// It is always derived from the order's [`PaymentFacts`](crate::PaymentFacts) by
/// [`transition`](crate::transition), never set by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Created; no payment outcome yet (also while a delayed payment method settles).
    Pending,
    /// Paid in full, with the amount and currency the order asked for.
    Paid,
    /// The last attempt was declined, or a delayed payment failed. A later success still wins.
    Failed,
    /// The Checkout Session expired unpaid.
    Expired,
    /// Never payable: Stripe refused to open a session, or the payment was canceled.
    Canceled,
    /// Paid, then refunded in full.
    Refunded,
    /// Paid, then refunded in part.
    PartiallyRefunded,
    /// Paid, then disputed; stays here while a dispute is open or after one was lost.
    Disputed,
    /// Paid with an amount or currency other than the order's: held for a person to review.
    NeedsReview,
}

impl OrderStatus {
    /// Every status, for exhaustive tests and storage checks.
    pub const ALL: [OrderStatus; 9] = [
        OrderStatus::Pending,
        OrderStatus::Paid,
        OrderStatus::Failed,
        OrderStatus::Expired,
        OrderStatus::Canceled,
        OrderStatus::Refunded,
        OrderStatus::PartiallyRefunded,
        OrderStatus::Disputed,
        OrderStatus::NeedsReview,
    ];

    /// The snake_case name used on the wire and in storage.
    pub fn as_str(&self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Paid => "paid",
            OrderStatus::Failed => "failed",
            OrderStatus::Expired => "expired",
            OrderStatus::Canceled => "canceled",
            OrderStatus::Refunded => "refunded",
            OrderStatus::PartiallyRefunded => "partially_refunded",
            OrderStatus::Disputed => "disputed",
            OrderStatus::NeedsReview => "needs_review",
        }
    }

    /// True once money has been received for the order (whatever happened after).
    pub fn is_paid_family(&self) -> bool {
        matches!(
            self,
            OrderStatus::Paid
                | OrderStatus::Refunded
                | OrderStatus::PartiallyRefunded
                | OrderStatus::Disputed
                | OrderStatus::NeedsReview
        )
    }

    /// True when a customer may still pay for the order.
    pub fn is_payable(&self) -> bool {
        matches!(self, OrderStatus::Pending | OrderStatus::Failed)
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored status name that is not one of [`OrderStatus::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown order status {0:?}")]
pub struct UnknownStatus(pub String);

impl FromStr for OrderStatus {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OrderStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips_through_its_name() {
        for status in OrderStatus::ALL {
            assert_eq!(status.as_str().parse::<OrderStatus>().unwrap(), status);
            assert_eq!(serde_json::to_string(&status).unwrap(), format!("\"{status}\""));
        }
        assert!("shipped".parse::<OrderStatus>().is_err());
    }
}
