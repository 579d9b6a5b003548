//! The tax data's rows as written: the CSV format of the spec, parsed
//! with line numbers for every refusal. The same public parser reads the
//! shipped table and a user's `--tax-data` file.

use super::{Rate, Regime};
use crate::date::parse_ymd;
use crate::error::Error;
use crate::jurisdiction::Jurisdiction;
use jiff::civil::Date;
use rust_decimal::Decimal;
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

/// The optional ninth column: the jurisdiction whose authority levies the
/// tax, when it is not the row's own (Canada's GST in `CA-QC` is levied by
/// `CA`). Files without it are read as before.
pub const AUTHORITY_COLUMN: &str = "authority";

/// The comment line that states the first date a table covers:
/// `# covered_from: 2024-01-01`. Lines starting with `#` are comments.
pub const COVERED_FROM_DIRECTIVE: &str = "covered_from:";

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
    /// The jurisdiction whose authority levies the tax (the `authority`
    /// column; the row's own jurisdiction when blank or absent).
    pub authority: Jurisdiction,
}

impl RateRow {
    /// True when the row is in force on `date` (`valid_from` inclusive,
    /// `valid_to` exclusive).
    pub fn in_force(&self, date: Date) -> bool {
        self.valid_from.is_none_or(|f| f <= date) && self.valid_to.is_none_or(|t| date < t)
    }
}

/// A parsed table file: its rows and what its comment lines state.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TableFile {
    /// Every row, in file order.
    pub rows: Vec<RateRow>,
    /// The first date the table covers (`# covered_from: YYYY-MM-DD`);
    /// `None`: it states none, and a blank `valid_from` means "always".
    pub covered_from: Option<Date>,
}

/// Parses a table in the spec's CSV format, checking each row on its own
/// (the checks across rows are the table's). Lines starting with `#` are
/// comments; `# covered_from: YYYY-MM-DD` states the first date covered. The
/// header may end with an `authority` column.
///
/// # Errors
/// [`Error::TaxData`] with the line number of the first bad row.
pub fn parse_csv(text: &str) -> Result<TableFile, Error> {
    let covered_from = covered_from(text)?;
    Ok(TableFile {
        rows: parse_rows(text)?,
        covered_from,
    })
}

/// The `covered_from` directive of the comment lines, if any.
fn covered_from(text: &str) -> Result<Option<Date>, Error> {
    let mut found = None;
    for (i, line) in text.lines().enumerate() {
        let Some(comment) = line.trim_start().strip_prefix('#') else {
            continue;
        };
        if let Some(value) = comment.trim().strip_prefix(COVERED_FROM_DIRECTIVE) {
            let value = value.trim();
            let date = parse_ymd(value).ok_or_else(|| {
                data_error(
                    i.saturating_add(1),
                    format!("covered_from: `{value}` is not a date of the form YYYY-MM-DD"),
                )
            })?;
            if found.is_some() {
                return Err(data_error(
                    i.saturating_add(1),
                    "covered_from is stated twice",
                ));
            }
            found = Some(date);
        }
    }
    Ok(found)
}

pub(crate) fn data_error(line: usize, reason: impl Into<String>) -> Error {
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
        .comment(Some(b'#'))
        .buffer_capacity(text.len().clamp(64, 1 << 16))
        .from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    let mut rows = Vec::with_capacity(text.len() / 96);
    let mut seen_header = false;
    let mut columns = HEADER.len();
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
            let names: Vec<&str> = record.iter().map(str::trim).collect();
            let with_authority = names.len() == HEADER.len().saturating_add(1)
                && names.last() == Some(&AUTHORITY_COLUMN);
            if !(names.iter().take(HEADER.len()).eq(HEADER.iter())
                && (names.len() == HEADER.len() || with_authority))
            {
                return Err(data_error(
                    line,
                    format!(
                        "the header must be `{}` (optionally followed by `,{AUTHORITY_COLUMN}`)",
                        HEADER.join(",")
                    ),
                ));
            }
            columns = names.len();
            continue;
        }
        rows.push(parse_row(&record, line, columns)?);
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

fn parse_row(record: &csv::StringRecord, line: usize, columns: usize) -> Result<RateRow, Error> {
    if record.len() != columns {
        return Err(data_error(
            line,
            format!("expected {columns} columns, found {}", record.len()),
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
    let regime: Regime = regime.parse().map_err(|e| err("regime", format!("{e}")))?;
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
    let valid_from = optional_date(from).map_err(|r| err("valid_from", r))?;
    let valid_to = optional_date(to).map_err(|r| err("valid_to", r))?;
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
    let authority = match next().trim() {
        "" => jurisdiction,
        code => Jurisdiction::parse(code)
            .filter(|a| *a == jurisdiction || *a == jurisdiction.country())
            .ok_or_else(|| {
                err(
                    AUTHORITY_COLUMN,
                    format!(
                        "`{code}` is not `{jurisdiction}` or its country `{}`",
                        jurisdiction.country()
                    ),
                )
            })?,
    };
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
        authority,
    })
}

/// A `YYYY-MM-DD` date; blank is `None` (open).
fn optional_date(text: &str) -> Result<Option<Date>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    parse_ymd(text)
        .map(Some)
        .ok_or_else(|| format!("`{text}` is not a date of the form YYYY-MM-DD"))
}
