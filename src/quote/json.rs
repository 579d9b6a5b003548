//! A direct JSON writer for [`Quote`]: the same bytes as
//! `serde_json::to_writer(quote)` (a test holds them equal), several times
//! faster, since `batch` prints a quote per session and printing dominated
//! its profile.

use super::{Quote, QuoteLine};
use crate::jurisdiction::Jurisdiction;
use crate::tax::Rate;

impl Quote<'_> {
    /// Appends the quote's compact JSON to `out`: byte for byte what
    /// `serde_json::to_writer` writes for it.
    ///
    /// ```
    /// # use checkout_tax::{Engine, LineItem, Merchant, MerchantType, Mode, SessionRequest};
    /// let engine = Engine::builder().merchant(Merchant::new(MerchantType::Direct)).build()?;
    /// let request = SessionRequest::new(Mode::Payment, vec![LineItem::ad_hoc(500, "eur", 1)]);
    /// let quote = engine.quote(&request, checkout_tax::parse_date("2025-06-01").unwrap())?;
    /// let mut fast = Vec::new();
    /// quote.write_json(&mut fast);
    /// assert_eq!(fast, serde_json::to_vec(&quote).unwrap());
    /// # Ok::<(), checkout_tax::Error>(())
    /// ```
    pub fn write_json(&self, out: &mut Vec<u8>) {
        // About 330 bytes a line plus the session's fields: one reservation
        // instead of growth along the way.
        out.reserve(
            self.line_items
                .len()
                .saturating_mul(384)
                .saturating_add(320),
        );
        out.extend_from_slice(b"{\"mode\":\"");
        out.extend_from_slice(self.mode.as_str().as_bytes());
        out.extend_from_slice(b"\",\"currency\":");
        match self.currency {
            Some(c) => string(out, c.code()),
            None => out.extend_from_slice(b"null"),
        }
        int_field(out, b",\"amount_subtotal\":", self.amount_subtotal);
        int_field(out, b",\"amount_tax\":", self.amount_tax);
        int_field(out, b",\"amount_total\":", self.amount_total);
        out.extend_from_slice(b",\"tax_status\":\"");
        out.extend_from_slice(self.tax_status.as_str().as_bytes());
        out.extend_from_slice(b"\",\"tax_jurisdiction\":");
        match &self.tax_jurisdiction {
            Some(j) => {
                out.push(b'"');
                out.extend_from_slice(j.as_bytes());
                out.push(b'"');
            }
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"tax_regime\":");
        opt_string(out, self.tax_regime.map(|r| r.as_str()));
        out.extend_from_slice(b",\"client_reference_id\":");
        opt_string(out, self.client_reference_id);
        out.extend_from_slice(b",\"line_items\":[");
        for (i, line) in self.line_items.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            line.write_json(out);
        }
        out.extend_from_slice(b"]}");
    }
}

impl QuoteLine<'_> {
    fn write_json(&self, out: &mut Vec<u8>) {
        match self.json_head {
            Some(head) => out.extend_from_slice(head),
            None => line_head(
                out,
                self.price_id,
                self.product_id,
                self.tax_category,
                self.unit_amount,
            ),
        }
        if let Some(d) = self.description {
            out.extend_from_slice(b",\"description\":");
            string(out, d);
        }
        int_field(out, b",\"quantity\":", self.quantity);
        int_field(out, b",\"amount_subtotal\":", self.amount_subtotal);
        int_field(out, b",\"amount_tax\":", self.amount_tax);
        int_field(out, b",\"amount_total\":", self.amount_total);
        out.extend_from_slice(b",\"taxes\":[");
        for (i, tax) in self.taxes.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            if tax.json_head.is_empty() {
                tax_head(out, tax.name, tax.jurisdiction, tax.rate);
            } else {
                out.extend_from_slice(tax.json_head);
            }
            out.extend_from_slice(itoa::Buffer::new().format(tax.amount).as_bytes());
            out.push(b'}');
        }
        out.extend_from_slice(b"]}");
    }
}

/// A quote line's JSON up to and including its `unit_amount`: the part a
/// catalog price determines, rendered once per price at catalog load.
pub(crate) fn line_head(
    out: &mut Vec<u8>,
    price_id: Option<&str>,
    product_id: Option<&str>,
    tax_category: &str,
    unit_amount: i64,
) {
    out.extend_from_slice(b"{\"price_id\":");
    opt_string(out, price_id);
    out.extend_from_slice(b",\"product_id\":");
    opt_string(out, product_id);
    out.extend_from_slice(b",\"tax_category\":");
    string(out, tax_category);
    int_field(out, b",\"unit_amount\":", unit_amount);
}

/// A tax component's JSON up to its amount: the part a table row
/// determines, rendered once per component when the table is built.
pub(crate) fn tax_head(out: &mut Vec<u8>, name: &str, jurisdiction: Jurisdiction, rate: Rate) {
    out.extend_from_slice(b"{\"name\":");
    string(out, name);
    out.extend_from_slice(b",\"jurisdiction\":\"");
    out.extend_from_slice(jurisdiction.as_bytes());
    out.extend_from_slice(b"\",\"rate\":\"");
    out.extend_from_slice(rate.text_bytes());
    out.extend_from_slice(b"\",\"amount\":");
}

fn int_field(out: &mut Vec<u8>, key: &[u8], value: i64) {
    out.extend_from_slice(key);
    out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
}

fn opt_string(out: &mut Vec<u8>, value: Option<&str>) {
    match value {
        Some(s) => string(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

/// A JSON string: copied as is when nothing needs escaping (the common
/// case), else escaped exactly as serde_json does.
fn string(out: &mut Vec<u8>, s: &str) {
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
    use super::needs_escaping;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn word_check_agrees_with_the_byte_check(bytes in prop::collection::vec(any::<u8>(), 0..40)) {
            let simple = bytes.iter().any(|b| *b < 0x20 || *b == b'"' || *b == b'\\');
            prop_assert_eq!(needs_escaping(&bytes), simple);
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
}
