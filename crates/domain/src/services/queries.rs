//! Reading orders, products and purchases, as each caller may see them.

use crate::model::catalog::{Product, Sku};
use crate::model::holdings::holdings;
use crate::model::ids::{CheckoutSessionId, OrderId};
use crate::model::order::Order;
use crate::model::purchase::{completed_purchases, strongest_purchase, Purchase};
use crate::model::user::{Caller, UserId};
use crate::ports::catalog_store::CatalogStore;
use crate::ports::order_store::{OrderStore, StoreError};
use crate::ports::subscription_store::{SubscriptionQuery, SubscriptionStore};
use std::sync::Arc;

/// How many of a user's orders purchases are read from (a user with more sees the newest ones).
pub const MAX_USER_ORDERS: u32 = 1000;

/// Why an order, a product's purchase status or a list could not be read.
#[derive(Debug, thiserror::Error)]
pub enum GetOrderError {
    /// No such order or session, or one the caller may not see (never told apart).
    #[error("no such order")]
    NotFound,
    /// No such product in the catalog.
    #[error("no such product")]
    ProductNotFound,
    /// The caller gave no credentials and the answer needs them.
    #[error("sign in (or use the admin API key) to read this")]
    AuthenticationRequired,
    /// Only a signed-in user has purchases.
    #[error("only a signed-in user has purchases")]
    UsersOnly,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Reads, each checked against who asks.
#[derive(Clone)]
pub struct Queries {
    orders: Arc<dyn OrderStore>,
    subscriptions: Arc<dyn SubscriptionStore>,
    catalog: Arc<dyn CatalogStore>,
}

impl std::fmt::Debug for Queries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queries").finish_non_exhaustive()
    }
}

impl Queries {
    /// Queries over their ports.
    pub fn new(
        orders: Arc<dyn OrderStore>,
        subscriptions: Arc<dyn SubscriptionStore>,
        catalog: Arc<dyn CatalogStore>,
    ) -> Self {
        Self { orders, subscriptions, catalog }
    }

    /// The order with this id, whoever placed it (for the operator and for tests).
    pub async fn order(&self, id: OrderId) -> Result<Order, GetOrderError> {
        self.orders.find_order(id).await?.ok_or(GetOrderError::NotFound)
    }

    /// The order with this id as `caller` may see it: the admin sees every order, a user only their own
    /// (anyone else's is [`GetOrderError::NotFound`]), a guest none (a guest order is read by its session id).
    pub async fn order_for(&self, caller: &Caller, id: OrderId) -> Result<Order, GetOrderError> {
        match caller {
            Caller::Guest => Err(GetOrderError::AuthenticationRequired),
            Caller::Admin => self.order(id).await,
            Caller::User { id: user, .. } => {
                let order = self.order(id).await?;
                if order.user_id() == Some(user) {
                    Ok(order)
                } else {
                    Err(GetOrderError::NotFound)
                }
            }
        }
    }

    /// The order paid through this Checkout Session, whoever placed it.
    pub async fn order_by_session(&self, id: &CheckoutSessionId) -> Result<Order, GetOrderError> {
        self.orders.find_order_by_session(id).await?.ok_or(GetOrderError::NotFound)
    }

    /// The order paid through this Checkout Session as `caller` may see it: a guest order by anyone who holds
    /// the (unguessable) session id; a user's order only by that user or the admin.
    pub async fn order_by_session_for(
        &self,
        caller: &Caller,
        id: &CheckoutSessionId,
    ) -> Result<Order, GetOrderError> {
        let order = self.order_by_session(id).await?;
        let visible = match (order.user_id(), caller) {
            (None, _) | (Some(_), Caller::Admin) => true,
            (Some(owner), Caller::User { id: user, .. }) => owner == user,
            (Some(_), Caller::Guest) => false,
        };
        if visible {
            Ok(order)
        } else {
            Err(GetOrderError::NotFound)
        }
    }

    /// Orders as `caller` may list them: the admin every order (oldest first), a user their own (newest first).
    pub async fn orders_for(&self, caller: &Caller, limit: u32) -> Result<Vec<Order>, GetOrderError> {
        match caller {
            Caller::Guest => Err(GetOrderError::AuthenticationRequired),
            Caller::Admin => Ok(self.orders.list_orders(limit).await?),
            Caller::User { id, .. } => Ok(self.orders.list_orders_of_user(id, limit).await?),
        }
    }

    /// The products for sale, by SKU, each with its active prices only.
    pub async fn products(&self) -> Result<Vec<Product>, StoreError> {
        let mut products = self.catalog.list_products().await?;
        products.retain(|product| product.active);
        for product in &mut products {
            product.prices.retain(|price| price.active);
        }
        Ok(products)
    }

    /// Whether the user owns the product named by `sku`: the purchase of it that speaks most strongly for that
    /// (see [`PurchaseState`](crate::model::purchase::PurchaseState)), `None` when they never bought it.
    pub async fn purchase_status(
        &self,
        caller: &Caller,
        sku: &Sku,
    ) -> Result<Option<Purchase>, GetOrderError> {
        let user = user_of(caller)?;
        let products = self.catalog.list_products().await?;
        if !products.iter().any(|product| product.sku == *sku) {
            return Err(GetOrderError::ProductNotFound);
        }
        Ok(strongest_purchase(&self.holdings(user, &products).await?, sku).cloned())
    }

    /// The user's completed purchases (subscriptions that grant access included), newest first.
    pub async fn purchases(&self, caller: &Caller) -> Result<Vec<Purchase>, GetOrderError> {
        let user = user_of(caller)?;
        let products = self.catalog.list_products().await?;
        Ok(completed_purchases(self.holdings(user, &products).await?))
    }

    /// Everything `user` holds (see [`holdings`]).
    async fn holdings(&self, user: &UserId, products: &[Product]) -> Result<Vec<Purchase>, StoreError> {
        let query = SubscriptionQuery::OfUser { user, limit: MAX_USER_ORDERS };
        let (orders, subscriptions) = futures::future::try_join(
            self.orders.list_orders_of_user(user, MAX_USER_ORDERS),
            self.subscriptions.list_subscriptions(query),
        )
        .await?;
        let subscriptions: Vec<_> = subscriptions.into_iter().map(|(subscription, _)| subscription).collect();
        Ok(holdings(&orders, &subscriptions, products))
    }

    /// Whether the store answers (readiness).
    pub async fn ready(&self) -> Result<(), StoreError> {
        self.orders.ping().await
    }
}

fn user_of(caller: &Caller) -> Result<&UserId, GetOrderError> {
    match caller {
        Caller::User { id, .. } => Ok(id),
        Caller::Guest => Err(GetOrderError::AuthenticationRequired),
        Caller::Admin => Err(GetOrderError::UsersOnly),
    }
}

#[cfg(test)]
#[path = "queries_tests.rs"]
mod tests;
