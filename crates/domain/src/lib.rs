//! The payments domain: orders, payment events, the order state machine, and the ports adapters plug into.
//!
//! Nothing here knows HTTP, SQL or Stripe's wire format; adapters translate to and from these types.

pub mod model {
    //! Domain types, each built by a constructor that checks it.
    pub mod catalog;
    pub mod email;
    pub mod event_outcome;
    pub mod event_scope;
    pub mod holdings;
    pub mod ids;
    pub mod line_item;
    pub mod money;
    pub mod order;
    pub mod order_status;
    pub mod order_view;
    pub mod outbox;
    pub mod payment_event;
    pub mod payment_facts;
    pub mod plan;
    pub mod purchase;
    pub mod refund;
    pub mod subscription;
    pub mod subscription_view;
    pub mod transition;
    pub mod user;
}

pub mod ports {
    //! The traits adapters implement.
    pub mod billing_gateway;
    pub mod catalog_store;
    pub mod clock;
    pub mod customer_store;
    pub mod event_source;
    pub mod notice_sender;
    pub mod order_store;
    pub mod outbox_store;
    pub mod payment_gateway;
    pub mod reconcile_store;
    pub mod refund_gateway;
    pub mod subscription_store;
    pub mod webhook_verifier;
}

pub mod services {
    //! What the inbound adapters call.
    pub mod billing;
    pub mod catalog;
    pub mod checkout;
    pub mod fulfilment;
    pub mod ingest;
    mod keyed_lock;
    pub mod pricing;
    pub mod queries;
    pub mod reconcile;
    pub mod record;
    pub mod refunds;
    pub mod subscriptions;
    pub mod wiring;
}

#[cfg(any(test, feature = "mocks"))]
pub mod testing;

pub use model::catalog::{
    check_catalog, CatalogError, CatalogPrice, CatalogRef, Interval, PriceKey, Product, Recurring, Sku,
};
pub use model::email::{Email, EmailError};
pub use model::event_outcome::{EventOutcome, UnknownOutcome};
pub use model::event_scope::{EventOrigin, EventScope};
pub use model::holdings::{holdings, SubscriptionAccess};
pub use model::ids::{
    CheckoutSessionId, CustomerId, EventId, InvoiceId, OrderId, OrderIdError, PaymentIntentId, RefundId,
    StripeIdError, StripePriceId, StripeProductId, SubscriptionId,
};
pub use model::line_item::{LineItem, LineItemError, MAX_NAME_CHARS, MAX_QUANTITY};
pub use model::money::{Currency, CurrencyError, Money, MoneyError, STRIPE_MAX_AMOUNT_MINOR};
pub use model::order::{
    Order, OrderError, RefundRefusal, SessionConflict, StoredOrder, StoredOrderError, MAX_LINE_ITEMS,
};
pub use model::order_status::OrderStatus;
pub use model::order_view::OrderView;
pub use model::outbox::{
    notices, subscription_notices, Attempt, BadCursor, FeedCursor, NoticeKind, NoticeSubject, OutboxBacklog,
    OutboxEntry, OutboxStatus, UnknownNotice,
};
pub use model::payment_event::{
    DisputeOutcome, EventRefs, PaymentEvent, PaymentEventKind, SessionPaymentStatus,
};
pub use model::payment_facts::{Decline, PaymentFacts};
pub use model::plan::{
    adopt, plan_change, plan_event, Applied, Load, LoadedOrder, OrderWrite, Plan, RowVersion, Snapshot,
};
pub use model::purchase::{
    completed_purchases, purchase_state, purchases_of, strongest_purchase, Purchase, PurchaseState,
    PurchaseStatus,
};
pub use model::refund::{Refund, RefundAsk, RefundReason, RefundRequest, RefundStatus, Refunder};
pub use model::subscription::{
    BillingSnapshot, InvoiceSnapshot, InvoiceStatus, Seen, Subscription, SubscriptionLinks,
    SubscriptionSnapshot, SubscriptionStatus,
};
pub use model::subscription_view::SubscriptionView;
pub use model::transition::{derive_status, transition, Effect, Transition};
pub use model::user::{Caller, Customer, UserId, UserIdError};
pub use ports::billing_gateway::{BillingGateway, SubscriptionAction};
pub use ports::catalog_store::CatalogStore;
pub use ports::clock::{Clock, SystemClock};
pub use ports::customer_store::CustomerStore;
pub use ports::event_source::{EventPage, EventSource};
pub use ports::notice_sender::{NoticeSender, SendFailure};
pub use ports::order_store::{
    Committed, InsertOrderError, OrderStore, Orphans, ReceivedEvent, RecordOutcome, StoreError, Write,
};
pub use ports::outbox_store::OutboxStore;
pub use ports::payment_gateway::{
    CatalogGateway, CheckoutRequest, CheckoutSession, GatewayError, IntentSnapshot, IntentState, NewCustomer,
    OpenedPaymentIntent, PaymentGateway, PaymentIntentRequest, SessionSnapshot, SessionState,
    SubscriptionCheckout,
};
pub use ports::reconcile_store::ReconcileStore;
pub use ports::refund_gateway::{NewRefund, RefundGateway};
pub use ports::subscription_store::{SubscriptionQuery, SubscriptionStore, SubscriptionWrite};
pub use ports::webhook_verifier::{WebhookError, WebhookVerifier};
pub use services::billing::record_billing_event;
pub use services::catalog::{Catalog, CatalogReport, CatalogServiceError};
pub use services::checkout::{
    Checkout, CheckoutPorts, CheckoutSettings, StartCheckoutError, StartedCheckout, StartedPayment,
};
pub use services::fulfilment::{
    Deliveries, DeliverySettings, FeedPage, Outbox, OutboxError, Round, MAX_OUTBOX_PAGE,
};
pub use services::ingest::{HandleWebhookError, WebhookIngest};
pub use services::pricing::{
    price_line, subscription_terms, CartLine, CatalogItem, PriceError, PricingRules, SubscriptionTerms,
};
pub use services::queries::{GetOrderError, Queries, MAX_USER_ORDERS};
pub use services::reconcile::{
    intent_event, parse_lookback, session_event, BadLookback, ReconcilePorts, ReconcileReport,
    ReconcileSettings, Reconciler, STRIPE_EVENT_RETENTION,
};
pub use services::record::{
    attach_session, mark_checkout_failed, record_event, refuse_event, OrderChangeError,
};
pub use services::refunds::{IssuedRefund, RefundError, RefundSettings, Refunds, MAX_IDEMPOTENCY_KEY_CHARS};
pub use services::subscriptions::{RequestedChange, SubscriptionError, Subscriptions, MAX_SUBSCRIPTIONS};
pub use services::wiring::{Ports, Services};
