//! The answer: session amounts, the tax status, and each line with its
//! tax components. Serialises to the spec's JSON.

pub(crate) mod json;

use crate::jurisdiction::Jurisdiction;
use crate::money::Currency;
use crate::request::Mode;
use crate::tax::{Rate, Regime};
use serde::{Serialize, Serializer};
use smallvec::SmallVec;

/// Whether, and why not, tax was calculated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaxStatus {
    /// Tax was calculated from the table (it may be 0 for a zero rate).
    Calculated,
    /// No `buyer_country`, or a country taxed by region without
    /// `buyer_region`: amount_tax is 0 until the location is known.
    RequiresLocation,
    /// The merchant is not registered in the buyer's jurisdiction: amount_tax 0.
    NotCollecting,
    /// The tax table has no rows for the buyer's jurisdiction: amount_tax 0.
    /// (A country that levies no tax has explicit 0% rows and is `calculated`.)
    NoTaxData,
}

impl TaxStatus {
    /// The status as it appears in the JSON (`requires_location`).
    pub fn as_str(self) -> &'static str {
        match self {
            TaxStatus::Calculated => "calculated",
            TaxStatus::RequiresLocation => "requires_location",
            TaxStatus::NotCollecting => "not_collecting",
            TaxStatus::NoTaxData => "no_tax_data",
        }
    }
}

/// A quoted session. Borrows ids and names from the request and the engine,
/// so quoting clones no catalog data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Quote<'a> {
    /// The session's mode.
    pub mode: Mode,
    /// Upper-case ISO 4217 code; `None` (JSON null) for setup sessions.
    #[serde(serialize_with = "currency_code")]
    pub currency: Option<Currency>,
    /// Sum of the line bases.
    pub amount_subtotal: i64,
    /// Sum of the line taxes.
    pub amount_tax: i64,
    /// Subtotal plus tax (exclusive) or subtotal (inclusive).
    pub amount_total: i64,
    /// Whether tax was calculated.
    pub tax_status: TaxStatus,
    /// The jurisdiction whose rates were used (`US-CA`, `DE`), or the
    /// buyer's when no rates were used.
    pub tax_jurisdiction: Option<Jurisdiction>,
    /// The regime of the rates used.
    pub tax_regime: Option<Regime>,
    /// Echoed from the request.
    pub client_reference_id: Option<&'a str>,
    /// One entry per request line, in order.
    pub line_items: Vec<QuoteLine<'a>>,
}

/// One quoted line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuoteLine<'a> {
    /// The price used (from `price_id`, or the product's default price).
    pub price_id: Option<&'a str>,
    /// The product priced, when known.
    pub product_id: Option<&'a str>,
    /// The product's tax category (`general` for ad hoc lines).
    pub tax_category: &'a str,
    /// Per unit, in minor units.
    pub unit_amount: i64,
    /// From the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
    /// From the request.
    pub quantity: i64,
    /// unit_amount x quantity.
    pub amount_subtotal: i64,
    /// Sum of the line's tax components.
    pub amount_tax: i64,
    /// Subtotal plus tax (exclusive) or subtotal (inclusive).
    pub amount_total: i64,
    /// The tax components, in the order of their rows in the data.
    pub taxes: SmallVec<[TaxAmount<'a>; 2]>,
    /// The first four fields as JSON, rendered once per catalog price.
    #[serde(skip)]
    pub(crate) json_head: Option<&'a [u8]>,
}

/// One tax component of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TaxAmount<'a> {
    /// The tax's name (`VAT`, `GST`).
    pub name: &'a str,
    /// The jurisdiction whose row it is.
    pub jurisdiction: Jurisdiction,
    /// The rate in percent, as a JSON string (`"9.975"`).
    pub rate: Rate,
    /// The amount in minor units.
    pub amount: i64,
    /// Everything before the amount as JSON, rendered once per component
    /// when the table is built.
    #[serde(skip)]
    pub(crate) json_head: &'a [u8],
}

fn currency_code<S: Serializer>(c: &Option<Currency>, s: S) -> Result<S::Ok, S::Error> {
    match c {
        Some(c) => s.serialize_str(c.code()),
        None => s.serialize_none(),
    }
}
