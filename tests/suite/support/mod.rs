//! Helpers shared by the integration tests: the engine built from the
//! fixtures in `tests/fixtures/`, quoting a JSON request, and running the
//! real `checkout-tax` binary.

pub mod http;
pub mod reference;

use checkout_tax::{
    Catalog, Date, Engine, Error, Merchant, MerchantType, Quote, RateTable, Regime,
};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

/// The date of every quote that does not test a date.
pub const AT: &str = "2025-06-01";

/// The spec's example request, verbatim.
pub const SPEC_EXAMPLE: &str = r#"{
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

/// The built binary, as cargo names it for integration tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_checkout-tax");

/// `tests/fixtures/<name>`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
        .join(name)
}

/// `tests/fixtures/<name>` as a string, for command-line arguments.
pub fn fixture_arg(name: &str) -> String {
    fixture(name).to_str().expect("UTF-8 path").to_owned()
}

pub fn fixture_text(name: &str) -> String {
    let path = fixture(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The fixture catalog.
pub fn catalog() -> Arc<Catalog> {
    static CATALOG: OnceLock<Arc<Catalog>> = OnceLock::new();
    CATALOG
        .get_or_init(|| Arc::new(Catalog::from_json(&fixture_text("catalog.json")).unwrap()))
        .clone()
}

/// The fixture tax table, parsed with the public parser.
pub fn table() -> Arc<RateTable> {
    static TABLE: OnceLock<Arc<RateTable>> = OnceLock::new();
    TABLE
        .get_or_init(|| Arc::new(RateTable::from_csv(&fixture_text("tax_rates.csv")).unwrap()))
        .clone()
}

/// An engine over the fixture catalog and table for this merchant.
pub fn engine(merchant: Merchant) -> Engine {
    Engine::builder()
        .catalog(catalog())
        .tax_table(table())
        .merchant(merchant)
        .build()
        .unwrap()
}

/// An engine over the fixture catalog and a table of the test's own.
pub fn engine_with_table(merchant: Merchant, csv: &str) -> Engine {
    Engine::builder()
        .catalog(catalog())
        .tax_table(RateTable::from_csv(csv).unwrap())
        .merchant(merchant)
        .build()
        .unwrap()
}

/// Merchant of Record, registered everywhere, default rounding.
pub fn mor() -> Engine {
    engine(Merchant::new(MerchantType::MerchantOfRecord))
}

/// Direct merchant, registered everywhere, default rounding.
pub fn direct() -> Engine {
    engine(Merchant::new(MerchantType::Direct))
}

/// A merchant from its JSON form (`{"merchant_type": ..., "tax_registrations": ...}`).
pub fn merchant(json: &Value) -> Merchant {
    Merchant::from_json(&json.to_string()).unwrap()
}

pub fn date(text: &str) -> Date {
    checkout_tax::parse_date(text).unwrap_or_else(|_| panic!("bad date `{text}`"))
}

/// The laws every quote keeps, whatever its amounts, asserted on every
/// quote the tests get (the property tests call it on generated sessions):
///
/// - each line's subtotal is its unit amount x quantity, and its tax the
///   sum of its components;
/// - with net = subtotal - discount: total = net + tax when the tax is
///   exclusive (or none was charged), total = net when it is inclusive;
///   for every line and for the session;
/// - the session's subtotal, discount, tax and total are the sums of the
///   lines'.
///
/// Sums are taken in `i128`, so an overflow cannot hide a broken law.
/// It also holds the quote's field walk (what the Node package builds its
/// objects from) equal to its serde form.
#[track_caller]
pub fn assert_quote_laws(q: &Quote<'_>) {
    let inclusive = q.tax_regime == Some(Regime::Inclusive);
    let total_law = |subtotal: i64, discount: i64, tax: i64, total: i64| {
        let net = i128::from(subtotal) - i128::from(discount);
        let (tax, total) = (i128::from(tax), i128::from(total));
        if inclusive {
            total == net
        } else {
            total == net + tax
        }
    };
    let (mut subtotal, mut discount, mut tax, mut total) = (0i128, 0i128, 0i128, 0i128);
    for (i, l) in q.line_items.iter().enumerate() {
        assert_eq!(
            i128::from(l.amount_subtotal),
            i128::from(l.unit_amount) * i128::from(l.quantity),
            "line {i}: subtotal is not unit_amount x quantity"
        );
        let components: i128 = l.taxes.iter().map(|t| i128::from(t.amount)).sum();
        assert_eq!(
            i128::from(l.amount_tax),
            components,
            "line {i}: tax is not the sum of its components"
        );
        assert!(
            total_law(
                l.amount_subtotal,
                l.amount_discount,
                l.amount_tax,
                l.amount_total
            ),
            "line {i}: total {} from subtotal {}, discount {} and tax {} ({})",
            l.amount_total,
            l.amount_subtotal,
            l.amount_discount,
            l.amount_tax,
            if inclusive { "inclusive" } else { "exclusive" }
        );
        subtotal += i128::from(l.amount_subtotal);
        discount += i128::from(l.amount_discount);
        tax += i128::from(l.amount_tax);
        total += i128::from(l.amount_total);
    }
    assert_eq!(
        (
            i128::from(q.amount_subtotal),
            i128::from(q.amount_discount),
            i128::from(q.amount_tax),
            i128::from(q.amount_total)
        ),
        (subtotal, discount, tax, total),
        "session amounts are not the sums of the lines'"
    );
    assert!(
        total_law(
            q.amount_subtotal,
            q.amount_discount,
            q.amount_tax,
            q.amount_total
        ),
        "session total {} from subtotal {}, discount {} and tax {}",
        q.amount_total,
        q.amount_subtotal,
        q.amount_discount,
        q.amount_tax
    );
    assert_eq!(
        checkout_tax::output::fields::to_value(q),
        Some(serde_json::to_value(q).unwrap()),
        "the field walk does not describe the quote's JSON"
    );
}

/// Parses and quotes `request` at `at` (checking the quote laws); the quote
/// as its JSON value (so the serialised form is what the tests read).
pub fn quote(engine: &Engine, request: &str, at: &str) -> Result<Value, Error> {
    let parsed = checkout_tax::SessionRequest::from_json(request)?;
    let quote = engine.quote(&parsed, date(at))?;
    assert_quote_laws(&quote);
    Ok(serde_json::to_value(&quote).unwrap())
}

/// The quote of a request that must be accepted.
pub fn quoted(engine: &Engine, request: &Value, at: &str) -> Value {
    quote(engine, &request.to_string(), at)
        .unwrap_or_else(|e| panic!("refused with {} at {:?}: {e}", e.code(), e.param()))
}

/// The session amounts of a quote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sums {
    pub currency: Option<String>,
    pub subtotal: i64,
    pub tax: i64,
    pub total: i64,
}

impl Sums {
    pub fn of(currency: &str, subtotal: i64, tax: i64, total: i64) -> Self {
        Sums {
            currency: Some(currency.to_owned()),
            subtotal,
            tax,
            total,
        }
    }
}

pub fn sums(quote: &Value) -> Sums {
    let int = |k: &str| {
        quote[k]
            .as_i64()
            .unwrap_or_else(|| panic!("`{k}` is not an integer in {quote}"))
    };
    Sums {
        currency: quote["currency"].as_str().map(str::to_owned),
        subtotal: int("amount_subtotal"),
        tax: int("amount_tax"),
        total: int("amount_total"),
    }
}

/// `(subtotal, tax, total)` of line `i`.
pub fn line(quote: &Value, i: usize) -> (i64, i64, i64) {
    let l = &quote["line_items"][i];
    (
        l["amount_subtotal"].as_i64().unwrap(),
        l["amount_tax"].as_i64().unwrap(),
        l["amount_total"].as_i64().unwrap(),
    )
}

/// `(name, rate, amount)` of each tax component of line `i`, in order.
pub fn taxes(quote: &Value, i: usize) -> Vec<(String, String, i64)> {
    quote["line_items"][i]["taxes"]
        .as_array()
        .unwrap_or_else(|| panic!("no taxes on line {i} of {quote}"))
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_owned(),
                t["rate"].as_str().unwrap().to_owned(),
                t["amount"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// One tax component, for `assert_eq!` against `taxes`.
pub fn tax(name: &str, rate: &str, amount: i64) -> (String, String, i64) {
    (name.to_owned(), rate.to_owned(), amount)
}

pub fn status(quote: &Value) -> &str {
    quote["tax_status"].as_str().unwrap()
}

/// What the binary did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stdout as JSON (panics, showing the run, when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:?}"))
    }
}

/// Runs the binary with `args`, feeding `stdin` (empty when `None`).
pub fn run(args: &[&str], stdin: Option<&str>) -> Run {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {BIN}: {e}"));
    {
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            // A command that fails before reading stdin closes the pipe.
            match input.write_all(text.as_bytes()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    panic!("cannot write stdin: {e}")
                }
                _ => {}
            }
        }
    }
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().expect("exited, not killed by a signal"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// Writes `contents` to a fresh file under cargo's scratch directory for
/// integration tests and returns its path (unique per call, so tests can
/// run in parallel).
pub fn temp_file(name: &str, contents: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let path = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("checkout-tax-{}-{n}-{name}", std::process::id()));
    std::fs::write(&path, contents).unwrap();
    path.to_str().unwrap().to_owned()
}

/// The error codes the spec lists, copied from its text (not from the
/// crate), so a code the crate renamed or dropped fails the tests.
pub const SPEC_CODES: [&str; 27] = [
    "invalid_request",
    "unknown_field",
    "invalid_mode",
    "invalid_presentation",
    "missing_line_items",
    "line_items_not_allowed",
    "invalid_line_item",
    "invalid_quantity",
    "unknown_price",
    "unknown_product",
    "inactive_price",
    "inactive_product",
    "no_default_price",
    "ad_hoc_not_allowed",
    "missing_ad_hoc_currency",
    "invalid_amount",
    "invalid_currency",
    "currency_mismatch",
    "recurring_price_required",
    "recurring_price_not_allowed",
    "mixed_intervals",
    "invalid_country",
    "invalid_region",
    "amount_too_large",
    "invalid_email",
    "invalid_url",
    "limit_exceeded",
];
