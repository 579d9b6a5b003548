//! The JSON parser for [`SessionRequest`].
//!
//! serde's own errors are strings, so the visitors record the typed error
//! (code and path) in a [`Recorder`] before failing; the innermost error is
//! the one reported. Strings are borrowed from the input when they have no
//! escapes, and field names are matched without allocating.
//!
//! The request's own members are read here, `line_items` and `discounts` in
//! the modules of those names; `fast` is the one-pass form of the common
//! request, which hands anything else to this parser.

use super::{Mode, Presentation, SessionRequest, limits};
use crate::error::{Error, ErrorCode};
use crate::names::named_enum;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

mod discounts;
mod fast;
mod line_items;

use discounts::{DiscountsSeed, RawDiscounts};
use line_items::LineItemsSeed;

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
