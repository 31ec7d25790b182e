//! Starting a checkout: price the cart, get the user's Stripe customer, store the order, open its session.

use crate::model::catalog::Product;
use crate::model::email::Email;
use crate::model::ids::{CheckoutSessionId, CustomerId, OrderId, PaymentIntentId, StripePriceId};
use crate::model::line_item::LineItem;
use crate::model::money::Currency;
use crate::model::order::{Order, OrderError};
use crate::model::subscription::SubscriptionLinks;
use crate::model::user::{Caller, Customer, UserId};
use crate::ports::catalog_store::CatalogStore;
use crate::ports::clock::Clock;
use crate::ports::customer_store::CustomerStore;
use crate::ports::order_store::{InsertOrderError, OrderStore, StoreError};
use crate::ports::payment_gateway::{
    CheckoutRequest, GatewayError, NewCustomer, PaymentGateway, PaymentIntentRequest, SubscriptionCheckout,
};
use crate::services::keyed_lock::KeyedLock;
use crate::services::pricing::{
    price_line, subscription_terms, CartLine, PriceError, PricingRules, SubscriptionTerms,
};
use crate::services::record::{self, OrderChangeError};
use std::sync::Arc;
use url::Url;

/// Checkout settings.
#[derive(Debug, Clone)]
pub struct CheckoutSettings {
    /// The currency every checkout is priced in.
    pub currency: Currency,
    /// Where Stripe sends the customer after paying (may hold `{CHECKOUT_SESSION_ID}`).
    pub success_url: String,
    /// Where Stripe sends the customer after canceling.
    pub cancel_url: String,
    /// Where the provider's customer portal sends the customer back to (the shop).
    pub portal_return_url: String,
    /// Trust prices sent by the client (the seed's behaviour) instead of requiring the catalog's.
    pub allow_client_prices: bool,
    /// Let a caller without a token check out with an email.
    pub allow_guest_checkout: bool,
    /// How long a Checkout Session stays open (its `expires_at` is the time it is asked for plus this).
    pub session_ttl: chrono::Duration,
}

/// A checkout that was opened: send the customer to `url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartedCheckout {
    /// The new order.
    pub order_id: OrderId,
    /// The provider's session.
    pub session_id: CheckoutSessionId,
    /// The hosted checkout page.
    pub url: Url,
}

/// A payment started in the custom flow: the shop's front end confirms it with `client_secret`. `Debug` never
/// shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct StartedPayment {
    /// The new order.
    pub order_id: OrderId,
    /// The provider's PaymentIntent.
    pub payment_intent_id: PaymentIntentId,
    /// What the front end confirms it with.
    pub client_secret: String,
}

impl std::fmt::Debug for StartedPayment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StartedPayment")
            .field("order_id", &self.order_id)
            .field("payment_intent_id", &self.payment_intent_id)
            .finish_non_exhaustive()
    }
}

/// A priced order ready to store, with what its checkout needs.
struct Prepared {
    order: Order,
    user: Option<UserId>,
    customer: Option<CustomerId>,
    terms: Option<SubscriptionTerms>,
    line_prices: Vec<Option<StripePriceId>>,
}

/// The Stripe price a catalog line was priced at, once synced: only an active price whose amount is the line's
/// (a price changed in the catalog since its sync waits for the next sync, and is described inline).
fn synced_price(products: &[Product], item: &LineItem) -> Option<StripePriceId> {
    let catalog = item.catalog()?;
    let product = products.iter().find(|product| product.sku == catalog.sku)?;
    let price = product.prices.iter().find(|price| price.id == catalog.price_id)?;
    (price.active && price.unit_amount == item.unit_amount()).then(|| price.stripe_price_id.clone()).flatten()
}

/// Why a checkout could not be started.
#[derive(Debug, thiserror::Error)]
pub enum StartCheckoutError {
    /// The order itself is not acceptable; nothing was stored.
    #[error(transparent)]
    InvalidOrder(#[from] OrderError),
    /// No token, and guest checkout is turned off.
    #[error("sign in to check out: guest checkout is turned off")]
    AuthenticationRequired,
    /// Neither the request nor the user's token gives an email.
    #[error("an email is required to check out")]
    EmailRequired,
    /// A line cannot be sold; nothing was stored.
    #[error(transparent)]
    Price(#[from] PriceError),
    /// The user's customer could not be created at the provider; nothing was stored.
    #[error("the customer could not be created at the payment provider: {0}")]
    Customer(GatewayError),
    /// The provider refused or could not be reached; the order is stored as canceled, never payable.
    #[error("the checkout session could not be opened for order {order_id}: {source}")]
    Gateway {
        /// The order that was stored and canceled.
        order_id: OrderId,
        /// What the provider said.
        source: GatewayError,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<OrderChangeError> for StartCheckoutError {
    fn from(error: OrderChangeError) -> Self {
        match error {
            OrderChangeError::Store(error) => StartCheckoutError::Store(error),
            // The order was stored a moment ago, and has no session but the one just opened: a bug.
            other => StartCheckoutError::Store(StoreError::Unknown(other.into())),
        }
    }
}

impl From<InsertOrderError> for StartCheckoutError {
    fn from(error: InsertOrderError) -> Self {
        match error {
            InsertOrderError::Store(error) => StartCheckoutError::Store(error),
            // Order ids are fresh UUIDs: a duplicate is a bug.
            duplicate => StartCheckoutError::Store(StoreError::Unknown(duplicate.into())),
        }
    }
}

/// The ports checkout needs.
#[derive(Clone)]
pub struct CheckoutPorts {
    /// Orders.
    pub orders: Arc<dyn OrderStore>,
    /// Products and prices.
    pub catalog: Arc<dyn CatalogStore>,
    /// One Stripe customer per user.
    pub customers: Arc<dyn CustomerStore>,
    /// Hosted checkout and customers at the provider.
    pub gateway: Arc<dyn PaymentGateway>,
    /// The time.
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for CheckoutPorts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckoutPorts").finish_non_exhaustive()
    }
}

/// Opens checkouts.
#[derive(Clone)]
pub struct Checkout {
    ports: CheckoutPorts,
    settings: CheckoutSettings,
    customer_locks: Arc<KeyedLock<UserId>>,
}

impl std::fmt::Debug for Checkout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checkout").field("settings", &self.settings).finish_non_exhaustive()
    }
}

impl Checkout {
    /// Checkout over its ports.
    pub fn new(ports: CheckoutPorts, settings: CheckoutSettings) -> Self {
        Self { ports, settings, customer_locks: Arc::new(KeyedLock::default()) }
    }

    /// The checkout settings.
    pub fn settings(&self) -> &CheckoutSettings {
        &self.settings
    }

    /// Starts a checkout for `caller`: prices every line (see [`price_line`]), gets the user's Stripe customer
    /// (created on the first checkout), stores a new pending order, opens a Checkout Session for it with an
    /// idempotency key derived from the order id, and records the session on the order. If the provider fails
    /// to open the session, the order is marked as never payable and [`StartCheckoutError::Gateway`] is
    /// returned. Nothing is stored when a line or the caller is refused.
    pub async fn start(
        &self,
        caller: &Caller,
        email: Option<Email>,
        lines: Vec<CartLine>,
    ) -> Result<StartedCheckout, StartCheckoutError> {
        self.start_in(caller, email, lines, None).await
    }

    /// [`Checkout::start`], priced in `currency` (the settings' when `None`): every line needs a price in it,
    /// else [`PriceError::CurrencyNotAvailable`].
    #[tracing::instrument(skip_all, fields(order_id))]
    pub async fn start_in(
        &self,
        caller: &Caller,
        email: Option<Email>,
        lines: Vec<CartLine>,
        currency: Option<Currency>,
    ) -> Result<StartedCheckout, StartCheckoutError> {
        let Prepared { order, user, customer, terms, line_prices } =
            self.prepare(caller, email, lines, currency).await?;
        let order_id = order.id();
        self.ports.orders.insert_order(&order).await?;

        let subscription = terms.map(|terms| SubscriptionCheckout {
            line: terms.line,
            recurring: terms.recurring,
            trial_period_days: terms.trial_period_days,
            links: SubscriptionLinks {
                user_id: user,
                order_id: Some(order_id),
                sku: Some(terms.sku),
                price_key: Some(terms.price_key),
            },
        });
        let expires_at = self.ports.clock.now() + self.settings.session_ttl;
        let request = CheckoutRequest {
            expires_at,
            order,
            success_url: self.settings.success_url.clone(),
            cancel_url: self.settings.cancel_url.clone(),
            idempotency_key: format!("checkout-session-{order_id}"),
            customer,
            subscription,
            line_prices,
        };
        let orders = &*self.ports.orders;
        match self.ports.gateway.create_checkout_session(&request).await {
            Ok(session) => {
                record::attach_session(orders, order_id, &session.id, self.ports.clock.now()).await?;
                tracing::info!(session_id = %session.id, "checkout session opened");
                Ok(StartedCheckout { order_id, session_id: session.id, url: session.url })
            }
            Err(source) => Err(self.gateway_failed(order_id, source, "the session").await?),
        }
    }

    /// Starts the custom payment flow for `caller`: prices and stores the order as [`Checkout::start`] does,
    /// then creates a PaymentIntent for it (automatic payment methods, the order id in its metadata, the user's
    /// customer, an idempotency key derived from the order id) and records it on the order. The shop's front
    /// end confirms it with the client secret; its events move the order as a Checkout's do. A recurring
    /// price is refused (it needs a Checkout Session). Errors as for [`Checkout::start`].
    pub async fn start_payment(
        &self,
        caller: &Caller,
        email: Option<Email>,
        lines: Vec<CartLine>,
    ) -> Result<StartedPayment, StartCheckoutError> {
        self.start_payment_in(caller, email, lines, None).await
    }

    /// [`Checkout::start_payment`], priced in `currency` (see [`Checkout::start_in`]).
    #[tracing::instrument(skip_all, fields(order_id))]
    pub async fn start_payment_in(
        &self,
        caller: &Caller,
        email: Option<Email>,
        lines: Vec<CartLine>,
        currency: Option<Currency>,
    ) -> Result<StartedPayment, StartCheckoutError> {
        let Prepared { order, customer, terms, .. } = self.prepare(caller, email, lines, currency).await?;
        if let Some(terms) = terms {
            return Err(PriceError::NotForSale {
                index: terms.line,
                reference: terms.price_key.as_str().to_owned(),
                reason:
                    "a recurring price is paid through a Checkout Session (POST /api/v1/checkout/sessions)"
                        .to_owned(),
            }
            .into());
        }
        let order_id = order.id();
        self.ports.orders.insert_order(&order).await?;
        let request =
            PaymentIntentRequest { order, idempotency_key: format!("payment-intent-{order_id}"), customer };
        match self.ports.gateway.create_payment_intent(&request).await {
            Ok(intent) => {
                let now = self.ports.clock.now();
                record::attach_payment_intent(&*self.ports.orders, order_id, &intent.id, now).await?;
                tracing::info!(payment_intent_id = %intent.id, "payment intent created");
                Ok(StartedPayment {
                    order_id,
                    payment_intent_id: intent.id,
                    client_secret: intent.client_secret,
                })
            }
            Err(source) => Err(self.gateway_failed(order_id, source, "the payment intent").await?),
        }
    }

    /// Marks the order as never payable after the provider failed to open its `what`, and says so.
    async fn gateway_failed(
        &self,
        order_id: OrderId,
        source: GatewayError,
        what: &str,
    ) -> Result<StartCheckoutError, StartCheckoutError> {
        tracing::warn!(error = %source, "{what} could not be opened");
        let reason = match &source {
            GatewayError::Rejected { .. } => format!("the payment provider refused {what}"),
            GatewayError::Unavailable(_) => "the payment provider was unavailable".to_owned(),
            GatewayError::Unknown(_) => "the payment provider gave an unreadable answer".to_owned(),
        };
        record::mark_checkout_failed(&*self.ports.orders, order_id, &reason, self.ports.clock.now()).await?;
        Ok(StartCheckoutError::Gateway { order_id, source })
    }

    /// Checks the caller and prices the cart into a new pending order (not stored yet), with the user's Stripe
    /// customer (created now on a user's first checkout) and the subscription it starts, if any.
    async fn prepare(
        &self,
        caller: &Caller,
        email: Option<Email>,
        lines: Vec<CartLine>,
        currency: Option<Currency>,
    ) -> Result<Prepared, StartCheckoutError> {
        let (user, email) = match caller {
            Caller::User { id, email: claim } => (Some(id), email.or_else(|| claim.clone())),
            Caller::Guest | Caller::Admin if self.settings.allow_guest_checkout => (None, email),
            Caller::Guest | Caller::Admin => return Err(StartCheckoutError::AuthenticationRequired),
        };
        let email = email.ok_or(StartCheckoutError::EmailRequired)?;
        if lines.is_empty() {
            return Err(OrderError::NoItems.into());
        }
        let products = self.ports.catalog.list_products().await?;
        let items = self.price(&products, lines, currency.unwrap_or(self.settings.currency))?;
        let terms = subscription_terms(&products, &items)?;

        let now = self.ports.clock.now();
        let mut order = Order::new(OrderId::new_v7(), email.clone(), items, now)?;
        if let Some(user) = user {
            order = order.placed_by(user.clone());
        }
        let order_id = order.id();
        tracing::Span::current().record("order_id", tracing::field::display(order_id));
        let customer = match user {
            Some(user) => Some(self.customer_of(user, &email).await?.stripe_customer_id),
            None => None,
        };
        let line_prices = order.items().iter().map(|item| synced_price(&products, item)).collect();
        Ok(Prepared { order, user: user.cloned(), customer, terms, line_prices })
    }

    /// Every line priced by the catalog (or, when allowed, by the client).
    fn price(
        &self,
        products: &[Product],
        lines: Vec<CartLine>,
        currency: Currency,
    ) -> Result<Vec<LineItem>, StartCheckoutError> {
        let rules = PricingRules { currency, allow_client_prices: self.settings.allow_client_prices };
        let priced =
            lines.into_iter().enumerate().map(|(index, line)| price_line(products, rules, index, line));
        Ok(priced.collect::<Result<Vec<_>, _>>()?)
    }

    /// The user's Stripe customer: the stored one, or one created now with an idempotency key derived from the
    /// user id and stored. Checkouts of one user wait for each other here, so concurrent first checkouts in
    /// this process make one request; across processes the idempotency key and the store's first-wins insert
    /// keep it to one customer.
    async fn customer_of(&self, user: &UserId, email: &Email) -> Result<Customer, StartCheckoutError> {
        let _guard = self.customer_locks.lock(user.clone()).await;
        if let Some(customer) = self.ports.customers.find_customer(user).await? {
            return Ok(customer);
        }
        let request = NewCustomer {
            user_id: user.clone(),
            email: email.clone(),
            idempotency_key: format!("customer-{user}"),
        };
        let stripe_customer_id = match self.ports.gateway.create_customer(&request).await {
            Ok(id) => id,
            Err(error) => {
                // Another process may have created and stored it with other parameters in the meantime.
                if let Some(customer) = self.ports.customers.find_customer(user).await? {
                    return Ok(customer);
                }
                return Err(StartCheckoutError::Customer(error));
            }
        };
        let customer = Customer {
            user_id: user.clone(),
            stripe_customer_id,
            email: email.clone(),
            created_at: self.ports.clock.now(),
        };
        let stored = self.ports.customers.insert_customer(&customer).await?;
        tracing::info!(customer_id = %stored.stripe_customer_id, "customer ready for the user");
        Ok(stored)
    }
}

#[cfg(test)]
#[path = "checkout_tests.rs"]
mod tests;
