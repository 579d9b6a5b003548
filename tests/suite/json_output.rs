//! The fast quote writer (`Quote::write_json`, used by `batch`) must write
//! exactly the bytes serde writes for the same quote, whichever path it
//! takes: catalog-rendered heads, fields written one by one, escapes.

use checkout_tax::{Catalog, Engine, Merchant, MerchantType, RateTable, SessionRequest};

const TABLE: &str = "jurisdiction,regime,tax_name,category,rate,valid_from,valid_to,source
DE,inclusive,VAT,*,19,,,https://www.gesetze-im-internet.de/ustg_1980/__12.html
DE,inclusive,VAT,ebooks,7,,,https://www.gesetze-im-internet.de/ustg_1980/__12.html
CA-QC,exclusive,GST,*,5,,,https://www.canada.ca/en/revenue-agency.html
CA-QC,exclusive,\"Q\"\"ST\\\",*,9.975,,,https://www.revenuquebec.ca/en/
DE,inclusive,VAT,gen\\eral,19,,,https://www.gesetze-im-internet.de/ustg_1980/__12.html
";

const CATALOG: &str = r#"{
  "products": [
    {"id": "prod_a", "tax_category": "ebooks", "default_price": "price_a"},
    {"id": "prod_b", "tax_category": "general", "default_price": "price_b"},
    {"id": "prod_\"quoted\"", "tax_category": "gen\\eral", "default_price": "price_\"q\""},
    {"id": "prod_loose"}
  ],
  "prices": [
    {"id": "price_a", "product": "prod_a", "currency": "eur", "unit_amount": 1000},
    {"id": "price_b", "product": "prod_b", "currency": "eur", "unit_amount": 1000},
    {"id": "price_\"q\"", "product": "prod_\"quoted\"", "currency": "eur", "unit_amount": 250},
    {"id": "price_loose", "currency": "eur", "unit_amount": 99},
    {"id": "price_cad", "product": "prod_a", "currency": "cad", "unit_amount": 2000}
  ]
}"#;

fn same_bytes(engine: &Engine, request: &str) {
    let request = SessionRequest::from_json(request).unwrap();
    let quote = engine
        .quote(&request, checkout_tax::parse_date("2025-06-01").unwrap())
        .unwrap();
    crate::support::assert_quote_laws(&quote);
    let mut fast = Vec::new();
    quote.write_json(&mut fast);
    let serde = serde_json::to_vec(&quote).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&fast),
        String::from_utf8_lossy(&serde)
    );
}

/// A Direct merchant with the fixture catalog and table.
fn fixture_engine() -> Engine {
    Engine::builder()
        .catalog(Catalog::from_json(CATALOG).unwrap())
        .tax_table(RateTable::from_csv(TABLE).unwrap())
        .merchant(Merchant::new(MerchantType::Direct))
        .build()
        .unwrap()
}

#[test]
fn the_fast_writer_writes_what_serde_writes() {
    let engine = fixture_engine();
    // A price line (rendered head), product lines through their default
    // price (rendered head), escapes everywhere, a price without a product,
    // an ad hoc line (fields written one by one), descriptions with
    // controls.
    same_bytes(
        &engine,
        r#"{"mode": "payment", "buyer_country": "DE", "client_reference_id": "ref \"1\"\n",
            "line_items": [
              {"price_id": "price_a", "quantity": 2},
              {"product_id": "prod_a", "quantity": 1},
              {"product_id": "prod_b", "quantity": 1, "description": "tab\there"},
              {"price_id": "price_\"q\"", "quantity": 3},
              {"product_id": "prod_\"quoted\"", "quantity": 1},
              {"price_id": "price_loose", "quantity": 1},
              {"ad_hoc_amount": 500, "ad_hoc_currency": "EUR", "quantity": 1, "description": "é ü \u0001"}
            ]}"#,
    );
    // Two exclusive components, one with an escaped name; no location; setup.
    same_bytes(
        &engine,
        r#"{"mode": "payment", "buyer_country": "CA", "buyer_region": "QC",
            "line_items": [{"price_id": "price_cad", "quantity": 1}]}"#,
    );
    same_bytes(
        &engine,
        r#"{"mode": "payment", "line_items": [{"price_id": "price_a", "quantity": 1}]}"#,
    );
    same_bytes(&engine, r#"{"mode": "setup"}"#);
}

#[test]
fn a_quote_changed_by_its_caller_is_written_as_changed() {
    // The pre-rendered heads must never print stale values: the writer uses
    // a head only when it equals the object's current fields.
    let engine = fixture_engine();
    let request = SessionRequest::from_json(
        r#"{"mode": "payment", "buyer_country": "CA", "buyer_region": "QC",
            "line_items": [{"price_id": "price_cad", "quantity": 1}]}"#,
    )
    .unwrap();
    let mut quote = engine
        .quote(&request, checkout_tax::parse_date("2025-06-01").unwrap())
        .unwrap();
    quote.line_items[0].unit_amount = 7;
    quote.line_items[0].price_id = Some("price_changed".into());
    quote.line_items[0].taxes[0].name = "Renamed";
    let mut fast = Vec::new();
    quote.write_json(&mut fast);
    assert_eq!(
        String::from_utf8_lossy(&fast),
        String::from_utf8_lossy(&serde_json::to_vec(&quote).unwrap())
    );
    let text = String::from_utf8(fast).unwrap();
    assert!(text.contains(r#""price_id":"price_changed""#), "{text}");
    assert!(text.contains(r#""unit_amount":7"#), "{text}");
    assert!(text.contains(r#""name":"Renamed""#), "{text}");
}

/// One full quote's JSON, pinned: the public field order and every field.
#[test]
fn snapshot_of_a_full_quote() {
    let engine = fixture_engine();
    let mut out = Vec::new();
    let answer = engine.quote_json(
        br#"{"mode": "payment", "buyer_country": "DE", "client_reference_id": "order_1",
             "line_items": [{"price_id": "price_a", "quantity": 2, "description": "two"}]}"#,
        checkout_tax::parse_date("2025-06-01").unwrap(),
        &mut out,
    );
    assert!(answer.is_quote());
    let version = engine.tax_table().version().to_owned();
    let expected = format!(
        concat!(
            r#"{{"mode":"payment","currency":"EUR","amount_subtotal":2000,"amount_discount":0,"#,
            r#""amount_tax":131,"#,
            r#""amount_total":2000,"tax_status":"calculated","tax_jurisdiction":"DE","#,
            r#""tax_regime":"inclusive","tax_date":"2025-06-01","tax_data_version":"{}","#,
            r#""client_reference_id":"order_1","discounts":[],"line_items":[{{"price_id":"price_a","#,
            r#""product_id":"prod_a","tax_category":"ebooks","unit_amount":1000,"#,
            r#""description":"two","quantity":2,"amount_subtotal":2000,"amount_discount":0,"#,
            r#""amount_tax":131,"#,
            r#""amount_total":2000,"taxes":[{{"name":"VAT","jurisdiction":"DE","rate":"7","#,
            r#""amount":131,"taxable_amount":1869,"taxability_reason":"reduced_rated"}}],"#,
            r#""taxability_reason":null}}]}}"#
        ),
        version
    );
    assert_eq!(String::from_utf8(out).unwrap(), expected);
}
