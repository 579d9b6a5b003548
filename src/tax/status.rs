//! The tax status decision: from the buyer's location, the merchant's
//! registrations and the table, whether tax is calculated and with which
//! jurisdiction's rates. A pure function, so that new reasons not to tax
//! (reverse charge, exemptions) have one place to go.

use super::table::{JurisdictionRates, RateTable, TaxLookup};
use super::timeline::TaxabilityReason;
use super::{Regime, TaxStatus};
use crate::jurisdiction::Jurisdiction;
use crate::merchant::{Collection, Merchant};
use jiff::civil::Date;

/// What the decision says: the status, the rates to use (only when
/// `calculated`) and the jurisdiction to report.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TaxDecision<'t> {
    pub(crate) status: TaxStatus,
    pub(crate) rates: Option<JurisdictionRates<'t>>,
    /// The jurisdiction whose rates are used, else the buyer's.
    pub(crate) jurisdiction: Option<Jurisdiction>,
}

impl TaxDecision<'_> {
    /// Why a line of this session has no components, when tax was not
    /// calculated.
    pub(crate) fn reason(&self) -> Option<TaxabilityReason> {
        match self.status {
            TaxStatus::NotCollecting => Some(TaxabilityReason::NotCollecting),
            TaxStatus::RequiresLocation => Some(TaxabilityReason::RequiresLocation),
            TaxStatus::NoTaxData => Some(TaxabilityReason::NoTaxData),
            _ => None,
        }
    }

    /// The regime of the rates used; exclusive (nothing inside the price)
    /// when no rates are used.
    pub(crate) fn regime(&self) -> Regime {
        self.rates.map_or(Regime::Exclusive, |r| r.regime())
    }
}

/// Decides the tax status of a session with a buyer at `location` (`None`
/// when no country was given) on `date`.
pub(crate) fn decide<'t>(
    location: Option<Jurisdiction>,
    merchant: &Merchant,
    table: &'t RateTable,
    date: Date,
) -> TaxDecision<'t> {
    let without = |status| TaxDecision {
        status,
        rates: None,
        jurisdiction: location,
    };
    if merchant.registered_nowhere() {
        return without(TaxStatus::NotCollecting);
    }
    let Some(location) = location else {
        return without(TaxStatus::RequiresLocation);
    };
    match merchant.collection_in(location) {
        Collection::Collects => {}
        Collection::NotRegistered => return without(TaxStatus::NotCollecting),
        Collection::NeedsRegion => return without(TaxStatus::RequiresLocation),
    }
    match table.lookup(location) {
        // Rows exist, but none is in force that day: no data, not 0%.
        TaxLookup::Found(rates) if !rates.in_force(date) => TaxDecision {
            status: TaxStatus::NoTaxData,
            rates: None,
            jurisdiction: Some(rates.jurisdiction()),
        },
        TaxLookup::Found(rates) => TaxDecision {
            status: TaxStatus::Calculated,
            rates: Some(rates),
            jurisdiction: Some(rates.jurisdiction()),
        },
        TaxLookup::NeedsRegion => without(TaxStatus::RequiresLocation),
        TaxLookup::NoData => without(TaxStatus::NoTaxData),
    }
}
