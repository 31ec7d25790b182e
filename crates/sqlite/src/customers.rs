//! The SQL for the Stripe customer kept per user: find it, or store the first one.

use crate::dialect::SqliteDialect;
use crate::error::is_unique_violation;
use crate::timestamp::timestamp;
use crate::write;
use async_trait::async_trait;
use payments_domain::{Customer, UserId};
use payments_sql_store::{CustomerSql, CustomerStored};
use sqlx::SqliteExecutor;

/// The user's customer as one JSON object (`CustomerRow`).
async fn select<'c>(executor: impl SqliteExecutor<'c>, user: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT json_object('user_id', user_id, 'stripe_customer_id', stripe_customer_id, 'email', email, \
                            'created_at', created_at) \
         FROM customers WHERE user_id = ?1",
    )
    .bind(user)
    .fetch_optional(executor)
    .await
}

#[async_trait]
impl CustomerSql for SqliteDialect {
    async fn customer(&self, user: &UserId) -> Result<Option<String>, sqlx::Error> {
        select(&self.reader, user.as_str()).await
    }

    /// The insert and the read back share one write transaction, and writes never overlap (see `write.rs`):
    /// the first insert for a user commits before any other one starts, which then finds it.
    async fn insert_customer(&self, customer: &Customer) -> Result<CustomerStored, sqlx::Error> {
        let mut tx = write::begin(&self.writer).await?;
        let inserted = sqlx::query(
            "INSERT INTO customers (user_id, stripe_customer_id, email, created_at) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (user_id) DO NOTHING",
        )
        .bind(customer.user_id.as_str())
        .bind(customer.stripe_customer_id.as_str())
        .bind(customer.email.as_str())
        .bind(timestamp(customer.created_at))
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(error) if is_unique_violation(&error, "customers.stripe_customer_id") => {
                return Ok(CustomerStored::Taken)
            }
            other => other?,
        };
        let stored = select(&mut *tx, customer.user_id.as_str()).await?.ok_or(sqlx::Error::RowNotFound)?;
        tx.commit().await?;
        Ok(CustomerStored::Row(stored))
    }
}
