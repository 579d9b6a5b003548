//! The integration tests, in one binary: a module per concept, one support
//! module (`support`: fixtures, the CLI runner, the quote laws, and the
//! independent reference implementation of the amounts), and the request
//! corpora as data (`tests/corpus/`, `tests/golden/`).
//!
//! Tests that need a process of their own stay beside this binary:
//! `tests/table_memory.rs` (its own global allocator), `tests/fuzz_harness.rs`
//! (the fuzz targets' checks, run by `.ci/fuzz` with `--test fuzz_harness`)
//! and `tests/serve.rs` (a server child process).

mod support;

mod amounts;
mod cli;
mod data;
mod discounts;
mod golden;
mod hostile;
mod json_output;
mod properties;
mod refusals;
mod rounding;
mod rules;
mod verify;
