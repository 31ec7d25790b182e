//! An order: what the customer buys, and where its payment stands.

use crate::model::email::Email;
use crate::model::ids::{CheckoutSessionId, OrderId, PaymentIntentId};
use crate::model::line_item::LineItem;
use crate::model::money::{Money, MoneyError, STRIPE_MAX_AMOUNT_MINOR};
use crate::model::order_status::OrderStatus;
use crate::model::payment_event::{EventRefs, PaymentEvent};
use crate::model::payment_facts::PaymentFacts;
use crate::model::transition::{derive_status, transition, Effect};
use crate::model::user::UserId;
use chrono::{DateTime, Utc};

/// Most line items one order may hold (Stripe's limit for a Checkout Session).
pub const MAX_LINE_ITEMS: usize = 100;

/// An order. New orders come from [`Order::new`], stored ones from [`Order::restore`]; its fields are private
/// so that its status and failure reason are always those [`transition`] derives from its facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    id: OrderId,
    email: Email,
    user_id: Option<UserId>,
    items: Vec<LineItem>,
    amount: Money,
    status: OrderStatus,
    checkout_session_id: Option<CheckoutSessionId>,
    payment_intent_id: Option<PaymentIntentId>,
    failure_reason: Option<String>,
    facts: PaymentFacts,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// A stored order's parts, as a storage adapter reads them back (see [`Order::restore`]). There is no status:
/// it is derived from `facts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOrder {
    /// The order's id.
    pub id: OrderId,
    /// Who pays.
    pub email: Email,
    /// The signed-in user who placed it.
    pub user_id: Option<UserId>,
    /// What is bought, in order.
    pub items: Vec<LineItem>,
    /// The stored total; it must be the sum of the items.
    pub amount: Money,
    /// The Checkout Session, once opened.
    pub checkout_session_id: Option<CheckoutSessionId>,
    /// The PaymentIntent, once known.
    pub payment_intent_id: Option<PaymentIntentId>,
    /// What the events so far have established.
    pub facts: PaymentFacts,
    /// When the order was created.
    pub created_at: DateTime<Utc>,
    /// When anything about the order last changed.
    pub updated_at: DateTime<Utc>,
}

/// Why an order could not be created.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    /// An order needs at least one item.
    #[error("an order needs at least one item")]
    NoItems,
    /// More than [`MAX_LINE_ITEMS`].
    #[error("an order may hold at most {MAX_LINE_ITEMS} items, got {0}")]
    TooManyItems(usize),
    /// Items priced in different currencies.
    #[error("all items must be priced in one currency")]
    MixedCurrencies,
    /// The total is above what one Checkout Session may charge.
    #[error("the order total {0} is above Stripe's limit of {STRIPE_MAX_AMOUNT_MINOR} minor units")]
    TotalTooLarge(i64),
    /// The total does not fit in an i64.
    #[error("the order total overflows")]
    Overflow,
}

/// Why a stored order cannot be restored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoredOrderError {
    /// Its items break a rule of [`Order::new`].
    #[error(transparent)]
    Invalid(#[from] OrderError),
    /// The stored total is not the sum of the stored items.
    #[error("the stored total {stored} is not the sum of the items, {computed}")]
    AmountMismatch {
        /// What was stored.
        stored: Money,
        /// The sum of the items.
        computed: Money,
    },
}

/// Why a Checkout Session cannot be recorded on an order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("order {order_id} already has checkout session {existing}, not {offered}")]
pub struct SessionConflict {
    /// The order.
    pub order_id: OrderId,
    /// The session it has.
    pub existing: CheckoutSessionId,
    /// The one offered.
    pub offered: CheckoutSessionId,
}

impl Order {
    /// A new pending order for `items`, checked against Stripe's limits.
    pub fn new(
        id: OrderId,
        email: Email,
        items: Vec<LineItem>,
        now: DateTime<Utc>,
    ) -> Result<Self, OrderError> {
        let amount = total(&items)?;
        Ok(Self {
            id,
            email,
            user_id: None,
            items,
            amount,
            status: OrderStatus::Pending,
            checkout_session_id: None,
            payment_intent_id: None,
            failure_reason: None,
            facts: PaymentFacts::default(),
            created_at: now,
            updated_at: now,
        })
    }

    /// The same order, placed by `user`.
    pub fn placed_by(mut self, user: UserId) -> Self {
        self.user_id = Some(user);
        self
    }

    /// An order as it was stored: its status and failure reason are derived from its facts again, and its
    /// total must still be the sum of its items.
    pub fn restore(stored: StoredOrder) -> Result<Self, StoredOrderError> {
        let computed = total(&stored.items)?;
        if computed != stored.amount {
            return Err(StoredOrderError::AmountMismatch { stored: stored.amount, computed });
        }
        let (status, failure_reason) = derive_status(stored.amount, &stored.facts);
        Ok(Self {
            id: stored.id,
            email: stored.email,
            user_id: stored.user_id,
            items: stored.items,
            amount: stored.amount,
            status,
            checkout_session_id: stored.checkout_session_id,
            payment_intent_id: stored.payment_intent_id,
            failure_reason,
            facts: stored.facts,
            created_at: stored.created_at,
            updated_at: stored.updated_at,
        })
    }

    /// The order's parts, as [`Order::restore`] takes them back.
    pub fn into_stored(self) -> StoredOrder {
        StoredOrder {
            id: self.id,
            email: self.email,
            user_id: self.user_id,
            items: self.items,
            amount: self.amount,
            checkout_session_id: self.checkout_session_id,
            payment_intent_id: self.payment_intent_id,
            facts: self.facts,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }

    /// The order's id.
    pub fn id(&self) -> OrderId {
        self.id
    }

    /// Who pays.
    pub fn email(&self) -> &Email {
        &self.email
    }

    /// The signed-in user who placed it; `None` for a guest checkout.
    pub fn user_id(&self) -> Option<&UserId> {
        self.user_id.as_ref()
    }

    /// What is bought, in the order given.
    pub fn items(&self) -> &[LineItem] {
        &self.items
    }

    /// The sum of the items: what Stripe must collect.
    pub fn amount(&self) -> Money {
        self.amount
    }

    /// Where the payment stands.
    pub fn status(&self) -> OrderStatus {
        self.status
    }

    /// The Checkout Session opened for the order, once Stripe has answered.
    pub fn checkout_session_id(&self) -> Option<&CheckoutSessionId> {
        self.checkout_session_id.as_ref()
    }

    /// The PaymentIntent that paid (or tried to pay) the order: the seed's `transactionId`.
    pub fn payment_intent_id(&self) -> Option<&PaymentIntentId> {
        self.payment_intent_id.as_ref()
    }

    /// Why the order is failed, expired, canceled or held, in words.
    pub fn failure_reason(&self) -> Option<&str> {
        self.failure_reason.as_deref()
    }

    /// Every id the order is known by, as an event would name them.
    pub fn refs(&self) -> EventRefs {
        EventRefs {
            order_id: Some(self.id),
            session_id: self.checkout_session_id.clone(),
            payment_intent_id: self.payment_intent_id.clone(),
        }
    }

    /// What the events so far have established.
    pub fn facts(&self) -> &PaymentFacts {
        &self.facts
    }

    /// When the order was created.
    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }

    /// When anything about the order last changed.
    pub fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }

    /// Applies one payment event through [`transition`] and says what it did. Pure: no I/O.
    pub fn apply(&mut self, event: &PaymentEvent, now: DateTime<Utc>) -> Effect {
        let next = transition(self, event);
        if matches!(next.effect, Effect::Changed { .. } | Effect::Recorded) {
            self.facts = next.facts;
            self.status = next.status;
            self.failure_reason = next.failure_reason;
            if self.payment_intent_id.is_none() {
                self.payment_intent_id = next.payment_intent_id;
            }
            if self.checkout_session_id.is_none() {
                self.checkout_session_id = event.refs.session_id.clone();
            }
            self.updated_at = now;
        }
        next.effect
    }

    /// Records the Checkout Session opened for the order. The same session again changes nothing; another
    /// one is refused, since an order has one session.
    pub fn attach_session(
        &mut self,
        session: &CheckoutSessionId,
        now: DateTime<Utc>,
    ) -> Result<(), SessionConflict> {
        match &self.checkout_session_id {
            Some(existing) if existing != session => Err(SessionConflict {
                order_id: self.id,
                existing: existing.clone(),
                offered: session.clone(),
            }),
            Some(_) => Ok(()),
            None => {
                self.checkout_session_id = Some(session.clone());
                self.updated_at = now;
                Ok(())
            }
        }
    }

    /// Records the PaymentIntent created for the order (the custom payment flow). The same one again changes
    /// nothing; false when the order has another one (it has one payment, so that one is kept).
    pub fn attach_payment_intent(&mut self, payment_intent: &PaymentIntentId, now: DateTime<Utc>) -> bool {
        match &self.payment_intent_id {
            Some(existing) => existing == payment_intent,
            None => {
                self.payment_intent_id = Some(payment_intent.clone());
                self.updated_at = now;
                true
            }
        }
    }

    /// Records that Stripe refused to open a Checkout Session, so the order is never shown as payable.
    pub fn mark_checkout_failed(&mut self, reason: &str, now: DateTime<Utc>) {
        self.facts.checkout_failed = Some(reason.to_owned());
        let (status, failure_reason) = derive_status(self.amount, &self.facts);
        self.status = status;
        self.failure_reason = failure_reason;
        self.updated_at = now;
    }
}

/// The sum of `items`, checked against Stripe's limits.
fn total(items: &[LineItem]) -> Result<Money, OrderError> {
    let first = items.first().ok_or(OrderError::NoItems)?;
    if items.len() > MAX_LINE_ITEMS {
        return Err(OrderError::TooManyItems(items.len()));
    }
    let mut amount = Money::zero(first.unit_amount().currency());
    for item in items {
        let line = item.total().map_err(|_| OrderError::Overflow)?;
        amount = amount.checked_add(line).map_err(|e| match e {
            MoneyError::CurrencyMismatch(..) => OrderError::MixedCurrencies,
            _ => OrderError::Overflow,
        })?;
    }
    if amount.minor() > STRIPE_MAX_AMOUNT_MINOR {
        return Err(OrderError::TotalTooLarge(amount.minor()));
    }
    Ok(amount)
}

#[path = "order_refunds.rs"]
mod refunds;
pub use refunds::RefundRefusal;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::money::Currency;

    fn item(minor: i64, quantity: u32, currency: &str) -> LineItem {
        LineItem::new("Thing", Money::new(minor, Currency::parse(currency).unwrap()).unwrap(), quantity, None)
            .unwrap()
    }

    fn email() -> Email {
        Email::parse("ada@example.com").unwrap()
    }

    #[test]
    fn a_new_order_is_pending_and_totals_its_items() {
        let order = Order::new(
            OrderId::new_v7(),
            email(),
            vec![item(1000, 2, "usd"), item(250, 1, "usd")],
            Utc::now(),
        )
        .unwrap();
        assert_eq!(order.amount.minor(), 2250);
        assert_eq!(order.status, OrderStatus::Pending);
        assert!(order.status.is_payable());
    }

    #[test]
    fn orders_respect_stripe_limits() {
        let now = Utc::now();
        assert_eq!(Order::new(OrderId::new_v7(), email(), vec![], now), Err(OrderError::NoItems));
        assert_eq!(
            Order::new(OrderId::new_v7(), email(), vec![item(1, 1, "usd"); 101], now),
            Err(OrderError::TooManyItems(101))
        );
        assert_eq!(
            Order::new(OrderId::new_v7(), email(), vec![item(1, 1, "usd"), item(1, 1, "eur")], now),
            Err(OrderError::MixedCurrencies)
        );
        assert_eq!(
            Order::new(
                OrderId::new_v7(),
                email(),
                vec![item(100_000, 999, "usd"), item(100_000, 1, "usd")],
                now
            ),
            Err(OrderError::TotalTooLarge(100_000_000))
        );
        assert!(Order::new(OrderId::new_v7(), email(), vec![item(99_999_999, 1, "usd")], now).is_ok());
    }

    #[test]
    fn a_failed_checkout_makes_the_order_unpayable() {
        let mut order =
            Order::new(OrderId::new_v7(), email(), vec![item(500, 1, "usd")], Utc::now()).unwrap();
        order.mark_checkout_failed("stripe unavailable", Utc::now());
        assert_eq!(order.status, OrderStatus::Canceled);
        assert!(!order.status.is_payable());
        assert_eq!(order.failure_reason.as_deref(), Some("checkout could not be opened: stripe unavailable"));
    }
}
