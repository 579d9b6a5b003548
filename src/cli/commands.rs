//! `quote`, `verify` and `rates`: read files, call the library, print.

use super::args::{
    EngineArgs, Format, MerchantTypeArg, QuoteArgs, RatesArgs, RoundingLevelArg, RoundingModeArg,
    VerifyArgs,
};
use super::{EXIT_REFUSED, Usage, emit, render};
use checkout_tax::{
    Catalog, Date, Engine, Error, Jurisdiction, Merchant, MerchantType, RateTable, RoundingLevel,
    RoundingMode, SessionRequest,
};
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

/// Reads a file, or stdin for `-`.
pub(crate) fn read_input(path: &Path) -> Result<String, Usage> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Usage(format!("cannot read stdin: {e}")))?;
        return Ok(text);
    }
    std::fs::read_to_string(path)
        .map_err(|e| Usage(format!("cannot read `{}`: {e}", path.display())))
}

/// `--at`, or today in UTC.
pub(crate) fn date(at: Option<&str>) -> Result<Date, Usage> {
    match at {
        Some(text) => checkout_tax::parse_date(text).ok_or_else(|| {
            Usage(format!(
                "--at `{text}` is not a date of the form YYYY-MM-DD"
            ))
        }),
        None => Ok(jiff::Timestamp::now()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date()),
    }
}

/// The tax table: `--tax-data FILE`, or the embedded one.
pub(crate) fn table(path: Option<&Path>) -> Result<Option<Arc<RateTable>>, Usage> {
    match path {
        None => Ok(None),
        Some(p) => {
            let text = read_input(p)?;
            RateTable::from_csv(&text)
                .map(|t| Some(Arc::new(t)))
                .map_err(|e| Usage(format!("`{}`: {e}", p.display())))
        }
    }
}

/// The engine from the common options.
pub(crate) fn engine(args: &EngineArgs) -> Result<Engine, Usage> {
    let mut merchant = match &args.merchant {
        Some(p) => Merchant::from_json(&read_input(p)?)
            .map_err(|e| Usage(format!("`{}`: {e}", p.display())))?,
        None => Merchant::default(),
    };
    if let Some(t) = args.merchant_type {
        merchant.merchant_type = match t {
            MerchantTypeArg::Mor => MerchantType::MerchantOfRecord,
            MerchantTypeArg::Direct => MerchantType::Direct,
        };
    }
    if let Some(level) = args.rounding_level {
        merchant.rounding_level = match level {
            RoundingLevelArg::Line => RoundingLevel::Line,
            RoundingLevelArg::Document => RoundingLevel::Document,
        };
    }
    if let Some(mode) = args.rounding_mode {
        merchant.rounding_mode = match mode {
            RoundingModeArg::HalfUp => RoundingMode::HalfUp,
            RoundingModeArg::HalfEven => RoundingMode::HalfEven,
        };
    }
    let catalog = match &args.catalog {
        Some(p) => Catalog::from_json(&read_input(p)?)
            .map_err(|e| Usage(format!("`{}`: {e}", p.display())))?,
        None => Catalog::default(),
    };
    let mut builder = Engine::builder().catalog(catalog).merchant(merchant);
    if let Some(t) = table(args.tax_data.as_deref())? {
        builder = builder.tax_table(t);
    }
    builder.build().map_err(|e| Usage(e.to_string()))
}

/// Prints a refusal as the spec's JSON error and returns exit code 1.
fn refuse(error: &Error) -> Result<u8, Usage> {
    emit(&format!("{}\n", error.to_json()))?;
    Ok(EXIT_REFUSED)
}

pub(crate) fn quote(args: &QuoteArgs) -> Result<u8, Usage> {
    let engine = engine(&args.engine)?;
    let date = date(args.engine.at.as_deref())?;
    let text = read_input(&args.request)?;
    let request = match SessionRequest::from_json(&text) {
        Ok(r) => r,
        Err(e) => return refuse(&e),
    };
    match engine.quote(&request, date) {
        Ok(quote) => {
            let out = match args.format {
                Format::Json => json_pretty(&quote)?,
                Format::Table => render::quote_table(&quote, date),
            };
            emit(&out)?;
            Ok(0)
        }
        Err(e) => refuse(&e),
    }
}

pub(crate) fn verify(args: &VerifyArgs) -> Result<u8, Usage> {
    let engine = engine(&args.engine)?;
    let date = date(args.engine.at.as_deref())?;
    let request_text = read_input(&args.request)?;
    let response_text = read_input(&args.response)?;
    let response: serde_json::Value = serde_json::from_str(&response_text)
        .map_err(|e| Usage(format!("`{}` is not JSON: {e}", args.response.display())))?;
    let request = match SessionRequest::from_json(&request_text) {
        Ok(r) => r,
        Err(e) => return refuse(&e),
    };
    match engine.verify(&request, &response, date) {
        Ok(report) => {
            let out = match args.format {
                Format::Json => json_pretty(&serde_json::json!({
                    "match": report.is_match(),
                    "mismatches": report.mismatches,
                }))?,
                Format::Table => render::verify_table(&report),
            };
            emit(&out)?;
            Ok(if report.is_match() { 0 } else { EXIT_REFUSED })
        }
        Err(e) => refuse(&e),
    }
}

pub(crate) fn rates(args: &RatesArgs) -> Result<u8, Usage> {
    let owned = table(args.tax_data.as_deref())?;
    let table: &RateTable = match &owned {
        Some(t) => t,
        None => RateTable::embedded().map_err(|e| Usage(e.to_string()))?,
    };
    let date = date(args.at.as_deref())?;
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
    let rows: Vec<_> = table
        .rows_at(date)
        .filter(|r| {
            wanted.is_empty()
                || wanted.iter().any(|w| {
                    *w == r.jurisdiction || (!w.is_region() && r.jurisdiction.country() == *w)
                })
        })
        .collect();
    let out = match args.format {
        Format::Json => json_pretty(&render::rates_json(&rows, date))?,
        Format::Table => render::rates_table(&rows, date),
    };
    emit(&out)?;
    Ok(0)
}

fn json_pretty<T: serde::Serialize>(value: &T) -> Result<String, Usage> {
    serde_json::to_string_pretty(value)
        .map(|mut s| {
            s.push('\n');
            s
        })
        .map_err(|e| Usage(format!("cannot serialise the answer: {e}")))
}
