//! Per jurisdiction and category, the components in force as a list of
//! segments between rate changes, resolved once when the table is built so
//! that a look-up is a binary search returning a slice.
//!
//! Two forms of one rule: `resolve` is the definition (per tax name, the
//! category's period in force, else the `*` period in force, ordered by
//! their line in the data), straight from the periods; `timeline` is the
//! fast form, precomputed from it on every boundary. A test holds them equal
//! on every boundary of the shipped table.

use super::{Rate, Regime};
use crate::jurisdiction::Jurisdiction;
use crate::names::named_enum;
use jiff::civil::Date;

named_enum! {
    /// Why a component, a line or a session is taxed as it is, in Stripe's
    /// vocabulary where it fits.
    #[non_exhaustive]
    "taxability reason"
    pub enum TaxabilityReason {
        /// The rate of every category (the `*` row).
        StandardRated => "standard_rated",
        /// A category's own row, at a rate below the standard one.
        ReducedRated => "reduced_rated",
        /// A rate of 0 (zero-rated or exempt).
        ZeroRated => "zero_rated",
        /// No tax: the merchant is not registered there.
        NotCollecting => "not_collecting",
        /// No tax yet: the buyer's location (or region) is needed.
        RequiresLocation => "requires_location",
        /// No tax: the table has no rows in force for the jurisdiction.
        NoTaxData => "no_tax_data",
    }
}

/// One tax component that applies to a line: a tax name with its rate.
/// The table keeps every component in one list and hands out slices of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    /// The tax's name (`GST`), interned for the process (`tax::names`).
    pub name: &'static str,
    /// The jurisdiction whose authority levies it (Canada's GST: `CA`).
    pub jurisdiction: Jurisdiction,
    /// Standard, reduced or zero rated.
    pub reason: TaxabilityReason,
    /// The rate in force.
    pub rate: Rate,
    /// The data line of the row used; components are ordered by it.
    pub line: u32,
    /// The component's index in its table, unique within the table.
    pub id: u32,
}

/// A period of one rate, as written in one row.
#[derive(Debug, Clone)]
pub(crate) struct Period {
    pub(crate) from: Option<Date>,
    pub(crate) to: Option<Date>,
    pub(crate) rate: Rate,
    pub(crate) line: u32,
    pub(crate) authority: Jurisdiction,
}

/// One tax name's periods, as written: its `*` periods and each category's.
#[derive(Debug, Clone)]
pub(crate) struct TaxRates {
    pub(crate) name: Box<str>,
    pub(crate) any: Vec<Period>,
    pub(crate) categories: Vec<(Box<str>, Vec<Period>)>,
}

/// Components in force from `from` (`None`: since ever) until the next
/// segment of the same timeline: `len` components of the table's list from
/// `start`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Segment {
    pub(crate) from: Option<Date>,
    pub(crate) start: u32,
    pub(crate) len: u32,
}

/// A jurisdiction's regime and resolved timelines: one for each category
/// that has rows of its own, and one for every other category.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) regime: Regime,
    pub(crate) any: Vec<Segment>,
    pub(crate) categories: Vec<(Box<str>, Vec<Segment>)>,
}

impl Entry {
    /// True when a `*` row of the jurisdiction is in force on `date`: rows
    /// of single categories alone cannot tax the other categories, and a
    /// general line must never be quoted 0% `calculated` for want of data.
    pub(crate) fn in_force(&self, date: Date) -> bool {
        let after = self
            .any
            .partition_point(|s| s.from.is_none_or(|f| f <= date));
        after
            .checked_sub(1)
            .and_then(|i| self.any.get(i))
            .is_some_and(|s| s.len > 0)
    }

    /// The segment of `category`'s timeline in force on `date`.
    pub(crate) fn segment(&self, category: &str, date: Date) -> Option<Segment> {
        let timeline = self
            .categories
            .iter()
            .find(|(name, _)| **name == *category)
            .map_or(&self.any, |(_, timeline)| timeline);
        let after = timeline.partition_point(|s| s.from.is_none_or(|f| f <= date));
        timeline.get(after.checked_sub(1)?).copied()
    }
}

/// The period in force on `date`, if any.
fn find_period(periods: &[Period], date: Date) -> Option<&Period> {
    // Periods are sorted by start and never overlap, so the only candidate
    // is the last one that starts on or before the date.
    let after = periods.partition_point(|p| p.from.is_none_or(|f| f <= date));
    let p = periods.get(after.checked_sub(1)?)?;
    p.to.is_none_or(|t| date < t).then_some(p)
}

/// A component picked for a line: which tax (index into the jurisdiction's
/// taxes), its rate, its row's line and authority, and whether the row is
/// the category's own (not `*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pick {
    pub(crate) tax: usize,
    pub(crate) rate: Rate,
    pub(crate) line: u32,
    pub(crate) authority: Jurisdiction,
    pub(crate) own_row: bool,
    /// The rate of the tax's `*` row in force, if any.
    pub(crate) standard: Option<Rate>,
}

impl Pick {
    /// Standard, reduced or zero rated.
    pub(crate) fn reason(&self) -> TaxabilityReason {
        if self.rate.micros() == 0 {
            TaxabilityReason::ZeroRated
        } else if self.own_row
            && self
                .standard
                .is_none_or(|s| self.rate.micros() < s.micros())
        {
            TaxabilityReason::ReducedRated
        } else {
            TaxabilityReason::StandardRated
        }
    }
}

/// The definition: the components of a line of `category` (`None`: a
/// category without rows of its own) on `date`, straight from the periods,
/// ordered by line. Written into `out`.
pub(crate) fn resolve(taxes: &[TaxRates], category: Option<&str>, date: Date, out: &mut Vec<Pick>) {
    out.clear();
    for (index, tax) in taxes.iter().enumerate() {
        let own = category.and_then(|category| {
            tax.categories
                .iter()
                .find(|(name, _)| **name == *category)
                .and_then(|(_, periods)| find_period(periods, date))
        });
        let standard = find_period(&tax.any, date);
        if let Some(p) = own.or(standard) {
            out.push(Pick {
                tax: index,
                rate: p.rate,
                line: p.line,
                authority: p.authority,
                own_row: own.is_some(),
                standard: standard.map(|s| s.rate),
            });
        }
    }
    out.sort_by_key(|pick| pick.line);
}

/// The fast form: `category`'s components as segments, one per span between
/// the jurisdiction's rate changes (merged when nothing changes), their
/// components appended to `arena`.
pub(crate) fn timeline(
    taxes: &[TaxRates],
    category: Option<&str>,
    arena: &mut Vec<Component>,
) -> Vec<Segment> {
    let mut changes: Vec<Date> = taxes
        .iter()
        .flat_map(|t| t.any.iter().chain(t.categories.iter().flat_map(|(_, p)| p)))
        .flat_map(|p| [p.from, p.to])
        .flatten()
        .collect();
    changes.sort_unstable();
    changes.dedup();
    let mut segment = |from: Option<Date>, picks: &[Pick]| {
        let start = u32::try_from(arena.len()).unwrap_or(u32::MAX);
        for pick in picks {
            if let Some(tax) = taxes.get(pick.tax) {
                let id = u32::try_from(arena.len()).unwrap_or(u32::MAX);
                arena.push(Component {
                    name: super::names::intern(&tax.name),
                    jurisdiction: pick.authority,
                    reason: pick.reason(),
                    rate: pick.rate,
                    line: pick.line,
                    id,
                });
            }
        }
        let end = u32::try_from(arena.len()).unwrap_or(u32::MAX);
        Segment {
            from,
            start,
            len: end.saturating_sub(start),
        }
    };
    let (mut previous, mut current) = (Vec::new(), Vec::new());
    resolve(taxes, category, Date::MIN, &mut previous);
    let mut segments = vec![segment(None, &previous)];
    for day in changes {
        resolve(taxes, category, day, &mut current);
        if current != previous {
            segments.push(segment(Some(day), &current));
            std::mem::swap(&mut previous, &mut current);
        }
    }
    segments
}
