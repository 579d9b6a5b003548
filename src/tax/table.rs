//! The rate table: rows checked as a whole and indexed for look-up by
//! jurisdiction, category and date.

use super::Regime;
use super::rows::{ANY_CATEGORY, RateRow, TableFile, data_error, parse_csv};
use super::timeline::{Component, Entry, Period, TaxRates, timeline};
use crate::error::Error;
use crate::jurisdiction::Jurisdiction;
use jiff::civil::Date;
use rustc_hash::{FxHashMap, FxHashSet};

/// What the table says about a buyer's location.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum TaxLookup<'t> {
    /// Rates for this jurisdiction (the region's own, or its country's).
    Found(JurisdictionRates<'t>),
    /// The country's tax depends on the region and none was given.
    NeedsRegion,
    /// The table has no rows for this location.
    NoData,
}

/// The rates of one jurisdiction, borrowed from the table.
#[derive(Debug, Clone, Copy)]
pub struct JurisdictionRates<'t> {
    jurisdiction: Jurisdiction,
    entry: &'t Entry,
    components: &'t [Component],
}

impl<'t> JurisdictionRates<'t> {
    /// The jurisdiction whose rows these are (`US-CA`, or `DE`).
    pub fn jurisdiction(&self) -> Jurisdiction {
        self.jurisdiction
    }

    /// The jurisdiction's regime.
    pub fn regime(&self) -> Regime {
        self.entry.regime
    }

    /// True when a `*` row of the jurisdiction is in force on `date`.
    pub fn in_force(&self, date: Date) -> bool {
        self.entry.in_force(date)
    }

    /// The components for a line of `category` on `date`: per tax name the
    /// category's row if one is in force, else the `*` row in force, ordered
    /// by their line in the data. Resolved when the table is built, so this
    /// is a search on the date and allocates nothing.
    pub fn components(&self, category: &str, date: Date) -> &'t [Component] {
        self.entry
            .segment(category, date)
            .and_then(|s| {
                let start = usize::try_from(s.start).ok()?;
                let end = start.checked_add(usize::try_from(s.len).ok()?)?;
                self.components.get(start..end)
            })
            .unwrap_or_default()
    }
}

/// A validated, indexed tax table.
///
/// Build it once (the shipped table with [`RateTable::embedded`], a user's
/// file with [`RateTable::from_csv`]) and share it: look-ups do not allocate.
///
/// ```
/// use checkout_tax::{Jurisdiction, RateTable};
/// use checkout_tax::tax::TaxLookup;
///
/// let csv = "jurisdiction,regime,tax_name,category,rate,valid_from,valid_to,source\n\
///            CA-QC,exclusive,GST,*,5,2008-01-01,,https://example.org/gst\n\
///            CA-QC,exclusive,QST,*,9.975,2013-01-01,,https://example.org/qst\n";
/// let table = RateTable::from_csv(csv)?;
/// let qc = Jurisdiction::parse("CA-QC").unwrap();
/// let TaxLookup::Found(rates) = table.lookup(qc) else { panic!() };
/// let date = "2025-06-01".parse()?;
/// let parts: Vec<String> = rates
///     .components("general", date)
///     .iter()
///     .map(|c| format!("{} {}", c.name, c.rate))
///     .collect();
/// assert_eq!(parts, ["GST 5", "QST 9.975"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct RateTable {
    rows: Vec<RateRow>,
    index: FxHashMap<Jurisdiction, Entry>,
    /// Every resolved component of every timeline; segments are ranges of it.
    components: Vec<Component>,
    countries_with_regions: FxHashSet<Jurisdiction>,
    /// Every category named by a row (not `*`), sorted.
    categories: Vec<Box<str>>,
    covered_from: Option<Date>,
    version: Box<str>,
}

impl RateTable {
    /// Parses and validates a table in the spec's CSV format.
    ///
    /// # Errors
    /// [`Error::TaxData`] with the line number for the first bad row: a bad
    /// header, column count, jurisdiction, regime, rate, date or missing
    /// source; two regimes for one jurisdiction; overlapping validity for one
    /// jurisdiction, tax and category. Nothing is half-loaded.
    pub fn from_csv(text: &str) -> Result<Self, Error> {
        Self::from_file(parse_csv(text)?)
    }

    /// Builds a table from rows already parsed (their `line` is used in
    /// error messages and to order components).
    ///
    /// # Errors
    /// As [`RateTable::from_csv`], for the checks across rows.
    pub fn from_rows(rows: Vec<RateRow>) -> Result<Self, Error> {
        Self::from_file(TableFile {
            rows,
            covered_from: None,
        })
    }

    /// Builds a table from a parsed file: its rows and its first covered
    /// date.
    ///
    /// # Errors
    /// As [`RateTable::from_csv`], for the checks across rows.
    pub fn from_file(file: TableFile) -> Result<Self, Error> {
        let TableFile { rows, covered_from } = file;
        let mut regimes: FxHashMap<Jurisdiction, (Regime, usize)> = FxHashMap::default();
        for row in &rows {
            match regimes.get(&row.jurisdiction) {
                Some((regime, line)) if *regime != row.regime => {
                    return Err(data_error(
                        row.line,
                        format!(
                            "jurisdiction `{}` is {} on line {line} but {} here: one regime per jurisdiction",
                            row.jurisdiction,
                            regime.as_str(),
                            row.regime.as_str()
                        ),
                    ));
                }
                Some(_) => {}
                None => {
                    regimes.insert(row.jurisdiction, (row.regime, row.line));
                }
            }
        }

        let mut periods_by_jurisdiction: FxHashMap<Jurisdiction, Vec<TaxRates>> =
            FxHashMap::default();
        let mut countries_with_regions = FxHashSet::default();
        for row in &rows {
            if row.jurisdiction.is_region() {
                countries_with_regions.insert(row.jurisdiction.country());
            }
            let taxes = periods_by_jurisdiction.entry(row.jurisdiction).or_default();
            let tax = match taxes.iter().position(|t| *t.name == *row.tax_name) {
                Some(i) => taxes.get_mut(i),
                None => {
                    taxes.push(TaxRates {
                        name: row.tax_name.clone().into_boxed_str(),
                        any: Vec::new(),
                        categories: Vec::new(),
                    });
                    taxes.last_mut()
                }
            };
            let Some(tax) = tax else { continue };
            let periods = if row.category == ANY_CATEGORY {
                &mut tax.any
            } else {
                match tax
                    .categories
                    .iter()
                    .position(|(c, _)| **c == *row.category)
                {
                    Some(i) => match tax.categories.get_mut(i) {
                        Some((_, p)) => p,
                        None => continue,
                    },
                    None => {
                        tax.categories
                            .push((row.category.clone().into_boxed_str(), Vec::new()));
                        match tax.categories.last_mut() {
                            Some((_, p)) => p,
                            None => continue,
                        }
                    }
                }
            };
            periods.push(Period {
                from: row.valid_from,
                to: row.valid_to,
                rate: row.rate,
                line: u32::try_from(row.line).unwrap_or(u32::MAX),
                authority: row.authority,
            });
        }

        let mut index: FxHashMap<Jurisdiction, Entry> = FxHashMap::default();
        let mut components = Vec::new();
        // In a fixed order, so that component ids do not depend on hashing.
        let mut periods_by_jurisdiction: Vec<_> = periods_by_jurisdiction.into_iter().collect();
        periods_by_jurisdiction.sort_unstable_by_key(|(j, _)| *j);
        for (jurisdiction, mut taxes) in periods_by_jurisdiction {
            for tax in &mut taxes {
                sort_and_check(&mut tax.any)?;
                for (_, periods) in &mut tax.categories {
                    sort_and_check(periods)?;
                }
            }
            let mut categories: Vec<&str> = taxes
                .iter()
                .flat_map(|t| t.categories.iter().map(|(c, _)| &**c))
                .collect();
            categories.sort_unstable();
            categories.dedup();
            let entry = Entry {
                regime: regimes
                    .get(&jurisdiction)
                    .map_or(Regime::Exclusive, |(regime, _)| *regime),
                any: timeline(&taxes, None, &mut components),
                categories: categories
                    .iter()
                    .map(|c| {
                        (
                            Box::<str>::from(*c),
                            timeline(&taxes, Some(c), &mut components),
                        )
                    })
                    .collect(),
            };
            index.insert(jurisdiction, entry);
        }

        components.shrink_to_fit();
        let mut categories: Vec<Box<str>> = rows
            .iter()
            .filter(|r| r.category != ANY_CATEGORY)
            .map(|r| Box::from(r.category.as_str()))
            .collect();
        categories.sort_unstable();
        categories.dedup();
        let version = version(&rows, covered_from);
        Ok(RateTable {
            rows,
            index,
            components,
            countries_with_regions,
            categories,
            covered_from,
            version,
        })
    }

    /// The table shipped with the crate (`data/tax_rates.csv`), parsed once
    /// per process on first use.
    ///
    /// # Errors
    /// Only if the shipped file were malformed, which the crate's data test
    /// rules out.
    pub fn embedded() -> Result<&'static RateTable, Error> {
        super::embedded::table()
    }

    /// What the table says about a location: the region's own rows if it has
    /// any, else its country's; a country with region rows anywhere in the
    /// table needs the region.
    pub fn lookup(&self, location: Jurisdiction) -> TaxLookup<'_> {
        let country = location.country();
        if location.is_region() {
            if let Some(entry) = self.index.get(&location) {
                return TaxLookup::Found(JurisdictionRates {
                    jurisdiction: location,
                    entry,
                    components: &self.components,
                });
            }
        } else if self.countries_with_regions.contains(&country) {
            return TaxLookup::NeedsRegion;
        }
        match self.index.get(&country) {
            Some(entry) => TaxLookup::Found(JurisdictionRates {
                jurisdiction: country,
                entry,
                components: &self.components,
            }),
            None => TaxLookup::NoData,
        }
    }

    /// True when some row of the table is for a region of `country`.
    pub fn has_regions(&self, country: Jurisdiction) -> bool {
        self.countries_with_regions.contains(&country.country())
    }

    /// The first date the table covers, when it states one: earlier dates
    /// are refused (`date_not_covered`).
    pub fn covered_from(&self) -> Option<Date> {
        self.covered_from
    }

    /// The table's version: a hash of its content (`xxh3:` and 16 hex
    /// digits), the same for the same rows whatever the file's layout.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Every category a row names (not `*`), sorted.
    pub fn categories(&self) -> impl Iterator<Item = &str> {
        self.categories.iter().map(|c| &**c)
    }

    /// True when a row names `category`.
    pub fn names_category(&self, category: &str) -> bool {
        self.categories
            .binary_search_by(|c| (**c).cmp(category))
            .is_ok()
    }

    /// Every component of every timeline, in id order.
    pub fn components(&self) -> impl Iterator<Item = &Component> {
        self.components.iter()
    }

    /// Every row, in file order.
    pub fn rows(&self) -> &[RateRow] {
        &self.rows
    }

    /// The rows in force on `date`, in file order.
    pub fn rows_at(&self, date: Date) -> impl Iterator<Item = &RateRow> {
        self.rows.iter().filter(move |r| r.in_force(date))
    }
}

/// A hash of the rows' content and the covered date: stable across runs and
/// platforms (xxh3), blind to comments, blank lines and line ends.
fn version(rows: &[RateRow], covered_from: Option<Date>) -> Box<str> {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    if let Some(date) = covered_from {
        hasher.update(date.to_string().as_bytes());
    }
    for r in rows {
        for field in [
            r.jurisdiction.as_str(),
            r.regime.as_str(),
            &r.tax_name,
            &r.category,
            r.rate.as_str(),
            &r.valid_from.map(|d| d.to_string()).unwrap_or_default(),
            &r.valid_to.map(|d| d.to_string()).unwrap_or_default(),
            &r.source,
            r.authority.as_str(),
        ] {
            hasher.update(field.as_bytes());
            hasher.update(&[0x1f]);
        }
        hasher.update(b"\n");
    }
    format!("xxh3:{:016x}", hasher.digest()).into_boxed_str()
}

fn sort_and_check(periods: &mut [Period]) -> Result<(), Error> {
    // `None` (open start) sorts first, as it should.
    periods.sort_by_key(|p| p.from);
    for pair in periods.windows(2) {
        if let [a, b] = pair {
            let overlaps =
                a.to.is_none_or(|end| b.from.is_none_or(|start| start < end));
            if overlaps {
                let (first, second) = (a.line.min(b.line), a.line.max(b.line));
                return Err(data_error(
                    second as usize,
                    format!(
                        "validity overlaps the row on line {first} for the same jurisdiction, tax and category"
                    ),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "jurisdiction,regime,tax_name,category,rate,valid_from,valid_to,source\n";

    fn table(body: &str) -> Result<RateTable, Error> {
        RateTable::from_csv(&format!("{HEAD}{body}"))
    }

    fn line_of(e: Error) -> usize {
        match e {
            Error::TaxData { line, .. } => line,
            other => panic!("not a data error: {other}"),
        }
    }

    #[test]
    fn bad_rows_are_refused_with_their_line() {
        let ok = "DE,inclusive,VAT,*,19,,,https://x\n";
        for bad in [
            "DE,inclusive,VAT,*,-1,,,https://x",
            "DE,inclusive,VAT,*,abc,,,https://x",
            "DE,inclusive,VAT,*,19.1234567,,,https://x",
            "DE,inclusive,VAT,*,101,,,https://x",
            "DE,sideways,VAT,*,19,,,https://x",
            "DE,inclusive,VAT,*,19,2024-13-01,,https://x",
            "DE,inclusive,VAT,*,19,2024-01-01,2023-01-01,https://x",
            "DE,inclusive,VAT,*,19,,,",
            "QQ,inclusive,VAT,*,19,,,https://x",
            "DE,inclusive,VAT,*,19,,https://x",
            "DE,exclusive,VAT,ebooks,7,,,https://x",
            "DE,inclusive,VAT,*,7,2020-01-01,,https://x",
        ] {
            let err = table(&format!("{ok}{bad}\n")).unwrap_err();
            assert_eq!(line_of(err), 3, "{bad}");
        }
    }

    #[test]
    fn adjacent_periods_do_not_overlap() {
        let t = table(
            "FI,inclusive,VAT,*,24,,2024-09-01,https://x\n\
             FI,inclusive,VAT,*,25.5,2024-09-01,,https://x\n",
        )
        .unwrap();
        let fi = Jurisdiction::parse("FI").unwrap();
        let TaxLookup::Found(r) = t.lookup(fi) else {
            panic!()
        };
        let rate = |d: &str| {
            r.components("general", d.parse().unwrap())[0]
                .rate
                .to_string()
        };
        assert_eq!(rate("2024-08-31"), "24");
        assert_eq!(rate("2024-09-01"), "25.5");
    }

    #[test]
    fn region_rules() {
        let t = table(
            "US-CA,exclusive,Sales tax,*,7.25,,,https://x\n\
             CA,exclusive,GST,*,5,,,https://x\n\
             CA-QC,exclusive,GST,*,5,,,https://x\n",
        )
        .unwrap();
        let j = |s| Jurisdiction::parse(s).unwrap();
        assert!(matches!(t.lookup(j("US")), TaxLookup::NeedsRegion));
        assert!(matches!(t.lookup(j("US-NY")), TaxLookup::NoData));
        assert!(matches!(t.lookup(j("CA")), TaxLookup::NeedsRegion));
        match t.lookup(j("CA-ON")) {
            TaxLookup::Found(r) => assert_eq!(r.jurisdiction().as_str(), "CA"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(t.lookup(j("FR")), TaxLookup::NoData));
    }
}
