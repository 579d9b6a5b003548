//! Coupons and promotion codes: their file form, what the engine derives
//! from each at load (the amount off, the eligible products, the folded
//! code), and the catalog's look-ups of them.

use super::{Catalog, catalog_error, default_true};
use crate::error::Error;
use crate::money::{Currency, parse_currency};
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

/// A coupon: a percentage or a fixed amount off the session's eligible
/// lines (all of them, or those of the products in `applies_to`).
///
/// Unknown fields are refused at load: a misspelt `applies_to` would
/// otherwise widen a coupon to every line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coupon {
    /// The id a request names in `discounts[0].coupon`.
    pub id: String,
    /// Shown at checkout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Percent off, an exact decimal in `0 < p <= 100` (a JSON number or a
    /// string: `12.5`, `"12.5"`), never a float.
    #[serde(
        default,
        deserialize_with = "percent::deserialize",
        serialize_with = "percent::serialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub percent_off: Option<Decimal>,
    /// A fixed amount off, in minor units of `currency` (> 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_off: Option<i64>,
    /// ISO 4217 code of `amount_off` (required with it, refused without it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Limits the coupon to some products' lines; absent means every line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applies_to: Option<AppliesTo>,
    /// Inactive coupons cannot be redeemed.
    #[serde(default = "default_true")]
    pub active: bool,
}

/// What a coupon is limited to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppliesTo {
    /// Products of the catalog whose lines are eligible.
    pub products: Vec<String>,
}

/// A code a buyer types, standing for a coupon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromotionCode {
    /// The code (`SUMMER`), matched case-insensitively.
    pub code: String,
    /// The id of the coupon it redeems.
    pub coupon: String,
    /// Inactive codes cannot be redeemed.
    #[serde(default = "default_true")]
    pub active: bool,
}

impl Coupon {
    /// An active percent-off coupon for every line.
    pub fn percent(id: impl Into<String>, percent_off: Decimal) -> Self {
        Coupon {
            id: id.into(),
            name: None,
            percent_off: Some(percent_off),
            amount_off: None,
            currency: None,
            applies_to: None,
            active: true,
        }
    }

    /// An active amount-off coupon for every line.
    pub fn amount(id: impl Into<String>, amount_off: i64, currency: impl Into<String>) -> Self {
        Coupon {
            percent_off: None,
            amount_off: Some(amount_off),
            currency: Some(currency.into()),
            ..Coupon::percent(id, Decimal::ZERO)
        }
    }
}

/// `percent_off` as exact decimal text: the JSON number's own digits (via
/// serde_json's raw value), so `12.5` never passes through a float.
mod percent {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error as _};
    use serde_json::value::RawValue;

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Decimal>, D::Error> {
        let Some(raw) = Option::<Box<RawValue>>::deserialize(d)? else {
            return Ok(None);
        };
        let text = raw.get();
        let digits: String = if text.starts_with('"') {
            serde_json::from_str(text).map_err(D::Error::custom)?
        } else {
            text.to_owned()
        };
        // Exact: text with more digits than a Decimal holds is refused, not
        // rounded.
        let parsed = if digits.contains(['e', 'E']) {
            Decimal::from_scientific(&digits)
        } else {
            Decimal::from_str_exact(&digits)
        };
        parsed
            .map(Some)
            .map_err(|_| D::Error::custom(format!("`{text}` is not a decimal number")))
    }

    pub(super) fn serialize<S: Serializer>(p: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match p {
            Some(p) => RawValue::from_string(p.normalize().to_string())
                .map_err(serde::ser::Error::custom)?
                .serialize(s),
            None => s.serialize_none(),
        }
    }
}

/// A coupon with what the engine derives from it once, at catalog load.
#[derive(Debug, Clone)]
pub(crate) struct CatalogCoupon {
    pub(crate) coupon: Coupon,
    pub(crate) off: Off,
    /// The eligible products' ids, sorted; `None` for every line.
    pub(crate) products: Option<Vec<Box<str>>>,
}

/// A promotion code found by [`Catalog::find_code`], with its coupon.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FoundCode<'a> {
    pub(crate) promo_index: usize,
    pub(crate) promo: &'a PromotionCode,
    pub(crate) coupon: &'a CatalogCoupon,
}

/// How much a coupon takes off, ready for exact arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Off {
    /// `num / den` of the eligible sum (`percent_off / 100` as a fraction).
    Fraction {
        /// The percentage's digits.
        num: u128,
        /// `100 x 10^scale`.
        den: u128,
    },
    /// A fixed amount in a currency.
    Amount {
        /// In minor units, > 0.
        amount: i64,
        /// The amount's currency.
        currency: Currency,
    },
}

impl CatalogCoupon {
    /// Whether a line of this product is eligible.
    pub(crate) fn covers(&self, product: Option<&str>) -> bool {
        match &self.products {
            None => true,
            Some(ids) => product.is_some_and(|p| ids.binary_search_by(|id| (**id).cmp(p)).is_ok()),
        }
    }
}

/// Most decimals of a coupon's `percent_off`: enough for any real coupon,
/// and few enough that the eligible sum times the percentage's digits
/// always fits in 128 bits (9.2e18 x 1e19), so the discount is exact.
pub const MAX_PERCENT_DECIMALS: u32 = 17;

/// Promotion codes are matched case-insensitively (Unicode lower case).
pub(crate) fn fold_code(code: &str) -> String {
    code.to_lowercase()
}

/// A code of at most [`PackedCode::MAX`] ASCII bytes in ASCII lower case,
/// packed into words with its length: two codes pack equal exactly when
/// they are equal but for ASCII case, so a map keyed by it needs no
/// folded copy of the request's code (nor a check of one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct PackedCode {
    words: [u64; 4],
    len: u8,
}

impl PackedCode {
    /// The longest code packed; longer ones take the definition's index.
    const MAX: usize = 32;

    /// `None` for a code that is not ASCII or longer than [`Self::MAX`].
    fn new(code: &[u8]) -> Option<Self> {
        const HIGH: u64 = 0x8080_8080_8080_8080;
        if code.len() > Self::MAX {
            return None;
        }
        let mut packed = PackedCode {
            words: [0; 4],
            len: u8::try_from(code.len()).ok()?,
        };
        for (word, chunk) in packed.words.iter_mut().zip(code.chunks(8)) {
            // Big-endian, so that a short last chunk packs as a full one
            // would with leading zeros; the length tells them apart.
            let raw = match <[u8; 8]>::try_from(chunk) {
                Ok(bytes) => u64::from_be_bytes(bytes),
                Err(_) => chunk.iter().fold(0u64, |w, b| (w << 8) | u64::from(*b)),
            };
            if raw & HIGH != 0 {
                return None;
            }
            // With every byte below 0x80 no sum carries into the next
            // byte: a byte's top bit is set in `raw + 0x3f` from `A` up,
            // and in `raw + 0x25` past `Z`.
            let upper = raw.wrapping_add(0x3f3f_3f3f_3f3f_3f3f)
                & !raw.wrapping_add(0x2525_2525_2525_2525)
                & HIGH;
            *word = raw | (upper >> 2);
        }
        Some(packed)
    }
}

impl Catalog {
    /// The same catalog with coupons and promotion codes, checked as a
    /// whole: each coupon has exactly one of `percent_off` (an exact
    /// decimal, 0 < p <= 100, at most [`MAX_PERCENT_DECIMALS`] decimals) or
    /// `amount_off` (> 0, with an ISO 4217 `currency`), and an `applies_to`
    /// that names products of the catalog; each promotion code names a
    /// coupon of the catalog; coupon ids are unique, and codes are unique
    /// case-insensitively. Any coupons given before are replaced.
    ///
    /// ```
    /// use checkout_tax::{Catalog, Coupon, PromotionCode};
    /// use rust_decimal::Decimal;
    ///
    /// let catalog = Catalog::default().with_discounts(
    ///     vec![Coupon::percent("co_summer", Decimal::new(125, 1))],
    ///     vec![PromotionCode { code: "SUMMER".into(), coupon: "co_summer".into(), active: true }],
    /// )?;
    /// assert_eq!(catalog.promotion_code("summer").unwrap().coupon, "co_summer");
    /// let bad = Catalog::default().with_discounts(vec![Coupon::percent("co_x", Decimal::ZERO)], vec![]);
    /// assert_eq!(bad.unwrap_err().param(), Some("coupons[0].percent_off"));
    /// # Ok::<(), checkout_tax::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Catalog`] naming the first bad entry (`coupons[2].percent_off`,
    /// `promotion_codes[0].coupon`).
    pub fn with_discounts(
        mut self,
        coupons: Vec<Coupon>,
        promotion_codes: Vec<PromotionCode>,
    ) -> Result<Self, Error> {
        let mut coupon_index = FxHashMap::default();
        let mut checked = Vec::with_capacity(coupons.len());
        for (i, coupon) in coupons.into_iter().enumerate() {
            if coupon_index
                .insert(coupon.id.clone().into_boxed_str(), i)
                .is_some()
            {
                return Err(catalog_error(
                    format!("coupons[{i}].id"),
                    format!("duplicate coupon id `{}`", coupon.id),
                ));
            }
            checked.push(self.check_coupon(i, coupon)?);
        }
        let mut code_index = FxHashMap::default();
        for (i, promo) in promotion_codes.iter().enumerate() {
            let coupon = coupon_index
                .get(promo.coupon.as_str())
                .copied()
                .ok_or_else(|| {
                    catalog_error(
                        format!("promotion_codes[{i}].coupon"),
                        format!("coupon `{}` is not in the catalog", promo.coupon),
                    )
                })?;
            if promo.code.is_empty() {
                return Err(catalog_error(
                    format!("promotion_codes[{i}].code"),
                    "a promotion code cannot be empty",
                ));
            }
            if let Some((first, _)) =
                code_index.insert(fold_code(&promo.code).into_boxed_str(), (i, coupon))
            {
                return Err(catalog_error(
                    format!("promotion_codes[{i}].code"),
                    format!(
                        "code `{}` is already promotion_codes[{first}] (codes are case-insensitive)",
                        promo.code
                    ),
                ));
            }
        }
        let ascii_code_index = promotion_codes
            .iter()
            .filter_map(|promo| {
                let packed = PackedCode::new(promo.code.as_bytes())?;
                Some((packed, *code_index.get(fold_code(&promo.code).as_str())?))
            })
            .collect();
        self.coupons = checked;
        self.coupon_index = coupon_index;
        self.promotion_codes = promotion_codes;
        self.code_index = code_index;
        self.ascii_code_index = ascii_code_index;
        Ok(self)
    }

    fn check_coupon(&self, i: usize, coupon: Coupon) -> Result<CatalogCoupon, Error> {
        let at = |field: &str| format!("coupons[{i}].{field}");
        let off = match (coupon.percent_off, coupon.amount_off) {
            (Some(p), None) => {
                let p = p.normalize();
                let bad = |why: &str| catalog_error(at("percent_off"), format!("`{p}` {why}"));
                if p <= Decimal::ZERO || p > Decimal::ONE_HUNDRED {
                    return Err(bad("is outside 0 < percent_off <= 100"));
                }
                if p.scale() > MAX_PERCENT_DECIMALS {
                    return Err(bad(&format!(
                        "has more than {MAX_PERCENT_DECIMALS} decimals"
                    )));
                }
                if coupon.currency.is_some() {
                    return Err(catalog_error(
                        at("currency"),
                        "`currency` goes only with `amount_off`",
                    ));
                }
                let num = u128::try_from(p.mantissa()).map_err(|_| bad("is not positive"))?;
                let den = 10u128
                    .checked_pow(p.scale())
                    .and_then(|s| s.checked_mul(100))
                    .ok_or_else(|| bad("has too many decimals"))?;
                Off::Fraction { num, den }
            }
            (None, Some(amount)) => {
                if amount <= 0 {
                    return Err(catalog_error(
                        at("amount_off"),
                        format!("`{amount}` is not a positive amount of minor units"),
                    ));
                }
                let Some(code) = coupon.currency.as_deref() else {
                    return Err(catalog_error(
                        at("currency"),
                        "`currency` is required with `amount_off`",
                    ));
                };
                let currency = parse_currency(code).ok_or_else(|| {
                    catalog_error(
                        at("currency"),
                        format!("`{code}` is not an ISO 4217 currency with a minor unit"),
                    )
                })?;
                Off::Amount { amount, currency }
            }
            _ => {
                return Err(catalog_error(
                    format!("coupons[{i}]"),
                    "a coupon needs exactly one of `percent_off` or `amount_off`",
                ));
            }
        };
        let products = match &coupon.applies_to {
            None => None,
            Some(applies) => {
                if applies.products.is_empty() {
                    return Err(catalog_error(
                        at("applies_to.products"),
                        "names no product, so the coupon could never apply",
                    ));
                }
                for (j, id) in applies.products.iter().enumerate() {
                    if self.product(id).is_none() {
                        return Err(catalog_error(
                            format!("coupons[{i}].applies_to.products[{j}]"),
                            format!("product `{id}` is not in the catalog"),
                        ));
                    }
                }
                let mut ids: Vec<Box<str>> = applies
                    .products
                    .iter()
                    .map(|p| p.clone().into_boxed_str())
                    .collect();
                ids.sort_unstable();
                ids.dedup();
                Some(ids)
            }
        };
        Ok(CatalogCoupon {
            coupon,
            off,
            products,
        })
    }

    /// The coupon with this id.
    pub fn coupon(&self, id: &str) -> Option<&Coupon> {
        self.catalog_coupon(id).map(|c| &c.coupon)
    }

    pub(crate) fn catalog_coupon(&self, id: &str) -> Option<&CatalogCoupon> {
        self.coupon_entry(id).map(|(_, c)| c)
    }

    /// The coupon with this id and its index in the catalog.
    pub(crate) fn coupon_entry(&self, id: &str) -> Option<(usize, &CatalogCoupon)> {
        let index = *self.coupon_index.get(id)?;
        Some((index, self.coupons.get(index)?))
    }

    /// How many coupons and promotion codes the catalog has.
    pub(crate) fn discount_counts(&self) -> (usize, usize) {
        (self.coupons.len(), self.promotion_codes.len())
    }

    /// The promotion code matching `code` case-insensitively.
    pub fn promotion_code(&self, code: &str) -> Option<&PromotionCode> {
        self.find_code(code).map(|found| found.promo)
    }

    /// The promotion code matching `code` and its coupon, with their
    /// indices in the catalog.
    pub(crate) fn find_code(&self, code: &str) -> Option<FoundCode<'_>> {
        // A short ASCII code through the packed index: for ASCII text,
        // Unicode lower case is ASCII's, so a catalog code equal to it but
        // for ASCII case is the definition's match. Anything else (a miss,
        // which a catalog code of other text folding to ASCII, such as the
        // Kelvin sign's `k`, may still match; a long or non-ASCII code)
        // takes the definition's index.
        let fast = PackedCode::new(code.as_bytes())
            .and_then(|packed| self.ascii_code_index.get(&packed))
            .and_then(|entry| self.code_at(*entry));
        match fast {
            Some(found) => Some(found),
            None => self.find_code_by_folding(code),
        }
    }

    /// [`Catalog::find_code`]'s definition: the code's Unicode lower case
    /// looked up among the codes'.
    fn find_code_by_folding(&self, code: &str) -> Option<FoundCode<'_>> {
        self.code_at(*self.code_index.get(fold_code(code).as_str())?)
    }

    fn code_at(&self, (promo_index, coupon_index): (usize, usize)) -> Option<FoundCode<'_>> {
        Some(FoundCode {
            promo_index,
            promo: self.promotion_codes.get(promo_index)?,
            coupon: self.coupons.get(coupon_index)?,
        })
    }

    /// Every coupon, in the order given.
    pub fn coupons(&self) -> impl Iterator<Item = &Coupon> {
        self.coupons.iter().map(|c| &c.coupon)
    }

    /// Every promotion code, in the order given.
    pub fn promotion_codes(&self) -> &[PromotionCode] {
        &self.promotion_codes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use proptest::prelude::*;

    /// A code: mostly short ASCII of either case, now and then with text
    /// whose Unicode lower case is ASCII (the Kelvin sign `K` -> `k`) or is
    /// not (`İ`, `ß`, `é`), or longer than a packed code.
    fn code() -> impl Strategy<Value = String> {
        prop_oneof![
            8 => "[a-cA-C0-9_]{1,10}",
            2 => "[a-cA-C\u{212A}kK\u{130}i\u{df}\u{e9}]{1,6}",
            1 => "[a-cA-C]{30,40}",
        ]
    }

    /// A request's spelling of one of `codes`: each letter's ASCII case
    /// flipped or not.
    fn respelt(codes: Vec<String>) -> impl Strategy<Value = String> {
        (proptest::sample::select(codes), any::<u64>()).prop_map(|(code, flips)| {
            code.chars()
                .enumerate()
                .map(|(i, c)| {
                    if flips >> (i % 64) & 1 == 1 && c.is_ascii() {
                        if c.is_ascii_lowercase() {
                            c.to_ascii_uppercase()
                        } else {
                            c.to_ascii_lowercase()
                        }
                    } else {
                        c
                    }
                })
                .collect()
        })
    }

    fn catalog_and_queries() -> impl Strategy<Value = (Catalog, Vec<String>)> {
        proptest::collection::vec(code(), 1..8)
            .prop_filter_map("codes equal but for case", |codes| {
                let promos = codes
                    .iter()
                    .map(|c| PromotionCode {
                        code: c.clone(),
                        coupon: "co".into(),
                        active: true,
                    })
                    .collect();
                let catalog = Catalog::default()
                    .with_discounts(vec![Coupon::percent("co", Decimal::TEN)], promos)
                    .ok()?;
                Some((catalog, codes))
            })
            .prop_flat_map(|(catalog, codes)| {
                let queries =
                    proptest::collection::vec(prop_oneof![3 => respelt(codes), 1 => code()], 1..8);
                (Just(catalog), queries)
            })
    }

    proptest! {
        /// The packed ASCII index finds what the definition (the code's
        /// Unicode lower case among the codes') finds, for any code.
        #[test]
        fn find_code_agrees_with_unicode_lower_case((catalog, queries) in catalog_and_queries()) {
            for query in &queries {
                let fast = catalog.find_code(query).map(|f| f.promo_index);
                let defined = catalog.find_code_by_folding(query).map(|f| f.promo_index);
                prop_assert_eq!(fast, defined, "{}", query);
            }
        }
    }

    #[test]
    fn packing_folds_every_ascii_byte_at_every_place_as_ascii_lower_case_does() {
        for len in 1..=9 {
            for at in 0..len {
                for a in 0u8..0x80 {
                    let mut x = vec![b'q'; len];
                    x[at] = a;
                    let mut lower = x.clone();
                    lower.make_ascii_lowercase();
                    assert_eq!(PackedCode::new(&x), PackedCode::new(&lower), "{x:?}");
                    for b in 0u8..0x80 {
                        let mut y = x.clone();
                        y[at] = b;
                        assert_eq!(
                            PackedCode::new(&x) == PackedCode::new(&y),
                            a.eq_ignore_ascii_case(&b),
                            "{a} {b} at {at} of {len}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn packed_codes_are_equal_exactly_when_equal_but_for_ascii_case() {
        let p = |s: &str| PackedCode::new(s.as_bytes());
        assert_eq!(p("SAVE10"), p("save10"));
        assert_eq!(p("Az@[`{"), p("aZ@[`{"));
        assert_ne!(p("@"), p("`"));
        assert_ne!(p("[ab"), p("{ab"));
        assert_ne!(p("ab"), p("ab\0"));
        assert_ne!(p("abcdefgh"), p("abcdefgh\0"));
        assert_eq!(p("é"), None);
        assert_eq!(p(&"a".repeat(33)), None);
        assert!(p(&"a".repeat(32)).is_some());
    }
}
