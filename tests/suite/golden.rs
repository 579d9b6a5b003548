//! Golden cases: one JSON file per case in `tests/golden/`, run by one
//! driver that names every failing file.
//!
//! A case is
//! ```json
//! {
//!   "about": "what it shows, with the arithmetic",
//!   "catalog": { "products": [...], "prices": [...] },      // optional: tests/fixtures/catalog.json
//!   "tax_data": "jurisdiction,regime,...\n...",               // optional: tests/fixtures/tax_rates.csv
//!   "merchant_type": "merchant_of_record" | "direct",
//!   "tax_registrations": ["DE"],                              // optional: everywhere
//!   "rounding_level": "line" | "document",                    // optional
//!   "rounding_mode": "half_up" | "half_even",                 // optional
//!   "at": "YYYY-MM-DD",
//!   "request": { ...the create-session body... },
//!   "expected": { "currency", "amount_subtotal", "amount_discount"?, "amount_tax",
//!                 "amount_total", "tax_status"?, "line_items"?: [{ "amount_subtotal",
//!                 "amount_discount"?, "amount_tax", "amount_total",
//!                 "taxes"?: [{ "name", "rate", "amount" }] }] }
//! }
//! ```
//! Expected figures are worked out by hand (see each case's `about`). Every
//! quote also keeps the quote laws (`support::assert_quote_laws`). A request
//! that must be refused is a case of `tests/corpus/refusals.json` instead.

use crate::support;

use checkout_tax::{Catalog, Engine, Merchant, RateTable, SessionRequest};
use serde::Deserialize;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Fewer files than this means cases were lost, not that all pass.
const MIN_CASES: usize = 20;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    #[allow(dead_code)]
    about: String,
    catalog: Option<Value>,
    tax_data: Option<String>,
    merchant_type: String,
    tax_registrations: Option<Vec<String>>,
    rounding_level: Option<String>,
    rounding_mode: Option<String>,
    at: String,
    request: Value,
    expected: Amounts,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Amounts {
    currency: Option<String>,
    amount_subtotal: i64,
    amount_discount: Option<i64>,
    amount_tax: i64,
    amount_total: i64,
    tax_status: Option<String>,
    line_items: Option<Vec<ExpectedLine>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedLine {
    amount_subtotal: i64,
    amount_discount: Option<i64>,
    amount_tax: i64,
    amount_total: i64,
    taxes: Option<Vec<ExpectedTax>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedTax {
    name: String,
    rate: String,
    amount: i64,
}

fn engine_for(case: &Case) -> Result<Engine, String> {
    let mut merchant = json!({"merchant_type": case.merchant_type});
    if let Some(r) = &case.tax_registrations {
        merchant["tax_registrations"] = json!(r);
    }
    if let Some(l) = &case.rounding_level {
        merchant["rounding_level"] = json!(l);
    }
    if let Some(m) = &case.rounding_mode {
        merchant["rounding_mode"] = json!(m);
    }
    let merchant = Merchant::from_json(&merchant.to_string()).map_err(|e| e.to_string())?;
    let catalog = match &case.catalog {
        Some(c) => Arc::new(Catalog::from_json(&c.to_string()).map_err(|e| e.to_string())?),
        None => support::catalog(),
    };
    let table = match &case.tax_data {
        Some(csv) => Arc::new(RateTable::from_csv(csv).map_err(|e| e.to_string())?),
        None => support::table(),
    };
    Engine::builder()
        .catalog(catalog)
        .tax_table(table)
        .merchant(merchant)
        .build()
        .map_err(|e| e.to_string())
}

/// Runs one case file; `Err` says what differs.
fn run(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let case: Case = serde_json::from_str(&text).map_err(|e| format!("not a case: {e}"))?;
    let engine = engine_for(&case)?;
    let date = checkout_tax::parse_date(&case.at).map_err(|_| "bad `at`")?;
    let request_text = case.request.to_string();
    let outcome = SessionRequest::from_json(&request_text).and_then(|r| {
        engine.quote(&r, date).map(|q| {
            support::assert_quote_laws(&q);
            serde_json::to_value(&q).unwrap()
        })
    });
    match (&case.expected, outcome) {
        (_, Err(e)) => Err(format!(
            "refused with `{}` at {:?}: {e}",
            e.code(),
            e.param()
        )),
        (
            Amounts {
                currency,
                amount_subtotal,
                amount_discount,
                amount_tax,
                amount_total,
                tax_status,
                line_items,
            },
            Ok(q),
        ) => {
            let mut diffs = Vec::new();
            let mut check = |field: String, expected: Value, actual: &Value| {
                if *actual != expected {
                    diffs.push(format!("{field}: expected {expected}, got {actual}"));
                }
            };
            check("currency".into(), json!(currency), &q["currency"]);
            check(
                "amount_subtotal".into(),
                json!(amount_subtotal),
                &q["amount_subtotal"],
            );
            if let Some(d) = amount_discount {
                check("amount_discount".into(), json!(d), &q["amount_discount"]);
            }
            check("amount_tax".into(), json!(amount_tax), &q["amount_tax"]);
            check(
                "amount_total".into(),
                json!(amount_total),
                &q["amount_total"],
            );
            if let Some(s) = tax_status {
                check("tax_status".into(), json!(s), &q["tax_status"]);
            }
            if let Some(lines) = line_items {
                let actual = q["line_items"].as_array().cloned().unwrap_or_default();
                check(
                    "line_items.length".into(),
                    json!(lines.len()),
                    &json!(actual.len()),
                );
                for (i, (want, got)) in lines.iter().zip(&actual).enumerate() {
                    for (name, value) in [
                        ("amount_subtotal", want.amount_subtotal),
                        ("amount_tax", want.amount_tax),
                        ("amount_total", want.amount_total),
                    ] {
                        check(format!("line_items[{i}].{name}"), json!(value), &got[name]);
                    }
                    if let Some(d) = want.amount_discount {
                        check(
                            format!("line_items[{i}].amount_discount"),
                            json!(d),
                            &got["amount_discount"],
                        );
                    }
                    if let Some(taxes) = &want.taxes {
                        let expected: Vec<Value> = taxes
                            .iter()
                            .map(|t| json!([t.name, t.rate, t.amount]))
                            .collect();
                        let actual: Vec<Value> = got["taxes"]
                            .as_array()
                            .cloned()
                            .unwrap_or_default()
                            .iter()
                            .map(|t| json!([t["name"], t["rate"], t["amount"]]))
                            .collect();
                        check(
                            format!("line_items[{i}].taxes"),
                            json!(expected),
                            &json!(actual),
                        );
                    }
                }
            }
            if diffs.is_empty() {
                Ok(())
            } else {
                Err(diffs.join("; "))
            }
        }
    }
}

fn case_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn golden_cases() {
    let files = case_files();
    assert!(
        files.len() >= MIN_CASES,
        "only {} golden cases in tests/golden/",
        files.len()
    );
    let failures: Vec<String> = files
        .iter()
        .filter_map(|path| {
            run(path).err().map(|why| {
                let name = path.file_name().unwrap_or_default().to_string_lossy();
                format!("tests/golden/{name}: {why}")
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} golden cases failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
