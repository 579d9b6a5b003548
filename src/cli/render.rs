//! Readable tables for people, and the JSON form of `rates`.

use checkout_tax::money::format_amount;
use checkout_tax::tax::RateRow;
use checkout_tax::{Date, Quote, Verification};
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

pub(crate) fn quote_table(quote: &Quote<'_>, date: Date) -> String {
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
                l.price_id.unwrap_or("(ad hoc)").to_owned(),
                l.tax_category.to_owned(),
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
    out.push_str(&format!(
        "\nsubtotal  {}\ntax       {}\ntotal     {}\nstatus    {} ({where_}) at {date}\n",
        money(quote.amount_subtotal),
        money(quote.amount_tax),
        money(quote.amount_total),
        quote.tax_status.as_str(),
    ));
    out
}

pub(crate) fn verify_table(report: &Verification) -> String {
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

pub(crate) fn rates_json(rows: &[&RateRow], date: Date) -> Value {
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

pub(crate) fn rates_table(rows: &[&RateRow], date: Date) -> String {
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
                "to"
            ],
            &cells,
            &[false, false, false, false, true, false, false],
        )
    )
}
