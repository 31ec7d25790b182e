//! Helpers for whole-app tests: start the service, fake Stripe, build and sign events, cut the database.

pub mod db_proxy;
pub mod events;
pub mod fake_stripe;
pub mod hosted;
pub mod test_app;
pub mod test_db;

pub use db_proxy::DbProxy;
pub use hosted::{HostedCheckout, PageAnswer};
pub use test_app::{
    spawn_app, token_with, user_token, TestApp, TestOptions, ADMIN_KEY, FULFILMENT_SECRET, JWT_AUDIENCE,
    JWT_ISSUER, JWT_SECRET, PRIMARY_SECRET, ROTATED_SECRET,
};
pub use test_db::{backend_from_env, TestDb};
