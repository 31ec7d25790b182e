//! The HTTP adapter (actix-web): checkout, Stripe webhooks, orders, products, purchases and health checks.
//!
//! Handlers translate JSON to domain types, call the domain's services ([`payments_domain::Services`]), and map
//! their errors to
//! responses. This layer owns what clients read: every error is a JSON body
//! `{"error": {"code": "...", "message": "..."}}`, and internal errors are logged, never shown.
//!
//! Callers authenticate with `Authorization: Bearer <token>`: a user's JWT or the operator's admin API key
//! (see [`AuthOptions`]); no header makes the caller a guest.

mod auth;
mod body;
mod dto;
mod error;
mod error_code;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod rate_limit;
mod request_id;
mod routes;
mod server;

pub use auth::{
    AuthConfigError, AuthOptions, JwtKey, JwtSettings, DEFAULT_LEEWAY_SECS, MAX_ADMIN_KEY_CHARS,
    MAX_LEEWAY_SECS, MIN_ADMIN_KEY_CHARS, MIN_HS256_SECRET_BYTES,
};
pub use error_code::ErrorCode;
pub use rate_limit::{GuestCheckoutLimit, RateLimit};
pub use routes::demo_shop::DemoShop;
pub use server::{configure, serve, Deadlines, FrontEnd, HttpOptions, MetricsRender};

#[cfg(test)]
mod test_support;
