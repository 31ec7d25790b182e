//! Refunds issued through the service: by the operator, or by the user who placed the order if the operator
//! allows it.
//!
//! Each request is first written on its order under the caller's idempotency key, holding its amount back
//! from what is left to refund (a write at the order's row version, so of two requests for the rest of one
//! order only one is written, on any number of instances); only then is Stripe asked, with a key derived
//! from the caller's. Stripe's answer is written back; its events settle the refund later, in any order.

use crate::model::ids::OrderId;
use crate::model::money::Money;
use crate::model::order::{Order, RefundRefusal};
use crate::model::refund::{Refund, RefundAsk, RefundRequest, Refunder};
use crate::model::user::Caller;
use crate::ports::clock::Clock;
use crate::ports::order_store::{OrderStore, StoreError};
use crate::ports::payment_gateway::GatewayError;
use crate::ports::refund_gateway::{NewRefund, RefundGateway};
use crate::services::record::change_order_with;
use std::sync::Arc;

/// Longest idempotency key taken, in characters (Stripe takes 255; the derived key adds the order id).
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 200;

/// Who may refund what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefundSettings {
    /// Users may refund their own orders (`refunds.allow_users`).
    pub allow_users: bool,
    /// For how many days after an order was placed its user may refund it (`refunds.window_days`).
    pub window_days: u32,
}

impl Default for RefundSettings {
    fn default() -> Self {
        Self { allow_users: false, window_days: 30 }
    }
}

/// Why a refund was not issued or listed.
#[derive(Debug, thiserror::Error)]
pub enum RefundError {
    /// No such order, or one the caller may not see (never told apart).
    #[error("no such order")]
    NotFound,
    /// The caller gave no credentials.
    #[error("sign in (or use the admin API key) to refund an order")]
    AuthenticationRequired,
    /// Users may not refund orders here, or this order's window has closed.
    #[error("{0}")]
    NotAllowed(String),
    /// The idempotency key is empty, too long or not printable ASCII.
    #[error("the Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_CHARS} printable ASCII characters")]
    InvalidKey,
    /// The order cannot give this refund.
    #[error(transparent)]
    Refused(RefundRefusal),
    /// Stripe refused the refund; nothing was refunded, and the amount is free again.
    #[error("Stripe refused the refund: {0}")]
    Rejected(String),
    /// Stripe could not be asked, or did not answer: the amount stays held until the same key is sent again.
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<RefundRefusal> for RefundError {
    fn from(refusal: RefundRefusal) -> Self {
        RefundError::Refused(refusal)
    }
}

/// A refund the service asked Stripe for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedRefund {
    /// The order refunded.
    pub order_id: OrderId,
    /// The refund, as last known.
    pub refund: Refund,
}

/// Refunds through the service.
#[derive(Clone)]
pub struct Refunds {
    orders: Arc<dyn OrderStore>,
    gateway: Arc<dyn RefundGateway>,
    clock: Arc<dyn Clock>,
    settings: RefundSettings,
}

impl std::fmt::Debug for Refunds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Refunds").field("settings", &self.settings).finish_non_exhaustive()
    }
}

impl Refunds {
    /// Refunds over these ports.
    pub fn new(
        orders: Arc<dyn OrderStore>,
        gateway: Arc<dyn RefundGateway>,
        clock: Arc<dyn Clock>,
        settings: RefundSettings,
    ) -> Self {
        Self { orders, gateway, clock, settings }
    }

    /// Refunds `ask` of order `id` for `caller`, under the caller's idempotency `key`: the same key with the
    /// same ask answers the same refund (asking Stripe again, with the same derived key, until it answered).
    /// Errors: [`RefundError::InvalidKey`]; [`RefundError::AuthenticationRequired`], [`RefundError::NotFound`],
    /// [`RefundError::NotAllowed`] for who may not; [`RefundError::Refused`] (the key reused with another ask,
    /// an amount above what is left, an order that is not paid); [`RefundError::Rejected`] by Stripe;
    /// [`RefundError::Gateway`] and [`RefundError::Store`] when either is unavailable.
    pub async fn issue(
        &self,
        caller: &Caller,
        id: OrderId,
        key: &str,
        ask: RefundAsk,
    ) -> Result<IssuedRefund, RefundError> {
        let valid = |c: char| c.is_ascii_graphic() || c == ' ';
        if key.is_empty() || key.chars().count() > MAX_IDEMPOTENCY_KEY_CHARS || !key.chars().all(valid) {
            return Err(RefundError::InvalidKey);
        }
        let by = self.refunder(caller)?;
        let now = self.clock.now();
        // Who may refund, and whether there is a payment to refund through, are checked on the order as
        // loaded for the write: one read, and nothing written or held when either refuses.
        let written = change_order_with(
            &*self.orders,
            id,
            now,
            || RefundError::NotFound,
            |order| {
                self.may_refund(&by, order)?;
                if order.payment_intent_id().is_none() {
                    order.refundable()?;
                    return Err(RefundError::Rejected(
                        "the order's payment is not known yet: try again in a moment".to_owned(),
                    ));
                }
                Ok(order.request_refund(key, ask.clone(), by.clone(), now).map(drop)?)
            },
        )
        .await;
        let (order, request) = match written {
            Ok(order) => {
                let request = order.facts().refund_requests.get(key).cloned();
                (order, request)
            }
            Err(RefundError::Refused(RefundRefusal::AlreadyAsked(request))) => {
                (self.orders.find_order(id).await?.ok_or(RefundError::NotFound)?, Some(*request))
            }
            Err(other) => return Err(other),
        };
        let request = request.ok_or_else(|| {
            StoreError::Unknown(anyhow::anyhow!("the refund request written is not on its order"))
        })?;
        if let Some(refund) = request.refund_id.as_ref().and_then(|refund| order.facts().refunds.get(refund))
        {
            return Ok(IssuedRefund { order_id: id, refund: refund.clone() });
        }
        if let Some(reason) = &request.refused {
            return Err(RefundError::Rejected(reason.clone()));
        }
        self.send(&order, key, &request).await
    }

    /// The refunds of order `id`, newest first: the admin's view.
    /// Errors: [`RefundError::AuthenticationRequired`] and [`RefundError::NotFound`] for anyone else;
    /// [`RefundError::Store`].
    pub async fn list(&self, caller: &Caller, id: OrderId) -> Result<Vec<Refund>, RefundError> {
        let order = self.orders.find_order(id).await?.ok_or(RefundError::NotFound)?;
        match caller {
            Caller::Admin => {}
            Caller::User { id: user, .. } if order.user_id() == Some(user) => {}
            Caller::User { .. } => return Err(RefundError::NotFound),
            Caller::Guest => return Err(RefundError::AuthenticationRequired),
        }
        Ok(order.refunds().into_iter().cloned().collect())
    }

    /// Asks Stripe for `request`'s refund and writes the answer on the order.
    async fn send(
        &self,
        order: &Order,
        key: &str,
        request: &RefundRequest,
    ) -> Result<IssuedRefund, RefundError> {
        let id = order.id();
        let payment_intent = order.payment_intent_id().cloned().ok_or_else(|| {
            RefundError::Rejected("the order's payment is not known yet: try again in a moment".to_owned())
        })?;
        let new = NewRefund {
            order_id: id,
            payment_intent,
            amount: Money::new(request.amount_minor, order.amount().currency())
                .map_err(|e| StoreError::Unknown(anyhow::anyhow!("a refund request's amount: {e}")))?,
            reason: request.ask.reason,
            idempotency_key: format!("refund-{id}-{key}"),
        };
        let answer = self.gateway.create_refund(&new).await;
        let now = self.clock.now();
        match answer {
            Ok(mut refund) => {
                refund.updated = now;
                let order = self.settle(id, key, Ok(&refund), now).await?;
                let refund = order.facts().refunds.get(&refund.id).cloned().unwrap_or(refund);
                tracing::info!(order_id = %id, refund_id = %refund.id, amount = refund.amount.minor(), "refund issued");
                Ok(IssuedRefund { order_id: id, refund })
            }
            Err(GatewayError::Rejected { code, message }) => {
                let reason = code.map_or_else(|| message.clone(), |code| format!("{code}: {message}"));
                self.settle(id, key, Err(&reason), now).await?;
                tracing::warn!(order_id = %id, %reason, "Stripe refused a refund");
                Err(RefundError::Rejected(reason))
            }
            Err(other) => Err(RefundError::Gateway(other)),
        }
    }

    /// Writes Stripe's answer to the request under `key` on order `id`.
    async fn settle(
        &self,
        id: OrderId,
        key: &str,
        answer: Result<&Refund, &str>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Order, RefundError> {
        change_order_with(
            &*self.orders,
            id,
            now,
            || RefundError::NotFound,
            |order| Ok(order.settle_refund_request(key, answer, now)?),
        )
        .await
    }

    fn refunder(&self, caller: &Caller) -> Result<Refunder, RefundError> {
        match caller {
            Caller::Admin => Ok(Refunder::Admin),
            Caller::User { id, .. } => Ok(Refunder::User(id.clone())),
            Caller::Guest => Err(RefundError::AuthenticationRequired),
        }
    }

    fn may_refund(&self, by: &Refunder, order: &Order) -> Result<(), RefundError> {
        let Refunder::User(user) = by else { return Ok(()) };
        if order.user_id() != Some(user) {
            return Err(RefundError::NotFound);
        }
        if !self.settings.allow_users {
            return Err(RefundError::NotAllowed("refunds are issued by the shop: ask it for one".to_owned()));
        }
        let closes = order.created_at() + chrono::Duration::days(i64::from(self.settings.window_days));
        if self.clock.now() > closes {
            return Err(RefundError::NotAllowed(format!(
                "orders can be refunded for {} days after they are placed: this one's window has closed",
                self.settings.window_days
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "refunds_tests.rs"]
mod tests;
