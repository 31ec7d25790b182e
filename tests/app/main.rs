//! Whole-app tests: the real service on port 0, a fresh Postgres database per test, a local fake Stripe.

mod accounts;
mod browser;
mod checkout;
mod currencies;
mod emulated;
mod fulfilment;
mod hostile;
mod orders;
mod outage;
mod payment_flows;
mod payment_intents;
mod reconcile;
mod refunds;
mod signatures;
mod subscriptions;
mod swapping;
