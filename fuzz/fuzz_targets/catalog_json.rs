//! Arbitrary bytes as a catalog file (coupons and promotion codes
//! included): a catalog or a catalog error, never a panic.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::catalog_json(data));
