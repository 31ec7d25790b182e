//! The webhook event parser, alone and behind a correct signature: a webhook body.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| payments_stripe::fuzzing::event(data));
