//! `verify`, as a service's test suite uses it: the CLI command (exit codes,
//! the report on stdout) and `Engine::verify` on a `serde_json::Value`.

use crate::support::AT;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

/// 6.5% + 2.5% in Washington (exclusive), for stable figures.
const TABLE: &str = "\
jurisdiction,regime,tax_name,category,rate,valid_from,valid_to,source
US-WA,exclusive,State,*,6.5,,,https://example.org/state
US-WA,exclusive,County,*,2.5,,,https://example.org/county
";

const CATALOG: &str = r#"{
  "products": [
    {"id": "prod_book", "default_price": "price_book"},
    {"id": "prod_light", "default_price": "price_light"}
  ],
  "prices": [
    {"id": "price_book", "product": "prod_book", "currency": "usd", "unit_amount": 4080},
    {"id": "price_light", "product": "prod_light", "currency": "usd", "unit_amount": 1499}
  ]
}"#;

/// One book and two lights in Washington. Per line, half up:
/// book 4080: 265.2 -> 265 + 102 = 367; lights 2998: 194.87 -> 195 +
/// 74.95 -> 75 = 270. Session: 7078 + 637 = 7715.
const REQUEST: &str = r#"{"mode": "payment", "buyer_country": "US", "buyer_region": "WA",
  "client_reference_id": "order_1",
  "line_items": [{"price_id": "price_book", "quantity": 1},
                 {"price_id": "price_light", "quantity": 2}]}"#;

fn session() -> Value {
    json!({"id": "cs_test_1", "currency": "USD",
           "amount_subtotal": 7078, "amount_tax": 637, "amount_total": 7715})
}

fn envelope(session: Value) -> Value {
    json!({"success": true, "message": "session created", "data": {"session": session}})
}

/// The outcome of one `checkout-tax verify` run.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }

    /// The (field, expected, actual) of every mismatch reported.
    fn mismatches(&self) -> Vec<(String, Value, Value)> {
        self.json()["mismatches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["field"].as_str().unwrap().to_owned(),
                    m["expected"].clone(),
                    m["actual"].clone(),
                )
            })
            .collect()
    }
}

/// Runs `checkout-tax verify` on a request and a response, with the
/// fixture table and catalog; `name` keeps each test's files apart.
fn verify(name: &str, request: &str, response: &str, extra: &[&str]) -> Run {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("verify-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = |file: &str, text: &str| -> PathBuf {
        let path = dir.join(file);
        std::fs::write(&path, text).unwrap();
        path
    };
    let out = Command::new(env!("CARGO_BIN_EXE_checkout-tax"))
        .arg("verify")
        .arg("--tax-data")
        .arg(file("rates.csv", TABLE))
        .arg("--catalog")
        .arg(file("catalog.json", CATALOG))
        .args(["--at", AT])
        .args(extra)
        .arg(file("request.json", request))
        .arg(file("response.json", response))
        .output()
        .unwrap();
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn assert_match(run: &Run) {
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert_eq!(run.json(), json!({"match": true, "mismatches": []}));
}

#[test]
fn cli_verify_accepts_the_success_message_data_session_envelope() {
    let run = verify("envelope", REQUEST, &envelope(session()).to_string(), &[]);
    assert_match(&run);
}

#[test]
fn cli_verify_accepts_a_bare_session() {
    let run = verify("bare", REQUEST, &session().to_string(), &[]);
    assert_match(&run);
}

#[test]
fn cli_verify_compares_currency_case_insensitively() {
    for (i, code) in ["usd", "Usd", "USD"].into_iter().enumerate() {
        let mut s = session();
        s["currency"] = json!(code);
        assert_match(&verify(
            &format!("currency-{i}"),
            REQUEST,
            &envelope(s).to_string(),
            &[],
        ));
    }

    let mut s = session();
    s["currency"] = json!("eur");
    let run = verify("currency-eur", REQUEST, &s.to_string(), &[]);
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    assert_eq!(
        run.mismatches(),
        vec![("currency".to_owned(), json!("USD"), json!("eur"))]
    );
}

#[test]
fn cli_verify_compares_line_amounts_when_the_response_has_them() {
    let lines = json!([
        {"price_id": "price_book", "amount_subtotal": 4080, "amount_tax": 367, "amount_total": 4447},
        {"price_id": "price_light", "amount_subtotal": 2998, "amount_tax": 270, "amount_total": 3268}
    ]);
    let mut s = session();
    s["line_items"] = lines.clone();
    assert_match(&verify("lines-ok", REQUEST, &s.to_string(), &[]));

    // Lines without amounts are not compared.
    s["line_items"] = json!([{"price_id": "price_book"}, {"price_id": "price_light"}]);
    assert_match(&verify("lines-bare", REQUEST, &s.to_string(), &[]));

    // A line off by a cent, though the session amounts are right.
    let mut wrong = lines;
    wrong[1]["amount_tax"] = json!(269);
    s["line_items"] = wrong;
    let run = verify("lines-wrong", REQUEST, &envelope(s).to_string(), &[]);
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    assert_eq!(
        run.mismatches(),
        vec![(
            "line_items[1].amount_tax".to_owned(),
            json!(270),
            json!(269)
        )]
    );
}

#[test]
fn cli_verify_reports_every_mismatch_with_field_expected_and_actual() {
    let response = json!({"currency": "eur", "amount_subtotal": 7077,
                          "amount_tax": 636.0, "line_items": [
                              {"amount_subtotal": 4080, "amount_tax": 368, "amount_total": 4448}]});
    let run = verify(
        "every",
        REQUEST,
        &envelope(response.clone()).to_string(),
        &[],
    );
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    assert_eq!(run.json()["match"], json!(false));
    assert_eq!(
        run.mismatches(),
        vec![
            ("currency".to_owned(), json!("USD"), json!("eur")),
            ("amount_subtotal".to_owned(), json!(7078), json!(7077)),
            // Amounts are integers of minor units: 636.0 is not 637, nor an integer.
            ("amount_tax".to_owned(), json!(637), json!(636.0)),
            // A missing field is reported with `null`.
            ("amount_total".to_owned(), json!(7715), Value::Null),
            ("line_items.length".to_owned(), json!(2), json!(1)),
            (
                "line_items[0].amount_tax".to_owned(),
                json!(367),
                json!(368)
            ),
            (
                "line_items[0].amount_total".to_owned(),
                json!(4447),
                json!(4448)
            ),
        ]
    );

    // For people: the table names every field with both values.
    let run = verify(
        "every-table",
        REQUEST,
        &response.to_string(),
        &["--format", "table"],
    );
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    for field in [
        "currency",
        "amount_subtotal",
        "amount_tax",
        "amount_total",
        "line_items[0].amount_tax",
    ] {
        assert!(
            run.stdout.contains(field),
            "{field} missing from\n{}",
            run.stdout
        );
    }
    assert!(run.stdout.contains("7078") && run.stdout.contains("7077"));
}

#[test]
fn cli_verify_exits_1_showing_the_refusal_when_the_request_is_refused() {
    let refused = r#"{"mode": "payment", "buyer_country": "US", "buyer_region": "WA",
      "line_items": [{"price_id": "price_book", "quantity": 1},
                     {"price_id": "price_gone", "quantity": 1}]}"#;
    let run = verify("refused", refused, &session().to_string(), &[]);
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    let error = &run.json()["error"];
    assert_eq!(error["code"], json!("unknown_price"));
    assert_eq!(error["param"], json!("line_items[1].price_id"));
    assert!(error["message"].as_str().unwrap().contains("price_gone"));

    // A request that is not even JSON is a refusal too, not a usage error.
    let run = verify("not-json", "{\"mode\": ", &session().to_string(), &[]);
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert_eq!(run.json()["error"]["code"], json!("invalid_request"));
}

#[test]
fn cli_verify_of_a_response_that_is_not_json_is_a_usage_error() {
    let run = verify("bad-response", REQUEST, "<html>502</html>", &[]);
    assert_eq!(run.code, Some(2), "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("not JSON"), "{}", run.stderr);
}

/// The README's "Using verify in a service's tests" example, compiled and
/// run here so that it cannot rot. (It uses the embedded table: German VAT,
/// 19% included in 10.00 EUR, is 1.60.)
#[test]
fn readme_example_checkout_session_amounts_are_right() -> Result<(), Box<dyn std::error::Error>> {
    use checkout_tax::{Catalog, Engine, Merchant, MerchantType, SessionRequest};

    // Built once per test binary in a real suite (it is Send + Sync).
    let engine = Engine::builder()
        .catalog(Catalog::from_json(
            r#"{"products": [{"id": "prod_book", "default_price": "price_book"}],
                "prices": [{"id": "price_book", "product": "prod_book",
                            "currency": "eur", "unit_amount": 1000}]}"#,
        )?)
        .merchant(Merchant::new(MerchantType::MerchantOfRecord))
        .build()?;

    let body = r#"{"mode": "payment", "buyer_country": "DE",
                   "line_items": [{"price_id": "price_book", "quantity": 1}]}"#;
    // What the service under test answered for `body`, for example
    // `serde_json::from_slice(&response.bytes().await?)?`.
    let response: serde_json::Value = serde_json::json!({
        "success": true, "message": "session created",
        "data": {"session": {"id": "cs_1", "currency": "eur",
                             "amount_subtotal": 1000, "amount_tax": 160, "amount_total": 1000}}
    });

    let request = SessionRequest::from_json(body)?;
    let report = engine.verify(&request, &response, "2025-06-01".parse()?)?;
    assert!(report.is_match(), "{:#?}", report.mismatches);
    Ok(())
}

/// The library reports exactly what the CLI prints.
#[test]
fn engine_verify_reports_mismatches_as_the_cli_does() {
    use checkout_tax::{Catalog, Engine, RateTable, SessionRequest};

    let engine = Engine::builder()
        .catalog(Catalog::from_json(CATALOG).unwrap())
        .tax_table(RateTable::from_csv(TABLE).unwrap())
        .build()
        .unwrap();
    let request = SessionRequest::from_json(REQUEST).unwrap();
    let date = checkout_tax::parse_date(AT).unwrap();

    let ok = engine.verify(&request, &envelope(session()), date).unwrap();
    assert!(ok.is_match(), "{ok:?}");
    let ok = engine.verify(&request, &session(), date).unwrap();
    assert!(ok.is_match(), "{ok:?}");

    let mut s = session();
    s["amount_total"] = json!(7716);
    let report = engine.verify(&request, &s, date).unwrap();
    assert!(!report.is_match());
    let m = &report.mismatches[0];
    assert_eq!(
        (m.field.as_str(), &m.expected, &m.actual),
        ("amount_total", &json!(7715), &json!(7716))
    );
    let cli = verify("library", REQUEST, &s.to_string(), &[]);
    assert_eq!(
        cli.json()["mismatches"],
        serde_json::to_value(&report.mismatches).unwrap()
    );
}

// --- verify compares outcomes (spec v2) -------------------------------------------

fn library_engine() -> checkout_tax::Engine {
    checkout_tax::Engine::builder()
        .catalog(checkout_tax::Catalog::from_json(CATALOG).unwrap())
        .tax_table(checkout_tax::RateTable::from_csv(TABLE).unwrap())
        .build()
        .unwrap()
}

#[test]
fn a_refusal_matches_a_refusal_with_the_same_code_in_either_shape() {
    let engine = library_engine();
    let at = checkout_tax::parse_date(AT).unwrap();
    let bad = br#"{"mode": "payment", "line_items": [{"price_id": "price_nope", "quantity": 1}]}"#;
    for response in [
        json!({"error": {"code": "unknown_price", "message": "no", "param": "line_items[0].price_id"}}),
        json!({"success": false, "message": "no such price", "error": {"code": "unknown_price"}}),
    ] {
        let report = engine.verify_json(bad, response.to_string().as_bytes(), at);
        assert!(report.matched, "{:?}", report);
        assert_eq!(
            report.error.as_ref().map(|e| e.code().as_str()),
            Some("unknown_price")
        );
    }
    // Another code: an error_code mismatch.
    let other = json!({"error": {"code": "invalid_quantity"}});
    let report = engine.verify_json(bad, other.to_string().as_bytes(), at);
    assert!(!report.matched);
    assert_eq!(report.kind.map(|k| k.as_str()), Some("error_code"));
    assert_eq!(report.mismatches[0].field, "error.code");
    assert_eq!(report.mismatches[0].expected, json!("unknown_price"));
    assert_eq!(report.mismatches[0].actual, json!("invalid_quantity"));
    // A quote against a refusal, and a refusal against a quote.
    let report = engine.verify_json(REQUEST.as_bytes(), other.to_string().as_bytes(), at);
    assert!(!report.matched);
    assert_eq!(report.kind.map(|k| k.as_str()), Some("outcome"));
    let report = engine.verify_json(bad, session().to_string().as_bytes(), at);
    assert!(!report.matched);
    assert_eq!(report.kind.map(|k| k.as_str()), Some("outcome"));
    // A response that is not JSON: a mismatch naming `response`.
    let report = engine.verify_json(REQUEST.as_bytes(), b"{not json", at);
    assert!(!report.matched);
    assert_eq!(report.mismatches[0].field, "response");
}

#[test]
fn cli_verify_matches_a_refusal_with_the_same_code() {
    let bad = r#"{"mode": "payment", "line_items": [{"price_id": "price_nope", "quantity": 1}]}"#;
    let run = verify(
        "refusal",
        bad,
        r#"{"error": {"code": "unknown_price"}}"#,
        &[],
    );
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert_eq!(run.json()["match"], json!(true));
    let run = verify(
        "refusal-other",
        bad,
        r#"{"error": {"code": "invalid_quantity"}}"#,
        &[],
    );
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    assert_eq!(run.json()["kind"], json!("error_code"));
}
