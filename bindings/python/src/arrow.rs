//! Arrow record batches for the Spark job with no Python object per row:
//! the request, response and date columns are read from their Arrow
//! buffers (one copy of each into a `bytes`, with the GIL held), every row
//! is reconciled with the GIL released, and the output columns come back
//! as the buffers of Arrow arrays, which `checkout_tax.spark` wraps with
//! `pa.Array.from_buffers` without copying.
//!
//! Each row gets what `Engine.reconcile_batch` gives it from the same
//! values as Python objects (`reconcile_row`): a null request or response
//! is empty bytes (refused; not JSON), a null date is today in UTC, a date
//! that is not a `YYYY-MM-DD` date is the mismatch `at`.

use super::{Engine, reconcile_row, today_utc};
use checkout_tax_core::{Date, parse_date};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyTuple};

/// A column as `checkout_tax.spark` hands it over: `(kind, offset,
/// buffers)`, with `buffers` the array's `buffers()` and `kind` one of
/// `text32` (string, binary), `text64` (large_string, large_binary),
/// `date32` (days since 1970-01-01) and `opaque` (values that are never a
/// date: binary in the date column).
type Column<'py> = (String, usize, Vec<Option<Bound<'py, PyAny>>>);

/// The validity bitmap of a column: bit `shift + i` for row `i`; none when
/// the array has no nulls.
struct Validity<'py> {
    bits: Option<Bound<'py, PyBytes>>,
    shift: usize,
}

impl Validity<'_> {
    fn read<'py>(
        buffer: Option<&Bound<'py, PyAny>>,
        offset: usize,
        n: usize,
    ) -> PyResult<Validity<'py>> {
        let Some(buffer) = buffer else {
            return Ok(Validity {
                bits: None,
                shift: 0,
            });
        };
        let first = offset / 8;
        let len = (offset % 8 + n).div_ceil(8);
        Ok(Validity {
            bits: Some(slice(buffer, first, len, "validity")?),
            shift: offset % 8,
        })
    }
}

/// A view of the bitmap without the GIL: true when row `i` is not null.
#[derive(Clone, Copy)]
struct Bits<'a> {
    bits: Option<&'a [u8]>,
    shift: usize,
}

impl Bits<'_> {
    fn valid(&self, i: usize) -> bool {
        let Some(bits) = self.bits else { return true };
        let at = self.shift.saturating_add(i);
        bits.get(at / 8).is_some_and(|b| b >> (at % 8) & 1 == 1)
    }
}

impl<'py> Validity<'py> {
    fn view(&self) -> Bits<'_> {
        Bits {
            bits: self.bits.as_ref().map(|b| b.as_bytes()),
            shift: self.shift,
        }
    }
}

/// `len` bytes of a pyarrow buffer from `start`, copied into a `bytes`
/// (checked against the buffer's size first: a short buffer is an error,
/// not a short read).
fn slice<'py>(
    buffer: &Bound<'py, PyAny>,
    start: usize,
    len: usize,
    what: &str,
) -> PyResult<Bound<'py, PyBytes>> {
    let size: usize = buffer.getattr("size")?.extract()?;
    if start.checked_add(len).is_none_or(|end| end > size) {
        return Err(PyValueError::new_err(format!(
            "the {what} buffer has {size} bytes, not the {start} + {len} the array needs"
        )));
    }
    buffer
        .call_method1("slice", (start, len))?
        .call_method0("to_pybytes")?
        .cast_into::<PyBytes>()
        .map_err(Into::into)
}

/// A string or binary column: `n + 1` offsets into `data`, from 0.
struct Texts<'py> {
    offsets: Vec<usize>,
    data: Bound<'py, PyBytes>,
    validity: Validity<'py>,
}

impl<'py> Texts<'py> {
    fn read(
        py: Python<'py>,
        wide: bool,
        offset: usize,
        buffers: &[Option<Bound<'py, PyAny>>],
        n: usize,
    ) -> PyResult<Self> {
        let buffer = |i: usize| buffers.get(i).and_then(Option::as_ref);
        let width = if wide { 8 } else { 4 };
        let validity = Validity::read(buffer(0), offset, n)?;
        let count = n
            .checked_add(1)
            .ok_or_else(|| PyValueError::new_err("too many rows"))?;
        let raw = match buffer(1) {
            Some(b) => slice(
                b,
                offset.saturating_mul(width),
                count.saturating_mul(width),
                "offsets",
            )?,
            // pyarrow leaves out the offsets of an empty array.
            None if n == 0 => PyBytes::new(py, &[0; 8]),
            None => return Err(PyValueError::new_err("a text column without offsets")),
        };
        let values: Vec<i64> = if wide {
            raw.as_bytes()
                .chunks_exact(8)
                .map(|c| <[u8; 8]>::try_from(c).map_or(0, i64::from_ne_bytes))
                .collect()
        } else {
            raw.as_bytes()
                .chunks_exact(4)
                .map(|c| <[u8; 4]>::try_from(c).map_or(0, |b| i64::from(i32::from_ne_bytes(b))))
                .collect()
        };
        let base = values.first().copied().unwrap_or(0);
        let last = values.get(n).copied().unwrap_or(base);
        let ordered = values.windows(2).all(|w| w.first() <= w.get(1));
        let (Ok(base_at), Ok(last_at)) = (usize::try_from(base), usize::try_from(last)) else {
            return Err(PyValueError::new_err("negative offsets in a text column"));
        };
        if !ordered || last_at < base_at {
            return Err(PyValueError::new_err(
                "offsets out of order in a text column",
            ));
        }
        let offsets = values
            .iter()
            .map(|v| usize::try_from(v - base).unwrap_or(0))
            .collect();
        let data = match buffer(2) {
            Some(b) => slice(b, base_at, last_at - base_at, "data")?,
            None if last_at == base_at => PyBytes::new(py, b""),
            None => return Err(PyValueError::new_err("a text column without data")),
        };
        Ok(Texts {
            offsets,
            data,
            validity,
        })
    }

    fn view(&self) -> TextView<'_> {
        TextView {
            offsets: &self.offsets,
            data: self.data.as_bytes(),
            valid: self.validity.view(),
        }
    }
}

/// A text column without the GIL.
#[derive(Clone, Copy)]
struct TextView<'a> {
    offsets: &'a [usize],
    data: &'a [u8],
    valid: Bits<'a>,
}

impl<'a> TextView<'a> {
    /// Row `i`'s bytes; `None` when it is null.
    fn get(&self, i: usize) -> Option<&'a [u8]> {
        if !self.valid.valid(i) {
            return None;
        }
        let start = *self.offsets.get(i)?;
        let end = *self.offsets.get(i.checked_add(1)?)?;
        self.data.get(start..end)
    }
}

/// The date column.
enum Dates<'py> {
    /// No `at` column: today for every row.
    Absent,
    Days(Vec<i32>, Validity<'py>),
    Text(Texts<'py>),
    Opaque(Validity<'py>),
}

impl<'py> Dates<'py> {
    fn read(py: Python<'py>, column: Option<Column<'py>>, n: usize) -> PyResult<Self> {
        let Some((kind, offset, buffers)) = column else {
            return Ok(Dates::Absent);
        };
        let buffer = |i: usize| buffers.get(i).and_then(Option::as_ref);
        match kind.as_str() {
            "date32" => {
                let validity = Validity::read(buffer(0), offset, n)?;
                let days = match buffer(1) {
                    Some(b) => slice(b, offset.saturating_mul(4), n.saturating_mul(4), "date")?
                        .as_bytes()
                        .chunks_exact(4)
                        .map(|c| <[u8; 4]>::try_from(c).map_or(0, i32::from_ne_bytes))
                        .collect(),
                    None if n == 0 => Vec::new(),
                    None => return Err(PyValueError::new_err("a date column without values")),
                };
                Ok(Dates::Days(days, validity))
            }
            "text32" | "text64" => Ok(Dates::Text(Texts::read(
                py,
                kind == "text64",
                offset,
                &buffers,
                n,
            )?)),
            "opaque" => Ok(Dates::Opaque(Validity::read(buffer(0), offset, n)?)),
            other => Err(PyValueError::new_err(format!(
                "unknown column kind `{other}`"
            ))),
        }
    }

    fn view(&self) -> DateView<'_> {
        match self {
            Dates::Absent => DateView::Absent,
            Dates::Days(days, v) => DateView::Days(days, v.view()),
            Dates::Text(t) => DateView::Text(t.view()),
            Dates::Opaque(v) => DateView::Opaque(v.view()),
        }
    }
}

#[derive(Clone, Copy)]
enum DateView<'a> {
    Absent,
    Days(&'a [i32], Bits<'a>),
    Text(TextView<'a>),
    Opaque(Bits<'a>),
}

/// The date `YYYY-MM-DD` text of `days` since 1970-01-01 would parse to,
/// as Arrow's cast of a date32 to text: a year from 0 to 9999 (outside,
/// the text is not of that form).
fn date_of_days(days: i32) -> Option<Date> {
    let date = Date::constant(1970, 1, 1)
        .checked_add(jiff::Span::new().try_days(days).ok()?)
        .ok()?;
    (0..=9999).contains(&date.year()).then_some(date)
}

/// Each row's date (`None`: not a date), with the last one remembered
/// (sessions come sorted or clustered by day).
fn dates(view: DateView<'_>, n: usize, today: Date) -> Vec<Option<Date>> {
    let mut out = Vec::with_capacity(n);
    match view {
        DateView::Absent => out.resize(n, Some(today)),
        DateView::Days(days, valid) => {
            let mut last: Option<(i32, Option<Date>)> = None;
            for i in 0..n {
                let date = match days.get(i) {
                    Some(&d) if valid.valid(i) => match last {
                        Some((l, date)) if l == d => date,
                        _ => {
                            let date = date_of_days(d);
                            last = Some((d, date));
                            date
                        }
                    },
                    Some(_) => Some(today),
                    None => None,
                };
                out.push(date);
            }
        }
        DateView::Text(texts) => {
            let mut last: Option<(&[u8], Option<Date>)> = None;
            for i in 0..n {
                let date = match texts.get(i) {
                    None => Some(today),
                    Some(text) => match last {
                        Some((l, date)) if l == text => date,
                        _ => {
                            let date = std::str::from_utf8(text)
                                .ok()
                                .and_then(|t| parse_date(t).ok());
                            last = Some((text, date));
                            date
                        }
                    },
                };
                out.push(date);
            }
        }
        DateView::Opaque(valid) => out.extend((0..n).map(|i| (!valid.valid(i)).then_some(today))),
    }
    out
}

/// An Arrow string array being written: validity bits, int32 offsets, data.
#[derive(Default)]
struct Strings {
    valid: Vec<u8>,
    offsets: Vec<u8>,
    data: Vec<u8>,
    nulls: usize,
    len: usize,
}

impl Strings {
    fn with_capacity(n: usize, bytes: usize) -> Self {
        let mut s = Strings {
            valid: Vec::with_capacity(n.div_ceil(8)),
            offsets: Vec::with_capacity(n.saturating_add(1).saturating_mul(4)),
            data: Vec::with_capacity(bytes),
            ..Strings::default()
        };
        s.offsets.extend_from_slice(&0i32.to_ne_bytes());
        s
    }

    fn push(&mut self, value: Option<&str>) -> Result<(), Overflow> {
        if let Some(v) = value {
            self.data.extend_from_slice(v.as_bytes());
        } else {
            self.nulls += 1;
        }
        push_bit(&mut self.valid, self.len, value.is_some());
        self.len += 1;
        let end = i32::try_from(self.data.len()).map_err(|_| Overflow)?;
        self.offsets.extend_from_slice(&end.to_ne_bytes());
        Ok(())
    }
}

/// An output column passed 2 GiB, past int32 offsets.
struct Overflow;

fn push_bit(bits: &mut Vec<u8>, i: usize, on: bool) {
    if i.is_multiple_of(8) {
        bits.push(0);
    }
    if on && let Some(last) = bits.last_mut() {
        *last |= 1 << (i % 8);
    }
}

/// The output columns, as buffers.
struct Output {
    currency: Strings,
    /// Validity of the four amounts (null when the engine refused).
    quoted: Vec<u8>,
    unquoted: usize,
    /// subtotal, discount, tax, total: int64 values.
    amounts: [Vec<u8>; 4],
    error_code: Strings,
    matched: Vec<u8>,
    /// list<string>: the list offsets, then its strings' offsets and data.
    list_offsets: Vec<u8>,
    fields: Strings,
}

fn compute(
    engine: &checkout_tax_core::Engine,
    requests: TextView<'_>,
    responses: TextView<'_>,
    dates: &[Option<Date>],
) -> Result<Output, Overflow> {
    let n = dates.len();
    let mut out = Output {
        currency: Strings::with_capacity(n, n.saturating_mul(3)),
        quoted: Vec::with_capacity(n.div_ceil(8)),
        unquoted: 0,
        amounts: std::array::from_fn(|_| Vec::with_capacity(n.saturating_mul(8))),
        error_code: Strings::with_capacity(n, 0),
        matched: Vec::with_capacity(n.div_ceil(8)),
        list_offsets: Vec::with_capacity(n.saturating_add(1).saturating_mul(4)),
        fields: Strings::with_capacity(0, 0),
    };
    out.list_offsets.extend_from_slice(&0i32.to_ne_bytes());
    for (i, date) in dates.iter().enumerate() {
        let request = requests.get(i).unwrap_or_default();
        let response = responses.get(i).unwrap_or_default();
        let row = reconcile_row(engine, request, response, *date);
        out.currency.push(row.currency)?;
        push_bit(&mut out.quoted, i, row.amounts.is_some());
        out.unquoted += usize::from(row.amounts.is_none());
        for (column, value) in out.amounts.iter_mut().zip(row.amounts.unwrap_or_default()) {
            column.extend_from_slice(&value.to_ne_bytes());
        }
        out.error_code.push(row.error_code)?;
        push_bit(&mut out.matched, i, row.matched);
        for field in &row.mismatches {
            out.fields.push(Some(field))?;
        }
        let end = i32::try_from(out.fields.len).map_err(|_| Overflow)?;
        out.list_offsets.extend_from_slice(&end.to_ne_bytes());
    }
    Ok(out)
}

/// Reconciles one Arrow record batch of `n` rows for `checkout_tax.spark`:
/// the `request` and `response` columns and the optional `at` column as
/// `(kind, offset, buffers)` (see [`Column`]). Returns a dict of `bytes`:
/// the buffers of the output columns and their null counts.
#[pyfunction]
#[pyo3(signature = (engine, n, requests, responses, ats=None))]
pub(crate) fn reconcile_arrow<'py>(
    py: Python<'py>,
    engine: &Bound<'py, Engine>,
    n: usize,
    requests: Column<'py>,
    responses: Column<'py>,
    ats: Option<Column<'py>>,
) -> PyResult<Bound<'py, PyDict>> {
    let text = |(kind, offset, buffers): Column<'py>| match kind.as_str() {
        "text32" | "text64" => Texts::read(py, kind == "text64", offset, &buffers, n),
        other => Err(PyValueError::new_err(format!(
            "`{other}` is not a text column kind"
        ))),
    };
    let requests = text(requests)?;
    let responses = text(responses)?;
    let ats = Dates::read(py, ats, n)?;
    let engine = &engine.get().inner;
    let (requests, responses, ats) = (requests.view(), responses.view(), ats.view());
    let today = today_utc();
    let out = py
        .detach(|| compute(engine, requests, responses, &dates(ats, n, today)))
        .map_err(|Overflow| {
            PyValueError::new_err("an output column passed 2 GiB: use smaller Arrow batches")
        })?;
    let d = PyDict::new(py);
    let bytes = |v: &[u8]| PyBytes::new(py, v);
    let strings = |s: &Strings| {
        PyTuple::new(
            py,
            [
                bytes(&s.valid).into_any(),
                bytes(&s.offsets).into_any(),
                bytes(&s.data).into_any(),
                s.nulls.into_pyobject(py)?.into_any(),
            ],
        )
    };
    d.set_item("currency", strings(&out.currency)?)?;
    d.set_item("quoted", bytes(&out.quoted))?;
    d.set_item("unquoted", out.unquoted)?;
    let [subtotal, discount, tax, total] = &out.amounts;
    d.set_item("expected_subtotal", bytes(subtotal))?;
    d.set_item("expected_discount", bytes(discount))?;
    d.set_item("expected_tax", bytes(tax))?;
    d.set_item("expected_total", bytes(total))?;
    d.set_item("error_code", strings(&out.error_code)?)?;
    d.set_item("match", bytes(&out.matched))?;
    d.set_item("mismatch_offsets", bytes(&out.list_offsets))?;
    d.set_item("mismatch_fields", strings(&out.fields)?)?;
    Ok(d)
}
