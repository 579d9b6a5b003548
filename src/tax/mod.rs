//! Tax data and tax computation: the data's rows ([`rows`]), the rate
//! table ([`table`]) and its timelines ([`timeline`]), the shipped table
//! ([`embedded`]), the tax status decision (`status`), the arithmetic
//! that turns priced lines into taxed lines (`compute`), and the interned
//! tax names (`names`).

pub(crate) mod compute;
pub mod embedded;
pub(crate) mod names;
pub mod rows;
pub(crate) mod status;
pub mod table;
pub mod timeline;

use crate::names::named_enum;
use rust_decimal::Decimal;
use std::fmt;

pub use rows::RateRow;
pub use table::{JurisdictionRates, RateTable, TaxLookup};
pub use timeline::{Component, TaxabilityReason};

named_enum! {
    /// Whether, and why not, tax was calculated.
    #[non_exhaustive]
    "tax status"
    pub enum TaxStatus {
        /// Tax was calculated from the table (it may be 0 for a zero rate).
        Calculated => "calculated",
        /// No `buyer_country`, or a country taxed by region without
        /// `buyer_region`: amount_tax is 0 until the location is known.
        RequiresLocation => "requires_location",
        /// The merchant is not registered in the buyer's jurisdiction: amount_tax 0.
        NotCollecting => "not_collecting",
        /// The tax table has no rows for the buyer's jurisdiction: amount_tax 0.
        /// (A country that levies no tax has explicit 0% rows and is `calculated`.)
        NoTaxData => "no_tax_data",
    }
}

named_enum! {
    /// How tax relates to the price in a jurisdiction.
    #[non_exhaustive]
    "regime"
    pub enum Regime {
        /// The price contains the tax (EU VAT): total = subtotal.
        Inclusive => "inclusive",
        /// Tax is added on top of the price (US sales tax): total = subtotal + tax.
        Exclusive => "exclusive",
    }
}

/// A tax rate in percent, exact: `19`, `25.5`, `9.975`.
///
/// Kept as an integer count of millionths of a percent, so the arithmetic
/// is exact integer arithmetic, and as its text, so printing formats
/// nothing. Small and `Copy`: it travels inside every quoted component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rate {
    micros: u64,
    // The percentage as text (`9.975`), rendered once so that printing a
    // quote formats no decimals. At most "100.000000".
    text: [u8; Rate::TEXT_CAPACITY],
    text_len: u8,
}

impl Rate {
    /// Most decimals a rate may have (millionths of a percent).
    pub const MAX_DECIMALS: u32 = 6;
    const TEXT_CAPACITY: usize = 12;
    /// One whole (100%) in the units of [`Rate::micros`].
    pub(crate) const ONE: u128 = 100_000_000;

    /// A rate from a percentage in `0..=100` with at most six decimals.
    ///
    /// ```
    /// use checkout_tax::tax::Rate;
    /// use rust_decimal::Decimal;
    ///
    /// let qst = Rate::from_percent(Decimal::new(9975, 3)).unwrap();
    /// assert_eq!(qst.to_string(), "9.975");
    /// assert!(Rate::from_percent(Decimal::new(-1, 0)).is_none());
    /// assert!(Rate::from_percent(Decimal::new(101, 0)).is_none());
    /// ```
    pub fn from_percent(percent: Decimal) -> Option<Self> {
        if percent.is_sign_negative() && !percent.is_zero() || percent > Decimal::ONE_HUNDRED {
            return None;
        }
        let normal = percent.normalize();
        if normal.scale() > Self::MAX_DECIMALS {
            return None;
        }
        let micros = normal.checked_mul(Decimal::from(1_000_000u32))?;
        let micros = u64::try_from(micros.trunc().mantissa()).ok()?;
        let rendered = normal.to_string();
        let mut text = [0u8; Self::TEXT_CAPACITY];
        text.get_mut(..rendered.len())?
            .copy_from_slice(rendered.as_bytes());
        Some(Rate {
            micros,
            text,
            text_len: u8::try_from(rendered.len()).ok()?,
        })
    }

    /// The text's bytes, for writers that need no `&str` (no UTF-8 check).
    pub(crate) fn text_bytes(&self) -> &[u8] {
        self.text
            .get(..usize::from(self.text_len))
            .unwrap_or_default()
    }

    /// The percentage as text, as in the data (`19`, `9.975`).
    pub fn as_str(&self) -> &str {
        let bytes = self
            .text
            .get(..usize::from(self.text_len))
            .unwrap_or_default();
        // Only the ASCII rendering of a decimal is ever stored.
        std::str::from_utf8(bytes).unwrap_or_default()
    }

    /// The percentage, as written (normalised: `19`, not `19.00`).
    pub fn percent(&self) -> Decimal {
        Decimal::from_i128_with_scale(i128::from(self.micros), 6).normalize()
    }

    /// The rate in millionths of a percent (`19` -> 19 000 000).
    pub fn micros(&self) -> u64 {
        self.micros
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl serde::Serialize for Rate {
    /// A string, so that no JSON reader turns `9.975` into a float.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}
