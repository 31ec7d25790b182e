//! The payments domain: orders, payment events, the order state machine, and the ports adapters plug into.
//!
//! Nothing here knows HTTP, SQL or Stripe's wire format; adapters translate to and from these types.

pub mod model {
    //! Domain types, each built by a constructor that checks it.
    pub mod catalog;
    pub mod email;
    pub mod ids;
    pub mod line_item;
    pub mod money;
    pub mod order;
    pub mod order_status;
    pub mod payment_event;
    pub mod payment_facts;
    pub mod purchase;
    pub mod transition;
    pub mod user;
}

pub mod ports {
    //! The traits adapters implement.
    pub mod catalog_store;
    pub mod clock;
    pub mod customer_store;
    pub mod order_store;
    pub mod payment_gateway;
    pub mod webhook_verifier;
}

pub mod services {
    //! What the inbound adapters call.
    pub mod catalog;
    mod keyed_lock;
    pub mod payments;
}

pub use model::catalog::{
    check_catalog, CatalogError, CatalogPrice, CatalogRef, Interval, PriceKey, Product, Recurring, Sku,
};
pub use model::email::{Email, EmailError};
pub use model::ids::{
    CheckoutSessionId, CustomerId, EventId, OrderId, OrderIdError, PaymentIntentId, StripeIdError,
    StripePriceId, StripeProductId,
};
pub use model::line_item::{LineItem, LineItemError, MAX_NAME_CHARS, MAX_QUANTITY};
pub use model::money::{Currency, CurrencyError, Money, MoneyError, STRIPE_MAX_AMOUNT_MINOR};
pub use model::order::{Order, OrderError, MAX_LINE_ITEMS};
pub use model::order_status::OrderStatus;
pub use model::payment_event::{
    DisputeOutcome, EventRefs, PaymentEvent, PaymentEventKind, SessionPaymentStatus,
};
pub use model::payment_facts::{Decline, PaymentFacts};
pub use model::purchase::{
    completed_purchases, purchase_state, purchases_of, Purchase, PurchaseState, PurchaseStatus,
};
pub use model::transition::{derive_status, transition, Effect, Transition};
pub use model::user::{Caller, Customer, UserId, UserIdError};
pub use ports::catalog_store::CatalogStore;
pub use ports::clock::{Clock, SystemClock};
pub use ports::customer_store::CustomerStore;
pub use ports::order_store::{OrderStore, ReceivedEvent, RecordOutcome, StoreError};
pub use ports::payment_gateway::{
    CatalogGateway, CheckoutRequest, CheckoutSession, GatewayError, NewCustomer, PaymentGateway,
    SessionSnapshot, SessionState,
};
pub use ports::webhook_verifier::{WebhookError, WebhookVerifier};
pub use services::catalog::{Catalog, CatalogReport, CatalogServiceError};
pub use services::payments::{
    CartLine, CatalogItem, CheckoutSettings, GetOrderError, HandleWebhookError, Payments, Ports,
    StartCheckoutError, StartedCheckout, MAX_USER_ORDERS,
};
