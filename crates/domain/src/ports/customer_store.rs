//! Where the Stripe customer of each user is kept.

use crate::model::user::{Customer, UserId};
use crate::ports::order_store::StoreError;
use async_trait::async_trait;

/// One Stripe customer per user.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait CustomerStore: Send + Sync + 'static {
    /// The user's customer, if one was stored.
    /// Errors: [`StoreError::Unavailable`]; [`StoreError::Unknown`].
    async fn find_customer(&self, user: &UserId) -> Result<Option<Customer>, StoreError>;

    /// Stores `customer` unless the user has one already, and returns the user's stored customer: the
    /// first one stored wins, so two racing first checkouts end up with one.
    /// Errors: [`StoreError::Unavailable`]; [`StoreError::Unknown`].
    async fn insert_customer(&self, customer: &Customer) -> Result<Customer, StoreError>;
}
