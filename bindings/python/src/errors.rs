//! The package's exceptions: `checkout_tax.Error`, and its subclasses
//! `RequestError` (a refused request: `.code`, `.param`, `.message` as in
//! the spec's error object) and `DataError` (a bad catalog, merchant or tax
//! table: `.code`, `.line` for tax data, `.message`).

use checkout_tax_core::Error as CoreError;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(
    checkout_tax,
    Error,
    PyException,
    "Base class of every error the engine raises."
);
create_exception!(
    checkout_tax,
    RequestError,
    Error,
    "A refused request: `code`, `param` (the offending field's path, or None) and `message`."
);
create_exception!(
    checkout_tax,
    DataError,
    Error,
    "A malformed catalog, merchant or tax table: `code`, `line` (tax data), `param` and `message`."
);

/// A `RequestError` from its parts.
pub(crate) fn request_error(
    py: Python<'_>,
    code: &str,
    param: Option<&str>,
    message: &str,
) -> PyErr {
    let shown = match param {
        Some(p) => format!("{code}: {message} at `{p}`"),
        None => format!("{code}: {message}"),
    };
    let err = RequestError::new_err(shown);
    let value = err.value(py);
    // Setting attributes on a fresh exception instance cannot fail short of
    // memory exhaustion; the error is still raised if it does.
    let _ = value.setattr("code", code);
    let _ = value.setattr("param", param);
    let _ = value.setattr("message", message);
    err
}

/// A `RequestError` for an engine refusal.
pub(crate) fn refused(py: Python<'_>, e: &CoreError) -> PyErr {
    request_error(py, e.code().as_str(), e.param(), &e.message())
}

/// A `DataError` for a bad catalog, merchant or tax table (`what`).
pub(crate) fn data_error(py: Python<'_>, what: &str, e: &CoreError) -> PyErr {
    let line = match e {
        CoreError::TaxData { line, .. } => Some(*line),
        _ => None,
    };
    data_error_parts(py, what, e.code().as_str(), line, e.param(), &e.to_string())
}

/// A `DataError` from its parts.
pub(crate) fn data_error_parts(
    py: Python<'_>,
    what: &str,
    code: &str,
    line: Option<usize>,
    param: Option<&str>,
    message: &str,
) -> PyErr {
    let err = DataError::new_err(format!("{what}: {message}"));
    let value = err.value(py);
    let _ = value.setattr("code", code);
    let _ = value.setattr("line", line);
    let _ = value.setattr("param", param);
    let _ = value.setattr("message", message);
    err
}
