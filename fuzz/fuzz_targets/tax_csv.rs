//! Arbitrary bytes as a tax-data CSV file: never panics; a table that loads
//! answers for every row; a refusal names a line of the file.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::tax_csv(data));
