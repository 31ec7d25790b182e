//! The SQL for the Stripe customer kept per user: find it, or store the first one.

use crate::error::{is_unique_violation, store_error};
use crate::rows::CustomerRow;
use anyhow::anyhow;
use payments_domain::{Customer, StoreError, UserId};
use sqlx::PgPool;

/// Stores `customer` unless its user has one, and returns the user's stored customer.
///
/// Race-safe without a transaction: a concurrent insert for the same user makes `ON CONFLICT DO NOTHING`
/// wait until that insert commits, then do nothing; the `SELECT` that follows is a statement of its own,
/// so (in read committed) its snapshot holds the winner's row. One statement could not do both: its
/// snapshot, taken before the winner committed, would find no row at all.
pub(crate) async fn insert(pool: &PgPool, customer: &Customer) -> Result<Customer, StoreError> {
    let inserted: Option<CustomerRow> = sqlx::query_as(
        "INSERT INTO customers (user_id, stripe_customer_id, email, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id) DO NOTHING \
         RETURNING user_id, stripe_customer_id, email, created_at",
    )
    .bind(customer.user_id.as_str())
    .bind(customer.stripe_customer_id.as_str())
    .bind(customer.email.as_str())
    .bind(customer.created_at)
    .fetch_optional(pool)
    .await
    .map_err(|error| match is_unique_violation(&error, "customers_stripe_customer_id_key") {
        true => StoreError::Unknown(anyhow!(
            "Stripe customer {} is stored for another user already",
            customer.stripe_customer_id
        )),
        false => store_error(error),
    })?;
    match inserted {
        Some(row) => row.into_customer().map_err(StoreError::Unknown),
        None => find(pool, &customer.user_id).await?.ok_or_else(|| {
            StoreError::Unknown(anyhow!("user {} has a customer, yet it cannot be read", customer.user_id))
        }),
    }
}

/// The user's stored customer.
pub(crate) async fn find(pool: &PgPool, user: &UserId) -> Result<Option<Customer>, StoreError> {
    let row: Option<CustomerRow> = sqlx::query_as(
        "SELECT user_id, stripe_customer_id, email, created_at FROM customers WHERE user_id = $1",
    )
    .bind(user.as_str())
    .fetch_optional(pool)
    .await
    .map_err(store_error)?;
    row.map(|row| row.into_customer().map_err(StoreError::Unknown)).transpose()
}
