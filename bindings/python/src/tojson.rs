//! Python values to JSON bytes, for requests, responses, catalogs and
//! merchants given as dicts: the engine then reads the same bytes as from a
//! file or an HTTP body, so a dict and its `json.dumps` text get the same
//! answer.
//!
//! Ints of any size are written digit for digit (the engine refuses an
//! amount past int64 with its own code, as it does for the text); a value
//! JSON has no form for (a set, a `Decimal`, bytes, a non-str key) is
//! refused with the path where it was found.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

/// Deeper than this, containers are written as `null`: the engine's parser
/// refuses nesting past 128 levels whatever is below, so the answer is the
/// same, and a dict that contains itself cannot recurse without end.
const MAX_DEPTH: usize = 160;

/// A value with no JSON form, and where it was.
#[derive(Debug)]
pub(crate) struct NotJson {
    /// The path from the outermost value, innermost segment last.
    pub(crate) path: Vec<Segment>,
    /// Why.
    pub(crate) reason: String,
}

/// One step of a path.
#[derive(Debug)]
pub(crate) enum Segment {
    Key(String),
    Index(usize),
}

impl NotJson {
    fn new(reason: String) -> Self {
        NotJson {
            path: Vec::new(),
            reason,
        }
    }

    fn at(mut self, segment: Segment) -> Self {
        self.path.push(segment);
        self
    }

    /// The path in the engine's form: `line_items[0].quantity`.
    pub(crate) fn param(&self) -> Option<String> {
        if self.path.is_empty() {
            return None;
        }
        let mut out = String::new();
        for segment in self.path.iter().rev() {
            match segment {
                Segment::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Segment::Index(i) => {
                    out.push('[');
                    out.push_str(itoa::Buffer::new().format(*i));
                    out.push(']');
                }
            }
        }
        Some(out)
    }
}

/// Appends `value` as compact JSON to `out`.
pub(crate) fn write(value: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> Result<(), NotJson> {
    write_value(value, out, 0)
}

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".to_owned())
}

fn write_value(value: &Bound<'_, PyAny>, out: &mut Vec<u8>, depth: usize) -> Result<(), NotJson> {
    if let Ok(s) = value.cast::<PyString>() {
        let text = s
            .to_cow()
            .map_err(|e| NotJson::new(format!("a str that is not valid Unicode: {e}")))?;
        write_str(&text, out);
    } else if value.is_none() {
        out.extend_from_slice(b"null");
    } else if let Ok(b) = value.cast::<PyBool>() {
        out.extend_from_slice(if b.is_true() { b"true" } else { b"false" });
    } else if let Ok(i) = value.cast::<PyInt>() {
        write_int(i, out)?;
    } else if let Ok(f) = value.cast::<PyFloat>() {
        write_float(f.value(), out);
    } else if depth >= MAX_DEPTH {
        out.extend_from_slice(b"null");
    } else if let Ok(d) = value.cast::<PyDict>() {
        out.push(b'{');
        for (n, (k, v)) in d.iter().enumerate() {
            let Ok(k) = k.cast::<PyString>() else {
                return Err(NotJson::new(format!(
                    "a dict key of type `{}` (JSON keys are strings)",
                    type_name(&k)
                )));
            };
            let name = k
                .to_cow()
                .map_err(|e| NotJson::new(format!("a key that is not valid Unicode: {e}")))?;
            if n > 0 {
                out.push(b',');
            }
            write_str(&name, out);
            out.push(b':');
            write_value(&v, out, depth + 1).map_err(|e| e.at(Segment::Key(name.into_owned())))?;
        }
        out.push(b'}');
    } else if let Ok(l) = value.cast::<PyList>() {
        out.push(b'[');
        for (i, v) in l.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_value(&v, out, depth + 1).map_err(|e| e.at(Segment::Index(i)))?;
        }
        out.push(b']');
    } else if let Ok(t) = value.cast::<PyTuple>() {
        out.push(b'[');
        for (i, v) in t.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_value(&v, out, depth + 1).map_err(|e| e.at(Segment::Index(i)))?;
        }
        out.push(b']');
    } else {
        return Err(NotJson::new(format!(
            "a value of type `{}` has no JSON form",
            type_name(value)
        )));
    }
    Ok(())
}

fn write_int(i: &Bound<'_, PyInt>, out: &mut Vec<u8>) -> Result<(), NotJson> {
    if let Ok(v) = i.extract::<i64>() {
        out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
    } else if let Ok(v) = i.extract::<u64>() {
        out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
    } else {
        // Past 64 bits: every digit, as `json.dumps` writes it (int's own
        // `__repr__`, not a subclass's).
        let text = i
            .py()
            .get_type::<PyInt>()
            .call_method1("__repr__", (i,))
            .and_then(|r| r.extract::<String>())
            .map_err(|e| NotJson::new(format!("an int that cannot be written: {e}")))?;
        out.extend_from_slice(text.as_bytes());
    }
    Ok(())
}

fn write_float(v: f64, out: &mut Vec<u8>) {
    if v.is_finite() {
        out.extend_from_slice(ryu::Buffer::new().format_finite(v).as_bytes());
    } else {
        // What `json.dumps` writes; not JSON, so the engine refuses it as
        // `invalid_request`, as it would the text.
        out.extend_from_slice(if v.is_nan() {
            b"NaN".as_slice()
        } else if v > 0.0 {
            b"Infinity".as_slice()
        } else {
            b"-Infinity".as_slice()
        });
    }
}

/// A JSON string with the escapes JSON requires.
fn write_str(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(bytes.get(start..i).unwrap_or_default());
        if escape.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(hex_digit(b >> 4));
            out.push(hex_digit(b & 0xf));
        } else {
            out.extend_from_slice(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
    out.push(b'"');
}

/// The lowercase hex digit of a nibble.
fn hex_digit(nibble: u8) -> u8 {
    if nibble < 10 {
        b'0' + nibble
    } else {
        b'a' + (nibble - 10)
    }
}
