//! The checkout-tax engine as a Node.js addon. This layer only moves bytes:
//! every answer is the core's own JSON (`Engine::quote_json`,
//! `Engine::verify_json` + `Report::to_json`, `present::rates_json`), passed
//! to JavaScript as text, which `index.js` parses (numbers past 2^53 as
//! `BigInt`). Text across the boundary is an order of magnitude cheaper
//! than building JS objects field by field (see `bench.js`). `quote` takes
//! the quote as its field walk in a compact string instead (`compact.rs`),
//! which the generated `quote-builder.js` reads several times faster than
//! `JSON.parse` reads the JSON.
//!
//! Refusals are answers, not exceptions: a method returns the spec's
//! `{"error": {...}}` text and `index.js` throws `RequestError` from it.
//! Exceptions are for bad engine inputs (`DataError`, whose message is a
//! JSON object) and for a panic, which is caught here so that none crosses
//! into Node.
#![deny(missing_docs)]
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod compact;

use checkout_tax::output::fields::Fields;
use checkout_tax::{
    Catalog, Date, Engine, Error, ErrorCode, Jurisdiction, Merchant, RateTable, present,
};
use napi::Either;
use napi::bindgen_prelude::{Buffer, External};
use napi::{Env, Error as JsError, JsString, Result, Status};
use napi_derive::napi;
use serde_json::json;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs `f`, turning a panic into a JS exception (`internal: ...`) so that
/// none unwinds into Node.
fn guarded<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_owned());
            Err(JsError::new(
                Status::GenericFailure,
                data_error_text(&Error::internal(what)),
            ))
        }
    }
}

/// The JSON text `index.js` turns into a `DataError`: `{code, message,
/// param, line}` (line for tax data, param naming the input or its field).
fn data_error_text(e: &Error) -> String {
    let line = match e {
        Error::TaxData { line, .. } => Some(*line),
        _ => None,
    };
    let param = match e {
        Error::Config { what, .. } => Some((*what).to_owned()),
        other => other.param().map(str::to_owned),
    };
    json!({
        "code": e.code().as_str(),
        "message": e.to_string(),
        "param": param,
        "line": line,
    })
    .to_string()
}

fn data_error(e: &Error) -> JsError {
    JsError::new(Status::InvalidArg, data_error_text(e))
}

/// A refusal as an exception (`index.js` throws it as a `RequestError`):
/// for the calls whose answers are not quotes (a bad `at` for `verify`,
/// `quoteMany`, `rates`; a bad jurisdiction), so that no answer text has to
/// be told apart from an error text.
fn refusal_error(e: &Error) -> JsError {
    let payload = json!({
        "request": true,
        "code": e.code().as_str(),
        "message": e.message(),
        "param": e.param(),
    });
    JsError::new(Status::InvalidArg, payload.to_string())
}

/// `at` for the calls that throw a bad date (`refusal_error`).
fn date_or_throw(at: Option<&str>) -> Result<Date> {
    match at {
        None => Ok(today_utc()),
        Some(text) => checkout_tax::parse_date(text).map_err(|e| refusal_error(&e)),
    }
}

/// Today in UTC: the addon's one read of the clock (the core takes dates
/// as arguments).
fn today_utc() -> Date {
    jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
}

/// `at` as `YYYY-MM-DD`, or today in UTC; `Err` is the refusal's JSON text.
fn date(at: Option<&str>) -> std::result::Result<Date, String> {
    match at {
        None => Ok(today_utc()),
        Some(text) => checkout_tax::parse_date(text).map_err(|e| error_text(&e)),
    }
}

/// The spec's `{"error": {...}}` text of a refusal.
fn error_text(e: &Error) -> String {
    text(checkout_tax::output::to_json_bytes(e))
}

/// The core writes UTF-8 JSON; a lossy conversion is only a guard.
fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn bytes_of(value: &Either<String, Buffer>) -> &[u8] {
    match value {
        Either::A(text) => text.as_bytes(),
        Either::B(bytes) => bytes,
    }
}

/// A JS string of the engine's JSON text, prefixed with `!` when the text
/// has a run of 16 digits (so may hold an integer past 2^53): `index.js`
/// then parses it with BigInts, and without scanning it otherwise. ASCII
/// text (the usual answer) is created as Latin-1, which V8 copies without
/// decoding.
fn js_text(env: &Env, mut text: Vec<u8>) -> Result<JsString<'_>> {
    if has_long_digit_run(&text) {
        text.insert(0, b'!');
    }
    if text.is_ascii() {
        env.create_string_latin1(&text)
    } else {
        env.create_string(String::from_utf8_lossy(&text))
    }
}

/// True when `text` has a run of 16 or more digits. Such a run covers a
/// whole aligned block of 8 bytes, so only blocks made of digits are looked
/// at closely: a test a block instead of a branch a byte (the answer is
/// about 1,300 bytes).
fn has_long_digit_run(text: &[u8]) -> bool {
    let is_digit = |b: &&u8| b.is_ascii_digit();
    text.chunks_exact(8).enumerate().any(|(k, block)| {
        block.iter().all(u8::is_ascii_digit) && {
            let (head, tail) = text.split_at_checked(k * 8).unwrap_or_default();
            let before = head.iter().rev().take_while(is_digit).count();
            before + tail.iter().take_while(is_digit).count() >= 16
        }
    })
}

/// An engine built once from a catalog, a merchant and a tax table, held
/// by JavaScript as an `External` handle that every call below takes
/// first. Plain functions over a handle, rather than methods of a
/// `#[napi]` class: a method call costs napi-rs an unwrap of `this` and a
/// registration of the borrow in a global map, about 2,500 instructions of
/// a 3-line `quoteCompact`'s 25,700 (callgrind, `bench.js`'s request).
pub struct NativeEngine {
    engine: Engine,
}

/// The handle JavaScript holds.
type Handle = External<NativeEngine>;

/// Parses the catalog (JSON text), the merchant (JSON text, default
/// Merchant of Record) and the tax table (CSV text, default the embedded
/// table) into an engine handle. Throws a `DataError` payload naming the
/// line or field when one is malformed.
#[napi]
pub fn new_engine(
    catalog: Option<String>,
    merchant: Option<String>,
    tax_data: Option<String>,
) -> Result<Handle> {
    guarded(|| {
        let catalog = match catalog {
            Some(text) => Catalog::from_json(&text).map_err(|e| data_error(&e))?,
            None => Catalog::default(),
        };
        let merchant = match merchant {
            Some(text) => Merchant::from_json(&text).map_err(|e| data_error(&e))?,
            None => Merchant::default(),
        };
        let mut builder = Engine::builder().catalog(catalog).merchant(merchant);
        if let Some(csv) = tax_data {
            builder = builder.tax_table(RateTable::from_csv(&csv).map_err(|e| data_error(&e))?);
        }
        let engine = builder.build().map_err(|e| data_error(&e))?;
        Ok(External::new(NativeEngine { engine }))
    })
}

/// The quote of a request given as JSON text, as compact JSON text, or the
/// refusal's `{"error": ...}` text (a bad `at` included); see [`js_text`]
/// for the `!` mark of big integers.
#[napi]
pub fn quote_text<'e>(
    env: &'e Env,
    engine: &Handle,
    body: String,
    at: Option<String>,
) -> Result<JsString<'e>> {
    guarded(|| js_text(env, engine.answer(body.as_bytes(), at.as_deref())))
}

/// `quote_text` for a request given as bytes (a `Buffer` or `Uint8Array`),
/// which need not be UTF-8: such bytes are refused.
#[napi]
pub fn quote_bytes<'e>(
    env: &'e Env,
    engine: &Handle,
    body: Buffer,
    at: Option<String>,
) -> Result<JsString<'e>> {
    guarded(|| js_text(env, engine.answer(&body, at.as_deref())))
}

/// The quote of a request given as JSON text in the compact form that
/// `quote-builder.js` reads (`compact.rs`: it starts with `#`), or the
/// refusal's `{"error": ...}` text as `quote_text` gives it.
#[napi]
pub fn quote_compact<'e>(
    env: &'e Env,
    engine: &Handle,
    body: String,
    at: Option<String>,
) -> Result<JsString<'e>> {
    guarded(|| engine.compact_answer(env, body.as_bytes(), at.as_deref()))
}

/// `quote_compact` for a request given as bytes.
#[napi]
pub fn quote_compact_bytes<'e>(
    env: &'e Env,
    engine: &Handle,
    body: Buffer,
    at: Option<String>,
) -> Result<JsString<'e>> {
    guarded(|| engine.compact_answer(env, &body, at.as_deref()))
}

/// Every request quoted with the same date: one JSON array text of quotes
/// and `{"error": ...}` objects in order, or the `{"error": ...}` text of a
/// bad `at`.
#[napi]
pub fn quote_many_text(engine: &Handle, bodies: Vec<String>, at: Option<String>) -> Result<String> {
    guarded(|| {
        let date = date_or_throw(at.as_deref())?;
        // Answers average about 1.5 KB: room for all without regrowing.
        let mut out = Vec::with_capacity(bodies.len().saturating_mul(2048).saturating_add(2));
        out.push(b'[');
        for (i, body) in bodies.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            engine.engine.quote_json(body.as_bytes(), date, &mut out);
        }
        out.push(b']');
        Ok(text(out))
    })
}

/// The report of recomputing `request` and comparing it with a service's
/// `response` (each JSON text or bytes): `Report::to_json`'s `{match,
/// kind?, mismatches, error?, quote?}`; a bad `at` throws.
#[napi]
pub fn verify_text(
    engine: &Handle,
    request: Either<String, Buffer>,
    response: Either<String, Buffer>,
    at: Option<String>,
) -> Result<String> {
    guarded(|| {
        let date = date_or_throw(at.as_deref())?;
        let report = engine
            .engine
            .verify_json(bytes_of(&request), bytes_of(&response), date);
        Ok(report.to_json().to_string())
    })
}

/// The rates in force at `at` for the jurisdictions (all when empty), as
/// `checkout-tax rates --format json` prints them; a bad date or
/// jurisdiction throws.
#[napi]
pub fn rates_text(
    engine: &Handle,
    jurisdictions: Vec<String>,
    at: Option<String>,
) -> Result<String> {
    guarded(|| {
        let date = date_or_throw(at.as_deref())?;
        let mut wanted = Vec::with_capacity(jurisdictions.len());
        for (i, j) in jurisdictions.iter().enumerate() {
            match Jurisdiction::parse(j) {
                Some(parsed) => wanted.push(parsed),
                None => {
                    return Err(refusal_error(&Error::new(
                        ErrorCode::InvalidRequest,
                        format!("jurisdictions[{i}]"),
                        format!("`{j}` is not a jurisdiction such as `DE` or `US-CA`"),
                    )));
                }
            }
        }
        let rows = present::rates_at(engine.engine.tax_table(), date, &wanted);
        Ok(present::rates_json(&rows, date).to_string())
    })
}

/// For `bench.js` only: the same quote with the request and the answer
/// converted field by field between JS values and `serde_json::Value`
/// (napi's serde support), the path this package measured and did not
/// take. No BigInt support; `index.js` does not use it.
#[napi]
pub fn bench_quote_serde(
    engine: &Handle,
    request: serde_json::Value,
    at: Option<String>,
) -> Result<serde_json::Value> {
    guarded(|| {
        let body = serde_json::to_vec(&request)
            .map_err(|e| JsError::new(Status::InvalidArg, e.to_string()))?;
        let text = engine.answer(&body, at.as_deref());
        serde_json::from_slice(&text)
            .map_err(|e| JsError::new(Status::GenericFailure, e.to_string()))
    })
}

/// For `bench.js` only: `calls` answers to `body` through
/// `Engine::quote_json`, timed here in Rust, in ns a call. Timed in the
/// same process and the same moments as the JS paths it is compared with,
/// so that the ratio of one round does not depend on how fast the shared
/// host happens to run then.
#[napi]
pub fn bench_rust_quote_json(engine: &Handle, body: String, at: String, calls: u32) -> Result<f64> {
    guarded(|| {
        let date = date_or_throw(Some(&at))?;
        let mut out = Vec::with_capacity(4096);
        let start = std::time::Instant::now();
        for _ in 0..calls {
            out.clear();
            engine
                .engine
                .quote_json(std::hint::black_box(body.as_bytes()), date, &mut out);
        }
        Ok(start.elapsed().as_nanos() as f64 / f64::from(calls.max(1)))
    })
}

impl NativeEngine {
    fn compact_answer<'e>(
        &self,
        env: &'e Env,
        body: &[u8],
        at: Option<&str>,
    ) -> Result<JsString<'e>> {
        let date = match date(at) {
            Ok(d) => d,
            Err(refusal) => return js_text(env, refusal.into_bytes()),
        };
        let walked = self.engine.quote_with(body, date, |quote| {
            let mut sink = compact::Compact::new();
            quote.walk(&mut sink);
            sink
        });
        match walked {
            Ok(sink) if sink.ascii => env.create_string_latin1(&sink.out),
            Ok(sink) => env.create_string(String::from_utf8_lossy(&sink.out)),
            Err(e) => js_text(env, checkout_tax::output::to_json_bytes(&e)),
        }
    }

    fn answer(&self, body: &[u8], at: Option<&str>) -> Vec<u8> {
        let date = match date(at) {
            Ok(d) => d,
            Err(refusal) => return refusal.into_bytes(),
        };
        let mut out = Vec::with_capacity(1024);
        self.engine.quote_json(body, date, &mut out);
        out
    }
}

/// Every error code the engine can give, in the spec's order
/// (`ErrorCode::ALL`), for the package's `ERROR_CODES`.
#[napi]
pub fn error_codes() -> Vec<&'static str> {
    ErrorCode::ALL.iter().map(|c| c.as_str()).collect()
}

/// The quote's output shapes (`compact::shapes_json`): what
/// `quote-builder.js` was generated from, so that `index.js` uses it only
/// when it matches this build.
#[napi]
pub fn output_shapes() -> String {
    compact::shapes_json(&checkout_tax::Quote::shapes())
}
