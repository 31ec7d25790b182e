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
//! | Customers | `POST /v1/customers` (with `payment_method`, `invoice_settings[default_payment_method]`), `GET /v1/customers/{id}`, `POST /v1/customers/{id}`, `GET /v1/customers?email=`, `GET /v1/customers/search?query=email:'…'` |
//! | Products | `POST /v1/products`, `GET /v1/products/{id}`, `GET /v1/products` |
//! | Prices | `POST /v1/prices`, `GET /v1/prices/{id}`, `GET /v1/prices` |
//! | Checkout Sessions | `POST /v1/checkout/sessions` (`mode=payment` or `subscription`), `GET /v1/checkout/sessions/{id}`, `GET /v1/checkout/sessions`, `GET /v1/checkout/sessions/{id}/line_items`, `POST /v1/checkout/sessions/{id}/expire` |
//! | Subscriptions | `POST /v1/subscriptions`, `GET /v1/subscriptions/{id}`, `GET /v1/subscriptions?customer=&price=&status=` (`all`, `ended`; by default all but canceled), `POST /v1/subscriptions/{id}` (`cancel_at_period_end`, `metadata`, `default_payment_method`, `description`, `trial_end=now`, `cancellation_details`), `DELETE /v1/subscriptions/{id}` |
//! | Invoices | `GET /v1/invoices/{id}` (`expand[]=payments`), `GET /v1/invoices?customer=&subscription=&status=`, `GET /v1/invoices/{id}/lines` |
//! | Payment methods | `GET /v1/payment_methods/{id}`, `GET /v1/payment_methods?customer=`, `POST /v1/payment_methods/{id}/attach`; test tokens `pm_card_visa`, `pm_card_mastercard`, `pm_card_chargeCustomerFail`, `pm_card_chargeDeclined`… (each use makes a new `pm_…`) |
//! | Customer portal | `POST /v1/billing_portal/sessions` (`customer`, `return_url`) |
//! | Payment Intents | `POST /v1/payment_intents` (`amount`, `currency`, `customer`, `metadata`, `description`, `receipt_email`, `payment_method_types[]=card` or `automatic_payment_methods`, `payment_method`, `confirm=true`, `return_url`; `capture_method=automatic` only), `GET /v1/payment_intents/{id}` (`client_secret`), `POST /v1/payment_intents/{id}` (`amount`, `metadata`, `description`, `receipt_email`), `POST /v1/payment_intents/{id}/confirm` (`payment_method`, `client_secret`, `return_url`), `POST /v1/payment_intents/{id}/cancel` (`cancellation_reason`), `GET /v1/payment_intents` |
//! | Charges, Disputes | `GET /v1/charges[/{id}]`, `GET /v1/disputes[/{id}]` |
//! | Refunds | `POST /v1/refunds`, `GET /v1/refunds/{id}`, `GET /v1/refunds` |
//! | Events | `GET /v1/events/{id}`, `GET /v1/events` |
//! | Webhook endpoints | `POST /v1/webhook_endpoints`, `GET /v1/webhook_endpoints[/{id}]`, `POST /v1/webhook_endpoints/{id}`, `DELETE /v1/webhook_endpoints/{id}` |
//!
//! # Payment intents through the API
//! Only cards, captured automatically. Confirming with a test token (`pm_card_visa`, `pm_card_mastercard`,
//! `pm_card_amex`, `pm_card_chargeDeclined`, `pm_card_chargeDeclinedInsufficientFunds`,
//! `pm_card_chargeDeclinedExpiredCard`, `pm_card_authenticationRequired`, `pm_card_threeDSecure2Required`,
//! `pm_card_createDispute`…) makes a new unattached `pm_…`; a saved `pm_…` must belong to the payment intent's
//! customer. Events: create `payment_intent.created`; success `charge.succeeded`, `payment_intent.succeeded`
//! (`latest_charge`, `amount_received`; the charge carries the payment intent and its metadata, so
//! `POST /v1/refunds` with `payment_intent` works); a decline `charge.failed`, `payment_intent.payment_failed`
//! and a 402 `card_error` with the `payment_intent` (back to `requires_payment_method`, `last_payment_error`);
//! 3-D Secure `payment_intent.requires_action` (`next_action` `use_stripe_sdk`, or `redirect_to_url` when the
//! confirmation has a `return_url`), finished with the control API's
//! `POST /_emulator/payment_intents/{id}/three_d_secure` (the checkout page's challenge belongs to its session;
//! the `next_action` URL, `{base_url}payment_intents/{id}/three_d_secure`, is not served as a page yet); cancel `payment_intent.canceled`. Confirming,
//! cancelling or updating a succeeded or canceled one is a 400 `payment_intent_unexpected_state`, and so is
//! confirming or cancelling one a checkout session owns. A 402 is replayed for its `Idempotency-Key`.
//!
//! # The hosted checkout page
//! `session.url` is `{base_url}checkout/{id}`: the line items, the total, email and card fields, a
//! "bank debit (delayed)" choice and a cancel link; in subscription mode the total due today, "then 9.00 USD
//! every month" and the trial's length. Stripe's test cards behave as on Stripe
//! (4242… succeeds, 0002 generic decline, 9995 insufficient funds, 0069 expired, 0119 processing error,
//! 0259 succeeds then disputed, 3155 asks for 3-D Secure). Its forms post to `{session.url}/pay`,
//! `/three_d_secure` (`action=complete|fail`) and `/settle` (`outcome=succeed|fail`). Success and delayed
//! debits redirect (303) to `success_url` with `{CHECKOUT_SESSION_ID}` replaced; a decline shows the form
//! again with the error, the session still open.
//!
//! # Subscriptions
//! Rendered as API versions since 2025-03-31.basil render them: the period is on each item
//! (`items.data[].current_period_start|end`), an invoice names its subscription at
//! `parent.subscription_details.subscription` (with the subscription's `metadata` there), lines say where they
//! come from at `parent` and their price at `pricing`, and invoices have no `subscription`, `charge`,
//! `payment_intent` or `paid` (`expand[]=payments` lists the payment intent).
//!
//! A subscription-mode session takes recurring lines (one interval) and one-time lines for the first invoice,
//! `subscription_data[metadata|trial_period_days|description]`; it offers cards only and refuses
//! `payment_intent_data`, `customer_creation` and `submit_type`, as Stripe does. Paying it (the page or
//! `pay` below) saves the card on the customer (made from the email if the session names none), creates the
//! subscription (`active`, or `trialing`) and its first invoice (`subscription_create`, charged at once, or
//! paid at zero during a trial) and completes the session (`payment_status` `paid`, or `no_payment_required`,
//! `subscription`, `invoice`, `payment_intent: null`). Events, in this order: `customer.created` (a new
//! customer), `payment_method.attached`, `customer.subscription.created` (as it ends up), `invoice.created`
//! (the draft), `invoice.finalized`, `payment_intent.created`, `payment_intent.succeeded`, `charge.succeeded`,
//! `invoice.paid`, `invoice.payment_succeeded`, `customer.subscription.trial_will_end` (a trial shorter than
//! 3 days), `checkout.session.completed`. Stripe guarantees no order; these are sent in the order they
//! happen. `POST /v1/subscriptions` sends the same from `customer.subscription.created` on.
//!
//! On the emulator's clock, in time order and each dated when it fell due (`request.id` null):
//! `customer.subscription.trial_will_end` 3 days before a trial ends; at a trial's or a period's end a new
//! invoice (`subscription_cycle`) is created, finalized and charged to the subscription's default payment
//! method (else the customer's `invoice_settings.default_payment_method`), then
//! `customer.subscription.updated` (the period moved: its `previous_attributes` carry the old `items`); a
//! scheduled `cancel_at_period_end` ends it instead (`customer.subscription.deleted`). A declined charge
//! sends `charge.failed`, `payment_intent.payment_failed`, `invoice.payment_failed` (`attempt_count`,
//! `next_payment_attempt`) and makes the subscription `past_due`; retries follow
//! [`EmulatorConfig::invoice_retry_schedule`] (3, 5 and 7 days after the previous attempt), a paid retry
//! makes it `active` again, and after the last failure it is canceled (`cancellation_details.reason:
//! payment_failed`) or `unpaid` ([`EmulatorConfig::when_retries_exhausted`]), whose later invoices stay
//! drafts. A first invoice left unpaid (`incomplete`) is not retried: after 23 hours the subscription is
//! `incomplete_expired` and the invoice voided. Test cards: 4000 0000 0000 0341 (`pm_card_chargeCustomerFail`)
//! attaches and pays on the checkout page, then every later charge is declined; the other decline cards
//! cannot be attached (the page shows the decline, nothing is created). Not emulated: proration and item
//! changes, coupons, taxes, `pause_collection`, 3-D Secure off-session (3-D Secure cards pay without a
//! challenge in subscription mode), Stripe's hour between an invoice's creation and its finalization, and
//! the `invoice.updated` events and the `incomplete`→`active` `customer.subscription.updated` a real Checkout
//! signup also sends (here the subscription is created as it ends up).
//!
//! # The customer portal page
//! A portal session's `url` is `{base_url}billing_portal/{id}`: the customer's subscriptions with their price
//! and renewal date, a form to cancel each at the end of its period (`customer.subscription.updated`) or now
//! (`customer.subscription.deleted`), one to take a scheduled cancellation back, and a link to `return_url`.
//! Its forms post to `{url}/subscriptions/{id}/cancel` (`when=period_end|now`) and `…/renew`.
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
//! | `POST /_emulator/clock/advance` | `seconds` | moves the clock forward; overdue sessions expire; the subscription billing that fell due runs in time order, about 1,000 steps per advance; answers `{now, offset_seconds, billing_pending}`, `billing_pending: true` when more is due (it runs in the background, 100 steps a second) |
//! | `POST /_emulator/checkout/sessions/{id}/expire` | | expires an open session |
//! | `POST /_emulator/checkout/sessions/{id}/pay` | `card=4242…` (the default) or `method=delayed` [`outcome=succeed\|fail`], [`email`] (default `customer@example.com`) | submits the checkout form; answers `{outcome, redirect_url, checkout_session, payment_intent, subscription}`, or a decline as Stripe answers a failed payment: 402 with the `last_payment_error` and the `payment_intent` (a subscription-mode decline: a 402 `card_error` without one) |
//! | `POST /_emulator/checkout/sessions/{id}/three_d_secure` | `outcome=complete\|fail` | finishes the 3-D Secure step; answers as `pay` does (a failure is a 402) |
//! | `POST /_emulator/payment_intents/{id}/three_d_secure` | `outcome=complete\|fail` | finishes the 3-D Secure step of a payment intent confirmed through the API; answers the payment intent, or a failure as a declined confirmation (402, `payment_intent_authentication_failure`) |
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
mod calendar;
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

pub use config::{exponential_backoff, EmulatorConfig, RetriesExhausted};
pub use control::{ControlError, DelayedOutcome, DisputeOutcome};
pub use delivery::{Delivery, DeliveryAttempt, DeliveryStatus};
pub use emulator::{Emulator, WebhookRegistration};
pub use store::{PaymentChoice, PaymentResult};

/// The API version events carry (async-stripe's pinned `stripe_shared::version::VERSION`).
pub fn api_version() -> &'static str {
    model::event::api_version()
}
