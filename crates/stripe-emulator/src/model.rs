//! The emulator's resources, each with its rendering in Stripe's wire shape.
//!
//! The fields kept are the ones the emulator changes; everything else Stripe sends is rendered with the
//! value Stripe would send for a test-mode object the emulator cannot change (null, `false`, `[]`).

pub mod charge;
pub mod checkout_session;
pub mod customer;
pub mod dispute;
pub mod event;
pub mod invoice;
pub mod payment_intent;
pub mod payment_method;
pub mod portal_session;
pub mod price;
pub mod product;
pub mod refund;
pub mod saved_payment_method;
pub mod subscription;
pub mod webhook_endpoint;

/// An object kept in a [`crate::store::Table`]: it has an id.
pub trait Row {
    /// The object's id.
    fn id(&self) -> &str;
}
