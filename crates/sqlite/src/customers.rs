//! The SQL for the Stripe customer kept per user: find it, or store the first one.

use crate::error::{is_unique_violation, store_error};
use crate::rows::CustomerRow;
use crate::timestamp::timestamp;
use crate::write;
use anyhow::anyhow;
use payments_domain::{Customer, StoreError, UserId};
use sqlx::{SqliteExecutor, SqlitePool};

/// The user's stored customer.
pub(crate) async fn find<'c>(
    executor: impl SqliteExecutor<'c>,
    user: &UserId,
) -> Result<Option<Customer>, StoreError> {
    let row: Option<CustomerRow> = sqlx::query_as(
        "SELECT user_id, stripe_customer_id, email, created_at FROM customers WHERE user_id = ?1",
    )
    .bind(user.as_str())
    .fetch_optional(executor)
    .await
    .map_err(store_error)?;
    row.map(|row| row.into_customer().map_err(StoreError::Unknown)).transpose()
}

/// Stores `customer` unless its user has one, and returns the user's stored customer. The insert and the
/// read back share one write transaction, and writes never overlap (see `write.rs`): the first insert for a
/// user commits before any other one starts, which then finds it.
pub(crate) async fn insert(writer: &SqlitePool, customer: &Customer) -> Result<Customer, StoreError> {
    let mut tx = write::begin(writer).await?;
    sqlx::query(
        "INSERT INTO customers (user_id, stripe_customer_id, email, created_at) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (user_id) DO NOTHING",
    )
    .bind(customer.user_id.as_str())
    .bind(customer.stripe_customer_id.as_str())
    .bind(customer.email.as_str())
    .bind(timestamp(customer.created_at))
    .execute(&mut *tx)
    .await
    .map_err(|error| match is_unique_violation(&error, "customers.stripe_customer_id") {
        true => StoreError::Unknown(anyhow!(
            "Stripe customer {} is stored for another user already",
            customer.stripe_customer_id
        )),
        false => store_error(error),
    })?;
    let stored = find(&mut *tx, &customer.user_id).await?.ok_or_else(|| {
        StoreError::Unknown(anyhow!(
            "the customer of user {} was stored, yet it cannot be read",
            customer.user_id
        ))
    })?;
    tx.commit().await.map_err(store_error)?;
    Ok(stored)
}
