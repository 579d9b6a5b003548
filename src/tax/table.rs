//! The rate table: parsed from the spec's CSV format, validated as a whole,
//! and indexed for look-up by jurisdiction, category and date.

use super::{Rate, Regime};
use crate::error::Error;
use crate::jurisdiction::Jurisdiction;
use jiff::civil::Date;
use rust_decimal::Decimal;
use rustc_hash::{FxHashMap, FxHashSet};
use std::str::FromStr;

/// The columns of the CSV file, in order.
pub const HEADER: [&str; 8] = [
    "jurisdiction",
    "regime",
    "tax_name",
    "category",
    "rate",
    "valid_from",
    "valid_to",
    "source",
];

/// The category that every line falls back to for a tax name.
pub const ANY_CATEGORY: &str = "*";

/// One row of the tax data, as written in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateRow {
    /// 1-based line number in the file (the header is line 1).
    pub line: usize,
    /// `DE` or `US-CA`.
    pub jurisdiction: Jurisdiction,
    /// Inclusive or exclusive.
    pub regime: Regime,
    /// The tax's name (`VAT`, `GST`, `Sales tax`).
    pub tax_name: String,
    /// `*` or one product category.
    pub category: String,
    /// The rate in percent.
    pub rate: Rate,
    /// First day in force; `None` is open.
    pub valid_from: Option<Date>,
    /// First day no longer in force; `None` is open.
    pub valid_to: Option<Date>,
    /// Where the figure comes from.
    pub source: String,
}

impl RateRow {
    /// True when the row is in force on `date` (`valid_from` inclusive,
    /// `valid_to` exclusive).
    pub fn in_force(&self, date: Date) -> bool {
        in_force(self.valid_from, self.valid_to, date)
    }
}

fn in_force(from: Option<Date>, to: Option<Date>, date: Date) -> bool {
    from.is_none_or(|f| f <= date) && to.is_none_or(|t| date < t)
}

/// One tax component that applies to a line: a tax name with its rate.
/// The table keeps each jurisdiction's resolved components and hands out
/// slices of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    /// The tax's name (`GST`).
    pub name: Box<str>,
    /// The rate in force.
    pub rate: Rate,
    /// The data line of the row used; components are ordered by it.
    pub line: u32,
    /// The quote's JSON for this component up to its amount, rendered once.
    pub(crate) json_head: Box<[u8]>,
}

/// What the table says about a buyer's location.
#[derive(Debug, Clone, Copy)]
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

    /// The components for a line of `category` on `date`: per tax name the
    /// category's row if one is in force, else the `*` row in force, ordered
    /// by their line in the data. Resolved when the table is built, so this
    /// is a search on the date and allocates nothing.
    pub fn components(&self, category: &str, date: Date) -> &'t [Component] {
        let timeline = self
            .entry
            .categories
            .iter()
            .find(|(name, _)| **name == *category)
            .map_or(&self.entry.any, |(_, timeline)| timeline);
        let after = timeline.partition_point(|s| s.from.is_none_or(|f| f <= date));
        after
            .checked_sub(1)
            .and_then(|i| timeline.get(i))
            .map_or(&[], |segment| &segment.components)
    }
}

fn find_period(periods: &[Period], date: Date) -> Option<&Period> {
    // Periods are sorted by start and never overlap, so the only candidate
    // is the last one that starts on or before the date.
    let after = periods.partition_point(|p| p.from.is_none_or(|f| f <= date));
    let p = periods.get(after.checked_sub(1)?)?;
    p.to.is_none_or(|t| date < t).then_some(p)
}

/// A component picked for a line: which tax (index into the jurisdiction's
/// taxes), its rate and its row's line.
type Pick = (usize, Rate, u32);

/// The components of a line of `category` (`None`: a category without rows
/// of its own) on `date`, straight from the periods: the definition that
/// [`timeline`] precomputes. Written into `out`, ordered by line.
fn resolve(taxes: &[TaxRates], category: Option<&str>, date: Date, out: &mut Vec<Pick>) {
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

/// The components of `category` as a list of segments, each in force from
/// its start until the next one's: one segment per span between the
/// jurisdiction's rate changes (merged when nothing changes).
fn timeline(
    jurisdiction: Jurisdiction,
    taxes: &[TaxRates],
    category: Option<&str>,
) -> Vec<Segment> {
    let mut changes: Vec<Date> = taxes
        .iter()
        .flat_map(|t| t.any.iter().chain(t.categories.iter().flat_map(|(_, p)| p)))
        .flat_map(|p| [p.from, p.to])
        .flatten()
        .collect();
    changes.sort_unstable();
    changes.dedup();
    let segment = |from: Option<Date>, picks: &[Pick]| Segment {
        from,
        components: picks
            .iter()
            .filter_map(|(index, rate, line)| {
                taxes.get(*index).map(|tax| {
                    let mut json_head = Vec::new();
                    crate::quote::json::tax_head(&mut json_head, &tax.name, jurisdiction, *rate);
                    Component {
                        name: tax.name.clone(),
                        rate: *rate,
                        line: *line,
                        json_head: json_head.into_boxed_slice(),
                    }
                })
            })
            .collect(),
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

/// Components in force from `from` (`None`: since ever) until the next
/// segment of the same timeline.
#[derive(Debug, Clone)]
struct Segment {
    from: Option<Date>,
    components: Box<[Component]>,
}

#[derive(Debug, Clone)]
struct Period {
    from: Option<Date>,
    to: Option<Date>,
    rate: Rate,
    line: u32,
}

/// One tax name's periods, as written: the input to [`timeline`].
#[derive(Debug, Clone)]
struct TaxRates {
    name: Box<str>,
    any: Vec<Period>,
    categories: Vec<(Box<str>, Vec<Period>)>,
}

/// A jurisdiction's regime and resolved timelines: one for each category
/// that has rows of its own, and one for every other category.
#[derive(Debug, Clone)]
struct Entry {
    regime: Regime,
    any: Vec<Segment>,
    categories: Vec<(Box<str>, Vec<Segment>)>,
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
    countries_with_regions: FxHashSet<Jurisdiction>,
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
        let rows = parse_rows(text)?;
        Self::from_rows(rows)
    }

    /// Builds a table from rows already parsed (their `line` is used in
    /// error messages and to order components).
    ///
    /// # Errors
    /// As [`RateTable::from_csv`], for the checks across rows.
    pub fn from_rows(rows: Vec<RateRow>) -> Result<Self, Error> {
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
            });
        }

        let mut index: FxHashMap<Jurisdiction, Entry> = FxHashMap::default();
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
                any: timeline(jurisdiction, &taxes, None),
                categories: categories
                    .iter()
                    .map(|c| {
                        (
                            Box::<str>::from(*c),
                            timeline(jurisdiction, &taxes, Some(c)),
                        )
                    })
                    .collect(),
            };
            index.insert(jurisdiction, entry);
        }

        Ok(RateTable {
            rows,
            index,
            countries_with_regions,
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
                });
            }
        } else if self.countries_with_regions.contains(&country) {
            return TaxLookup::NeedsRegion;
        }
        match self.index.get(&country) {
            Some(entry) => TaxLookup::Found(JurisdictionRates {
                jurisdiction: country,
                entry,
            }),
            None => TaxLookup::NoData,
        }
    }

    /// True when some row of the table is for a region of `country`.
    pub fn has_regions(&self, country: Jurisdiction) -> bool {
        self.countries_with_regions.contains(&country.country())
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

fn data_error(line: usize, reason: impl Into<String>) -> Error {
    Error::TaxData {
        line,
        reason: reason.into(),
    }
}

fn parse_rows(text: &str) -> Result<Vec<RateRow>, Error> {
    // One record reused for every row, and fields trimmed as borrowed
    // slices: the shipped table is parsed at every process start.
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(text.len().clamp(64, 1 << 16))
        .from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    let mut rows = Vec::with_capacity(text.len() / 96);
    let mut seen_header = false;
    let mut lines = LineCounter::default();
    loop {
        let more = reader.read_record(&mut record).map_err(|e| {
            let line = e
                .position()
                .map_or(1, |p| LineCounter::default().line_at(text, p.byte()));
            data_error(line, format!("not valid CSV: {e}"))
        })?;
        if !more {
            break;
        }
        let line = record
            .position()
            .map_or(1, |p| lines.line_at(text, p.byte()));
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if !seen_header {
            seen_header = true;
            if !record.iter().map(str::trim).eq(HEADER) {
                return Err(data_error(
                    line,
                    format!("the header must be `{}`", HEADER.join(",")),
                ));
            }
            continue;
        }
        rows.push(parse_row(&record, line)?);
    }
    if !seen_header {
        return Err(data_error(1, "the file is empty: no header"));
    }
    Ok(rows)
}

/// Line numbers from byte offsets. The csv crate's own count is off with
/// CRLF or CR line ends (a record's line is taken before the previous
/// line's `\n` is read), and its offsets point before any line ends or
/// blank lines it skips; so skip those, then count `\n`, `\r\n` and a lone
/// `\r` as one line end each. Offsets only grow: each byte is read once.
#[derive(Default)]
struct LineCounter {
    offset: usize,
    /// 1-based line at `offset`, minus one.
    ends: usize,
    after_cr: bool,
}

impl LineCounter {
    /// The 1-based line of the record that the csv reader says starts at `byte`.
    fn line_at(&mut self, text: &str, byte: u64) -> usize {
        let bytes = text.as_bytes();
        let mut start = usize::try_from(byte).unwrap_or(usize::MAX).min(bytes.len());
        while matches!(bytes.get(start), Some(b'\r' | b'\n')) {
            start = start.saturating_add(1);
        }
        let chunk = bytes.get(self.offset..start).unwrap_or_default();
        for i in memchr::memchr2_iter(b'\r', b'\n', chunk) {
            let after_cr = match i.checked_sub(1) {
                Some(before) => chunk.get(before) == Some(&b'\r'),
                None => self.after_cr,
            };
            if chunk.get(i) == Some(&b'\r') || !after_cr {
                self.ends = self.ends.saturating_add(1);
            }
        }
        if let Some(last) = chunk.last() {
            self.after_cr = *last == b'\r';
        }
        self.offset = self.offset.max(start);
        self.ends.saturating_add(1)
    }
}

fn parse_row(record: &csv::StringRecord, line: usize) -> Result<RateRow, Error> {
    if record.len() != HEADER.len() {
        return Err(data_error(
            line,
            format!("expected 8 columns, found {}", record.len()),
        ));
    }
    let mut fields = record.iter().map(str::trim);
    let mut next = || fields.next().unwrap_or_default();
    let [
        jurisdiction,
        regime,
        tax_name,
        category,
        rate,
        from,
        to,
        source,
    ] = [(); 8].map(|()| next());
    let err = |column: &str, reason: String| data_error(line, format!("{column}: {reason}"));

    let jurisdiction = Jurisdiction::parse(jurisdiction).ok_or_else(|| {
        err(
            "jurisdiction",
            format!("unknown jurisdiction `{jurisdiction}` (want an ISO 3166 code such as `DE` or `US-CA`)"),
        )
    })?;
    let regime = match regime {
        "inclusive" => Regime::Inclusive,
        "exclusive" => Regime::Exclusive,
        other => {
            return Err(err(
                "regime",
                format!("unknown regime `{other}` (want `inclusive` or `exclusive`)"),
            ));
        }
    };
    if tax_name.is_empty() {
        return Err(err("tax_name", "is empty".into()));
    }
    if category.is_empty() {
        return Err(err(
            "category",
            "is empty (use `*` for every category)".into(),
        ));
    }
    let percent = Decimal::from_str(rate)
        .map_err(|_| err("rate", format!("`{rate}` is not a decimal number")))?;
    if percent.is_sign_negative() && !percent.is_zero() {
        return Err(err("rate", format!("`{rate}` is negative")));
    }
    let rate = Rate::from_percent(percent).ok_or_else(|| {
        err(
            "rate",
            format!(
                "`{rate}` must be between 0 and 100 with at most {} decimals",
                Rate::MAX_DECIMALS
            ),
        )
    })?;
    let valid_from = parse_date(from).map_err(|r| err("valid_from", r))?;
    let valid_to = parse_date(to).map_err(|r| err("valid_to", r))?;
    if let (Some(f), Some(t)) = (valid_from, valid_to)
        && f >= t
    {
        return Err(err(
            "valid_to",
            format!("`{t}` is not after valid_from `{f}`"),
        ));
    }
    if source.is_empty() {
        return Err(err("source", "every row needs a source".into()));
    }
    Ok(RateRow {
        line,
        jurisdiction,
        regime,
        tax_name: tax_name.to_owned(),
        category: category.to_owned(),
        rate,
        valid_from,
        valid_to,
        source: source.to_owned(),
    })
}

/// Parses a `YYYY-MM-DD` date strictly; blank is `None` (open).
pub(crate) fn parse_date(text: &str) -> Result<Option<Date>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    parse_strict_date(text)
        .map(Some)
        .ok_or_else(|| format!("`{text}` is not a date of the form YYYY-MM-DD"))
}

/// A `YYYY-MM-DD` date and nothing else.
pub fn parse_strict_date(text: &str) -> Option<Date> {
    let b = text.as_bytes();
    let shape_ok = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    if !shape_ok {
        return None;
    }
    Date::from_str(text).ok()
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
