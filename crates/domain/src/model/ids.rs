//! Identifiers: ours (UUID v7) and Stripe's (opaque prefixed strings).

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// An order's id: a UUID v7, so ids sort by creation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrderId(Uuid);

/// Why a string is not an order id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an order id (a UUID)")]
pub struct OrderIdError(pub String);

impl OrderId {
    /// A new, time-ordered id.
    pub fn new_v7() -> Self {
        Self(Uuid::now_v7())
    }

    /// Wraps an existing UUID (e.g. read back from storage).
    pub fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }

    /// Parses the hyphenated or simple UUID form.
    pub fn parse(raw: &str) -> Result<Self, OrderIdError> {
        Uuid::parse_str(raw.trim()).map(Self).map_err(|_| OrderIdError(raw.to_owned()))
    }

    /// The UUID.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Why a string is not a Stripe identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} id must be 1 to 255 characters of letters, digits and underscores, got {value:?}")]
pub struct StripeIdError {
    /// What the id was meant to name.
    pub kind: &'static str,
    /// The refused text.
    pub value: String,
}

macro_rules! stripe_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses an id as Stripe writes it (letters, digits, underscores).
            pub fn parse(raw: &str) -> Result<Self, StripeIdError> {
                let ok = !raw.is_empty()
                    && raw.len() <= 255
                    && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
                if ok {
                    Ok(Self(raw.to_owned()))
                } else {
                    Err(StripeIdError { kind: $kind, value: raw.chars().take(64).collect() })
                }
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = StripeIdError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }
    };
}

stripe_id!(
    /// A Stripe Checkout Session id (`cs_test_...`, `cs_live_...`).
    CheckoutSessionId,
    "checkout session"
);
stripe_id!(
    /// A Stripe PaymentIntent id (`pi_...`): the seed's `transactionId`.
    PaymentIntentId,
    "payment intent"
);
stripe_id!(
    /// A Stripe Event id (`evt_...`): the unit of webhook idempotency.
    EventId,
    "event"
);
stripe_id!(
    /// A Stripe Customer id (`cus_...`).
    CustomerId,
    "customer"
);
stripe_id!(
    /// A Stripe Product id (`prod_...`).
    StripeProductId,
    "product"
);
stripe_id!(
    /// A Stripe Subscription id (`sub_...`).
    SubscriptionId,
    "subscription"
);
stripe_id!(
    /// A Stripe Invoice id (`in_...`).
    InvoiceId,
    "invoice"
);
stripe_id!(
    /// A Stripe Price id (`price_...`).
    StripePriceId,
    "price"
);
stripe_id!(
    /// A Stripe Refund id (`re_...`, or `pyr_...` for some payment methods).
    RefundId,
    "refund"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_ids_are_uuid_v7_and_round_trip() {
        let id = OrderId::new_v7();
        assert_eq!(id.as_uuid().get_version_num(), 7);
        assert_eq!(OrderId::parse(&id.to_string()).unwrap(), id);
        assert!(OrderId::parse("not-a-uuid").is_err());
    }

    #[test]
    fn stripe_ids_accept_stripe_shapes_only() {
        assert!(CheckoutSessionId::parse("cs_test_a1B2c3").is_ok());
        assert!(EventId::parse("evt_1").is_ok());
        assert!(EventId::parse("").is_err());
        assert!(PaymentIntentId::parse("pi_1; drop table").is_err());
        assert!(EventId::parse(&"e".repeat(256)).is_err());
    }
}
