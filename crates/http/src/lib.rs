//! The HTTP adapter (actix-web): checkout, Stripe webhooks, order lookups and health checks.
//!
//! Handlers translate JSON to domain types, call [`payments_domain::Payments`], and map its errors to
//! responses. This layer owns what clients read: every error is a JSON body
//! `{"error": {"code": "...", "message": "..."}}`, and internal errors are logged, never shown.

mod body;
mod dto;
mod error;
mod request_id;
mod routes;
mod server;

pub use server::{configure, serve, HttpOptions};

#[cfg(test)]
mod test_support;
