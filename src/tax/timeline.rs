//! Per jurisdiction and category, the components in force as a list of
//! segments between rate changes, resolved once when the table is built so
//! that a look-up is a binary search returning a slice.
//!
//! Two forms of one rule: [`resolve`] is the definition (per tax name, the
//! category's period in force, else the `*` period in force, ordered by
//! their line in the data), straight from the periods; [`timeline`] is the
//! fast form, precomputed from it on every boundary. A test holds them equal
//! on every boundary of the shipped table.

use super::{Rate, Regime};
use crate::jurisdiction::Jurisdiction;
use jiff::civil::Date;

/// One tax component that applies to a line: a tax name with its rate.
/// The table keeps every component in one list and hands out slices of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    /// The tax's name (`GST`).
    pub name: Box<str>,
    /// The jurisdiction whose row it is.
    pub jurisdiction: Jurisdiction,
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
/// taxes), its rate and its row's line.
pub(crate) type Pick = (usize, Rate, u32);

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
        if let Some(p) = own.or_else(|| find_period(&tax.any, date)) {
            out.push((index, p.rate, p.line));
        }
    }
    out.sort_by_key(|pick| pick.2);
}

/// The fast form: `category`'s components as segments, one per span between
/// the jurisdiction's rate changes (merged when nothing changes), their
/// components appended to `arena`.
pub(crate) fn timeline(
    jurisdiction: Jurisdiction,
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
        for (index, rate, line) in picks {
            if let Some(tax) = taxes.get(*index) {
                let id = u32::try_from(arena.len()).unwrap_or(u32::MAX);
                arena.push(Component {
                    name: tax.name.clone(),
                    jurisdiction,
                    rate: *rate,
                    line: *line,
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
