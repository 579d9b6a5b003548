//! The JSON parser for [`SessionRequest`].
//!
//! serde's own errors are strings, so the visitors record the typed error
//! (code and path) in a [`Recorder`] before failing; the innermost error is
//! the one reported. Strings are borrowed from the input when they have no
//! escapes, and field names are matched without allocating.

use super::{Discount, Discounts, LineItem, Mode, Presentation, SessionRequest, limits};
use crate::error::{Error, ErrorCode};
use crate::names::named_enum;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

mod fast;

pub(super) fn session_request(json: &str) -> Result<SessionRequest<'_>, Error> {
    check_size(json.len())?;
    text_request(json)
}

/// As [`session_request`] from bytes. One UTF-8 check over the whole input
/// then the `&str` parser is faster than checking string by string.
pub(super) fn session_request_bytes(json: &[u8]) -> Result<SessionRequest<'_>, Error> {
    check_size(json.len())?;
    let text = std::str::from_utf8(json).map_err(|e| {
        Error::without_param(
            ErrorCode::InvalidRequest,
            format!("the request is not valid UTF-8 (byte {})", e.valid_up_to()),
        )
    })?;
    text_request(text)
}

/// The fast form when it handles the text, else the full parser (the
/// definition, which also names the error).
fn text_request(text: &str) -> Result<SessionRequest<'_>, Error> {
    match fast::request(text) {
        Some(request) => Ok(request),
        None => full_request(text),
    }
}

/// The full parser: serde_json with the visitors below.
pub(crate) fn full_request(text: &str) -> Result<SessionRequest<'_>, Error> {
    check_size(text.len())?;
    parse(serde_json::Deserializer::from_str(text))
}

/// A request from any deserializer: the typed error, if one was recorded,
/// becomes the deserializer's error with the same message and path.
pub(super) fn deserialize<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<SessionRequest<'de>, D::Error> {
    let mut recorder = Recorder(None);
    let parsed = RequestSeed(&mut recorder).deserialize(d);
    match (parsed, recorder.0) {
        (Ok(request), _) => Ok(request),
        (Err(_), Some(recorded)) => Err(de::Error::custom(format!(
            "{}: {recorded}",
            recorded.code()
        ))),
        (Err(e), None) => Err(e),
    }
}

fn check_size(len: usize) -> Result<(), Error> {
    if len > limits::MAX_REQUEST_BYTES {
        return Err(Error::without_param(
            ErrorCode::LimitExceeded,
            format!(
                "the request is {len} bytes; the limit is {} bytes",
                limits::MAX_REQUEST_BYTES
            ),
        ));
    }
    Ok(())
}

fn parse<'de, R: serde_json::de::Read<'de>>(
    mut de: serde_json::Deserializer<R>,
) -> Result<SessionRequest<'de>, Error> {
    let mut recorder = Recorder(None);
    let parsed = RequestSeed(&mut recorder)
        .deserialize(&mut de)
        .and_then(|r| de.end().map(|()| r));
    match (parsed, recorder.0) {
        (Ok(request), _) => Ok(request),
        (Err(_), Some(recorded)) => Err(recorded),
        (Err(e), None) => Err(Error::without_param(
            ErrorCode::InvalidRequest,
            format!("the request is not valid JSON: {e}"),
        )),
    }
}

/// Holds the first (innermost) typed error found while parsing.
struct Recorder(Option<Error>);

impl Recorder {
    fn fail<E: de::Error>(&mut self, code: ErrorCode, param: String, message: String) -> E {
        self.fail_with(Error::new(code, param, message))
    }

    /// Records an error found after the fact (a rule on several fields).
    fn fail_with<E: de::Error>(&mut self, error: Error) -> E {
        let e = E::custom(error.message());
        if self.0.is_none() {
            self.0 = Some(error);
        }
        e
    }

    /// Records a serde error about `param` (wrong type, bad syntax inside).
    fn wrong<E: de::Error>(&mut self, param: impl FnOnce() -> String, e: E) -> E {
        if self.0.is_none() {
            let param = param();
            let message = format!("`{param}` is malformed: {e}");
            self.0 = Some(Error::new(ErrorCode::InvalidRequest, param, message));
        }
        e
    }
}

/// A string that borrows from the input when it can.
struct Str<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Str<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// A JSON number: an int64, or something else (fraction, out of range).
enum Number {
    Int(i64),
    NotInt(String),
}

impl<'de> de::Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Number;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Number, E> {
                Ok(Number::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Number, E> {
                Ok(i64::try_from(v).map_or_else(|_| Number::NotInt(v.to_string()), Number::Int))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Number, E> {
                Ok(Number::NotInt(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

struct RequestSeed<'r>(&'r mut Recorder);

named_enum! {
    /// The fields of a create-session request.
    "request field"
    pub enum RequestField {
        /// `mode`.
        Mode => "mode",
        /// `presentation`.
        Presentation => "presentation",
        /// `line_items`.
        LineItems => "line_items",
        /// `customer_email`.
        CustomerEmail => "customer_email",
        /// `success_url`.
        SuccessUrl => "success_url",
        /// `cancel_url`.
        CancelUrl => "cancel_url",
        /// `buyer_country`.
        BuyerCountry => "buyer_country",
        /// `buyer_region`.
        BuyerRegion => "buyer_region",
        /// `client_reference_id`.
        ClientReferenceId => "client_reference_id",
        /// `discounts`.
        Discounts => "discounts",
    }
}

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

/// Which fields of an object were seen, to refuse duplicates.
#[derive(Default)]
struct Seen(u32);

impl Seen {
    /// Marks `bit`; false when it was already marked.
    fn first(&mut self, bit: usize) -> bool {
        let mask = 1u32
            .checked_shl(u32::try_from(bit).unwrap_or(u32::MAX))
            .unwrap_or(0);
        let fresh = self.0 & mask == 0;
        self.0 |= mask;
        fresh
    }
}

impl<'de> DeserializeSeed<'de> for RequestSeed<'_> {
    type Value = SessionRequest<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RequestSeed<'_> {
    type Value = SessionRequest<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a create-session request object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let rec = self.0;
        let mut request = SessionRequest::default();
        let mut mode = None;
        let mut discounts = RawDiscounts::default();
        let mut seen = Seen::default();
        while let Some(Str(key)) = map.next_key::<Str<'de>>()? {
            let Ok(field) = key.parse::<RequestField>() else {
                return Err(rec.fail(
                    ErrorCode::UnknownField,
                    key.to_string(),
                    format!("unknown field `{key}`"),
                ));
            };
            if !seen.first(field as usize) {
                return Err(rec.fail(
                    ErrorCode::InvalidRequest,
                    key.to_string(),
                    format!("duplicate field `{key}`"),
                ));
            }
            if field == RequestField::LineItems {
                request.line_items = map.next_value_seed(LineItemsSeed(rec))?;
                continue;
            }
            if field == RequestField::Discounts {
                discounts = map.next_value_seed(DiscountsSeed(rec))?;
                continue;
            }
            let name = field.as_str();
            let value = map
                .next_value::<Option<Str<'de>>>()
                .map_err(|e| rec.wrong(|| name.to_owned(), e))?
                .map(|s| s.0);
            match field {
                RequestField::Mode => {
                    let Some(text) = value else { continue };
                    mode = Some(text.parse::<Mode>().map_err(|e| {
                        rec.fail::<A::Error>(ErrorCode::InvalidMode, "mode".into(), e.to_string())
                    })?);
                }
                RequestField::Presentation => {
                    let Some(text) = value else { continue };
                    request.presentation = text.parse::<Presentation>().map_err(|e| {
                        rec.fail::<A::Error>(
                            ErrorCode::InvalidPresentation,
                            "presentation".into(),
                            e.to_string(),
                        )
                    })?;
                }
                RequestField::LineItems | RequestField::Discounts => {}
                RequestField::CustomerEmail => request.customer_email = value,
                RequestField::SuccessUrl => request.success_url = value,
                RequestField::CancelUrl => request.cancel_url = value,
                RequestField::BuyerCountry => request.buyer_country = value,
                RequestField::BuyerRegion => request.buyer_region = value,
                RequestField::ClientReferenceId => request.client_reference_id = value,
            }
        }
        request.mode = mode.ok_or_else(|| {
            rec.fail::<A::Error>(
                ErrorCode::InvalidMode,
                "mode".into(),
                "`mode` is required (`payment`, `subscription` or `setup`)".into(),
            )
        })?;
        request.discounts = discounts
            .check(request.mode)
            .map_err(|e| rec.fail_with::<A::Error>(e))?;
        Ok(request)
    }
}

/// The `discounts` array as parsed: how many entries, and the first one
/// with the problems found inside it kept for later, since the spec ranks
/// the array's length (and a setup session's discount, whose mode may come
/// later in the object) above any problem inside an entry.
#[derive(Default)]
struct RawDiscounts<'de> {
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
    fn check(self, mode: Mode) -> Result<Discounts<'de>, Error> {
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

struct DiscountsSeed<'r>(&'r mut Recorder);

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

struct LineItemsSeed<'r>(&'r mut Recorder);

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

#[cfg(test)]
mod tests {
    use super::*;

    fn code(json: &str) -> (&'static str, Option<String>) {
        let e = session_request(json).unwrap_err();
        (e.code().as_str(), e.param().map(str::to_owned))
    }

    #[test]
    fn borrows_plain_strings() {
        let r =
            session_request(r#"{"mode":"payment","line_items":[{"price_id":"p","quantity":1}]}"#)
                .unwrap();
        assert!(matches!(r.line_items[0].price_id, Some(Cow::Borrowed("p"))));
    }

    #[test]
    fn names_the_offending_field() {
        assert_eq!(
            code(r#"{"mode":"payment","line_items":[{"price_id":"p","quantitiy":1}]}"#),
            ("unknown_field", Some("line_items[0].quantitiy".into()))
        );
        assert_eq!(
            code(r#"{"mode":"Payment"}"#),
            ("invalid_mode", Some("mode".into()))
        );
        assert_eq!(
            code(r#"{"line_items":[]}"#),
            ("invalid_mode", Some("mode".into()))
        );
        assert_eq!(
            code(r#"{"mode":"payment","line_items":[{"quantity":"1"}]}"#),
            ("invalid_request", Some("line_items[0].quantity".into()))
        );
        assert_eq!(
            code(r#"{"mode":"payment","line_items":[{"quantity":1.5}]}"#),
            ("invalid_quantity", Some("line_items[0].quantity".into()))
        );
        assert_eq!(
            code(r#"{"mode":"payment","line_items":[{"ad_hoc_amount":9223372036854775808}]}"#),
            ("invalid_amount", Some("line_items[0].ad_hoc_amount".into()))
        );
        assert_eq!(
            code(r#"{"mode":"payment","mode":"setup"}"#),
            ("invalid_request", Some("mode".into()))
        );
        assert_eq!(
            code(r#"{"mode":"payment","line_items":{}}"#).0,
            "invalid_request"
        );
        assert_eq!(code(r#"{"mode":"payment"} x"#), ("invalid_request", None));
        assert_eq!(code("[1]"), ("invalid_request", None));
    }
}
