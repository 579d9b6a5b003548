//! Hostile input (issue 6): a corpus of nasty requests, each with the exact
//! error code (and `param`) it must get, or the quote it must still get;
//! then the CLI's `batch` on lines that are not requests at all, and
//! malformed tax data through the CLI.
//!
//! Quotes use the example catalog and this file's own small tax table, never
//! the shipped one, so a data update cannot move an answer. Every refusal is
//! also checked through `Engine::quote_json`, the batch's unit of work.

use checkout_tax::{
    Catalog, Date, Engine, Error, Merchant, MerchantType, RateTable, SessionRequest,
};
use serde_json::{Value, json};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, OnceLock};

const AT: &str = "2025-06-01";
const CATALOG: &str = include_str!("../../examples/catalog.json");
const CATALOG_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/catalog.json");

/// This file's tax table: one exclusive and one inclusive jurisdiction.
const TABLE: &str = "jurisdiction,regime,tax_name,category,rate,valid_from,valid_to,source
US-CA,exclusive,Sales tax,*,7.25,,,https://www.cdtfa.ca.gov/
DE,inclusive,VAT,*,19,,,https://www.gesetze-im-internet.de/ustg_1980/__12.html
";

/// Prices near int64's edge, for the overflow cases.
const BIG_CATALOG: &str = r#"{
  "products": [{"id": "prod_big", "default_price": "price_max"}],
  "prices": [
    {"id": "price_max", "product": "prod_big", "currency": "usd", "unit_amount": 9223372036854775807},
    {"id": "price_half", "product": "prod_big", "currency": "usd", "unit_amount": 4611686018427387904},
    {"id": "price_10t", "product": "prod_big", "currency": "usd", "unit_amount": 10000000000000}
  ]
}"#;

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
        .merchant(Merchant::new(t))
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

type Refusal = (String, Option<String>);

fn refusal(e: &Error) -> Refusal {
    (e.code().as_str().to_owned(), e.param().map(str::to_owned))
}

/// The quote's JSON, or the refusal's code and param.
fn answer(engine: &Engine, body: &str) -> Result<Value, Refusal> {
    let request = SessionRequest::from_json(body).map_err(|e| refusal(&e))?;
    let quote = engine.quote(&request, date()).map_err(|e| refusal(&e))?;
    Ok(serde_json::to_value(&quote).unwrap())
}

/// Shortens a body for a failure message.
fn show(body: &str) -> String {
    let mut s: String = body.chars().take(160).collect();
    if s.len() < body.len() {
        s.push_str(&format!("... ({} bytes)", body.len()));
    }
    s
}

/// The body is refused with exactly this code and param, by the library
/// and by the batch's line answerer.
#[track_caller]
fn assert_refused(engine: &Engine, body: &str, code: &str, param: Option<&str>) {
    let got = answer(engine, body);
    let expected: Result<Value, Refusal> = Err((code.to_owned(), param.map(str::to_owned)));
    assert_eq!(got, expected, "for {}", show(body));
    let mut line = Vec::new();
    assert!(
        !engine
            .quote_json(body.as_bytes(), date(), &mut line)
            .is_quote()
    );
    let v: Value = serde_json::from_slice(&line).unwrap();
    assert_eq!(v["error"]["code"], code, "batch, for {}", show(body));
    assert_eq!(
        v["error"]["param"],
        json!(param),
        "batch, for {}",
        show(body)
    );
}

/// The body is quoted; returns the quote's JSON.
#[track_caller]
fn assert_quoted(engine: &Engine, body: &str) -> Value {
    match answer(engine, body) {
        Ok(v) => v,
        Err(e) => panic!("refused {e:?}: {}", show(body)),
    }
}

// ------------------------------------------------------------ not a request

#[test]
fn not_a_request_object() {
    let e = mor();
    let ok = payment(LINE, "");
    for body in [
        "",
        " ",
        "\n",
        "not json",
        "null",
        "true",
        "1",
        "\"payment\"",
        "[]",
        "[{\"mode\":\"payment\"}]",
        "{",
        "{\"mode\":\"payment\"",
        &ok[..ok.len() - 1], // truncated
        &format!("{ok} x"),  // trailing garbage
        &format!("{ok}{ok}"),
        &format!("{ok},"),
        &format!("\u{feff}{ok}"), // byte order mark: not JSON's
        "{'mode':'payment'}",
        "{mode:\"payment\"}",
        "{\"mode\":\"payment\",}",
    ] {
        assert_refused(&e, body, "invalid_request", None);
    }
    // Cut inside a field: the fault is that field's.
    for (body, param) in [
        (r#"{"mode""#, "mode"),
        (r#"{"mode":"#, "mode"),
        (r#"{"mode":"pay"#, "mode"),
        (r#"{"mode":"payment","line_items":["#, "line_items[0]"),
        (
            r#"{"mode":"payment","line_items":[{"price_id""#,
            "line_items[0].price_id",
        ),
        (
            r#"{"mode":"payment","line_items":[{"price_id":"price_xxx","#,
            "line_items[0]",
        ),
        (
            r#"{"mode":"payment","line_items":[{"quantity":1"#,
            "line_items[0]",
        ),
    ] {
        assert_refused(&e, body, "invalid_request", Some(param));
    }
    // White space around the object is JSON's own.
    assert_quoted(&e, &format!(" \r\n\t{ok} \n\t "));
}

#[test]
fn empty_things() {
    let e = mor();
    assert_refused(&e, "{}", "invalid_mode", Some("mode"));
    assert_refused(&e, r#"{"mode":""}"#, "invalid_mode", Some("mode"));
    assert_refused(
        &e,
        r#"{"mode":"payment"}"#,
        "missing_line_items",
        Some("line_items"),
    );
    assert_refused(
        &e,
        &payment("", ""),
        "missing_line_items",
        Some("line_items"),
    );
    assert_refused(
        &e,
        &payment("{}", ""),
        "invalid_line_item",
        Some("line_items[0]"),
    );
    assert_refused(&e, r#"{"":1}"#, "unknown_field", Some(""));
    assert_refused(
        &e,
        &payment(r#"{"":1}"#, ""),
        "unknown_field",
        Some("line_items[0]."),
    );
    assert_refused(
        &e,
        &payment(LINE, r#""presentation":"""#),
        "invalid_presentation",
        Some("presentation"),
    );
    assert_refused(
        &e,
        &payment(r#"{"price_id":"","quantity":1}"#, ""),
        "unknown_price",
        Some("line_items[0].price_id"),
    );
    assert_refused(
        &e,
        &payment(r#"{"product_id":"","quantity":1}"#, ""),
        "unknown_product",
        Some("line_items[0].product_id"),
    );
    assert_refused(
        &direct(),
        &payment(
            r#"{"ad_hoc_amount":1,"ad_hoc_currency":"","quantity":1}"#,
            "",
        ),
        "invalid_currency",
        Some("line_items[0].ad_hoc_currency"),
    );
    for (field, code) in [
        ("customer_email", "invalid_email"),
        ("success_url", "invalid_url"),
        ("cancel_url", "invalid_url"),
        ("buyer_country", "invalid_country"),
    ] {
        let body = payment(LINE, &format!(r#""{field}":"""#));
        assert_refused(&e, &body, code, Some(field));
    }
    assert_refused(
        &e,
        &payment(LINE, r#""buyer_country":"US","buyer_region":"""#),
        "invalid_region",
        Some("buyer_region"),
    );
    // Empty strings that are fine: a reference and a description.
    let q = assert_quoted(
        &e,
        &payment(
            r#"{"price_id":"price_xxx","quantity":1,"description":""}"#,
            r#""client_reference_id":"""#,
        ),
    );
    assert_eq!(q["client_reference_id"], "");
}

// ------------------------------------------------------------ wrong types

/// Values of every JSON type but string.
const NOT_STRINGS: [&str; 6] = ["1", "1.5", "true", "[]", "{}", "[\"payment\"]"];

#[test]
fn wrong_type_in_every_top_level_field() {
    let e = mor();
    for field in [
        "mode",
        "presentation",
        "customer_email",
        "success_url",
        "cancel_url",
        "buyer_country",
        "buyer_region",
        "client_reference_id",
    ] {
        for value in NOT_STRINGS {
            let body = if field == "mode" {
                format!(r#"{{"mode":{value},"line_items":[{LINE}]}}"#)
            } else {
                payment(LINE, &format!(r#""{field}":{value}"#))
            };
            assert_refused(&e, &body, "invalid_request", Some(field));
        }
    }
    for value in ["1", "\"x\"", "true", "{}", "{\"price_id\":\"price_xxx\"}"] {
        let body = format!(r#"{{"mode":"payment","line_items":{value}}}"#);
        assert_refused(&e, &body, "invalid_request", Some("line_items"));
    }
    // An element of line_items that is not an object.
    for value in ["1", "\"x\"", "true", "null", "[]", "[{}]"] {
        let body = payment(value, "");
        assert_refused(&e, &body, "invalid_request", Some("line_items[0]"));
        let body = payment(&format!("{LINE},{value}"), "");
        assert_refused(&e, &body, "invalid_request", Some("line_items[1]"));
    }
}

#[test]
fn wrong_type_in_every_line_field() {
    let (e, d) = (mor(), direct());
    for field in ["price_id", "product_id", "ad_hoc_currency", "description"] {
        for value in NOT_STRINGS {
            let body = payment(&format!(r#"{{"{field}":{value},"quantity":1}}"#), "");
            let param = format!("line_items[0].{field}");
            assert_refused(&e, &body, "invalid_request", Some(&param));
            assert_refused(&d, &body, "invalid_request", Some(&param));
        }
    }
    // Integers: a string, a boolean, an array or an object is a wrong type
    // (a number that is not an integer is a wrong value, below).
    for field in ["quantity", "ad_hoc_amount"] {
        for value in ["\"1\"", "\"\"", "true", "[]", "[1]", "{}", "{\"v\":1}"] {
            let body =
                payment(
                    &format!(r#"{{"price_id":"price_xxx","quantity":1,"{field}":{value}}}"#)
                        .replacen(r#""quantity":1,"quantity""#, r#""quantity""#, 1),
                    "",
                );
            let param = format!("line_items[0].{field}");
            assert_refused(&d, &body, "invalid_request", Some(&param));
        }
    }
}

// ------------------------------------------------------------ numbers

#[test]
fn quantities() {
    let e = mor();
    let q = |quantity: &str| {
        payment(
            &format!(r#"{{"price_id":"price_xxx","quantity":{quantity}}}"#),
            "",
        )
    };
    for bad in [
        "0",
        "-0",
        "-1",
        "1000000",
        "9223372036854775807",
        "-9223372036854775808",
        // Out of int64, and not integers: wrong values, not wrong types.
        "9223372036854775808",
        "-9223372036854775809",
        "18446744073709551616",
        "1.5",
        "1.0",
        "1e2",
        "0.5e1",
        "-1.5",
        "1e400",
        "-1e400",
        "1e-400",
        "100000000000000000000000000000",
    ] {
        assert_refused(
            &e,
            &q(bad),
            "invalid_quantity",
            Some("line_items[0].quantity"),
        );
    }
    assert_quoted(&e, &q("1"));
    let max = assert_quoted(&e, &q("999999"));
    assert_eq!(max["amount_subtotal"], 999 * 999_999);
    assert_refused(
        &e,
        &payment(r#"{"price_id":"price_xxx"}"#, ""),
        "invalid_quantity",
        Some("line_items[0].quantity"),
    );
}

#[test]
fn ad_hoc_amounts_at_the_int64_edge() {
    let d = direct();
    let param = Some("line_items[0].ad_hoc_amount");
    // 2^63 - 1 is an amount; 2^63 is not.
    let max = assert_quoted(&d, &payment(&ad_hoc("9223372036854775807", "1"), ""));
    assert_eq!(max["amount_total"], i64::MAX);
    assert_eq!(max["tax_status"], "requires_location");
    for bad in [
        "9223372036854775808",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775809",
        "1e19",
        "1e400",
        "-1e400",
        "1.5",
        "100.0",
        "1e2",
    ] {
        assert_refused(&d, &payment(&ad_hoc(bad, "1"), ""), "invalid_amount", param);
    }
    for negative in ["-1", "-9223372036854775808"] {
        assert_refused(
            &d,
            &payment(&ad_hoc(negative, "1"), ""),
            "invalid_amount",
            param,
        );
    }
    assert_quoted(&d, &payment(&ad_hoc("0", "1"), ""));
    // `-0` has a minus sign, and serde_json reads it as the float -0.0: a
    // wrong value like `1.0`, not the amount 0.
    assert_refused(
        &d,
        &payment(&ad_hoc("-0", "1"), ""),
        "invalid_amount",
        param,
    );
}

#[test]
fn overflow_is_amount_too_large() {
    let d = direct();
    let line0 = Some("line_items[0]");
    // unit x quantity beyond int64.
    assert_refused(
        &d,
        &payment(&ad_hoc("9223372036854775807", "2"), ""),
        "amount_too_large",
        line0,
    );
    assert_refused(
        &d,
        &payment(&ad_hoc("4611686018427387904", "2"), ""),
        "amount_too_large",
        line0,
    );
    assert_quoted(&d, &payment(&ad_hoc("4611686018427387903", "2"), ""));
    // Each line fits, their sum does not.
    let two = format!(
        "{},{}",
        ad_hoc("4611686018427387904", "1"),
        ad_hoc("4611686018427387904", "1")
    );
    assert_refused(
        &d,
        &payment(&two, ""),
        "amount_too_large",
        Some("line_items[1]"),
    );
    // The base fits, base + exclusive tax does not.
    assert_refused(
        &d,
        &payment(
            &ad_hoc("9223372036854775807", "1"),
            r#""buyer_country":"US","buyer_region":"CA""#,
        ),
        "amount_too_large",
        line0,
    );
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
    assert_refused(
        &big,
        &payment(&line("price_max", 2), ""),
        "amount_too_large",
        line0,
    );
    assert_refused(
        &big,
        &payment(&line("price_10t", 999_999), ""),
        "amount_too_large",
        line0,
    );
    assert_quoted(&big, &payment(&line("price_10t", 922_337), ""));
    assert_refused(
        &big,
        &payment(
            &format!("{},{}", line("price_half", 1), line("price_half", 1)),
            "",
        ),
        "amount_too_large",
        Some("line_items[1]"),
    );
    assert_refused(
        &big,
        &payment(
            &line("price_max", 1),
            r#""buyer_country":"US","buyer_region":"CA""#,
        ),
        "amount_too_large",
        line0,
    );
}

// ------------------------------------------------------------ duplicates

#[test]
fn duplicate_keys() {
    let (e, d) = (mor(), direct());
    assert_refused(
        &e,
        r#"{"mode":"payment","mode":"payment","line_items":[{"price_id":"price_xxx","quantity":1}]}"#,
        "invalid_request",
        Some("mode"),
    );
    assert_refused(
        &e,
        &format!(r#"{{"mode":"payment","line_items":[{LINE}],"line_items":[{LINE}]}}"#),
        "invalid_request",
        Some("line_items"),
    );
    // null then a value is still two keys.
    assert_refused(
        &e,
        &payment(LINE, r#""buyer_country":null,"buyer_country":"US""#),
        "invalid_request",
        Some("buyer_country"),
    );
    for field in [
        "presentation",
        "customer_email",
        "success_url",
        "cancel_url",
        "buyer_country",
        "buyer_region",
        "client_reference_id",
    ] {
        // A valid value each time: the second key is the only fault.
        let value = match field {
            "presentation" => "link",
            "customer_email" => "a@b.co",
            "success_url" | "cancel_url" => "https://a.co/",
            "buyer_country" => "US",
            "buyer_region" => "US-CA",
            _ => "a",
        };
        let body = payment(LINE, &format!(r#""{field}":"{value}","{field}":"{value}""#));
        assert_refused(&e, &body, "invalid_request", Some(field));
    }
    for (field, value) in [
        ("price_id", "\"price_xxx\""),
        ("product_id", "\"prod_widget\""),
        ("quantity", "1"),
        ("ad_hoc_amount", "1"),
        ("ad_hoc_currency", "\"usd\""),
        ("description", "\"d\""),
    ] {
        let body = payment(
            &format!(r#"{{"quantity":1,"{field}":{value},"{field}":{value}}}"#).replacen(
                r#"{"quantity":1,"quantity":1,"#,
                r#"{"quantity":1,"#,
                1,
            ),
            "",
        );
        let param = format!("line_items[0].{field}");
        assert_refused(&d, &body, "invalid_request", Some(&param));
    }
    // Only the first fault is reported: the duplicate comes first here.
    assert_refused(
        &e,
        r#"{"mode":"payment","mode":"Payment","quantitiy":1}"#,
        "invalid_request",
        Some("mode"),
    );
}

// ------------------------------------------------------------ null

#[test]
fn null_is_absent_in_every_field() {
    let (e, d) = (mor(), direct());
    // Required fields: null is as missing.
    assert_refused(
        &e,
        &format!(r#"{{"mode":null,"line_items":[{LINE}]}}"#),
        "invalid_mode",
        Some("mode"),
    );
    assert_refused(
        &e,
        r#"{"mode":"payment","line_items":null}"#,
        "missing_line_items",
        Some("line_items"),
    );
    assert_quoted(&e, r#"{"mode":"setup","line_items":null}"#);
    assert_refused(
        &e,
        &payment(r#"{"price_id":"price_xxx","quantity":null}"#, ""),
        "invalid_quantity",
        Some("line_items[0].quantity"),
    );
    assert_refused(
        &e,
        &payment(r#"{"price_id":null,"quantity":1}"#, ""),
        "invalid_line_item",
        Some("line_items[0]"),
    );
    assert_refused(
        &d,
        &payment(
            r#"{"ad_hoc_amount":100,"ad_hoc_currency":null,"quantity":1}"#,
            "",
        ),
        "missing_ad_hoc_currency",
        Some("line_items[0].ad_hoc_currency"),
    );
    // Optional fields: null changes nothing.
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

// ------------------------------------------------------------ strings

#[test]
fn unicode_and_control_characters() {
    let (e, d) = (mor(), direct());
    let price = |id: &str| payment(&format!(r#"{{"price_id":"{id}","quantity":1}}"#), "");
    let unknown = Some("line_items[0].price_id");
    for id in [
        r"price\u0000xxx",
        r"price_xxx\u0000",
        r"\u0000",
        r"price_xxx\n",
        r"price_\u202exxx",
        "price_xxx\u{200b}",
        "ｐｒｉｃｅ_xxx",
        "price_😀",
        r"price_\ud83d\ude00",
        r"\/\\\b\f\r\t",
    ] {
        assert_refused(&e, &price(id), "unknown_price", unknown);
    }
    // Raw control characters and lone surrogates are not JSON strings.
    for id in [
        "price\u{0}xxx",
        "price\u{1}",
        "price\txxx",
        "price\nxxx",
        r"\ud800",
        r"\udc00x",
        r"\x41",
        r"\u12",
    ] {
        assert_refused(&e, &price(id), "invalid_request", unknown);
    }
    assert_refused(
        &e,
        &format!(r#"{{"mode":"payment\u0000","line_items":[{LINE}]}}"#),
        "invalid_mode",
        Some("mode"),
    );
    assert_refused(
        &e,
        &format!(r#"{{"mode":"ｐａｙｍｅｎｔ","line_items":[{LINE}]}}"#),
        "invalid_mode",
        Some("mode"),
    );
    assert_refused(
        &e,
        &payment(LINE, r#""mοde":"payment""#),
        "unknown_field",
        Some("mοde"),
    );
    assert_refused(
        &e,
        &payment(LINE, r#""mode\u0000":1"#),
        "unknown_field",
        Some("mode\u{0}"),
    );
    for (extra, code, param) in [
        (
            r#""buyer_country":"ÜS""#,
            "invalid_country",
            "buyer_country",
        ),
        (
            r#""buyer_country":"U\u0000""#,
            "invalid_country",
            "buyer_country",
        ),
        (
            r#""buyer_country":"US","buyer_region":"C\u0000""#,
            "invalid_region",
            "buyer_region",
        ),
        (
            r#""buyer_country":"US","buyer_region":"ÇA""#,
            "invalid_region",
            "buyer_region",
        ),
        (
            r#""customer_email":"buyer\u0000@example.com""#,
            "invalid_email",
            "customer_email",
        ),
        (
            r#""customer_email":"buyer@exa mple.com""#,
            "invalid_email",
            "customer_email",
        ),
        (
            r#""success_url":"https://exa\u0007mple.com/""#,
            "invalid_url",
            "success_url",
        ),
        (
            r#""cancel_url":"https://example.com/\u0000""#,
            "invalid_url",
            "cancel_url",
        ),
        (
            r#""cancel_url":"javascript:alert(1)""#,
            "invalid_url",
            "cancel_url",
        ),
    ] {
        assert_refused(&e, &payment(LINE, extra), code, Some(param));
    }
    assert_refused(
        &d,
        &payment(
            r#"{"ad_hoc_amount":1,"ad_hoc_currency":"ｕｓｄ","quantity":1}"#,
            "",
        ),
        "invalid_currency",
        Some("line_items[0].ad_hoc_currency"),
    );
    // Free text keeps whatever it is given, echoed exactly.
    let q = assert_quoted(
        &e,
        &payment(
            r#"{"price_id":"price_xxx","quantity":1,"description":"\u0000\u202e\t😀 \"q\""}"#,
            r#""client_reference_id":"order\u0000\u001f\ud83d\ude00é""#,
        ),
    );
    assert_eq!(q["client_reference_id"], "order\u{0}\u{1f}😀é");
    assert_eq!(q["line_items"][0]["description"], "\u{0}\u{202e}\t😀 \"q\"");
}

#[test]
fn over_long_strings() {
    let (e, d) = (mor(), direct());
    let long = |n: usize| "x".repeat(n);
    for (field, max) in [("price_id", 255), ("product_id", 255)] {
        let line = |n: usize| payment(&format!(r#"{{"{field}":"{}","quantity":1}}"#, long(n)), "");
        let param = format!("line_items[0].{field}");
        let unknown = if field == "price_id" {
            "unknown_price"
        } else {
            "unknown_product"
        };
        assert_refused(&e, &line(max), unknown, Some(&param));
        assert_refused(&e, &line(max + 1), "limit_exceeded", Some(&param));
        assert_refused(&e, &line(100_000), "limit_exceeded", Some(&param));
    }
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
    assert_refused(
        &e,
        &described(1001),
        "limit_exceeded",
        Some("line_items[0].description"),
    );
    // Bytes, not characters: 334 x 3 bytes = 1002 bytes.
    assert_refused(
        &e,
        &payment(
            &format!(
                r#"{{"price_id":"price_xxx","quantity":1,"description":"{}"}}"#,
                "€".repeat(334)
            ),
            "",
        ),
        "limit_exceeded",
        Some("line_items[0].description"),
    );

    let top = |field: &str, value: &str| payment(LINE, &format!(r#""{field}":"{value}""#));
    assert_quoted(&e, &top("client_reference_id", &long(200)));
    assert_refused(
        &e,
        &top("client_reference_id", &long(201)),
        "limit_exceeded",
        Some("client_reference_id"),
    );
    assert_refused(
        &e,
        &top("client_reference_id", &"€".repeat(67)),
        "limit_exceeded",
        Some("client_reference_id"),
    );
    // 254 bytes pass the limit (and fail the shape); 255 do not.
    assert_refused(
        &e,
        &top("customer_email", &long(254)),
        "invalid_email",
        Some("customer_email"),
    );
    assert_refused(
        &e,
        &top("customer_email", &long(255)),
        "limit_exceeded",
        Some("customer_email"),
    );
    let email = format!("{}@{}.{}.{}.com", long(64), long(61), long(61), long(61));
    assert_eq!(email.len(), 254);
    assert_quoted(&e, &top("customer_email", &email));
    for field in ["success_url", "cancel_url"] {
        let url = |n: usize| format!("https://example.com/{}", long(n - 20));
        assert_eq!(url(2048).len(), 2048);
        assert_quoted(&e, &top(field, &url(2048)));
        assert_refused(&e, &top(field, &url(2049)), "limit_exceeded", Some(field));
    }
    // Fields without a length limit of their own are refused by their shape.
    assert_refused(
        &e,
        &top("buyer_country", &long(10_000)),
        "invalid_country",
        Some("buyer_country"),
    );
    assert_refused(
        &e,
        &payment(
            LINE,
            &format!(r#""buyer_country":"US","buyer_region":"{}""#, long(10_000)),
        ),
        "invalid_region",
        Some("buyer_region"),
    );
    assert_refused(
        &e,
        &format!(r#"{{"mode":"{}","line_items":[{LINE}]}}"#, long(10_000)),
        "invalid_mode",
        Some("mode"),
    );
    assert_refused(
        &d,
        &payment(
            &format!(
                r#"{{"ad_hoc_amount":1,"ad_hoc_currency":"{}","quantity":1}}"#,
                long(10_000)
            ),
            "",
        ),
        "invalid_currency",
        Some("line_items[0].ad_hoc_currency"),
    );
    let key = long(10_000);
    assert_refused(
        &e,
        &payment(LINE, &format!(r#""{key}":1"#)),
        "unknown_field",
        Some(&key),
    );
}

// ------------------------------------------------------------ sizes

#[test]
fn line_item_count() {
    let e = mor();
    let lines = |n: usize| vec![LINE; n].join(",");
    let q = assert_quoted(&e, &payment(&lines(100), ""));
    assert_eq!(q["line_items"].as_array().unwrap().len(), 100);
    for n in [101, 102, 1000, 20_000] {
        assert_refused(
            &e,
            &payment(&lines(n), ""),
            "limit_exceeded",
            Some("line_items"),
        );
    }
    // Even when the extra items are not line items at all.
    assert_refused(
        &e,
        &payment(&format!("{},1,2,3", lines(100)), ""),
        "limit_exceeded",
        Some("line_items"),
    );
}

#[test]
fn request_size() {
    let e = mor();
    let ok = payment(LINE, "");
    let padded = |total: usize| format!("{ok}{}", " ".repeat(total - ok.len()));
    assert_quoted(&e, &padded(1 << 20));
    assert_refused(&e, &padded((1 << 20) + 1), "limit_exceeded", None);
    // Over the limit is refused before it is parsed: even a valid request,
    // or one made of a single huge string.
    let huge = payment(
        LINE,
        &format!(r#""client_reference_id":"{}""#, "x".repeat(2 << 20)),
    );
    assert_refused(&e, &huge, "limit_exceeded", None);
    assert_refused(&e, &"[".repeat(3 << 20), "limit_exceeded", None);
}

#[test]
fn deep_nesting_is_a_wrong_type_not_a_stack_overflow() {
    let e = mor();
    let deep = |open: &str, n: usize| open.repeat(n);
    assert_refused(&e, &deep("[", 100_000), "invalid_request", None);
    assert_refused(&e, &deep("{\"a\":", 100_000), "unknown_field", Some("a"));
    assert_refused(
        &e,
        &format!("{}{}", deep("[", 100_000), deep("]", 100_000)),
        "invalid_request",
        None,
    );
    // `{"mode": <deep>` and `{..., "<field>": <deep>`.
    let with_field = |field: &str, value: &str| {
        if field == "mode" {
            format!(r#"{{"mode":{value}"#)
        } else {
            format!(r#"{{"mode":"payment","line_items":[{LINE}],"{field}":{value}"#)
        }
    };
    for field in [
        "mode",
        "presentation",
        "buyer_country",
        "client_reference_id",
    ] {
        for value in [deep("[", 100_000), deep("{\"a\":", 100_000)] {
            assert_refused(
                &e,
                &with_field(field, &value),
                "invalid_request",
                Some(field),
            );
        }
    }
    let body = format!(r#"{{"mode":"payment","line_items":{}"#, deep("[", 100_000));
    assert_refused(&e, &body, "invalid_request", Some("line_items[0]"));
    let body = format!(
        r#"{{"mode":"payment","line_items":[{LINE},{}"#,
        deep("[", 100_000)
    );
    assert_refused(&e, &body, "invalid_request", Some("line_items[1]"));
    for field in ["price_id", "quantity", "description"] {
        let body = format!(
            r#"{{"mode":"payment","line_items":[{{"{field}":{}"#,
            deep("[", 100_000)
        );
        assert_refused(
            &e,
            &body,
            "invalid_request",
            Some(&format!("line_items[0].{field}")),
        );
    }
    // Past the 100th item, the 101st is skipped as any JSON: serde_json's
    // recursion limit stops it, and the fault is JSON-level.
    let body = payment(
        &format!("{},{}", vec![LINE; 100].join(","), deep("[", 100_000)),
        "",
    );
    assert_refused(&e, &body, "invalid_request", Some("line_items"));
}

// ------------------------------------------------------------ rules on hostile values

#[test]
fn hostile_values_meet_the_rules() {
    let (e, d) = (mor(), direct());
    assert_refused(
        &e,
        &payment(&ad_hoc("100", "1"), ""),
        "ad_hoc_not_allowed",
        Some("line_items[0].ad_hoc_amount"),
    );
    assert_refused(
        &e,
        &payment(
            r#"{"price_id":"price_xxx","ad_hoc_currency":"usd","quantity":1}"#,
            "",
        ),
        "ad_hoc_not_allowed",
        Some("line_items[0].ad_hoc_currency"),
    );
    assert_refused(
        &d,
        &payment(
            r#"{"price_id":"price_xxx","product_id":"prod_widget","quantity":1}"#,
            "",
        ),
        "invalid_line_item",
        Some("line_items[0]"),
    );
    for code in ["xau", "XXX", "usdx", "us", "US$", "123"] {
        assert_refused(
            &d,
            &payment(
                &format!(r#"{{"ad_hoc_amount":1,"ad_hoc_currency":"{code}","quantity":1}}"#),
                "",
            ),
            "invalid_currency",
            Some("line_items[0].ad_hoc_currency"),
        );
    }
    for country in ["XX", "usa", "U", "12", "U-S"] {
        assert_refused(
            &e,
            &payment(LINE, &format!(r#""buyer_country":"{country}""#)),
            "invalid_country",
            Some("buyer_country"),
        );
    }
    for region in ["CA-QC", "US-", "CALI", "C A", "-"] {
        assert_refused(
            &e,
            &payment(
                LINE,
                &format!(r#""buyer_country":"US","buyer_region":"{region}""#),
            ),
            "invalid_region",
            Some("buyer_region"),
        );
    }
    // A quote on a location with odd but valid case.
    let q = assert_quoted(
        &e,
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
fn malformed_tax_data_is_refused_with_its_line() {
    let head = "jurisdiction,regime,tax_name,category,rate,valid_from,valid_to,source\n";
    let good = "DE,inclusive,VAT,*,19,,,https://x\n";
    let request = scratch("request.json");
    std::fs::write(&request, payment(LINE, "")).unwrap();
    for (name, bad_row, reason) in [
        ("bad rate", "FR,inclusive,VAT,*,abc,,,https://x", "rate"),
        (
            "negative rate",
            "FR,inclusive,VAT,*,-5,,,https://x",
            "negative",
        ),
        (
            "rate over 100",
            "FR,inclusive,VAT,*,100.5,,,https://x",
            "rate",
        ),
        (
            "unknown regime",
            "FR,sideways,VAT,*,20,,,https://x",
            "regime",
        ),
        (
            "bad date",
            "FR,inclusive,VAT,*,20,2024-02-30,,https://x",
            "valid_from",
        ),
        (
            "reversed dates",
            "FR,inclusive,VAT,*,20,2024-01-01,2023-01-01,https://x",
            "valid_to",
        ),
        (
            "overlapping validity",
            "DE,inclusive,VAT,*,16,2020-07-01,2021-01-01,https://x",
            "overlaps",
        ),
        (
            "two regimes",
            "DE,exclusive,VAT,ebooks,7,,,https://x",
            "regime",
        ),
        (
            "unknown country code",
            "QQ,inclusive,VAT,*,20,,,https://x",
            "jurisdiction",
        ),
        ("missing source", "FR,inclusive,VAT,*,20,,,", "source"),
        (
            "column count",
            "FR,inclusive,VAT,*,20,,https://x",
            "columns",
        ),
    ] {
        // The bad row is line 4: header, a good row, a blank line's worth of
        // good data, then the bad row and more good rows after it.
        let text = format!(
            "{head}{good}GB,inclusive,VAT,*,20,,,https://x\n{bad_row}\nJP,inclusive,Consumption tax,*,10,,,https://x\n"
        );
        let path = scratch(&format!("{}.csv", name.replace(' ', "_")));
        std::fs::write(&path, &text).unwrap();
        let file = path.to_str().unwrap();
        for args in [
            vec!["rates", "--tax-data", file],
            vec![
                "quote",
                "--catalog",
                CATALOG_PATH,
                "--tax-data",
                file,
                "--at",
                AT,
                request.to_str().unwrap(),
            ],
            vec![
                "batch",
                "--catalog",
                CATALOG_PATH,
                "--tax-data",
                file,
                "--at",
                AT,
            ],
        ] {
            let out = run(&args, payment(LINE, "").as_bytes());
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{name}: {args:?}: {stderr}");
            assert!(stderr.contains("line 4"), "{name}: {stderr}");
            assert!(stderr.contains(reason), "{name}: no `{reason}` in {stderr}");
            assert!(
                out.stdout.is_empty(),
                "{name}: the engine started with a bad table"
            );
        }
        // The library says the same.
        match RateTable::from_csv(&text) {
            Err(Error::TaxData { line, .. }) => assert_eq!(line, 4, "{name}"),
            other => panic!("{name}: {other:?}"),
        }
    }
    // And a table that is fine loads.
    let path = scratch("good.csv");
    std::fs::write(&path, format!("{head}{good}")).unwrap();
    let out = run(
        &["rates", "--tax-data", path.to_str().unwrap(), "--at", AT],
        b"",
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
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

#[test]
fn tax_data_line_numbers_whatever_the_line_ends() {
    // Found by the `tax_csv` fuzz target: the csv crate numbers lines wrong
    // after a CRLF (two rows both "line 2"), so a Windows-edited file named
    // the wrong row.
    let rows = [
        "jurisdiction,regime,tax_name,category,rate,valid_from,valid_to,source",
        "DE,inclusive,VAT,*,19,,,https://x",
        "",
        "\"GB\",inclusive,\"V\nA\nT\",*,20,,,https://x", // a quoted field over three lines
        "",
        "FR,inclusive,VAT,*,abc,,,https://x",
    ];
    // The bad row's line: 1 header + 1 + 1 blank + 3 + 1 blank + 1.
    for ends in [
        ["\n"; 5],
        ["\r\n"; 5],
        ["\r"; 5],
        ["\r\n", "\n", "\r\n", "\n", "\r"],
        ["\n", "\r\n", "\r", "\r\n", "\r\n"],
    ] {
        let mut text = rows[0].to_owned();
        for (row, end) in rows[1..].iter().zip(ends) {
            text.push_str(end);
            text.push_str(row);
        }
        text.push_str("\r\n");
        match RateTable::from_csv(&text) {
            Err(Error::TaxData { line, reason }) => {
                assert_eq!(line, 8, "{ends:?}: {reason}");
            }
            other => panic!("{ends:?}: {other:?}"),
        }
        // Without the bad row the table loads, and rows keep their lines.
        let good = text.replace("abc", "20");
        let table = RateTable::from_csv(&good).unwrap();
        let lines: Vec<usize> = table.rows().iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 4, 8], "{ends:?}");
    }
    // The fuzzer's input itself (fuzz/seeds/tax_csv/crlf_mixed_components_order.csv).
    let crash = RateTable::from_csv(
        "jurisdiction,regime,tax_name,category,rate,valid_from,valid_to,source\n\
         IN-KA,inclusive,SGST,*,9,,,https://x\r\n\
         IN-KA,inclusive,CGST,*,9,,,https://x\n",
    )
    .unwrap();
    let lines: Vec<usize> = crash.rows().iter().map(|r| r.line).collect();
    assert_eq!(lines, [2, 3]);
    // Through the CLI: a CRLF file.
    let path = scratch("crlf.csv");
    std::fs::write(
        &path,
        "jurisdiction,regime,tax_name,category,rate,valid_from,valid_to,source\r\n\
         DE,inclusive,VAT,*,19,,,https://x\r\n\
         FR,inclusive,VAT,*,-20,,,https://x\r\n",
    )
    .unwrap();
    let out = run(&["rates", "--tax-data", path.to_str().unwrap()], b"");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("line 3"), "{stderr}");
}
