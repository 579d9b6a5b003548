//! The fuzz targets' checks (`fuzz/checks.rs`) without a fuzzer: every seed
//! in `fuzz/seeds/<target>/`, then proptest-generated inputs (random bytes,
//! JSON-ish text built from request fragments, valid requests with a
//! fragment inserted or a range cut out, valid requests with one field
//! deleted, retyped or replaced by an edge value, random responses, random
//! CSV rows). This is what CI runs when nightly Rust and cargo-fuzz are not
//! available; `PROPTEST_CASES` sets the number of cases per property.

#[path = "../fuzz/checks.rs"]
mod checks;

use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Value, json};
use std::path::Path;

const SEEDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/seeds");

/// Runs `check` on every seed of `target`, naming the seed that fails.
fn run_seeds(target: &str, check: fn(&[u8])) {
    let dir = Path::new(SEEDS).join(target);
    let mut count = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(outcome.is_ok(), "seed {} fails its check", path.display());
        count += 1;
    }
    assert!(count >= 10, "only {count} seeds in {}", dir.display());
}

#[test]
fn request_quote_seeds() {
    run_seeds("request_quote", checks::request_quote);
}

#[test]
fn tax_csv_seeds() {
    run_seeds("tax_csv", checks::tax_csv);
}

#[test]
fn verify_response_seeds() {
    run_seeds("verify_response", checks::verify_response);
}

#[test]
fn catalog_json_seeds() {
    run_seeds("catalog_json", checks::catalog_json);
}

// ------------------------------------------------------------ requests

/// Pieces of requests, glued together at random: mostly well-formed tokens,
/// so that the parser gets past the first byte.
const FRAGMENTS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    " ",
    "\"",
    "\"mode\"",
    "\"payment\"",
    "\"subscription\"",
    "\"setup\"",
    "\"presentation\"",
    "\"link\"",
    "\"line_items\"",
    "\"price_id\"",
    "\"price_xxx\"",
    "\"price_pro_monthly\"",
    "\"product_id\"",
    "\"prod_pro\"",
    "\"quantity\"",
    "\"ad_hoc_amount\"",
    "\"ad_hoc_currency\"",
    "\"usd\"",
    "\"description\"",
    "\"customer_email\"",
    "\"a@b.co\"",
    "\"success_url\"",
    "\"https://x.io/\"",
    "\"cancel_url\"",
    "\"buyer_country\"",
    "\"US\"",
    "\"DE\"",
    "\"buyer_region\"",
    "\"CA\"",
    "\"client_reference_id\"",
    "1",
    "0",
    "-1",
    "999999",
    "1000000",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "1.5",
    "1e400",
    "1e2",
    "-0",
    "null",
    "true",
    "\"\"",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "\"é中\"",
    "\u{feff}",
    "\\",
];

/// A JSON-ish string of up to 60 fragments.
fn jsonish() -> impl Strategy<Value = String> {
    prop::collection::vec(select(FRAGMENTS), 0..60).prop_map(|parts| parts.concat())
}

/// Valid requests (for the fixture's catalog), the base of the mutations.
fn valid_requests() -> Vec<Value> {
    let mut out: Vec<Value> = checks::VERIFY_REQUESTS
        .iter()
        .map(|r| serde_json::from_str(r).unwrap())
        .collect();
    out.push(json!({
        "mode": "payment",
        "presentation": "link",
        "line_items": [
            {"ad_hoc_amount": 4080, "ad_hoc_currency": "cad", "quantity": 1, "description": "d"},
            {"ad_hoc_amount": 198, "ad_hoc_currency": "CAD", "quantity": 2}
        ],
        "customer_email": "buyer@example.com",
        "success_url": "https://yoursite.com/success",
        "cancel_url": "https://yoursite.com/cancel",
        "buyer_country": "CA",
        "buyer_region": "QC",
        "client_reference_id": "order_1"
    }));
    out.push(json!({"mode": "setup", "buyer_country": "DE"}));
    out
}

/// Raw JSON text a field's value is replaced with.
const REPLACEMENTS: &[&str] = &[
    "9223372036854775808",
    "9223372036854775807",
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551616",
    "-1",
    "0",
    "1e400",
    "-1e400",
    "1.5",
    "1.0",
    "1e2",
    "\"1\"",
    "null",
    "true",
    "[]",
    "{}",
    "[1]",
    "{\"a\":1}",
    "\"\"",
    "\"\\u0000\"",
    "\"payment\"",
    "\"usd\"",
    "\"price_xxx\"",
];

/// What to do to one field of a valid request.
#[derive(Debug, Clone)]
enum Mutation {
    Delete,
    Replace(&'static str),
    /// An array nested this deep.
    Deep(usize),
    /// A string of this many bytes.
    Long(usize),
    /// The field written twice.
    Duplicate,
    /// A field the spec does not define next to it.
    Unknown,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        Just(Mutation::Delete),
        select(REPLACEMENTS).prop_map(Mutation::Replace),
        (1usize..3000).prop_map(Mutation::Deep),
        prop_oneof![
            Just(199usize),
            Just(255),
            Just(256),
            Just(1001),
            Just(2049),
            0usize..3000
        ]
        .prop_map(Mutation::Long),
        Just(Mutation::Duplicate),
        Just(Mutation::Unknown),
    ]
}

/// Applies `m` to the field `pick` selects (among the top-level fields and
/// those of every line), returning the request's text.
fn mutate(request: &Value, pick: usize, m: &Mutation) -> String {
    const MARK: &str = "\u{1}MARK\u{1}";
    let mut value = request.clone();
    let Some(top) = value.as_object() else {
        return value.to_string();
    };
    let mut paths: Vec<(Option<usize>, String)> = top.keys().map(|k| (None, k.clone())).collect();
    if let Some(lines) = value["line_items"].as_array() {
        for (i, line) in lines.iter().enumerate() {
            if let Some(line) = line.as_object() {
                paths.extend(line.keys().map(|k| (Some(i), k.clone())));
            }
        }
    }
    if paths.is_empty() {
        return value.to_string();
    }
    let (line, key) = paths[pick % paths.len()].clone();
    let object = match line {
        None => value.as_object_mut().unwrap(),
        Some(i) => value["line_items"][i].as_object_mut().unwrap(),
    };
    let raw = match m {
        Mutation::Delete => {
            object.remove(&key);
            return value.to_string();
        }
        Mutation::Replace(raw) => (*raw).to_owned(),
        Mutation::Deep(depth) => format!("{}{}", "[".repeat(*depth), "]".repeat(*depth)),
        Mutation::Long(n) => format!("\"{}\"", "x".repeat(*n)),
        Mutation::Duplicate => {
            let old = object[&key].to_string();
            format!("{old},\"{key}\":{old}")
        }
        Mutation::Unknown => {
            let old = object[&key].to_string();
            format!("{old},\"{key}x\":1")
        }
    };
    object.insert(key, Value::String(MARK.into()));
    let text = value.to_string();
    text.replacen(&Value::String(MARK.into()).to_string(), &raw, 1)
}

fn mutated_request() -> impl Strategy<Value = String> {
    let bases = valid_requests();
    (0..bases.len(), any::<usize>(), mutation())
        .prop_map(move |(b, pick, m)| mutate(&bases[b], pick, &m))
}

/// A valid request with a fragment inserted at any byte, or a range of up
/// to 20 bytes cut out.
fn spliced_request() -> impl Strategy<Value = Vec<u8>> {
    let bases: Vec<Vec<u8>> = valid_requests()
        .iter()
        .map(|r| r.to_string().into_bytes())
        .collect();
    (
        0..bases.len(),
        any::<prop::sample::Index>(),
        prop_oneof![select(FRAGMENTS).prop_map(Some), Just(None)],
        1usize..=20,
    )
        .prop_map(move |(b, at, fragment, len)| {
            let base = &bases[b];
            let start = at.index(base.len() + 1);
            match fragment {
                Some(f) => [&base[..start], f.as_bytes(), &base[start..]].concat(),
                None => {
                    let end = (start + len).min(base.len());
                    [&base[..start], &base[end..]].concat()
                }
            }
        })
}

proptest! {
    #[test]
    fn request_quote_spliced(data in spliced_request()) {
        checks::request_quote(&data);
    }

    #[test]
    fn request_quote_random_bytes(data in prop::collection::vec(any::<u8>(), 0..300)) {
        checks::request_quote(&data);
    }

    #[test]
    fn request_quote_fragments(text in jsonish()) {
        checks::request_quote(text.as_bytes());
    }

    #[test]
    fn request_quote_mutated(text in mutated_request()) {
        checks::request_quote(text.as_bytes());
    }

    #[test]
    fn request_quote_mutated_twice(
        b in 0usize..5,
        first in (any::<usize>(), mutation()),
        second in (any::<usize>(), mutation()),
    ) {
        let bases = valid_requests();
        let once = mutate(&bases[b], first.0, &first.1);
        // A second mutation only when the first left valid JSON.
        let text = match serde_json::from_str::<Value>(&once) {
            Ok(v) if v.is_object() => mutate(&v, second.0, &second.1),
            _ => once,
        };
        checks::request_quote(text.as_bytes());
    }
}

// ------------------------------------------------------------ verify

/// Any JSON value, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop_oneof![Just(999i64), Just(72), Just(1071), Just(0), Just(3499)].prop_map(Value::from),
        select(
            &[
                "usd",
                "USD",
                "eur",
                "",
                "amount_tax",
                "session",
                "data",
                "line_items"
            ][..]
        )
        .prop_map(Value::from),
        ".{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    select(
                        &[
                            "currency",
                            "amount_subtotal",
                            "amount_tax",
                            "amount_total",
                            "line_items",
                            "session",
                            "data",
                            "success",
                            "x",
                        ][..]
                    ),
                    inner
                ),
                0..6
            )
            .prop_map(|fields| {
                Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}

/// The right answer for the first verify request with one field changed,
/// under one of the envelopes `verify` accepts.
fn near_miss() -> impl Strategy<Value = Value> {
    (
        select(
            &[
                "currency",
                "amount_subtotal",
                "amount_tax",
                "amount_total",
                "line_items",
            ][..],
        ),
        json_value(),
        0usize..3,
    )
        .prop_map(|(field, replacement, envelope)| {
            let f = checks::fixture();
            let quote = f.engines[0].1.quote(&f.verify_requests[0], f.date).unwrap();
            let mut session = serde_json::to_value(&quote).unwrap();
            session[field] = replacement;
            match envelope {
                0 => session,
                1 => json!({"session": session}),
                _ => json!({"success": true, "message": "ok", "data": {"session": session}}),
            }
        })
}

proptest! {
    #[test]
    fn verify_response_random_bytes(data in prop::collection::vec(any::<u8>(), 0..200)) {
        checks::verify_response(&data);
    }

    #[test]
    fn verify_response_random_json(value in json_value()) {
        checks::verify_value(&value);
        checks::verify_response(value.to_string().as_bytes());
    }

    #[test]
    fn verify_response_near_miss(value in near_miss()) {
        checks::verify_value(&value);
    }
}

// ------------------------------------------------------------ tax data

const HEADER: &str = "jurisdiction,regime,tax_name,category,rate,valid_from,valid_to,source";

/// One CSV row from per-column choices, mostly valid values, with an
/// occasional missing or extra column.
fn csv_row() -> impl Strategy<Value = String> {
    let column = |values: &'static [&'static str]| select(values);
    (
        column(&[
            "DE", "FR", "US-CA", "US-TX", "US", "CA", "CA-QC", "IN-KA", "de", "us-ny", "XX", "US-",
            "US-CALI", "", "D E",
        ]),
        column(&[
            "inclusive",
            "exclusive",
            "inclusive",
            "exclusive",
            "sideways",
            "",
        ]),
        column(&["VAT", "GST", "QST", "Sales tax", "\"V,A\"\"T\"", ""]),
        column(&["*", "*", "general", "ebooks", "digital_services", ""]),
        column(&[
            "19",
            "7",
            "9.975",
            "0",
            "100",
            "0.000001",
            "-1",
            "101",
            "abc",
            "1e2",
            "19.1234567",
            "79228162514264337593543950335",
            "",
        ]),
        column(&[
            "",
            "",
            "2020-01-01",
            "2024-09-01",
            "2024-02-29",
            "2024-13-01",
            "2024-1-1",
            "0000-01-01",
            "9999-12-31",
        ]),
        column(&[
            "",
            "",
            "2021-01-01",
            "2024-09-01",
            "2025-02-29",
            "2019-01-01",
            "9999-12-31",
        ]),
        column(&["https://x", "https://example.org/a,b", ""]),
        0u8..20,
    )
        .prop_map(
            |(j, regime, name, category, rate, from, to, source, shape)| {
                let mut cols = vec![j, regime, name, category, rate, from, to, source];
                match shape {
                    0 => {
                        cols.pop();
                    }
                    1 => cols.push("extra"),
                    _ => {}
                }
                cols.join(",")
            },
        )
}

/// A table: usually the right header, then rows, with blank lines and
/// line endings varied.
fn csv_table() -> impl Strategy<Value = String> {
    (
        prop_oneof![
            8 => Just(HEADER.to_owned()),
            1 => Just(String::new()),
            1 => Just("jurisdiction,regime,tax_name".to_owned()),
        ],
        prop::collection::vec(csv_row(), 0..12),
        select(&["\n", "\r\n", "\n\n", "\r"][..]),
    )
        .prop_map(|(header, rows, eol)| {
            let mut text = header;
            for row in rows {
                text.push_str(eol);
                text.push_str(&row);
            }
            text.push('\n');
            text
        })
}

proptest! {
    #[test]
    fn tax_csv_random_bytes(data in prop::collection::vec(any::<u8>(), 0..300)) {
        checks::tax_csv(&data);
    }

    #[test]
    fn tax_csv_random_rows(text in csv_table()) {
        checks::tax_csv(text.as_bytes());
    }

    #[test]
    fn tax_csv_valid_rows_load(
        rows in prop::collection::vec(
            (
                select(&["DE", "FR", "US-CA", "CA-QC", "CA", "JP"][..]),
                select(&["VAT", "GST", "QST"][..]),
                select(&["*", "general", "ebooks"][..]),
                0u32..=100_000_000,
                prop::option::of(2000i16..2030),
            ),
            1..10,
        )
    ) {
        // Rows that are each valid; the table may still refuse the set
        // (two regimes, overlaps), which the check accepts with a line.
        let mut text = HEADER.to_owned();
        for (j, name, category, micros, year) in rows {
            let regime = if j.starts_with("US") || j.starts_with("CA") { "exclusive" } else { "inclusive" };
            let rate = rust_decimal::Decimal::new(i64::from(micros), 6).normalize();
            let from = year.map(|y| format!("{y}-01-01")).unwrap_or_default();
            text.push_str(&format!("\n{j},{regime},{name},{category},{rate},{from},,https://x"));
        }
        checks::tax_csv(text.as_bytes());
    }
}

// ------------------------------------------------------------ coupons and discounts

/// Coupon fields with nasty values, glued into a catalog.
fn hostile_coupons() -> impl Strategy<Value = String> {
    let value = prop::sample::select(vec![
        "0",
        "-1",
        "1",
        "100",
        "100.0000001",
        "12.5",
        "\"12.5\"",
        "\"1e2\"",
        "1e2",
        "1e-18",
        "1e400",
        "-0",
        "9223372036854775807",
        "9223372036854775808",
        "null",
        "true",
        "[]",
        "{}",
        "\"usd\"",
        "\"XAU\"",
        "\"\"",
        "\"\\u0000\"",
        "\"prod_widget\"",
        "{\"products\":[\"prod_widget\"]}",
        "{\"products\":[]}",
        "{\"products\":[\"x\"]}",
        "0.000000000000000001",
        "33.333333333333333333333333333333",
    ]);
    let field = prop::sample::select(vec![
        "percent_off",
        "amount_off",
        "currency",
        "applies_to",
        "active",
        "name",
        "id",
        "bogus",
    ]);
    let coupon = prop::collection::vec((field, value), 0..5).prop_map(|fields| {
        let body: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
        format!("{{\"id\":\"co\",{}}}", body.join(","))
    });
    (prop::collection::vec(coupon, 0..3), any::<bool>()).prop_map(|(coupons, code)| {
        let catalog: Value = serde_json::from_str(checks::CATALOG).unwrap();
        let codes = if code {
            r#","promotion_codes":[{"code":"X","coupon":"co"}]"#
        } else {
            ""
        };
        format!(
            r#"{{"products":{},"prices":{},"coupons":[{}]{codes}}}"#,
            catalog["products"],
            catalog["prices"],
            coupons.join(",")
        )
    })
}

proptest! {
    #[test]
    fn hostile_coupons_are_catalog_errors_or_work(catalog in hostile_coupons()) {
        checks::catalog_json(catalog.as_bytes());
    }

    #[test]
    fn hostile_discounts_get_spec_codes(
        value in prop::sample::select(vec![
            "null", "[]", "[null]", "[{}]", "[[]]", "[1]", "\"co_summer\"", "{}",
            "[{\"coupon\":\"co_summer\"}]", "[{\"coupon\":\"co_retired\"}]",
            "[{\"promotion_code\":\"summer\"}]", "[{\"promotion_code\":\"WINTER\"}]",
            "[{\"promotion_code\":\"HALFOFF\"}]", "[{\"coupon\":\"co_5usd\"}]",
            "[{\"coupon\":\"co_ebooks\"}]", "[{\"coupon\":1}]", "[{\"coupon\":[\"a\"]}]",
            "[{\"coupon\":\"a\",\"x\":1}]", "[{\"coupon\":\"\\u0000\"}]",
            "[{\"promotion_code\":\"SUMMER\",\"coupon\":\"co_summer\"}]",
            "[{\"coupon\":\"co_summer\"},{}]",
        ]),
        mode in prop::sample::select(vec!["payment", "subscription", "setup"]),
        line in prop::sample::select(vec![
            "", r#"{"price_id":"price_xxx","quantity":2}"#,
            r#"{"price_id":"price_ebook_eur","quantity":3}"#,
            r#"{"price_id":"price_pro_monthly","quantity":1}"#,
            r#"{"price_id":"price_widget_jpy","quantity":999999}"#,
        ]),
        first in any::<bool>(),
    ) {
        let body = if first {
            format!(r#"{{"discounts":{value},"mode":"{mode}","line_items":[{line}],"buyer_country":"DE"}}"#)
        } else {
            format!(r#"{{"mode":"{mode}","line_items":[{line}],"buyer_country":"DE","discounts":{value}}}"#)
        };
        checks::request_quote(body.as_bytes());
    }
}
