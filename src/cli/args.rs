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
    /// Serve the engine over HTTP: the sidecar for checkout services and the admin page.
    #[cfg(feature = "serve")]
    #[command(
        after_help = "Example:\n  checkout-tax serve --catalog examples/catalog.json --listen 127.0.0.1:8080\n  curl -s localhost:8080/v1/quote -d @examples/request.json"
    )]
    Serve(ServeArgs),
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

#[cfg(feature = "serve")]
#[derive(Debug, Clone, Args)]
pub(crate) struct ServeArgs {
    /// The catalog, merchant and tax data (re-read on SIGHUP); `--at` is the
    /// date for requests without `?at=` (default: today in UTC, per request).
    #[command(flatten)]
    pub(crate) engine: EngineArgs,
    /// Address to listen on; port 0 picks a free port (the `listening on` line says which).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    pub(crate) listen: String,
    /// API keys, one per line (blank lines and `#` comments skipped): every
    /// `/v1/*` call then needs `X-API-Key` with one of them. Re-read on SIGHUP.
    #[arg(long, value_name = "FILE")]
    pub(crate) api_keys: Option<PathBuf>,
    /// Seconds a client may take to send a request's headers, or its body
    /// (between two reads for `/v1/batch`), and to read the answer.
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub(crate) read_timeout: u64,
    /// Most connections open at once; more wait in the listen queue.
    #[arg(long, value_name = "N", default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=65536))]
    pub(crate) max_connections: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Json,
    Table,
}
