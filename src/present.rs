//! Presentation shared by the front ends: readable tables of a quote, a
//! verification and the rates (the CLI's `--format table`), the rates
//! listing as JSON (the CLI's `rates` and the service's `/v1/rates`), and
//! amounts formatted in their currency ([`format_amount`]).

pub use crate::money::format_amount;

use crate::jurisdiction::Jurisdiction;
use crate::quote::Quote;
use crate::tax::{RateRow, RateTable};
use crate::verify::Verification;
use jiff::civil::Date;
use serde_json::{Value, json};

/// Left-aligns text columns and right-aligns the others.
fn table(header: &[&str], rows: &[Vec<String>], right: &[bool]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<&str>| {
        let parts: Vec<String> = cells
            .iter()
            .zip(&widths)
            .zip(right.iter().chain(std::iter::repeat(&false)))
            .map(|((c, w), r)| {
                if *r {
                    format!("{c:>w$}")
                } else {
                    format!("{c:<w$}")
                }
            })
            .collect();
        out.push_str(parts.join("  ").trim_end());
        out.push('\n');
    };
    line(header.to_vec());
    line(
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect(),
    );
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
    out
}

/// A quote as a table for people: one row per line, then the totals and
/// the tax status.
pub fn quote_table(quote: &Quote<'_>, date: Date) -> String {
    let money = |v: i64| match quote.currency {
        Some(c) => format_amount(v, c),
        None => v.to_string(),
    };
    let rows: Vec<Vec<String>> = quote
        .line_items
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let taxes: Vec<String> = l
                .taxes
                .iter()
                .map(|t| format!("{} {}% {}", t.name, t.rate, money(t.amount)))
                .collect();
            vec![
                i.to_string(),
                l.price_id.as_deref().unwrap_or("(ad hoc)").to_owned(),
                l.tax_category.to_string(),
                l.quantity.to_string(),
                money(l.amount_subtotal),
                money(l.amount_tax),
                money(l.amount_total),
                taxes.join(", "),
            ]
        })
        .collect();
    let mut out = table(
        &[
            "#", "price", "category", "qty", "subtotal", "tax", "total", "taxes",
        ],
        &rows,
        &[true, false, false, true, true, true, true, false],
    );
    let where_ = match (quote.tax_jurisdiction, quote.tax_regime) {
        (Some(j), Some(r)) => format!("{j}, {}", r.as_str()),
        (Some(j), None) => j.to_string(),
        _ => "unknown".to_owned(),
    };
    let discount = quote
        .discounts
        .iter()
        .map(|d| match &d.promotion_code {
            Some(code) => format!("\ndiscount  -{} ({code}: {})", money(d.amount), d.coupon),
            None => format!("\ndiscount  -{} ({})", money(d.amount), d.coupon),
        })
        .collect::<String>();
    out.push_str(&format!(
        "\nsubtotal  {}{discount}\ntax       {}\ntotal     {}\nstatus    {} ({where_}) at {date}\n",
        money(quote.amount_subtotal),
        money(quote.amount_tax),
        money(quote.amount_total),
        quote.tax_status.as_str(),
    ));
    out
}

/// A verification report as a table: the kind of mismatch, the engine's
/// refusal if any, then field, expected and actual.
pub fn verify_report_table(report: &crate::verify::Report<'_>) -> String {
    let mut out = String::new();
    if let Some(e) = &report.error {
        out.push_str(&format!("engine refused: {} ({e})\n", e.code()));
    }
    if report.matched {
        out.push_str(if report.error.is_some() {
            "match: the service refused with the same code\n"
        } else {
            "match: currency and amounts agree\n"
        });
        return out;
    }
    if let Some(kind) = report.kind {
        out.push_str(&format!("mismatch kind: {kind}\n"));
    }
    out.push_str(&verify_table(&Verification {
        mismatches: report.mismatches.clone(),
    }));
    out
}

/// A verification as a table of field, expected and actual.
pub fn verify_table(report: &Verification) -> String {
    if report.is_match() {
        return "match: currency and amounts agree\n".to_owned();
    }
    let rows: Vec<Vec<String>> = report
        .mismatches
        .iter()
        .map(|m| {
            vec![
                m.field.clone(),
                m.expected.to_string(),
                m.actual.to_string(),
            ]
        })
        .collect();
    format!(
        "{} mismatch(es)\n{}",
        rows.len(),
        table(
            &["field", "expected", "actual"],
            &rows,
            &[false, true, true]
        )
    )
}

/// The rows as `rates --format json` prints them: `{"at", "rates": [...]}`.
pub fn rates_json(rows: &[&RateRow], date: Date) -> Value {
    json!({
        "at": date.to_string(),
        "rates": rows.iter().map(|r| json!({
            "jurisdiction": r.jurisdiction.as_str(),
            "regime": r.regime.as_str(),
            "tax_name": r.tax_name,
            "category": r.category,
            "rate": r.rate.to_string(),
            "valid_from": r.valid_from.map(|d| d.to_string()),
            "valid_to": r.valid_to.map(|d| d.to_string()),
            "source": r.source,
        })).collect::<Vec<_>>(),
    })
}

/// The rows as a table for people.
pub fn rates_table(rows: &[&RateRow], date: Date) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.jurisdiction.to_string(),
                r.regime.as_str().to_owned(),
                r.tax_name.clone(),
                r.category.clone(),
                format!("{}%", r.rate),
                r.valid_from
                    .map_or_else(|| "-".to_owned(), |d| d.to_string()),
                r.valid_to.map_or_else(|| "-".to_owned(), |d| d.to_string()),
                r.source.clone(),
            ]
        })
        .collect();
    format!(
        "rates in force on {date}\n{}",
        table(
            &[
                "jurisdiction",
                "regime",
                "tax",
                "category",
                "rate",
                "from",
                "until (exclusive)",
                "source"
            ],
            &cells,
            &[false, false, false, false, true, false, false, false],
        )
    )
}

/// The rows of `table` in force on `date` for `wanted` jurisdictions (all
/// when empty; a country also selects its regions), in file order.
pub fn rates_at<'t>(table: &'t RateTable, date: Date, wanted: &[Jurisdiction]) -> Vec<&'t RateRow> {
    table
        .rows_at(date)
        .filter(|r| {
            wanted.is_empty()
                || wanted.iter().any(|w| {
                    *w == r.jurisdiction || (!w.is_region() && r.jurisdiction.country() == *w)
                })
        })
        .collect()
}
