//! The spec's business rules on the quotes they give (every refusal, with
//! its code and `param`, is a case of `tests/corpus/refusals.json`, run by
//! `refusals`). Quotes use the
//! fixtures in `tests/fixtures/` (see its README); amounts are in
//! `amounts`.

use crate::support;
use crate::support::{AT, SPEC_EXAMPLE};

use crate::support::{Sums, direct, engine, merchant, mor, quoted, status, sums, taxes};
use checkout_tax::Engine;
use serde_json::{Value, json};

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

// (Refusals at the limits, and which fault a request with several gets, are
// cases of tests/corpus/refusals.json.)

#[test]
fn one_hundred_line_items_are_allowed() {
    // 100 x 999 = 99 900, no location so no tax.
    let q = quoted(&mor(), &with_lines(100), AT);
    assert_eq!(sums(&q), Sums::of("USD", 99_900, 0, 99_900));
}

#[test]
fn a_client_reference_id_of_200_bytes_is_echoed() {
    let mut r = with_lines(1);
    r["client_reference_id"] = json!("r".repeat(200));
    assert_eq!(
        quoted(&mor(), &r, AT)["client_reference_id"],
        json!("r".repeat(200))
    );
}

// --- The MoR rule ---------------------------------------------------------------

#[test]
fn direct_merchants_accept_ad_hoc_lines() {
    // (A Merchant of Record refuses this request: a case of the corpus.)
    let r = json!({"mode": "payment", "buyer_country": "US", "buyer_region": "CA",
    "line_items": [
        {"price_id": "price_xxx", "quantity": 1},
        {"ad_hoc_amount": 500, "ad_hoc_currency": "usd", "quantity": 1},
    ]});
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
    // (...but its shape is still checked: a case of the corpus.)
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

const HEADER: &str = "jurisdiction,regime,tax_name,category,rate,valid_from,valid_to,source\n";

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
