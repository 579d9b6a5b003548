//! The fast form of the request parser: one pass over the bytes for the
//! common request (the spec's fields, strings without escapes, integers
//! that fit, at most one discount), with no serde machinery.
//!
//! It never refuses: on anything it does not handle, or anything the full
//! parser would refuse (a syntax error, an unknown or repeated field, a
//! value of the wrong type, a missing `mode`), it answers `None` and the
//! caller runs the full parser, which is the definition and gives the
//! typed error. So it only has to be right on what it accepts, and a
//! property test and a fuzz check hold it equal to the full parser there.

use super::super::{Discount, Discounts, LineItem, Mode, Presentation, SessionRequest, limits};
use crate::discount::{check_count, check_entry};
use std::borrow::Cow;

/// The request, if `text` is a request this form handles.
pub(super) fn request(text: &str) -> Option<SessionRequest<'_>> {
    let mut p = Scanner { text, at: 0 };
    let request = p.request()?;
    p.skip_ws();
    (p.at == text.len()).then_some(request)
}

/// A cursor over the input. Every token it steps over is ASCII, so `at`
/// is always on a character boundary of `text`.
struct Scanner<'de> {
    text: &'de str,
    at: usize,
}

/// The length of the string body at the start of `bytes`, up to its
/// closing quote; `None` when an escape or a control character comes first
/// or the quote never does. Eight bytes at a time: the lowest byte flagged
/// in the word is the first quote, backslash or control character (the
/// flags a borrow can add lie above a real one).
fn plain_string_len(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGH: u64 = ONES << 7;
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x;
    let mut words = bytes.chunks_exact(8);
    let mut offset = 0usize;
    for chunk in &mut words {
        let word = u64::from_le_bytes(chunk.try_into().ok()?);
        let flags = (zero_byte(word ^ (ONES * u64::from(b'"')))
            | zero_byte(word ^ (ONES * u64::from(b'\\')))
            | (word.wrapping_sub(ONES * 0x20) & !word))
            & HIGH;
        if flags != 0 {
            let at = offset.checked_add(usize::try_from(flags.trailing_zeros() / 8).ok()?)?;
            return (bytes.get(at) == Some(&b'"')).then_some(at);
        }
        offset = offset.saturating_add(8);
    }
    for (j, b) in words.remainder().iter().enumerate() {
        match b {
            b'"' => return offset.checked_add(j),
            b'\\' | 0..=0x1f => return None,
            _ => {}
        }
    }
    None
}

/// A JSON value of the kinds the request's fields hold.
enum Value<'de> {
    Null,
    Str(&'de str),
    Int(i64),
}

impl<'de> Scanner<'de> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    /// Skips JSON white space (exactly the four bytes JSON allows).
    #[inline]
    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.at = self.at.saturating_add(1);
        }
    }

    /// Skips white space, then steps over `byte` if it is next.
    #[inline]
    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() != Some(byte) {
            self.skip_ws();
            if self.peek() != Some(byte) {
                return false;
            }
        }
        self.at = self.at.saturating_add(1);
        true
    }

    /// A string without escapes or control characters, borrowed.
    fn string(&mut self) -> Option<&'de str> {
        if !self.eat(b'"') {
            return None;
        }
        let start = self.at;
        let len = plain_string_len(self.text.as_bytes().get(start..)?)?;
        let end = start.checked_add(len)?;
        self.at = end.checked_add(1)?;
        self.text.get(start..end)
    }

    /// A non-negative integer of at most 18 digits, without a fraction or
    /// an exponent (so it fits in int64 and is one in serde_json too).
    fn integer(&mut self) -> Option<i64> {
        let start = self.at;
        let digits = self
            .text
            .as_bytes()
            .get(start..)?
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let digits_text = self.text.get(start..start.checked_add(digits)?)?;
        if digits == 0 || digits > 18 || (digits > 1 && digits_text.starts_with('0')) {
            return None;
        }
        self.at = start.checked_add(digits)?;
        if matches!(self.peek(), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        digits_text.parse().ok()
    }

    /// `null`, a string or an integer.
    fn value(&mut self) -> Option<Value<'de>> {
        self.skip_ws();
        match self.peek()? {
            b'"' => self.string().map(Value::Str),
            b'0'..=b'9' => self.integer().map(Value::Int),
            b'n' => self.null().then_some(Value::Null),
            _ => None,
        }
    }

    /// Steps over `null` if it is next (after white space).
    fn null(&mut self) -> bool {
        self.skip_ws();
        let found = self
            .text
            .as_bytes()
            .get(self.at..)
            .is_some_and(|rest| rest.starts_with(b"null"));
        if found {
            self.at = self.at.saturating_add(4);
        }
        found
    }

    /// The members of an object, each handed to `member` with its key;
    /// `member` reads the value. Stops at the closing brace.
    fn object(&mut self, mut member: impl FnMut(&mut Self, &'de str) -> Option<()>) -> Option<()> {
        if !self.eat(b'{') {
            return None;
        }
        if self.eat(b'}') {
            return Some(());
        }
        loop {
            let key = self.string()?;
            if !self.eat(b':') {
                return None;
            }
            member(self, key)?;
            if self.eat(b'}') {
                return Some(());
            }
            if !self.eat(b',') {
                return None;
            }
        }
    }

    /// The elements of an array (or `null`: no elements), each read by
    /// `element`. Stops at the closing bracket.
    fn array(&mut self, mut element: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        if self.null() {
            return Some(());
        }
        if !self.eat(b'[') {
            return None;
        }
        if self.eat(b']') {
            return Some(());
        }
        loop {
            element(self)?;
            if self.eat(b']') {
                return Some(());
            }
            if !self.eat(b',') {
                return None;
            }
        }
    }

    fn text_value(&mut self) -> Option<Option<Cow<'de, str>>> {
        match self.value()? {
            Value::Null => Some(None),
            Value::Str(s) => Some(Some(Cow::Borrowed(s))),
            Value::Int(_) => None,
        }
    }

    fn int_value(&mut self) -> Option<Option<i64>> {
        match self.value()? {
            Value::Null => Some(None),
            Value::Int(v) => Some(Some(v)),
            Value::Str(_) => None,
        }
    }

    fn request(&mut self) -> Option<SessionRequest<'de>> {
        let mut request = SessionRequest::default();
        let mut mode = None;
        let mut discounts = None;
        let mut seen = 0u16;
        self.object(|p, key| {
            let bit = match key {
                "mode" => 0,
                "presentation" => 1,
                "line_items" => 2,
                "customer_email" => 3,
                "success_url" => 4,
                "cancel_url" => 5,
                "buyer_country" => 6,
                "buyer_region" => 7,
                "client_reference_id" => 8,
                "discounts" => 9,
                _ => return None,
            };
            if seen & (1 << bit) != 0 {
                return None;
            }
            seen |= 1 << bit;
            match bit {
                0 => mode = Some(p.text_value()??.parse::<Mode>().ok()?),
                1 => {
                    if let Some(text) = p.text_value()? {
                        request.presentation = text.parse::<Presentation>().ok()?;
                    }
                }
                2 => request.line_items = p.line_items()?,
                3 => request.customer_email = p.text_value()?,
                4 => request.success_url = p.text_value()?,
                5 => request.cancel_url = p.text_value()?,
                6 => request.buyer_country = p.text_value()?,
                7 => request.buyer_region = p.text_value()?,
                8 => request.client_reference_id = p.text_value()?,
                _ => discounts = p.discount()?,
            }
            Some(())
        })?;
        request.mode = mode?;
        // The same shape rules as the full parser's (`RawDiscounts::check`):
        // an entry this form takes is an object of strings and nulls under
        // the two keys, so the count and "exactly one of" are what is left.
        if let Some(discount) = discounts {
            check_count(request.mode, 1).ok()?;
            check_entry(&discount).ok()?;
            request.discounts = Discounts::one(discount);
        }
        Some(request)
    }

    fn line_items(&mut self) -> Option<Vec<LineItem<'de>>> {
        // Room for most sessions' lines at once.
        let mut lines = Vec::with_capacity(4);
        self.array(|p| {
            if lines.len() == limits::MAX_LINE_ITEMS {
                return None;
            }
            lines.push(p.line_item()?);
            Some(())
        })?;
        Some(lines)
    }

    fn line_item(&mut self) -> Option<LineItem<'de>> {
        let mut line = LineItem::default();
        let mut seen = 0u8;
        self.object(|p, key| {
            let bit = match key {
                "price_id" => 0,
                "product_id" => 1,
                "quantity" => 2,
                "ad_hoc_amount" => 3,
                "ad_hoc_currency" => 4,
                "description" => 5,
                _ => return None,
            };
            if seen & (1 << bit) != 0 {
                return None;
            }
            seen |= 1 << bit;
            match bit {
                0 => line.price_id = p.text_value()?,
                1 => line.product_id = p.text_value()?,
                2 => line.quantity = p.int_value()?,
                3 => line.ad_hoc_amount = p.int_value()?,
                4 => line.ad_hoc_currency = p.text_value()?,
                _ => line.description = p.text_value()?,
            }
            Some(())
        })?;
        Some(line)
    }

    /// The `discounts` array if it holds at most one entry of string or
    /// null fields: `Some(None)` for none.
    fn discount(&mut self) -> Option<Option<Discount<'de>>> {
        if let Some(compact) = self.compact_discount() {
            return Some(Some(compact));
        }
        let mut found: Option<Discount<'de>> = None;
        self.array(|p| {
            if found.is_some() {
                return None;
            }
            let mut discount = Discount::default();
            let mut seen = 0u8;
            p.object(|p, key| {
                let bit = match key {
                    "coupon" => 0,
                    "promotion_code" => 1,
                    _ => return None,
                };
                if seen & (1 << bit) != 0 {
                    return None;
                }
                seen |= 1 << bit;
                let text = p.text_value()?;
                match bit {
                    0 => discount.coupon = text,
                    _ => discount.promotion_code = text,
                }
                Some(())
            })?;
            found = Some(discount);
            Some(())
        })?;
        Some(found)
    }
}

impl<'de> Scanner<'de> {
    /// The common `discounts` value as clients send it, compact:
    /// `[{"promotion_code":"CODE"}]` or `[{"coupon":"ID"}]` with a plain
    /// string, matched as bytes; `None` (the cursor unmoved) for anything
    /// else, which [`Scanner::discount`] reads member by member.
    fn compact_discount(&mut self) -> Option<Discount<'de>> {
        const CODE: &[u8] = br#"[{"promotion_code":""#;
        const COUPON: &[u8] = br#"[{"coupon":""#;
        let bytes = self.text.as_bytes();
        let rest = bytes.get(self.at..)?;
        let (promotion_code, key) = if rest.starts_with(CODE) {
            (true, CODE)
        } else if rest.starts_with(COUPON) {
            (false, COUPON)
        } else {
            return None;
        };
        let start = self.at.checked_add(key.len())?;
        let end = start.checked_add(plain_string_len(bytes.get(start..)?)?)?;
        let after = end.checked_add(1)?;
        if bytes.get(after..after.checked_add(2)?)? != b"}]" {
            return None;
        }
        let text = Cow::Borrowed(self.text.get(start..end)?);
        self.at = after.checked_add(2)?;
        Some(if promotion_code {
            Discount::promotion_code(text)
        } else {
            Discount::coupon(text)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::full_request;
    use proptest::prelude::*;

    /// A JSON value of every kind the full parser tells apart, rendered.
    fn any_value() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => "[a-z_]{0,12}".prop_map(|s| format!("\"{s}\"")),
            1 => Just("\"a\\\"b\"".to_owned()),
            1 => Just("\"tab\\tbed\"".to_owned()),
            1 => Just("\"\u{e9}t\u{e9}\"".to_owned()),
            1 => Just("\"ctl\u{1}\"".to_owned()),
            2 => Just("null".to_owned()),
            3 => (0i64..1_000_000).prop_map(|n| n.to_string()),
            1 => Just("-3".to_owned()),
            1 => Just("-0".to_owned()),
            1 => Just("007".to_owned()),
            1 => Just("1.5".to_owned()),
            1 => Just("1e3".to_owned()),
            1 => Just("9223372036854775807".to_owned()),
            1 => Just("99999999999999999999".to_owned()),
            1 => Just("true".to_owned()),
            1 => Just("[]".to_owned()),
            1 => Just("{}".to_owned()),
        ]
    }

    fn ws() -> impl Strategy<Value = &'static str> {
        prop_oneof![6 => Just(""), 1 => Just(" "), 1 => Just("\n\t"), 1 => Just("\r\n ")]
    }

    /// A plain string, mostly; anything now and then.
    fn text() -> BoxedStrategy<String> {
        prop_oneof![
            8 => "[a-zA-Z0-9_.:/@-]{0,16}".prop_map(|s| format!("\"{s}\"")),
            1 => any_value(),
        ]
        .boxed()
    }

    /// An integer, mostly; anything now and then.
    fn int() -> BoxedStrategy<String> {
        prop_oneof![8 => (0i64..2_000_000).prop_map(|n| n.to_string()), 1 => any_value()].boxed()
    }

    /// An object of some of `keys` (or an unknown one) in any order, with
    /// repeats, each with a value from `value` for its key.
    fn object(
        keys: &'static [&'static str],
        value: fn(&str) -> BoxedStrategy<String>,
    ) -> BoxedStrategy<String> {
        let key = prop_oneof![
            30 => proptest::sample::select(keys),
            1 => Just("unknown"),
        ];
        let member = (key, ws()).prop_flat_map(move |(k, w)| {
            value(k).prop_map(move |v| format!("{w}\"{k}\"{w}:{w}{v}{w}"))
        });
        proptest::collection::vec(member, 0..7)
            .prop_map(|members| format!("{{{}}}", members.join(",")))
            .boxed()
    }

    fn array(element: BoxedStrategy<String>, most: usize) -> BoxedStrategy<String> {
        prop_oneof![
            12 => proptest::collection::vec(element, 0..most).prop_map(|v| format!("[{}]", v.join(","))),
            1 => Just("null".to_owned()),
            1 => Just("[1,]".to_owned()),
            1 => any_value(),
        ]
        .boxed()
    }

    const REQUEST_KEYS: &[&str] = &[
        "mode",
        "presentation",
        "line_items",
        "customer_email",
        "success_url",
        "cancel_url",
        "buyer_country",
        "buyer_region",
        "client_reference_id",
        "discounts",
    ];
    const LINE_KEYS: &[&str] = &[
        "price_id",
        "product_id",
        "quantity",
        "ad_hoc_amount",
        "ad_hoc_currency",
        "description",
    ];
    const DISCOUNT_KEYS: &[&str] = &["coupon", "promotion_code"];

    fn line_value(key: &str) -> BoxedStrategy<String> {
        match key {
            "quantity" | "ad_hoc_amount" => int(),
            _ => text(),
        }
    }

    fn request_value(key: &str) -> BoxedStrategy<String> {
        match key {
            "mode" | "presentation" => prop_oneof![
                8 => proptest::sample::select(&["\"payment\"", "\"setup\"", "\"subscription\"", "\"link\"", "\"iframe\"", "\"Payment\""][..])
                    .prop_map(str::to_owned),
                1 => any_value(),
            ]
            .boxed(),
            "line_items" => array(object(LINE_KEYS, line_value), 4),
            "discounts" => array(object(DISCOUNT_KEYS, |_| text()), 3),
            _ => text(),
        }
    }

    /// A request with `mode` first most of the time, so that many are
    /// accepted, then any members.
    fn request_text() -> BoxedStrategy<String> {
        (
            proptest::option::weighted(0.9, request_value("mode")),
            object(REQUEST_KEYS, request_value),
        )
            .prop_map(|(mode, rest)| match mode {
                Some(m) if rest == "{}" => format!("{{\"mode\":{m}}}"),
                Some(m) => format!("{{\"mode\":{m},{}", rest.get(1..).unwrap_or_default()),
                None => rest,
            })
            .boxed()
    }

    /// The compact `discounts` forms, taken as bytes, and the near misses
    /// that must go member by member (or to the full parser).
    #[test]
    fn compact_discounts_agree_with_the_full_parser() {
        let accepted = [
            r#"[{"promotion_code":"SAVE10"}]"#,
            r#"[{"coupon":"co_10"}]"#,
            r#"[{"coupon":""}]"#,
            r#"[{"coupon":"é"}]"#,
            r#"[ {"coupon":"co_10"}]"#,
            r#"[{"coupon":"co_10"} ]"#,
            r#"[{"coupon":"co_10","promotion_code":null}]"#,
        ];
        let declined = [
            r#"[{"coupon":"co_10"},{"coupon":"co_10"}]"#,
            r#"[{"coupon":"co_10","promotion_code":"X"}]"#,
            r#"[{"coupon":"co_10","coupon":"co_10"}]"#,
            r#"[{"coupon":"a"b"}]"#,
            r#"[{"coupon":"co_10"}"#,
            r#"[{"coupon":"co_10"]"#,
            r#"[{"coupon":5}]"#,
        ];
        for (discounts, fast_takes_it) in accepted
            .iter()
            .map(|d| (d, true))
            .chain(declined.iter().map(|d| (d, false)))
        {
            for mode in ["payment", "setup"] {
                let text = format!(r#"{{"mode":"{mode}","discounts":{discounts}}}"#);
                let fast = super::request(&text);
                assert_eq!(fast.is_some(), fast_takes_it && mode == "payment", "{text}");
                if let Some(fast) = fast {
                    assert_eq!(full_request(&text).ok(), Some(fast), "{text}");
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// What the fast form accepts, the full parser accepts as the same
        /// request; what it declines goes to the full parser anyway.
        #[test]
        fn agrees_with_the_full_parser(
            text in request_text(),
            lead in ws(),
            trail in prop_oneof![4 => Just(""), 1 => Just(" \n"), 1 => Just(" x"), 1 => Just("{}")],
        ) {
            let text = format!("{lead}{text}{trail}");
            if let Some(fast) = super::request(&text) {
                prop_assert_eq!(full_request(&text).ok(), Some(fast), "{}", text);
            }
        }

        /// And it does accept the common request, so the fast path is taken.
        #[test]
        fn handles_the_common_request(
            lines in proptest::collection::vec(("[a-z_]{1,20}", 1i64..999_999), 1..6),
            country in "[A-Z]{2}",
            coupon in proptest::option::of("[A-Z0-9]{1,10}"),
        ) {
            let items: Vec<String> = lines
                .iter()
                .map(|(id, q)| format!(r#"{{"price_id":"{id}","quantity":{q}}}"#))
                .collect();
            let discounts = coupon.map_or(String::new(), |c| format!(r#","discounts":[{{"promotion_code":"{c}"}}]"#));
            let text = format!(
                r#"{{"mode":"payment","line_items":[{}],"buyer_country":"{country}","success_url":"https://shop.example/ok"{discounts}}}"#,
                items.join(",")
            );
            let fast = super::request(&text);
            prop_assert!(fast.is_some(), "{}", text);
            prop_assert_eq!(full_request(&text).ok(), fast);
        }
    }
}
