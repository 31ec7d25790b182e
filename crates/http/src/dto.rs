//! What clients send and read, in the seed's camelCase JSON, and its translation to and from domain types.

pub(crate) mod catalog;
pub(crate) mod checkout;
pub(crate) mod order;
pub(crate) mod refund;
pub(crate) mod subscription;
pub(crate) mod webhook;
