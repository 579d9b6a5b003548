//! The Rust side of `bench.js`: the median cost of one quote of the same
//! request, with the same catalog, in process (no Node). Prints one JSON
//! line: medians and minimums in ns per call.
//!
//! `cargo run --release -p checkout-tax-node --example rust_timing -- CATALOG REQUEST DATE`

use checkout_tax::{Catalog, Engine, SessionRequest};
use std::hint::black_box;
use std::time::Instant;

/// The median and the minimum of `rounds` batches of `per` calls, in ns per call.
fn median_ns(rounds: usize, per: usize, mut f: impl FnMut()) -> (f64, f64) {
    let mut samples: Vec<f64> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..per {
                f();
            }
            start.elapsed().as_nanos() as f64 / per as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    (samples[samples.len() / 2], samples[0])
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let catalog = std::fs::read_to_string(&args[1]).expect("catalog file");
    let body = std::fs::read(&args[2]).expect("request file");
    let date = checkout_tax::parse_date(&args[3]).expect("date");
    let engine = Engine::builder()
        .catalog(Catalog::from_json(&catalog).expect("catalog"))
        .build()
        .expect("engine");

    let mut out = Vec::with_capacity(4096);
    assert!(engine.quote_json(&body, date, &mut out).is_quote());
    let expected = out.clone();
    let quote_json_ns = median_ns(200, 2000, || {
        out.clear();
        engine.quote_json(black_box(&body), date, &mut out);
        assert!(out.len() == expected.len());
    });

    let request = SessionRequest::from_json_bytes(&body).expect("request");
    let total = engine.quote(&request, date).expect("quote").amount_total;
    let quote_parsed_ns = median_ns(200, 2000, || {
        let q = engine.quote(black_box(&request), date).expect("quote");
        assert!(q.amount_total == total);
    });
    println!(
        r#"{{"quote_json_ns":{:.1},"quote_json_min_ns":{:.1},"quote_parsed_ns":{:.1},"quote_parsed_min_ns":{:.1}}}"#,
        quote_json_ns.0, quote_json_ns.1, quote_parsed_ns.0, quote_parsed_ns.1
    );
}
