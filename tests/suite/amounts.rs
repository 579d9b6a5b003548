//! Exact amounts: every expected figure below is worked out by hand from the
//! fixture rates (`tests/fixtures/tax_rates.csv`) and prices
//! (`tests/fixtures/catalog.json`), with the arithmetic in a comment.
//! "round" is half away from zero unless the test says half even.

use crate::support;
use crate::support::AT;

use crate::support::{Sums, direct, engine, line, merchant, mor, quoted, status, sums, tax, taxes};
use serde_json::{Value, json};

fn buy(country: &str, region: Option<&str>, lines: Value) -> Value {
    let mut r = json!({"mode": "payment", "buyer_country": country, "line_items": lines});
    if let Some(region) = region {
        r["buyer_region"] = json!(region);
    }
    r
}

fn price(id: &str, quantity: i64) -> Value {
    json!({"price_id": id, "quantity": quantity})
}

fn ad_hoc(amount: i64, currency: &str) -> Value {
    json!({"ad_hoc_amount": amount, "ad_hoc_currency": currency, "quantity": 1})
}

fn half_even() -> checkout_tax::Engine {
    engine(merchant(
        &json!({"merchant_type": "direct", "rounding_mode": "half_even"}),
    ))
}

fn document_level() -> checkout_tax::Engine {
    engine(merchant(
        &json!({"merchant_type": "direct", "rounding_level": "document"}),
    ))
}

// --- The issue's required figures --------------------------------------------

#[test]
fn spec_example_with_8_percent_exclusive() {
    // 999 x 8% = 79.92 -> 80; total 999 + 80 = 1 079.
    let q = support::quote(
        &mor(),
        r#"{"mode": "payment", "presentation": "iframe",
            "line_items": [ { "price_id": "price_xxx", "quantity": 1 } ],
            "customer_email": "buyer@example.com",
            "success_url": "https://yoursite.com/success", "cancel_url": "https://yoursite.com/cancel",
            "buyer_country": "US", "buyer_region": "CA", "client_reference_id": "order_10042"}"#,
        AT,
    )
    .unwrap();
    assert_eq!(sums(&q), Sums::of("USD", 999, 80, 1_079));
    assert_eq!(line(&q, 0), (999, 80, 1_079));
    assert_eq!(taxes(&q, 0), [tax("Sales tax", "8", 80)]);
    assert_eq!(q["line_items"][0]["taxes"][0]["jurisdiction"], "US-CA");
}

#[test]
fn nineteen_percent_inclusive() {
    // 1 000 x 19/119 = 159.66 -> 160 included; total = subtotal = 1 000.
    let q = quoted(
        &mor(),
        &buy("DE", None, json!([price("price_widget_eur", 1)])),
        AT,
    );
    assert_eq!(sums(&q), Sums::of("EUR", 1_000, 160, 1_000));
    assert_eq!(q["tax_regime"], "inclusive");
    assert_eq!(line(&q, 0), (1_000, 160, 1_000));
}

#[test]
fn gst_and_qst_are_each_rounded_on_the_line() {
    // 2 000 CAD in Quebec: GST 2 000 x 5% = 100; QST 2 000 x 9.975% = 199.5
    // -> 200; tax 300, total 2 300.
    let q = quoted(
        &mor(),
        &buy("CA", Some("QC"), json!([price("price_widget_cad", 1)])),
        AT,
    );
    assert_eq!(sums(&q), Sums::of("CAD", 2_000, 300, 2_300));
    assert_eq!(
        taxes(&q, 0),
        [tax("GST", "5", 100), tax("QST", "9.975", 200)]
    );
}

#[test]
fn gst_and_pst_in_british_columbia() {
    // 1 010 CAD: GST 50.5 -> 51, PST 70.7 -> 71; tax 122, total 1 132.
    let q = quoted(
        &direct(),
        &buy("CA", Some("BC"), json!([ad_hoc(1010, "cad")])),
        AT,
    );
    assert_eq!(taxes(&q, 0), [tax("GST", "5", 51), tax("PST", "7", 71)]);
    assert_eq!(sums(&q), Sums::of("CAD", 1_010, 122, 1_132));
    // Half even: GST 50.5 -> 50 (even), PST 70.7 -> 71; tax 121.
    let q = quoted(
        &half_even(),
        &buy("CA", Some("BC"), json!([ad_hoc(1010, "cad")])),
        AT,
    );
    assert_eq!(sums(&q), Sums::of("CAD", 1_010, 121, 1_131));
}

#[test]
fn jpy_has_no_minor_unit() {
    // Japan, 10% inclusive: 1 500 x 3 = 4 500 yen; 4 500 x 10/110 = 409.09
    // -> 409 yen.
    let q = quoted(
        &mor(),
        &buy("JP", None, json!([price("price_widget_jpy", 3)])),
        AT,
    );
    assert_eq!(sums(&q), Sums::of("JPY", 4_500, 409, 4_500));
    // The same price in Quebec, exclusive: GST 1 500 x 5% = 75; QST
    // 1 500 x 9.975% = 149.625 -> 150 (rounded to the yen); total 1 725.
    let q = quoted(
        &mor(),
        &buy("CA", Some("QC"), json!([price("price_widget_jpy", 1)])),
        AT,
    );
    assert_eq!(
        taxes(&q, 0),
        [tax("GST", "5", 75), tax("QST", "9.975", 150)]
    );
    assert_eq!(sums(&q), Sums::of("JPY", 1_500, 225, 1_725));
}

#[test]
fn kwd_has_three_decimals() {
    // 12.345 KWD = 12 345 fils. Saudi Arabia, 15% inclusive: 12 345 x 15/115
    // = 1 610.22 -> 1 610 fils.
    let q = quoted(
        &mor(),
        &buy("SA", None, json!([price("price_widget_kwd", 1)])),
        AT,
    );
    assert_eq!(sums(&q), Sums::of("KWD", 12_345, 1_610, 12_345));
    // Quebec, exclusive: GST 617.25 -> 617; QST 12 345 x 9.975% = 1 231.41
    // -> 1 231; tax 1 848, total 14 193.
    let q = quoted(
        &mor(),
        &buy("CA", Some("QC"), json!([price("price_widget_kwd", 1)])),
        AT,
    );
    assert_eq!(
        taxes(&q, 0),
        [tax("GST", "5", 617), tax("QST", "9.975", 1_231)]
    );
    assert_eq!(sums(&q), Sums::of("KWD", 12_345, 1_848, 14_193));
}

// --- Rate changes: valid_to exclusive, valid_from inclusive ------------------------

fn vat_on_1000_eur(country: &str, at: &str) -> (String, i64) {
    let q = quoted(
        &mor(),
        &buy(country, None, json!([price("price_widget_eur", 1)])),
        at,
    );
    let t = taxes(&q, 0);
    assert_eq!(t.len(), 1, "{q}");
    (t[0].1.clone(), sums(&q).tax)
}

#[test]
fn finland_24_to_25_5_on_2024_09_01() {
    // Last day of 24: 1 000 x 24/124 = 193.55 -> 194.
    assert_eq!(vat_on_1000_eur("FI", "2024-08-31"), ("24".into(), 194));
    // First day of 25.5 (the old row's valid_to is exclusive):
    // 1 000 x 25.5/125.5 = 203.19 -> 203.
    assert_eq!(vat_on_1000_eur("FI", "2024-09-01"), ("25.5".into(), 203));
}

#[test]
fn germany_second_half_of_2020() {
    // 19 -> 16 on 2020-07-01 and back on 2021-01-01.
    // 1 000 x 19/119 = 159.66 -> 160; 1 000 x 16/116 = 137.93 -> 138.
    assert_eq!(vat_on_1000_eur("DE", "2020-06-30"), ("19".into(), 160));
    assert_eq!(vat_on_1000_eur("DE", "2020-07-01"), ("16".into(), 138));
    assert_eq!(vat_on_1000_eur("DE", "2020-12-31"), ("16".into(), 138));
    assert_eq!(vat_on_1000_eur("DE", "2021-01-01"), ("19".into(), 160));
}

#[test]
fn japan_8_to_10_on_2019_10_01() {
    // 1 500 x 8/108 = 111.11 -> 111; 1 500 x 10/110 = 136.36 -> 136.
    let on = |at| {
        sums(&quoted(
            &mor(),
            &buy("JP", None, json!([price("price_widget_jpy", 1)])),
            at,
        ))
    };
    assert_eq!(on("2019-09-30"), Sums::of("JPY", 1_500, 111, 1_500));
    assert_eq!(on("2019-10-01"), Sums::of("JPY", 1_500, 136, 1_500));
}

#[test]
fn saudi_arabia_5_to_15_on_2020_07_01() {
    // 12 345 x 5/105 = 587.86 -> 588; 12 345 x 15/115 = 1 610.22 -> 1 610.
    let on = |at| {
        sums(&quoted(
            &mor(),
            &buy("SA", None, json!([price("price_widget_kwd", 1)])),
            at,
        ))
        .tax
    };
    assert_eq!(on("2020-06-30"), 588);
    assert_eq!(on("2020-07-01"), 1_610);
}

#[test]
fn before_any_row_is_in_force_there_is_no_tax_data() {
    // FI's first row starts on 2013-01-01: on 2012-12-31 no row is in
    // force, which is no data (spec v2), not a calculated 0%.
    let q = quoted(
        &mor(),
        &buy("FI", None, json!([price("price_widget_eur", 1)])),
        "2012-12-31",
    );
    assert_eq!(status(&q), "no_tax_data");
    assert_eq!(q["line_items"][0]["taxability_reason"], "no_tax_data");
    assert_eq!(sums(&q), Sums::of("EUR", 1_000, 0, 1_000));
    assert_eq!(taxes(&q, 0), []);
}

// --- Several lines, categories, quantities ------------------------------------------

#[test]
fn session_amounts_are_the_sums_of_the_lines() {
    // Texas: general 6.25, digital_services 5.
    // line 0: 999 x 2 = 1 998 x 6.25% = 124.875 -> 125; total 2 123
    // line 1: 1 000 x 5% = 50; total 1 050
    // session: 2 998 + 175 = 3 173.
    let q = quoted(
        &mor(),
        &buy(
            "US",
            Some("TX"),
            json!([price("price_xxx", 2), price("price_course_usd", 1)]),
        ),
        AT,
    );
    assert_eq!(line(&q, 0), (1_998, 125, 2_123));
    assert_eq!(line(&q, 1), (1_000, 50, 1_050));
    assert_eq!(taxes(&q, 1), [tax("Sales tax", "5", 50)]);
    assert_eq!(sums(&q), Sums::of("USD", 2_998, 175, 3_173));
}

#[test]
fn largest_quantity() {
    // 999 x 999 999 = 998 999 001; x 8% = 79 919 920.08 -> 79 919 920;
    // total 1 078 918 921.
    let q = quoted(
        &mor(),
        &buy("US", Some("CA"), json!([price("price_xxx", 999_999)])),
        AT,
    );
    assert_eq!(
        sums(&q),
        Sums::of("USD", 998_999_001, 79_919_920, 1_078_918_921)
    );
}

#[test]
fn untaxed_statuses_keep_the_subtotal() {
    // No location: 999 x 3 = 2 997, no tax.
    let q = quoted(
        &mor(),
        &json!({"mode": "payment", "line_items": [price("price_xxx", 3)]}),
        AT,
    );
    assert_eq!(status(&q), "requires_location");
    assert_eq!(sums(&q), Sums::of("USD", 2_997, 0, 2_997));
    assert_eq!(line(&q, 0), (2_997, 0, 2_997));
}

// --- Big amounts: exact arithmetic, no overflow below int64 ---------------------------

#[test]
fn intermediate_products_do_not_overflow() {
    // 1e18 x 6.25% = 62 500 000 000 000 000 exactly; total 1.0625e18.
    let q = quoted(
        &mor(),
        &buy("US", Some("TX"), json!([price("price_1e18", 1)])),
        AT,
    );
    assert_eq!(
        sums(&q),
        Sums::of(
            "USD",
            1_000_000_000_000_000_000,
            62_500_000_000_000_000,
            1_062_500_000_000_000_000
        )
    );
    // Inclusive 19% of 9e18: 171e18 / 119 = 1 436 974 789 915 966 386 + 66/119
    // -> 1 436 974 789 915 966 387 (66/119 > 1/2).
    let q = quoted(
        &mor(),
        &buy("DE", None, json!([price("price_9e18", 1)])),
        AT,
    );
    assert_eq!(
        sums(&q),
        Sums::of(
            "USD",
            9_000_000_000_000_000_000,
            1_436_974_789_915_966_387,
            9_000_000_000_000_000_000
        )
    );
}

#[test]
fn the_largest_base_fits_when_no_tax_is_added() {
    // 9 223 372 036 854 775 800 = i64::MAX - 7, no location: no tax to add.
    let q = quoted(
        &mor(),
        &json!({"mode": "payment", "line_items": [price("price_near_max", 1)]}),
        AT,
    );
    assert_eq!(
        sums(&q),
        Sums::of(
            "USD",
            9_223_372_036_854_775_800,
            0,
            9_223_372_036_854_775_800
        )
    );
}

// --- Rounding edge cases ---------------------------------------------------------------

#[test]
fn exact_half_cent_exclusive_in_both_modes() {
    // Yukon (the CA row): 50 cents x 5% = 2.5 cents -> 3 half up, 2 half even.
    let r = buy("CA", Some("YT"), json!([ad_hoc(50, "cad")]));
    assert_eq!(sums(&quoted(&direct(), &r, AT)), Sums::of("CAD", 50, 3, 53));
    assert_eq!(
        sums(&quoted(&half_even(), &r, AT)),
        Sums::of("CAD", 50, 2, 52)
    );
    // 30 cents x 5% = 1.5 -> 2 in both modes (2 is even).
    let r = buy("CA", Some("YT"), json!([ad_hoc(30, "cad")]));
    assert_eq!(sums(&quoted(&direct(), &r, AT)).tax, 2);
    assert_eq!(sums(&quoted(&half_even(), &r, AT)).tax, 2);
}

#[test]
fn exact_half_on_the_second_component() {
    // 6 000 CAD in Quebec: GST 300; QST 6 000 x 9.975% = 598.5 -> 599 half
    // up, 598 half even.
    let r = buy("CA", Some("QC"), json!([price("price_widget_cad_60", 1)]));
    let q = quoted(&direct(), &r, AT);
    assert_eq!(
        taxes(&q, 0),
        [tax("GST", "5", 300), tax("QST", "9.975", 599)]
    );
    assert_eq!(sums(&q), Sums::of("CAD", 6_000, 899, 6_899));
    let q = quoted(&half_even(), &r, AT);
    assert_eq!(
        taxes(&q, 0),
        [tax("GST", "5", 300), tax("QST", "9.975", 598)]
    );
    assert_eq!(sums(&q), Sums::of("CAD", 6_000, 898, 6_898));
}

#[test]
fn exact_half_penny_inclusive_in_both_modes() {
    // GB 20% inclusive: 15 pence x 20/120 = 2.5 -> 3 half up, 2 half even.
    let r = buy("GB", None, json!([price("price_widget_gbp", 1)]));
    assert_eq!(sums(&quoted(&direct(), &r, AT)), Sums::of("GBP", 15, 3, 15));
    assert_eq!(
        sums(&quoted(&half_even(), &r, AT)),
        Sums::of("GBP", 15, 2, 15)
    );
}

#[test]
fn inclusive_split_tie_goes_to_the_first_row_in_the_data() {
    // Karnataka: SGST 9 (listed first) + CGST 9 = 18 inclusive.
    // 1 000 paise x 18/118 = 152.54 -> 153 included; split 9 : 9 = 76.5 :
    // 76.5 -> 76 + 76 and one paisa left; the remainders tie, so it goes to
    // SGST, whose row comes first (not to CGST, first alphabetically).
    let q = quoted(
        &mor(),
        &buy("IN", Some("KA"), json!([price("price_widget_inr", 1)])),
        AT,
    );
    assert_eq!(taxes(&q, 0), [tax("SGST", "9", 77), tax("CGST", "9", 76)]);
    assert_eq!(sums(&q), Sums::of("INR", 1_000, 153, 1_000));
    // Another state: the IN row, IGST 18, one component: 153.
    let q = quoted(
        &mor(),
        &buy("IN", Some("MH"), json!([price("price_widget_inr", 1)])),
        AT,
    );
    assert_eq!(q["tax_jurisdiction"], "IN");
    assert_eq!(taxes(&q, 0), [tax("IGST", "18", 153)]);
}

// --- Document-level rounding -----------------------------------------------------------

#[test]
fn document_rounding_exclusive_differs_from_line_rounding() {
    // Three lines of 10.06 USD in California (8%).
    // Line level: 1 006 x 8% = 80.48 -> 80, three times: 240.
    // Document level: 3 018 x 8% = 241.44 -> 241, allocated by base:
    // 241 x 1 006 / 3 018 = 80.33 -> 80 each, one cent left, equal
    // remainders -> the earlier line: 81, 80, 80.
    let r = buy(
        "US",
        Some("CA"),
        json!([
            ad_hoc(1006, "usd"),
            ad_hoc(1006, "usd"),
            ad_hoc(1006, "usd")
        ]),
    );
    let q = quoted(&direct(), &r, AT);
    assert_eq!(sums(&q), Sums::of("USD", 3_018, 240, 3_258));
    let q = quoted(&document_level(), &r, AT);
    assert_eq!(sums(&q), Sums::of("USD", 3_018, 241, 3_259));
    assert_eq!(line(&q, 0), (1_006, 81, 1_087));
    assert_eq!(line(&q, 1), (1_006, 80, 1_086));
    assert_eq!(line(&q, 2), (1_006, 80, 1_086));
}

#[test]
fn document_rounding_groups_by_components_across_categories() {
    // Germany: a general line and a digital_services line both get VAT 19
    // (the star row) and share a group; the e-book (7) is a group of its own.
    // Group 19: 2 000 x 19/119 = 319.33 -> 319; 319 x 1 000/2 000 = 159.5
    // each -> 159 + 159, one cent left to the earlier line: 160, 159.
    // Group 7: 1 499 x 7/107 = 98.07 -> 98.
    // Line level would give 160 + 160 + 98 = 418.
    let r = buy(
        "DE",
        None,
        json!([
            price("price_widget_eur", 1),
            price("price_ebook_eur", 1),
            price("price_course_eur", 1)
        ]),
    );
    assert_eq!(
        sums(&quoted(&direct(), &r, AT)),
        Sums::of("EUR", 3_499, 418, 3_499)
    );
    let q = quoted(&document_level(), &r, AT);
    assert_eq!(line(&q, 0), (1_000, 160, 1_000));
    assert_eq!(line(&q, 1), (1_499, 98, 1_499));
    assert_eq!(line(&q, 2), (1_000, 159, 1_000));
    assert_eq!(sums(&q), Sums::of("EUR", 3_499, 417, 3_499));
}

#[test]
fn document_rounding_splits_each_component_of_a_group() {
    // Quebec, two lines of 10.10 CAD.
    // Line level: GST 50.5 -> 51 twice = 102; QST 100.7475 -> 101 twice = 202;
    // tax 304.
    // Document level: GST 2 020 x 5% = 101 -> 50.5 + 50.5 -> 51 (earlier
    // line), 50; QST 2 020 x 9.975% = 201.495 -> 201 -> 100.5 + 100.5 -> 101,
    // 100; tax 302.
    let r = buy(
        "CA",
        Some("QC"),
        json!([ad_hoc(1010, "cad"), ad_hoc(1010, "cad")]),
    );
    assert_eq!(sums(&quoted(&direct(), &r, AT)).tax, 304);
    let q = quoted(&document_level(), &r, AT);
    assert_eq!(
        taxes(&q, 0),
        [tax("GST", "5", 51), tax("QST", "9.975", 101)]
    );
    assert_eq!(
        taxes(&q, 1),
        [tax("GST", "5", 50), tax("QST", "9.975", 100)]
    );
    assert_eq!(sums(&q), Sums::of("CAD", 2_020, 302, 2_322));
}

#[test]
fn document_inclusive_split_ties_follow_the_group_first_line() {
    // Karnataka with an explicit digital_services SGST row at the same 9%
    // (line 4): a general line lists SGST (line 2) then CGST (line 3); a
    // digital_services line lists CGST (line 3) then SGST (line 4). Same
    // names and rates, so one document-level group, whose split order is
    // that of its first line.
    // Group: 2 000 x 18/118 = 305.08 -> 305; 152.5 : 152.5 -> 152 + 152
    // and the unit left to the first component of the first line.
    // Each component is then allocated 1 000 : 1 000, the odd unit to line 0.
    let csv = "jurisdiction,regime,tax_name,category,rate,valid_from,valid_to,source\n\
        IN-KA,inclusive,SGST,*,9,2017-07-01,,https://cbic-gst.gov.in/gst-goods-services-rates.html\n\
        IN-KA,inclusive,CGST,*,9,2017-07-01,,https://cbic-gst.gov.in/gst-goods-services-rates.html\n\
        IN-KA,inclusive,SGST,digital_services,9,2017-07-01,,https://cbic-gst.gov.in/gst-goods-services-rates.html OIDAR services: standard 18\n";
    let catalog = checkout_tax::Catalog::from_json(
        r#"{"products": [
              {"id": "prod_general", "tax_category": "general"},
              {"id": "prod_digital", "tax_category": "digital_services"}],
            "prices": [
              {"id": "price_general", "product": "prod_general", "currency": "inr", "unit_amount": 1000},
              {"id": "price_digital", "product": "prod_digital", "currency": "inr", "unit_amount": 1000}]}"#,
    )
    .unwrap();
    let engine = checkout_tax::Engine::builder()
        .catalog(catalog)
        .tax_table(checkout_tax::RateTable::from_csv(csv).unwrap())
        .merchant(merchant(&json!({"rounding_level": "document"})))
        .build()
        .unwrap();

    // General first: SGST 153 -> 77 + 76, CGST 152 -> 76 + 76.
    let q = quoted(
        &engine,
        &buy(
            "IN",
            Some("KA"),
            json!([price("price_general", 1), price("price_digital", 1)]),
        ),
        AT,
    );
    assert_eq!(taxes(&q, 0), [tax("SGST", "9", 77), tax("CGST", "9", 76)]);
    assert_eq!(taxes(&q, 1), [tax("CGST", "9", 76), tax("SGST", "9", 76)]);
    assert_eq!(sums(&q), Sums::of("INR", 2_000, 305, 2_000));

    // Digital first: CGST 153 -> 77 + 76, SGST 152 -> 76 + 76.
    let q = quoted(
        &engine,
        &buy(
            "IN",
            Some("KA"),
            json!([price("price_digital", 1), price("price_general", 1)]),
        ),
        AT,
    );
    assert_eq!(taxes(&q, 0), [tax("CGST", "9", 77), tax("SGST", "9", 76)]);
    assert_eq!(taxes(&q, 1), [tax("SGST", "9", 76), tax("CGST", "9", 76)]);
    assert_eq!(sums(&q), Sums::of("INR", 2_000, 305, 2_000));
}

// --- Every amount explains itself; dates the data does not cover (spec v2) ---------

fn embedded(merchant: checkout_tax::MerchantType) -> checkout_tax::Engine {
    checkout_tax::Engine::builder()
        .catalog(support::catalog())
        .merchant(checkout_tax::Merchant::new(merchant))
        .build()
        .unwrap()
}

#[test]
fn the_first_day_the_embedded_table_covers_is_quoted() {
    // (The days before it are refused: cases of tests/corpus/refusals.json.)
    let engine = embedded(checkout_tax::MerchantType::MerchantOfRecord);
    let q = quoted(
        &engine,
        &buy("DE", None, json!([price("price_widget_eur", 1)])),
        "2024-01-01",
    );
    assert_eq!(status(&q), "calculated");
}

#[test]
fn quotes_carry_their_date_version_taxable_amounts_and_reasons() {
    let engine = embedded(checkout_tax::MerchantType::MerchantOfRecord);
    // Quebec: GST 5 levied by Canada, QST 9.975 by Quebec, both on the base.
    let q = quoted(
        &engine,
        &buy("CA", Some("QC"), json!([price("price_widget_cad", 1)])),
        AT,
    );
    assert_eq!(q["tax_date"], AT);
    let version = engine.tax_table().version().to_owned();
    assert!(version.starts_with("xxh3:"), "{version}");
    assert_eq!(q["tax_data_version"], version.as_str());
    let taxes = &q["line_items"][0]["taxes"];
    assert_eq!(taxes[0]["name"], "GST");
    assert_eq!(taxes[0]["jurisdiction"], "CA");
    assert_eq!(taxes[1]["name"], "QST");
    assert_eq!(taxes[1]["jurisdiction"], "CA-QC");
    for t in taxes.as_array().unwrap() {
        assert_eq!(t["taxable_amount"], 2_000);
        assert_eq!(t["taxability_reason"], "standard_rated");
    }
    assert_eq!(q["line_items"][0]["taxability_reason"], json!(null));
    // Germany, inclusive: 1 000 contains 160 of VAT, so 840 is taxed.
    let q = quoted(
        &engine,
        &buy(
            "DE",
            None,
            json!([price("price_widget_eur", 1), price("price_ebook_eur", 1)]),
        ),
        AT,
    );
    assert_eq!(
        q["line_items"][0]["taxes"][0]["taxable_amount"],
        1_000 - 160
    );
    assert_eq!(
        q["line_items"][0]["taxes"][0]["taxability_reason"],
        "standard_rated"
    );
    // E-book 14.99 at 7%: 98.07 -> 98 inside, reduced rated.
    assert_eq!(q["line_items"][1]["taxes"][0]["amount"], 98);
    assert_eq!(q["line_items"][1]["taxes"][0]["taxable_amount"], 1_499 - 98);
    assert_eq!(
        q["line_items"][1]["taxes"][0]["taxability_reason"],
        "reduced_rated"
    );
    // Hong Kong's explicit 0% row: zero rated, calculated.
    let q = quoted(
        &engine,
        &buy("HK", None, json!([price("price_xxx", 1)])),
        AT,
    );
    assert_eq!(status(&q), "calculated");
    assert_eq!(
        q["line_items"][0]["taxes"][0]["taxability_reason"],
        "zero_rated"
    );
    // Texas SaaS at 80% of 6.25: a reduced rate of the category's own.
    let q = quoted(
        &engine,
        &buy("US", Some("TX"), json!([price("price_course_usd", 1)])),
        AT,
    );
    assert_eq!(q["line_items"][0]["taxes"][0]["rate"], "5");
    assert_eq!(
        q["line_items"][0]["taxes"][0]["taxability_reason"],
        "reduced_rated"
    );
    // No location: the line says why it has no components.
    let q = quoted(
        &engine,
        &buy("US", None, json!([price("price_xxx", 1)])),
        AT,
    );
    assert_eq!(q["line_items"][0]["taxability_reason"], "requires_location");
}

#[test]
fn a_table_can_state_its_first_covered_date() {
    let csv = "# covered_from: 2020-01-01\n\
               jurisdiction,regime,tax_name,category,rate,valid_from,valid_to,source\n\
               FI,inclusive,VAT,*,24,,,https://vero.fi/\n\
               FI,inclusive,VAT,ebooks,10,2021-01-01,,https://vero.fi/\n";
    let engine = support::engine_with_table(
        checkout_tax::Merchant::new(checkout_tax::MerchantType::MerchantOfRecord),
        csv,
    );
    let request = buy("FI", None, json!([price("price_widget_eur", 1)]));
    // (The day before is refused: a case of tests/corpus/refusals.json.)
    assert_eq!(
        status(&quoted(&engine, &request, "2020-01-01")),
        "calculated"
    );
    // Without the statement, a blank valid_from means "always".
    let open = support::engine_with_table(
        checkout_tax::Merchant::new(checkout_tax::MerchantType::MerchantOfRecord),
        "jurisdiction,regime,tax_name,category,rate,valid_from,valid_to,source\nFI,inclusive,VAT,*,24,,,https://vero.fi/\n",
    );
    assert_eq!(
        sums(&quoted(&open, &request, "1990-01-01")),
        Sums::of("EUR", 1_000, 194, 1_000)
    );
}
