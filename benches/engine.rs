//! Criterion benches, one group per area. Inputs are built outside the
//! timed loop and every iteration checks the answer, so a fast wrong answer
//! fails. `cargo bench -- --test` runs each once, untimed (CI does).
//!
//! Run: `cargo bench --bench engine` (medians in target/criterion/*/new/estimates.json).

mod workload;

use checkout_tax::tax::TaxLookup;
use checkout_tax::{
    Catalog, Date, Engine, Jurisdiction, LineItem, Merchant, MerchantType, Mode, RateTable,
    SessionRequest,
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn date() -> Date {
    checkout_tax::parse_date("2025-06-01").unwrap()
}

fn engine() -> Engine {
    let catalog = Catalog::from_json(&workload::catalog_json()).unwrap();
    Engine::builder()
        .catalog(catalog)
        .merchant(Merchant::new(MerchantType::MerchantOfRecord))
        .build()
        .unwrap()
}

/// A request of `lines` lines, `general` products, quantity 2, in `region`.
fn request(
    lines: usize,
    country: &str,
    region: Option<&str>,
    currency: &str,
) -> SessionRequest<'static> {
    let items = (0..lines)
        .map(|i| LineItem::price(format!("price_general_{}_{currency}", i % 20), 2))
        .collect();
    SessionRequest {
        buyer_country: Some(country.to_owned().into()),
        buyer_region: region.map(|r| r.to_owned().into()),
        customer_email: Some("buyer@example.com".into()),
        success_url: Some("https://shop.example.com/success".into()),
        client_reference_id: Some("order_1".into()),
        ..SessionRequest::new(Mode::Payment, items)
    }
}

fn quote(c: &mut Criterion) {
    let engine = engine();
    let at = date();
    let mut group = c.benchmark_group("quote");

    let three = request(3, "US", Some("CA"), "usd");
    let expected3 = engine.quote(&three, at).unwrap().amount_total;
    group.bench_function("3_lines", |b| {
        b.iter(|| {
            let q = engine.quote(black_box(&three), at).unwrap();
            assert_eq!(q.amount_total, expected3);
        })
    });

    let fifty = request(50, "US", Some("NY"), "usd");
    let expected50 = engine.quote(&fifty, at).unwrap().amount_total;
    group.bench_function("50_lines", |b| {
        b.iter(|| {
            let q = engine.quote(black_box(&fifty), at).unwrap();
            assert_eq!(q.amount_total, expected50);
        })
    });

    // Inclusive regime with two components: a table of our own, since no
    // shipped jurisdiction has an inclusive multi-component tax.
    let table = RateTable::from_csv(
        "jurisdiction,regime,tax_name,category,rate,valid_from,valid_to,source\n\
         IN,inclusive,CGST,*,9,,,https://cbic-gst.gov.in/\n\
         IN,inclusive,SGST,*,9,,,https://cbic-gst.gov.in/\n",
    )
    .unwrap();
    let inclusive = engine
        .with_catalog(Catalog::from_json(&workload::catalog_json()).unwrap())
        .unwrap();
    let inclusive = Engine::builder()
        .catalog(inclusive.catalog().clone())
        .tax_table(table)
        .build()
        .unwrap();
    let three_in = request(3, "IN", None, "usd");
    let q = inclusive.quote(&three_in, at).unwrap();
    let (total_in, tax_in) = (q.amount_total, q.amount_tax);
    assert!(tax_in > 0 && q.line_items[0].taxes.len() == 2);
    group.bench_function("inclusive_multi_component", |b| {
        b.iter(|| {
            let q = inclusive.quote(black_box(&three_in), at).unwrap();
            assert_eq!((q.amount_total, q.amount_tax), (total_in, tax_in));
        })
    });
    group.finish();
}

fn table(c: &mut Criterion) {
    let table = RateTable::embedded().unwrap();
    let at = date();
    let qc = Jurisdiction::parse("CA-QC").unwrap();
    let mut group = c.benchmark_group("table");
    group.bench_function("lookup", |b| {
        b.iter(|| {
            let TaxLookup::Found(rates) = table.lookup(black_box(qc)) else {
                panic!("CA-QC has rates")
            };
            let components = rates.components(black_box("digital_services"), black_box(at));
            assert_eq!(components.len(), 2);
            components
        })
    });
    group.finish();
}

fn build(c: &mut Criterion) {
    let csv = checkout_tax::tax::embedded::CSV;
    let rows = RateTable::embedded().unwrap().rows().len();
    let mut group = c.benchmark_group("engine");
    group.bench_function("build", |b| {
        // Dropping the engine is not building it: measured apart.
        b.iter_with_large_drop(|| {
            let table = RateTable::from_csv(black_box(csv)).unwrap();
            assert_eq!(table.rows().len(), rows);
            Engine::builder().tax_table(table).build().unwrap()
        })
    });
    group.finish();
}

fn batch(c: &mut Criterion) {
    let engine = engine();
    let at = date();
    let sessions = 1000;
    let input = workload::requests_ndjson(42, sessions);
    let mut out = Vec::with_capacity(input.len() * 4);
    // The expected output, computed once, to check every iteration against.
    for line in input.lines() {
        engine.quote_json(line.as_bytes(), at, &mut out);
        out.push(b'\n');
    }
    let expected = out.clone();
    assert!(!String::from_utf8_lossy(&expected).contains("\"error\""));
    let mut group = c.benchmark_group("batch");
    group.throughput(Throughput::Elements(sessions as u64));
    group.bench_function("parse_quote_write", |b| {
        b.iter(|| {
            out.clear();
            for line in black_box(&input).lines() {
                engine.quote_json(line.as_bytes(), at, &mut out);
                out.push(b'\n');
            }
            assert!(out == expected);
        })
    });
    group.finish();
}

criterion_group!(benches, quote, table, build, batch);
criterion_main!(benches);
