//! `checkout_tax` for Python: the engine of the `checkout-tax` crate behind
//! a PyO3 class. Every answer comes from the core's public entry points
//! (`Engine::quote_json`, `Engine::verify_json`, the rates listing), so the
//! package answers what the CLI answers; the GIL is released while the
//! engine computes.

mod arrow;
mod errors;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
mod tojson;
mod topy;

use checkout_tax_core::output::JsonValue;
use checkout_tax_core::request::SessionRequest;
use checkout_tax_core::{
    Answer, Catalog, Date, Engine as CoreEngine, Error as CoreError, ErrorCode, Jurisdiction,
    Merchant, Quote, RateTable, present,
};
use errors::{data_error, data_error_parts, refused, request_error};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyByteArray, PyBytes, PyList, PyModule, PyString, PyTuple};
use std::borrow::Cow;
use std::time::Instant;

/// Requests quoted per release of the GIL in `quote_many` and rows per
/// release in `reconcile_batch`: large enough that the release costs
/// nothing per row, small enough that two threads interleave their
/// conversions.
const CHUNK: usize = 256;

/// Requests per release of the GIL in `quote_many_json`.
const JSON_CHUNK: usize = 256;
/// Room reserved per answer in `quote_many_json`'s buffer (v3 answers
/// average about 1.5 KB).
const ANSWER_ROOM: usize = 2048;

/// A request or response as bytes: a Python `bytes` object borrowed as it
/// is, or bytes made from a str, a dict or a list.
enum Body<'py> {
    Shared(Bound<'py, PyBytes>),
    Owned(Vec<u8>),
}

impl Body<'_> {
    fn bytes(&self) -> &[u8] {
        match self {
            Body::Shared(b) => b.as_bytes(),
            Body::Owned(v) => v,
        }
    }
}

/// Why a Python value could not be turned into bytes for the engine.
struct BadBody {
    param: Option<String>,
    message: String,
}

impl BadBody {
    /// The engine's refusal of it, as if the bytes had been malformed JSON.
    fn refusal(&self) -> CoreError {
        CoreError::Request {
            code: ErrorCode::InvalidRequest,
            param: self.param.clone(),
            message: self.message.clone(),
        }
    }
}

/// `value` as the bytes the engine reads: bytes as they are, str as UTF-8,
/// anything else (dict, list, ...) as compact JSON.
fn body_of<'py>(value: &Bound<'py, PyAny>) -> Result<Body<'py>, BadBody> {
    if let Ok(b) = value.cast::<PyBytes>() {
        return Ok(Body::Shared(b.clone()));
    }
    if let Ok(s) = value.cast::<PyString>() {
        // One copy into a bytes object (abi3 before 3.10 has no way to
        // borrow a str's UTF-8 form).
        return s.encode_utf8().map(Body::Shared).map_err(|e| BadBody {
            param: None,
            message: format!("the request is not valid Unicode: {e}"),
        });
    }
    if let Ok(b) = value.cast::<PyByteArray>() {
        return Ok(Body::Owned(b.to_vec()));
    }
    let mut out = Vec::with_capacity(256);
    tojson::write(value, &mut out).map_err(|e| BadBody {
        param: e.param(),
        message: e.reason,
    })?;
    Ok(Body::Owned(out))
}

/// The body of a request argument, or the `RequestError` for it.
fn request_body<'py>(py: Python<'py>, value: &Bound<'py, PyAny>) -> PyResult<Body<'py>> {
    body_of(value).map_err(|e| {
        request_error(
            py,
            ErrorCode::InvalidRequest.as_str(),
            e.param.as_deref(),
            &e.message,
        )
    })
}

/// Text of a catalog, merchant or tax table argument: str, bytes, or (for
/// the JSON ones) a dict.
fn data_text(py: Python<'_>, what: &str, value: &Bound<'_, PyAny>) -> PyResult<String> {
    let bad = |message: String| {
        let code = if what == "tax_data" {
            ErrorCode::InvalidTaxData
        } else {
            ErrorCode::InvalidConfiguration
        };
        data_error_parts(py, what, code.as_str(), None, None, &message)
    };
    if let Ok(s) = value.cast::<PyString>() {
        return s
            .to_cow()
            .map(Cow::into_owned)
            .map_err(|e| bad(format!("not valid Unicode: {e}")));
    }
    if let Ok(b) = value.cast::<PyBytes>() {
        return String::from_utf8(b.as_bytes().to_vec())
            .map_err(|e| bad(format!("not UTF-8: {e}")));
    }
    if what == "tax_data" {
        return Err(PyTypeError::new_err(
            "tax_data is the CSV text of a tax table (str or bytes)",
        ));
    }
    let mut out = Vec::new();
    tojson::write(value, &mut out).map_err(|e| match e.param() {
        Some(p) => bad(format!("{} at `{p}`", e.reason)),
        None => bad(e.reason),
    })?;
    String::from_utf8(out).map_err(|e| bad(format!("not UTF-8: {e}")))
}

/// Today in UTC: the package's one read of the clock.
fn today_utc() -> Date {
    jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
}

static DATE_TYPE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// `at`: None (today in UTC), `YYYY-MM-DD` text, or a `datetime.date`
/// (a `datetime.datetime` gives its own date).
fn date_of(py: Python<'_>, at: Option<&Bound<'_, PyAny>>) -> PyResult<Date> {
    match at {
        None => Ok(today_utc()),
        Some(v) if v.is_none() => Ok(today_utc()),
        Some(v) => date_value(py, v),
    }
}

fn date_value(py: Python<'_>, v: &Bound<'_, PyAny>) -> PyResult<Date> {
    if let Ok(s) = v.cast::<PyString>() {
        let text = s.to_cow()?;
        return checkout_tax_core::parse_date(&text).map_err(|e| refused(py, &e));
    }
    let date_type = DATE_TYPE.get_or_try_init(py, || {
        py.import("datetime")
            .and_then(|m| m.getattr("date"))
            .map(Bound::unbind)
    })?;
    if v.is_instance(date_type.bind(py))? {
        let year: i16 = v.getattr("year")?.extract()?;
        let month: i8 = v.getattr("month")?.extract()?;
        let day: i8 = v.getattr("day")?.extract()?;
        return Date::new(year, month, day).map_err(|e| {
            request_error(
                py,
                ErrorCode::InvalidDate.as_str(),
                Some("at"),
                &format!("not a date the engine handles: {e}"),
            )
        });
    }
    Err(request_error(
        py,
        ErrorCode::InvalidDate.as_str(),
        Some("at"),
        "`at` must be YYYY-MM-DD text or a datetime.date",
    ))
}

static GC: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

/// Python's cycle collector, paused while a batch's answers are made: they
/// are thousands of fresh dicts and lists that hold no cycles, and every
/// collection the allocations would trigger scans them all for nothing (a
/// tenth of `quote_many`'s time). Calls running at once in several threads
/// share one pause: the first to start pauses the collector (if it was
/// running) and the last to end resumes it, also on error.
struct GcPause<'py> {
    py: Python<'py>,
}

/// How many batch calls are inside a pause, and whether the first of them
/// paused the collector. Changed only with the GIL held.
static PAUSES: std::sync::Mutex<(usize, bool)> = std::sync::Mutex::new((0, false));

fn gc_module(py: Python<'_>) -> Option<Bound<'_, PyModule>> {
    GC.get_or_try_init(py, || py.import("gc").map(Bound::unbind))
        .ok()
        .map(|m| m.bind(py).clone())
}

impl<'py> GcPause<'py> {
    fn new(py: Python<'py>) -> Self {
        if let Ok(mut pauses) = PAUSES.lock() {
            if pauses.0 == 0 {
                pauses.1 = gc_module(py).is_some_and(|gc| {
                    gc.call_method0("isenabled")
                        .and_then(|e| e.is_truthy())
                        .unwrap_or(false)
                        && gc.call_method0("disable").is_ok()
                });
            }
            pauses.0 = pauses.0.saturating_add(1);
        }
        GcPause { py }
    }
}

impl Drop for GcPause<'_> {
    fn drop(&mut self) {
        let Ok(mut pauses) = PAUSES.lock() else {
            return;
        };
        pauses.0 = pauses.0.saturating_sub(1);
        if pauses.0 == 0
            && std::mem::take(&mut pauses.1)
            && let Some(gc) = gc_module(self.py)
        {
            let _ = gc.call_method0("enable");
        }
    }
}

/// Quotes and prices checkout sessions with the `checkout-tax` engine.
///
/// Immutable and safe to share between threads; every call that computes
/// releases the GIL.
#[pyclass(frozen, module = "checkout_tax", name = "Engine")]
struct Engine {
    inner: CoreEngine,
}

/// Parses and quotes `bodies` with the GIL released.
fn quote_chunk<'r>(
    py: Python<'_>,
    engine: &'r CoreEngine,
    bodies: &'r [&'r [u8]],
    requests: &'r mut Vec<Result<SessionRequest<'r>, CoreError>>,
    date: Date,
) -> Vec<Result<Quote<'r>, CoreError>> {
    py.detach(move || {
        requests.extend(bodies.iter().map(|b| SessionRequest::from_json_bytes(b)));
        let requests: &'r Vec<_> = requests;
        requests
            .iter()
            .map(|r| match r {
                Ok(r) => engine.quote(r, date),
                Err(e) => Err(e.clone()),
            })
            .collect()
    })
}

/// One reconciled row, computed without the GIL.
struct Row {
    currency: Option<&'static str>,
    /// subtotal, discount, tax, total.
    amounts: Option<[i64; 4]>,
    error_code: Option<&'static str>,
    matched: bool,
    mismatches: Vec<String>,
}

#[pymethods]
impl Engine {
    /// Builds an engine from a catalog, merchant settings and a tax table.
    #[new]
    #[pyo3(signature = (catalog=None, merchant=None, tax_data=None))]
    fn new(
        py: Python<'_>,
        catalog: Option<&Bound<'_, PyAny>>,
        merchant: Option<&Bound<'_, PyAny>>,
        tax_data: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let catalog_text = match catalog {
            Some(c) if !c.is_none() => Some(data_text(py, "catalog", c)?),
            _ => None,
        };
        let merchant_text = match merchant {
            Some(m) if !m.is_none() => Some(data_text(py, "merchant", m)?),
            _ => None,
        };
        let table_text = match tax_data {
            Some(t) if !t.is_none() => Some(data_text(py, "tax_data", t)?),
            _ => None,
        };
        let built = py.detach(|| -> Result<CoreEngine, (&'static str, CoreError)> {
            let catalog = match &catalog_text {
                Some(t) => Catalog::from_json(t).map_err(|e| ("catalog", e))?,
                None => Catalog::default(),
            };
            let merchant = match &merchant_text {
                Some(t) => Merchant::from_json(t).map_err(|e| ("merchant", e))?,
                None => Merchant::default(),
            };
            let mut builder = CoreEngine::builder().catalog(catalog).merchant(merchant);
            if let Some(t) = &table_text {
                builder = builder.tax_table(RateTable::from_csv(t).map_err(|e| ("tax_data", e))?);
            }
            builder.build().map_err(|e| ("tax_data", e))
        });
        match built {
            Ok(inner) => Ok(Engine { inner }),
            Err((what, e)) => Err(data_error(py, what, &e)),
        }
    }

    /// The quote of one create-session request (dict, JSON text or bytes) as
    /// a dict; raises `RequestError` when the engine refuses it.
    #[pyo3(signature = (request, at=None))]
    fn quote<'py>(
        &self,
        py: Python<'py>,
        request: &Bound<'py, PyAny>,
        at: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let date = date_of(py, at)?;
        let body = request_body(py, request)?;
        let bodies = [body.bytes()];
        let mut requests = Vec::with_capacity(1);
        let quotes = quote_chunk(py, &self.inner, &bodies, &mut requests, date);
        match quotes.first() {
            Some(Ok(q)) => topy::to_py(py, q),
            Some(Err(e)) => Err(refused(py, e)),
            None => Err(request_error(py, "internal", None, "no answer")),
        }
    }

    /// The quote of one request (JSON text or bytes; a dict is written as
    /// JSON first) as compact JSON text, from `Engine::quote_json`; raises
    /// `RequestError` when the engine refuses it.
    #[pyo3(signature = (request, at=None))]
    fn quote_json<'py>(
        &self,
        py: Python<'py>,
        request: &Bound<'py, PyAny>,
        at: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyString>> {
        let date = date_of(py, at)?;
        let body = request_body(py, request)?;
        let bytes = body.bytes();
        let engine = &self.inner;
        let (answer, out) = py.detach(|| {
            let mut out = Vec::with_capacity(1024);
            let answer = engine.quote_json(bytes, date, &mut out);
            (answer, out)
        });
        match answer {
            Answer::Refused(e) => Err(refused(py, &e)),
            _ => {
                let text = std::str::from_utf8(&out).map_err(|e| {
                    request_error(
                        py,
                        "internal",
                        None,
                        &format!("the quote is not UTF-8: {e}"),
                    )
                })?;
                Ok(PyString::new(py, text))
            }
        }
    }

    /// Quotes many requests (dicts, JSON texts or bytes): a list of quote
    /// dicts, with `{"error": {code, message, param}}` for each refusal.
    #[pyo3(signature = (requests, at=None))]
    fn quote_many<'py>(
        &self,
        py: Python<'py>,
        requests: &Bound<'py, PyAny>,
        at: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyList>> {
        let date = date_of(py, at)?;
        let items: Vec<Bound<'py, PyAny>> = requests.try_iter()?.collect::<PyResult<Vec<_>>>()?;
        let mut answers: Vec<Bound<'py, PyAny>> = Vec::with_capacity(items.len());
        let _gc = GcPause::new(py);
        for chunk in items.chunks(CHUNK) {
            let bodies: Vec<Result<Body<'py>, BadBody>> = chunk.iter().map(body_of).collect();
            // A value with no JSON form is refused like malformed JSON, with
            // its path; it is answered in place, not sent to the engine.
            let slices: Vec<&[u8]> = bodies
                .iter()
                .map(|b| b.as_ref().map_or(&b""[..], Body::bytes))
                .collect();
            let mut parsed = Vec::with_capacity(slices.len());
            let quotes = quote_chunk(py, &self.inner, &slices, &mut parsed, date);
            for (body, quote) in bodies.iter().zip(&quotes) {
                let answer = match (body, quote) {
                    (Err(bad), _) => topy::to_py(py, &bad.refusal().to_json())?,
                    (Ok(_), Ok(q)) => topy::to_py(py, q)?,
                    (Ok(_), Err(e)) => topy::to_py(py, &e.to_json())?,
                };
                answers.push(answer);
            }
        }
        PyList::new(py, answers)
    }

    /// Quotes many requests (JSON texts or bytes; dicts are written as JSON
    /// first) and answers each with its compact JSON text, as the CLI's
    /// `batch` writes its lines: the quote, or `{"error": {...}}`. The
    /// fast path for answers that go on as text (files, queues, HTTP):
    /// nearly all of its time is spent with the GIL released.
    #[pyo3(signature = (requests, at=None))]
    fn quote_many_json<'py>(
        &self,
        py: Python<'py>,
        requests: &Bound<'py, PyAny>,
        at: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyList>> {
        let date = date_of(py, at)?;
        let items: Vec<Bound<'py, PyAny>> = requests.try_iter()?.collect::<PyResult<Vec<_>>>()?;
        let mut answers: Vec<Bound<'py, PyString>> = Vec::with_capacity(items.len());
        let engine = &self.inner;
        // One buffer for the answers of every chunk, and its answers' ends.
        let mut out: Vec<u8> = Vec::new();
        let mut ends: Vec<usize> = Vec::with_capacity(JSON_CHUNK);
        for chunk in items.chunks(JSON_CHUNK) {
            let bodies: Vec<Result<Body<'py>, BadBody>> = chunk.iter().map(body_of).collect();
            let inputs: Vec<Result<&[u8], CoreError>> = bodies
                .iter()
                .map(|b| match b {
                    Ok(body) => Ok(body.bytes()),
                    Err(bad) => Err(bad.refusal()),
                })
                .collect();
            let mut buf = std::mem::take(&mut out);
            let text = py.detach(|| {
                buf.clear();
                ends.clear();
                // Answers average about 1.5 KB: room for all without regrowing.
                buf.reserve(inputs.len().saturating_mul(ANSWER_ROOM));
                for input in &inputs {
                    match input {
                        Ok(bytes) => {
                            engine.quote_json(bytes, date, &mut buf);
                        }
                        Err(e) => e.write_json(&mut buf),
                    }
                    ends.push(buf.len());
                }
                // Checked here, with the GIL released, not per answer below.
                String::from_utf8(buf)
            });
            let text = text.map_err(|e| {
                request_error(
                    py,
                    "internal",
                    None,
                    &format!("an answer is not UTF-8: {}", e.utf8_error()),
                )
            })?;
            let mut start = 0;
            for &end in &ends {
                let answer = text.get(start..end).ok_or_else(|| {
                    request_error(py, "internal", None, "an answer is not whole UTF-8")
                })?;
                answers.push(PyString::new(py, answer));
                start = end;
            }
            out = text.into_bytes();
        }
        PyList::new(py, answers)
    }

    /// Recomputes `request` and compares the outcome with a service's
    /// `response` (dict, JSON text or bytes; the `{success, message, data:
    /// {session}}` envelope, a bare session, or an error response): a dict
    /// `{match, kind?, mismatches, error?, quote?}`. A response that is not
    /// JSON is a mismatch naming `response`.
    #[pyo3(signature = (request, response, at=None))]
    fn verify<'py>(
        &self,
        py: Python<'py>,
        request: &Bound<'py, PyAny>,
        response: &Bound<'py, PyAny>,
        at: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let date = date_of(py, at)?;
        let request = request_body(py, request)?;
        let response = request_body(py, response)?;
        let (req, resp) = (request.bytes(), response.bytes());
        let engine = &self.inner;
        let report = py.detach(|| engine.verify_json(req, resp, date));
        // `Report::to_json`'s shape: the report's serde form plus the
        // quote, converted from the quote itself so its keys keep the
        // quote's field order.
        let out = topy::to_py(py, &report)?;
        if let Some(quote) = &report.quote {
            out.set_item("quote", topy::to_py(py, quote)?)?;
        }
        Ok(out)
    }

    /// The rates in force at `at` for `jurisdictions` (`["DE", "US-CA"]`; a
    /// country lists its regions too; None: every jurisdiction), as
    /// `checkout-tax rates --format json` prints them.
    #[pyo3(signature = (jurisdictions=None, at=None))]
    fn rates<'py>(
        &self,
        py: Python<'py>,
        jurisdictions: Option<&Bound<'py, PyAny>>,
        at: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let date = date_of(py, at)?;
        let mut wanted = Vec::new();
        if let Some(list) = jurisdictions.filter(|j| !j.is_none()) {
            if list.cast::<PyString>().is_ok() {
                return Err(PyTypeError::new_err(
                    "jurisdictions is a list of codes such as [\"DE\", \"US-CA\"]",
                ));
            }
            for (i, item) in list.try_iter()?.enumerate() {
                let item = item?;
                let text: String = item.extract()?;
                let j = Jurisdiction::parse(&text).ok_or_else(|| {
                    request_error(
                        py,
                        ErrorCode::InvalidRequest.as_str(),
                        Some(&format!("jurisdictions[{i}]")),
                        &format!("`{text}` is not a jurisdiction such as `DE` or `US-CA`"),
                    )
                })?;
                wanted.push(j);
            }
        }
        let table = self.inner.tax_table();
        let listing =
            py.detach(|| present::rates_json(&present::rates_at(table, date, &wanted), date));
        topy::to_py(py, &listing)
    }

    /// Reconciles a batch of rows for the Spark job: `requests`,
    /// `responses` and `ats` (each row's date: text, `datetime.date` or
    /// None for today) are parallel lists; returns the columns `(currency,
    /// expected_subtotal, expected_discount, expected_tax, expected_total,
    /// error_code, match, mismatches)` as lists (the amounts from the
    /// core's quote, None when it refuses the request), from one
    /// `Engine::verify_json` per row with the GIL released. A row whose date is not a date gets `error_code`
    /// `invalid_date` and the mismatch `at`.
    #[pyo3(signature = (requests, responses, ats=None))]
    fn reconcile_batch<'py>(
        &self,
        py: Python<'py>,
        requests: &Bound<'py, PyAny>,
        responses: &Bound<'py, PyAny>,
        ats: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let requests: Vec<Bound<'py, PyAny>> = requests.try_iter()?.collect::<PyResult<_>>()?;
        let responses: Vec<Bound<'py, PyAny>> = responses.try_iter()?.collect::<PyResult<_>>()?;
        if requests.len() != responses.len() {
            return Err(PyTypeError::new_err(
                "requests and responses must have the same length",
            ));
        }
        let ats: Vec<Bound<'py, PyAny>> = match ats.filter(|a| !a.is_none()) {
            Some(a) => a.try_iter()?.collect::<PyResult<_>>()?,
            None => Vec::new(),
        };
        if !ats.is_empty() && ats.len() != requests.len() {
            return Err(PyTypeError::new_err(
                "ats must be None or have one date per row",
            ));
        }
        let today = today_utc();
        let mut last_text: Option<(String, Option<Date>)> = None;
        let mut dates: Vec<Option<Date>> = Vec::with_capacity(requests.len());
        for i in 0..requests.len() {
            let date = match ats.get(i) {
                None => Some(today),
                Some(v) if v.is_none() => Some(today),
                Some(v) => {
                    if let Ok(s) = v.cast::<PyString>() {
                        let text = s.to_cow()?;
                        match &last_text {
                            Some((t, d)) if *t == text => *d,
                            _ => {
                                let d = checkout_tax_core::parse_date(&text).ok();
                                last_text = Some((text.into_owned(), d));
                                d
                            }
                        }
                    } else {
                        date_value(py, v).ok()
                    }
                }
            };
            dates.push(date);
        }
        let body = |v: &Bound<'py, PyAny>| -> Body<'py> {
            if v.is_none() {
                return Body::Owned(Vec::new());
            }
            // A value with no JSON form: empty bytes, which the engine
            // refuses (request) or reports as not JSON (response).
            body_of(v).unwrap_or(Body::Owned(Vec::new()))
        };
        let n = requests.len();
        let mut currency = Vec::with_capacity(n);
        let mut subtotal = Vec::with_capacity(n);
        let mut discount = Vec::with_capacity(n);
        let mut tax = Vec::with_capacity(n);
        let mut total = Vec::with_capacity(n);
        let mut error_code = Vec::with_capacity(n);
        let mut matched = Vec::with_capacity(n);
        let mut mismatches = Vec::with_capacity(n);
        let engine = &self.inner;
        let _gc = GcPause::new(py);
        for start in (0..n).step_by(CHUNK) {
            let end = (start + CHUNK).min(n);
            let reqs: Vec<Body<'py>> = requests
                .get(start..end)
                .unwrap_or_default()
                .iter()
                .map(body)
                .collect();
            let resps: Vec<Body<'py>> = responses
                .get(start..end)
                .unwrap_or_default()
                .iter()
                .map(body)
                .collect();
            let req_bytes: Vec<&[u8]> = reqs.iter().map(Body::bytes).collect();
            let resp_bytes: Vec<&[u8]> = resps.iter().map(Body::bytes).collect();
            let chunk_dates = dates.get(start..end).unwrap_or_default();
            let rows: Vec<Row> = py.detach(|| {
                req_bytes
                    .iter()
                    .zip(&resp_bytes)
                    .zip(chunk_dates)
                    .map(|((req, resp), date)| reconcile_row(engine, req, resp, *date))
                    .collect()
            });
            for row in rows {
                currency.push(row.currency.map(|c| intern(py, c)));
                let [s, d, t, tt] = row.amounts.map_or([None; 4], |a| a.map(Some));
                subtotal.push(s);
                discount.push(d);
                tax.push(t);
                total.push(tt);
                error_code.push(row.error_code.map(|c| intern(py, c)));
                matched.push(row.matched);
                let fields: Vec<Bound<'py, PyString>> =
                    row.mismatches.iter().map(|f| intern(py, f)).collect();
                mismatches.push(PyList::new(py, fields)?);
            }
        }
        PyTuple::new(
            py,
            [
                PyList::new(py, currency)?.into_any(),
                PyList::new(py, subtotal)?.into_any(),
                PyList::new(py, discount)?.into_any(),
                PyList::new(py, tax)?.into_any(),
                PyList::new(py, total)?.into_any(),
                PyList::new(py, error_code)?.into_any(),
                PyList::new(py, matched)?.into_any(),
                PyList::new(py, mismatches)?.into_any(),
            ],
        )
    }

    /// Benchmark support: seconds for `iterations` calls of the Rust
    /// `Engine::quote_json` on `request`, timed in Rust with the GIL
    /// released (the baseline `bench.py` prints next to the Python calls).
    #[pyo3(signature = (request, iterations, at=None))]
    fn _time_rust_quote_json(
        &self,
        py: Python<'_>,
        request: &Bound<'_, PyAny>,
        iterations: u64,
        at: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<f64> {
        let date = date_of(py, at)?;
        let body = request_body(py, request)?;
        let bytes = body.bytes();
        let engine = &self.inner;
        Ok(py.detach(|| {
            let mut out = Vec::with_capacity(1024);
            let start = Instant::now();
            for _ in 0..iterations {
                out.clear();
                let answer = engine.quote_json(std::hint::black_box(bytes), date, &mut out);
                std::hint::black_box(&answer);
            }
            start.elapsed().as_secs_f64()
        }))
    }

    fn __repr__(&self) -> String {
        let m = self.inner.merchant();
        format!(
            "Engine(merchant_type={:?}, rounding_level={:?}, rounding_mode={:?})",
            m.merchant_type.as_str(),
            m.rounding_level.as_str(),
            m.rounding_mode.as_str()
        )
    }
}

/// A str from the thread's key cache (codes and field names repeat).
fn intern<'py>(py: Python<'py>, s: &str) -> Bound<'py, PyString> {
    topy::key(py, s)
}

fn reconcile_row(engine: &CoreEngine, request: &[u8], response: &[u8], date: Option<Date>) -> Row {
    let Some(date) = date else {
        return Row {
            currency: None,
            amounts: None,
            error_code: Some(ErrorCode::InvalidDate.as_str()),
            matched: false,
            mismatches: vec!["at".to_owned()],
        };
    };
    let report = engine.verify_json(request, response, date);
    Row {
        currency: report
            .quote
            .as_ref()
            .and_then(|q| q.currency)
            .map(|c| c.code()),
        amounts: report.quote.as_ref().map(|q| {
            [
                q.amount_subtotal,
                q.amount_discount,
                q.amount_tax,
                q.amount_total,
            ]
        }),
        error_code: report.error.as_ref().map(|e| e.code().as_str()),
        matched: report.matched,
        mismatches: report.mismatches.into_iter().map(|m| m.field).collect(),
    }
}

/// The native part of the `checkout_tax` package.
#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<Engine>()?;
    m.add_function(wrap_pyfunction!(arrow::reconcile_arrow, m)?)?;
    m.add("Error", py.get_type::<errors::Error>())?;
    m.add("RequestError", py.get_type::<errors::RequestError>())?;
    m.add("DataError", py.get_type::<errors::DataError>())?;
    m.add(
        "ERROR_CODES",
        PyTuple::new(py, ErrorCode::ALL.iter().map(|c| c.as_str()))?,
    )?;
    Ok(())
}
