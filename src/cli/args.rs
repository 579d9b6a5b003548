//! Command-line arguments (clap).

use checkout_tax::{MerchantType, RoundingLevel, RoundingMode};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Prices and taxes hosted checkout sessions from effective-dated tax tables.
#[derive(Debug, Parser)]
#[command(name = "checkout-tax", version, about)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Quote one session: JSON quote on stdout (exit 0), or the JSON error (exit 1).
    #[command(
        after_help = "Example:\n  checkout-tax quote --catalog examples/catalog.json --at 2025-06-01 examples/request.json\n  checkout-tax quote --catalog examples/catalog.json --format table examples/request_eu_de.json"
    )]
    Quote(QuoteArgs),
    /// Recompute a session and compare it with a service's answer (exit 0 match, 1 mismatch).
    #[command(
        after_help = "Example:\n  checkout-tax verify --catalog examples/catalog.json --at 2025-06-01 examples/request.json examples/response.json"
    )]
    Verify(VerifyArgs),
    /// Quote one request per input line (NDJSON), one answer per output line, in order.
    #[command(
        after_help = "Example:\n  checkout-tax batch --catalog examples/catalog.json --at 2025-06-01 < examples/requests.ndjson > quotes.ndjson"
    )]
    Batch(BatchArgs),
    /// The tax rates in force at a date, for the named jurisdictions (all when none).
    #[command(
        after_help = "Example:\n  checkout-tax rates --at 2024-09-01 --format table FI DE CA-QC"
    )]
    Rates(RatesArgs),
}

/// How the merchant is described: a file, or flags.
#[derive(Debug, Clone, Args)]
pub(crate) struct EngineArgs {
    /// The merchant's catalog (JSON: products and prices).
    #[arg(long, value_name = "FILE")]
    pub(crate) catalog: Option<PathBuf>,
    /// The merchant's settings (JSON: merchant_type, tax_registrations, rounding_level, rounding_mode).
    #[arg(long, value_name = "FILE", conflicts_with = "merchant_type")]
    pub(crate) merchant: Option<PathBuf>,
    /// Merchant of Record (default) or Direct/PSP merchant.
    #[arg(long, value_enum, value_name = "TYPE")]
    pub(crate) merchant_type: Option<MerchantType>,
    /// Round tax per line (default) or per document.
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub(crate) rounding_level: Option<RoundingLevel>,
    /// Half away from zero (default) or half to even.
    #[arg(long, value_enum, value_name = "MODE")]
    pub(crate) rounding_mode: Option<RoundingMode>,
    /// A tax table in the spec's CSV format instead of the embedded one.
    #[arg(long, value_name = "FILE")]
    pub(crate) tax_data: Option<PathBuf>,
    /// The date whose rates apply (YYYY-MM-DD); default today in UTC.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub(crate) at: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct QuoteArgs {
    #[command(flatten)]
    pub(crate) engine: EngineArgs,
    /// json (default) or table, for people.
    #[arg(long, value_enum, default_value = "json")]
    pub(crate) format: Format,
    /// The create-session request (JSON file), or `-` for stdin.
    #[arg(value_name = "REQUEST")]
    pub(crate) request: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    #[command(flatten)]
    pub(crate) engine: EngineArgs,
    /// json (default) or table, for people.
    #[arg(long, value_enum, default_value = "json")]
    pub(crate) format: Format,
    /// The create-session request (JSON file), or `-` for stdin.
    #[arg(value_name = "REQUEST")]
    pub(crate) request: PathBuf,
    /// The service's answer (file, or `-` for stdin): the `{success, message, data: {session}}`
    /// envelope, a bare session, or an error response (`{"error": {"code", ...}}`).
    #[arg(value_name = "RESPONSE")]
    pub(crate) response: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct BatchArgs {
    #[command(flatten)]
    pub(crate) engine: EngineArgs,
    /// Worker threads; output keeps input order whatever the number.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub(crate) threads: u16,
}

#[derive(Debug, Args)]
pub(crate) struct RatesArgs {
    /// A tax table in the spec's CSV format instead of the embedded one.
    #[arg(long, value_name = "FILE")]
    pub(crate) tax_data: Option<PathBuf>,
    /// The date (YYYY-MM-DD); default today in UTC.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub(crate) at: Option<String>,
    /// json (default) or table, for people.
    #[arg(long, value_enum, default_value = "json")]
    pub(crate) format: Format,
    /// Jurisdictions such as `DE`, `US-CA`, or a country (`US`) for it and its regions.
    #[arg(value_name = "JURISDICTION")]
    pub(crate) jurisdictions: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Json,
    Table,
}
