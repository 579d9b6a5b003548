//! `checkout-tax`: quote, verify and batch-quote checkout sessions, and list
//! tax rates, from the command line. `main` stays thin: parse arguments, read
//! files, call the library, print, and map the outcome to the exit code
//! (0 ok, 1 refused or mismatch, 2 usage).

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::run()
}
