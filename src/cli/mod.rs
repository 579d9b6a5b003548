//! The command-line tool.

mod args;
mod batch;
mod commands;
#[cfg(feature = "serve")]
mod serve;

use args::{Cli, Command};
use clap::Parser;
use std::io::{self, Write};
use std::process::ExitCode;

/// Exit codes of the spec's CLI contract.
pub(crate) const EXIT_REFUSED: u8 = 1;
pub(crate) const EXIT_USAGE: u8 = 2;

/// A failure that ends the command with exit code 2 (bad flags, unreadable
/// or malformed files).
#[derive(Debug)]
pub(crate) struct Usage(pub(crate) String);

pub(crate) fn run() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Quote(a) => commands::quote(&a),
        Command::Verify(a) => commands::verify(&a),
        Command::Batch(a) => batch::run(&a),
        Command::Rates(a) => commands::rates(&a),
        #[cfg(feature = "serve")]
        Command::Serve(a) => serve::run(&a),
    };
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(Usage(message)) => {
            let _ = writeln!(io::stderr(), "checkout-tax: {message}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
pub(crate) fn emit(text: &str) -> Result<(), Usage> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Usage(format!("cannot write to stdout: {e}"))),
    }
}
