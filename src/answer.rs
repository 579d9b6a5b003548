//! Bytes in, bytes out: the entry points that every front end calls (the
//! CLI's `quote` and `batch`, the HTTP service, the Node and Python
//! packages), so that none of them can answer differently.

use crate::engine::Engine;
use crate::error::Error;
use crate::output::JsonValue;
use crate::quote::{Quote, TaxStatus};
use crate::request::SessionRequest;
use crate::verify::Report;
use jiff::civil::Date;

/// What [`Engine::quote_json`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Answer {
    /// A quote, with its tax status.
    Quote(TaxStatus),
    /// The request was refused; the error object was written.
    Refused(Error),
}

impl Answer {
    /// True for a quote.
    pub fn is_quote(&self) -> bool {
        matches!(self, Answer::Quote(_))
    }
}

impl Engine {
    /// Answers one create-session request body (the bytes of a file, an
    /// NDJSON line or an HTTP body): appends the quote's compact JSON, or
    /// the spec's `{"error": {...}}`, to `out`. Bytes that are too many, not
    /// UTF-8 or not JSON get `invalid_request` or `limit_exceeded` like any
    /// other refusal; nothing is skipped and nothing panics.
    ///
    /// ```
    /// use checkout_tax::{Answer, Engine};
    ///
    /// let engine = Engine::builder().build()?;
    /// let mut out = Vec::new();
    /// let answer = engine.quote_json(b"{]", checkout_tax::parse_date("2025-06-01")?, &mut out);
    /// assert!(matches!(answer, Answer::Refused(_)));
    /// assert!(out.starts_with(br#"{"error":{"code":"invalid_request""#));
    /// # Ok::<(), checkout_tax::Error>(())
    /// ```
    pub fn quote_json(&self, body: &[u8], date: Date, out: &mut Vec<u8>) -> Answer {
        let start = out.len();
        let outcome = self.quote_with(body, date, |quote| {
            quote.write_json(out);
            quote.tax_status
        });
        match outcome {
            Ok(status) => Answer::Quote(status),
            Err(e) => {
                out.truncate(start);
                e.write_json(out);
                Answer::Refused(e)
            }
        }
    }

    /// Answers one request body as [`Engine::quote_json`] does, handing the
    /// quote to `f` instead of writing its JSON: for a binding that builds
    /// its own values with the field walk ([`crate::output::fields`]).
    ///
    /// # Errors
    /// The refusal `quote_json` writes for the same bytes.
    pub fn quote_with<T>(
        &self,
        body: &[u8],
        date: Date,
        f: impl FnOnce(&Quote<'_>) -> T,
    ) -> Result<T, Error> {
        let request = SessionRequest::from_json_bytes(body)?;
        let quote = self.quote(&request, date)?;
        Ok(f(&quote))
    }

    /// Recomputes a request given as bytes and compares the outcome with a
    /// service's response given as bytes: the report of
    /// [`Engine::verify_outcome`], with malformed request bytes a refusal
    /// and malformed response bytes a mismatch naming `response`.
    pub fn verify_json(&self, request: &[u8], response: &[u8], date: Date) -> Report<'static> {
        let quote = SessionRequest::from_json_bytes(request).and_then(|r| {
            let quote = self.quote(&r, date)?;
            Ok(quote.into_owned())
        });
        // Only the members verify reads are built (`verify::read`).
        match crate::verify::read::response(response) {
            Ok(value) => Report::compare(quote, &value),
            Err(e) => Report::malformed_response(quote, &e.to_string()),
        }
    }
}
