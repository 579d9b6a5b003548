//! The invariants the fuzz targets check, shared by the cargo-fuzz targets
//! (`fuzz/fuzz_targets/*.rs`) and the proptest harness
//! (`tests/fuzz_harness.rs`), which both include this file with `#[path]`.
//!
//! Each check takes arbitrary bytes and panics (a crash for libFuzzer, a
//! failed case for proptest) when the engine panics or breaks an invariant.

// Each fuzz target uses one check; the harness uses them all.
#![allow(dead_code)]

use checkout_tax::tax::TaxLookup;
use checkout_tax::{
    Catalog, Date, Engine, Error, ErrorCode, LineItem, Merchant, MerchantType, Mode, Quote,
    RateTable, Regime, RoundingLevel, RoundingMode, SessionRequest, TaxStatus,
};
use serde_json::Value;
use std::sync::OnceLock;

/// The catalog every request is quoted against.
pub const CATALOG: &str = include_str!("../examples/catalog.json");

/// The valid requests `verify_response` checks responses against.
pub const VERIFY_REQUESTS: [&str; 3] = [
    include_str!("../examples/request.json"),
    include_str!("../examples/request_eu_de.json"),
    include_str!("../examples/request_subscription.json"),
];

/// The date of every quote, so that results do not age.
pub const AT: &str = "2025-06-01";

/// Engines built once per process.
pub struct Fixture {
    /// Both merchant types, both rounding levels (and both rounding modes),
    /// with the embedded tax table.
    pub engines: Vec<(&'static str, Engine)>,
    /// The date of every quote.
    pub date: Date,
    /// Parsed `VERIFY_REQUESTS`.
    pub verify_requests: Vec<SessionRequest<'static>>,
}

/// The shared fixture.
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let catalog = std::sync::Arc::new(Catalog::from_json(CATALOG).expect("catalog parses"));
        let merchant = |t, level, mode| Merchant {
            rounding_level: level,
            rounding_mode: mode,
            ..Merchant::new(t)
        };
        let engines = [
            (
                "mor/line/half_up",
                merchant(
                    MerchantType::MerchantOfRecord,
                    RoundingLevel::Line,
                    RoundingMode::HalfUp,
                ),
            ),
            (
                "mor/document/half_even",
                merchant(
                    MerchantType::MerchantOfRecord,
                    RoundingLevel::Document,
                    RoundingMode::HalfEven,
                ),
            ),
            (
                "direct/line/half_even",
                merchant(
                    MerchantType::Direct,
                    RoundingLevel::Line,
                    RoundingMode::HalfEven,
                ),
            ),
            (
                "direct/document/half_up",
                merchant(
                    MerchantType::Direct,
                    RoundingLevel::Document,
                    RoundingMode::HalfUp,
                ),
            ),
        ]
        .into_iter()
        .map(|(name, m)| {
            let engine = Engine::builder()
                .catalog(std::sync::Arc::clone(&catalog))
                .merchant(m)
                .build()
                .expect("the embedded table parses");
            (name, engine)
        })
        .collect();
        let verify_requests = VERIFY_REQUESTS
            .iter()
            .map(|r| {
                SessionRequest::from_json(r)
                    .expect("example request parses")
                    .into_owned()
            })
            .collect();
        Fixture {
            engines,
            date: checkout_tax::parse_date(AT).expect("date"),
            verify_requests,
        }
    })
}

// ---------------------------------------------------------------- requests

/// Target `request_quote`: bytes -> `SessionRequest::from_json` ->
/// `Engine::quote` on every engine, and the same bytes through
/// `Engine::quote_json`.
pub fn request_quote(data: &[u8]) {
    let f = fixture();
    let text = String::from_utf8_lossy(data);
    let parsed = SessionRequest::from_json(&text);
    let utf8 = std::str::from_utf8(data).is_ok();
    match &parsed {
        Err(e) => assert_request_error(e, &text),
        Ok(request) => {
            assert_eq!(
                &request.clone().into_owned(),
                request,
                "into_owned changed it"
            );
        }
    }
    for (name, engine) in &f.engines {
        let outcome = parsed.as_ref().map_err(Clone::clone).and_then(|r| {
            let quote = engine.quote(r, f.date);
            if let Ok(q) = &quote {
                check_quote(q, r, name);
            }
            quote.map(|q| {
                let mut json = Vec::new();
                q.write_json(&mut json);
                json
            })
        });
        if let Err(e) = &outcome {
            assert_request_error(e, &text);
        }
        // The batch's unit of work gives the same answer on the raw bytes.
        let mut line = Vec::new();
        let quoted = engine.quote_json(data, f.date, &mut line).is_quote();
        assert!(!line.contains(&b'\n'), "{name}: a batch answer spans lines");
        let answer: Value = serde_json::from_slice(&line).expect("a batch answer is JSON");
        match (&outcome, utf8) {
            (Ok(json), true) => {
                assert!(quoted, "{name}: batch refused what quote accepted");
                assert_eq!(&line, json, "{name}: batch and quote differ");
            }
            (Err(e), true) => {
                assert!(!quoted, "{name}: batch quoted what quote refused");
                assert_eq!(answer, e.to_json(), "{name}: batch and quote errors differ");
            }
            // Invalid UTF-8 is refused where the parser meets it, unless an
            // earlier fault is refused first; it is never quoted.
            (_, false) => {
                assert!(!quoted, "{name}: batch quoted invalid UTF-8");
                let code = &answer["error"]["code"];
                assert!(
                    ErrorCode::ALL.iter().any(|c| code == c.as_str()),
                    "{name}: {answer}"
                );
            }
        }
    }
}

/// An error a request may get: a request error with one of the spec's codes
/// and a JSON form that says so.
pub fn assert_request_error(e: &Error, input: &str) {
    assert!(
        e.is_request_error(),
        "not a request error: {e:?} for {:?}",
        clip(input)
    );
    let code = e.code();
    assert!(ErrorCode::ALL.contains(&code), "{code:?} not in ALL");
    assert!(
        !matches!(
            code,
            ErrorCode::InvalidTaxData | ErrorCode::InvalidConfiguration
        ),
        "{code:?} for a request"
    );
    let json = e.to_json();
    assert_eq!(json["error"]["code"], code.as_str());
    assert!(
        ErrorCode::ALL
            .iter()
            .any(|c| json["error"]["code"] == c.as_str()),
        "unknown code in {json}"
    );
    assert!(!e.message().is_empty(), "empty message for {code:?}");
    assert!(json["error"]["param"].is_string() || json["error"]["param"].is_null());
}

/// A quote's arithmetic: session sums equal line sums, totals follow the
/// regime after the discount, amounts are never negative, and the fast JSON
/// writer, serde and `verify` agree.
pub fn check_quote(q: &Quote<'_>, request: &SessionRequest<'_>, name: &str) {
    let inclusive = q.tax_regime == Some(Regime::Inclusive);
    let (sub, disc, tax, total) = (
        i128::from(q.amount_subtotal),
        i128::from(q.amount_discount),
        i128::from(q.amount_tax),
        i128::from(q.amount_total),
    );
    assert!(
        disc >= 0 && disc <= sub,
        "{name}: discount outside 0..=subtotal"
    );
    match q.discounts.as_slice() {
        [] => assert_eq!(disc, 0, "{name}: a discount without a coupon"),
        [d] => assert_eq!(i128::from(d.amount), disc, "{name}: discounts echo"),
        _ => panic!("{name}: several discounts"),
    }
    assert!(
        request.discounts.len() <= 1,
        "{name}: quoted several discounts"
    );
    let net = sub - disc;
    assert_eq!(q.mode, request.mode, "{name}");
    if request.mode == Mode::Setup {
        assert_eq!(q.currency, None, "{name}: setup has no currency");
        assert_eq!((sub, tax, total), (0, 0, 0), "{name}: setup amounts");
    } else {
        assert!(q.currency.is_some(), "{name}: no currency");
    }
    assert_eq!(q.line_items.len(), request.line_items.len(), "{name}");
    assert!(sub >= 0 && tax >= 0, "{name}: negative amount");
    if inclusive {
        assert_eq!(total, net, "{name}: inclusive total != subtotal - discount");
        assert!(tax <= net, "{name}: included tax above the price");
    } else {
        assert_eq!(
            total,
            net + tax,
            "{name}: exclusive total != subtotal - discount + tax"
        );
    }
    if q.tax_status != TaxStatus::Calculated {
        assert_eq!(tax, 0, "{name}: tax without status calculated");
    }
    let (mut lines_sub, mut lines_disc, mut lines_tax, mut lines_total) =
        (0i128, 0i128, 0i128, 0i128);
    for (i, (line, item)) in q.line_items.iter().zip(&request.line_items).enumerate() {
        let (ls, ld, lt, ltot) = (
            i128::from(line.amount_subtotal),
            i128::from(line.amount_discount),
            i128::from(line.amount_tax),
            i128::from(line.amount_total),
        );
        assert!(
            ld >= 0 && ld <= ls,
            "{name}: line {i} discount outside its base"
        );
        assert_eq!(Some(line.quantity), item.quantity, "{name}: line {i}");
        assert_eq!(
            ls,
            i128::from(line.unit_amount) * i128::from(line.quantity),
            "{name}: line {i} base"
        );
        assert!(ls >= 0 && lt >= 0, "{name}: line {i} negative");
        let components: i128 = line.taxes.iter().map(|t| i128::from(t.amount)).sum();
        assert_eq!(components, lt, "{name}: line {i} components");
        assert!(
            line.taxes.iter().all(|t| t.amount >= 0),
            "{name}: line {i} negative component"
        );
        if inclusive {
            assert_eq!(ltot, ls - ld, "{name}: line {i} inclusive total");
        } else {
            assert_eq!(ltot, ls - ld + lt, "{name}: line {i} exclusive total");
        }
        lines_sub += ls;
        lines_disc += ld;
        lines_tax += lt;
        lines_total += ltot;
    }
    assert_eq!(
        (sub, disc, tax, total),
        (lines_sub, lines_disc, lines_tax, lines_total),
        "{name}: session sums != line sums"
    );
    assert_eq!(
        q.client_reference_id.as_deref(),
        request.client_reference_id.as_deref(),
        "{name}: client_reference_id not echoed"
    );

    let mut fast = Vec::new();
    q.write_json(&mut fast);
    let serde = serde_json::to_vec(q).expect("a quote serialises");
    assert_eq!(fast, serde, "{name}: write_json differs from serde");
    let value: Value = serde_json::from_slice(&fast).expect("a quote is JSON");
    let own = checkout_tax::verify::compare(q, &value);
    assert!(
        own.is_match(),
        "{name}: verify rejects the engine's own quote: {own:?}"
    );
}

// ---------------------------------------------------------------- tax data

/// Target `tax_csv`: bytes (lossy UTF-8) -> `RateTable::from_csv`. On Ok
/// every row is found again by a look-up at a date it is in force, and an
/// engine on the table quotes a buyer there; on Err the error is a tax-data
/// error with a line number inside the file.
pub fn tax_csv(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match RateTable::from_csv(&text) {
        Ok(table) => check_table(table),
        Err(Error::TaxData { line, reason }) => {
            // Lines end with `\n`, `\r\n` or a lone `\r`.
            let lines = text.replace("\r\n", "\n").matches(['\n', '\r']).count() + 1;
            assert!(line >= 1, "line 0: {reason}");
            assert!(
                line <= lines,
                "line {line} of a {lines}-line file: {reason}"
            );
            assert!(!reason.is_empty());
        }
        Err(other) => panic!("not a tax-data error: {other:?}"),
    }
}

fn check_table(table: RateTable) {
    let fallback = checkout_tax::parse_date(AT).expect("date");
    let rows = table.rows().to_vec();
    for row in &rows {
        let date = in_force_date(row, fallback);
        assert!(
            row.in_force(date),
            "line {}: not in force on {date}",
            row.line
        );
        assert!(table.rows_at(date).any(|r| r.line == row.line));
        let country_with_regions =
            !row.jurisdiction.is_region() && table.has_regions(row.jurisdiction);
        match table.lookup(row.jurisdiction) {
            TaxLookup::Found(rates) => {
                assert!(
                    !country_with_regions,
                    "line {}: found, needs region",
                    row.line
                );
                assert_eq!(rates.jurisdiction(), row.jurisdiction, "line {}", row.line);
                assert_eq!(rates.regime(), row.regime, "line {}", row.line);
                let components = rates.components(&row.category, date);
                assert!(
                    components
                        .iter()
                        .any(|c| *c.name == *row.tax_name && c.rate == row.rate),
                    "line {}: its rate is not used on {date}: {components:?}",
                    row.line
                );
                assert!(
                    components.windows(2).all(|w| w[0].line < w[1].line),
                    "components out of data order: {components:?} from rows {:?}",
                    table.rows()
                );
            }
            TaxLookup::NeedsRegion => {
                assert!(country_with_regions, "line {}: needs region?", row.line);
            }
            TaxLookup::NoData => panic!("line {}: no data for its own jurisdiction", row.line),
            other => panic!("line {}: {other:?}", row.line),
        }
    }

    // Quote a buyer at the first few rows' jurisdictions with every rounding.
    let table = std::sync::Arc::new(table);
    for row in rows.iter().take(6) {
        let j = row.jurisdiction;
        let date = in_force_date(row, fallback);
        let request = SessionRequest {
            buyer_country: Some(j.country().as_str().to_owned().into()),
            buyer_region: j.is_region().then(|| j.as_str().to_owned().into()),
            ..SessionRequest::new(
                Mode::Payment,
                vec![
                    LineItem::ad_hoc(1999, "eur", 3),
                    LineItem::ad_hoc(1, "eur", 1),
                    LineItem::ad_hoc(i64::MAX / 4, "eur", 1),
                ],
            )
        };
        for level in [RoundingLevel::Line, RoundingLevel::Document] {
            for mode in [RoundingMode::HalfUp, RoundingMode::HalfEven] {
                let engine = Engine::builder()
                    .tax_table(std::sync::Arc::clone(&table))
                    .merchant(Merchant {
                        rounding_level: level,
                        rounding_mode: mode,
                        ..Merchant::new(MerchantType::Direct)
                    })
                    .build()
                    .expect("engine");
                let covered = table.covered_from().is_none_or(|first| date >= first);
                match engine.quote(&request, date) {
                    Ok(q) => {
                        assert!(covered, "{j}: quoted on {date}, before the data's coverage");
                        let in_force = matches!(
                            table.lookup(j),
                            checkout_tax::tax::TaxLookup::Found(r) if r.in_force(date)
                        );
                        let expected = if !j.is_region() && table.has_regions(j) {
                            TaxStatus::RequiresLocation
                        } else if in_force {
                            TaxStatus::Calculated
                        } else {
                            // Rows exist but no `*` row is in force: no data (spec v2).
                            TaxStatus::NoTaxData
                        };
                        assert_eq!(q.tax_status, expected, "{j}");
                        check_quote(&q, &request, "tax_csv");
                    }
                    // A row that ends on the first covered day is in force
                    // only before it: that date is refused (spec v2).
                    Err(e) if !covered => {
                        assert_eq!(e.code(), ErrorCode::DateNotCovered, "{e}");
                        assert_eq!(e.param(), Some("at"), "{e}");
                    }
                    // Rates above 100% in sum can push an exclusive total
                    // past int64; that must be the refusal, nothing else.
                    Err(e) => assert_eq!(e.code(), ErrorCode::AmountTooLarge, "{e}"),
                }
            }
        }
    }
}

/// A date the row is in force: its first day, else the day before its end,
/// else `fallback`.
fn in_force_date(row: &checkout_tax::tax::RateRow, fallback: Date) -> Date {
    row.valid_from
        .or_else(|| row.valid_to.and_then(|t| t.yesterday().ok()))
        .unwrap_or(fallback)
}

// ---------------------------------------------------------------- verify

/// Target `verify_response`: bytes -> JSON -> `Engine::verify` of fixed
/// valid requests. Never panics, never refuses the (valid) request, and
/// reports a mismatch exactly when the response differs from the quote.
pub fn verify_response(data: &[u8]) {
    verify_bytes(data);
    let Ok(response) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    verify_value(&response);
}

/// `Engine::verify_json`, which builds only the members verify reads,
/// reports what `Report::compare` reports on a full parse of the same
/// bytes; bytes that are not JSON are a `response` mismatch.
pub fn verify_bytes(data: &[u8]) {
    let f = fixture();
    // The parse is what is checked: one engine is enough.
    for (name, engine) in f.engines.iter().take(1) {
        for text in VERIFY_REQUESTS {
            let report = engine.verify_json(text.as_bytes(), data, f.date);
            let request = SessionRequest::from_json(text).expect("example request parses");
            let outcome = engine.quote(&request, f.date).map(|q| q.into_owned());
            match serde_json::from_slice::<Value>(data) {
                Ok(full) => assert_eq!(
                    report,
                    checkout_tax::verify::Report::compare(outcome, &full),
                    "{name}: verify_json differs from a full parse"
                ),
                Err(_) => {
                    assert!(!report.matched, "{name}: bytes that are not JSON matched");
                    assert_eq!(report.mismatches.len(), 1, "{name}");
                    assert_eq!(report.mismatches[0].field, "response", "{name}");
                }
            }
        }
    }
}

/// The `verify_response` check on a JSON value.
pub fn verify_value(response: &Value) {
    let f = fixture();
    for (name, engine) in &f.engines {
        for request in &f.verify_requests {
            let report = engine
                .verify(request, response, f.date)
                .unwrap_or_else(|e| panic!("{name}: a valid request was refused: {e}"));
            let quote = engine.quote(request, f.date).expect("quote");
            let session = checkout_tax::verify::session_of(response);
            let amounts_equal = ["amount_subtotal", "amount_tax", "amount_total"]
                .iter()
                .zip([quote.amount_subtotal, quote.amount_tax, quote.amount_total])
                .all(|(field, expected)| {
                    session.get(field).and_then(Value::as_i64) == Some(expected)
                });
            if !amounts_equal {
                assert!(!report.is_match(), "{name}: wrong amounts accepted");
            }
            for m in &report.mismatches {
                assert!(
                    m.field == "currency"
                        // A response that is a refusal (spec v2).
                        || m.field == "error.code"
                        // Stripe's place for the discount (spec v3).
                        || m.field == "total_details.amount_discount"
                        || m.field == "line_items.length"
                        || m.field.starts_with("amount_")
                        || m.field.starts_with("line_items["),
                    "{name}: odd mismatch field {}",
                    m.field
                );
                assert_ne!(m.expected, m.actual, "{name}: equal values reported");
            }
            serde_json::to_string(&report).expect("a report serialises");
        }
    }
}

// ---------------------------------------------------------------- catalogs

/// Bytes (lossy UTF-8) as a catalog file, coupons and promotion codes
/// included: never a panic; a refusal is [`Error::Catalog`] naming an
/// entry; an accepted catalog's coupons and codes are all found again, and
/// an engine on it quotes each coupon on a line of every product.
pub fn catalog_json(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let catalog = match Catalog::from_json(&text) {
        Ok(catalog) => catalog,
        Err(Error::Catalog { reason, .. }) => {
            assert!(!reason.is_empty());
            return;
        }
        Err(other) => panic!("not a catalog error: {other:?}"),
    };
    for coupon in catalog.coupons() {
        assert_eq!(catalog.coupon(&coupon.id), Some(coupon));
    }
    // Codes match when their Unicode lower cases are equal: the code as
    // written, in lower case and with its ASCII letters upper-cased always
    // do; its full upper case does unless lower-casing it again gives
    // another text (`ı` upper-cases to `I`, which lower-cases to `i`).
    for promo in catalog.promotion_codes() {
        let code = promo.code.as_str();
        let mut spellings = vec![
            code.to_owned(),
            code.to_lowercase(),
            code.to_ascii_uppercase(),
        ];
        let upper = code.to_uppercase();
        if upper.to_lowercase() == code.to_lowercase() {
            spellings.push(upper);
        }
        for spelling in spellings {
            assert!(
                catalog.promotion_code(&spelling).is_some(),
                "code `{code}` not found as `{spelling}`"
            );
        }
    }
    let Ok(engine) = Engine::builder()
        .catalog(catalog.clone())
        .merchant(Merchant::new(MerchantType::Direct))
        .build()
    else {
        // A tax category no table knows: refused at build, not here.
        return;
    };
    let date = checkout_tax::parse_date(AT).expect("date");
    for coupon in catalog.coupons().take(8) {
        let lines = catalog
            .prices()
            .take(4)
            .map(|p| LineItem::price(p.id.clone(), 2))
            .chain([LineItem::ad_hoc(1999, "usd", 1)])
            .collect();
        let request = SessionRequest {
            discounts: vec![checkout_tax::Discount::coupon(coupon.id.clone())].into(),
            buyer_country: Some("US".into()),
            buyer_region: Some("CA".into()),
            ..SessionRequest::new(Mode::Payment, lines)
        };
        match engine.quote(&request, date) {
            Ok(q) => check_quote(&q, &request, "catalog_json"),
            Err(e) => assert_request_error(&e, &coupon.id),
        }
    }
}

fn clip(text: &str) -> &str {
    let mut end = text.len().min(200);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
