//! `quote`, `verify` and `rates`: read files, call the library, print.

use super::args::{EngineArgs, Format, QuoteArgs, RatesArgs, VerifyArgs};
use super::{EXIT_REFUSED, Usage, emit};
use checkout_tax::present;
use checkout_tax::{Catalog, Date, Engine, Jurisdiction, Merchant, RateTable, SessionRequest};
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

/// Reads a file's bytes, or stdin's for `-`.
pub(crate) fn read_bytes(path: &Path) -> Result<Vec<u8>, Usage> {
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| Usage(format!("cannot read stdin: {e}")))?;
        return Ok(bytes);
    }
    std::fs::read(path).map_err(|e| Usage(format!("cannot read `{}`: {e}", path.display())))
}

/// Reads a text file (catalog, merchant, tax data), or stdin for `-`.
pub(crate) fn read_input(path: &Path) -> Result<String, Usage> {
    String::from_utf8(read_bytes(path)?)
        .map_err(|e| Usage(format!("`{}` is not UTF-8: {e}", path.display())))
}

/// Today's date in UTC: the CLI's one read of the clock (the library is
/// clock-free and takes the date as an argument).
pub(crate) fn today_utc() -> Date {
    jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
}

/// `--at`, or today in UTC.
pub(crate) fn date(at: Option<&str>) -> Result<Date, Usage> {
    match at {
        Some(text) => checkout_tax::parse_date(text).map_err(|e| Usage(format!("--at: {e}"))),
        None => Ok(today_utc()),
    }
}

/// The texts of the files the engine is built from, read once (the service
/// hashes the same bytes it parses).
#[derive(Debug, Default)]
pub(crate) struct Inputs {
    pub(crate) merchant: Option<String>,
    pub(crate) catalog: Option<String>,
    pub(crate) tax_data: Option<String>,
}

/// Reads the catalog, merchant and tax data files named by the options.
pub(crate) fn read_inputs(args: &EngineArgs) -> Result<Inputs, Usage> {
    let read = |p: &Option<std::path::PathBuf>| p.as_deref().map(read_input).transpose();
    Ok(Inputs {
        merchant: read(&args.merchant)?,
        catalog: read(&args.catalog)?,
        tax_data: read(&args.tax_data)?,
    })
}

/// The tax table: `--tax-data FILE`, or the embedded one.
pub(crate) fn table(path: Option<&Path>) -> Result<Option<Arc<RateTable>>, Usage> {
    match path {
        None => Ok(None),
        Some(p) => parse_table(p, &read_input(p)?).map(Some),
    }
}

fn parse_table(path: &Path, text: &str) -> Result<Arc<RateTable>, Usage> {
    RateTable::from_csv(text)
        .map(Arc::new)
        .map_err(|e| Usage(format!("`{}`: {e}", path.display())))
}

/// The engine from the common options: files first, then the flags that
/// override the merchant file.
pub(crate) fn engine(args: &EngineArgs) -> Result<Engine, Usage> {
    build_engine(args, &read_inputs(args)?)
}

/// The engine from texts already read (see [`read_inputs`]); errors name the
/// file they came from.
pub(crate) fn build_engine(args: &EngineArgs, inputs: &Inputs) -> Result<Engine, Usage> {
    let name = |p: &Option<std::path::PathBuf>| {
        p.as_deref()
            .map_or_else(String::new, |p| p.display().to_string())
    };
    let mut merchant = match &inputs.merchant {
        Some(text) => Merchant::from_json(text)
            .map_err(|e| Usage(format!("`{}`: {e}", name(&args.merchant))))?,
        None => Merchant::default(),
    };
    if let Some(t) = args.merchant_type {
        merchant.merchant_type = t;
    }
    if let Some(level) = args.rounding_level {
        merchant.rounding_level = level;
    }
    if let Some(mode) = args.rounding_mode {
        merchant.rounding_mode = mode;
    }
    let catalog = match &inputs.catalog {
        Some(text) => Catalog::from_json(text)
            .map_err(|e| Usage(format!("`{}`: {e}", name(&args.catalog))))?,
        None => Catalog::default(),
    };
    let mut builder = Engine::builder().catalog(catalog).merchant(merchant);
    if let (Some(text), Some(path)) = (&inputs.tax_data, &args.tax_data) {
        builder = builder.tax_table(parse_table(path, text)?);
    }
    builder.build().map_err(|e| Usage(e.to_string()))
}

pub(crate) fn quote(args: &QuoteArgs) -> Result<u8, Usage> {
    let engine = engine(&args.engine)?;
    let date = date(args.engine.at.as_deref())?;
    // The request is input to judge, not a file to read: bytes that are not
    // UTF-8 or not JSON are refused like any other request (exit 1).
    let body = read_bytes(&args.request)?;
    // The steps of `Engine::quote_json` (which the service and `batch`
    // answer with), kept apart so the quote can be printed for people.
    let request = SessionRequest::from_json_bytes(&body);
    let outcome = match &request {
        Ok(request) => engine.quote(request, date),
        Err(e) => Err(e.clone()),
    };
    let out = match &outcome {
        Err(e) => pretty(&e.to_json())?,
        Ok(quote) => match args.format {
            Format::Json => pretty(quote)?,
            Format::Table => present::quote_table(quote, date),
        },
    };
    emit(&out)?;
    Ok(if outcome.is_ok() { 0 } else { EXIT_REFUSED })
}

pub(crate) fn verify(args: &VerifyArgs) -> Result<u8, Usage> {
    let engine = engine(&args.engine)?;
    let date = date(args.engine.at.as_deref())?;
    if args.request.as_os_str() == "-" && args.response.as_os_str() == "-" {
        return Err(Usage("only one of REQUEST and RESPONSE can be `-`".into()));
    }
    let request = read_bytes(&args.request)?;
    let response = read_bytes(&args.response)?;
    // The response is the user's file: one that is not JSON is a usage
    // error here (the packages report it as a mismatch naming `response`).
    serde_json::from_slice::<serde::de::IgnoredAny>(&response)
        .map_err(|e| Usage(format!("`{}` is not JSON: {e}", args.response.display())))?;
    let report = engine.verify_json(&request, &response, date);
    let out = match args.format {
        Format::Json => pretty(&report)?,
        Format::Table => present::verify_report_table(&report),
    };
    emit(&out)?;
    Ok(if report.matched { 0 } else { EXIT_REFUSED })
}

pub(crate) fn rates(args: &RatesArgs) -> Result<u8, Usage> {
    let owned = table(args.tax_data.as_deref())?;
    let table: &RateTable = match &owned {
        Some(t) => t,
        None => RateTable::embedded().map_err(|e| Usage(e.to_string()))?,
    };
    let date = date(args.at.as_deref())?;
    checkout_tax::engine::check_covered(table, date).map_err(|e| Usage(e.to_string()))?;
    let wanted = args
        .jurisdictions
        .iter()
        .map(|j| {
            Jurisdiction::parse(j).ok_or_else(|| {
                Usage(format!(
                    "`{j}` is not a jurisdiction such as `DE` or `US-CA`"
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let rows = present::rates_at(table, date, &wanted);
    let out = match args.format {
        Format::Json => pretty(&present::rates_json(&rows, date))?,
        Format::Table => present::rates_table(&rows, date),
    };
    emit(&out)?;
    Ok(0)
}

/// Indented JSON for people, with a final newline.
fn pretty<T: serde::Serialize>(value: &T) -> Result<String, Usage> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| Usage(format!("cannot format the answer: {e}")))?;
    text.push('\n');
    Ok(text)
}
