//! Both checkout bodies, read into the DTOs and checked into domain values: a JSON body.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| payments_http::fuzzing::checkout_body(data));
