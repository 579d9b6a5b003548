//! Discounts (spec v3): the shape rules that requests built in code get,
//! the catalog's coupon checks, the fast writer with a discount, `verify`
//! on the discount, and the laws as property tests. The refusals are
//! corpus cases (`tests/corpus/refusals.json`, `discounts.*`), the sourced
//! cases golden files (`tests/golden/discount_*.json`), and hostile
//! coupons and discounts part of the fuzz harness.

use checkout_tax::{
    Catalog, Coupon, Discount, Engine, Error, LineItem, Merchant, MerchantType, Mode, Quote,
    RateTable, RoundingLevel, RoundingMode, SessionRequest,
};
use proptest::prelude::*;
use serde_json::{Value, json};

const AT: &str = "2025-06-01";

/// One exclusive single-rate, one inclusive and one exclusive two-component
/// jurisdiction: the refusal corpus's `discounts` setup.
const TABLE: &str = include_str!("../corpus/discounts_rates.csv");

const CATALOG: &str = include_str!("../corpus/discounts_catalog.json");

fn engine(merchant_type: MerchantType) -> Engine {
    Engine::builder()
        .catalog(Catalog::from_json(CATALOG).unwrap())
        .tax_table(RateTable::from_csv(TABLE).unwrap())
        .merchant(Merchant::new(merchant_type))
        .build()
        .unwrap()
}

fn date() -> checkout_tax::Date {
    checkout_tax::parse_date(AT).unwrap()
}

/// The outcome of a JSON request through the bytes entry point (the CLI's
/// and every surface's), as a JSON value.
fn answer(engine: &Engine, body: &str) -> Value {
    let mut out = Vec::new();
    engine.quote_json(body.as_bytes(), date(), &mut out);
    serde_json::from_slice(&out).unwrap()
}

/// A payment body with `discounts` set to the raw JSON `discounts`.
fn with_discounts(discounts: &str) -> String {
    format!(
        r#"{{"mode":"payment","line_items":[{{"price_id":"price_a","quantity":1}}],"buyer_country":"US","buyer_region":"TX","discounts":{discounts}}}"#
    )
}

// ------------------------------------------------------------ request shape

#[test]
fn null_and_an_empty_array_are_no_discount() {
    // Other values of `discounts` are refusals: the corpus's `discounts.*` cases.
    for value in ["null", "[]"] {
        let a = answer(&engine(MerchantType::Direct), &with_discounts(value));
        assert_eq!(a["amount_discount"], 0, "{a}");
        assert_eq!(a["discounts"], json!([]), "{a}");
    }
}

#[test]
fn a_setup_session_with_an_empty_discounts_array_is_quoted() {
    let a = answer(
        &engine(MerchantType::Direct),
        r#"{"mode":"setup","discounts":[]}"#,
    );
    assert_eq!(a["amount_discount"], 0, "{a}");
    assert_eq!(a["amount_total"], 0, "{a}");
}

#[test]
fn requests_built_in_code_get_the_same_shape_rules() {
    let e = engine(MerchantType::Direct);
    let mut request = SessionRequest::new(Mode::Payment, vec![LineItem::price("price_a", 1)]);
    request.discounts = vec![Discount::coupon("co_25"), Discount::coupon("co_25")].into();
    let err = e.quote(&request, date()).unwrap_err();
    assert_eq!(
        (err.code().as_str(), err.param()),
        ("invalid_discount", Some("discounts"))
    );
    request.discounts = vec![Discount {
        coupon: Some("co_25".into()),
        promotion_code: Some("SPRING".into()),
    }]
    .into();
    let err = e.quote(&request, date()).unwrap_err();
    assert_eq!(
        (err.code().as_str(), err.param()),
        ("invalid_discount", Some("discounts[0]"))
    );
    request.discounts = vec![Discount::promotion_code("spring")].into();
    assert_eq!(e.quote(&request, date()).unwrap().amount_discount, 250);
}

// ------------------------------------------------------------ catalog look-ups

#[test]
fn a_percentage_coupon_has_no_currency() {
    // An amount off in another currency is refused: `discounts.currency_mismatch.1`.
    let a = answer(
        &engine(MerchantType::Direct),
        r#"{"mode":"payment","line_items":[{"price_id":"price_c_eur","quantity":1}],"discounts":[{"coupon":"co_25"}]}"#,
    );
    assert_eq!(a["amount_discount"], 298, "{a}");
}

#[test]
fn a_product_limited_coupon_discounts_only_its_lines() {
    let a = answer(
        &engine(MerchantType::Direct),
        r#"{"mode":"payment","line_items":[{"price_id":"price_a","quantity":1},{"product_id":"prod_b","quantity":3},{"ad_hoc_amount":700,"ad_hoc_currency":"usd","quantity":1}],
            "buyer_country":"US","buyer_region":"TX","discounts":[{"promotion_code":"b\"only"}]}"#,
    );
    // 999 x 12.5% = 124.875 -> 125, all on line 1; its tax on 874.
    assert_eq!(a["amount_discount"], 125, "{a}");
    let lines = a["line_items"].as_array().unwrap();
    let discounts: Vec<&Value> = lines.iter().map(|l| &l["amount_discount"]).collect();
    assert_eq!(discounts, [&json!(0), &json!(125), &json!(0)]);
    // 874 x 6.25% = 54.625 -> 55.
    assert_eq!(lines[1]["amount_tax"], 55);
    assert_eq!(lines[1]["amount_total"], 999 - 125 + 55);
    assert_eq!(
        a["discounts"],
        json!([{"coupon": "co_b", "promotion_code": "B\"ONLY", "amount": 125}])
    );
}

#[test]
fn amount_discount_is_always_present_and_follows_amount_subtotal() {
    let e = engine(MerchantType::Direct);
    let mut out = Vec::new();
    e.quote_json(with_discounts("[]").as_bytes(), date(), &mut out);
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains(r#""amount_subtotal":1000,"amount_discount":0,"amount_tax":63"#),
        "{text}"
    );
    assert!(text.contains(r#""discounts":[],"line_items""#), "{text}");
    assert_eq!(text.matches(r#""amount_discount":0"#).count(), 2, "{text}");
}

#[test]
fn the_fast_writer_writes_what_serde_writes_with_a_discount() {
    let e = engine(MerchantType::Direct);
    for body in [
        with_discounts(r#"[{"coupon":"co_\"q\""}]"#),
        with_discounts(r#"[{"promotion_code":"Spring"}]"#),
        with_discounts(r#"[{"coupon":"co_5usd"}]"#),
    ] {
        let request = SessionRequest::from_json(&body).unwrap();
        let quote = e.quote(&request, date()).unwrap();
        let mut fast = Vec::new();
        quote.write_json(&mut fast);
        assert_eq!(
            String::from_utf8(fast).unwrap(),
            serde_json::to_string(&quote).unwrap()
        );
        let owned = serde_json::to_value(quote.clone().into_owned()).unwrap();
        assert_eq!(owned, serde_json::to_value(&quote).unwrap());
    }
}

#[test]
fn a_discount_echo_changed_by_its_caller_is_written_as_changed() {
    // The echo's head is rendered once per coupon or code; a quote whose
    // echo was edited must not print the rendered one.
    let e = engine(MerchantType::Direct);
    for body in [
        with_discounts(r#"[{"promotion_code":"spring"}]"#),
        with_discounts(r#"[{"coupon":"co_25"}]"#),
    ] {
        let request = SessionRequest::from_json(&body).unwrap();
        // Twice: the second quote finds the head the first rendered.
        for _ in 0..2 {
            let quote = e.quote(&request, date()).unwrap();
            let mut edits = vec![quote.clone()];
            let mut renamed = quote.clone();
            renamed.discounts[0].coupon = "co_renamed".into();
            edits.push(renamed);
            let mut recoded = quote.clone();
            recoded.discounts[0].promotion_code = match &quote.discounts[0].promotion_code {
                Some(_) => None,
                None => Some("NEW".into()),
            };
            edits.push(recoded);
            for q in edits {
                let mut fast = Vec::new();
                q.write_json(&mut fast);
                assert_eq!(
                    String::from_utf8(fast).unwrap(),
                    serde_json::to_string(&q).unwrap()
                );
            }
        }
    }
}

// ------------------------------------------------------------ catalog checks

#[test]
fn malformed_coupons_are_refused_at_load_naming_the_entry() {
    let products = r#""products":[{"id":"prod_a"}]"#;
    let cases: &[(&str, &str)] = &[
        (
            r#"{"coupons":[{"id":"c","percent_off":0}]}"#,
            "coupons[0].percent_off",
        ),
        (
            r#"{"coupons":[{"id":"c","percent_off":-5}]}"#,
            "coupons[0].percent_off",
        ),
        (
            r#"{"coupons":[{"id":"c","percent_off":100.01}]}"#,
            "coupons[0].percent_off",
        ),
        (
            r#"{"coupons":[{"id":"c","percent_off":"ten"}]}"#,
            "coupons[0].percent_off",
        ),
        (
            r#"{"coupons":[{"id":"c","percent_off":true}]}"#,
            "coupons[0].percent_off",
        ),
        (
            r#"{"coupons":[{"id":"c","percent_off":12.123456789012345678}]}"#,
            "coupons[0].percent_off",
        ),
        (r#"{"coupons":[{"id":"c"}]}"#, "coupons[0]"),
        (
            r#"{"coupons":[{"id":"c","percent_off":5,"amount_off":5,"currency":"usd"}]}"#,
            "coupons[0]",
        ),
        (
            r#"{"coupons":[{"id":"c","amount_off":0,"currency":"usd"}]}"#,
            "coupons[0].amount_off",
        ),
        (
            r#"{"coupons":[{"id":"c","amount_off":-1,"currency":"usd"}]}"#,
            "coupons[0].amount_off",
        ),
        (
            r#"{"coupons":[{"id":"c","amount_off":5.5,"currency":"usd"}]}"#,
            "coupons[0].amount_off",
        ),
        (
            r#"{"coupons":[{"id":"c","amount_off":500}]}"#,
            "coupons[0].currency",
        ),
        (
            r#"{"coupons":[{"id":"c","amount_off":500,"currency":"xau"}]}"#,
            "coupons[0].currency",
        ),
        (
            r#"{"coupons":[{"id":"c","percent_off":5,"currency":"usd"}]}"#,
            "coupons[0].currency",
        ),
        (
            r#"{"coupons":[{"id":"ok","percent_off":5},{"id":"c","percent_off":5,"applies_to":{"products":["prod_x"]}}]}"#,
            "coupons[1].applies_to.products[0]",
        ),
        (
            r#"{"coupons":[{"id":"c","percent_off":5,"applies_to":{"products":[]}}]}"#,
            "coupons[0].applies_to.products",
        ),
        (
            r#"{"coupons":[{"id":"c","percent_off":5,"applies_to":{"prods":["prod_a"]}}]}"#,
            "coupons[0].applies_to.prods",
        ),
        (
            r#"{"coupons":[{"id":"c","percent_of":5}]}"#,
            "coupons[0].percent_of",
        ),
        (
            r#"{"coupons":[{"id":"c","percent_off":5},{"id":"c","percent_off":6}]}"#,
            "coupons[1].id",
        ),
        (
            r#"{"coupons":[{"id":"c","percent_off":5}],"promotion_codes":[{"code":"X","coupon":"d"}]}"#,
            "promotion_codes[0].coupon",
        ),
        (
            r#"{"coupons":[{"id":"c","percent_off":5}],"promotion_codes":[{"code":"Summer","coupon":"c"},{"code":"SUMMER","coupon":"c"}]}"#,
            "promotion_codes[1].code",
        ),
        (
            r#"{"coupons":[{"id":"c","percent_off":5}],"promotion_codes":[{"code":"","coupon":"c"}]}"#,
            "promotion_codes[0].code",
        ),
        (r#"{"coupons":{"id":"c"}}"#, "coupons"),
    ];
    for (json, param) in cases {
        let json = json.replacen('{', &format!("{{{products},"), 1);
        match Catalog::from_json(&json) {
            Err(e @ Error::Catalog { .. }) => {
                assert_eq!(e.param(), Some(*param), "{json}: {e}");
                assert_eq!(e.code().as_str(), "invalid_catalog");
            }
            other => panic!("{json}: {other:?}"),
        }
    }
}

#[test]
fn percent_off_is_exact_decimal_text() {
    let catalog = Catalog::from_json(
        r#"{"coupons":[{"id":"a","percent_off":12.5},{"id":"b","percent_off":"33.333"},{"id":"c","percent_off":1e2},{"id":"d","percent_off":0.00000000000000001}]}"#,
    )
    .unwrap();
    let p = |id: &str| catalog.coupon(id).unwrap().percent_off.unwrap().to_string();
    assert_eq!(
        [p("a"), p("b"), p("c"), p("d")],
        ["12.5", "33.333", "100", "0.00000000000000001"]
    );
    // Serialised back as the same number.
    let json = serde_json::to_string(catalog.coupon("b").unwrap()).unwrap();
    assert_eq!(json, r#"{"id":"b","percent_off":33.333,"active":true}"#);
    // The smallest percentage still rounds exactly: 1e18 x 1e-17% = 0.1 -> 0.
    let engine = Engine::builder()
        .catalog(catalog)
        .merchant(Merchant::new(MerchantType::Direct))
        .build()
        .unwrap();
    let request = SessionRequest {
        discounts: vec![Discount::coupon("d")].into(),
        ..SessionRequest::new(
            Mode::Payment,
            vec![LineItem::ad_hoc(1_000_000_000_000_000_000, "usd", 1)],
        )
    };
    assert_eq!(engine.quote(&request, date()).unwrap().amount_discount, 0);
    let request = SessionRequest {
        discounts: vec![Discount::coupon("c")].into(),
        ..SessionRequest::new(Mode::Payment, vec![LineItem::ad_hoc(i64::MAX, "usd", 1)])
    };
    let q = engine.quote(&request, date()).unwrap();
    assert_eq!((q.amount_discount, q.amount_total), (i64::MAX, 0));
}

#[test]
fn coupons_built_in_code_are_checked_too() {
    let bad = Catalog::default().with_discounts(vec![Coupon::amount("c", 5, "xxx")], vec![]);
    assert_eq!(bad.unwrap_err().param(), Some("coupons[0].currency"));
}

// ------------------------------------------------------------ verify

fn verify_mismatches(engine: &Engine, body: &str, response: &Value) -> Vec<String> {
    let request = SessionRequest::from_json(body).unwrap();
    engine
        .verify(&request, response, date())
        .unwrap()
        .mismatches
        .into_iter()
        .map(|m| m.field)
        .collect()
}

#[test]
fn verify_compares_the_discount_where_the_response_states_it() {
    let e = engine(MerchantType::Direct);
    let body = with_discounts(r#"[{"promotion_code":"SPRING"}]"#);
    let quote = answer(&e, &body);
    assert_eq!(quote["amount_discount"], 250);
    let session = |discount: Value, details: Option<Value>| {
        let mut s = json!({"currency": "usd", "amount_subtotal": 1000,
                           "amount_tax": quote["amount_tax"], "amount_total": quote["amount_total"],
                           "amount_discount": discount});
        if let Some(d) = details {
            s["total_details"] = json!({"amount_discount": d});
        }
        json!({"success": true, "message": "ok", "data": {"session": s}})
    };
    assert!(verify_mismatches(&e, &body, &session(json!(250), Some(json!(250)))).is_empty());
    assert_eq!(
        verify_mismatches(&e, &body, &session(json!(251), None)),
        ["amount_discount"]
    );
    assert_eq!(
        verify_mismatches(&e, &body, &session(json!(250), Some(json!(249)))),
        ["total_details.amount_discount"]
    );
    // Not stated: not compared.
    let mut bare = quote.clone();
    bare.as_object_mut().unwrap().remove("amount_discount");
    for line in bare["line_items"].as_array_mut().unwrap() {
        line.as_object_mut().unwrap().remove("amount_discount");
    }
    assert!(verify_mismatches(&e, &body, &bare).is_empty());
    // A line's discount, when the line states it.
    let mut lines = quote.clone();
    lines["line_items"][0]["amount_discount"] = json!(249);
    assert_eq!(
        verify_mismatches(&e, &body, &lines),
        ["line_items[0].amount_discount"]
    );
}

// ------------------------------------------------------------ laws

/// A random session: 1 to 5 lines of three products (one without a
/// product, so a limited coupon can miss it), a coupon, a jurisdiction and
/// the merchant's rounding.
#[derive(Debug, Clone)]
struct Session {
    /// (unit amount 0..=2_000_000, quantity 1..=20, product index 0..3)
    lines: Vec<(i64, i64, usize)>,
    coupon: CouponKind,
    /// Products the coupon is limited to (bit i: product i); 0 is none.
    applies_to: u8,
    jurisdiction: &'static str,
    level: RoundingLevel,
    mode: RoundingMode,
}

#[derive(Debug, Clone, Copy)]
enum CouponKind {
    /// Thousandths of a percent, 1..=100_000.
    Percent(u32),
    /// Minor units, 1..=5_000_000 (often above the eligible sum).
    Amount(i64),
}

const PRODUCTS: [&str; 3] = ["prod_x", "prod_y", "prod_z"];

fn sessions() -> impl Strategy<Value = Session> {
    (
        prop::collection::vec((0i64..=2_000_000, 1i64..=20, 0usize..3), 1..=5),
        prop_oneof![
            (1u32..=100_000).prop_map(CouponKind::Percent),
            Just(CouponKind::Percent(100_000)),
            (1i64..=5_000_000).prop_map(CouponKind::Amount),
        ],
        0u8..8,
        prop::sample::select(vec!["US-TX", "DE", "CA-QC"]),
        prop::sample::select(vec![RoundingLevel::Line, RoundingLevel::Document]),
        prop::sample::select(vec![RoundingMode::HalfUp, RoundingMode::HalfEven]),
    )
        .prop_map(
            |(lines, coupon, applies_to, jurisdiction, level, mode)| Session {
                lines,
                coupon,
                applies_to,
                jurisdiction,
                level,
                mode,
            },
        )
}

impl Session {
    fn currency(&self) -> &'static str {
        if self.jurisdiction == "DE" {
            "eur"
        } else {
            "usd"
        }
    }

    fn eligible(&self, product: usize) -> bool {
        self.applies_to == 0 || self.applies_to & (1 << product) != 0
    }

    fn merchant(&self) -> Merchant {
        Merchant {
            rounding_level: self.level,
            rounding_mode: self.mode,
            ..Merchant::new(MerchantType::Direct)
        }
    }

    /// One price per line (each line its own unit amount), all of
    /// category `general`, and the coupon.
    fn engine(&self) -> Engine {
        let mut coupon = match self.coupon {
            CouponKind::Percent(m) => json!({"id": "co", "percent_off": format!("{}", f3(m))}),
            CouponKind::Amount(a) => {
                json!({"id": "co", "amount_off": a, "currency": self.currency()})
            }
        };
        if self.applies_to != 0 {
            let ids: Vec<&str> = (0..3)
                .filter(|i| self.applies_to & (1 << i) != 0)
                .map(|i| PRODUCTS[i])
                .collect();
            coupon["applies_to"] = json!({"products": ids});
        }
        let prices: Vec<Value> = self
            .lines
            .iter()
            .enumerate()
            .map(|(i, (unit, _, p))| {
                json!({"id": format!("price_{i}"), "product": PRODUCTS[*p],
                       "currency": self.currency(), "unit_amount": unit})
            })
            .collect();
        let catalog = json!({
            "products": PRODUCTS.iter().map(|p| json!({"id": p})).collect::<Vec<_>>(),
            "prices": prices,
            "coupons": [coupon],
            "promotion_codes": [{"code": "CODE", "coupon": "co"}],
        });
        Engine::builder()
            .catalog(Catalog::from_json(&catalog.to_string()).unwrap())
            .tax_table(RateTable::from_csv(TABLE).unwrap())
            .merchant(self.merchant())
            .build()
            .unwrap()
    }

    fn request(&self) -> SessionRequest<'static> {
        let lines = (0..self.lines.len())
            .map(|i| LineItem::price(format!("price_{i}"), self.lines[i].1))
            .collect();
        self.located(lines, vec![Discount::promotion_code("code")])
    }

    fn located(
        &self,
        lines: Vec<LineItem<'static>>,
        discounts: Vec<Discount<'static>>,
    ) -> SessionRequest<'static> {
        let (country, region) = match self.jurisdiction.split_once('-') {
            Some((c, r)) => (c, Some(r)),
            None => (self.jurisdiction, None),
        };
        SessionRequest {
            buyer_country: Some(country.to_owned().into()),
            buyer_region: region.map(|r| r.to_owned().into()),
            discounts: discounts.into(),
            ..SessionRequest::new(Mode::Payment, lines)
        }
    }

    fn quote(&self) -> Result<Quote<'static>, Error> {
        let engine = self.engine();
        let request = self.request();
        engine.quote(&request, date()).map(Quote::into_owned)
    }
}

/// Sessions of up to 12 lines: past the 8 whose split the engine keeps on
/// the stack, so both of its paths are taken.
fn long_sessions() -> impl Strategy<Value = Session> {
    (
        sessions(),
        prop::collection::vec(
            (
                prop_oneof![
                    3 => (0i64..=2_000_000, 1i64..=20),
                    // Lines of a few equal bases too: equal remainders,
                    // so that the ties rule is tested.
                    1 => (prop::sample::select(vec![1i64, 333, 1000]), Just(1i64)),
                ],
                0usize..3,
            )
                .prop_map(|((unit, quantity), product)| (unit, quantity, product)),
            1..=12,
        ),
    )
        .prop_map(|(s, lines)| Session { lines, ..s })
}

/// Thousandths as decimal text: 12500 -> "12.5".
fn f3(m: u32) -> String {
    let text = format!("{}.{:03}", m / 1000, m % 1000);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// round(num / den) under `mode`, on i128.
fn round(num: i128, den: i128, mode: RoundingMode) -> i128 {
    let (q, r) = (num / den, num % den);
    let up = 2 * r > den || (2 * r == den && (mode == RoundingMode::HalfUp || q % 2 == 1));
    q + i128::from(up)
}

proptest! {
    /// The spec's allocation, computed here on its own: each eligible line
    /// gets the floor of D x base / B, and the units left go one each to
    /// the largest remainders, ties to the earlier line.
    #[test]
    fn each_line_gets_its_floor_share_and_the_largest_remainders_the_rest(s in long_sessions()) {
        let Ok(q) = s.quote() else { return Ok(()) };
        let weights: Vec<i128> = s.lines.iter()
            .map(|(u, n, p)| if s.eligible(*p) { i128::from(*u) * i128::from(*n) } else { 0 })
            .collect();
        let b: i128 = weights.iter().sum();
        let d = i128::from(q.amount_discount);
        let mut expected: Vec<i128> = weights.iter().map(|w| if b == 0 { 0 } else { d * w / b }).collect();
        if b > 0 {
            let mut rests: Vec<(i128, usize)> =
                weights.iter().enumerate().map(|(i, w)| (d * w % b, i)).collect();
            rests.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
            let left = usize::try_from(d - expected.iter().sum::<i128>()).unwrap();
            for (_, i) in rests.iter().take(left) {
                expected[*i] += 1;
            }
        }
        let got: Vec<i128> = q.line_items.iter().map(|l| i128::from(l.amount_discount)).collect();
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn line_discounts_sum_to_the_session_discount_which_follows_the_formula(s in sessions()) {
        let eligible_sum: i128 = s.lines.iter()
            .filter(|(_, _, p)| s.eligible(*p))
            .map(|(u, q, _)| i128::from(*u) * i128::from(*q))
            .sum();
        match s.quote() {
            Ok(q) => {
                let lines: i64 = q.line_items.iter().map(|l| l.amount_discount).sum();
                prop_assert_eq!(lines, q.amount_discount);
                let expected = match s.coupon {
                    CouponKind::Percent(m) => round(eligible_sum * i128::from(m), 100_000, s.mode),
                    CouponKind::Amount(a) => eligible_sum.min(i128::from(a)),
                };
                prop_assert_eq!(i128::from(q.amount_discount), expected);
                prop_assert_eq!(q.discounts.len(), 1);
                prop_assert_eq!(q.discounts[0].amount, q.amount_discount);
                prop_assert_eq!(q.discounts[0].promotion_code.as_deref(), Some("CODE"));
            }
            Err(e) => {
                // Only a limited coupon that misses every line is refused.
                prop_assert_eq!(e.code().as_str(), "coupon_not_applicable");
                prop_assert!(s.lines.iter().all(|(_, _, p)| !s.eligible(*p)));
            }
        }
    }

    #[test]
    fn a_discount_never_exceeds_the_eligible_base(s in sessions()) {
        let Ok(q) = s.quote() else { return Ok(()) };
        let mut eligible_sum = 0i64;
        for (line, (_, _, p)) in q.line_items.iter().zip(&s.lines) {
            prop_assert!(line.amount_discount >= 0);
            prop_assert!(line.amount_discount <= line.amount_subtotal);
            if s.eligible(*p) {
                eligible_sum += line.amount_subtotal;
            } else {
                prop_assert_eq!(line.amount_discount, 0);
            }
        }
        prop_assert!(q.amount_discount <= eligible_sum);
    }

    #[test]
    fn tax_with_a_discount_equals_tax_on_the_discounted_prices(s in sessions()) {
        let Ok(q) = s.quote() else { return Ok(()) };
        // The same session with each line at its discounted amount, as ad
        // hoc lines of the same (general) category and no discount.
        let lines = q.line_items.iter()
            .map(|l| LineItem::ad_hoc(l.amount_subtotal - l.amount_discount, s.currency(), 1))
            .collect();
        let plain = s.located(lines, Vec::new());
        let engine = Engine::builder()
            .tax_table(RateTable::from_csv(TABLE).unwrap())
            .merchant(s.merchant())
            .build()
            .unwrap();
        let p = engine.quote(&plain, date()).unwrap();
        prop_assert_eq!(p.amount_tax, q.amount_tax);
        prop_assert_eq!(p.amount_total, q.amount_total);
        prop_assert_eq!(p.amount_discount, 0);
        for (a, b) in q.line_items.iter().zip(&p.line_items) {
            prop_assert_eq!(a.amount_tax, b.amount_tax);
            prop_assert_eq!(a.amount_total, b.amount_total);
            let amounts = |l: &checkout_tax::QuoteLine<'_>| {
                l.taxes.iter().map(|t| (t.amount, t.taxable_amount)).collect::<Vec<_>>()
            };
            prop_assert_eq!(amounts(a), amounts(b));
        }
    }

    #[test]
    fn a_hundred_percent_off_leaves_nothing_to_pay_or_tax(mut s in sessions()) {
        s.coupon = CouponKind::Percent(100_000);
        s.applies_to = 0;
        let q = s.quote().unwrap();
        prop_assert_eq!(q.amount_discount, q.amount_subtotal);
        prop_assert_eq!((q.amount_tax, q.amount_total), (0, 0));
        for line in &q.line_items {
            prop_assert_eq!((line.amount_tax, line.amount_total), (0, 0));
        }
    }

    #[test]
    fn line_totals_sum_to_the_session_total(s in sessions()) {
        let Ok(q) = s.quote() else { return Ok(()) };
        let sum = |f: fn(&checkout_tax::QuoteLine<'_>) -> i64| q.line_items.iter().map(f).sum::<i64>();
        prop_assert_eq!(sum(|l| l.amount_total), q.amount_total);
        prop_assert_eq!(sum(|l| l.amount_tax), q.amount_tax);
        prop_assert_eq!(sum(|l| l.amount_subtotal), q.amount_subtotal);
        let net = q.amount_subtotal - q.amount_discount;
        let expected = if s.jurisdiction == "DE" { net } else { net + q.amount_tax };
        prop_assert_eq!(q.amount_total, expected);
    }

    #[test]
    fn verify_refuses_a_one_unit_change_of_the_discount(s in sessions(), up in any::<bool>(), nested in any::<bool>()) {
        let engine = s.engine();
        let request = s.request();
        let Ok(q) = engine.quote(&request, date()) else { return Ok(()) };
        let mut response = serde_json::to_value(&q).unwrap();
        prop_assert!(engine.verify(&request, &response, date()).unwrap().is_match());
        let changed = q.amount_discount + if up { 1 } else { -1 };
        let field = if nested {
            response["total_details"] = json!({"amount_discount": changed});
            response["amount_discount"] = json!(q.amount_discount);
            "total_details.amount_discount"
        } else {
            response["amount_discount"] = json!(changed);
            "amount_discount"
        };
        let report = engine.verify(&request, &response, date()).unwrap();
        prop_assert!(!report.is_match());
        prop_assert_eq!(report.mismatches.len(), 1);
        prop_assert_eq!(&report.mismatches[0].field, field);
        prop_assert_eq!(&report.mismatches[0].expected, &json!(q.amount_discount));
    }
}
