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
use pyo3::types::{PyBool, PyDict, PyInt, PyList, PyString};
use rustc_hash::FxHashMap;
use serde::ser::{self, Serialize};
use smallvec::SmallVec;
use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

/// Texts longer than this are not cached (they are not names or codes).
const MAX_CACHED_TEXT: usize = 32;
/// Each cache stops growing here (ever-new texts cannot grow it without
/// bound; the names and codes that repeat are met first).
const MAX_CACHED: usize = 4096;

/// Fields whose values are unique per session: not worth caching.
const UNIQUE_FIELDS: [&str; 3] = ["client_reference_id", "description", "customer_email"];

/// A field value that a template can hold and that is compared in Rust,
/// before any Python object is made: immutable in Python, so every copy of
/// the template may share it.
#[derive(Debug, PartialEq)]
enum Atom {
    None,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Str(Box<str>),
}

/// A dict with a struct's keys and the first such struct's values (its
/// lists and dicts replaced by None), copied for each new struct of the
/// same fields: copying it and replacing only the values that differ is
/// cheaper than building a dict key by key (no resizes, no hashing, and
/// no call at all for a value the template already holds, such as a
/// currency, a date, a status or a zero discount). One per shape: more,
/// to pick the closest from, cost more in comparisons than they saved in
/// calls (callgrind).
struct Template {
    /// The field names (by address), in order.
    names: Vec<(usize, usize)>,
    /// Their keys.
    keys: Vec<Py<PyString>>,
    /// Per field, the atom the dict holds (None for a list or dict field,
    /// whose template value is Python's None).
    atoms: Vec<Option<Atom>>,
    /// Per field, the object the dict holds.
    values: Vec<Py<PyAny>>,
    dict: Py<PyDict>,
}

/// Python objects made once per thread and shared (Python strs are
/// immutable; template dicts are only ever copied).
#[derive(Default)]
struct Cache {
    /// Struct field names (`&'static str`), by address.
    fields: FxHashMap<(usize, usize), Py<PyString>>,
    /// Short texts (map keys, codes, ids, names), by content.
    texts: FxHashMap<Box<str>, Py<PyString>>,
    /// Templates by struct name (address and length) and field count.
    templates: FxHashMap<(usize, usize, usize), Rc<Template>>,
}

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::new(Cache::default());
}

impl Cache {
    fn field<'py>(&mut self, py: Python<'py>, name: &'static str) -> Bound<'py, PyString> {
        let id = (name.as_ptr() as usize, name.len());
        if let Some(k) = self.fields.get(&id) {
            return k.bind(py).clone();
        }
        let k = PyString::intern(py, name);
        if self.fields.len() < MAX_CACHED {
            self.fields.insert(id, k.clone().unbind());
        }
        k
    }

    fn text<'py>(&mut self, py: Python<'py>, text: &str) -> Bound<'py, PyString> {
        if text.len() > MAX_CACHED_TEXT {
            return PyString::new(py, text);
        }
        if let Some(k) = self.texts.get(text) {
            return k.bind(py).clone();
        }
        let k = PyString::new(py, text);
        if self.texts.len() < MAX_CACHED {
            self.texts.insert(text.into(), k.clone().unbind());
        }
        k
    }
}

/// A str for a dict key or a code, from the thread's cache when it can be.
pub(crate) fn key<'py>(py: Python<'py>, name: &str) -> Bound<'py, PyString> {
    let cached = CACHE.try_with(|cell| match cell.try_borrow_mut() {
        Ok(mut cache) => Some(cache.text(py, name)),
        Err(_) => None,
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
    let cached = CACHE.try_with(|cache| {
        value
            .serialize(ToPy {
                py,
                cache,
                cache_texts: true,
            })
            .map_err(|e| e.0)
    });
    match cached {
        Ok(result) => result,
        // The thread is exiting: no cache.
        Err(_) => {
            let cache = RefCell::new(Cache::default());
            value
                .serialize(ToPy {
                    py,
                    cache: &cache,
                    cache_texts: true,
                })
                .map_err(|e| e.0)
        }
    }
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
struct ToPy<'a, 'py> {
    py: Python<'py>,
    cache: &'a RefCell<Cache>,
    /// False inside fields whose values are unique per session.
    cache_texts: bool,
}

impl<'py> ToPy<'_, 'py> {
    /// A field name's str (cached unless the cache is busy: a re-entrant
    /// call from a destructor run by Python during a conversion).
    fn field(&self, name: &'static str) -> Bound<'py, PyString> {
        match self.cache.try_borrow_mut() {
            Ok(mut c) => c.field(self.py, name),
            Err(_) => PyString::new(self.py, name),
        }
    }

    fn text(&self, text: &str) -> Bound<'py, PyString> {
        if !self.cache_texts {
            return PyString::new(self.py, text);
        }
        match self.cache.try_borrow_mut() {
            Ok(mut c) => c.text(self.py, text),
            Err(_) => PyString::new(self.py, text),
        }
    }
}

type Out<'py> = Result<Bound<'py, PyAny>, Failure>;

fn int<'py, T: IntoPyObject<'py>>(py: Python<'py>, v: T) -> Out<'py> {
    v.into_bound_py_any(py).map_err(Failure)
}

impl<'a, 'py> ser::Serializer for ToPy<'a, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Failure;
    type SerializeSeq = Seq<'a, 'py>;
    type SerializeTuple = Seq<'a, 'py>;
    type SerializeTupleStruct = Seq<'a, 'py>;
    type SerializeTupleVariant = Variant<Seq<'a, 'py>>;
    type SerializeMap = Map<'a, 'py>;
    type SerializeStruct = Fields<'a, 'py>;
    type SerializeStructVariant = Variant<Map<'a, 'py>>;

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
        Ok(self.text(v).into_any())
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
        Ok(self.field(variant).into_any())
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
        dict.set_item(self.field(variant), value.serialize(self)?)?;
        Ok(dict.into_any())
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Seq<'a, 'py>, Failure> {
        Ok(Seq {
            to: self,
            items: Vec::with_capacity(len.unwrap_or(0).min(1024)),
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Seq<'a, 'py>, Failure> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Seq<'a, 'py>, Failure> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Variant<Seq<'a, 'py>>, Failure> {
        Ok(Variant {
            name: variant,
            inner: self.serialize_seq(Some(len))?,
        })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Map<'a, 'py>, Failure> {
        Ok(Map {
            to: self,
            dict: PyDict::new(self.py),
            key: None,
        })
    }
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Fields<'a, 'py>, Failure> {
        let shape = (name.as_ptr() as usize, name.len(), len);
        let template = self
            .cache
            .try_borrow()
            .ok()
            .and_then(|c| c.templates.get(&shape).map(Rc::clone));
        Ok(Fields {
            to: self,
            shape,
            template,
            fields: SmallVec::new(),
        })
    }
    fn collect_str<T: fmt::Display + ?Sized>(self, value: &T) -> Out<'py> {
        with_display(value, |text| self.serialize_str(text))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Variant<Map<'a, 'py>>, Failure> {
        Ok(Variant {
            name: variant,
            inner: self.serialize_map(Some(len))?,
        })
    }
}

/// A list being built.
pub(crate) struct Seq<'a, 'py> {
    to: ToPy<'a, 'py>,
    items: Vec<Bound<'py, PyAny>>,
}

impl<'py> Seq<'_, 'py> {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failure> {
        self.items.push(value.serialize(self.to)?);
        Ok(())
    }

    fn finish(self) -> Out<'py> {
        Ok(PyList::new(self.to.py, self.items)?.into_any())
    }
}

impl<'py> ser::SerializeSeq for Seq<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Failure;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failure> {
        self.push(value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> ser::SerializeTuple for Seq<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Failure;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failure> {
        self.push(value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> ser::SerializeTupleStruct for Seq<'_, 'py> {
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
pub(crate) struct Map<'a, 'py> {
    to: ToPy<'a, 'py>,
    dict: Bound<'py, PyDict>,
    key: Option<Bound<'py, PyAny>>,
}

impl<'py> Map<'_, 'py> {
    fn field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Failure> {
        let v = value.serialize(self.to)?;
        self.dict.set_item(self.to.field(name), v)?;
        Ok(())
    }
}

impl<'py> ser::SerializeMap for Map<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Failure;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), Failure> {
        // Keys of JSON objects are strings: take them through the cache.
        self.key = Some(k.serialize(KeyToPy { to: self.to })?);
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

/// `value`'s text handed to `f`, formatted on the stack when it is short
/// (dates, codes): no allocation per value.
fn with_display<T: fmt::Display + ?Sized, R>(value: &T, f: impl FnOnce(&str) -> R) -> R {
    use fmt::Write;
    let mut buf = StackText {
        bytes: [0; 64],
        len: 0,
    };
    if write!(buf, "{value}").is_ok()
        && let Some(text) = buf
            .bytes
            .get(..buf.len)
            .and_then(|b| std::str::from_utf8(b).ok())
    {
        return f(text);
    }
    f(&value.to_string())
}

/// A short text formatted in place; writing past its room fails.
struct StackText {
    bytes: [u8; 64],
    len: usize,
}

impl fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
        let room = self.bytes.get_mut(self.len..end).ok_or(fmt::Error)?;
        room.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// A struct's fields (most structs here have up to 16), gathered so that
/// its dict can be made from its shape's template.
type FieldValues<'py> = SmallVec<[(&'static str, Bound<'py, PyAny>); 16]>;

/// A struct being converted.
pub(crate) struct Fields<'a, 'py> {
    to: ToPy<'a, 'py>,
    /// Its name (address and length) and field count.
    shape: (usize, usize, usize),
    /// The shape's template, while its field names match this struct's.
    template: Option<Rc<Template>>,
    fields: FieldValues<'py>,
}

impl<'py> ser::SerializeStruct for Fields<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Failure;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Failure> {
        let to = ToPy {
            cache_texts: self.to.cache_texts && !UNIQUE_FIELDS.contains(&name),
            ..self.to
        };
        let pos = self.fields.len();
        let id = (name.as_ptr() as usize, name.len());
        if self
            .template
            .as_ref()
            .is_some_and(|t| t.names.get(pos) != Some(&id))
        {
            self.template = None;
        }
        let probed = match &self.template {
            Some(template) => value.serialize(Probe { to, template, pos }),
            None => Err(NotAtom::Compound),
        };
        let v = match probed {
            Ok(v) => v,
            Err(NotAtom::Compound) => value.serialize(to)?,
            Err(NotAtom::Failed(e)) => return Err(e),
        };
        self.fields.push((name, v));
        Ok(())
    }
    fn end(self) -> Out<'py> {
        let py = self.to.py;
        if let Some(t) = self
            .template
            .as_ref()
            .filter(|t| t.names.len() == self.fields.len())
        {
            let dict = t.dict.bind(py).copy()?;
            for (((_, v), key), held) in self.fields.iter().zip(&t.keys).zip(&t.values) {
                if !v.is(held.bind(py)) {
                    dict.set_item(key.bind(py), v)?;
                }
            }
            return Ok(dict.into_any());
        }
        let dict = self.to.dict_of(&self.fields)?;
        let known = self.to.cache.try_borrow().map_or(true, |c| {
            c.templates.contains_key(&self.shape) || c.templates.len() >= MAX_CACHED
        });
        if !known {
            let template = self.to.template(&self.fields, &dict)?;
            if let Ok(mut c) = self.to.cache.try_borrow_mut() {
                c.templates
                    .entry(self.shape)
                    .or_insert_with(|| Rc::new(template));
            }
        }
        Ok(dict.into_any())
    }
}

impl<'py> ToPy<'_, 'py> {
    /// A dict of `fields`, key by key.
    fn dict_of(
        &self,
        fields: &[(&'static str, Bound<'py, PyAny>)],
    ) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(self.py);
        for (name, v) in fields {
            dict.set_item(self.field(name), v)?;
        }
        Ok(dict)
    }

    /// A template made from `dict`, just made of `fields`: their atoms
    /// kept, lists and dicts replaced by None.
    fn template(
        &self,
        fields: &[(&'static str, Bound<'py, PyAny>)],
        dict: &Bound<'py, PyDict>,
    ) -> PyResult<Template> {
        let py = self.py;
        let copy = dict.copy()?;
        let mut t = Template {
            names: Vec::with_capacity(fields.len()),
            keys: Vec::with_capacity(fields.len()),
            atoms: Vec::with_capacity(fields.len()),
            values: Vec::with_capacity(fields.len()),
            dict: copy.clone().unbind(),
        };
        for (name, v) in fields {
            let key = self.field(name);
            let atom = atom_of(v);
            let held = if atom.is_some() {
                v.clone()
            } else {
                copy.set_item(&key, py.None())?;
                py.None().into_bound(py)
            };
            t.names.push((name.as_ptr() as usize, name.len()));
            t.keys.push(key.unbind());
            t.atoms.push(atom);
            t.values.push(held.unbind());
        }
        Ok(t)
    }
}

/// The atom a converted value is, if it is one.
fn atom_of(v: &Bound<'_, PyAny>) -> Option<Atom> {
    if v.is_none() {
        return Some(Atom::None);
    }
    if let Ok(b) = v.cast_exact::<PyBool>() {
        return Some(Atom::Bool(b.is_true()));
    }
    if v.is_exact_instance_of::<PyInt>() {
        return v
            .extract::<i64>()
            .map(Atom::Int)
            .or_else(|_| v.extract::<u64>().map(Atom::UInt))
            .ok();
    }
    if let Ok(s) = v.cast_exact::<PyString>() {
        return s.to_cow().ok().map(|t| Atom::Str(t.into()));
    }
    None
}

/// Why a value was not compared with the templates.
enum NotAtom {
    /// A list, dict or other value the templates do not hold: converted
    /// by `ToPy` instead.
    Compound,
    Failed(Failure),
}

impl fmt::Debug for NotAtom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotAtom::Compound => f.write_str("compound"),
            NotAtom::Failed(e) => fmt::Debug::fmt(e, f),
        }
    }
}

impl fmt::Display for NotAtom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl std::error::Error for NotAtom {}

impl ser::Error for NotAtom {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        NotAtom::Failed(Failure::custom(msg))
    }
}

/// Converts a field's value if it is an atom, comparing it with the
/// template's value of that field first: the template's object is reused
/// when it holds the same atom.
struct Probe<'t, 'a, 'py> {
    to: ToPy<'a, 'py>,
    template: &'t Template,
    pos: usize,
}

type Probed<'py> = Result<Bound<'py, PyAny>, NotAtom>;

impl<'py> Probe<'_, '_, 'py> {
    /// The template's object for this field if its atom `is_same`, else
    /// `make()`'s.
    fn find(
        &self,
        is_same: impl Fn(&Atom) -> bool,
        make: impl FnOnce() -> Result<Bound<'py, PyAny>, Failure>,
    ) -> Probed<'py> {
        if let Some(Some(atom)) = self.template.atoms.get(self.pos)
            && is_same(atom)
            && let Some(v) = self.template.values.get(self.pos)
        {
            return Ok(v.bind(self.to.py).clone());
        }
        make().map_err(NotAtom::Failed)
    }

    fn int(&self, v: i64) -> Probed<'py> {
        self.find(|a| *a == Atom::Int(v), || int(self.to.py, v))
    }

    fn uint(&self, v: u64) -> Probed<'py> {
        match i64::try_from(v) {
            Ok(i) => self.int(i),
            Err(_) => self.find(|a| *a == Atom::UInt(v), || int(self.to.py, v)),
        }
    }

    fn text(&self, v: &str) -> Probed<'py> {
        self.find(
            |a| matches!(a, Atom::Str(s) if **s == *v),
            || Ok(self.to.text(v).into_any()),
        )
    }
}

impl<'py> ser::Serializer for Probe<'_, '_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = NotAtom;
    type SerializeSeq = ser::Impossible<Self::Ok, NotAtom>;
    type SerializeTuple = ser::Impossible<Self::Ok, NotAtom>;
    type SerializeTupleStruct = ser::Impossible<Self::Ok, NotAtom>;
    type SerializeTupleVariant = ser::Impossible<Self::Ok, NotAtom>;
    type SerializeMap = ser::Impossible<Self::Ok, NotAtom>;
    type SerializeStruct = ser::Impossible<Self::Ok, NotAtom>;
    type SerializeStructVariant = ser::Impossible<Self::Ok, NotAtom>;

    fn serialize_bool(self, v: bool) -> Probed<'py> {
        self.find(|a| *a == Atom::Bool(v), || int(self.to.py, v))
    }
    fn serialize_i8(self, v: i8) -> Probed<'py> {
        self.int(v.into())
    }
    fn serialize_i16(self, v: i16) -> Probed<'py> {
        self.int(v.into())
    }
    fn serialize_i32(self, v: i32) -> Probed<'py> {
        self.int(v.into())
    }
    fn serialize_i64(self, v: i64) -> Probed<'py> {
        self.int(v)
    }
    fn serialize_i128(self, v: i128) -> Probed<'py> {
        match i64::try_from(v) {
            Ok(i) => self.int(i),
            Err(_) => Err(NotAtom::Compound),
        }
    }
    fn serialize_u8(self, v: u8) -> Probed<'py> {
        self.int(v.into())
    }
    fn serialize_u16(self, v: u16) -> Probed<'py> {
        self.int(v.into())
    }
    fn serialize_u32(self, v: u32) -> Probed<'py> {
        self.int(v.into())
    }
    fn serialize_u64(self, v: u64) -> Probed<'py> {
        self.uint(v)
    }
    fn serialize_u128(self, v: u128) -> Probed<'py> {
        match u64::try_from(v) {
            Ok(u) => self.uint(u),
            Err(_) => Err(NotAtom::Compound),
        }
    }
    fn serialize_f32(self, _v: f32) -> Probed<'py> {
        Err(NotAtom::Compound)
    }
    fn serialize_f64(self, _v: f64) -> Probed<'py> {
        Err(NotAtom::Compound)
    }
    fn serialize_char(self, _v: char) -> Probed<'py> {
        Err(NotAtom::Compound)
    }
    fn serialize_str(self, v: &str) -> Probed<'py> {
        self.text(v)
    }
    fn collect_str<T: fmt::Display + ?Sized>(self, value: &T) -> Probed<'py> {
        with_display(value, |text| self.text(text))
    }
    fn serialize_bytes(self, _v: &[u8]) -> Probed<'py> {
        Err(NotAtom::Compound)
    }
    fn serialize_none(self) -> Probed<'py> {
        let py = self.to.py;
        self.find(|a| *a == Atom::None, || Ok(py.None().into_bound(py)))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Probed<'py> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Probed<'py> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Probed<'py> {
        self.serialize_none()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Probed<'py> {
        self.find(
            |a| matches!(a, Atom::Str(s) if **s == *variant),
            || Ok(self.to.field(variant).into_any()),
        )
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Probed<'py> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Probed<'py> {
        Err(NotAtom::Compound)
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, NotAtom> {
        Err(NotAtom::Compound)
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, NotAtom> {
        Err(NotAtom::Compound)
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, NotAtom> {
        Err(NotAtom::Compound)
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, NotAtom> {
        Err(NotAtom::Compound)
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, NotAtom> {
        Err(NotAtom::Compound)
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, NotAtom> {
        Err(NotAtom::Compound)
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, NotAtom> {
        Err(NotAtom::Compound)
    }
}

/// An externally tagged enum variant: `{variant: inner}`.
pub(crate) struct Variant<I> {
    name: &'static str,
    inner: I,
}

impl<I> Variant<I> {
    fn wrap<'py>(name: &'static str, to: ToPy<'_, 'py>, inner: Bound<'py, PyAny>) -> Out<'py> {
        let dict = PyDict::new(to.py);
        dict.set_item(to.field(name), inner)?;
        Ok(dict.into_any())
    }
}

impl<'py> ser::SerializeTupleVariant for Variant<Seq<'_, 'py>> {
    type Ok = Bound<'py, PyAny>;
    type Error = Failure;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failure> {
        self.inner.push(value)
    }
    fn end(self) -> Out<'py> {
        let to = self.inner.to;
        let inner = self.inner.finish()?;
        Self::wrap(self.name, to, inner)
    }
}

impl<'py> ser::SerializeStructVariant for Variant<Map<'_, 'py>> {
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
        let to = self.inner.to;
        Self::wrap(self.name, to, self.inner.dict.into_any())
    }
}

/// Serializes a map key: strings through the key cache, anything else as
/// serde_json would (numbers and booleans as their text).
#[derive(Clone, Copy)]
struct KeyToPy<'a, 'py> {
    to: ToPy<'a, 'py>,
}

fn not_a_key<'py>() -> Out<'py> {
    Err(ser::Error::custom("a map key must be a string"))
}

macro_rules! key_as_text {
    ($($method:ident: $t:ty),*) => {
        $(fn $method(self, v: $t) -> Out<'py> {
            Ok(PyString::new(self.to.py, &v.to_string()).into_any())
        })*
    };
}

impl<'py> ser::Serializer for KeyToPy<'_, 'py> {
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
        Ok(self.to.text(v).into_any())
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
        Ok(self.to.field(variant).into_any())
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
