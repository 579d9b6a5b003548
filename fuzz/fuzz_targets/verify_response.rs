//! Arbitrary bytes as a checkout service's response, verified against fixed
//! valid requests: never panics, never refuses them.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::verify_response(data));
