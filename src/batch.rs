//! One NDJSON line in, one NDJSON line out: the unit of work of the CLI's
//! `batch`. Pure (bytes to bytes), so the CLI's streaming loop, its worker
//! threads and the benches all share it.

use crate::engine::Engine;
use crate::error::{Error, ErrorCode};
use crate::request::SessionRequest;
use crate::request::limits::MAX_REQUEST_BYTES;
use jiff::civil::Date;

/// Appends the answer to one request line to `out`, without a newline: the
/// quote's JSON, or `{"error": {...}}`. A line that is too long, not UTF-8,
/// not JSON or refused by the rules gets its error; nothing is skipped.
/// Returns true for a quote, false for an error.
///
/// ```
/// use checkout_tax::{Engine, batch::answer_line};
///
/// let engine = Engine::builder().build()?;
/// let mut out = Vec::new();
/// answer_line(&engine, checkout_tax::parse_date("2025-06-01").unwrap(), b"{]", &mut out);
/// assert!(out.starts_with(br#"{"error":{"code":"invalid_request""#));
/// # Ok::<(), checkout_tax::Error>(())
/// ```
pub fn answer_line(engine: &Engine, date: Date, line: &[u8], out: &mut Vec<u8>) -> bool {
    let start = out.len();
    if line.len() > MAX_REQUEST_BYTES {
        let e = Error::without_param(
            ErrorCode::LimitExceeded,
            format!("the request is over the limit of {MAX_REQUEST_BYTES} bytes"),
        );
        write_error(&e, out);
        return false;
    }
    let outcome = SessionRequest::from_json_bytes(line).and_then(|request| {
        engine.quote(&request, date)?.write_json(out);
        Ok(())
    });
    match outcome {
        Ok(()) => true,
        Err(e) => {
            out.truncate(start);
            write_error(&e, out);
            false
        }
    }
}

/// Appends the spec's `{"error": {"code", "message", "param"}}` to `out`.
pub fn write_error(error: &Error, out: &mut Vec<u8>) {
    // Writing a `serde_json::Value` into a `Vec` cannot fail.
    let _ = serde_json::to_writer(out, &error.to_json());
}
