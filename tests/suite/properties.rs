//! Property tests of the amounts (issue 4).
//!
//! Every property runs over generated tax tables, catalogs, merchants and
//! requests: both regimes, 1 to 50 lines, JPY/USD/KWD (exponents 0, 2, 3),
//! quantities up to 999 999 and unit amounts up to the int64 edge. The number
//! of cases comes from `PROPTEST_CASES` (proptest's default config reads it;
//! nothing here overrides it). CI runs `PROPTEST_CASES=2000 cargo test`.
//!
//! The differential properties compare the engine with `reference`, an
//! independent implementation of the spec's "Amounts" section written from
//! the spec's wording with exact fractions.

use crate::support;
use crate::support::reference;

use checkout_tax::{
    Catalog, Date, Engine, Error, ErrorCode, Merchant, MerchantType, Quote, RateTable,
    RoundingLevel, RoundingMode, SessionRequest, TaxStatus,
};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use reference::{Frac, Level, Mode, Regime, Row};
use serde_json::{Value, json};

/// The quote date of every generated session.
const DATE: &str = "2025-06-01";
const HEADER: &str = "jurisdiction,regime,tax_name,category,rate,valid_from,valid_to,source";
/// Product categories; `food` has rows only when a generated table gives it some.
const CATEGORIES: [&str; 4] = ["general", "books", "digital", "food"];
const TAX_NAMES: [&str; 3] = ["VAT", "GST", "PST"];
/// One currency per minor-unit exponent: 0, 2 and 3.
const CURRENCIES: [&str; 3] = ["JPY", "USD", "KWD"];

fn date() -> Date {
    checkout_tax::parse_date(DATE).unwrap()
}

// ---------------------------------------------------------------------------
// Scenarios: a tax table, a catalog, a merchant and a request, all generated.
// ---------------------------------------------------------------------------

/// Where the buyer is: a country with its own rows, or a region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// `DE`: country-level rows.
    Germany,
    /// `US-WA`: region rows (the US has regions in every generated table).
    Washington,
}

impl Place {
    fn code(self) -> &'static str {
        match self {
            Place::Germany => "DE",
            Place::Washington => "US-WA",
        }
    }
}

/// A rate as tables write it, from generated numbers: 0 to 100 with up to
/// 6 decimals. Weights in 11: exactly 0 (1), exactly 100 (1), VAT-like
/// 0.000-27.999 (4), a whole 0-30 (2), 0.50-30.50 written with a trailing
/// zero (1), anything up to 99.999999 (2).
fn rate_text(pick: u8, int: u32, frac: u32) -> String {
    match pick % 11 {
        0 => "0".to_owned(),
        1 => "100".to_owned(),
        2..=5 => format!("{}.{:03}", int % 28, frac % 1000),
        6 | 7 => (int % 31).to_string(),
        8 => format!("{}.50", int % 31),
        _ => format!("{}.{:06}", int % 100, frac % 1_000_000),
    }
}

/// How one row's rate is chosen: two in three from the table's palette of
/// 1 to 3 rates (written as is or with a trailing zero: `5.5` and `5.50`),
/// so that rows of one table often share a rate and lines of different
/// categories share components; else a fresh rate.
#[derive(Debug, Clone, Copy)]
struct RatePick {
    from_palette: u8,
    palette_index: usize,
    respell: bool,
    fresh: (u8, u32, u32),
}

fn rate_pick() -> impl Strategy<Value = RatePick> {
    (
        0u8..3,
        0usize..3,
        any::<bool>(),
        (0u8..11, 0u32..=99, 0u32..=999_999),
    )
        .prop_map(|(from_palette, palette_index, respell, fresh)| RatePick {
            from_palette,
            palette_index,
            respell,
            fresh,
        })
}

impl RatePick {
    /// The rate text; with `zero`, one of the ways to write a zero rate.
    fn resolve(&self, palette: &[String], zero: bool) -> String {
        if zero {
            let spellings = ["0", "0.0", "0.000000", "00"];
            return spellings[self.palette_index % spellings.len()].to_owned();
        }
        let (pick, int, frac) = self.fresh;
        if self.from_palette == 2 || palette.is_empty() {
            return rate_text(pick, int, frac);
        }
        let rate = &palette[self.palette_index % palette.len()];
        match (self.respell, rate.contains('.')) {
            (false, _) => rate.clone(),
            (true, true) => format!("{rate}0"),
            (true, false) => format!("{rate}.0"),
        }
    }
}

/// The rows of one (tax name, category) slot: present or not, the shape of
/// its validity periods (relative to the quote date 2025-06-01), two rates.
#[derive(Debug, Clone, Copy)]
struct SlotPick {
    present: u8,
    shape: u8,
    rates: [RatePick; 2],
}

fn slot_pick() -> impl Strategy<Value = SlotPick> {
    (0u8..10, 0u8..11, [rate_pick(), rate_pick()]).prop_map(|(present, shape, rates)| SlotPick {
        present,
        shape,
        rates,
    })
}

impl SlotPick {
    /// (valid_from, valid_to, rate) per row. A `*` slot has rows 9 times
    /// in 10: in force (6 in 11), an old rate then the one in force (2), the
    /// one in force then a scheduled change (1), ended (1), not yet started
    /// (1). A category slot has rows 3 times in 10: in force (3 in 6), old
    /// then in force (1), not yet started (1), ended (1); when not in force,
    /// the `*` row applies.
    fn rows(
        &self,
        star: bool,
        palette: &[String],
        zero: bool,
    ) -> Vec<(&'static str, &'static str, String)> {
        let present = if star {
            self.present < 9
        } else {
            self.present < 3
        };
        if !present {
            return Vec::new();
        }
        let [a, b] = self.rates.map(|r| r.resolve(palette, zero));
        let shape = if star {
            match self.shape % 11 {
                0..6 => 0,
                6..8 => 1,
                8 => 2,
                9 => 3,
                _ => 4,
            }
        } else {
            match self.shape % 6 {
                0..3 => 0,
                3 => 1,
                4 => 4,
                _ => 3,
            }
        };
        match shape {
            0 => vec![("", "", a)],
            1 => vec![("2010-01-01", "2020-01-01", a), ("2020-01-01", "", b)],
            2 => vec![("2020-01-01", "2030-01-01", a), ("2030-01-01", "", b)],
            3 => vec![("", "2020-01-01", a)],
            _ => vec![("2030-01-01", "", a)],
        }
    }
}

/// The jurisdiction of the buyer's rows until the scenario names its place.
const PLACE: &str = "PLACE";

/// A tax table: for the buyer's place (`PLACE`), 1 to 3 tax names, each
/// with a `*` slot and one slot per category; plus rows of two other
/// jurisdictions; all rows shuffled, so the data order (which orders
/// components and breaks split ties) differs from the name order. With
/// `zero`, every rate is zero.
fn table(zero: bool) -> impl Strategy<Value = Vec<Row>> {
    (
        1usize..=TAX_NAMES.len(),
        [
            (0u8..11, 0u32..=99, 0u32..=999_999),
            (0u8..11, 0u32..=99, 0u32..=999_999),
            (0u8..11, 0u32..=99, 0u32..=999_999),
        ],
        1usize..=3,
        vec(slot_pick(), TAX_NAMES.len() * (1 + CATEGORIES.len())),
        any::<u64>(),
    )
        .prop_map(move |(names, palette, palette_len, slots, seed)| {
            let palette: Vec<String> = palette[..palette_len]
                .iter()
                .map(|(p, i, f)| rate_text(*p, *i, *f))
                .collect();
            let mut rows: Vec<(String, String, String, &'static str, &'static str, String)> =
                Vec::new();
            for (n, name) in TAX_NAMES.iter().enumerate().take(names) {
                let categories = std::iter::once("*").chain(CATEGORIES);
                for (c, category) in categories.enumerate() {
                    let slot = slots[n * (1 + CATEGORIES.len()) + c];
                    for (from, to, rate) in slot.rows(category == "*", &palette, zero) {
                        rows.push((
                            PLACE.into(),
                            (*name).into(),
                            category.into(),
                            from,
                            to,
                            rate,
                        ));
                    }
                }
            }
            // Rows of other jurisdictions, which must not leak into the quote.
            rows.push(("FR".into(), "VAT".into(), "*".into(), "", "", "20".into()));
            rows.push((
                "US-TX".into(),
                "Sales tax".into(),
                "*".into(),
                "",
                "",
                "6.25".into(),
            ));
            shuffle(&mut rows, seed);
            rows.into_iter()
                .enumerate()
                .map(|(i, (jurisdiction, name, category, from, to, rate))| Row {
                    line: i + 2,
                    jurisdiction,
                    name,
                    category,
                    rate,
                    valid_from: from.to_owned(),
                    valid_to: to.to_owned(),
                })
                .collect()
        })
}

/// Fisher-Yates with splitmix64: a shuffle from one generated number
/// (cheaper than `prop_shuffle`, which matters at 2,000 cases in debug).
fn shuffle<T>(items: &mut [T], mut seed: u64) {
    for i in (1..items.len()).rev() {
        seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        let j = usize::try_from(z % (i as u64 + 1)).unwrap();
        items.swap(i, j);
    }
}

/// A unit amount in minor units from generated numbers (a selector, a
/// base up to 10^10, 64 random bits). Weights in 26: free (1), everyday
/// prices up to 1,000.00 USD (19), large B2B amounts up to 100 M USD (4),
/// anywhere in int64 (1), within 10^6 of i64::MAX (1). (Plain ranges mapped
/// rather than `prop_oneof!`: 50 generated lines must stay cheap in a debug
/// build.)
fn amount_from(pick: u8, base: i64, bits: u64) -> i64 {
    match pick % 26 {
        0 => 0,
        1..20 => base % 100_001,
        20..24 => base,
        24 => i64::try_from(bits >> 1).unwrap(),
        _ => i64::MAX - i64::try_from(bits % 1_000_001).unwrap(),
    }
}

/// The parts `amount_from` takes; without `edge`, never the last two arms.
fn amount_parts(edge: bool) -> impl Strategy<Value = (u8, i64, u64)> {
    (
        0..if edge { 26u8 } else { 24 },
        0i64..=10_000_000_000,
        any::<u64>(),
    )
}

/// Quantities 1 ..= 999 999 (the spec's bounds): 1-10 six times in ten,
/// anywhere three in ten, the maximum one in ten.
fn quantity() -> impl Strategy<Value = i64> {
    (0u8..10, 1i64..=999_999).prop_map(|(pick, q)| match pick {
        0..6 => (q - 1) % 10 + 1,
        6..9 => q,
        _ => 999_999,
    })
}

/// A catalog product with its one price.
#[derive(Debug, Clone)]
struct ProductSpec {
    /// `None`: no `tax_category` in the catalog (the spec's default, general).
    category: Option<&'static str>,
    unit_amount: i64,
}

/// 1 to 8 products; in one scenario in eight, unit amounts may reach the
/// int64 edge (else everyday and large amounts, so that most sessions quote).
fn products() -> impl Strategy<Value = Vec<ProductSpec>> {
    let product = (
        option::weighted(0.85, select(CATEGORIES.to_vec())),
        amount_parts(true),
    );
    (0u8..8, vec(product, 1..=8)).prop_map(|(edge, products)| {
        products
            .into_iter()
            .map(|(category, (pick, base, bits))| ProductSpec {
                category,
                unit_amount: amount_from(if edge == 0 { pick } else { pick % 24 }, base, bits),
            })
            .collect()
    })
}

/// How a line names what it sells.
#[derive(Debug, Clone)]
enum Via {
    PriceId,
    ProductId,
    /// An ad hoc amount; only for a Direct merchant in payment mode, a
    /// `PriceId` line otherwise.
    AdHoc(i64),
}

#[derive(Debug, Clone)]
struct LineSpec {
    product: Index,
    via: Via,
    quantity: i64,
}

/// 1 to 50 lines (the spec allows up to the documented limit of 100): by
/// price id 40 in 71, by product id 20 in 71, ad hoc 11 in 71 (one of them
/// with an amount that may reach the int64 edge).
fn lines() -> impl Strategy<Value = Vec<LineSpec>> {
    let via = (0u8..71, amount_parts(true)).prop_map(|(kind, (pick, base, bits))| match kind {
        0..40 => Via::PriceId,
        40..60 => Via::ProductId,
        60..70 => Via::AdHoc(amount_from(pick % 24, base, bits)),
        _ => Via::AdHoc(amount_from(pick, base, bits)),
    });
    vec(
        (any::<Index>(), via, quantity()).prop_map(|(product, via, quantity)| LineSpec {
            product,
            via,
            quantity,
        }),
        1..=50,
    )
}

/// Everything one quote depends on.
#[derive(Debug, Clone)]
struct Scenario {
    place: Place,
    regime: Regime,
    rows: Vec<Row>,
    /// Index into `CURRENCIES`.
    currency: usize,
    /// Lower-case currency codes in the catalog and ad hoc lines.
    lower_case_currency: bool,
    subscription: bool,
    direct: bool,
    level: Level,
    mode: Mode,
    /// A buyer location is given (else: requires_location, no tax).
    located: bool,
    /// `buyer_region` as `WA` (else `us-wa`).
    short_region: bool,
    products: Vec<ProductSpec>,
    lines: Vec<LineSpec>,
}

/// A scenario; with `zero`, a table whose rates are all zero.
fn scenario_with(zero: bool) -> BoxedStrategy<Scenario> {
    (
        (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()),
        table(zero),
        0..CURRENCIES.len(),
        any::<bool>(),
        prop::bool::weighted(0.2),
        any::<bool>(),
        prop::bool::weighted(0.92),
        any::<bool>(),
        products(),
        lines(),
    )
        .prop_map(
            |(
                (washington, inclusive, document, half_even),
                mut rows,
                currency,
                lower_case_currency,
                subscription,
                direct,
                located,
                short_region,
                products,
                lines,
            )| {
                let place = if washington {
                    Place::Washington
                } else {
                    Place::Germany
                };
                for r in &mut rows {
                    if r.jurisdiction == PLACE {
                        r.jurisdiction = place.code().to_owned();
                    }
                }
                Scenario {
                    place,
                    regime: if inclusive {
                        Regime::Inclusive
                    } else {
                        Regime::Exclusive
                    },
                    rows,
                    currency,
                    lower_case_currency,
                    subscription,
                    direct,
                    level: if document {
                        Level::Document
                    } else {
                        Level::Line
                    },
                    mode: if half_even {
                        Mode::HalfEven
                    } else {
                        Mode::HalfUp
                    },
                    located,
                    short_region,
                    products,
                    lines,
                }
            },
        )
        .boxed()
}

fn scenario() -> BoxedStrategy<Scenario> {
    scenario_with(false)
}

impl Scenario {
    fn currency_code(&self) -> String {
        let code = CURRENCIES[self.currency];
        if self.lower_case_currency {
            code.to_ascii_lowercase()
        } else {
            code.to_owned()
        }
    }

    fn product_of(&self, line: &LineSpec) -> usize {
        line.product.index(self.products.len())
    }

    /// The line's kind once the merchant's rules are applied.
    fn via(&self, line: &LineSpec) -> Via {
        match line.via {
            Via::AdHoc(a) if self.direct && !self.subscription => Via::AdHoc(a),
            Via::AdHoc(_) => Via::PriceId,
            ref v => v.clone(),
        }
    }

    /// (unit amount, category) of a line.
    fn priced(&self, line: &LineSpec) -> (i64, &'static str) {
        let p = &self.products[self.product_of(line)];
        match self.via(line) {
            Via::AdHoc(amount) => (amount, "general"),
            _ => (p.unit_amount, p.category.unwrap_or("general")),
        }
    }

    fn regime_of(&self, jurisdiction: &str) -> &'static str {
        match jurisdiction {
            "FR" => "inclusive",
            "US-TX" => "exclusive",
            _ => match self.regime {
                Regime::Exclusive => "exclusive",
                Regime::Inclusive => "inclusive",
            },
        }
    }

    fn csv(&self) -> String {
        let mut out = format!("{HEADER}\n");
        for r in &self.rows {
            out.push_str(&format!(
                "{},{},{},{},{},{},{},https://example.org/rates#{}\n",
                r.jurisdiction,
                self.regime_of(&r.jurisdiction),
                r.name,
                r.category,
                r.rate,
                r.valid_from,
                r.valid_to,
                r.line
            ));
        }
        // Every category the products may name has a row somewhere (spec v2
        // refuses a catalog whose category the table does not know); these
        // rows are for a jurisdiction no generated session uses.
        for category in CATEGORIES {
            out.push_str(&format!(
                "AQ,exclusive,Other,{category},0,,,https://example.org/aq\n"
            ));
        }
        out
    }

    fn catalog_json(&self) -> Value {
        let recurring = self
            .subscription
            .then(|| json!({"interval": "month", "interval_count": 1}));
        let products: Vec<Value> = self
            .products
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let mut product =
                    json!({"id": format!("prod_{i}"), "default_price": format!("price_{i}")});
                if let Some(c) = p.category {
                    product["tax_category"] = json!(c);
                }
                product
            })
            .collect();
        let prices: Vec<Value> = self
            .products
            .iter()
            .enumerate()
            .map(|(i, p)| {
                json!({"id": format!("price_{i}"), "product": format!("prod_{i}"),
                       "currency": self.currency_code(), "unit_amount": p.unit_amount,
                       "recurring": recurring})
            })
            .collect();
        json!({"products": products, "prices": prices})
    }

    fn merchant(&self) -> Merchant {
        Merchant {
            merchant_type: if self.direct {
                MerchantType::Direct
            } else {
                MerchantType::MerchantOfRecord
            },
            tax_registrations: None,
            rounding_level: match self.level {
                Level::Line => RoundingLevel::Line,
                Level::Document => RoundingLevel::Document,
            },
            rounding_mode: match self.mode {
                Mode::HalfUp => RoundingMode::HalfUp,
                Mode::HalfEven => RoundingMode::HalfEven,
            },
        }
    }

    fn engine(&self) -> Engine {
        let table = RateTable::from_csv(&self.csv()).expect("generated tables are valid");
        let catalog = Catalog::from_json(&self.catalog_json().to_string()).unwrap();
        Engine::builder()
            .catalog(catalog)
            .merchant(self.merchant())
            .tax_table(table)
            .build()
            .unwrap()
    }

    fn request_json(&self) -> String {
        let items: Vec<Value> = self
            .lines
            .iter()
            .map(|l| {
                let i = self.product_of(l);
                match self.via(l) {
                    Via::PriceId => {
                        json!({"price_id": format!("price_{i}"), "quantity": l.quantity})
                    }
                    Via::ProductId => {
                        json!({"product_id": format!("prod_{i}"), "quantity": l.quantity})
                    }
                    Via::AdHoc(a) => {
                        json!({"ad_hoc_amount": a, "ad_hoc_currency": self.currency_code(),
                                            "quantity": l.quantity, "description": "ad hoc"})
                    }
                }
            })
            .collect();
        let mut request = json!({
            "mode": if self.subscription { "subscription" } else { "payment" },
            "line_items": items,
            "client_reference_id": "order_1",
        });
        if self.located {
            match self.place {
                Place::Germany => request["buyer_country"] = json!("de"),
                Place::Washington => {
                    request["buyer_country"] = json!("US");
                    request["buyer_region"] = json!(if self.short_region { "WA" } else { "us-wa" });
                }
            }
        }
        request.to_string()
    }

    /// True when the table has any row for the buyer's place.
    /// Whether the place has a `*` row in force on the date (spec v2: rows
    /// that exist but are not in force are no data).
    fn place_has_rows(&self) -> bool {
        self.rows.iter().any(|r| {
            r.jurisdiction == self.place.code()
                && r.category == "*"
                && (r.valid_from.is_empty() || r.valid_from.as_str() <= DATE)
                && (r.valid_to.is_empty() || DATE < r.valid_to.as_str())
        })
    }

    /// The reference's lines: bases and components, from the scenario alone.
    fn reference_lines(&self) -> Vec<reference::Line> {
        self.lines
            .iter()
            .map(|l| {
                let (unit, category) = self.priced(l);
                let base = u128::try_from(unit).unwrap() * u128::try_from(l.quantity).unwrap();
                let components = if self.located && self.place_has_rows() {
                    reference::components(&self.rows, self.place.code(), category, DATE)
                } else {
                    Vec::new()
                };
                reference::Line { base, components }
            })
            .collect()
    }

    fn reference(&self) -> Result<reference::Amounts, reference::TooLarge> {
        let regime = if self.located && self.place_has_rows() {
            self.regime
        } else {
            // No rates: no tax, and the total is the subtotal either way.
            Regime::Exclusive
        };
        reference::quote(&self.reference_lines(), regime, self.mode, self.level)
    }

    fn expected_status(&self) -> TaxStatus {
        match (self.located, self.place_has_rows()) {
            (false, _) => TaxStatus::RequiresLocation,
            (true, true) => TaxStatus::Calculated,
            (true, false) => TaxStatus::NoTaxData,
        }
    }
}

/// Quotes a scenario, checks the quote laws on the quote (so every property
/// below also holds them), and hands the engine, the request and the outcome
/// to `f`.
fn with_quote<R>(
    s: &Scenario,
    f: impl FnOnce(&Engine, &SessionRequest<'_>, Result<Quote<'_>, Error>) -> R,
) -> R {
    let engine = s.engine();
    let json = s.request_json();
    let request = SessionRequest::from_json(&json).expect("generated requests parse");
    let quote = engine.quote(&request, date());
    if let Ok(q) = &quote {
        support::assert_quote_laws(q);
    }
    f(&engine, &request, quote)
}

/// A refused generated session must be refused for its size only.
fn assert_only_too_large(err: &Error) -> Result<(), TestCaseError> {
    prop_assert_eq!(err.code(), ErrorCode::AmountTooLarge, "{}", err);
    Ok(())
}

fn u(v: i64) -> u128 {
    u128::try_from(v).expect("amounts are non-negative")
}

fn frac_of(rate: &checkout_tax::tax::Rate) -> Frac {
    Frac::from_percent_text(&rate.to_string()).expect("rates display as plain decimals")
}

/// The quote's amounts equal the reference's, line by line and component
/// by component (names in data order, then amounts).
fn assert_agrees(
    quote: &Quote<'_>,
    expected: &reference::Amounts,
    s: &Scenario,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(quote.tax_status, s.expected_status());
    prop_assert_eq!(
        quote.currency.map(|c| c.code()),
        Some(CURRENCIES[s.currency])
    );
    prop_assert_eq!(quote.line_items.len(), expected.lines.len());
    for (i, (line, want)) in quote.line_items.iter().zip(&expected.lines).enumerate() {
        let got: Vec<(String, u128)> = line
            .taxes
            .iter()
            .map(|t| (t.name.to_string(), u(t.amount)))
            .collect();
        prop_assert_eq!(&got, &want.taxes, "line {} components", i);
        prop_assert_eq!(
            (
                u(line.amount_subtotal),
                u(line.amount_tax),
                u(line.amount_total)
            ),
            (want.subtotal, want.tax, want.total),
            "line {} amounts",
            i
        );
    }
    prop_assert_eq!(
        (
            u(quote.amount_subtotal),
            u(quote.amount_tax),
            u(quote.amount_total)
        ),
        (expected.subtotal, expected.tax, expected.total),
        "session amounts"
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// The laws.
// ---------------------------------------------------------------------------

proptest! {
    /// DIFFERENTIAL: the engine and the independent reference agree exactly
    /// on every amount of every session, or both find an amount too large,
    /// under line and document rounding, half up and half even.
    #[test]
    fn engine_agrees_with_reference_on_every_session(s in scenario()) {
        let expected = s.reference();
        with_quote(&s, |_, _, quote| {
            match (quote, expected) {
                (Ok(q), Ok(e)) => assert_agrees(&q, &e, &s),
                (Err(err), Err(reference::TooLarge)) => assert_only_too_large(&err),
                (Ok(q), Err(_)) => Err(TestCaseError::fail(format!(
                    "the reference finds an amount too large, the engine quoted {} / {} / {}",
                    q.amount_subtotal, q.amount_tax, q.amount_total
                ))),
                (Err(err), Ok(e)) => Err(TestCaseError::fail(format!(
                    "the engine refused ({err}), the reference computed {e:?}"
                ))),
            }
        })?;
    }

    /// DIFFERENTIAL at the int64 edge: one line whose amounts sit a few
    /// units either side of i64::MAX; both agree on the amounts, or both
    /// find them too large, and nothing panics.
    #[test]
    fn engine_agrees_with_reference_at_the_overflow_edge(
        mut s in scenario(),
        quantity in 1i64..=999_999,
        // the unit amount whose total (exclusive) or base (inclusive) is
        // closest to i64::MAX, moved by -3 ..= 3
        delta in -3i64..=3,
    ) {
        s.lines.truncate(1);
        s.lines[0].quantity = quantity;
        s.lines[0].via = Via::PriceId;
        let p = s.product_of(&s.lines[0]);
        let comps = s.reference_lines().remove(0).components;
        let combined = comps.iter().fold(Frac::ZERO, |a, c| a.add(c.rate));
        let gross_factor = match s.regime {
            // base x (1 + R) = i64::MAX
            Regime::Exclusive => Frac::new(combined.den + combined.num, combined.den),
            Regime::Inclusive => Frac::new(1, 1),
        };
        let edge = (i64::MAX as u128) * gross_factor.den / gross_factor.num / u(quantity);
        s.products[p].unit_amount = i64::try_from(edge).unwrap().saturating_add(delta).max(0);
        let expected = s.reference();
        with_quote(&s, |_, _, quote| match (quote, expected) {
            (Ok(q), Ok(e)) => assert_agrees(&q, &e, &s),
            (Err(err), Err(_)) => assert_only_too_large(&err),
            (q, e) => Err(TestCaseError::fail(format!("engine {q:?} vs reference {e:?}"))),
        })?;
    }

    /// The quote laws (`support::assert_quote_laws`: line subtotal = unit x
    /// quantity, line tax = sum of its components, total = subtotal + tax
    /// for every line and the session, session amounts = sums of the lines')
    /// on exclusive sessions. (`with_quote` asserts them on every quote of
    /// every property; this and the next force each regime.)
    #[test]
    fn quote_laws_hold_when_exclusive(mut s in scenario()) {
        s.regime = Regime::Exclusive;
        with_quote(&s, |_, _, quote| match quote {
            Ok(_) => Ok(()),
            Err(e) => assert_only_too_large(&e),
        })?;
    }

    /// The quote laws on inclusive sessions, where total = subtotal.
    #[test]
    fn quote_laws_hold_when_inclusive(mut s in scenario()) {
        s.regime = Regime::Inclusive;
        with_quote(&s, |_, _, quote| match quote {
            Ok(_) => Ok(()),
            Err(e) => assert_only_too_large(&e),
        })?;
    }

    /// Line rounding, exclusive: each component is within half a minor unit
    /// of base x rate.
    #[test]
    fn exclusive_component_is_within_half_a_unit_of_base_times_rate(mut s in scenario()) {
        s.regime = Regime::Exclusive;
        s.level = Level::Line;
        with_quote(&s, |_, _, quote| {
            let q = match quote { Ok(q) => q, Err(e) => return assert_only_too_large(&e) };
            for l in &q.line_items {
                for t in &l.taxes {
                    let r = frac_of(&t.rate);
                    // |amount - base x n/d| <= 1/2  <=>  |2 amount d - 2 base n| <= d
                    let lhs = (2 * u(t.amount) * r.den).abs_diff(2 * u(l.amount_subtotal) * r.num);
                    prop_assert!(lhs <= r.den, "{} on {}: {}", t.rate, l.amount_subtotal, t.amount);
                }
            }
            Ok(())
        })?;
    }

    /// Line rounding, inclusive: the line's included tax is within half a
    /// unit of base x R / (1 + R); each component is within one unit of its
    /// exact share (by rate) of that tax. Against the component's share of
    /// the exact tax, base x r / (1 + R), the bound is 1 + r / 2R, which can
    /// exceed one unit (three components 7.8 + 1.1 + 1.1 on 28: 3 included,
    /// all of it to the first, whose exact share is 1.985).
    #[test]
    fn inclusive_tax_is_within_half_a_unit_and_components_within_one_of_their_share(
        mut s in scenario()
    ) {
        s.regime = Regime::Inclusive;
        s.level = Level::Line;
        with_quote(&s, |_, _, quote| {
            let q = match quote { Ok(q) => q, Err(e) => return assert_only_too_large(&e) };
            for l in &q.line_items {
                let base = u(l.amount_subtotal);
                let tax = u(l.amount_tax);
                let rates: Vec<Frac> = l.taxes.iter().map(|t| frac_of(&t.rate)).collect();
                let combined = rates.iter().fold(Frac::ZERO, |a, r| a.add(*r));
                let (n, d) = (combined.num, combined.den);
                // |tax - base n/(d+n)| <= 1/2  <=>  |2 tax (d+n) - 2 base n| <= d + n
                prop_assert!((2 * tax * (d + n)).abs_diff(2 * base * n) <= d + n,
                    "included {} on {} at {}", tax, base, combined.approx());
                // Common denominator: r_i = w_i / L, R = W / L.
                let common = rates.iter().fold(1u128, |a, r| a / gcd(a, r.den) * r.den);
                let weights: Vec<u128> = rates.iter().map(|r| r.num * (common / r.den)).collect();
                let total_weight: u128 = weights.iter().sum();
                for (t, w) in l.taxes.iter().zip(&weights) {
                    let c = u(t.amount);
                    if total_weight == 0 {
                        prop_assert_eq!(c, 0);
                        continue;
                    }
                    // |c - tax w/W| < 1
                    prop_assert!((c * total_weight).abs_diff(tax * w) < total_weight,
                        "{} of {}: {}", t.rate, tax, c);
                    // |c - base w/(L+W)| < 1 + w/2W
                    let lw = common + total_weight;
                    prop_assert!(
                        (2 * total_weight * lw * c).abs_diff(2 * total_weight * base * w)
                            < 2 * total_weight * lw + w * lw
                    );
                }
            }
            Ok(())
        })?;
    }

    /// Document rounding: for each group of lines sharing their components,
    /// each component's total over the group is within half a unit of the
    /// group's base x rate (exclusive).
    #[test]
    fn group_component_tax_is_within_half_a_unit_when_document_level(mut s in scenario()) {
        s.regime = Regime::Exclusive;
        s.level = Level::Document;
        with_quote(&s, |_, _, quote| {
            let q = match quote { Ok(q) => q, Err(e) => return assert_only_too_large(&e) };
            for (key, members) in groups(&q) {
                let base: u128 = members.iter().map(|l| u(l.amount_subtotal)).sum();
                for (k, (name, rate)) in key.iter().enumerate() {
                    let amount: u128 = members.iter().map(|l| {
                        u(l.taxes.iter().find(|t| t.name == name.as_str() && t.rate.to_string() == *rate).unwrap().amount)
                    }).sum();
                    let r = Frac::from_percent_text(rate).unwrap();
                    prop_assert!((2 * amount * r.den).abs_diff(2 * base * r.num) <= r.den,
                        "component {} ({} {}) of a group: {} on {}", k, name, rate, amount, base);
                }
            }
            Ok(())
        })?;
    }

    /// Inclusive: the net (subtotal - tax) taxed exclusively at the same
    /// combined rate gives back the gross within one minor unit: per line
    /// under line rounding, per group of lines under document rounding.
    /// (Exactly: |net + round(net R) - gross| <= 1 + R/2, one unit for any
    /// combined rate under 200%.)
    #[test]
    fn inclusive_net_taxed_exclusively_gives_back_the_gross(mut s in scenario()) {
        s.regime = Regime::Inclusive;
        let mode = s.mode;
        with_quote(&s, |_, _, quote| {
            let q = match quote { Ok(q) => q, Err(e) => return assert_only_too_large(&e) };
            for (key, members) in groups(&q) {
                let parts: Vec<(u128, u128)> = if s.level == Level::Line {
                    members.iter().map(|l| (u(l.amount_subtotal), u(l.amount_tax))).collect()
                } else {
                    vec![(
                        members.iter().map(|l| u(l.amount_subtotal)).sum(),
                        members.iter().map(|l| u(l.amount_tax)).sum(),
                    )]
                };
                let combined = key.iter().fold(Frac::ZERO, |a, (_, r)| a.add(Frac::from_percent_text(r).unwrap()));
                for (gross, tax) in parts {
                    let net = gross - tax;
                    let back = net + reference::round(net * combined.num, combined.den, mode);
                    let diff = back.abs_diff(gross);
                    // 2 |diff| <= 2 + R  <=>  2 |diff| d <= 2d + n
                    prop_assert!(2 * diff * combined.den <= 2 * combined.den + combined.num,
                        "gross {} tax {} at {}: back {}", gross, tax, combined.approx(), back);
                    if combined.num < 2 * combined.den {
                        prop_assert!(diff <= 1);
                    }
                }
            }
            Ok(())
        })?;
    }

    /// More quantity on any line never means less tax: not on that line
    /// under line rounding, never for the session; and an amount too large
    /// stays too large.
    #[test]
    fn more_quantity_never_means_less_tax(
        s in scenario(),
        which in any::<Index>(),
        // extra units, 1 ..= 1000 (capped at the quantity bound)
        extra in 1i64..=1000,
    ) {
        let i = which.index(s.lines.len());
        let mut less = s.clone();
        let mut more = s.clone();
        let high = (s.lines[i].quantity + extra).min(999_999);
        more.lines[i].quantity = high;
        less.lines[i].quantity = if high == s.lines[i].quantity { high - extra } else { s.lines[i].quantity };
        let taxes = |sc: &Scenario| with_quote(sc, |_, _, quote| {
            quote.map(|q| (q.amount_tax, q.line_items[i].amount_tax)).map_err(|e| e.code())
        });
        match (taxes(&less), taxes(&more)) {
            (Ok((session_less, line_less)), Ok((session_more, line_more))) => {
                prop_assert!(session_more >= session_less, "session {} -> {}", session_less, session_more);
                if s.level == Level::Line {
                    prop_assert!(line_more >= line_less, "line {} -> {}", line_less, line_more);
                }
            }
            (Ok(_), Err(code)) => prop_assert_eq!(code, ErrorCode::AmountTooLarge),
            (Err(code), Err(_)) => prop_assert_eq!(code, ErrorCode::AmountTooLarge),
            (Err(code), Ok(_)) => prop_assert!(false, "{} with less quantity, a quote with more", code),
        }
    }

    /// A table whose rates are all zero (written `0`, `0.0`, ...) charges no
    /// tax: every component 0, total = subtotal, in both regimes and all
    /// rounding policies.
    #[test]
    fn zero_rate_means_zero_tax(s in scenario_with(true)) {
        with_quote(&s, |_, _, quote| {
            let q = match quote { Ok(q) => q, Err(e) => return assert_only_too_large(&e) };
            prop_assert_eq!(q.amount_tax, 0);
            prop_assert_eq!(q.amount_total, q.amount_subtotal);
            for l in &q.line_items {
                prop_assert_eq!(l.amount_tax, 0);
                prop_assert!(l.taxes.iter().all(|t| t.amount == 0));
            }
            Ok(())
        })?;
    }

    /// A quote verifies against itself: as a bare session, in the
    /// `{success, message, data: {session}}` envelope, and with the currency
    /// in lower case.
    #[test]
    fn quote_verifies_against_itself(s in scenario()) {
        with_quote(&s, |engine, request, quote| {
            let q = match quote { Ok(q) => q, Err(e) => return assert_only_too_large(&e) };
            let mut session = serde_json::to_value(&q).unwrap();
            prop_assert!(checkout_tax::verify::compare(&q, &session).is_match());
            let report = engine.verify(request, &session, date()).unwrap();
            prop_assert!(report.is_match(), "{:?}", report);
            session["currency"] = json!(CURRENCIES[s.currency].to_ascii_lowercase());
            let envelope = json!({"success": true, "message": "created", "data": {"session": session}});
            let report = engine.verify(request, &envelope, date()).unwrap();
            prop_assert!(report.is_match(), "{:?}", report);
            Ok(())
        })?;
    }

    /// Changing any one amount of the answer by one minor unit, the
    /// session's or a line's, fails verify, and the report names that field
    /// with the engine's value and the changed one.
    #[test]
    fn one_unit_change_in_any_amount_fails_verify(
        s in scenario(),
        which in any::<Index>(),
        up in any::<bool>(),
    ) {
        with_quote(&s, |engine, request, quote| {
            let q = match quote { Ok(q) => q, Err(e) => return assert_only_too_large(&e) };
            let mut session = serde_json::to_value(&q).unwrap();
            const AMOUNTS: [&str; 3] = ["amount_subtotal", "amount_tax", "amount_total"];
            let fields = AMOUNTS.len() * (1 + q.line_items.len());
            let k = which.index(fields);
            let (slot, field) = if k < AMOUNTS.len() {
                (&mut session[AMOUNTS[k]], AMOUNTS[k].to_owned())
            } else {
                let line = k / AMOUNTS.len() - 1;
                let name = AMOUNTS[k % AMOUNTS.len()];
                (&mut session["line_items"][line][name], format!("line_items[{line}].{name}"))
            };
            let old = slot.as_i64().unwrap();
            let new = if up { old.checked_add(1).unwrap_or(old - 1) } else { old - 1 };
            *slot = json!(new);
            let report = engine.verify(request, &session, date()).unwrap();
            prop_assert!(!report.is_match());
            prop_assert_eq!(report.mismatches.len(), 1, "{:?}", report);
            let m = &report.mismatches[0];
            prop_assert_eq!(&m.field, &field);
            prop_assert_eq!(&m.expected, &json!(old));
            prop_assert_eq!(&m.actual, &json!(new));
            prop_assert!(!checkout_tax::verify::compare(&q, &session).is_match());
            Ok(())
        })?;
    }
}

/// Why the inclusive component law is stated against the rounded tax: rates
/// of 7.8%, 1.1% and 1.1% included in 28 are 2.545, rounded to 3 units and
/// split 2.34 : 0.33 : 0.33, so the first component gets all 3 while its
/// share of the exact tax is 28 x 7.8 / 110 = 1.985, over one unit away.
#[test]
fn inclusive_component_can_be_over_one_unit_from_its_share_of_the_exact_tax() {
    let table = RateTable::from_csv(&format!(
        "{HEADER}\n\
         DE,inclusive,A,*,7.8,,,https://x\n\
         DE,inclusive,B,*,1.1,,,https://x\n\
         DE,inclusive,C,*,1.1,,,https://x\n"
    ))
    .unwrap();
    let engine = Engine::builder()
        .merchant(Merchant::new(MerchantType::Direct))
        .tax_table(table)
        .build()
        .unwrap();
    let request = SessionRequest::from_json(
        r#"{"mode": "payment", "buyer_country": "DE",
            "line_items": [{"ad_hoc_amount": 28, "ad_hoc_currency": "eur", "quantity": 1}]}"#,
    )
    .unwrap();
    let quote = engine.quote(&request, date()).unwrap();
    let amounts: Vec<i64> = quote.line_items[0].taxes.iter().map(|t| t.amount).collect();
    assert_eq!(amounts, [3, 0, 0]);
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// A group of quote lines: their set of (tax name, rate as displayed),
/// and the lines.
type Group<'q, 'a> = (Vec<(String, String)>, Vec<&'q checkout_tax::QuoteLine<'a>>);

/// The quote's lines grouped by their set of (tax name, rate), in order of
/// first appearance.
fn groups<'q, 'a>(q: &'q Quote<'a>) -> Vec<Group<'q, 'a>> {
    let mut out: Vec<Group<'q, 'a>> = Vec::new();
    for l in &q.line_items {
        let mut key: Vec<(String, String)> = l
            .taxes
            .iter()
            .map(|t| (t.name.to_string(), t.rate.to_string()))
            .collect();
        key.sort();
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some((_, members)) => members.push(l),
            None => out.push((key, vec![l])),
        }
    }
    out
}

// ---------------------------------------------------------------------------
// No input panics; refusals use the spec's codes. (Arbitrary bytes and text
// are the fuzz harness's, `tests/fuzz_harness.rs`, with stronger checks;
// these two generate what it does not: structured requests over a catalog
// that trips every rule, and CSV built from odd field values.)
// ---------------------------------------------------------------------------

/// A small fixed world for quoting arbitrary requests: prices that trip
/// every rule (inactive, recurring with two intervals, no default price,
/// a metal currency, a bogus code, the int64 edge).
fn fuzz_engine(direct: bool) -> &'static Engine {
    static ENGINES: std::sync::OnceLock<[Engine; 2]> = std::sync::OnceLock::new();
    let [mor, psp] = ENGINES.get_or_init(|| [build_fuzz_engine(false), build_fuzz_engine(true)]);
    if direct { psp } else { mor }
}

fn build_fuzz_engine(direct: bool) -> Engine {
    let catalog = Catalog::from_json(
        r#"{
      "products": [
        {"id": "prod_0", "tax_category": "books", "default_price": "price_0"},
        {"id": "prod_1", "default_price": "price_1"},
        {"id": "prod_off", "active": false, "default_price": "price_of_off"},
        {"id": "prod_nodefault"},
        {"id": "prod_big", "default_price": "price_big"}
      ],
      "prices": [
        {"id": "price_0", "product": "prod_0", "currency": "usd", "unit_amount": 1999},
        {"id": "price_1", "product": "prod_1", "currency": "JPY", "unit_amount": 500},
        {"id": "price_eur", "product": "prod_1", "currency": "eur", "unit_amount": 1000},
        {"id": "price_off", "product": "prod_0", "currency": "usd", "unit_amount": 1, "active": false},
        {"id": "price_of_off", "product": "prod_off", "currency": "usd", "unit_amount": 1},
        {"id": "price_month", "product": "prod_0", "currency": "usd", "unit_amount": 999,
         "recurring": {"interval": "month"}},
        {"id": "price_year", "product": "prod_0", "currency": "usd", "unit_amount": 9999,
         "recurring": {"interval": "year", "interval_count": 1}},
        {"id": "price_big", "product": "prod_big", "currency": "usd", "unit_amount": 9223372036854775807}
      ]
    }"#,
    )
    .unwrap();
    let table = RateTable::from_csv(&format!(
        "{HEADER}\n\
         DE,inclusive,VAT,*,19,,,https://x\n\
         DE,inclusive,VAT,books,7,,,https://x\n\
         US-CA,exclusive,Sales tax,*,7.25,,,https://x\n\
         CA-QC,exclusive,GST,*,5,,,https://x\n\
         CA-QC,exclusive,QST,*,9.975,,,https://x\n\
         FR,inclusive,VAT,*,100,,,https://x\n"
    ))
    .unwrap();
    Engine::builder()
        .catalog(catalog)
        .merchant(Merchant::new(if direct {
            MerchantType::Direct
        } else {
            MerchantType::MerchantOfRecord
        }))
        .tax_table(table)
        .build()
        .unwrap()
}

/// Parses and quotes `text`: a refusal must carry one of the spec's codes;
/// a quote must keep the quote laws.
fn check_arbitrary_request(engine: &Engine, text: &str) -> Result<(), TestCaseError> {
    let request = match SessionRequest::from_json(text) {
        Ok(r) => r,
        Err(e) => {
            prop_assert!(support::SPEC_CODES.contains(&e.code().as_str()), "{}", e);
            return Ok(());
        }
    };
    match engine.quote(&request, date()) {
        Ok(q) => support::assert_quote_laws(&q),
        Err(e) => prop_assert!(support::SPEC_CODES.contains(&e.code().as_str()), "{}", e),
    }
    Ok(())
}

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e20f64..1e20).prop_map(Value::from),
        "[a-zA-Z0-9_@:/.-]{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::from),
            vec(("[a-z_]{1,8}", inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// A value for `field`: usually of the right type and often meaningful,
/// sometimes anything.
fn field_value(values: Vec<Value>) -> impl Strategy<Value = Value> {
    prop_oneof![4 => select(values), 1 => any_json()]
}

/// A line item: any subset of the spec's line fields (and sometimes a typo).
fn arbitrary_line() -> impl Strategy<Value = Value> {
    let ids = |v: &[&str]| v.iter().map(|s| json!(s)).collect::<Vec<_>>();
    (
        option::of(field_value(ids(&[
            "price_0",
            "price_1",
            "price_eur",
            "price_off",
            "price_of_off",
            "price_month",
            "price_year",
            "price_gold",
            "price_bogus",
            "price_neg",
            "price_big",
            "price_orphan",
            "price_none",
        ]))),
        option::weighted(
            0.3,
            field_value(ids(&[
                "prod_0",
                "prod_1",
                "prod_off",
                "prod_nodefault",
                "prod_big",
                "prod_none",
            ])),
        ),
        option::weighted(
            0.9,
            field_value(vec![
                json!(1),
                json!(0),
                json!(-3),
                json!(999_999),
                json!(1_000_000),
                json!(7),
                json!(2.5),
                json!("1"),
            ]),
        ),
        option::weighted(
            0.3,
            field_value(vec![
                json!(0),
                json!(-1),
                json!(100),
                json!(i64::MAX),
                json!(1.5),
            ]),
        ),
        option::weighted(
            0.3,
            field_value(ids(&["usd", "JPY", "XAU", "xxx", "eur", "us"])),
        ),
        option::weighted(0.2, field_value(ids(&["a thing", ""]))),
        prop::bool::weighted(0.05),
    )
        .prop_map(
            |(price, product, quantity, amount, currency, description, typo)| {
                let mut line = serde_json::Map::new();
                for (k, v) in [
                    ("price_id", price),
                    ("product_id", product),
                    ("quantity", quantity),
                    ("ad_hoc_amount", amount),
                    ("ad_hoc_currency", currency),
                    ("description", description),
                ] {
                    if let Some(v) = v {
                        line.insert(k.to_owned(), v);
                    }
                }
                if typo {
                    line.insert("quantitiy".to_owned(), json!(1));
                }
                Value::Object(line)
            },
        )
}

/// A request: any subset of the spec's fields, values mostly plausible.
fn arbitrary_request() -> impl Strategy<Value = Value> {
    let s = |v: &[&str]| v.iter().map(|s| json!(s)).collect::<Vec<_>>();
    (
        option::weighted(
            0.95,
            field_value(s(&["payment", "subscription", "setup", "Payment", ""])),
        ),
        option::weighted(0.2, field_value(s(&["iframe", "link", "popup"]))),
        option::weighted(0.9, vec(arbitrary_line(), 0..8)),
        option::weighted(0.2, field_value(s(&["a@b.co", "not an email", "@", "a@b"]))),
        option::weighted(
            0.2,
            field_value(s(&["https://x.test/ok", "ftp://x", "/relative", "http://"])),
        ),
        option::weighted(
            0.7,
            field_value(s(&["de", "US", "CA", "FR", "ZZ", "usa", "jp"])),
        ),
        option::weighted(
            0.5,
            field_value(s(&["CA", "US-CA", "qc", "CA-QC", "ZZ", "XX-YY", "TX"])),
        ),
        option::weighted(0.2, field_value(s(&["order_1", ""]))),
        prop::bool::weighted(0.05),
    )
        .prop_map(
            |(mode, presentation, lines, email, url, country, region, reference, extra)| {
                let mut r = serde_json::Map::new();
                for (k, v) in [
                    ("mode", mode),
                    ("presentation", presentation),
                    ("line_items", lines.map(Value::from)),
                    ("customer_email", email),
                    ("success_url", url),
                    ("buyer_country", country),
                    ("buyer_region", region),
                    ("client_reference_id", reference),
                ] {
                    if let Some(v) = v {
                        r.insert(k.to_owned(), v);
                    }
                }
                if extra {
                    r.insert("shipping".to_owned(), json!({}));
                }
                Value::Object(r)
            },
        )
}

/// One CSV field: plausible values, broken ones, quoting.
fn csv_field() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => select(vec![
            "DE", "de", "US-CA", "US-ZZ", "ZZ", "CA-QC", "", "inclusive", "exclusive",
            "Inclusive", "VAT", "GST", "*", "general", "books", "19", "9.975", "0", "100",
            "-1", "-0", "100.0000001", "0.0000001", "1e2", "abc", "79228162514264337593543950335",
            "2020-01-01", "2030-01-01", "2020-02-30", "2020-1-1", "9999-12-31", "0000-01-01",
            "https://x", "\"a,b\"", "\"unterminated", "\"\"", " 19 ",
        ]).prop_map(str::to_owned),
        1 => "[ -~]{0,8}",
    ]
}

/// CSV-ish text: lines of 0 to 10 fields, usually after the right header.
fn csvish_text() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        6 => vec(csv_field(), 0..=10).prop_map(|f| f.join(",")),
        // a well-formed row with one field replaced
        4 => (any::<Index>(), csv_field()).prop_map(|(at, f)| {
            let mut row = vec!["DE", "inclusive", "VAT", "*", "19", "2020-01-01", "", "https://x"]
                .into_iter().map(str::to_owned).collect::<Vec<_>>();
            let i = at.index(row.len());
            row[i] = f;
            row.join(",")
        }),
        1 => Just(HEADER.to_owned()),
        1 => Just(String::new()),
    ];
    prop_oneof![
        8 => (prop::bool::weighted(0.85), vec(line, 0..8), select(vec!["\n", "\r\n"]))
            .prop_map(|(header, lines, eol)| {
                let mut text = if header { format!("{HEADER}{eol}") } else { String::new() };
                text.push_str(&lines.join(eol));
                text
            }),
        1 => any::<String>(),
    ]
}

proptest! {
    /// No structurally plausible request (any subset of the spec's fields,
    /// values of any type, ids that trip every rule) panics; every refusal
    /// carries one of the spec's error codes.
    #[test]
    fn arbitrary_requests_never_panic_and_refusals_use_spec_codes(
        request in arbitrary_request(),
        direct in any::<bool>(),
    ) {
        check_arbitrary_request(fuzz_engine(direct), &request.to_string())?;
    }

    /// No CSV text panics the rate-table parser; a refused table is a tax
    /// data error naming a line of the file.
    #[test]
    fn csv_text_never_panics_and_refusals_name_a_line(text in csvish_text()) {
        match RateTable::from_csv(&text) {
            Ok(table) => {
                for row in table.rows() {
                    prop_assert!(!row.rate.to_string().starts_with('-'), "rate {}", row.rate);
                    prop_assert!(!row.source.is_empty());
                }
            }
            Err(Error::TaxData { line, reason }) => {
                let lines = text.split(['\n', '\r']).count().max(1);
                prop_assert!((1..=lines).contains(&line), "line {} of {}: {}", line, lines, reason);
            }
            Err(other) => prop_assert!(false, "not a tax data error: {}", other),
        }
    }
}
