//! The tax table shipped with the crate: `data/tax_rates.csv`, compiled in
//! with `include_str!` and parsed once per process by the same public parser
//! that reads a user's `--tax-data` file.

use super::RateTable;
use crate::error::Error;
use std::sync::OnceLock;

/// The shipped CSV, byte for byte.
pub const CSV: &str = include_str!("../../data/tax_rates.csv");

/// The parsed shipped table (parsed on first call, then shared).
///
/// # Errors
/// Only if the shipped file were malformed, which `tests/suite/data.rs` rules out.
pub fn table() -> Result<&'static RateTable, Error> {
    static TABLE: OnceLock<Result<RateTable, Error>> = OnceLock::new();
    TABLE
        .get_or_init(|| RateTable::from_csv(CSV))
        .as_ref()
        .map_err(Clone::clone)
}
