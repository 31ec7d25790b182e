//! The SQL for the Stripe customer kept per user: find it, or store the first one.

use crate::dialect::PgDialect;
use crate::error::is_unique_violation;
use async_trait::async_trait;
use payments_domain::{Customer, UserId};
use payments_sql_store::{CustomerSql, CustomerStored};

/// A customer as one JSON object (`CustomerRow`), from `customers c`.
const CUSTOMER_JSON: &str =
    "json_build_object('user_id', c.user_id, 'stripe_customer_id', c.stripe_customer_id, \
                                               'email', c.email, 'created_at', c.created_at)::text";

#[async_trait]
impl CustomerSql for PgDialect {
    async fn customer(&self, user: &UserId) -> Result<Option<String>, sqlx::Error> {
        sqlx::query_scalar(&format!("SELECT {CUSTOMER_JSON} FROM customers c WHERE c.user_id = $1"))
            .bind(user.as_str())
            .fetch_optional(&self.pool)
            .await
    }

    /// Race-safe without a transaction: a concurrent insert for the same user makes `ON CONFLICT DO NOTHING`
    /// wait until that insert commits, then do nothing; the `SELECT` that follows is a statement of its own,
    /// so (in read committed) its snapshot holds the winner's row. One statement could not do both: its
    /// snapshot, taken before the winner committed, would find no row at all.
    async fn insert_customer(&self, customer: &Customer) -> Result<CustomerStored, sqlx::Error> {
        let inserted = sqlx::query(
            "INSERT INTO customers (user_id, stripe_customer_id, email, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id) DO NOTHING",
        )
        .bind(customer.user_id.as_str())
        .bind(customer.stripe_customer_id.as_str())
        .bind(customer.email.as_str())
        .bind(customer.created_at)
        .execute(&self.pool)
        .await;
        match inserted {
            Err(error) if is_unique_violation(&error, "customers_stripe_customer_id_key") => {
                return Ok(CustomerStored::Taken)
            }
            other => other?,
        };
        let stored = self.customer(&customer.user_id).await?;
        stored.map(CustomerStored::Row).ok_or(sqlx::Error::RowNotFound)
    }
}
