//! The Stripe adapter: opens and reads Checkout Sessions, creates customers and publishes the catalog
//! (products and prices) through async-stripe, and turns signed webhook deliveries into the domain's payment
//! events.
//!
//! No async-stripe type crosses this crate's public API: callers see [`payments_domain`] types, the
//! configuration here, and [`StripeSetupError`].

mod billing_gateway;
mod billing_parser;
mod catalog_form;
mod checkout_form;
mod config;
mod customer_form;
mod event_parser;
mod event_source;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod gateway;
mod gateway_error;
mod http_client;
mod idempotency;
mod payment_intent_form;
mod refund_gateway;
mod retry;
mod session_mapping;
mod setup_error;
mod verifier;
mod webhook_signature;

pub use config::StripeConfig;
pub use event_parser::parse_event;
pub use gateway::StripeGateway;
pub use setup_error::StripeSetupError;
pub use verifier::StripeWebhookVerifier;
pub use webhook_signature::{parse_secrets, signature_header};
