//! The catalog file (`config/catalog.toml`): its text.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| payments_app::fuzzing::catalog_file(data));
