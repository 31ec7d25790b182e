//! The `Stripe-Signature` header parser and check: a header, a newline, the body it signs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| payments_stripe::fuzzing::signature_header(data));
