//! The output seam: everything that knows how an answer looks as JSON.
//!
//! Each output object is declared once with `json_object!`, which lists
//! its fields in their public order and generates from that one list the
//! struct, its serde `Serialize` and a direct writer ([`JsonValue`]) that
//! produces the same bytes as `serde_json::to_writer` several times faster
//! (a test holds them byte-equal on every path). The writer may copy a
//! pre-rendered prefix of an object (`heads`) instead of formatting it,
//! but only after checking that the prefix was rendered from exactly the
//! object's current field values, so the JSON is always a function of the
//! fields. From the same list it generates the field walk ([`fields`]),
//! which hands a binding the values in that order without JSON.

pub mod fields;
pub(crate) mod heads;

use crate::error::Error;

/// A value that writes its own compact JSON: the bytes serde_json writes
/// for its `Serialize` form.
pub trait JsonValue {
    /// Appends the value's JSON to `out`.
    fn write_json(&self, out: &mut Vec<u8>);
}

/// An object whose first fields (its head, up to and including the field
/// marked as the head's end) may come pre-rendered.
pub(crate) trait CachedHead {
    /// The rendered head (`{"a":1,"b":2`), if one was rendered from exactly
    /// this object's current head fields.
    fn cached_head(&self) -> Option<&[u8]> {
        None
    }
}

/// Declares an output object: the struct (fields in their public JSON
/// order), its `Serialize` and its [`JsonValue`] writer. Fields listed under
/// `head` come first and may be served by [`CachedHead`]; `tail` fields
/// follow; a tail field marked `@skip_none` is left out when `None`, as
/// serde's `skip_serializing_if`; `hidden` fields are not output.
macro_rules! json_object {
    (
        $(#[$meta:meta])*
        pub struct $name:ident $(<$lt:lifetime>)? {
            head {
                $($(#[$hmeta:meta])* pub $hfield:ident : $htype:ty,)+
            }
            tail {
                $($(#[$tmeta:meta])* $(@$skip:ident)? pub $tfield:ident : $ttype:ty,)*
            }
            hidden {
                $($(#[$xmeta:meta])* $xfield:ident : $xtype:ty,)*
            }
        }
    ) => {
        $(#[$meta])*
        pub struct $name $(<$lt>)? {
            $($(#[$hmeta])* pub $hfield: $htype,)+
            $($(#[$tmeta])* pub $tfield: $ttype,)*
            $($(#[$xmeta])* pub(crate) $xfield: $xtype,)*
        }

        impl $(<$lt>)? $name $(<$lt>)? {
            /// Appends the head fields' JSON, from `{` to the last head
            /// field's value.
            #[allow(unused_assignments)]
            pub(crate) fn write_head(&self, out: &mut Vec<u8>) {
                let mut first = true;
                out.push(b'{');
                $(
                    out.extend_from_slice(
                        if first { concat!("\"", stringify!($hfield), "\":") }
                        else { concat!(",\"", stringify!($hfield), "\":") }.as_bytes(),
                    );
                    first = false;
                    $crate::output::JsonValue::write_json(&self.$hfield, out);
                )+
            }
        }

        impl $(<$lt>)? $crate::output::JsonValue for $name $(<$lt>)? {
            fn write_json(&self, out: &mut Vec<u8>) {
                match $crate::output::CachedHead::cached_head(self) {
                    Some(head) => out.extend_from_slice(head),
                    None => self.write_head(out),
                }
                $(
                    $crate::output::json_object!(@field self, out, $tfield $(, $skip)?);
                )*
                out.push(b'}');
            }
        }

        impl $(<$lt>)? $crate::output::fields::Fields for $name $(<$lt>)? {
            const NAME: &'static str = stringify!($name);

            fn walk<S: $crate::output::fields::FieldSink>(&self, sink: &mut S) {
                $($crate::output::fields::FieldValue::walk(&self.$hfield, sink);)+
                $(
                    $crate::output::json_object!(@walk self, sink, $tfield $(, $skip)?);
                )*
            }

            fn shape() -> $crate::output::fields::Shape {
                $crate::output::fields::Shape {
                    name: stringify!($name),
                    fields: vec![
                        $($crate::output::fields::Field {
                            name: stringify!($hfield),
                            kind: <$htype as $crate::output::fields::FieldValue>::kind(),
                        },)+
                        $($crate::output::fields::Field {
                            name: stringify!($tfield),
                            kind: $crate::output::json_object!(@kind $ttype $(, $skip)?),
                        },)*
                    ],
                }
            }

            fn collect_shapes(all: &mut Vec<$crate::output::fields::Shape>) {
                if all.iter().any(|s| s.name == stringify!($name)) {
                    return;
                }
                all.push(<Self as $crate::output::fields::Fields>::shape());
                $(<$htype as $crate::output::fields::FieldValue>::collect_shapes(all);)+
                $(<$ttype as $crate::output::fields::FieldValue>::collect_shapes(all);)*
            }
        }

        impl $(<$lt>)? serde::Serialize for $name $(<$lt>)? {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeStruct;
                let fields = 0usize $(.saturating_add({ let _ = stringify!($hfield); 1 }))+
                    $(.saturating_add($crate::output::json_object!(@count self, $tfield $(, $skip)?)))*;
                let mut state = s.serialize_struct(stringify!($name), fields)?;
                $(state.serialize_field(stringify!($hfield), &self.$hfield)?;)+
                $(
                    $crate::output::json_object!(@serialize self, state, $tfield $(, $skip)?);
                )*
                state.end()
            }
        }
    };
    (@field $self:ident, $out:ident, $field:ident) => {
        $out.extend_from_slice(concat!(",\"", stringify!($field), "\":").as_bytes());
        $crate::output::JsonValue::write_json(&$self.$field, $out);
    };
    (@field $self:ident, $out:ident, $field:ident, skip_none) => {
        if let Some(value) = &$self.$field {
            $out.extend_from_slice(concat!(",\"", stringify!($field), "\":").as_bytes());
            $crate::output::JsonValue::write_json(value, $out);
        }
    };
    (@walk $self:ident, $sink:ident, $field:ident) => {
        $crate::output::fields::FieldValue::walk(&$self.$field, $sink);
    };
    (@walk $self:ident, $sink:ident, $field:ident, skip_none) => {
        $crate::output::fields::walk_optional(&$self.$field, $sink);
    };
    (@kind $type:ty) => { <$type as $crate::output::fields::FieldValue>::kind() };
    (@kind $type:ty, skip_none) => {
        $crate::output::fields::optional(<$type as $crate::output::fields::FieldValue>::kind())
    };
    (@count $self:ident, $field:ident) => { 1usize };
    (@count $self:ident, $field:ident, skip_none) => { usize::from($self.$field.is_some()) };
    (@serialize $self:ident, $state:ident, $field:ident) => {
        $state.serialize_field(stringify!($field), &$self.$field)?;
    };
    (@serialize $self:ident, $state:ident, $field:ident, skip_none) => {
        if $self.$field.is_some() {
            $state.serialize_field(stringify!($field), &$self.$field)?;
        } else {
            $state.skip_field(stringify!($field))?;
        }
    };
}

pub(crate) use json_object;

impl JsonValue for i64 {
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(itoa::Buffer::new().format(*self).as_bytes());
    }
}

impl JsonValue for str {
    fn write_json(&self, out: &mut Vec<u8>) {
        string(out, self);
    }
}

impl JsonValue for std::borrow::Cow<'_, str> {
    fn write_json(&self, out: &mut Vec<u8>) {
        string(out, self);
    }
}

impl JsonValue for &str {
    fn write_json(&self, out: &mut Vec<u8>) {
        string(out, self);
    }
}

impl<T: JsonValue> JsonValue for Option<T> {
    fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            Some(v) => v.write_json(out),
            None => out.extend_from_slice(b"null"),
        }
    }
}

impl<T: JsonValue> JsonValue for [T] {
    fn write_json(&self, out: &mut Vec<u8>) {
        out.push(b'[');
        for (i, item) in self.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            item.write_json(out);
        }
        out.push(b']');
    }
}

impl<T: JsonValue> JsonValue for Vec<T> {
    fn write_json(&self, out: &mut Vec<u8>) {
        self.as_slice().write_json(out);
    }
}

impl<A: smallvec::Array> JsonValue for smallvec::SmallVec<A>
where
    A::Item: JsonValue,
{
    fn write_json(&self, out: &mut Vec<u8>) {
        self.as_slice().write_json(out);
    }
}

impl JsonValue for crate::money::Currency {
    fn write_json(&self, out: &mut Vec<u8>) {
        // Three upper-case ASCII letters: nothing to escape.
        let code = self.code().as_bytes();
        if let [a, b, c] = code {
            out.extend_from_slice(&[b'"', *a, *b, *c, b'"']);
        } else {
            string(out, self.code());
        }
    }
}

impl JsonValue for crate::jurisdiction::Jurisdiction {
    fn write_json(&self, out: &mut Vec<u8>) {
        // Upper-case ASCII letters, digits and `-`: nothing to escape.
        out.push(b'"');
        out.extend_from_slice(self.as_bytes());
        out.push(b'"');
    }
}

impl JsonValue for crate::tax::Rate {
    /// A string, so that no JSON reader turns `9.975` into a float.
    fn write_json(&self, out: &mut Vec<u8>) {
        out.push(b'"');
        out.extend_from_slice(self.text_bytes());
        out.push(b'"');
    }
}

impl JsonValue for jiff::civil::Date {
    fn write_json(&self, out: &mut Vec<u8>) {
        match ymd(*self) {
            Some([y1, y2, y3, y4, h1, m1, m2, h2, d1, d2]) => {
                out.extend_from_slice(&[b'"', y1, y2, y3, y4, h1, m1, m2, h2, d1, d2, b'"']);
            }
            None => {
                let _ = serde_json::to_writer(&mut *out, self);
            }
        }
    }
}

/// `YYYY-MM-DD` without formatting machinery, for years 0..=9999 (every
/// year a tax table names); `None` for the others, which take jiff's form.
pub(crate) fn ymd(date: jiff::civil::Date) -> Option<[u8; 10]> {
    let (year, month, day) = (date.year(), date.month(), date.day());
    let y = u16::try_from(year).ok().filter(|y| *y <= 9999)?;
    let digit = |d: u16| b'0'.saturating_add(u8::try_from(d % 10).unwrap_or(0));
    let two = |v: i8| {
        let v = u16::try_from(v).unwrap_or(0);
        [digit(v / 10), digit(v)]
    };
    let [m1, m2] = two(month);
    let [d1, d2] = two(day);
    Some([
        digit(y / 1000),
        digit(y / 100),
        digit(y / 10),
        digit(y),
        b'-',
        m1,
        m2,
        b'-',
        d1,
        d2,
    ])
}

impl JsonValue for Error {
    /// The spec's error object: `{"error": {"code", "message", "param"}}`.
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"error\":{\"code\":\"");
        out.extend_from_slice(self.code().as_str().as_bytes());
        out.extend_from_slice(b"\",\"message\":");
        string(out, &self.message());
        out.extend_from_slice(b",\"param\":");
        self.param().write_json(out);
        out.extend_from_slice(b"}}");
    }
}

/// The compact JSON of any value, through its [`JsonValue`] writer.
pub fn to_json_bytes<T: JsonValue + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    value.write_json(&mut out);
    out
}

/// A JSON string: copied as is when nothing needs escaping (the common
/// case), else escaped exactly as serde_json does.
pub(crate) fn string(out: &mut Vec<u8>, s: &str) {
    if !needs_escaping(s.as_bytes()) {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        // Writing a string into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

/// Whether any byte is one serde_json escapes in a string: `"`, `\\` or a
/// control character. No early exit: the loop compiles to vector compares.
fn needs_escaping(bytes: &[u8]) -> bool {
    bytes.iter().fold(false, |seen, b| {
        seen | (*b < 0x20) | (*b == b'"') | (*b == b'\\')
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn string_writer_agrees_with_serde(text in any::<String>()) {
            let mut fast = Vec::new();
            string(&mut fast, &text);
            prop_assert_eq!(fast, serde_json::to_vec(&text).unwrap());
        }
    }

    #[test]
    fn finds_each_special_byte_at_every_position() {
        for special in [0u8, 0x1f, b'"', b'\\'] {
            for len in 1..20 {
                for at in 0..len {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = special;
                    assert!(needs_escaping(&bytes), "{special} at {at} of {len}");
                }
            }
        }
        assert!(!needs_escaping(b"price_general_4_usd \x7f\xc3\xa9"));
    }

    #[test]
    fn error_object_matches_serde() {
        let e = Error::new(
            crate::ErrorCode::UnknownPrice,
            "line_items[0].price_id",
            "unknown price `a\"b`",
        );
        assert_eq!(to_json_bytes(&e), serde_json::to_vec(&e.to_json()).unwrap());
    }
}
