//! The application services: start a checkout, handle a payment event, read orders, products and purchases.

use crate::model::catalog::{CatalogRef, Product, Sku};
use crate::model::email::Email;
use crate::model::ids::{CheckoutSessionId, OrderId};
use crate::model::line_item::{LineItem, LineItemError};
use crate::model::money::{Currency, Money};
use crate::model::order::{Order, OrderError};
use crate::model::purchase::{completed_purchases, purchase_state, Purchase, PurchaseState};
use crate::model::user::{Caller, Customer, UserId};
use crate::ports::catalog_store::CatalogStore;
use crate::ports::clock::Clock;
use crate::ports::customer_store::CustomerStore;
use crate::ports::order_store::{OrderStore, RecordOutcome, StoreError};
use crate::ports::payment_gateway::{CheckoutRequest, GatewayError, NewCustomer, PaymentGateway};
use crate::ports::webhook_verifier::{WebhookError, WebhookVerifier};
use crate::services::keyed_lock::KeyedLock;
use std::sync::Arc;
use url::Url;

/// How many of a user's orders purchases are read from (a user with more sees the newest ones).
pub const MAX_USER_ORDERS: u32 = 1000;

/// Checkout settings the services need.
#[derive(Debug, Clone)]
pub struct CheckoutSettings {
    /// The currency every checkout is priced in.
    pub currency: Currency,
    /// Where Stripe sends the customer after paying (may hold `{CHECKOUT_SESSION_ID}`).
    pub success_url: String,
    /// Where Stripe sends the customer after canceling.
    pub cancel_url: String,
    /// Trust prices sent by the client (the seed's behaviour) instead of requiring the catalog's.
    pub allow_client_prices: bool,
    /// Let a caller without a token check out with an email.
    pub allow_guest_checkout: bool,
}

/// The ports the services use, wired once by the app.
#[derive(Clone)]
pub struct Ports {
    /// Orders and received events.
    pub orders: Arc<dyn OrderStore>,
    /// Products and prices.
    pub catalog: Arc<dyn CatalogStore>,
    /// One Stripe customer per user.
    pub customers: Arc<dyn CustomerStore>,
    /// Hosted checkout and customers at the provider.
    pub gateway: Arc<dyn PaymentGateway>,
    /// Webhook signatures.
    pub verifier: Arc<dyn WebhookVerifier>,
    /// The time.
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Ports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ports").finish_non_exhaustive()
    }
}

/// The services, over their ports.
#[derive(Clone)]
pub struct Payments {
    ports: Ports,
    settings: CheckoutSettings,
    customer_locks: Arc<KeyedLock<UserId>>,
}

impl std::fmt::Debug for Payments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Payments").field("settings", &self.settings).finish_non_exhaustive()
    }
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

/// What a catalog line names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogItem {
    /// A product: sold at its first active one-time price in the checkout currency.
    Sku(Sku),
    /// A price, by its catalog id or its Stripe price id.
    Price(String),
}

impl std::fmt::Display for CatalogItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CatalogItem::Sku(sku) => write!(f, "sku {sku}"),
            CatalogItem::Price(id) => write!(f, "price {id}"),
        }
    }
}

/// One line of a cart as a client sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CartLine {
    /// A catalog item: the server sets name, image and price.
    Catalog {
        /// What is bought.
        item: CatalogItem,
        /// How many.
        quantity: u32,
    },
    /// The seed's client-priced line. It must name a catalog product (by `sku`, else by its name) and carry
    /// that product's price, unless client prices are allowed.
    Client {
        /// The product, if the client named it.
        sku: Option<Sku>,
        /// The line as the client described it.
        item: LineItem,
    },
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
    /// A line names nothing in the catalog.
    #[error("item {index}: {reference} is not in the catalog")]
    UnknownItem {
        /// The line's position (0-based).
        index: usize,
        /// What it named.
        reference: String,
    },
    /// A line's price is not the catalog's.
    #[error("item {index} ({name}): the price {given} differs from the catalog price{}", expected_text(.expected))]
    PriceMismatch {
        /// The line's position (0-based).
        index: usize,
        /// The product's name.
        name: String,
        /// The client's price.
        given: Money,
        /// The catalog's price in that currency, if it has one.
        expected: Option<Money>,
    },
    /// A line names a product or price that cannot be bought in a one-time checkout.
    #[error("item {index}: {reference} cannot be bought here: {reason}")]
    NotForSale {
        /// The line's position (0-based).
        index: usize,
        /// What it named.
        reference: String,
        /// Why.
        reason: String,
    },
    /// A line built from the catalog is not acceptable (a quantity out of range).
    #[error("item {index}: {source}")]
    InvalidLine {
        /// The line's position (0-based).
        index: usize,
        /// What is wrong.
        source: LineItemError,
    },
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

fn expected_text(expected: &Option<Money>) -> String {
    match expected {
        Some(price) => format!(" {price}"),
        None => " (it has none in this currency)".to_owned(),
    }
}

/// Why a webhook delivery was not acknowledged.
#[derive(Debug, thiserror::Error)]
pub enum HandleWebhookError {
    /// The delivery is not a correctly signed event; nothing was stored.
    #[error(transparent)]
    Rejected(#[from] WebhookError),
    /// The event could not be committed: the sender must retry.
    #[error(transparent)]
    Store(#[from] StoreError),
}

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

impl Payments {
    /// Wires the services to their ports.
    pub fn new(ports: Ports, settings: CheckoutSettings) -> Self {
        Self { ports, settings, customer_locks: Arc::new(KeyedLock::default()) }
    }

    /// The configured checkout currency.
    pub fn currency(&self) -> Currency {
        self.settings.currency
    }

    /// The checkout settings.
    pub fn settings(&self) -> &CheckoutSettings {
        &self.settings
    }

    /// Starts a checkout for `caller`: prices every line (from the catalog; see [`CartLine`]), gets the user's
    /// Stripe customer (created on the first checkout), stores a new pending order, opens a Checkout Session
    /// for it with an idempotency key derived from the order id, and records the session on the order. If the
    /// provider fails to open the session, the order is marked as never payable and
    /// [`StartCheckoutError::Gateway`] is returned. Nothing is stored when a line or the caller is refused.
    #[tracing::instrument(skip_all, fields(order_id))]
    pub async fn start_checkout(
        &self,
        caller: &Caller,
        email: Option<Email>,
        lines: Vec<CartLine>,
    ) -> Result<StartedCheckout, StartCheckoutError> {
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
        let items = lines
            .into_iter()
            .enumerate()
            .map(|(index, line)| self.price_line(&products, index, line))
            .collect::<Result<Vec<LineItem>, StartCheckoutError>>()?;

        let now = self.ports.clock.now();
        let mut order = Order::new(OrderId::new_v7(), email.clone(), items, now)?;
        order.user_id = user.cloned();
        let order_id = order.id;
        tracing::Span::current().record("order_id", tracing::field::display(order_id));
        let customer = match user {
            Some(user) => Some(self.customer_of(user, &email).await?.stripe_customer_id),
            None => None,
        };
        self.ports.orders.insert_order(&order).await?;

        let request = CheckoutRequest {
            order,
            success_url: self.settings.success_url.clone(),
            cancel_url: self.settings.cancel_url.clone(),
            idempotency_key: format!("checkout-session-{order_id}"),
            customer,
        };
        match self.ports.gateway.create_checkout_session(&request).await {
            Ok(session) => {
                self.ports
                    .orders
                    .attach_checkout_session(order_id, &session.id, self.ports.clock.now())
                    .await?;
                tracing::info!(session_id = %session.id, "checkout session opened");
                Ok(StartedCheckout { order_id, session_id: session.id, url: session.url })
            }
            Err(source) => {
                tracing::warn!(error = %source, "checkout session could not be opened");
                let reason = match &source {
                    GatewayError::Rejected { .. } => "the payment provider refused the session",
                    GatewayError::Unavailable(_) => "the payment provider was unavailable",
                    GatewayError::Unknown(_) => "the payment provider gave an unreadable answer",
                };
                self.ports.orders.mark_checkout_failed(order_id, reason, self.ports.clock.now()).await?;
                Err(StartCheckoutError::Gateway { order_id, source })
            }
        }
    }

    /// Turns one cart line into an order line priced by the catalog (or, when allowed, by the client).
    fn price_line(
        &self,
        products: &[Product],
        index: usize,
        line: CartLine,
    ) -> Result<LineItem, StartCheckoutError> {
        let currency = self.settings.currency;
        match line {
            CartLine::Catalog { item, quantity } => {
                let not_for_sale = |reason: String| StartCheckoutError::NotForSale {
                    index,
                    reference: item.to_string(),
                    reason,
                };
                let found = match &item {
                    CatalogItem::Sku(sku) => products.iter().find(|p| p.sku == *sku).map(|product| {
                        (
                            product,
                            product.checkout_price(currency).ok_or_else(|| {
                                not_for_sale(format!("it has no active one-time price in {currency}"))
                            }),
                        )
                    }),
                    CatalogItem::Price(id) => products.iter().find_map(|product| {
                        product.price(id).map(|price| {
                            let usable = if !price.active {
                                Err(not_for_sale("the price is no longer active".to_owned()))
                            } else if price.recurring.is_some() {
                                Err(not_for_sale("it is a recurring price".to_owned()))
                            } else if price.unit_amount.currency() != currency {
                                Err(not_for_sale(format!(
                                    "it is priced in {}, checkout is in {currency}",
                                    price.unit_amount.currency()
                                )))
                            } else {
                                Ok(price)
                            };
                            (product, usable)
                        })
                    }),
                };
                let Some((product, price)) = found else {
                    return Err(StartCheckoutError::UnknownItem { index, reference: item.to_string() });
                };
                if !product.active {
                    return Err(not_for_sale("the product is no longer sold".to_owned()));
                }
                let price = price?;
                let image = product.image_url.as_ref().map(Url::as_str);
                let line = LineItem::new(&product.name, price.unit_amount, quantity, image)
                    .map_err(|source| StartCheckoutError::InvalidLine { index, source })?;
                Ok(line.with_catalog(CatalogRef { sku: product.sku.clone(), price_id: price.id.clone() }))
            }
            CartLine::Client { sku, item } => {
                let product = match &sku {
                    Some(sku) => products.iter().find(|p| p.sku == *sku && p.active),
                    None => products.iter().find(|p| p.active && p.name.eq_ignore_ascii_case(item.name())),
                };
                let expected = product
                    .and_then(|p| p.checkout_price(item.unit_amount().currency()).map(|price| (p, price)));
                match (product, expected) {
                    (Some(_), Some((product, price))) if price.unit_amount == item.unit_amount() => Ok(item
                        .with_catalog(CatalogRef { sku: product.sku.clone(), price_id: price.id.clone() })),
                    // Trusted client prices: the line is sold as given but grants no catalog product.
                    _ if self.settings.allow_client_prices => Ok(item),
                    (Some(product), expected) => Err(StartCheckoutError::PriceMismatch {
                        index,
                        name: product.name.clone(),
                        given: item.unit_amount(),
                        expected: expected.map(|(_, price)| price.unit_amount),
                    }),
                    (None, _) => Err(StartCheckoutError::UnknownItem {
                        index,
                        reference: match sku {
                            Some(sku) => format!("sku {sku}"),
                            None => format!("an item named {:?}", item.name()),
                        },
                    }),
                }
            }
        }
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

    /// Verifies a webhook delivery and records its event with its effect, atomically. Returns only once the
    /// effect is committed (or the event is known to be a duplicate).
    #[tracing::instrument(skip_all, fields(event_id, event_type))]
    pub async fn handle_webhook(
        &self,
        payload: &[u8],
        signature_header: Option<&str>,
    ) -> Result<RecordOutcome, HandleWebhookError> {
        let now = self.ports.clock.now();
        let received = self.ports.verifier.verify(payload, signature_header, now)?;
        let span = tracing::Span::current();
        span.record("event_id", tracing::field::display(&received.event.id));
        span.record("event_type", received.event.event_type.as_str());
        let outcome = self.ports.orders.record_event(&received, now).await?;
        tracing::info!(?outcome, "webhook event recorded");
        Ok(outcome)
    }

    /// The order with this id, whoever placed it (for the operator and for tests).
    pub async fn order(&self, id: OrderId) -> Result<Order, GetOrderError> {
        self.ports.orders.find_order(id).await?.ok_or(GetOrderError::NotFound)
    }

    /// The order with this id as `caller` may see it: the admin sees every order, a user only their own
    /// (anyone else's is [`GetOrderError::NotFound`]), a guest none (a guest order is read by its session id).
    pub async fn order_for(&self, caller: &Caller, id: OrderId) -> Result<Order, GetOrderError> {
        match caller {
            Caller::Guest => Err(GetOrderError::AuthenticationRequired),
            Caller::Admin => self.order(id).await,
            Caller::User { id: user, .. } => {
                let order = self.order(id).await?;
                if order.user_id.as_ref() == Some(user) {
                    Ok(order)
                } else {
                    Err(GetOrderError::NotFound)
                }
            }
        }
    }

    /// The order paid through this Checkout Session, whoever placed it.
    pub async fn order_by_session(&self, id: &CheckoutSessionId) -> Result<Order, GetOrderError> {
        self.ports.orders.find_order_by_session(id).await?.ok_or(GetOrderError::NotFound)
    }

    /// The order paid through this Checkout Session as `caller` may see it: a guest order by anyone who holds
    /// the (unguessable) session id; a user's order only by that user or the admin.
    pub async fn order_by_session_for(
        &self,
        caller: &Caller,
        id: &CheckoutSessionId,
    ) -> Result<Order, GetOrderError> {
        let order = self.order_by_session(id).await?;
        let visible = match (&order.user_id, caller) {
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
            Caller::Admin => Ok(self.ports.orders.list_orders(limit).await?),
            Caller::User { id, .. } => Ok(self.ports.orders.list_orders_of_user(id, limit).await?),
        }
    }

    /// The products for sale, by SKU, each with its active prices only.
    pub async fn products(&self) -> Result<Vec<Product>, StoreError> {
        let mut products = self.ports.catalog.list_products().await?;
        products.retain(|product| product.active);
        for product in &mut products {
            product.prices.retain(|price| price.active);
        }
        Ok(products)
    }

    /// Whether the user owns the product named by `sku` (see [`PurchaseState`]).
    pub async fn purchase_status(&self, caller: &Caller, sku: &Sku) -> Result<PurchaseState, GetOrderError> {
        let user = Self::user_of(caller)?;
        let products = self.ports.catalog.list_products().await?;
        if !products.iter().any(|product| product.sku == *sku) {
            return Err(GetOrderError::ProductNotFound);
        }
        let orders = self.ports.orders.list_orders_of_user(user, MAX_USER_ORDERS).await?;
        Ok(purchase_state(&orders, sku))
    }

    /// The user's completed purchases, newest first.
    pub async fn purchases(&self, caller: &Caller) -> Result<Vec<Purchase>, GetOrderError> {
        let user = Self::user_of(caller)?;
        let orders = self.ports.orders.list_orders_of_user(user, MAX_USER_ORDERS).await?;
        Ok(completed_purchases(&orders))
    }

    fn user_of(caller: &Caller) -> Result<&UserId, GetOrderError> {
        match caller {
            Caller::User { id, .. } => Ok(id),
            Caller::Guest => Err(GetOrderError::AuthenticationRequired),
            Caller::Admin => Err(GetOrderError::UsersOnly),
        }
    }

    /// Whether the store answers (readiness).
    pub async fn ready(&self) -> Result<(), StoreError> {
        self.ports.orders.ping().await
    }
}

#[cfg(test)]
#[path = "payments_tests.rs"]
mod tests;
