//! The emulator's form decoder: a form body or query string.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| payments_stripe_emulator::fuzzing::form(data));
