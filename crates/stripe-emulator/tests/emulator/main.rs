//! The emulator from the outside: each test starts its own on 127.0.0.1:0 and talks to it over HTTP as a
//! Stripe client, a browser on the hosted page, a webhook receiver and a test suite would.
//!
//! One test binary (one link on a small machine), one file per topic.

mod support;

mod async_stripe_parsing;
mod auth_and_errors;
mod billing_portal;
mod checkout_page;
mod control_api;
mod events_and_delivery;
mod form_and_idempotency;
mod openapi_conformance;
mod payment_intents_api;
mod resources;
mod subscriptions_api;
mod subscriptions_checkout;
mod subscriptions_clock;
mod test_cards;
