//! A stateful Stripe API emulator for development and tests: Stripe's `/v1` API in Stripe's wire format,
//! a hosted checkout page that works without JavaScript, events with signed webhook delivery and retries,
//! and a control API for what customers, banks and time would otherwise do.
//!
//! ```no_run
//! # async fn example() -> std::io::Result<()> {
//! use payments_stripe_emulator::{Emulator, EmulatorConfig};
//!
//! let emulator = Emulator::start("127.0.0.1:0".parse().unwrap(), EmulatorConfig::for_tests()).await?;
//! let secret = emulator.register_webhook_endpoint("http://127.0.0.1:8080/webhooks/stripe", &["*"]);
//! // Point the Stripe client at emulator.base_url() with any sk_test_ key, sign webhooks with `secret`.
//! emulator.stop().await;
//! # Ok(()) }
//! ```
//!
//! # Stripe's API (`/v1`)
//! Authenticated with `Authorization: Bearer sk_test_…` (or HTTP basic with the key as user); form-encoded
//! parameters with bracket nesting (`line_items[0][price_data][currency]=usd`); `expand[]`; cursor
//! pagination; `Idempotency-Key` on POST (replays carry `Idempotent-Replayed: true`; the same key with other
//! parameters gets 400 `idempotency_error`). Errors use Stripe's shape and status codes.
//!
//! | Resource | Routes |
//! |---|---|
//! | Customers | `POST /v1/customers`, `GET /v1/customers/{id}`, `POST /v1/customers/{id}`, `GET /v1/customers?email=`, `GET /v1/customers/search?query=email:'…'` |
//! | Products | `POST /v1/products`, `GET /v1/products/{id}`, `GET /v1/products` |
//! | Prices | `POST /v1/prices`, `GET /v1/prices/{id}`, `GET /v1/prices` |
//! | Checkout Sessions | `POST /v1/checkout/sessions`, `GET /v1/checkout/sessions/{id}`, `GET /v1/checkout/sessions`, `GET /v1/checkout/sessions/{id}/line_items`, `POST /v1/checkout/sessions/{id}/expire` |
//! | Payment Intents, Charges, Disputes | `GET /v1/payment_intents[/{id}]`, `GET /v1/charges[/{id}]`, `GET /v1/disputes[/{id}]` |
//! | Refunds | `POST /v1/refunds`, `GET /v1/refunds/{id}`, `GET /v1/refunds` |
//! | Events | `GET /v1/events/{id}`, `GET /v1/events` |
//! | Webhook endpoints | `POST /v1/webhook_endpoints`, `GET /v1/webhook_endpoints[/{id}]`, `POST /v1/webhook_endpoints/{id}`, `DELETE /v1/webhook_endpoints/{id}` |
//!
//! # The hosted checkout page
//! `session.url` is `{base_url}checkout/{id}`: the line items, the total, email and card fields, a
//! "bank debit (delayed)" choice and a cancel link. Stripe's test cards behave as on Stripe
//! (4242… succeeds, 0002 generic decline, 9995 insufficient funds, 0069 expired, 0119 processing error,
//! 0259 succeeds then disputed, 3155 asks for 3-D Secure). Its forms post to `{session.url}/pay`,
//! `/three_d_secure` (`action=complete|fail`) and `/settle` (`outcome=succeed|fail`). Success and delayed
//! debits redirect (303) to `success_url` with `{CHECKOUT_SESSION_ID}` replaced; a decline shows the form
//! again with the error, the session still open.
//!
//! # Events and webhooks
//! Changes emit Stripe's events (with the API version async-stripe pins) and deliver them to every enabled
//! endpoint, signed with `Stripe-Signature: t=…,v1=…`; anything but a 2xx, or a timeout, is retried after
//! each delay of [`EmulatorConfig::retry_schedule`]. Signatures use real time; `created` fields use the
//! emulator's clock (real time plus the offset the control API adds).
//!
//! # The control API (`/_emulator`, not Stripe's; no API key)
//! Form-encoded parameters (body or query), JSON answers, errors in Stripe's shape. Each route is also a
//! method of [`Emulator`].
//!
//! | Route | Parameters | Does |
//! |---|---|---|
//! | `GET /_emulator/clock` | | `{now, offset_seconds}` |
//! | `POST /_emulator/clock/advance` | `seconds` | moves the clock forward; overdue sessions expire |
//! | `POST /_emulator/checkout/sessions/{id}/expire` | | expires an open session |
//! | `POST /_emulator/checkout/sessions/{id}/pay` | `card=4242…` (the default) or `method=delayed` [`outcome=succeed\|fail`], [`email`] (default `customer@example.com`) | submits the checkout form; answers `{outcome, redirect_url, checkout_session, payment_intent}`, or a decline as Stripe answers a failed payment: 402 with the `last_payment_error` and the `payment_intent` |
//! | `POST /_emulator/checkout/sessions/{id}/three_d_secure` | `outcome=complete\|fail` | finishes the 3-D Secure step; answers as `pay` does (a failure is a 402) |
//! | `POST /_emulator/checkout/sessions/{id}/settle` | `outcome=succeed\|fail` | settles a delayed bank debit |
//! | `POST /_emulator/disputes` | `charge` or `payment_intent`, [`reason`] | opens a dispute |
//! | `POST /_emulator/disputes/{id}/close` | `outcome=won\|lost` | closes it |
//! | `POST /_emulator/events/{id}/resend` | [`webhook_endpoint`] | delivers an event again |
//! | `POST /_emulator/webhook_endpoints/{id}/fail_next` | `count` | the next `count` attempts to the endpoint fail unsent |
//! | `GET /_emulator/deliveries` | [`event`], [`webhook_endpoint`] | every delivery with its attempts |
//! | `POST /_emulator/reset` | | forgets everything |
#![recursion_limit = "256"]

mod api;
mod auth;
mod cards;
mod clock;
mod config;
mod control;
mod delivery;
mod emulator;
mod error;
mod form;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod hosted;
mod html;
mod idempotency;
mod ids;
mod metadata;
mod model;
mod money;
mod params;
mod search_query;
mod shared;
mod store;

pub use config::{exponential_backoff, EmulatorConfig};
pub use control::{ControlError, DelayedOutcome, DisputeOutcome};
pub use delivery::{Delivery, DeliveryAttempt, DeliveryStatus};
pub use emulator::{Emulator, WebhookRegistration};
pub use store::{PaymentChoice, PaymentResult};

/// The API version events carry (async-stripe's pinned `stripe_shared::version::VERSION`).
pub fn api_version() -> &'static str {
    model::event::api_version()
}
