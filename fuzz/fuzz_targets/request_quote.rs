//! Arbitrary bytes as a create-session request, quoted by four engines
//! (both merchant types, both rounding levels) and answered as a batch
//! line.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::request_quote(data));
