//! The `discounts` member of a request: its entries' shapes, checked in
//! the order the spec ranks its refusals.

use super::super::{Discount, Discounts, Mode};
use super::{Recorder, Seen, Str};
use crate::error::{Error, ErrorCode};
use crate::names::named_enum;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

named_enum! {
    /// The fields of a `discounts` entry.
    "discount field"
    pub enum DiscountField {
        /// `coupon`.
        Coupon => "coupon",
        /// `promotion_code`.
        PromotionCode => "promotion_code",
    }
}

/// The `discounts` array as parsed: how many entries, and the first one
/// with the problems found inside it kept for later, since the spec ranks
/// the array's length (and a setup session's discount, whose mode may come
/// later in the object) above any problem inside an entry.
#[derive(Default)]
pub(super) struct RawDiscounts<'de> {
    count: usize,
    first: Option<RawDiscount<'de>>,
}

/// An entry with its problems as plain facts (the errors are only built if
/// one is reported, and the struct stays small on the hot path).
#[derive(Default)]
struct RawDiscount<'de> {
    discount: Discount<'de>,
    /// What the entry is, when it is not an object (`invalid_request`).
    not_object: Option<&'static str>,
    /// The first key that is neither `coupon` nor `promotion_code`.
    unknown: Option<Cow<'de, str>>,
    /// The first field whose value is not a string (what it is), or that
    /// is repeated (`None`).
    malformed: Option<(DiscountField, Option<&'static str>)>,
}

impl<'de> RawDiscounts<'de> {
    /// The discounts, after the spec's shape rules in its order: the count
    /// (and setup), an entry that is not an object, neither or both of
    /// `coupon` / `promotion_code`, another key, a value that is not a string.
    pub(super) fn check(self, mode: Mode) -> Result<Discounts<'de>, Error> {
        crate::discount::check_count(mode, self.count)?;
        let Some(first) = self.first else {
            return Ok(Discounts::default());
        };
        if let Some(what) = first.not_object {
            return Err(Error::new(
                ErrorCode::InvalidRequest,
                "discounts[0]",
                format!("`discounts[0]` is {what}, not an object"),
            ));
        }
        crate::discount::check_entry(&first.discount)?;
        if let Some(key) = first.unknown {
            return Err(Error::new(
                ErrorCode::UnknownField,
                format!("discounts[0].{key}"),
                format!("unknown field `{key}`"),
            ));
        }
        if let Some((field, what)) = first.malformed {
            let param = format!("discounts[0].{}", field.as_str());
            let message = match what {
                Some(what) => format!("`{param}` is {what}, not a string"),
                None => format!("duplicate field `{}`", field.as_str()),
            };
            return Err(Error::new(ErrorCode::InvalidRequest, param, message));
        }
        Ok(Discounts::one(first.discount))
    }
}

pub(super) struct DiscountsSeed<'r>(pub(super) &'r mut Recorder);

impl<'de> DeserializeSeed<'de> for DiscountsSeed<'_> {
    type Value = RawDiscounts<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for DiscountsSeed<'_> {
    type Value = RawDiscounts<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of discounts")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(RawDiscounts::default())
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(RawDiscounts::default())
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        let rec = self.0;
        d.deserialize_seq(DiscountsSeed(rec))
            .map_err(|e| rec.wrong(|| "discounts".to_owned(), e))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let rec = self.0;
        let mut raw = RawDiscounts::default();
        if let Some(first) = seq
            .next_element_seed(DiscountSeed)
            .map_err(|e| rec.wrong(|| "discounts[0]".to_owned(), e))?
        {
            raw.first = Some(first);
            raw.count = 1;
        }
        // Further entries only count: more than one is refused whatever
        // they hold.
        while seq
            .next_element::<de::IgnoredAny>()
            .map_err(|e| rec.wrong(|| format!("discounts[{}]", raw.count), e))?
            .is_some()
        {
            raw.count = raw.count.saturating_add(1);
        }
        Ok(raw)
    }
}

/// The first `discounts` entry, taken as any JSON value so that its
/// problems can be kept rather than reported at once.
struct DiscountSeed;

impl<'de> DeserializeSeed<'de> for DiscountSeed {
    type Value = RawDiscount<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl DiscountSeed {
    fn not_object<'de, E>(what: &'static str) -> Result<RawDiscount<'de>, E> {
        Ok(RawDiscount {
            not_object: Some(what),
            ..RawDiscount::default()
        })
    }
}

impl<'de> Visitor<'de> for DiscountSeed {
    type Value = RawDiscount<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a discount object")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Self::not_object("a boolean")
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Self::not_object("a number")
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Self::not_object("a number")
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Self::not_object("a number")
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Self::not_object("a string")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Self::not_object("null")
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Self::not_object("null")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<de::IgnoredAny>()?.is_some() {}
        Self::not_object("an array")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut raw = RawDiscount::default();
        let mut seen = Seen::default();
        while let Some(Str(key)) = map.next_key::<Str<'de>>()? {
            let Ok(field) = key.parse::<DiscountField>() else {
                map.next_value::<de::IgnoredAny>()?;
                raw.unknown.get_or_insert(key);
                continue;
            };
            let value = map.next_value::<MaybeStr<'de>>()?;
            if !seen.first(field as usize) {
                raw.malformed.get_or_insert((field, None));
                continue;
            }
            let text = match value {
                MaybeStr::Str(text) => Some(text),
                MaybeStr::Null => None,
                MaybeStr::Other(what) => {
                    raw.malformed.get_or_insert((field, Some(what)));
                    // Present, so that "neither or both" counts it.
                    Some(Cow::Borrowed(""))
                }
            };
            match field {
                DiscountField::Coupon => raw.discount.coupon = text,
                DiscountField::PromotionCode => raw.discount.promotion_code = text,
            }
        }
        Ok(raw)
    }
}

/// Any JSON value, kept only when it is a string.
enum MaybeStr<'de> {
    Str(Cow<'de, str>),
    Null,
    Other(&'static str),
}

impl<'de> de::Deserialize<'de> for MaybeStr<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MaybeStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(MaybeStr::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(MaybeStr::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(MaybeStr::Str(Cow::Owned(v)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(MaybeStr::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(MaybeStr::Null)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(MaybeStr::Other("a boolean"))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(MaybeStr::Other("a number"))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(MaybeStr::Other("a number"))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(MaybeStr::Other("a number"))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<de::IgnoredAny>()?.is_some() {}
                Ok(MaybeStr::Other("an array"))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map
                    .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(MaybeStr::Other("an object"))
            }
        }
        d.deserialize_any(V)
    }
}
