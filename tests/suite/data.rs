//! Tax data: the shipped table (`data/tax_rates.csv`) checked as a whole,
//! naming the row or jurisdiction that breaks an invariant; then every
//! malformed tax data case of the suite, in one table run through
//! `RateTable::from_csv` and the CLI (exit 2 naming the line).

use checkout_tax::tax::rows::{ANY_CATEGORY, RateRow};
use checkout_tax::{Date, Jurisdiction, RateTable, Regime};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

const EU27: [&str; 27] = [
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
    "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
];
const REST_OF_EUROPE: [&str; 6] = ["GB", "CH", "LI", "NO", "IS", "TR"];
const APAC: [&str; 7] = ["AU", "NZ", "JP", "SG", "KR", "IN", "HK"];
const US: [&str; 51] = [
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
    "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA",
    "WV", "WI", "WY",
];
const CANADA: [&str; 13] = [
    "AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT",
];

fn table() -> &'static RateTable {
    RateTable::embedded().expect("the shipped table parses")
}

fn date(s: &str) -> Date {
    checkout_tax::parse_date(s).unwrap()
}

fn dates() -> Vec<Date> {
    [
        "2024-01-01",
        "2024-09-01",
        "2025-01-01",
        "2025-08-01",
        "2026-01-01",
        "2026-11-24",
    ]
    .map(date)
    .to_vec()
}

/// The `*` rows in force on `at` for a jurisdiction, one per tax name.
fn standard_rows(code: &str, at: Date) -> Vec<&'static RateRow> {
    let j = Jurisdiction::parse(code).unwrap();
    table()
        .rows_at(at)
        .filter(|r| r.jurisdiction == j && r.category == ANY_CATEGORY)
        .collect()
}

fn assert_covered(codes: impl IntoIterator<Item = String>) {
    let mut missing = Vec::new();
    for code in codes {
        for at in dates() {
            if standard_rows(&code, at).is_empty() {
                missing.push(format!("{code} on {at}"));
            }
        }
    }
    assert!(missing.is_empty(), "no `*` row in force: {missing:?}");
}

#[test]
fn every_eu_member_has_a_standard_rate_on_every_date_since_2024() {
    assert_covered(EU27.map(String::from));
}

#[test]
fn rest_of_europe_and_asia_pacific_are_covered() {
    assert_covered(REST_OF_EUROPE.iter().chain(&APAC).map(|c| c.to_string()));
}

#[test]
fn every_us_state_and_dc_is_a_region() {
    assert_covered(US.map(|s| format!("US-{s}")));
}

#[test]
fn every_canadian_province_and_territory_is_a_region() {
    assert_covered(CANADA.map(|s| format!("CA-{s}")));
}

#[test]
fn one_regime_per_jurisdiction_and_the_expected_one() {
    let mut regimes: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for row in table().rows() {
        regimes
            .entry(row.jurisdiction.to_string())
            .or_default()
            .insert(row.regime.as_str());
    }
    for (j, set) in &regimes {
        assert_eq!(set.len(), 1, "{j} has regimes {set:?}");
    }
    for row in table().rows() {
        let j = row.jurisdiction.as_str();
        if j.starts_with("US-") || j.starts_with("CA-") {
            assert_eq!(row.regime, Regime::Exclusive, "line {}: {j}", row.line);
        }
        if EU27.contains(&j) || REST_OF_EUROPE.contains(&j) {
            assert_eq!(row.regime, Regime::Inclusive, "line {}: {j}", row.line);
        }
    }
}

#[test]
fn every_row_is_sourced_with_an_address() {
    for row in table().rows() {
        assert!(
            row.source.starts_with("https://") || row.source.starts_with("http://"),
            "line {}: source `{}` is not an address",
            row.line,
            row.source
        );
    }
}

#[test]
fn rates_are_between_0_and_30_percent() {
    for row in table().rows() {
        let p = row.rate.percent();
        assert!(
            p >= Decimal::ZERO && p <= Decimal::from(30),
            "line {}: rate {p}",
            row.line
        );
    }
}

#[test]
fn no_overlapping_validity_for_one_jurisdiction_tax_and_category() {
    // The parser refuses overlaps; this names them if the parser ever stops.
    let mut periods: BTreeMap<(String, String, String), Vec<&RateRow>> = BTreeMap::new();
    for row in table().rows() {
        periods
            .entry((
                row.jurisdiction.to_string(),
                row.tax_name.clone(),
                row.category.clone(),
            ))
            .or_default()
            .push(row);
    }
    for (key, mut rows) in periods {
        rows.sort_by_key(|r| r.valid_from);
        for pair in rows.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let end = a.valid_to.expect("only the last period may be open");
            assert!(
                b.valid_from.is_some_and(|start| start >= end),
                "{key:?}: lines {} and {} overlap",
                a.line,
                b.line
            );
        }
    }
}

#[test]
fn the_shipped_file_is_the_embedded_one() {
    let on_disk =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/tax_rates.csv"))
            .unwrap();
    assert_eq!(on_disk, checkout_tax::tax::embedded::CSV);
    assert_eq!(
        RateTable::from_csv(&on_disk).unwrap().rows().len(),
        table().rows().len()
    );
}

/// Components for a line of `category` in `code` on `at`, as "NAME RATE".
fn rates(code: &str, category: &str, at: &str) -> Vec<String> {
    use checkout_tax::tax::TaxLookup;
    let j = Jurisdiction::parse(code).unwrap();
    match table().lookup(j) {
        TaxLookup::Found(r) => r
            .components(category, date(at))
            .iter()
            .map(|c| format!("{} {}", c.name, c.rate))
            .collect(),
        other => panic!("{code}: {other:?}"),
    }
}

#[test]
fn rate_changes_since_2024_fall_on_their_dates() {
    // (jurisdiction, category, day before, rate then, change day, rate from then)
    let cases = [
        (
            "FI",
            "general",
            "2024-08-31",
            "VAT 24",
            "2024-09-01",
            "VAT 25.5",
        ),
        (
            "EE",
            "general",
            "2023-12-31",
            "VAT 20",
            "2024-01-01",
            "VAT 22",
        ),
        (
            "EE",
            "general",
            "2025-06-30",
            "VAT 22",
            "2025-07-01",
            "VAT 24",
        ),
        (
            "SK",
            "general",
            "2024-12-31",
            "VAT 20",
            "2025-01-01",
            "VAT 23",
        ),
        (
            "RO",
            "general",
            "2025-07-31",
            "VAT 19",
            "2025-08-01",
            "VAT 21",
        ),
        (
            "CH",
            "general",
            "2023-12-31",
            "VAT 7.7",
            "2024-01-01",
            "VAT 8.1",
        ),
        (
            "LU",
            "general",
            "2023-12-31",
            "VAT 16",
            "2024-01-01",
            "VAT 17",
        ),
        (
            "SG",
            "general",
            "2023-12-31",
            "GST 8",
            "2024-01-01",
            "GST 9",
        ),
        (
            "CA-NS",
            "general",
            "2025-03-31",
            "HST 15",
            "2025-04-01",
            "HST 14",
        ),
        (
            "US-LA",
            "general",
            "2024-12-31",
            "Sales tax 4.45",
            "2025-01-01",
            "Sales tax 5",
        ),
        (
            "FI",
            "ebooks",
            "2024-12-31",
            "VAT 10",
            "2025-01-01",
            "VAT 14",
        ),
        ("IE", "ebooks", "2023-12-31", "VAT 9", "2024-01-01", "VAT 0"),
    ];
    for (j, category, before, then, on, now) in cases {
        assert_eq!(
            rates(j, category, before),
            [then],
            "{j} {category} on {before}"
        );
        assert_eq!(rates(j, category, on), [now], "{j} {category} on {on}");
    }
}

#[test]
fn categories_and_components() {
    assert_eq!(
        rates("CA-QC", "general", "2025-06-01"),
        ["GST 5", "QST 9.975"]
    );
    assert_eq!(rates("CA-BC", "general", "2025-06-01"), ["GST 5", "PST 7"]);
    assert_eq!(rates("CA-ON", "general", "2025-06-01"), ["HST 13"]);
    assert_eq!(
        rates("US-TX", "digital_services", "2025-06-01"),
        ["Sales tax 5"]
    );
    assert_eq!(rates("US-TX", "general", "2025-06-01"), ["Sales tax 6.25"]);
    assert_eq!(rates("US-CA", "general", "2025-06-01"), ["Sales tax 7.25"]);
    assert_eq!(rates("US-OR", "general", "2025-06-01"), ["Sales tax 0"]);
    assert_eq!(rates("DE", "ebooks", "2025-06-01"), ["VAT 7"]);
    assert_eq!(rates("DE", "digital_services", "2025-06-01"), ["VAT 19"]);
    assert_eq!(rates("GB", "ebooks", "2025-06-01"), ["VAT 0"]);
    assert_eq!(rates("JP", "general", "2025-06-01"), ["Consumption tax 10"]);
    assert_eq!(rates("HK", "general", "2025-06-01"), ["VAT 0"]);
}

/// The spec's rule, straight from the rows: per tax name, the category's
/// row in force, else the `*` row in force; ordered by line.
fn reference_components(
    code: Jurisdiction,
    category: &str,
    at: Date,
) -> Vec<(String, String, usize)> {
    let rows: Vec<&RateRow> = table()
        .rows_at(at)
        .filter(|r| r.jurisdiction == code)
        .collect();
    let mut names: Vec<&str> = rows.iter().map(|r| r.tax_name.as_str()).collect();
    names.dedup();
    names.sort_unstable();
    names.dedup();
    let mut out: Vec<(String, String, usize)> = names
        .iter()
        .filter_map(|name| {
            let of_name = || rows.iter().filter(|r| r.tax_name == *name);
            of_name()
                .find(|r| r.category == category)
                .or_else(|| of_name().find(|r| r.category == ANY_CATEGORY))
                .map(|r| (r.tax_name.clone(), r.rate.to_string(), r.line))
        })
        .collect();
    out.sort_by_key(|c| c.2);
    out
}

#[test]
fn precomputed_timelines_match_the_rows_on_every_boundary() {
    use checkout_tax::tax::TaxLookup;
    let mut days: Vec<Date> = table()
        .rows()
        .iter()
        .flat_map(|r| [r.valid_from, r.valid_to])
        .flatten()
        .flat_map(|d| [d, d.yesterday().unwrap()])
        .chain(dates())
        .collect();
    days.sort_unstable();
    days.dedup();
    let jurisdictions: BTreeSet<Jurisdiction> =
        table().rows().iter().map(|r| r.jurisdiction).collect();
    let mut checked = 0;
    for j in jurisdictions {
        let TaxLookup::Found(rates) = table().lookup(j) else {
            panic!("{j} has rows but no rates")
        };
        assert_eq!(rates.jurisdiction(), j);
        for category in ["general", "ebooks", "digital_services", "something_else"] {
            for day in &days {
                let got: Vec<(String, String, usize)> = rates
                    .components(category, *day)
                    .iter()
                    .map(|c| (c.name.to_string(), c.rate.to_string(), c.line as usize))
                    .collect();
                assert_eq!(
                    got,
                    reference_components(j, category, *day),
                    "{j} {category} {day}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 10_000, "{checked}");
}

// --- Rest of the world (issue 17) ---------------------------------------------------

/// The countries a digital seller must charge beyond the launch markets,
/// each with a `*` row on today's date (Thailand's reduced 7% is sourced to
/// 2026-09-30 only, so it is checked before that; see data/README.md).
const REST_OF_WORLD: [&str; 55] = [
    "MX", "CO", "CL", "AR", "PE", "UY", "CR", "EC", "PY", "BS", "BB", // Americas
    "SA", "AE", "BH", "OM", "IL", "EG", "MA", "ZA", "KE", "NG", "GH", "TZ", "UG", "ZM", "ZW", "CM",
    "CI", "AO", "ET", "MU", // Middle East and Africa
    "MY", "ID", "PH", "TW", "KH", "LA", "NP", "LK", // Asia-Pacific
    "KZ", "UZ", "KG", "TJ", "GE", "AM", "AZ", "MD", "UA", "BY", "RU", "RS", "BA", "MK", "AL",
    // Europe and Central Asia
    "TH",
];

/// The sum of a jurisdiction's `*` rates in force on `at`, as text.
fn standard_rate(code: &str, at: &str) -> String {
    let sum: Decimal = standard_rows(code, date(at))
        .iter()
        .map(|r| r.rate.percent())
        .sum();
    sum.normalize().to_string()
}

#[test]
fn rest_of_world_is_covered() {
    let mut missing = Vec::new();
    for code in REST_OF_WORLD {
        let at = if code == "TH" {
            "2026-09-30"
        } else {
            "2026-12-01"
        };
        if standard_rows(code, date(at)).is_empty() {
            missing.push(format!("{code} on {at}"));
        }
    }
    assert!(missing.is_empty(), "no `*` row for {missing:?}");
}

#[test]
fn rest_of_world_changes_since_2024_on_both_sides() {
    for (code, before, after, old, new) in [
        ("EC", "2024-03-31", "2024-04-01", "12", "15"),
        ("MY", "2024-02-29", "2024-03-01", "6", "8"),
        ("IL", "2024-12-31", "2025-01-01", "17", "18"),
        ("PE", "2024-11-30", "2024-12-01", "0", "18"),
        ("RU", "2025-12-31", "2026-01-01", "20", "22"),
        ("KZ", "2025-12-31", "2026-01-01", "12", "16"),
        ("ZW", "2025-12-31", "2026-01-01", "15", "15.5"),
        ("GH", "2025-12-31", "2026-01-01", "21.9", "20"),
        ("TJ", "2026-12-31", "2027-01-01", "14", "13"),
    ] {
        assert_eq!(standard_rate(code, before), old, "{code} on {before}");
        assert_eq!(standard_rate(code, after), new, "{code} on {after}");
    }
    // Stable figures a 2025 check of peer datasets got wrong.
    assert_eq!(standard_rate("TH", "2025-06-01"), "7");
    assert_eq!(standard_rate("BH", "2025-06-01"), "10");
    // Taxes that began after 2024-01-01 have no row before.
    assert!(standard_rows("PH", date("2025-06-01")).is_empty());
    assert_eq!(standard_rate("PH", "2025-06-02"), "12");
}

#[test]
fn countries_without_a_national_rate_or_a_vat_have_no_data() {
    for code in ["BR", "PK", "KW", "QA"] {
        assert!(
            table()
                .rows()
                .iter()
                .all(|r| r.jurisdiction.country().as_str() != code),
            "{code} must have no rows (no_tax_data), see data/README.md"
        );
    }
}

// --- Tax data files: what the parser refuses, and with which line --------------------

const HEADER: &str = "jurisdiction,regime,tax_name,category,rate,valid_from,valid_to,source\n";

/// A malformed tax data file: its text, the line the refusal must name (the
/// header is line 1), and a word the CLI's message must contain, if any.
struct BadTable {
    name: String,
    csv: String,
    line: usize,
    reason: Option<&'static str>,
}

fn bad(name: &str, csv: String, line: usize, reason: Option<&'static str>) -> BadTable {
    BadTable {
        name: name.to_owned(),
        csv,
        line,
        reason,
    }
}

/// Every malformed tax data case of the suite.
fn bad_tables() -> Vec<BadTable> {
    let mut cases = Vec::new();

    // One bad row after a good DE row: line 3.
    let de = "DE,inclusive,VAT,*,19,2007-01-01,,https://www.gesetze-im-internet.de/ustg_1980/__12.html\n";
    for (name, row) in [
        (
            "negative rate",
            "FI,inclusive,VAT,*,-25.5,2024-09-01,,https://www.vero.fi/",
        ),
        (
            "row without a source",
            "FI,inclusive,VAT,*,25.5,2024-09-01,,",
        ),
        // Overlapping validity for one jurisdiction, tax and category: the later row.
        (
            "overlapping validity",
            "DE,inclusive,VAT,*,16,2020-07-01,2021-01-01,https://www.gesetze-im-internet.de/ustg_1980/__28.html",
        ),
        (
            "two regimes for one jurisdiction",
            "DE,exclusive,VAT,ebooks,7,2019-12-18,,https://www.gesetze-im-internet.de/ustg_1980/__12.html",
        ),
        (
            "rate not a number",
            "FI,inclusive,VAT,*,25.5%,2024-09-01,,https://www.vero.fi/",
        ),
        (
            "rate above 100",
            "FI,inclusive,VAT,*,125,2024-09-01,,https://www.vero.fi/",
        ),
        (
            "date not YYYY-MM-DD",
            "FI,inclusive,VAT,*,25.5,1.9.2024,,https://www.vero.fi/",
        ),
    ] {
        cases.push(bad(name, format!("{HEADER}{de}{row}\n"), 3, None));
    }
    // Further down the file the number follows: line 4.
    cases.push(bad(
        "bad row after two good ones",
        format!(
            "{HEADER}{de}FI,inclusive,VAT,*,25.5,2024-09-01,,https://www.vero.fi/\nFI,inclusive,VAT,ebooks,-14,,,https://www.vero.fi/\n"
        ),
        4,
        None,
    ));
    // A wrong header is line 1.
    cases.push(bad(
        "wrong header",
        "jurisdiction,regime,tax,category,rate,from,to,source\n".to_owned(),
        1,
        None,
    ));

    // The bad row is line 4: header, two good rows, the bad row, a good row
    // after it. The CLI's message names the fault.
    for (name, row, reason) in [
        ("bad rate", "FR,inclusive,VAT,*,abc,,,https://x", "rate"),
        (
            "negative rate 2",
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
            "overlapping validity 2",
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
        cases.push(bad(
            name,
            format!(
                "{HEADER}DE,inclusive,VAT,*,19,,,https://x\nGB,inclusive,VAT,*,20,,,https://x\n{row}\nJP,inclusive,Consumption tax,*,10,,,https://x\n"
            ),
            4,
            Some(reason),
        ));
    }

    // Found by the `tax_csv` fuzz target: the csv crate numbers lines wrong
    // after a CRLF (two rows both "line 2"), so a Windows-edited file named
    // the wrong row. The bad row's line, whatever the line ends: 1 header +
    // 1 + 1 blank + 3 (a quoted field over three lines) + 1 blank + 1 = 8.
    for (i, ends) in line_end_mixes().into_iter().enumerate() {
        cases.push(bad(
            &format!("line ends {i} ({ends:?})"),
            line_end_table(ends, "abc"),
            8,
            None,
        ));
    }
    cases.push(bad(
        "a CRLF file",
        "jurisdiction,regime,tax_name,category,rate,valid_from,valid_to,source\r\n\
         DE,inclusive,VAT,*,19,,,https://x\r\n\
         FR,inclusive,VAT,*,-20,,,https://x\r\n"
            .to_owned(),
        3,
        None,
    ));

    // The fixture file the CLI's usage errors were shown with.
    let fixture = crate::support::fixture_text("tax_rates_bad.csv");
    cases.push(bad("tests/fixtures/tax_rates_bad.csv", fixture, 3, None));
    cases
}

const LINE_END_ROWS: [&str; 6] = [
    "jurisdiction,regime,tax_name,category,rate,valid_from,valid_to,source",
    "DE,inclusive,VAT,*,19,,,https://x",
    "",
    "\"GB\",inclusive,\"V\nA\nT\",*,20,,,https://x",
    "",
    "FR,inclusive,VAT,*,RATE,,,https://x",
];

fn line_end_mixes() -> [[&'static str; 5]; 5] {
    [
        ["\n"; 5],
        ["\r\n"; 5],
        ["\r"; 5],
        ["\r\n", "\n", "\r\n", "\n", "\r"],
        ["\n", "\r\n", "\r", "\r\n", "\r\n"],
    ]
}

/// `LINE_END_ROWS` joined by `ends`, with `rate` as the last row's rate.
fn line_end_table(ends: [&str; 5], rate: &str) -> String {
    let mut text = LINE_END_ROWS[0].to_owned();
    for (row, end) in LINE_END_ROWS[1..].iter().zip(ends) {
        text.push_str(end);
        text.push_str(&row.replace("RATE", rate));
    }
    text.push_str("\r\n");
    text
}

#[test]
fn malformed_tax_data_is_refused_with_its_line_by_the_library_and_the_cli() {
    use crate::support::{fixture_arg, run, temp_file};
    let catalog = fixture_arg("catalog.json");
    let request =
        r#"{"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantity": 1}]}"#;
    let request_file = temp_file("request.json", request);
    let mut failures = Vec::new();
    for case in bad_tables() {
        let name = &case.name;
        let at_line = format!("line {}", case.line);
        match RateTable::from_csv(&case.csv) {
            Err(e @ checkout_tax::Error::TaxData { .. }) => {
                let checkout_tax::Error::TaxData { line, .. } = &e else {
                    unreachable!()
                };
                if *line != case.line
                    || e.code().as_str() != "invalid_tax_data"
                    || e.is_request_error()
                    || !e.to_string().contains(&at_line)
                {
                    failures.push(format!("{name}: the library refused with line {line}: {e}"));
                }
            }
            other => failures.push(format!("{name}: the library answered {other:?}")),
        }
        // The CLI refuses the file before it starts the engine: exit 2,
        // the line (and the fault) on stderr, nothing on stdout.
        let file = temp_file("tax.csv", &case.csv);
        for args in [
            vec!["rates", "--tax-data", &file],
            vec![
                "quote",
                "--catalog",
                &catalog,
                "--tax-data",
                &file,
                "--at",
                "2025-06-01",
                &request_file,
            ],
            vec![
                "batch",
                "--catalog",
                &catalog,
                "--tax-data",
                &file,
                "--at",
                "2025-06-01",
            ],
        ] {
            let r = run(&args, Some(request));
            let named = r.stderr.contains(&at_line)
                && case.reason.is_none_or(|word| r.stderr.contains(word));
            if r.code != 2 || !r.stdout.is_empty() || !named {
                failures.push(format!("{name}: `{}` gave {r:?}", args[0]));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
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
    let table = crate::support::table();
    assert_eq!(table.rows().len(), 26);
    assert!(table.rows().iter().all(|r| r.source.starts_with("http")));
}

#[test]
fn rows_keep_their_lines_whatever_the_line_ends() {
    // The bad tables' files with a good rate load, and rows keep their lines.
    for ends in line_end_mixes() {
        let table = RateTable::from_csv(&line_end_table(ends, "20")).unwrap();
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
}

#[test]
fn a_table_that_is_fine_loads_in_the_cli() {
    let file = crate::support::temp_file(
        "good.csv",
        &format!("{HEADER}DE,inclusive,VAT,*,19,,,https://x\n"),
    );
    let r = crate::support::run(&["rates", "--tax-data", &file, "--at", "2025-06-01"], None);
    assert_eq!(r.code, 0, "{r:?}");
}
