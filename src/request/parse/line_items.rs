//! The `line_items` member of a request: each line's fields, matched
//! by name without allocating, with their paths in errors.

use super::super::{LineItem, limits};
use super::{Number, Recorder, Seen, Str};
use crate::error::ErrorCode;
use crate::names::named_enum;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

named_enum! {
    /// The fields of a line item.
    "line item field"
    pub enum LineField {
        /// `price_id`.
        PriceId => "price_id",
        /// `product_id`.
        ProductId => "product_id",
        /// `quantity`.
        Quantity => "quantity",
        /// `ad_hoc_amount`.
        AdHocAmount => "ad_hoc_amount",
        /// `ad_hoc_currency`.
        AdHocCurrency => "ad_hoc_currency",
        /// `description`.
        Description => "description",
    }
}

pub(super) struct LineItemsSeed<'r>(pub(super) &'r mut Recorder);

impl<'de> DeserializeSeed<'de> for LineItemsSeed<'_> {
    type Value = Vec<LineItem<'de>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for LineItemsSeed<'_> {
    type Value = Vec<LineItem<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of line items")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        let rec = self.0;
        d.deserialize_seq(LineItemsSeed(rec))
            .map_err(|e| rec.wrong(|| "line_items".to_owned(), e))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let rec = self.0;
        let mut lines = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(8));
        loop {
            let index = lines.len();
            if index == limits::MAX_LINE_ITEMS {
                if seq.next_element::<de::IgnoredAny>()?.is_some() {
                    return Err(rec.fail(
                        ErrorCode::LimitExceeded,
                        "line_items".into(),
                        format!("more than {} line items", limits::MAX_LINE_ITEMS),
                    ));
                }
                break;
            }
            match seq
                .next_element_seed(LineItemSeed {
                    rec: &mut *rec,
                    index,
                })
                .map_err(|e| rec.wrong(|| format!("line_items[{index}]"), e))?
            {
                Some(line) => lines.push(line),
                None => break,
            }
        }
        Ok(lines)
    }
}

/// The next value as an optional string; a value of another type is
/// `invalid_request` at `param`.
fn next_str<'de, A: MapAccess<'de>>(
    map: &mut A,
    rec: &mut Recorder,
    param: impl FnOnce() -> String,
) -> Result<Option<Cow<'de, str>>, A::Error> {
    Ok(map
        .next_value::<Option<Str<'de>>>()
        .map_err(|e| rec.wrong(param, e))?
        .map(|s| s.0))
}

/// The next value as an optional int64; a number that is not one is
/// `code` at `param`, a value of another type `invalid_request`.
fn next_int<'de, A: MapAccess<'de>>(
    map: &mut A,
    rec: &mut Recorder,
    param: impl Fn() -> String,
    code: ErrorCode,
    what: &str,
) -> Result<Option<i64>, A::Error> {
    let number = match map.next_value::<Option<Number>>() {
        Ok(number) => number,
        // serde_json refuses a number beyond f64 (`1e400`) before any
        // visitor sees it; it is still a number, so a wrong value, not a
        // wrong type.
        Err(e) if e.to_string().starts_with("number out of range") => {
            Some(Number::NotInt("a number out of range".into()))
        }
        Err(e) => return Err(rec.wrong(param, e)),
    };
    match number {
        None => Ok(None),
        Some(Number::Int(v)) => Ok(Some(v)),
        Some(Number::NotInt(text)) => {
            Err(rec.fail(code, param(), format!("`{text}` is not {what}")))
        }
    }
}

struct LineItemSeed<'r> {
    rec: &'r mut Recorder,
    index: usize,
}

impl<'de> DeserializeSeed<'de> for LineItemSeed<'_> {
    type Value = LineItem<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for LineItemSeed<'_> {
    type Value = LineItem<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a line item object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let LineItemSeed { rec, index } = self;
        let path = |field: &str| format!("line_items[{index}].{field}");
        let mut line = LineItem::default();
        let mut seen = Seen::default();
        while let Some(Str(key)) = map.next_key::<Str<'de>>()? {
            let Ok(field) = key.parse::<LineField>() else {
                return Err(rec.fail(
                    ErrorCode::UnknownField,
                    path(&key),
                    format!("unknown field `{key}`"),
                ));
            };
            if !seen.first(field as usize) {
                return Err(rec.fail(
                    ErrorCode::InvalidRequest,
                    path(&key),
                    format!("duplicate field `{key}`"),
                ));
            }
            let param = || path(field.as_str());
            match field {
                LineField::PriceId => line.price_id = next_str(&mut map, rec, param)?,
                LineField::ProductId => line.product_id = next_str(&mut map, rec, param)?,
                LineField::Quantity => {
                    line.quantity = next_int(
                        &mut map,
                        rec,
                        param,
                        ErrorCode::InvalidQuantity,
                        "a whole number from 1 to 999999",
                    )?;
                }
                LineField::AdHocAmount => {
                    line.ad_hoc_amount = next_int(
                        &mut map,
                        rec,
                        param,
                        ErrorCode::InvalidAmount,
                        "a whole number of minor units from 0 to 9223372036854775807",
                    )?;
                }
                LineField::AdHocCurrency => {
                    line.ad_hoc_currency = next_str(&mut map, rec, param)?;
                }
                LineField::Description => line.description = next_str(&mut map, rec, param)?,
            }
        }
        Ok(line)
    }
}
