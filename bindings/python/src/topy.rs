//! Rust values to Python objects, through their `serde::Serialize`: the
//! quote and the verify report become dicts, lists, ints and strs directly,
//! with no JSON text in between (faster than `json.loads` of the text, and
//! the same value, since the engine's JSON writer is held byte-equal to
//! serde's).
//!
//! Dict keys are the same few dozen names on every call, so they are made
//! once per thread and shared (Python strs are immutable).

use pyo3::IntoPyObjectExt;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use rustc_hash::FxHashMap;
use serde::ser::{self, Serialize};
use std::cell::RefCell;
use std::fmt;

/// Keys longer than this are not cached (they are not field names).
const MAX_CACHED_KEY: usize = 64;
/// The cache stops growing here (a map with ever-new keys cannot grow it
/// without bound).
const MAX_CACHED_KEYS: usize = 4096;

thread_local! {
    static KEYS: RefCell<FxHashMap<Box<str>, Py<PyString>>> = RefCell::new(FxHashMap::default());
}

/// A Python str for a dict key, from the thread's cache when it can be.
pub(crate) fn key<'py>(py: Python<'py>, name: &str) -> Bound<'py, PyString> {
    if name.len() > MAX_CACHED_KEY {
        return PyString::new(py, name);
    }
    let cached = KEYS.try_with(|cell| {
        let Ok(mut map) = cell.try_borrow_mut() else {
            return None;
        };
        if let Some(k) = map.get(name) {
            return Some(k.bind(py).clone());
        }
        let k = PyString::intern(py, name);
        if map.len() < MAX_CACHED_KEYS {
            map.insert(name.into(), k.clone().unbind());
        }
        Some(k)
    });
    match cached {
        Ok(Some(k)) => k,
        _ => PyString::new(py, name),
    }
}

/// `value` as a Python object.
pub(crate) fn to_py<'py, T: Serialize + ?Sized>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    value.serialize(ToPy { py }).map_err(|e| e.0)
}

/// A Python error as a serde error.
pub(crate) struct Failure(PyErr);

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for Failure {}

impl ser::Error for Failure {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Failure(PyValueError::new_err(msg.to_string()))
    }
}

impl From<PyErr> for Failure {
    fn from(e: PyErr) -> Self {
        Failure(e)
    }
}

#[derive(Clone, Copy)]
struct ToPy<'py> {
    py: Python<'py>,
}

type Out<'py> = Result<Bound<'py, PyAny>, Failure>;

fn int<'py, T: IntoPyObject<'py>>(py: Python<'py>, v: T) -> Out<'py> {
    v.into_bound_py_any(py).map_err(Failure)
}

impl<'py> ser::Serializer for ToPy<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Failure;
    type SerializeSeq = Seq<'py>;
    type SerializeTuple = Seq<'py>;
    type SerializeTupleStruct = Seq<'py>;
    type SerializeTupleVariant = Variant<Seq<'py>>;
    type SerializeMap = Map<'py>;
    type SerializeStruct = Map<'py>;
    type SerializeStructVariant = Variant<Map<'py>>;

    fn serialize_bool(self, v: bool) -> Out<'py> {
        int(self.py, v)
    }
    fn serialize_i8(self, v: i8) -> Out<'py> {
        int(self.py, v)
    }
    fn serialize_i16(self, v: i16) -> Out<'py> {
        int(self.py, v)
    }
    fn serialize_i32(self, v: i32) -> Out<'py> {
        int(self.py, v)
    }
    fn serialize_i64(self, v: i64) -> Out<'py> {
        int(self.py, v)
    }
    fn serialize_i128(self, v: i128) -> Out<'py> {
        int(self.py, v)
    }
    fn serialize_u8(self, v: u8) -> Out<'py> {
        int(self.py, v)
    }
    fn serialize_u16(self, v: u16) -> Out<'py> {
        int(self.py, v)
    }
    fn serialize_u32(self, v: u32) -> Out<'py> {
        int(self.py, v)
    }
    fn serialize_u64(self, v: u64) -> Out<'py> {
        int(self.py, v)
    }
    fn serialize_u128(self, v: u128) -> Out<'py> {
        int(self.py, v)
    }
    fn serialize_f32(self, v: f32) -> Out<'py> {
        int(self.py, f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Out<'py> {
        int(self.py, v)
    }
    fn serialize_char(self, v: char) -> Out<'py> {
        let mut buf = [0u8; 4];
        Ok(PyString::new(self.py, v.encode_utf8(&mut buf)).into_any())
    }
    fn serialize_str(self, v: &str) -> Out<'py> {
        Ok(PyString::new(self.py, v).into_any())
    }
    fn serialize_bytes(self, v: &[u8]) -> Out<'py> {
        // As serde_json writes bytes: an array of numbers.
        let list = PyList::empty(self.py);
        for b in v {
            list.append(*b)?;
        }
        Ok(list.into_any())
    }
    fn serialize_none(self) -> Out<'py> {
        Ok(self.py.None().into_bound(self.py))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Out<'py> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Out<'py> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Out<'py> {
        self.serialize_none()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Out<'py> {
        Ok(key(self.py, variant).into_any())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Out<'py> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Out<'py> {
        let dict = PyDict::new(self.py);
        dict.set_item(key(self.py, variant), value.serialize(self)?)?;
        Ok(dict.into_any())
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Seq<'py>, Failure> {
        Ok(Seq {
            to: self,
            items: Vec::with_capacity(len.unwrap_or(0).min(1024)),
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Seq<'py>, Failure> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Seq<'py>, Failure> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Variant<Seq<'py>>, Failure> {
        Ok(Variant {
            name: variant,
            inner: self.serialize_seq(Some(len))?,
        })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Map<'py>, Failure> {
        Ok(Map {
            to: self,
            dict: PyDict::new(self.py),
            key: None,
        })
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Map<'py>, Failure> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Variant<Map<'py>>, Failure> {
        Ok(Variant {
            name: variant,
            inner: self.serialize_map(Some(len))?,
        })
    }
}

/// A list being built.
pub(crate) struct Seq<'py> {
    to: ToPy<'py>,
    items: Vec<Bound<'py, PyAny>>,
}

impl<'py> Seq<'py> {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failure> {
        self.items.push(value.serialize(self.to)?);
        Ok(())
    }

    fn finish(self) -> Out<'py> {
        Ok(PyList::new(self.to.py, self.items)?.into_any())
    }
}

impl<'py> ser::SerializeSeq for Seq<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Failure;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failure> {
        self.push(value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> ser::SerializeTuple for Seq<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Failure;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failure> {
        self.push(value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> ser::SerializeTupleStruct for Seq<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Failure;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failure> {
        self.push(value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

/// A dict being built.
pub(crate) struct Map<'py> {
    to: ToPy<'py>,
    dict: Bound<'py, PyDict>,
    key: Option<Bound<'py, PyAny>>,
}

impl<'py> Map<'py> {
    fn field<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) -> Result<(), Failure> {
        let v = value.serialize(self.to)?;
        self.dict.set_item(key(self.to.py, name), v)?;
        Ok(())
    }
}

impl<'py> ser::SerializeMap for Map<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Failure;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), Failure> {
        // Keys of JSON objects are strings: take them through the cache.
        self.key = Some(k.serialize(KeyToPy { py: self.to.py })?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failure> {
        let v = value.serialize(self.to)?;
        match self.key.take() {
            Some(k) => self.dict.set_item(k, v)?,
            None => return Err(ser::Error::custom("a map value without its key")),
        }
        Ok(())
    }
    fn end(self) -> Out<'py> {
        Ok(self.dict.into_any())
    }
}

impl<'py> ser::SerializeStruct for Map<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Failure;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Failure> {
        self.field(name, value)
    }
    fn end(self) -> Out<'py> {
        Ok(self.dict.into_any())
    }
}

/// An externally tagged enum variant: `{variant: inner}`.
pub(crate) struct Variant<I> {
    name: &'static str,
    inner: I,
}

impl<I> Variant<I> {
    fn wrap<'py>(name: &'static str, py: Python<'py>, inner: Bound<'py, PyAny>) -> Out<'py> {
        let dict = PyDict::new(py);
        dict.set_item(key(py, name), inner)?;
        Ok(dict.into_any())
    }
}

impl<'py> ser::SerializeTupleVariant for Variant<Seq<'py>> {
    type Ok = Bound<'py, PyAny>;
    type Error = Failure;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failure> {
        self.inner.push(value)
    }
    fn end(self) -> Out<'py> {
        let py = self.inner.to.py;
        let inner = self.inner.finish()?;
        Self::wrap(self.name, py, inner)
    }
}

impl<'py> ser::SerializeStructVariant for Variant<Map<'py>> {
    type Ok = Bound<'py, PyAny>;
    type Error = Failure;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Failure> {
        self.inner.field(name, value)
    }
    fn end(self) -> Out<'py> {
        let py = self.inner.to.py;
        Self::wrap(self.name, py, self.inner.dict.into_any())
    }
}

/// Serializes a map key: strings through the key cache, anything else as
/// serde_json would (numbers and booleans as their text).
#[derive(Clone, Copy)]
struct KeyToPy<'py> {
    py: Python<'py>,
}

fn not_a_key<'py>() -> Out<'py> {
    Err(ser::Error::custom("a map key must be a string"))
}

macro_rules! key_as_text {
    ($($method:ident: $t:ty),*) => {
        $(fn $method(self, v: $t) -> Out<'py> {
            Ok(PyString::new(self.py, &v.to_string()).into_any())
        })*
    };
}

impl<'py> ser::Serializer for KeyToPy<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Failure;
    type SerializeSeq = ser::Impossible<Bound<'py, PyAny>, Failure>;
    type SerializeTuple = ser::Impossible<Bound<'py, PyAny>, Failure>;
    type SerializeTupleStruct = ser::Impossible<Bound<'py, PyAny>, Failure>;
    type SerializeTupleVariant = ser::Impossible<Bound<'py, PyAny>, Failure>;
    type SerializeMap = ser::Impossible<Bound<'py, PyAny>, Failure>;
    type SerializeStruct = ser::Impossible<Bound<'py, PyAny>, Failure>;
    type SerializeStructVariant = ser::Impossible<Bound<'py, PyAny>, Failure>;

    fn serialize_str(self, v: &str) -> Out<'py> {
        Ok(key(self.py, v).into_any())
    }
    key_as_text!(
        serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
        serialize_i64: i64, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_char: char
    );
    fn serialize_f32(self, _v: f32) -> Out<'py> {
        not_a_key()
    }
    fn serialize_f64(self, _v: f64) -> Out<'py> {
        not_a_key()
    }
    fn serialize_bytes(self, _v: &[u8]) -> Out<'py> {
        not_a_key()
    }
    fn serialize_none(self) -> Out<'py> {
        not_a_key()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Out<'py> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Out<'py> {
        not_a_key()
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Out<'py> {
        not_a_key()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Out<'py> {
        Ok(key(self.py, variant).into_any())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Out<'py> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Out<'py> {
        not_a_key()
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Failure> {
        Err(ser::Error::custom("a map key must be a string"))
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Failure> {
        Err(ser::Error::custom("a map key must be a string"))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Failure> {
        Err(ser::Error::custom("a map key must be a string"))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Failure> {
        Err(ser::Error::custom("a map key must be a string"))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Failure> {
        Err(ser::Error::custom("a map key must be a string"))
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Failure> {
        Err(ser::Error::custom("a map key must be a string"))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Failure> {
        Err(ser::Error::custom("a map key must be a string"))
    }
}
