//! The payment provider, as the domain needs it.

use crate::model::catalog::{CatalogPrice, Product, Recurring};
use crate::model::email::Email;
use crate::model::ids::{CheckoutSessionId, CustomerId, PaymentIntentId, StripePriceId, StripeProductId};
use crate::model::money::Money;
use crate::model::order::Order;
use crate::model::payment_event::SessionPaymentStatus;
use crate::model::subscription::SubscriptionLinks;
use crate::model::user::UserId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use url::Url;

/// What is needed to open a hosted checkout for an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutRequest {
    /// The order to pay; its id goes into the session's metadata and client reference.
    pub order: Order,
    /// Where the customer lands after paying; may hold `{CHECKOUT_SESSION_ID}`, kept as is.
    pub success_url: String,
    /// Where the customer lands after canceling.
    pub cancel_url: String,
    /// Sent as the provider's idempotency key: the same key never opens a second session.
    pub idempotency_key: String,
    /// The user's customer at the provider: the session is opened for it instead of for the order's email.
    pub customer: Option<CustomerId>,
    /// Present when the order holds a recurring price: the session starts a subscription (the provider
    /// creates a customer from the email when there is none), whose metadata carries `links`.
    pub subscription: Option<SubscriptionCheckout>,
    /// For each of the order's lines, the provider's price for it once the catalog is synced (`payments
    /// catalog sync`): the session then names that price instead of describing it inline. Shorter than the
    /// lines, or `None` at a line: that line is described inline.
    pub line_prices: Vec<Option<StripePriceId>>,
    /// When the session stops accepting payment (the provider then expires it and says so).
    pub expires_at: DateTime<Utc>,
}

/// The subscription a checkout starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionCheckout {
    /// Which order line is the recurring one.
    pub line: usize,
    /// How often it renews.
    pub recurring: Recurring,
    /// Days of free trial it starts with.
    pub trial_period_days: Option<u32>,
    /// Put in the subscription's metadata, so its events say whose it is and what it sells.
    pub links: SubscriptionLinks,
}

/// What is needed to create a PaymentIntent for an order (the custom payment flow: the shop's own card form
/// confirms it with the provider's client library).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentIntentRequest {
    /// The order to pay: its total and currency, its id in the intent's metadata, its email for the receipt.
    pub order: Order,
    /// Sent as the provider's idempotency key: the same key never creates a second intent.
    pub idempotency_key: String,
    /// The user's customer at the provider, if any.
    pub customer: Option<CustomerId>,
}

/// A PaymentIntent created for an order. `Debug` never shows the client secret.
#[derive(Clone, PartialEq, Eq)]
pub struct OpenedPaymentIntent {
    /// The intent's id.
    pub id: PaymentIntentId,
    /// What the shop's front end confirms it with (never logged).
    pub client_secret: String,
}

impl std::fmt::Debug for OpenedPaymentIntent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenedPaymentIntent").field("id", &self.id).finish_non_exhaustive()
    }
}

/// A customer to create at the provider for a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCustomer {
    /// The user (kept in the customer's metadata as `user_id`).
    pub user_id: UserId,
    /// The customer's email.
    pub email: Email,
    /// Sent as the provider's idempotency key: a retried request never creates a second customer.
    pub idempotency_key: String,
}

/// A hosted checkout the customer is sent to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutSession {
    /// The session's id.
    pub id: CheckoutSessionId,
    /// Where to send the customer.
    pub url: Url,
    /// When the session stops accepting payment.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Whether a session is still open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// The customer may still pay.
    Open,
    /// The customer finished (paid, or chose a delayed method).
    Complete,
    /// Too late to pay.
    Expired,
}

/// A Checkout Session as the provider reports it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSnapshot {
    /// The session's id.
    pub id: CheckoutSessionId,
    /// Open, complete or expired.
    pub state: SessionState,
    /// Paid, unpaid or nothing to pay.
    pub payment_status: SessionPaymentStatus,
    /// The payment intent, once the customer confirmed.
    pub payment_intent_id: Option<PaymentIntentId>,
    /// The session's total.
    pub amount_total: Option<Money>,
}

/// Where a PaymentIntent stands, as far as an order cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntentState {
    /// Paid.
    Succeeded,
    /// Canceled: it will never be paid.
    Canceled,
    /// Anything else (waiting for a payment method, a confirmation, an action, a settling payment).
    Waiting,
}

/// A PaymentIntent as the provider reports it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntentSnapshot {
    /// Its id.
    pub id: PaymentIntentId,
    /// Where it stands.
    pub state: IntentState,
    /// What it received (else its amount), with its currency.
    pub amount: Option<Money>,
}

/// Why the payment provider did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The provider answered and refused the request (invalid parameters, bad key, ...).
    #[error("the payment provider refused the request: {message}")]
    Rejected {
        /// The provider's error code, if it gave one.
        code: Option<String>,
        /// The provider's message (never holds a secret).
        message: String,
    },
    /// No answer in time, a connection failure, or a 5xx/429: trying later may work.
    #[error("the payment provider is unavailable: {0}")]
    Unavailable(String),
    /// Anything else: an answer that could not be understood.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Hosted checkout at a payment provider.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PaymentGateway: Send + Sync + 'static {
    /// Opens a hosted checkout session in payment mode for the request's order.
    /// Errors: [`GatewayError::Rejected`] when the provider refuses; [`GatewayError::Unavailable`] on timeouts,
    /// connection failures and 5xx/429 answers (after the adapter's own retries, with the same key);
    /// [`GatewayError::Unknown`] for answers it cannot read.
    async fn create_checkout_session(
        &self,
        request: &CheckoutRequest,
    ) -> Result<CheckoutSession, GatewayError>;

    /// Creates a PaymentIntent for the request's order, with automatic payment methods.
    /// Errors as for [`PaymentGateway::create_checkout_session`].
    async fn create_payment_intent(
        &self,
        request: &PaymentIntentRequest,
    ) -> Result<OpenedPaymentIntent, GatewayError>;

    /// Creates a customer for a user.
    /// Errors as for [`PaymentGateway::create_checkout_session`].
    async fn create_customer(&self, customer: &NewCustomer) -> Result<CustomerId, GatewayError>;

    /// Reads a session back. Errors as for [`PaymentGateway::create_checkout_session`]; an unknown id is
    /// [`GatewayError::Rejected`].
    async fn retrieve_checkout_session(
        &self,
        id: &CheckoutSessionId,
    ) -> Result<SessionSnapshot, GatewayError>;

    /// Reads a PaymentIntent back. Errors as for [`PaymentGateway::retrieve_checkout_session`].
    async fn retrieve_payment_intent(&self, id: &PaymentIntentId) -> Result<IntentSnapshot, GatewayError>;

    /// Expires an open session, so it can no longer be paid; the session as it now is. Errors as for
    /// [`PaymentGateway::retrieve_checkout_session`]; a session that is no longer open is
    /// [`GatewayError::Rejected`].
    async fn expire_checkout_session(&self, id: &CheckoutSessionId) -> Result<SessionSnapshot, GatewayError>;
}

/// Publishing the catalog at the payment provider (`payments catalog sync`).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait CatalogGateway: Send + Sync + 'static {
    /// Creates the product (name, description, image, `metadata.sku`), with `idempotency_key`.
    /// Errors as for [`PaymentGateway::create_checkout_session`].
    async fn create_product(
        &self,
        product: &Product,
        idempotency_key: &str,
    ) -> Result<StripeProductId, GatewayError>;

    /// Creates `price` (amount, currency, recurrence, `metadata.price_id`) under the provider's `product`.
    /// Errors as for [`PaymentGateway::create_checkout_session`].
    async fn create_price(
        &self,
        product: &StripeProductId,
        price: &CatalogPrice,
        idempotency_key: &str,
    ) -> Result<StripePriceId, GatewayError>;
}
