//! A service's response as verify reads it: parsed by serde_json into a
//! [`Value`] that keeps only the members verify looks at (the envelope,
//! the refusal, the currency and the amounts, at any depth; a value verify
//! may echo is kept whole) and walks past the rest without building it. The walk goes through the same parser
//! calls as a full parse, so malformed JSON fails with the same error at
//! the same place; the kept members are the values a full parse gives, so
//! every comparison sees the same values (a test holds the two reports
//! equal).

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::borrow::Cow;
use std::fmt;

/// Members whose value verify reads as a whole (and may echo as a
/// mismatch's `actual`): built in full, at any depth.
const LEAVES: [&str; 7] = [
    "success",
    "code",
    "currency",
    "amount_subtotal",
    "amount_discount",
    "amount_tax",
    "amount_total",
];

/// Members verify looks inside: built with the same rule, at any depth.
const CONTAINERS: [&str; 5] = ["data", "session", "error", "total_details", "line_items"];

/// `response` parsed with only the members verify reads.
///
/// # Errors
/// serde_json's error for bytes that are not one JSON value.
pub(crate) fn response(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = Kept.deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// Builds a value, keeping only the [`LEAVES`] and [`CONTAINERS`] members
/// of its objects.
struct Kept;

impl<'de> DeserializeSeed<'de> for Kept {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Kept {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        // As serde_json's own value: a float that is not finite is null.
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(Kept)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            if LEAVES.contains(&&*key) {
                let value = map.next_value::<Value>()?;
                object.insert(key.into_owned(), value);
            } else if CONTAINERS.contains(&&*key) {
                let value = map.next_value_seed(Kept)?;
                object.insert(key.into_owned(), value);
            } else {
                map.next_value_seed(Skip)?;
            }
        }
        Ok(Value::Object(object))
    }
}

/// A member's name, borrowed from the input when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// Walks past a value through `deserialize_any`, as a full parse reads it
/// (numbers out of range fail alike), building nothing.
struct Skip;

impl<'de> DeserializeSeed<'de> for Skip {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Skip)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key::<IgnoredAny>()?.is_some() {
            map.next_value_seed(Skip)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::Report;
    use crate::{Catalog, Engine, SessionRequest};
    use proptest::prelude::*;

    /// A JSON value whose objects use verify's member names and others.
    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            (0i64..100_000).prop_map(Value::from),
            Just(json_number("1079.0")),
            "[a-zA-Z]{0,6}".prop_map(Value::String),
        ];
        let names = prop_oneof![
            3 => proptest::sample::select([&LEAVES[..], &CONTAINERS[..]].concat()).prop_map(str::to_owned),
            1 => proptest::sample::select(&["taxes", "name", "id", "message", "param"][..]).prop_map(str::to_owned),
        ];
        leaf.prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::vec((names.clone(), inner), 0..6)
                    .prop_map(|members| Value::Object(members.into_iter().collect())),
            ]
        })
    }

    fn json_number(text: &str) -> Value {
        serde_json::from_str(text).unwrap_or(Value::Null)
    }

    fn engine() -> Engine {
        let catalog = Catalog::from_json(include_str!("../../examples/catalog.json")).unwrap();
        Engine::builder().catalog(catalog).build().unwrap()
    }

    /// Both parses give the same report, or fail with the same error.
    fn same_report(engine: &Engine, bytes: &[u8]) -> Result<(), TestCaseError> {
        let request =
            SessionRequest::from_json(include_str!("../../examples/request.json")).unwrap();
        let date = crate::parse_date("2025-06-01").unwrap();
        match (serde_json::from_slice::<Value>(bytes), response(bytes)) {
            (Ok(full), Ok(kept)) => prop_assert_eq!(
                Report::compare(engine.quote(&request, date), &full),
                Report::compare(engine.quote(&request, date), &kept)
            ),
            (Err(a), Err(b)) => prop_assert_eq!(a.to_string(), b.to_string()),
            (a, b) => prop_assert!(false, "{:?} vs {:?}", a.err(), b.err()),
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        /// On any JSON value, the kept members give the report of a full parse.
        #[test]
        fn reports_equal_a_full_parse(v in value()) {
            same_report(&engine(), v.to_string().as_bytes())?;
        }

        /// On the engine's own answer with one member changed, removed, or
        /// the text cut short, the same.
        #[test]
        fn reports_equal_a_full_parse_near_the_real_answer(
            key in proptest::sample::select(&["amount_tax", "currency", "line_items", "taxes", "amount_discount", "tax_status"][..]),
            replacement in value(),
            cut in 0usize..2000,
            envelope in any::<bool>(),
        ) {
            let engine = engine();
            let request = SessionRequest::from_json(include_str!("../../examples/request.json")).unwrap();
            let quote = engine.quote(&request, crate::parse_date("2025-06-01").unwrap()).unwrap();
            let mut session = serde_json::to_value(&quote).unwrap();
            if let Some(map) = session.as_object_mut() {
                map.insert(key.to_owned(), replacement);
            }
            let answer = if envelope {
                serde_json::json!({"success": true, "message": "ok", "data": {"session": session}})
            } else {
                session
            };
            let text = answer.to_string();
            same_report(&engine, text.as_bytes())?;
            same_report(&engine, text.as_bytes().get(..cut.min(text.len())).unwrap_or_default())?;
        }
    }

    #[test]
    fn numbers_out_of_range_fail_alike_where_they_are_not_kept() {
        let engine = engine();
        for text in [
            r#"{"taxes": 1e400, "amount_tax": 1}"#,
            r#"{"name": "a\x01"}"#,
            r#"{"id": [1, 2,], "amount_tax": 1}"#,
            r#"{"data": {"session": {"amount_total": 1e400}}}"#,
        ] {
            same_report(&engine, text.as_bytes()).unwrap();
        }
    }
}
