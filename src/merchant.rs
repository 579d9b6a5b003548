//! The merchant: Merchant of Record or Direct, where it collects tax, and
//! how it rounds.

use crate::error::Error;
use crate::jurisdiction::Jurisdiction;
use crate::names::named_enum;
use crate::rounding::{RoundingLevel, RoundingMode};
use serde::Deserialize;

named_enum! {
    /// Who is the seller of record. `mor` is accepted for
    /// `merchant_of_record` (as the CLI's `--merchant-type mor`).
    #[derive(Default)]
    #[non_exhaustive]
    "merchant type"
    pub enum MerchantType {
        /// The platform sells as Merchant of Record: only catalog prices.
        #[default]
        MerchantOfRecord => "merchant_of_record" | "mor",
        /// The merchant sells directly (PSP model): ad hoc amounts allowed.
        Direct => "direct",
    }
}

/// The merchant's settings.
///
/// ```
/// use checkout_tax::{Merchant, MerchantType, RoundingLevel};
///
/// let m = Merchant::from_json(r#"{"merchant_type": "direct",
///   "tax_registrations": ["DE", "us-ca"], "rounding_level": "document"}"#)?;
/// assert_eq!(m.merchant_type, MerchantType::Direct);
/// assert_eq!(m.rounding_level, RoundingLevel::Document);
/// assert_eq!(m.tax_registrations.unwrap()[1].as_str(), "US-CA");
/// # Ok::<(), checkout_tax::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Merchant {
    /// Merchant of Record (default) or Direct.
    pub merchant_type: MerchantType,
    /// Where tax is collected; `None` means everywhere the data covers,
    /// `Some(vec![])` nowhere. A country covers its regions.
    pub tax_registrations: Option<Vec<Jurisdiction>>,
    /// Line (default) or document rounding.
    pub rounding_level: RoundingLevel,
    /// Half up (default) or half even.
    pub rounding_mode: RoundingMode,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MerchantFile {
    #[serde(default)]
    merchant_type: MerchantType,
    #[serde(default)]
    tax_registrations: Option<Vec<String>>,
    #[serde(default)]
    rounding_level: RoundingLevel,
    #[serde(default)]
    rounding_mode: RoundingMode,
}

impl Merchant {
    /// A merchant of this type with the default settings.
    pub fn new(merchant_type: MerchantType) -> Self {
        Merchant {
            merchant_type,
            ..Merchant::default()
        }
    }

    /// Parses the merchant file's JSON (the spec's field names).
    ///
    /// # Errors
    /// [`Error::Config`] for malformed JSON, unknown fields or values, and
    /// registrations that are not ISO 3166 codes.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        let file: MerchantFile =
            serde_json::from_str(text).map_err(|e| config(format!("not a valid merchant: {e}")))?;
        let tax_registrations = file
            .tax_registrations
            .map(|codes| {
                codes
                    .iter()
                    .map(|c| {
                        Jurisdiction::parse(c).ok_or_else(|| {
                            config(format!("unknown jurisdiction `{c}` in tax_registrations"))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?;
        Ok(Merchant {
            merchant_type: file.merchant_type,
            tax_registrations,
            rounding_level: file.rounding_level,
            rounding_mode: file.rounding_mode,
        })
    }

    /// True for `tax_registrations: []`: registered nowhere.
    pub(crate) fn registered_nowhere(&self) -> bool {
        self.tax_registrations.as_ref().is_some_and(Vec::is_empty)
    }

    /// Whether tax is collected for a buyer at `location`. A registration
    /// for a country covers its regions; a buyer given only by country,
    /// where the merchant is registered in some of its regions, needs the
    /// region.
    pub(crate) fn collection_in(&self, location: Jurisdiction) -> Collection {
        let Some(registrations) = &self.tax_registrations else {
            return Collection::Collects;
        };
        let country = location.country();
        if registrations
            .iter()
            .any(|r| *r == country || *r == location)
        {
            return Collection::Collects;
        }
        let some_region_of_country = registrations
            .iter()
            .any(|r| r.is_region() && r.country() == country);
        if !location.is_region() && some_region_of_country {
            Collection::NeedsRegion
        } else {
            Collection::NotRegistered
        }
    }
}

/// Whether a merchant collects tax at a location.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Collection {
    /// Registered there (or everywhere).
    Collects,
    /// Not registered there.
    NotRegistered,
    /// Registered in some regions of the buyer's country, which was given
    /// without its region.
    NeedsRegion,
}

fn config(reason: String) -> Error {
    Error::Config {
        what: "merchant",
        reason,
    }
}
