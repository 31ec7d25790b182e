//! Transaction-scoped advisory locks on the ids that lead to an order.
//!
//! An event that names only a payment intent is kept as an orphan when no order knows that payment intent.
//! Without a lock, a transaction could store such an orphan while another one gives an order that payment
//! intent and looks for orphans before the first commits: the orphan would never be adopted. Both take the
//! lock on `pi:<id>` before looking, so one of them sees the other's committed work.
//!
//! Deadlock freedom: blocking locks are only taken in one sorted batch at the start of a transaction, before
//! any row lock. Locks needed later (ids an order turns out to have) are only *tried*; if one is held
//! elsewhere, the transaction starts again with the larger set (see `unit_of_work.rs`).

use payments_domain::{CheckoutSessionId, EventRefs, Order, OrderId, PaymentIntentId};
use sqlx::PgConnection;
use std::collections::BTreeSet;

/// A set of advisory lock keys, kept sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LockSet(BTreeSet<i64>);

impl LockSet {
    /// The keys for an order id, a session and a payment intent, each when present.
    pub(crate) fn of_ids(
        order_id: Option<OrderId>,
        session_id: Option<&CheckoutSessionId>,
        payment_intent_id: Option<&PaymentIntentId>,
    ) -> Self {
        let keys = [
            order_id.map(|id| key("order", &id.to_string())),
            session_id.map(|id| key("cs", id.as_str())),
            payment_intent_id.map(|id| key("pi", id.as_str())),
        ];
        Self(keys.into_iter().flatten().collect())
    }

    /// The keys for every id an event names.
    pub(crate) fn of_event(refs: &EventRefs) -> Self {
        Self::of_ids(refs.order_id, refs.session_id.as_ref(), refs.payment_intent_id.as_ref())
    }

    /// The keys for every id an order has.
    pub(crate) fn of_order(order: &Order) -> Self {
        Self::of_ids(Some(order.id), order.checkout_session_id.as_ref(), order.payment_intent_id.as_ref())
    }

    /// The keys in `self` that `held` lacks.
    pub(crate) fn without(&self, held: &LockSet) -> LockSet {
        Self(self.0.difference(&held.0).copied().collect())
    }

    /// Adds `other`'s keys.
    pub(crate) fn extend(&mut self, other: &LockSet) {
        self.0.extend(other.0.iter().copied());
    }

    /// True when no key is in both.
    pub(crate) fn is_disjoint(&self, other: &LockSet) -> bool {
        self.0.is_disjoint(&other.0)
    }

    /// True when there are no keys.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The keys in ascending order: the order every transaction takes them in.
    pub(crate) fn sorted_keys(&self) -> Vec<i64> {
        self.0.iter().copied().collect()
    }
}

/// Takes every lock in `locks`, waiting as needed, in ascending key order (`unnest` yields the array in
/// order and each row's lock is taken as it is produced).
pub(crate) async fn lock_all(conn: &mut PgConnection, locks: &LockSet) -> Result<(), sqlx::Error> {
    if locks.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "SELECT count(*) FROM (SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS k) AS taken",
    )
    .bind(locks.sorted_keys())
    .execute(conn)
    .await?;
    Ok(())
}

/// Tries every lock in `locks` without waiting; false if any is held by another transaction.
pub(crate) async fn try_lock_all(conn: &mut PgConnection, locks: &LockSet) -> Result<bool, sqlx::Error> {
    if locks.is_empty() {
        return Ok(true);
    }
    sqlx::query_scalar("SELECT bool_and(pg_try_advisory_xact_lock(k)) FROM unnest($1::bigint[]) AS k")
        .bind(locks.sorted_keys())
        .fetch_one(conn)
        .await
        .map(|all: Option<bool>| all.unwrap_or(true))
}

/// A stable 64-bit key for `kind:id` (FNV-1a), the same in every process and release. A collision only
/// makes two unrelated transactions wait for each other.
fn key(kind: &str, id: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in kind.bytes().chain([b':']).chain(id.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    i64::from_ne_bytes(hash.to_ne_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_stable_and_distinguish_kinds() {
        assert_eq!(key("pi", "pi_1"), key("pi", "pi_1"));
        assert_ne!(key("pi", "x"), key("cs", "x"));
        let pi = PaymentIntentId::parse("pi_1").unwrap();
        let refs = EventRefs { payment_intent_id: Some(pi.clone()), ..EventRefs::default() };
        let event = LockSet::of_event(&refs);
        let all = LockSet::of_ids(Some(OrderId::new_v7()), None, Some(&pi));
        assert_eq!(all.without(&event).sorted_keys().len(), 1);
        assert!(event.without(&all).is_empty());
    }
}
