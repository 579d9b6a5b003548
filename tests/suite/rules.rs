//! The spec's business rules and every error code of its list, each refusal
//! checked for its code and the `param` path it names. Quotes use the
//! fixtures in `tests/fixtures/` (see its README); amounts are in
//! `amounts`.

use crate::support;

use crate::support::{
    Sums, direct, engine, error, merchant, mor, quoted, refused, refused_value, status, sums, taxes,
};
use checkout_tax::{Engine, Error, ErrorCode, RateTable};
use serde_json::{Value, json};

/// The date of every quote that does not test a date.
const AT: &str = "2025-06-01";

/// The spec's example request, verbatim.
const SPEC_EXAMPLE: &str = r#"{
  "mode": "payment",
  "presentation": "iframe",
  "line_items": [ { "price_id": "price_xxx", "quantity": 1 } ],
  "customer_email": "buyer@example.com",
  "success_url": "https://yoursite.com/success",
  "cancel_url": "https://yoursite.com/cancel",
  "buyer_country": "US",
  "buyer_region": "CA",
  "client_reference_id": "order_10042"
}"#;

#[derive(Clone, Copy)]
enum Seller {
    /// Merchant of Record: catalog prices only.
    Mor,
    /// Direct merchant: ad hoc amounts allowed.
    Direct,
}

/// A request the rules refuse, and the code and path the refusal must name.
struct Refusal {
    seller: Seller,
    request: &'static str,
    code: &'static str,
    /// `None` for faults about the request as a whole (not JSON at all).
    param: Option<&'static str>,
}

const fn case(
    seller: Seller,
    request: &'static str,
    code: &'static str,
    param: &'static str,
) -> Refusal {
    Refusal {
        seller,
        request,
        code,
        param: Some(param),
    }
}

use Seller::{Direct, Mor};

/// One or more refusals per code of the spec. Where the index of a line is
/// part of the path, the faulty line is usually not the first, so that the
/// index is proven and not assumed.
const REFUSALS: &[Refusal] = &[
    // invalid_request: malformed JSON, a value of the wrong JSON type.
    Refusal {
        seller: Mor,
        // A form-encoded body sent by mistake: not JSON at all.
        request: "mode=payment&line_items[0][price_id]=price_xxx&line_items[0][quantity]=1",
        code: "invalid_request",
        param: None,
    },
    Refusal {
        seller: Mor,
        request: r#"[{"mode": "payment"}]"#,
        code: "invalid_request",
        param: None,
    },
    case(
        Mor,
        r#"{"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantity": 1}, {"price_id": "price_xxx", "quantity": "2"}]}"#,
        "invalid_request",
        "line_items[1].quantity",
    ),
    case(
        Mor,
        r#"{"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantity": 1}], "customer_email": 42}"#,
        "invalid_request",
        "customer_email",
    ),
    case(
        Mor,
        r#"{"mode": "payment", "line_items": {"price_id": "price_xxx", "quantity": 1}}"#,
        "invalid_request",
        "line_items",
    ),
    // unknown_field: a typo is never ignored.
    case(
        Mor,
        r#"{"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantitiy": 1}]}"#,
        "unknown_field",
        "line_items[0].quantitiy",
    ),
    case(
        Mor,
        r#"{"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantity": 1}], "buyer_contry": "US"}"#,
        "unknown_field",
        "buyer_contry",
    ),
    // invalid_mode: missing, unknown, or the wrong case.
    case(
        Mor,
        r#"{"mode": "Payment", "line_items": [{"price_id": "price_xxx", "quantity": 1}]}"#,
        "invalid_mode",
        "mode",
    ),
    case(
        Mor,
        r#"{"mode": "refund", "line_items": [{"price_id": "price_xxx", "quantity": 1}]}"#,
        "invalid_mode",
        "mode",
    ),
    case(
        Mor,
        r#"{"line_items": [{"price_id": "price_xxx", "quantity": 1}]}"#,
        "invalid_mode",
        "mode",
    ),
    // invalid_presentation: case-sensitive like mode.
    case(
        Mor,
        r#"{"mode": "payment", "presentation": "popup", "line_items": [{"price_id": "price_xxx", "quantity": 1}]}"#,
        "invalid_presentation",
        "presentation",
    ),
    case(
        Mor,
        r#"{"mode": "payment", "presentation": "Iframe", "line_items": [{"price_id": "price_xxx", "quantity": 1}]}"#,
        "invalid_presentation",
        "presentation",
    ),
    // missing_line_items: empty or absent, payment and subscription.
    case(
        Mor,
        r#"{"mode": "payment", "line_items": []}"#,
        "missing_line_items",
        "line_items",
    ),
    case(
        Mor,
        r#"{"mode": "subscription"}"#,
        "missing_line_items",
        "line_items",
    ),
    // line_items_not_allowed: setup takes none.
    case(
        Mor,
        r#"{"mode": "setup", "line_items": [{"price_id": "price_xxx", "quantity": 1}]}"#,
        "line_items_not_allowed",
        "line_items",
    ),
    // invalid_line_item: none, or several, of price_id / product_id / ad_hoc_amount.
    case(
        Mor,
        r#"{"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantity": 1}, {"quantity": 1}]}"#,
        "invalid_line_item",
        "line_items[1]",
    ),
    case(
        Mor,
        r#"{"mode": "payment", "line_items": [{"price_id": "price_xxx", "product_id": "prod_widget", "quantity": 1}]}"#,
        "invalid_line_item",
        "line_items[0]",
    ),
    case(
        Direct,
        r#"{"mode": "payment", "line_items": [{"product_id": "prod_widget", "ad_hoc_amount": 500, "ad_hoc_currency": "usd", "quantity": 1}]}"#,
        "invalid_line_item",
        "line_items[0]",
    ),
    case(
        Direct,
        r#"{"mode": "payment", "line_items": [{"price_id": "price_xxx", "ad_hoc_currency": "usd", "quantity": 1}]}"#,
        "invalid_line_item",
        "line_items[0].ad_hoc_currency",
    ),
    // invalid_quantity: missing, zero, negative, too large, not an integer.
    case(
        Mor,
        r#"{"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantity": 1}, {"price_id": "price_xxx"}]}"#,
        "invalid_quantity",
        "line_items[1].quantity",
    ),
    case(
        Mor,
        r#"{"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantity": 0}]}"#,
        "invalid_quantity",
        "line_items[0].quantity",
    ),
    case(
        Mor,
        r#"{"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantity": -1}]}"#,
        "invalid_quantity",
        "line_items[0].quantity",
    ),
    case(
        Mor,
        r#"{"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantity": 1000000}]}"#,
        "invalid_quantity",
        "line_items[0].quantity",
    ),
    case(
        Mor,
        r#"{"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantity": 1.5}]}"#,
        "invalid_quantity",
        "line_items[0].quantity",
    ),
    // unknown_price: a price_id not in the catalog. (A product's default
    // price missing from the catalog is refused when the catalog loads.)
    case(
        Mor,
        r#"{"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantity": 1}, {"price_id": "price_nope", "quantity": 1}]}"#,
        "unknown_price",
        "line_items[1].price_id",
    ),
    // unknown_product: a product_id not in the catalog. (A price of a
    // product missing from the catalog is refused when the catalog loads.)
    case(
        Mor,
        r#"{"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantity": 1}, {"product_id": "prod_nope", "quantity": 1}]}"#,
        "unknown_product",
        "line_items[1].product_id",
    ),
    // inactive_price / inactive_product.
    case(
        Mor,
        r#"{"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantity": 1}, {"price_id": "price_widget_old", "quantity": 1}]}"#,
        "inactive_price",
        "line_items[1].price_id",
    ),
    case(
        Mor,
        r#"{"mode": "subscription", "line_items": [{"product_id": "prod_legacy", "quantity": 1}]}"#,
        "inactive_product",
        "line_items[0].product_id",
    ),
    case(
        Mor,
        r#"{"mode": "subscription", "line_items": [{"price_id": "price_pro_monthly", "quantity": 1}, {"price_id": "price_legacy", "quantity": 1}]}"#,
        "inactive_product",
        "line_items[1].price_id",
    ),
    // no_default_price.
    case(
        Mor,
        r#"{"mode": "payment", "line_items": [{"product_id": "prod_no_default", "quantity": 1}]}"#,
        "no_default_price",
        "line_items[0].product_id",
    ),
    // ad_hoc_not_allowed: the MoR rule, on the second line to prove the index.
    case(
        Mor,
        r#"{"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantity": 1}, {"ad_hoc_amount": 500, "ad_hoc_currency": "usd", "quantity": 1}]}"#,
        "ad_hoc_not_allowed",
        "line_items[1].ad_hoc_amount",
    ),
    case(
        Mor,
        r#"{"mode": "payment", "line_items": [{"price_id": "price_xxx", "ad_hoc_currency": "usd", "quantity": 1}]}"#,
        "ad_hoc_not_allowed",
        "line_items[0].ad_hoc_currency",
    ),
    // missing_ad_hoc_currency.
    case(
        Direct,
        r#"{"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantity": 1}, {"ad_hoc_amount": 500, "quantity": 1}]}"#,
        "missing_ad_hoc_currency",
        "line_items[1].ad_hoc_currency",
    ),
    // invalid_amount: negative, fractional, beyond int64, a negative catalog price.
    case(
        Direct,
        r#"{"mode": "payment", "line_items": [{"ad_hoc_amount": -5, "ad_hoc_currency": "usd", "quantity": 1}]}"#,
        "invalid_amount",
        "line_items[0].ad_hoc_amount",
    ),
    case(
        Direct,
        r#"{"mode": "payment", "line_items": [{"ad_hoc_amount": 12.5, "ad_hoc_currency": "usd", "quantity": 1}]}"#,
        "invalid_amount",
        "line_items[0].ad_hoc_amount",
    ),
    case(
        Direct,
        r#"{"mode": "payment", "line_items": [{"ad_hoc_amount": 9223372036854775808, "ad_hoc_currency": "usd", "quantity": 1}]}"#,
        "invalid_amount",
        "line_items[0].ad_hoc_amount",
    ),
    // invalid_currency: unknown codes, and XAU / XXX which have no minor unit.
    case(
        Direct,
        r#"{"mode": "payment", "line_items": [{"ad_hoc_amount": 100, "ad_hoc_currency": "XAU", "quantity": 1}]}"#,
        "invalid_currency",
        "line_items[0].ad_hoc_currency",
    ),
    case(
        Direct,
        r#"{"mode": "payment", "line_items": [{"ad_hoc_amount": 100, "ad_hoc_currency": "xxx", "quantity": 1}]}"#,
        "invalid_currency",
        "line_items[0].ad_hoc_currency",
    ),
    case(
        Direct,
        r#"{"mode": "payment", "line_items": [{"ad_hoc_amount": 100, "ad_hoc_currency": "ABC", "quantity": 1}]}"#,
        "invalid_currency",
        "line_items[0].ad_hoc_currency",
    ),
    // currency_mismatch: names the later line.
    case(
        Mor,
        r#"{"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantity": 1}, {"price_id": "price_widget_eur", "quantity": 1}]}"#,
        "currency_mismatch",
        "line_items[1].price_id",
    ),
    case(
        Direct,
        r#"{"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantity": 1}, {"ad_hoc_amount": 100, "ad_hoc_currency": "cad", "quantity": 1}]}"#,
        "currency_mismatch",
        "line_items[1].ad_hoc_amount",
    ),
    // recurring_price_required: subscription lines must recur.
    case(
        Mor,
        r#"{"mode": "subscription", "line_items": [{"price_id": "price_pro_monthly", "quantity": 1}, {"price_id": "price_xxx", "quantity": 1}]}"#,
        "recurring_price_required",
        "line_items[1].price_id",
    ),
    case(
        Direct,
        r#"{"mode": "subscription", "line_items": [{"ad_hoc_amount": 999, "ad_hoc_currency": "usd", "quantity": 1}]}"#,
        "recurring_price_required",
        "line_items[0].ad_hoc_amount",
    ),
    // recurring_price_not_allowed: payment lines must not recur.
    case(
        Mor,
        r#"{"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantity": 1}, {"price_id": "price_pro_monthly", "quantity": 1}]}"#,
        "recurring_price_not_allowed",
        "line_items[1].price_id",
    ),
    case(
        Mor,
        r#"{"mode": "payment", "line_items": [{"product_id": "prod_pro", "quantity": 1}]}"#,
        "recurring_price_not_allowed",
        "line_items[0].product_id",
    ),
    // mixed_intervals: interval and interval_count must both agree.
    case(
        Mor,
        r#"{"mode": "subscription", "line_items": [{"price_id": "price_pro_monthly", "quantity": 1}, {"price_id": "price_pro_yearly", "quantity": 1}]}"#,
        "mixed_intervals",
        "line_items[1].price_id",
    ),
    case(
        Mor,
        r#"{"mode": "subscription", "line_items": [{"price_id": "price_seats_monthly", "quantity": 1}, {"price_id": "price_pro_monthly", "quantity": 1}, {"price_id": "price_pro_quarterly", "quantity": 1}]}"#,
        "mixed_intervals",
        "line_items[2].price_id",
    ),
    // invalid_country.
    case(
        Mor,
        r#"{"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantity": 1}], "buyer_country": "ZZ"}"#,
        "invalid_country",
        "buyer_country",
    ),
    case(
        Mor,
        r#"{"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantity": 1}], "buyer_country": "USA", "buyer_region": "CA"}"#,
        "invalid_country",
        "buyer_country",
    ),
    // invalid_region: malformed, or the ISO 3166-2 form of another country.
    case(
        Mor,
        r#"{"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantity": 1}], "buyer_country": "US", "buyer_region": "CA-QC"}"#,
        "invalid_region",
        "buyer_region",
    ),
    case(
        Mor,
        r#"{"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantity": 1}], "buyer_country": "US", "buyer_region": "CALIFORNIA"}"#,
        "invalid_region",
        "buyer_region",
    ),
    // amount_too_large: a line base, a sum of bases, a line total, a session total.
    case(
        Mor,
        // (2^63 - 8) x 2 > i64::MAX
        r#"{"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantity": 1}, {"price_id": "price_near_max", "quantity": 2}]}"#,
        "amount_too_large",
        "line_items[1]",
    ),
    case(
        Mor,
        // 2^62 + 2^62 = 2^63 > i64::MAX: each line fits, their sum does not.
        r#"{"mode": "payment", "line_items": [{"price_id": "price_half_max", "quantity": 1}, {"product_id": "prod_bulk", "quantity": 1}]}"#,
        "amount_too_large",
        "line_items[1]",
    ),
    case(
        Mor,
        // 9e18 + 8% = 9.72e18 > i64::MAX ~ 9.223e18: the line's total.
        r#"{"mode": "payment", "line_items": [{"price_id": "price_9e18", "quantity": 1}], "buyer_country": "US", "buyer_region": "CA"}"#,
        "amount_too_large",
        "line_items[0]",
    ),
    case(
        Mor,
        // Two lines of 4.5e18 (+ 3.6e17 tax each) fit; the session total 9.72e18 does not.
        r#"{"mode": "payment", "line_items": [{"price_id": "price_4_5e18", "quantity": 1}, {"price_id": "price_4_5e18", "quantity": 1}], "buyer_country": "US", "buyer_region": "CA"}"#,
        "amount_too_large",
        "line_items",
    ),
    // invalid_email.
    case(
        Mor,
        r#"{"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantity": 1}], "customer_email": "buyer@"}"#,
        "invalid_email",
        "customer_email",
    ),
    case(
        Mor,
        r#"{"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantity": 1}], "customer_email": "buyer example.com"}"#,
        "invalid_email",
        "customer_email",
    ),
    // invalid_url: relative, or not http(s).
    case(
        Mor,
        r#"{"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantity": 1}], "success_url": "yoursite.com/success"}"#,
        "invalid_url",
        "success_url",
    ),
    case(
        Mor,
        r#"{"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantity": 1}], "success_url": "https://yoursite.com/success", "cancel_url": "ftp://yoursite.com/cancel"}"#,
        "invalid_url",
        "cancel_url",
    ),
    // limit_exceeded: the longer cases are built in their own tests below.
    case(
        Mor,
        r#"{"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantity": 1}], "client_reference_id": "ooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo"}"#,
        "limit_exceeded",
        "client_reference_id",
    ),
];

fn engine_for(seller: Seller) -> Engine {
    match seller {
        Seller::Mor => mor(),
        Seller::Direct => direct(),
    }
}

#[test]
fn every_refusal_names_its_code_and_param() {
    let mut failures = Vec::new();
    for (i, r) in REFUSALS.iter().enumerate() {
        let got = support::quote(&engine_for(r.seller), r.request, AT);
        let expected = (r.code.to_owned(), r.param.map(str::to_owned));
        match got {
            Ok(q) => failures.push(format!(
                "case {i} ({} at {:?}) was quoted: {q}\n  request: {}",
                r.code, r.param, r.request
            )),
            Err(e) => {
                let actual = (e.code().as_str().to_owned(), e.param().map(str::to_owned));
                if actual != expected {
                    failures.push(format!(
                        "case {i}: expected {expected:?}, got {actual:?} ({e})\n  request: {}",
                        r.request
                    ));
                }
                // The JSON form carries the same code and param.
                let json = e.to_json();
                if json["error"]["code"] != r.code
                    || json["error"]["param"] != json!(r.param)
                    || !json["error"]["message"].is_string()
                {
                    failures.push(format!("case {i}: JSON form {json}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_code_of_the_spec_is_exercised() {
    let library: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    for code in support::SPEC_CODES {
        assert!(library.contains(&code), "the library has no `{code}`");
        let covered = REFUSALS.iter().any(|r| r.code == code);
        assert!(covered, "no refusal case produces `{code}`");
    }
}

#[test]
fn the_spec_example_request_is_quoted() {
    let q = support::quote(&mor(), SPEC_EXAMPLE, AT).unwrap();
    assert_eq!(status(&q), "calculated");
    assert_eq!(q["tax_jurisdiction"], "US-CA");
    assert_eq!(q["tax_regime"], "exclusive");
    assert_eq!(q["client_reference_id"], "order_10042");
    assert_eq!(q["line_items"][0]["price_id"], "price_xxx");
    assert_eq!(q["line_items"][0]["product_id"], "prod_widget");
}

// --- Limits ------------------------------------------------------------------

fn with_lines(n: usize) -> Value {
    let lines: Vec<Value> = (0..n)
        .map(|_| json!({"price_id": "price_xxx", "quantity": 1}))
        .collect();
    json!({"mode": "payment", "line_items": lines})
}

#[test]
fn one_hundred_line_items_are_allowed_but_not_one_hundred_and_one() {
    // 100 x 999 = 99 900, no location so no tax.
    let q = quoted(&mor(), &with_lines(100), AT);
    assert_eq!(sums(&q), Sums::of("USD", 99_900, 0, 99_900));
    assert_eq!(
        refused_value(&mor(), &with_lines(101), AT),
        error("limit_exceeded", "line_items")
    );
}

#[test]
fn string_limits_name_the_field() {
    let base =
        || json!({"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantity": 1}]});

    let mut r = base();
    r["client_reference_id"] = json!("r".repeat(200));
    assert_eq!(
        quoted(&mor(), &r, AT)["client_reference_id"],
        json!("r".repeat(200))
    );
    r["client_reference_id"] = json!("r".repeat(201));
    assert_eq!(
        refused_value(&mor(), &r, AT),
        error("limit_exceeded", "client_reference_id")
    );

    let mut r = base();
    r["line_items"][0]["description"] = json!("d".repeat(1001));
    assert_eq!(
        refused_value(&mor(), &r, AT),
        error("limit_exceeded", "line_items[0].description")
    );

    let mut r = base();
    r["line_items"][0]["price_id"] = json!("p".repeat(256));
    assert_eq!(
        refused_value(&mor(), &r, AT),
        error("limit_exceeded", "line_items[0].price_id")
    );

    let mut r = base();
    r["customer_email"] = json!(format!("{}@example.com", "b".repeat(250)));
    assert_eq!(
        refused_value(&mor(), &r, AT),
        error("limit_exceeded", "customer_email")
    );

    let mut r = base();
    r["success_url"] = json!(format!("https://yoursite.com/{}", "s".repeat(2048)));
    assert_eq!(
        refused_value(&mor(), &r, AT),
        error("limit_exceeded", "success_url")
    );
}

#[test]
fn a_request_over_one_mebibyte_is_refused_as_a_whole() {
    let mut r = with_lines(1);
    r["line_items"][0]["description"] = json!("x".repeat(1 << 20));
    let (code, param) = refused_value(&mor(), &r, AT);
    assert_eq!((code.as_str(), param), ("limit_exceeded", None));
}

// --- Which fault is reported ---------------------------------------------------

#[test]
fn top_level_fields_are_checked_before_line_items() {
    let r = json!({"mode": "payment", "customer_email": "nobody",
        "line_items": [{"price_id": "price_nope", "quantity": 1}]});
    assert_eq!(
        refused_value(&mor(), &r, AT),
        error("invalid_email", "customer_email")
    );
    let r = json!({"mode": "payment", "buyer_country": "ZZ",
        "line_items": [{"ad_hoc_amount": 1, "ad_hoc_currency": "usd", "quantity": 1}]});
    assert_eq!(
        refused_value(&mor(), &r, AT),
        error("invalid_country", "buyer_country")
    );
}

#[test]
fn line_items_are_checked_in_order() {
    let r = json!({"mode": "payment", "line_items": [
        {"price_id": "price_xxx", "quantity": 1},
        {"price_id": "price_nope", "quantity": 1},
        {"price_id": "price_xxx", "quantity": 0},
    ]});
    assert_eq!(
        refused_value(&mor(), &r, AT),
        error("unknown_price", "line_items[1].price_id")
    );
}

// --- The MoR rule ---------------------------------------------------------------

#[test]
fn merchant_of_record_refuses_ad_hoc_lines_and_direct_accepts_them() {
    let r = json!({"mode": "payment", "buyer_country": "US", "buyer_region": "CA",
    "line_items": [
        {"price_id": "price_xxx", "quantity": 1},
        {"ad_hoc_amount": 500, "ad_hoc_currency": "usd", "quantity": 1},
    ]});
    assert_eq!(
        refused_value(&mor(), &r, AT),
        error("ad_hoc_not_allowed", "line_items[1].ad_hoc_amount")
    );
    // Direct: 999 + 500 = 1 499; 8% = 79.92 -> 80 and 40 -> 120; 1 619.
    let q = quoted(&direct(), &r, AT);
    assert_eq!(sums(&q), Sums::of("USD", 1_499, 120, 1_619));
    assert_eq!(q["line_items"][1]["price_id"], Value::Null);
}

#[test]
fn ad_hoc_lines_are_taxed_as_general() {
    // DE at 19 for general, 7 for ebooks: 1 499 x 19/119 = 239.34 -> 239,
    // where the e-book's 1 499 x 7/107 = 98.07 -> 98.
    let r = json!({"mode": "payment", "buyer_country": "DE", "line_items": [
        {"ad_hoc_amount": 1499, "ad_hoc_currency": "eur", "quantity": 1},
        {"price_id": "price_ebook_eur", "quantity": 1},
    ]});
    let q = quoted(&direct(), &r, AT);
    assert_eq!(q["line_items"][0]["tax_category"], "general");
    assert_eq!(taxes(&q, 0), [support::tax("VAT", "19", 239)]);
    assert_eq!(taxes(&q, 1), [support::tax("VAT", "7", 98)]);
}

#[test]
fn a_price_without_a_product_is_taxed_as_general() {
    // US-TX general 6.25: 2 500 x 6.25% = 156.25 -> 156.
    let r = json!({"mode": "payment", "buyer_country": "US", "buyer_region": "TX",
        "line_items": [{"price_id": "price_gift_card", "quantity": 1}]});
    let q = quoted(&mor(), &r, AT);
    assert_eq!(q["line_items"][0]["tax_category"], "general");
    assert_eq!(sums(&q), Sums::of("USD", 2_500, 156, 2_656));
}

#[test]
fn product_id_uses_the_default_price() {
    let r =
        json!({"mode": "payment", "line_items": [{"product_id": "prod_widget", "quantity": 2}]});
    let q = quoted(&mor(), &r, AT);
    assert_eq!(q["line_items"][0]["price_id"], "price_xxx");
    assert_eq!(q["line_items"][0]["unit_amount"], 999);
    assert_eq!(sums(&q), Sums::of("USD", 1_998, 0, 1_998));
}

// --- Modes ----------------------------------------------------------------------

#[test]
fn setup_has_no_lines_no_amounts_and_no_currency() {
    for r in [
        json!({"mode": "setup"}),
        json!({"mode": "setup", "line_items": [], "buyer_country": "DE"}),
    ] {
        let q = quoted(&mor(), &r, AT);
        assert_eq!(q["mode"], "setup");
        assert_eq!(q["currency"], Value::Null);
        assert_eq!(
            (&q["amount_subtotal"], &q["amount_tax"], &q["amount_total"]),
            (&json!(0), &json!(0), &json!(0))
        );
        assert_eq!(q["line_items"], json!([]));
    }
}

#[test]
fn subscription_lines_share_one_interval() {
    // price_seats_monthly omits interval_count, which defaults to 1: the
    // same interval as price_pro_monthly. US-TX digital_services at 5:
    // 999 x 5% = 49.95 -> 50; 500 x 2 = 1 000 x 5% = 50.
    let r = json!({"mode": "subscription", "buyer_country": "US", "buyer_region": "TX",
    "line_items": [
        {"price_id": "price_pro_monthly", "quantity": 1},
        {"product_id": "prod_seats", "quantity": 2},
    ]});
    let q = quoted(&mor(), &r, AT);
    assert_eq!(q["mode"], "subscription");
    assert_eq!(sums(&q), Sums::of("USD", 1_999, 100, 2_099));
}

#[test]
fn presentation_does_not_change_amounts() {
    let iframe = support::quote(&mor(), SPEC_EXAMPLE, AT).unwrap();
    let link = support::quote(&mor(), &SPEC_EXAMPLE.replace("iframe", "link"), AT).unwrap();
    assert_eq!(sums(&iframe), sums(&link));
    assert_eq!(sums(&link), Sums::of("USD", 999, 80, 1_079));
}

// --- Currencies -------------------------------------------------------------------

#[test]
fn currencies_compare_case_insensitively_and_answer_upper_case() {
    // price_xxx is "usd", price_widget_usd_upper is "USD": one currency.
    let r = json!({"mode": "payment", "line_items": [
        {"price_id": "price_xxx", "quantity": 1},
        {"price_id": "price_widget_usd_upper", "quantity": 1},
    ]});
    let q = quoted(&mor(), &r, AT);
    assert_eq!(sums(&q), Sums::of("USD", 2_000, 0, 2_000));

    let r = json!({"mode": "payment", "line_items": [
        {"ad_hoc_amount": 100, "ad_hoc_currency": "Eur", "quantity": 1},
        {"price_id": "price_widget_eur", "quantity": 1},
    ]});
    assert_eq!(
        sums(&quoted(&direct(), &r, AT)),
        Sums::of("EUR", 1_100, 0, 1_100)
    );
}

#[test]
fn countries_and_regions_are_case_insensitive_in_either_form() {
    let expected = Sums::of("USD", 999, 80, 1_079);
    for (country, region) in [("US", "CA"), ("us", "ca"), ("Us", "US-CA"), ("US", "us-ca")] {
        let r = json!({"mode": "payment", "buyer_country": country, "buyer_region": region,
            "line_items": [{"price_id": "price_xxx", "quantity": 1}]});
        let q = quoted(&mor(), &r, AT);
        assert_eq!(sums(&q), expected, "{country}/{region}");
        assert_eq!(q["tax_jurisdiction"], "US-CA", "{country}/{region}");
    }
}

// --- Tax status ---------------------------------------------------------------------

fn widget_for(country: Option<&str>, region: Option<&str>) -> Value {
    let mut r =
        json!({"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantity": 1}]});
    if let Some(c) = country {
        r["buyer_country"] = json!(c);
    }
    if let Some(reg) = region {
        r["buyer_region"] = json!(reg);
    }
    r
}

/// Quotes 9.99 USD for this buyer and merchant; the status and the sums.
fn untaxed(engine: &Engine, country: Option<&str>, region: Option<&str>) -> (String, Sums) {
    let q = quoted(engine, &widget_for(country, region), AT);
    (status(&q).to_owned(), sums(&q))
}

#[test]
fn without_a_location_tax_is_not_calculated() {
    let none = Sums::of("USD", 999, 0, 999);
    // No country at all.
    assert_eq!(
        untaxed(&mor(), None, None),
        ("requires_location".into(), none.clone())
    );
    // US and CA have region rows: the country alone is not enough.
    assert_eq!(
        untaxed(&mor(), Some("US"), None),
        ("requires_location".into(), none.clone())
    );
    assert_eq!(
        untaxed(&mor(), Some("CA"), None),
        ("requires_location".into(), none.clone())
    );
    assert_eq!(
        untaxed(&mor(), Some("IN"), None),
        ("requires_location".into(), none.clone())
    );
    // A region without a country: still no country, so no tax (the spec's
    // rule), in either form.
    assert_eq!(
        untaxed(&mor(), None, Some("CA")),
        ("requires_location".into(), none.clone())
    );
    assert_eq!(
        untaxed(&mor(), None, Some("US-CA")),
        ("requires_location".into(), none)
    );
    // ...but its shape is still checked.
    assert_eq!(
        refused_value(&mor(), &widget_for(None, Some("not a region")), AT),
        error("invalid_region", "buyer_region")
    );
}

#[test]
fn outside_the_registrations_tax_is_not_collected() {
    let none = Sums::of("USD", 999, 0, 999);
    // Registered nowhere: every quote, even one with a location.
    let nowhere = engine(merchant(&json!({"tax_registrations": []})));
    assert_eq!(
        untaxed(&nowhere, Some("US"), Some("CA")),
        ("not_collecting".into(), none.clone())
    );
    assert_eq!(
        untaxed(&nowhere, None, None),
        ("not_collecting".into(), none.clone())
    );
    // A list that does not cover the buyer.
    let de = engine(merchant(&json!({"tax_registrations": ["DE"]})));
    assert_eq!(
        untaxed(&de, Some("US"), Some("CA")),
        ("not_collecting".into(), none.clone())
    );
    let ca_state = engine(merchant(&json!({"tax_registrations": ["US-CA"]})));
    assert_eq!(
        untaxed(&ca_state, Some("US"), Some("TX")),
        ("not_collecting".into(), none)
    );
    // ... but covers the state it names: 999 x 8% = 79.92 -> 80.
    assert_eq!(
        untaxed(&ca_state, Some("US"), Some("CA")),
        ("calculated".into(), Sums::of("USD", 999, 80, 1_079))
    );
}

#[test]
fn a_country_registration_covers_its_regions() {
    // Registered in CA (the country): a Quebec buyer is taxed.
    // 2 000 CAD: GST 5% = 100, QST 9.975% = 199.5 -> 200.
    let canada = engine(merchant(&json!({"tax_registrations": ["ca"]})));
    let r = json!({"mode": "payment", "buyer_country": "CA", "buyer_region": "QC",
        "line_items": [{"price_id": "price_widget_cad", "quantity": 1}]});
    let q = quoted(&canada, &r, AT);
    assert_eq!(status(&q), "calculated");
    assert_eq!(sums(&q), Sums::of("CAD", 2_000, 300, 2_300));
}

#[test]
fn a_location_the_table_does_not_cover_has_no_tax_data() {
    let none = Sums::of("USD", 999, 0, 999);
    // Brazil: no rows at all.
    assert_eq!(
        untaxed(&mor(), Some("BR"), None),
        ("no_tax_data".into(), none.clone())
    );
    // New York: the US has region rows, but none for NY and none for the US itself.
    assert_eq!(
        untaxed(&mor(), Some("US"), Some("NY")),
        ("no_tax_data".into(), none)
    );
}

#[test]
fn a_region_without_rows_of_its_own_uses_its_country_rows() {
    // Alberta and Yukon have no rows: the CA row (GST 5) applies.
    // 2 000 x 5% = 100.
    for region in ["AB", "YT"] {
        let r = json!({"mode": "payment", "buyer_country": "CA", "buyer_region": region,
            "line_items": [{"price_id": "price_widget_cad", "quantity": 1}]});
        let q = quoted(&mor(), &r, AT);
        assert_eq!(status(&q), "calculated", "{region}");
        assert_eq!(q["tax_jurisdiction"], "CA", "{region}");
        assert_eq!(taxes(&q, 0), [support::tax("GST", "5", 100)], "{region}");
        assert_eq!(sums(&q), Sums::of("CAD", 2_000, 100, 2_100), "{region}");
    }
}

#[test]
fn having_region_rows_is_a_property_of_the_whole_table_whatever_the_date() {
    // Ontario's HST row starts on 2010-07-01; in 2009 no region row is in
    // force, yet a Canadian buyer still needs a region (and with it gets
    // the CA row: 2 000 x 5% = 100).
    let csv = format!(
        "{HEADER}CA,exclusive,GST,*,5,2008-01-01,,https://www.canada.ca/en/revenue-agency/services/tax/businesses/topics/gst-hst-businesses/charge-collect-which-rate.html\n\
         CA-ON,exclusive,HST,*,13,2010-07-01,,https://www.canada.ca/en/revenue-agency/services/tax/businesses/topics/gst-hst-businesses/charge-collect-which-rate.html\n"
    );
    let engine = support::engine_with_table(
        checkout_tax::Merchant::new(checkout_tax::MerchantType::MerchantOfRecord),
        &csv,
    );
    let r = json!({"mode": "payment", "buyer_country": "CA",
        "line_items": [{"price_id": "price_widget_cad", "quantity": 1}]});
    let q = quoted(&engine, &r, "2009-06-01");
    assert_eq!(status(&q), "requires_location");
    assert_eq!(sums(&q), Sums::of("CAD", 2_000, 0, 2_000));
    let mut r = r;
    r["buyer_region"] = json!("NS");
    let q = quoted(&engine, &r, "2009-06-01");
    assert_eq!(status(&q), "calculated");
    assert_eq!(sums(&q), Sums::of("CAD", 2_000, 100, 2_100));
}

#[test]
fn an_ad_hoc_amount_of_zero_is_allowed() {
    // >= 0: a free line, 0 of tax, in its currency.
    let r = json!({"mode": "payment", "buyer_country": "US", "buyer_region": "CA",
        "line_items": [{"ad_hoc_amount": 0, "ad_hoc_currency": "usd", "quantity": 3}]});
    assert_eq!(sums(&quoted(&direct(), &r, AT)), Sums::of("USD", 0, 0, 0));
}

// --- Categories and dates ---------------------------------------------------------------

fn ebook_in_de(at: &str) -> Vec<(String, String, i64)> {
    let r = json!({"mode": "payment", "buyer_country": "DE",
        "line_items": [{"price_id": "price_ebook_eur", "quantity": 1}]});
    taxes(&quoted(&mor(), &r, at), 0)
}

#[test]
fn the_category_row_wins_over_the_star_row() {
    // 1 499 x 7/107 = 98.07 -> 98 (ebooks), where a general line of 1 000
    // gets 1 000 x 19/119 = 159.66 -> 160.
    assert_eq!(ebook_in_de(AT), [support::tax("VAT", "7", 98)]);
    let r = json!({"mode": "payment", "buyer_country": "DE",
        "line_items": [{"price_id": "price_widget_eur", "quantity": 1}]});
    assert_eq!(
        taxes(&quoted(&mor(), &r, AT), 0),
        [support::tax("VAT", "19", 160)]
    );
}

#[test]
fn a_category_row_not_yet_in_force_falls_back_to_the_star_row() {
    // The DE ebooks row starts on 2019-12-18 (valid_from inclusive).
    // The day before: 1 499 x 19/119 = 239.34 -> 239.
    assert_eq!(ebook_in_de("2019-12-17"), [support::tax("VAT", "19", 239)]);
    assert_eq!(ebook_in_de("2019-12-18"), [support::tax("VAT", "7", 98)]);
}

#[test]
fn a_zero_rated_category_is_calculated_at_zero() {
    // GB ebooks 0 (from 2020-05-01): tax 0, but calculated with its component.
    let r = json!({"mode": "payment", "buyer_country": "GB",
        "line_items": [{"price_id": "price_ebook_gbp", "quantity": 1}]});
    let q = quoted(&mor(), &r, AT);
    assert_eq!(status(&q), "calculated");
    assert_eq!(taxes(&q, 0), [support::tax("VAT", "0", 0)]);
    assert_eq!(sums(&q), Sums::of("GBP", 999, 0, 999));
    // Before 2020-05-01 the star row applies: 999 x 20/120 = 166.5 -> 167.
    let q = quoted(&mor(), &r, "2020-04-30");
    assert_eq!(taxes(&q, 0), [support::tax("VAT", "20", 167)]);
}

// --- Malformed tax data ------------------------------------------------------------------

const HEADER: &str = "jurisdiction,regime,tax_name,category,rate,valid_from,valid_to,source\n";
const DE_ROW: &str =
    "DE,inclusive,VAT,*,19,2007-01-01,,https://www.gesetze-im-internet.de/ustg_1980/__12.html\n";

/// The line number of a tax-data refusal (the header is line 1).
fn bad_line(csv: &str) -> usize {
    match RateTable::from_csv(csv) {
        Ok(_) => panic!("accepted:\n{csv}"),
        Err(e) => {
            assert_eq!(e.code().as_str(), "invalid_tax_data", "{e}");
            assert!(!e.is_request_error(), "{e}");
            match &e {
                Error::TaxData { line, .. } => {
                    assert!(e.to_string().contains(&format!("line {line}")), "{e}");
                    *line
                }
                other => panic!("not a tax-data error: {other:?}"),
            }
        }
    }
}

#[test]
fn malformed_tax_data_is_refused_with_its_line_number() {
    let second = |row: &str| format!("{HEADER}{DE_ROW}{row}\n");
    // A negative rate.
    assert_eq!(
        bad_line(&second(
            "FI,inclusive,VAT,*,-25.5,2024-09-01,,https://www.vero.fi/"
        )),
        3
    );
    // A row without a source.
    assert_eq!(bad_line(&second("FI,inclusive,VAT,*,25.5,2024-09-01,,")), 3);
    // Overlapping validity for one jurisdiction, tax and category: the later row.
    assert_eq!(
        bad_line(&second(
            "DE,inclusive,VAT,*,16,2020-07-01,2021-01-01,https://www.gesetze-im-internet.de/ustg_1980/__28.html"
        )),
        3
    );
    // Two regimes for one jurisdiction.
    assert_eq!(
        bad_line(&second(
            "DE,exclusive,VAT,ebooks,7,2019-12-18,,https://www.gesetze-im-internet.de/ustg_1980/__12.html"
        )),
        3
    );
    // A rate that is not a number, and one above 100.
    assert_eq!(
        bad_line(&second(
            "FI,inclusive,VAT,*,25.5%,2024-09-01,,https://www.vero.fi/"
        )),
        3
    );
    assert_eq!(
        bad_line(&second(
            "FI,inclusive,VAT,*,125,2024-09-01,,https://www.vero.fi/"
        )),
        3
    );
    // A date that is not YYYY-MM-DD.
    assert_eq!(
        bad_line(&second(
            "FI,inclusive,VAT,*,25.5,1.9.2024,,https://www.vero.fi/"
        )),
        3
    );
    // Further down the file the number follows: line 4.
    assert_eq!(
        bad_line(&format!(
            "{HEADER}{DE_ROW}FI,inclusive,VAT,*,25.5,2024-09-01,,https://www.vero.fi/\nFI,inclusive,VAT,ebooks,-14,,,https://www.vero.fi/\n"
        )),
        4
    );
    // A wrong header is line 1.
    assert_eq!(
        bad_line("jurisdiction,regime,tax,category,rate,from,to,source\n"),
        1
    );
}

#[test]
fn adjacent_validity_periods_do_not_overlap() {
    // valid_to is exclusive: a period ending on 2024-09-01 and one starting
    // on 2024-09-01 are back to back.
    let csv = format!(
        "{HEADER}FI,inclusive,VAT,*,24,2013-01-01,2024-09-01,https://www.vero.fi/\n\
         FI,inclusive,VAT,*,25.5,2024-09-01,,https://www.vero.fi/\n"
    );
    assert_eq!(RateTable::from_csv(&csv).unwrap().rows().len(), 2);
}

#[test]
fn the_fixture_table_parses_whole() {
    // 26 data rows; every one has a source.
    let table = support::table();
    assert_eq!(table.rows().len(), 26);
    assert!(table.rows().iter().all(|r| r.source.starts_with("http")));
}

#[test]
fn a_bad_line_is_named_by_its_own_index() {
    // The same bad line at index 0 and 2 names its own index.
    for at in [0usize, 2] {
        let mut lines = vec![json!({"price_id": "price_xxx", "quantity": 1}); 3];
        lines[at] = json!({"price_id": "price_xxx", "quantity": 1, "ad_hoc_amount": 5});
        let r = json!({"mode": "payment", "line_items": lines});
        assert_eq!(
            refused(&mor(), &r.to_string(), AT),
            error("invalid_line_item", &format!("line_items[{at}]"))
        );
    }
}

// --- The catalog is checked whole when it loads (spec v2) ------------------------

/// Each kind of catalog mistake, refused at load with the path of the entry.
#[test]
fn broken_catalogs_are_refused_at_load_with_the_entry_path() {
    use checkout_tax::{Catalog, Engine};
    let price = |extra: &str| {
        format!(
            r#"{{"products": [{{"id": "prod_a", "default_price": "price_a"}}],
                "prices": [{{"id": "price_a", "product": "prod_a", "currency": "usd", "unit_amount": 100}}, {extra}]}}"#
        )
    };
    let cases: Vec<(String, &str)> = vec![
        (price(r#"{"id": "p", "currency": "xau", "unit_amount": 1}"#), "prices[1].currency"),
        (price(r#"{"id": "p", "currency": "XXX", "unit_amount": 1}"#), "prices[1].currency"),
        (price(r#"{"id": "p", "currency": "usdx", "unit_amount": 1}"#), "prices[1].currency"),
        (price(r#"{"id": "p", "currency": "usd", "unit_amount": -1}"#), "prices[1].unit_amount"),
        (price(r#"{"id": "p", "currency": "usd", "unit_amount": 9.99}"#), "prices[1].unit_amount"),
        (price(r#"{"id": "p", "product": "prod_missing", "currency": "usd", "unit_amount": 1}"#), "prices[1].product"),
        (price(r#"{"id": "p", "currency": "usd", "unit_amount": 1, "recurring": {"interval": "fortnight"}}"#), "prices[1].recurring.interval"),
        (price(r#"{"id": "p", "currency": "usd", "unit_amount": 1, "recurring": {"interval": "month", "interval_count": 0}}"#), "prices[1].recurring.interval_count"),
        (price(r#"{"id": "price_a", "currency": "usd", "unit_amount": 1}"#), "prices[1].id"),
        (
            r#"{"products": [{"id": "prod_a", "default_price": "price_gone"}], "prices": []}"#.to_owned(),
            "products[0].default_price",
        ),
        (
            r#"{"products": [{"id": "prod_a", "default_price": "price_b"}, {"id": "prod_b"}],
                "prices": [{"id": "price_b", "product": "prod_b", "currency": "usd", "unit_amount": 1}]}"#
                .to_owned(),
            "products[0].default_price",
        ),
    ];
    for (json, path) in cases {
        let err = Catalog::from_json(&json).expect_err(&json);
        assert_eq!(err.code().as_str(), "invalid_catalog", "{json}");
        assert_eq!(err.param(), Some(path), "{json}: {err}");
        assert!(!err.is_request_error(), "{json}");
    }
    // An unknown tax category is refused when the engine is built, against
    // the table in use and the embedded one.
    for (category, ok) in [
        ("saas", false),
        ("Digital_Services", false),
        ("general", true),
        ("ebooks", true),
        ("digital_services", true),
    ] {
        let catalog = Catalog::from_json(&format!(
            r#"{{"products": [{{"id": "prod_a", "tax_category": "{category}"}}], "prices": []}}"#
        ))
        .unwrap();
        let built = Engine::builder().catalog(catalog).build();
        assert_eq!(built.is_ok(), ok, "{category}");
        if let Err(e) = built {
            assert_eq!(e.param(), Some("products[0].tax_category"));
        }
    }
    // A table of one's own can add a category by giving it rows; one
    // without special rows still accepts the embedded table's categories.
    let own = checkout_tax::RateTable::from_csv(
        "jurisdiction,regime,tax_name,category,rate,valid_from,valid_to,source\n\
         US-TX,exclusive,Sales tax,*,6.25,,,https://comptroller.texas.gov/\n\
         US-TX,exclusive,Sales tax,saas,5,,,https://comptroller.texas.gov/\n",
    )
    .unwrap();
    let table = std::sync::Arc::new(own);
    for category in ["saas", "ebooks"] {
        let catalog = Catalog::from_json(&format!(
            r#"{{"products": [{{"id": "prod_a", "tax_category": "{category}"}}], "prices": []}}"#
        ))
        .unwrap();
        assert!(
            Engine::builder()
                .catalog(catalog)
                .tax_table(table.clone())
                .build()
                .is_ok(),
            "{category}"
        );
    }
}
