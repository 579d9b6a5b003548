//! The rounding policies on published and hand-worked cases, through the
//! library and through the CLI (its flags and its merchant file), each
//! with its own fixture table so that the embedded data cannot move them.

use crate::support::AT;
use checkout_tax::{
    Catalog, Engine, Merchant, MerchantType, RateTable, RoundingLevel, RoundingMode, SessionRequest,
};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Avalara's two jurisdictions: 6.5% and 2.5%, in Washington for the test.
const AVALARA_TABLE: &str = "\
jurisdiction,regime,tax_name,category,rate,valid_from,valid_to,source
US-WA,exclusive,State,*,6.5,,,https://help.avalara.com/Frequently_Asked_Questions/Tax_Calculation_FAQ/What_is_the_difference_between_Document_and_Line_level_rounding%3F
US-WA,exclusive,County,*,2.5,,,https://help.avalara.com/Frequently_Asked_Questions/Tax_Calculation_FAQ/What_is_the_difference_between_Document_and_Line_level_rounding%3F
";

/// The book, the bookmark and the reading light of Avalara's example.
const AVALARA_CATALOG: &str = r#"{
  "products": [
    {"id": "prod_book", "default_price": "price_book"},
    {"id": "prod_bookmark", "default_price": "price_bookmark"},
    {"id": "prod_light", "default_price": "price_light"}
  ],
  "prices": [
    {"id": "price_book", "product": "prod_book", "currency": "usd", "unit_amount": 4080},
    {"id": "price_bookmark", "product": "prod_bookmark", "currency": "usd", "unit_amount": 198},
    {"id": "price_light", "product": "prod_light", "currency": "usd", "unit_amount": 1499}
  ]
}"#;

const AVALARA_REQUEST: &str = r#"{"mode": "payment", "buyer_country": "US", "buyer_region": "WA",
  "line_items": [{"price_id": "price_book", "quantity": 1},
                 {"price_id": "price_bookmark", "quantity": 1},
                 {"price_id": "price_light", "quantity": 1}]}"#;

/// One 5% tax, for a half cent.
const FIVE_PERCENT_TABLE: &str = "\
jurisdiction,regime,tax_name,category,rate,valid_from,valid_to,source
US-WA,exclusive,State,*,5,,,https://example.org/five-percent
";

const FIFTY_CENTS_CATALOG: &str = r#"{
  "products": [{"id": "prod_sticker", "default_price": "price_sticker"}],
  "prices": [{"id": "price_sticker", "product": "prod_sticker", "currency": "usd", "unit_amount": 50}]
}"#;

const FIFTY_CENTS_REQUEST: &str = r#"{"mode": "payment", "buyer_country": "US", "buyer_region": "WA",
  "line_items": [{"price_id": "price_sticker", "quantity": 1}]}"#;

fn engine(table: &str, catalog: &str, level: RoundingLevel, mode: RoundingMode) -> Engine {
    Engine::builder()
        .catalog(Catalog::from_json(catalog).unwrap())
        .merchant(Merchant {
            rounding_level: level,
            rounding_mode: mode,
            ..Merchant::new(MerchantType::MerchantOfRecord)
        })
        .tax_table(RateTable::from_csv(table).unwrap())
        .build()
        .unwrap()
}

/// (session tax, each line's tax) of a request.
fn taxes(engine: &Engine, request: &str) -> (i64, Vec<i64>) {
    let request = SessionRequest::from_json(request).unwrap();
    let quote = engine
        .quote(&request, checkout_tax::parse_date(AT).unwrap())
        .unwrap();
    crate::support::assert_quote_laws(&quote);
    (
        quote.amount_tax,
        quote.line_items.iter().map(|l| l.amount_tax).collect(),
    )
}

/// Avalara's published example ("What is the difference between Document
/// and Line level rounding?", help.avalara.com, linked from the fixture's
/// source column): 6.5% + 2.5% on 40.80, 1.98 and 14.99 USD.
///
/// Line: 2.652 -> 2.65, 1.02 -> 1.02; 0.1287 -> 0.13, 0.0495 -> 0.05;
/// 0.97435 -> 0.97, 0.37475 -> 0.37; total 5.19.
/// Document: 6.5% of 57.77 = 3.75505 -> 3.76, 2.5% = 1.44425 -> 1.44;
/// total 5.20, allocated back by base: State 265/13/98, County 102/5/37.
#[test]
fn line_rounding_differs_from_document_rounding() {
    let line = engine(
        AVALARA_TABLE,
        AVALARA_CATALOG,
        RoundingLevel::Line,
        RoundingMode::HalfUp,
    );
    assert_eq!(taxes(&line, AVALARA_REQUEST), (519, vec![367, 18, 134]));

    let document = engine(
        AVALARA_TABLE,
        AVALARA_CATALOG,
        RoundingLevel::Document,
        RoundingMode::HalfUp,
    );
    assert_eq!(taxes(&document, AVALARA_REQUEST), (520, vec![367, 18, 135]));
}

/// 5% of 50 cents is exactly 2.5 cents: half up gives 3, half even 2.
#[test]
fn half_up_and_half_even_differ_on_an_exact_half_cent() {
    let half_up = engine(
        FIVE_PERCENT_TABLE,
        FIFTY_CENTS_CATALOG,
        RoundingLevel::Line,
        RoundingMode::HalfUp,
    );
    assert_eq!(taxes(&half_up, FIFTY_CENTS_REQUEST), (3, vec![3]));

    let half_even = engine(
        FIVE_PERCENT_TABLE,
        FIFTY_CENTS_CATALOG,
        RoundingLevel::Line,
        RoundingMode::HalfEven,
    );
    assert_eq!(taxes(&half_even, FIFTY_CENTS_REQUEST), (2, vec![2]));
}

// ---------------------------------------------------------------------------
// The same cases through the binary.
// ---------------------------------------------------------------------------

/// A fresh directory for one test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("rounding-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs `checkout-tax quote` and returns the quote's amount_tax.
fn cli_tax(table: &Path, catalog: &Path, request: &Path, options: &[&str]) -> i64 {
    let out = Command::new(env!("CARGO_BIN_EXE_checkout-tax"))
        .arg("quote")
        .arg("--tax-data")
        .arg(table)
        .arg("--catalog")
        .arg(catalog)
        .args(["--at", AT])
        .args(options)
        .arg(request)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{options:?}: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let quote: Value = serde_json::from_str(&stdout).unwrap();
    quote["amount_tax"].as_i64().unwrap()
}

#[test]
fn cli_rounding_level_flag_and_merchant_file_give_avalara_figures() {
    let dir = scratch("level");
    let table = write(&dir, "avalara.csv", AVALARA_TABLE);
    let catalog = write(&dir, "catalog.json", AVALARA_CATALOG);
    let request = write(&dir, "request.json", AVALARA_REQUEST);
    let document = write(&dir, "merchant.json", r#"{"rounding_level": "document"}"#);
    let document = document.to_str().unwrap();

    assert_eq!(cli_tax(&table, &catalog, &request, &[]), 519);
    assert_eq!(
        cli_tax(&table, &catalog, &request, &["--rounding-level", "line"]),
        519
    );
    assert_eq!(
        cli_tax(
            &table,
            &catalog,
            &request,
            &["--rounding-level", "document"]
        ),
        520
    );
    assert_eq!(
        cli_tax(&table, &catalog, &request, &["--merchant", document]),
        520
    );
    // A flag overrides the file.
    assert_eq!(
        cli_tax(
            &table,
            &catalog,
            &request,
            &["--merchant", document, "--rounding-level", "line"]
        ),
        519
    );
}

#[test]
fn cli_rounding_mode_flag_and_merchant_file_round_the_half_cent() {
    let dir = scratch("mode");
    let table = write(&dir, "five.csv", FIVE_PERCENT_TABLE);
    let catalog = write(&dir, "catalog.json", FIFTY_CENTS_CATALOG);
    let request = write(&dir, "request.json", FIFTY_CENTS_REQUEST);
    let half_even = write(
        &dir,
        "merchant.json",
        r#"{"merchant_type": "merchant_of_record", "rounding_mode": "half_even"}"#,
    );
    let half_even = half_even.to_str().unwrap();

    assert_eq!(cli_tax(&table, &catalog, &request, &[]), 3);
    assert_eq!(
        cli_tax(&table, &catalog, &request, &["--rounding-mode", "half_up"]),
        3
    );
    assert_eq!(
        cli_tax(
            &table,
            &catalog,
            &request,
            &["--rounding-mode", "half_even"]
        ),
        2
    );
    assert_eq!(
        cli_tax(&table, &catalog, &request, &["--merchant", half_even]),
        2
    );
}
