//! `checkout-tax`: quote, verify and batch-quote checkout sessions, and list
//! tax rates, from the command line. `main` stays thin: parse arguments, read
//! files, call the library, print, and map the outcome to the exit code
//! (0 ok, 1 refused or mismatch, 2 usage).

#![deny(missing_docs)]
// Library code never panics on input: no unwrap, expect, panic or unchecked
// indexing, and every arithmetic operation is checked (amounts come from
// input). Tests, benches and examples are outside these rules.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unreachable,
    clippy::todo,
    clippy::unimplemented,
    clippy::print_stdout,
    clippy::print_stderr
)]

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::run()
}
