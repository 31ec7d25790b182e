//! The Stripe customer kept per user: none until stored, then the first one stored, whatever races it.

use super::concurrency::all_at_once;
use crate::fixtures::{customer, customer_id, user_id};
use crate::Harness;
use chrono::Duration;
use futures::future::FutureExt;
use payments_domain::StoreError;

/// A user nobody stored a customer for has none, even when other users have one.
pub async fn a_user_without_a_customer_has_no_customer(harness: &impl Harness) {
    let customers = harness.customers();
    let (user, other) = (user_id(), user_id());
    assert_eq!(customers.find_customer(&user).await.expect("find_customer"), None);
    let others = customer(&other, customer_id(), "grace@example.com");
    customers.insert_customer(&others).await.expect("insert_customer");
    assert_eq!(customers.find_customer(&user).await.expect("find_customer"), None);
    assert_eq!(customers.find_customer(&other).await.expect("find_customer"), Some(others));
    assert!(harness.stored_customer_ids(&user).await.is_empty());
}

/// `insert_customer` stores the first customer of a user and returns it; a later one for the same user is
/// not stored, and the call returns the first instead.
pub async fn the_first_customer_stored_for_a_user_wins(harness: &impl Harness) {
    let customers = harness.customers();
    let user = user_id();
    let first = customer(&user, customer_id(), "ada@example.com");
    assert_eq!(customers.insert_customer(&first).await.expect("insert_customer"), first);

    let mut second = customer(&user, customer_id(), "ada.lovelace@example.com");
    second.created_at = first.created_at + Duration::seconds(1);
    assert_eq!(customers.insert_customer(&second).await.expect("insert_customer"), first);
    assert_eq!(customers.find_customer(&user).await.expect("find_customer"), Some(first.clone()));
    assert_eq!(harness.stored_customer_ids(&user).await, [first.stripe_customer_id.to_string()]);
}

/// 32 first checkouts of one user at once, each with a customer of its own: every call succeeds and
/// returns the same customer, one of theirs, which is the one stored, alone.
pub async fn thirty_two_first_customers_of_one_user_at_once_store_one(harness: &impl Harness) {
    let user = user_id();
    let candidates: Vec<_> =
        (0..32).map(|n| customer(&user, customer_id(), &format!("ada+{n}@example.com"))).collect();
    let inserts = candidates.iter().cloned().map(|candidate| {
        let customers = harness.customers();
        async move { customers.insert_customer(&candidate).await }.boxed()
    });
    let results = all_at_once(inserts.collect()).await;

    let failures: Vec<_> = results.iter().filter(|result| result.is_err()).collect();
    assert!(failures.is_empty(), "{} of 32 inserts failed: {failures:?}", failures.len());
    let returned: Vec<_> = results.into_iter().map(|result| result.expect("checked above")).collect();
    let winner = returned[0].clone();
    assert!(returned.iter().all(|customer| *customer == winner), "all get one customer: {returned:?}");
    assert!(candidates.contains(&winner), "the winner is one of the candidates: {winner:?}");
    let customers = harness.customers();
    assert_eq!(customers.find_customer(&user).await.expect("find_customer"), Some(winner.clone()));
    assert_eq!(harness.stored_customer_ids(&user).await, [winner.stripe_customer_id.to_string()]);
}

/// A Stripe customer belongs to one user: storing it for another one is [`StoreError::Unknown`], and that
/// user still has none.
pub async fn a_stripe_customer_of_one_user_is_refused_for_another(harness: &impl Harness) {
    let customers = harness.customers();
    let (user, other) = (user_id(), user_id());
    let first = customer(&user, customer_id(), "ada@example.com");
    customers.insert_customer(&first).await.expect("insert_customer");
    let refused = customers
        .insert_customer(&customer(&other, first.stripe_customer_id.clone(), "grace@example.com"))
        .await;
    match refused {
        Err(StoreError::Unknown(error)) => {
            assert!(error.to_string().contains(first.stripe_customer_id.as_str()), "{error}");
        }
        other => panic!("expected StoreError::Unknown, got {other:?}"),
    }
    assert_eq!(customers.find_customer(&other).await.expect("find_customer"), None);
    assert_eq!(customers.find_customer(&user).await.expect("find_customer"), Some(first));
}
