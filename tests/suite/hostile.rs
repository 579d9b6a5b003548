//! Hostile input (issue 6). Every nasty request that must be refused is a
//! case of `tests/corpus/refusals.json` (run by `refusals` through the
//! library, `Engine::quote_json` and the CLI); here are the hostile requests
//! that must still be quoted, then the CLI's `batch` on lines that are not
//! requests at all, and hostile files given to `quote` and `verify`.
//!
//! Quotes use the example catalog and the corpus's small tax table
//! (`tests/corpus/small_rates.csv`), never the shipped one, so a data update
//! cannot move an answer.

use crate::support;
use crate::support::AT;
use checkout_tax::{Catalog, Date, Engine, MerchantType, RateTable, SessionRequest};
use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, OnceLock};

const CATALOG: &str = include_str!("../../examples/catalog.json");
const CATALOG_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/catalog.json");

/// The corpus's small tax table: one exclusive and one inclusive jurisdiction.
const TABLE: &str = include_str!("../corpus/small_rates.csv");

/// Prices near int64's edge, for the overflow cases.
const BIG_CATALOG: &str = include_str!("../corpus/big_catalog.json");

/// A valid line of the example catalog.
const LINE: &str = r#"{"price_id":"price_xxx","quantity":1}"#;

fn date() -> Date {
    checkout_tax::parse_date(AT).unwrap()
}

fn table() -> Arc<RateTable> {
    static TABLE_ONCE: OnceLock<Arc<RateTable>> = OnceLock::new();
    Arc::clone(TABLE_ONCE.get_or_init(|| Arc::new(RateTable::from_csv(TABLE).unwrap())))
}

fn engine_with(catalog: &str, t: MerchantType) -> Engine {
    Engine::builder()
        .catalog(Catalog::from_json(catalog).unwrap())
        .merchant(checkout_tax::Merchant::new(t))
        .tax_table(table())
        .build()
        .unwrap()
}

/// Merchant of Record, example catalog.
fn mor() -> Engine {
    engine_with(CATALOG, MerchantType::MerchantOfRecord)
}

/// Direct merchant (ad hoc amounts allowed), example catalog.
fn direct() -> Engine {
    engine_with(CATALOG, MerchantType::Direct)
}

/// A payment request with these lines and extra top-level fields.
fn payment(lines: &str, extra: &str) -> String {
    let sep = if extra.is_empty() { "" } else { "," };
    format!(r#"{{"mode":"payment","line_items":[{lines}]{sep}{extra}}}"#)
}

fn ad_hoc(amount: &str, quantity: &str) -> String {
    format!(r#"{{"ad_hoc_amount":{amount},"ad_hoc_currency":"usd","quantity":{quantity}}}"#)
}

/// Shortens a body for a failure message.
fn show(body: &str) -> String {
    let mut s: String = body.chars().take(160).collect();
    if s.len() < body.len() {
        s.push_str(&format!("... ({} bytes)", body.len()));
    }
    s
}

/// The body is quoted (and keeps the quote laws); returns the quote's JSON.
#[track_caller]
fn assert_quoted(engine: &Engine, body: &str) -> Value {
    let quote = SessionRequest::from_json(body).and_then(|r| {
        let q = engine.quote(&r, date())?;
        support::assert_quote_laws(&q);
        Ok(serde_json::to_value(&q).unwrap())
    });
    quote.unwrap_or_else(|e| panic!("refused ({}, {:?}): {}", e.code(), e.param(), show(body)))
}

// ------------------------------------------------------------ still quoted

#[test]
fn white_space_around_the_object_is_json_own() {
    let ok = payment(LINE, "");
    assert_quoted(&mor(), &format!(" \r\n\t{ok} \n\t "));
}

#[test]
fn empty_reference_and_description_are_quoted() {
    let q = assert_quoted(
        &mor(),
        &payment(
            r#"{"price_id":"price_xxx","quantity":1,"description":""}"#,
            r#""client_reference_id":"""#,
        ),
    );
    assert_eq!(q["client_reference_id"], "");
}

#[test]
fn quantities_1_and_999_999_are_quoted() {
    let e = mor();
    let q = |quantity: &str| {
        payment(
            &format!(r#"{{"price_id":"price_xxx","quantity":{quantity}}}"#),
            "",
        )
    };
    assert_quoted(&e, &q("1"));
    let max = assert_quoted(&e, &q("999999"));
    assert_eq!(max["amount_subtotal"], 999 * 999_999);
}

#[test]
fn ad_hoc_amounts_0_and_int64_max_are_quoted() {
    let d = direct();
    // 2^63 - 1 is an amount (2^63 is not: a refusal case).
    let max = assert_quoted(&d, &payment(&ad_hoc("9223372036854775807", "1"), ""));
    assert_eq!(max["amount_total"], i64::MAX);
    assert_eq!(max["tax_status"], "requires_location");
    assert_quoted(&d, &payment(&ad_hoc("0", "1"), ""));
}

#[test]
fn amounts_just_inside_int64_are_quoted() {
    let d = direct();
    assert_quoted(&d, &payment(&ad_hoc("4611686018427387903", "2"), ""));
    // Inclusive tax is inside the price: int64::MAX is still quoted.
    let q = assert_quoted(
        &d,
        &payment(
            &ad_hoc("9223372036854775807", "1"),
            r#""buyer_country":"DE""#,
        ),
    );
    assert_eq!(q["amount_total"], i64::MAX);
    assert_eq!(q["amount_tax"], 1_472_639_232_775_132_272_i64); // round(MAX x 19/119)

    // Catalog prices near the edge.
    let big = engine_with(BIG_CATALOG, MerchantType::MerchantOfRecord);
    let line =
        |price: &str, quantity: u32| format!(r#"{{"price_id":"{price}","quantity":{quantity}}}"#);
    assert_quoted(&big, &payment(&line("price_max", 1), ""));
    assert_quoted(&big, &payment(&line("price_10t", 922_337), ""));
}

#[test]
fn null_in_an_optional_field_changes_nothing() {
    let e = mor();
    assert_quoted(&e, r#"{"mode":"setup","line_items":null}"#);
    let plain = assert_quoted(&e, &payment(LINE, r#""buyer_country":"DE""#));
    let all_null = assert_quoted(
        &e,
        r#"{"mode":"payment","presentation":null,
            "line_items":[{"price_id":"price_xxx","product_id":null,"quantity":1,
                           "ad_hoc_amount":null,"ad_hoc_currency":null,"description":null}],
            "customer_email":null,"success_url":null,"cancel_url":null,
            "buyer_country":"DE","buyer_region":null,"client_reference_id":null}"#,
    );
    assert_eq!(plain, all_null);
    assert_eq!(all_null["client_reference_id"], Value::Null);
    // No location at all: quoted, tax not calculated.
    let nowhere = assert_quoted(&e, &payment(LINE, r#""buyer_country":null"#));
    assert_eq!(nowhere["tax_status"], "requires_location");
    assert_eq!(nowhere["amount_tax"], 0);
}

#[test]
fn free_text_keeps_whatever_it_is_given() {
    // Echoed exactly.
    let q = assert_quoted(
        &mor(),
        &payment(
            r#"{"price_id":"price_xxx","quantity":1,"description":"\u0000\u202e\t😀 \"q\""}"#,
            r#""client_reference_id":"order\u0000\u001f\ud83d\ude00é""#,
        ),
    );
    assert_eq!(q["client_reference_id"], "order\u{0}\u{1f}😀é");
    assert_eq!(q["line_items"][0]["description"], "\u{0}\u{202e}\t😀 \"q\"");
}

#[test]
fn strings_at_their_limits_are_quoted() {
    let e = mor();
    let long = |n: usize| "x".repeat(n);
    let described = |n: usize| {
        payment(
            &format!(
                r#"{{"price_id":"price_xxx","quantity":1,"description":"{}"}}"#,
                long(n)
            ),
            "",
        )
    };
    assert_quoted(&e, &described(1000));
    let top = |field: &str, value: &str| payment(LINE, &format!(r#""{field}":"{value}""#));
    assert_quoted(&e, &top("client_reference_id", &long(200)));
    let email = format!("{}@{}.{}.{}.com", long(64), long(61), long(61), long(61));
    assert_eq!(email.len(), 254);
    assert_quoted(&e, &top("customer_email", &email));
    for field in ["success_url", "cancel_url"] {
        let url = |n: usize| format!("https://example.com/{}", long(n - 20));
        assert_eq!(url(2048).len(), 2048);
        assert_quoted(&e, &top(field, &url(2048)));
    }
}

#[test]
fn one_hundred_line_items_and_one_mebibyte_are_quoted() {
    let e = mor();
    let lines = |n: usize| vec![LINE; n].join(",");
    let q = assert_quoted(&e, &payment(&lines(100), ""));
    assert_eq!(q["line_items"].as_array().unwrap().len(), 100);
    let ok = payment(LINE, "");
    let padded = |total: usize| format!("{ok}{}", " ".repeat(total - ok.len()));
    assert_quoted(&e, &padded(1 << 20));
}

#[test]
fn a_location_in_odd_but_valid_case_is_quoted() {
    let q = assert_quoted(
        &mor(),
        &payment(LINE, r#""buyer_country":"us","buyer_region":"us-ca""#),
    );
    assert_eq!(q["tax_jurisdiction"], "US-CA");
}

// ------------------------------------------------------------ the CLI

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_checkout-tax")
}

/// A scratch directory for this test binary's files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("checkout-tax-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// This file's table on disk, written once (tests run in parallel).
fn table_file() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let path = scratch("table.csv");
        std::fs::write(&path, TABLE).unwrap();
        path
    })
    .clone()
}

/// Runs the CLI with `args`, `stdin` as its input.
fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(binary())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        // The CLI may exit before reading everything (exit 2): ignore EPIPE.
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

fn batch(threads: &str, input: &[u8]) -> Output {
    let table = table_file();
    let out = run(
        &[
            "batch",
            "--catalog",
            CATALOG_PATH,
            "--merchant-type",
            "direct",
            "--tax-data",
            table.to_str().unwrap(),
            "--at",
            AT,
            "--threads",
            threads,
        ],
        input,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn batch_answers_every_line_whatever_it_is() {
    let valid = payment(LINE, r#""buyer_country":"US","buyer_region":"CA""#);
    let ten_mb = format!(
        r#"{{"mode":"payment","client_reference_id":"{}"}}"#,
        "x".repeat(10 << 20)
    );
    let cases: Vec<(Vec<u8>, Option<&str>)> = vec![
        (valid.clone().into_bytes(), None),
        (b"not json".to_vec(), Some("invalid_request")),
        (valid.as_bytes()[..valid.len() / 2].to_vec(), Some("invalid_request")),
        (Vec::new(), Some("invalid_request")),
        (b"   ".to_vec(), Some("invalid_request")),
        (ten_mb.into_bytes(), Some("limit_exceeded")),
        (b"\xff\xfe{\"mode\":\"payment\"}".to_vec(), Some("invalid_request")),
        (
            format!(r#"{{"mode":"payment","line_items":[{{"price_id":"price_xxx","quantity":1,"description":"{}"}}]}}"#, "\u{0}")
                .into_bytes()
                .into_iter()
                .chain(b"\xc3\x28".iter().copied())
                .collect(),
            Some("invalid_request"),
        ),
        ("[".repeat(100_000).into_bytes(), Some("invalid_request")),
        (b"\x00\x00\x00".to_vec(), Some("invalid_request")),
        (format!("\u{feff}{valid}").into_bytes(), Some("invalid_request")),
        (format!("{valid} trailing").into_bytes(), Some("invalid_request")),
        (payment(&ad_hoc("9223372036854775807", "2"), "").into_bytes(), Some("amount_too_large")),
        (payment(&vec![LINE; 101].join(","), "").into_bytes(), Some("limit_exceeded")),
        (format!("{valid}\r").into_bytes(), None), // CRLF line ending
        (valid.clone().into_bytes(), None),
    ];
    let mut input = Vec::new();
    for (line, _) in &cases {
        input.extend_from_slice(line);
        input.push(b'\n');
    }
    for threads in ["1", "3"] {
        let out = batch(threads, &input);
        let lines: Vec<&[u8]> = out.stdout.split(|b| *b == b'\n').collect();
        assert_eq!(lines.last(), Some(&&b""[..]), "output ends with a newline");
        assert_eq!(
            lines.len() - 1,
            cases.len(),
            "one output line per input line"
        );
        for (i, ((_, code), answer)) in cases.iter().zip(&lines).enumerate() {
            let v: Value = serde_json::from_slice(answer)
                .unwrap_or_else(|e| panic!("line {i} is not JSON: {e}"));
            match code {
                None => assert_eq!(v["amount_total"], 1071, "line {i}: {v}"),
                Some(code) => assert_eq!(v["error"]["code"], *code, "line {i}: {v}"),
            }
        }
    }
    // A last line without its newline is still a line.
    let out = batch("1", format!("not json\n{valid}").as_bytes());
    assert_eq!(out.stdout.iter().filter(|b| **b == b'\n').count(), 2);
}

/// A few thousand lines of every kind, from a fixed seed.
fn mixed_input(lines: usize) -> Vec<u8> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let kinds: Vec<Vec<u8>> = vec![
        payment(LINE, r#""buyer_country":"US","buyer_region":"CA""#).into_bytes(),
        payment(
            r#"{"price_id":"price_widget_eur","quantity":3}"#,
            r#""buyer_country":"DE""#,
        )
        .into_bytes(),
        payment(
            &ad_hoc("1999", "7"),
            r#""buyer_country":"US","buyer_region":"CA""#,
        )
        .into_bytes(),
        r#"{"mode":"setup"}"#.as_bytes().to_vec(),
        b"not json".to_vec(),
        Vec::new(),
        b"\xff".to_vec(),
        payment(&ad_hoc("9223372036854775807", "2"), "").into_bytes(),
        payment(r#"{"price_id":"price_nope","quantity":1}"#, "").into_bytes(),
        payment(r#"{"price_id":"price_xxx","quantity":1.5}"#, "").into_bytes(),
        "[".repeat(5000).into_bytes(),
    ];
    let mut input = Vec::new();
    for i in 0..lines {
        let r = next();
        let mut line = kinds[(r % kinds.len() as u64) as usize].clone();
        if r % 7 == 0 && !line.is_empty() {
            // Truncate some lines at a pseudo-random point.
            line.truncate(((r >> 8) % line.len() as u64) as usize);
        }
        if r % 11 == 0 {
            // Vary the amounts so that answers differ line by line.
            line = payment(
                &ad_hoc(&(i * 37).to_string(), &((r >> 20) % 9 + 1).to_string()),
                r#""buyer_country":"DE""#,
            )
            .into_bytes();
        }
        input.extend_from_slice(&line);
        input.push(b'\n');
    }
    input
}

#[test]
fn batch_threads_give_identical_output() {
    let input = mixed_input(3000);
    let one = batch("1", &input);
    let two = batch("2", &input);
    assert_eq!(one.stdout.iter().filter(|b| **b == b'\n').count(), 3000);
    assert!(
        one.stdout == two.stdout,
        "--threads 2 differs from --threads 1"
    );
    let eight = batch("8", &input);
    assert!(
        one.stdout == eight.stdout,
        "--threads 8 differs from --threads 1"
    );
}

#[test]
fn quote_and_verify_survive_hostile_files() {
    let table = table_file();
    let t = table.to_str().unwrap();
    let nasty = scratch("nasty.json");
    for body in [
        b"\xff\xfe".to_vec(),
        "[".repeat(100_000).into_bytes(),
        Vec::new(),
        payment(&ad_hoc("9223372036854775807", "2"), "").into_bytes(),
    ] {
        std::fs::write(&nasty, &body).unwrap();
        let out = run(
            &[
                "quote",
                "--catalog",
                CATALOG_PATH,
                "--tax-data",
                t,
                "--at",
                AT,
                nasty.to_str().unwrap(),
            ],
            b"",
        );
        // Refused (1) with a JSON error, or unreadable as text (2): never a crash.
        match out.status.code() {
            Some(1) => {
                let v: Value = serde_json::from_slice(&out.stdout).unwrap();
                assert!(v["error"]["code"].is_string(), "{v}");
            }
            Some(2) => assert!(!out.stderr.is_empty()),
            other => panic!("exit {other:?}: {}", String::from_utf8_lossy(&out.stderr)),
        }
    }
    // verify with a valid request and hostile responses.
    let request = scratch("valid.json");
    std::fs::write(
        &request,
        payment(LINE, r#""buyer_country":"US","buyer_region":"CA""#),
    )
    .unwrap();
    for response in [
        "null",
        "[]",
        "\"x\"",
        r#"{"data":{"session":[]}}"#,
        r#"{"currency":"usd","amount_subtotal":999.0,"amount_tax":72,"amount_total":1071}"#,
        r#"{"currency":"usd","amount_subtotal":1e400}"#,
        &"[".repeat(100_000),
    ] {
        std::fs::write(&nasty, response).unwrap();
        let out = run(
            &[
                "verify",
                "--catalog",
                CATALOG_PATH,
                "--tax-data",
                t,
                "--at",
                AT,
                request.to_str().unwrap(),
                nasty.to_str().unwrap(),
            ],
            b"",
        );
        assert!(
            matches!(out.status.code(), Some(1 | 2)),
            "{response:.40}: {:?}",
            out.status
        );
    }
    let ok = scratch("ok.json");
    std::fs::write(
        &ok,
        r#"{"currency":"USD","amount_subtotal":999,"amount_tax":72,"amount_total":1071}"#,
    )
    .unwrap();
    let out = run(
        &[
            "verify",
            "--catalog",
            CATALOG_PATH,
            "--tax-data",
            t,
            "--at",
            AT,
            request.to_str().unwrap(),
            ok.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
