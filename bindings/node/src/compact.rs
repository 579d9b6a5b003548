//! The compact answer of `quote`: the quote's field walk
//! (`checkout_tax::output::fields`) as one string, which the generated
//! `quote-builder.js` turns into the quote object with object literals.
//! `JSON.parse` of the same quote's JSON costs several times more: it must
//! find every key and build each object's shape, while the builder knows
//! both from the shapes.
//!
//! The string is `#` and then each value in walk order:
//! - an integer: its decimal digits and `,`; `n` first when it is outside
//!   JavaScript's safe range (the builder makes a `BigInt` of it);
//! - a string: its length in UTF-16 code units, `:`, the string itself;
//! - one of an enum's names: its index in the shape's list and `,`;
//! - `~` for null, `_` for a field left out, a list's length as an integer.
//!
//! Nothing is escaped: lengths say where strings end.

use checkout_tax::output::fields::{FieldSink, Kind, Shape};

/// The largest magnitude a JS number holds exactly (`Number.MAX_SAFE_INTEGER`).
const MAX_SAFE: i64 = (1 << 53) - 1;

/// Collects a walk as the compact string's bytes (UTF-8).
pub(crate) struct Compact {
    pub(crate) out: Vec<u8>,
    /// Whether every string so far was ASCII (the answer can then be
    /// created as Latin-1, a plain copy).
    pub(crate) ascii: bool,
}

impl Compact {
    pub(crate) fn new() -> Self {
        let mut out = Vec::with_capacity(512);
        out.push(b'#');
        Compact { out, ascii: true }
    }
}

impl FieldSink for Compact {
    fn int(&mut self, value: i64) {
        if !(-MAX_SAFE..=MAX_SAFE).contains(&value) {
            self.out.push(b'n');
        }
        self.out
            .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
        self.out.push(b',');
    }

    fn text(&mut self, value: &str) {
        let units = if value.is_ascii() {
            value.len()
        } else {
            self.ascii = false;
            value.encode_utf16().count()
        };
        self.string(units, value.as_bytes());
    }

    fn ascii(&mut self, value: &[u8]) {
        if value.is_ascii() {
            // One byte a UTF-16 unit: no UTF-8 view needed.
            self.string(value.len(), value);
        } else {
            self.text(&String::from_utf8_lossy(value));
        }
    }

    fn one_of(&mut self, index: usize, _name: &'static str) {
        self.number(index);
        self.out.push(b',');
    }

    fn null(&mut self) {
        self.out.push(b'~');
    }

    fn absent(&mut self) {
        self.out.push(b'_');
    }

    fn list(&mut self, len: usize) {
        self.number(len);
        self.out.push(b',');
    }
}

impl Compact {
    /// A string: its length in UTF-16 `units`, `:`, its UTF-8 `bytes`.
    fn string(&mut self, units: usize, bytes: &[u8]) {
        self.number(units);
        self.out.push(b':');
        self.out.extend_from_slice(bytes);
    }

    /// A length or an index in decimal (most are one digit).
    fn number(&mut self, n: usize) {
        match u8::try_from(n) {
            Ok(digit @ 0..=9) => self.out.push(b'0' + digit),
            _ => self
                .out
                .extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
        }
    }
}

/// The shapes as the JSON text the builder is generated from and checked
/// against: `[{"name": "Quote", "fields": [["mode", "text"], ...]}, ...]`,
/// a kind written `int`, `text`, `=["a","b"]` (one of these names), `?K` (K or
/// null), `_K` (K or left out) or `[Name` (a list of Name).
pub(crate) fn shapes_json(shapes: &[Shape]) -> String {
    let objects: Vec<serde_json::Value> = shapes
        .iter()
        .map(|shape| {
            let fields: Vec<serde_json::Value> = shape
                .fields
                .iter()
                .map(|f| serde_json::json!([f.name, kind_text(&f.kind)]))
                .collect();
            serde_json::json!({"name": shape.name, "fields": fields})
        })
        .collect();
    serde_json::Value::Array(objects).to_string()
}

fn kind_text(kind: &Kind) -> String {
    match kind {
        Kind::Int => "int".to_owned(),
        Kind::Text => "text".to_owned(),
        Kind::OneOf(names) => format!("={}", serde_json::json!(names)),
        Kind::Nullable(inner) => format!("?{}", kind_text(inner)),
        Kind::Optional(inner) => format!("_{}", kind_text(inner)),
        Kind::List(item) => format!("[{item}"),
        // A kind this addon does not know: the builder generator refuses
        // it, so the package keeps the JSON path until both learn it.
        _ => "unknown".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compact_int(value: i64) -> String {
        let mut sink = Compact::new();
        sink.int(value);
        String::from_utf8_lossy(&sink.out).into_owned()
    }

    /// An integer is `n` past the safe range, then its decimal form, then
    /// `,`: what the builder's `int()` reads.
    #[test]
    fn ints_are_their_decimal_form() {
        let mut values = vec![
            0,
            1,
            -1,
            9,
            10,
            99,
            100,
            MAX_SAFE,
            MAX_SAFE + 1,
            -MAX_SAFE,
            -MAX_SAFE - 1,
            i64::MAX,
            i64::MIN,
        ];
        values.extend((0..19).flat_map(|p| {
            let t = 10i64.pow(p);
            [t - 1, t, t + 1, -t, -(t - 1)]
        }));
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            values.push(x as i64 >> (x % 60));
        }
        for v in values {
            let mark = if (-MAX_SAFE..=MAX_SAFE).contains(&v) {
                ""
            } else {
                "n"
            };
            assert_eq!(compact_int(v), format!("#{mark}{v},"), "{v}");
        }
    }
}
