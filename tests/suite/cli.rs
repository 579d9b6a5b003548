//! The real `checkout-tax` binary: exit codes (0 ok, 1 refused or mismatch,
//! 2 usage), the JSON error on stdout, table output, `verify`, `rates` and
//! reading stdin. Every run uses the fixture catalog and table.

use crate::support::{AT, SPEC_EXAMPLE};
use crate::support::{Run, fixture_arg, run, temp_file};
use serde_json::{Value, json};

/// `checkout-tax <command> --catalog F --tax-data F --at AT <extra...>`.
fn with_fixtures(command: &str, extra: &[&str], stdin: Option<&str>) -> Run {
    let catalog = fixture_arg("catalog.json");
    let table = fixture_arg("tax_rates.csv");
    let mut args = vec![
        command,
        "--catalog",
        &catalog,
        "--tax-data",
        &table,
        "--at",
        AT,
    ];
    args.extend_from_slice(extra);
    run(&args, stdin)
}

fn quote_file(request: &str, extra: &[&str]) -> Run {
    let path = temp_file("request.json", request);
    let mut args = extra.to_vec();
    args.push(&path);
    with_fixtures("quote", &args, None)
}

fn amounts(v: &Value) -> (Value, Value, Value, Value) {
    (
        v["currency"].clone(),
        v["amount_subtotal"].clone(),
        v["amount_tax"].clone(),
        v["amount_total"].clone(),
    )
}

fn usd(subtotal: i64, tax: i64, total: i64) -> (Value, Value, Value, Value) {
    (json!("USD"), json!(subtotal), json!(tax), json!(total))
}

/// A usage error: exit 2, a message on stderr, nothing on stdout.
fn assert_usage(r: &Run, mentions: &str) {
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stdout.is_empty(), "stdout should be empty: {r:?}");
    assert!(
        r.stderr.contains(mentions),
        "stderr should mention `{mentions}`: {r:?}"
    );
}

// --- quote ------------------------------------------------------------------------

#[test]
fn quote_prints_the_json_quote_and_exits_0() {
    // 999 x 8% = 79.92 -> 80; 1 079.
    let r = quote_file(SPEC_EXAMPLE, &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.is_empty(), "{r:?}");
    let q = r.json();
    assert_eq!(amounts(&q), usd(999, 80, 1_079));
    assert_eq!(q["tax_status"], "calculated");
    assert_eq!(q["client_reference_id"], "order_10042");
    assert_eq!(q["line_items"][0]["taxes"][0]["rate"], "8");
}

#[test]
fn dash_reads_the_request_from_stdin() {
    let r = with_fixtures("quote", &["-"], Some(SPEC_EXAMPLE));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(amounts(&r.json()), usd(999, 80, 1_079));
}

#[test]
fn a_refusal_is_the_json_error_on_stdout_with_exit_1() {
    let request = json!({"mode": "payment", "line_items": [
        {"price_id": "price_xxx", "quantity": 1},
        {"ad_hoc_amount": 500, "ad_hoc_currency": "usd", "quantity": 1},
    ]})
    .to_string();
    let r = with_fixtures("quote", &["-"], Some(&request));
    assert_eq!(r.code, 1, "{r:?}");
    let v = r.json();
    let keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&v), ["error"]);
    assert_eq!(keys(&v["error"]), ["code", "message", "param"]);
    assert_eq!(v["error"]["code"], "ad_hoc_not_allowed");
    assert_eq!(v["error"]["param"], "line_items[1].ad_hoc_amount");
    assert!(!v["error"]["message"].as_str().unwrap().is_empty());
}

#[test]
fn malformed_json_is_refused_with_exit_1_and_a_null_param() {
    let r = with_fixtures("quote", &["-"], Some("{\"mode\": \"payment\","));
    assert_eq!(r.code, 1, "{r:?}");
    let v = r.json();
    assert_eq!(v["error"]["code"], "invalid_request");
    assert_eq!(v["error"]["param"], Value::Null);
}

#[test]
fn table_format_shows_formatted_amounts() {
    // 9.99 USD, tax 0.80 USD, total 10.79 USD.
    let r = quote_file(SPEC_EXAMPLE, &["--format", "table"]);
    assert_eq!(r.code, 0, "{r:?}");
    for text in ["9.99 USD", "0.80 USD", "10.79 USD", "calculated", "US-CA"] {
        assert!(r.stdout.contains(text), "no `{text}` in:\n{}", r.stdout);
    }
    // JPY without decimals: 1 500 x 3 = 4 500; 4 500 x 10/110 = 409.09 -> 409.
    let jp = json!({"mode": "payment", "buyer_country": "JP",
        "line_items": [{"price_id": "price_widget_jpy", "quantity": 3}]});
    let r = quote_file(&jp.to_string(), &["--format", "table"]);
    assert_eq!(r.code, 0, "{r:?}");
    for text in ["4,500 JPY", "409 JPY"] {
        assert!(r.stdout.contains(text), "no `{text}` in:\n{}", r.stdout);
    }
    // KWD with three decimals: 12.345 + 1.848 = 14.193 (see `amounts`).
    let kw = json!({"mode": "payment", "buyer_country": "CA", "buyer_region": "QC",
        "line_items": [{"price_id": "price_widget_kwd", "quantity": 1}]});
    let r = quote_file(&kw.to_string(), &["--format", "table"]);
    assert_eq!(r.code, 0, "{r:?}");
    for text in ["12.345 KWD", "1.848 KWD", "14.193 KWD"] {
        assert!(r.stdout.contains(text), "no `{text}` in:\n{}", r.stdout);
    }
}

#[test]
fn merchant_flags_and_file_change_the_answer() {
    let ad_hoc = json!({"mode": "payment", "buyer_country": "US", "buyer_region": "CA",
        "line_items": [{"ad_hoc_amount": 500, "ad_hoc_currency": "usd", "quantity": 1}]})
    .to_string();
    // The default merchant is a Merchant of Record: refused.
    let r = with_fixtures("quote", &["-"], Some(&ad_hoc));
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.json()["error"]["code"], "ad_hoc_not_allowed");
    // Direct, by flag or by file: 500 x 8% = 40.
    let r = with_fixtures("quote", &["--merchant-type", "direct", "-"], Some(&ad_hoc));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(amounts(&r.json()), usd(500, 40, 540));
    let file = fixture_arg("merchant_direct.json");
    let r = with_fixtures("quote", &["--merchant", &file, "-"], Some(&ad_hoc));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(amounts(&r.json()), usd(500, 40, 540));
    // Registered in CA and US-TX only: a California buyer is not taxed.
    let file = fixture_arg("merchant_registered_ca.json");
    let r = with_fixtures("quote", &["--merchant", &file, "-"], Some(SPEC_EXAMPLE));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.json()["tax_status"], "not_collecting");
    assert_eq!(amounts(&r.json()), usd(999, 0, 999));
}

#[test]
fn rounding_flags() {
    // Quebec, 6 000: QST 598.5 -> 599 half up, 598 half even.
    let qc = json!({"mode": "payment", "buyer_country": "CA", "buyer_region": "QC",
        "line_items": [{"price_id": "price_widget_cad_60", "quantity": 1}]})
    .to_string();
    let r = with_fixtures("quote", &["-"], Some(&qc));
    assert_eq!(r.json()["amount_tax"], 899, "{r:?}");
    let r = with_fixtures("quote", &["--rounding-mode", "half_even", "-"], Some(&qc));
    assert_eq!(r.json()["amount_tax"], 898, "{r:?}");
    // Three lines of 10.06 in California: 240 by line, 241 by document.
    let lines = json!({"mode": "payment", "buyer_country": "US", "buyer_region": "CA",
        "line_items": [
            {"ad_hoc_amount": 1006, "ad_hoc_currency": "usd", "quantity": 1},
            {"ad_hoc_amount": 1006, "ad_hoc_currency": "usd", "quantity": 1},
            {"ad_hoc_amount": 1006, "ad_hoc_currency": "usd", "quantity": 1}]})
    .to_string();
    let r = with_fixtures("quote", &["--merchant-type", "direct", "-"], Some(&lines));
    assert_eq!(r.json()["amount_tax"], 240, "{r:?}");
    let r = with_fixtures(
        "quote",
        &[
            "--merchant-type",
            "direct",
            "--rounding-level",
            "document",
            "-",
        ],
        Some(&lines),
    );
    assert_eq!(r.json()["amount_tax"], 241, "{r:?}");
}

// --- verify -------------------------------------------------------------------------

fn verify(response: &Value, extra: &[&str]) -> Run {
    let request = temp_file("request.json", SPEC_EXAMPLE);
    let response = temp_file("response.json", &response.to_string());
    let mut args = extra.to_vec();
    args.push(&request);
    args.push(&response);
    with_fixtures("verify", &args, None)
}

fn envelope(session: Value) -> Value {
    json!({"success": true, "message": "session created", "data": {"session": session}})
}

#[test]
fn verify_exits_0_when_the_service_agrees() {
    // Currency in lower case still matches.
    let session = json!({"id": "cs_1", "currency": "usd",
        "amount_subtotal": 999, "amount_tax": 80, "amount_total": 1079});
    let r = verify(&envelope(session.clone()), &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.json()["match"], true);
    assert_eq!(r.json()["mismatches"], json!([]));
    // A bare session object too.
    let r = verify(&session, &[]);
    assert_eq!(r.code, 0, "{r:?}");
}

#[test]
fn verify_exits_1_listing_every_mismatch() {
    let session = json!({"currency": "eur",
        "amount_subtotal": 999, "amount_tax": 79, "amount_total": 1078});
    let r = verify(&envelope(session), &[]);
    assert_eq!(r.code, 1, "{r:?}");
    let v = r.json();
    assert_eq!(v["match"], false);
    assert_eq!(
        v["mismatches"],
        json!([
            {"field": "currency", "expected": "USD", "actual": "eur"},
            {"field": "amount_tax", "expected": 80, "actual": 79},
            {"field": "amount_total", "expected": 1079, "actual": 1078},
        ])
    );
}

#[test]
fn verify_table_lists_field_expected_and_actual() {
    let session = json!({"currency": "USD",
        "amount_subtotal": 999, "amount_tax": 79, "amount_total": 1079});
    let r = verify(&envelope(session), &["--format", "table"]);
    assert_eq!(r.code, 1, "{r:?}");
    let row = r
        .stdout
        .lines()
        .find(|l| l.starts_with("amount_tax"))
        .unwrap_or_else(|| panic!("no amount_tax row:\n{}", r.stdout));
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cells, ["amount_tax", "80", "79"]);
    for header in ["field", "expected", "actual"] {
        assert!(r.stdout.contains(header), "{}", r.stdout);
    }
}

#[test]
fn verify_shows_the_refusal_when_the_engine_refuses_the_request() {
    let request =
        r#"{"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantitiy": 1}]}"#;
    let response = temp_file(
        "response.json",
        &json!({"currency": "usd", "amount_subtotal": 999, "amount_tax": 0, "amount_total": 999})
            .to_string(),
    );
    // The request from stdin, the response from a file.
    let r = with_fixtures("verify", &["-", &response], Some(request));
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.json()["error"]["code"], "unknown_field");
    assert_eq!(r.json()["error"]["param"], "line_items[0].quantitiy");
}

#[test]
fn verify_a_setup_session_whose_currency_is_null() {
    let request = temp_file("request.json", r#"{"mode": "setup"}"#);
    let agree = temp_file(
        "response.json",
        r#"{"currency": null, "amount_subtotal": 0, "amount_tax": 0, "amount_total": 0}"#,
    );
    let r = with_fixtures("verify", &[&request, &agree], None);
    assert_eq!(r.code, 0, "{r:?}");
    let differ = temp_file(
        "response.json",
        r#"{"currency": "usd", "amount_subtotal": 0, "amount_tax": 0, "amount_total": 0}"#,
    );
    let r = with_fixtures("verify", &[&request, &differ], None);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(
        r.json()["mismatches"],
        json!([{"field": "currency", "expected": null, "actual": "usd"}])
    );
}

// --- rates --------------------------------------------------------------------------

fn rates(at: &str, extra: &[&str]) -> Run {
    let table = fixture_arg("tax_rates.csv");
    let mut args = vec!["rates", "--tax-data", &table, "--at", at];
    args.extend_from_slice(extra);
    run(&args, None)
}

fn rate_rows(r: &Run) -> Vec<(String, String, String, String)> {
    assert_eq!(r.code, 0, "{r:?}");
    r.json()["rates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["jurisdiction"].as_str().unwrap().to_owned(),
                row["tax_name"].as_str().unwrap().to_owned(),
                row["category"].as_str().unwrap().to_owned(),
                row["rate"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn row(j: &str, name: &str, category: &str, rate: &str) -> (String, String, String, String) {
    (j.into(), name.into(), category.into(), rate.into())
}

#[test]
fn rates_lists_what_is_in_force_at_the_date() {
    assert_eq!(
        rate_rows(&rates("2024-08-31", &["FI"])),
        [row("FI", "VAT", "*", "24")]
    );
    assert_eq!(
        rate_rows(&rates("2024-09-01", &["fi"])),
        [row("FI", "VAT", "*", "25.5")]
    );
    // A country names itself and its regions, in file order.
    assert_eq!(
        rate_rows(&rates(AT, &["CA"])),
        [
            row("CA", "GST", "*", "5"),
            row("CA-QC", "GST", "*", "5"),
            row("CA-QC", "QST", "*", "9.975"),
            row("CA-ON", "HST", "*", "13"),
            row("CA-BC", "GST", "*", "5"),
            row("CA-BC", "PST", "*", "7"),
        ]
    );
    // A region names only itself.
    assert_eq!(
        rate_rows(&rates(AT, &["US-TX"])),
        [
            row("US-TX", "Sales tax", "*", "6.25"),
            row("US-TX", "Sales tax", "digital_services", "5"),
        ]
    );
    // No names: every row in force. 26 rows, of which 7 have ended by
    // 2025-06-01 (DE 19 to 2020, DE 16, DE ebooks 7 to 2020, DE ebooks 5,
    // FI 24, JP 8, SA 5): 19.
    assert_eq!(rate_rows(&rates(AT, &[])).len(), 19);
}

#[test]
fn rates_table_shows_percentages() {
    let r = rates("2024-09-01", &["--format", "table", "FI", "CA-QC"]);
    assert_eq!(r.code, 0, "{r:?}");
    for text in ["25.5%", "9.975%", "2024-09-01"] {
        assert!(r.stdout.contains(text), "no `{text}` in:\n{}", r.stdout);
    }
    assert!(!r.stdout.contains("24%"), "{}", r.stdout);
}

// --- batch --------------------------------------------------------------------------

#[test]
fn batch_answers_every_line_in_order() {
    let good = SPEC_EXAMPLE.replace('\n', " ");
    let input = format!(
        "{good}\n{{\"mode\": \"payment\", \"line_items\": [{{\"price_id\": \"price_nope\", \"quantity\": 1}}]}}\n{good}\n"
    );
    let r = with_fixtures("batch", &[], Some(&input));
    assert_eq!(r.code, 0, "{r:?}");
    let lines: Vec<Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{}", r.stdout);
    assert_eq!(amounts(&lines[0]), usd(999, 80, 1_079));
    assert_eq!(lines[1]["error"]["code"], "unknown_price");
    assert_eq!(lines[1]["error"]["param"], "line_items[0].price_id");
    assert_eq!(amounts(&lines[2]), usd(999, 80, 1_079));
}

// --- usage errors: exit 2, message on stderr -------------------------------------------

#[test]
fn usage_errors_exit_2_with_a_message() {
    // An unknown flag.
    assert_usage(
        &with_fixtures("quote", &["--frobnicate", "-"], Some(SPEC_EXAMPLE)),
        "--frobnicate",
    );
    // A request file that does not exist.
    assert_usage(
        &with_fixtures("quote", &["/nonexistent/request.json"], None),
        "/nonexistent/request.json",
    );
    // A date that is not YYYY-MM-DD.
    let catalog = fixture_arg("catalog.json");
    assert_usage(
        &run(
            &["quote", "--catalog", &catalog, "--at", "2025-13-01", "-"],
            Some(SPEC_EXAMPLE),
        ),
        "2025-13-01",
    );
    // An unknown format.
    assert_usage(
        &with_fixtures("quote", &["--format", "xml", "-"], Some(SPEC_EXAMPLE)),
        "xml",
    );
    // An unreadable catalog.
    assert_usage(
        &run(
            &["quote", "--catalog", "/nonexistent/catalog.json", "-"],
            Some(SPEC_EXAMPLE),
        ),
        "/nonexistent/catalog.json",
    );
    // A catalog that is not a catalog.
    let not_catalog = temp_file("catalog.json", "[1, 2]");
    assert_usage(
        &run(
            &["quote", "--catalog", &not_catalog, "-"],
            Some(SPEC_EXAMPLE),
        ),
        "catalog",
    );
    // A response that is not JSON.
    let request = temp_file("request.json", SPEC_EXAMPLE);
    let response = temp_file("response.json", "not json");
    assert_usage(
        &with_fixtures("verify", &[&request, &response], None),
        "JSON",
    );
    // verify without its RESPONSE argument.
    assert_usage(&with_fixtures("verify", &[&request], None), "RESPONSE");
    // A jurisdiction that is not one.
    assert_usage(&rates(AT, &["ZZ"]), "ZZ");
    // No command at all.
    let r = run(&[], None);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(!r.stderr.is_empty(), "{r:?}");
}

#[test]
fn rates_before_the_embedded_table_covers_are_refused() {
    let r = run(&["rates", "--at", "2023-12-31", "FI"], None);
    assert_usage(&r, "2024-01-01");
    let r = run(&["rates", "--at", "2024-01-01", "FI"], None);
    assert_eq!(r.code, 0, "{r:?}");
}
