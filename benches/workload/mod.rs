//! A deterministic workload: a catalog and create-session requests with a
//! realistic mix (1–5 lines per session, ten jurisdictions, four
//! currencies), from a seed. Shared by the benches and `examples/workload.rs`.

#![allow(dead_code)]

use std::fmt::Write as _;

/// The buyer locations, each with the currency its prices are in.
pub const MARKETS: [(&str, Option<&str>, &str); 10] = [
    ("US", Some("CA"), "usd"),
    ("US", Some("NY"), "usd"),
    ("US", Some("TX"), "usd"),
    ("CA", Some("ON"), "cad"),
    ("CA", Some("QC"), "cad"),
    ("DE", None, "eur"),
    ("FR", None, "eur"),
    ("IE", None, "eur"),
    ("GB", None, "gbp"),
    ("AU", None, "usd"),
];

/// Product categories and how many products of each the catalog holds.
const CATEGORIES: [&str; 3] = ["general", "digital_services", "ebooks"];
const PRODUCTS_PER_CATEGORY: usize = 20;
const CURRENCIES: [&str; 4] = ["usd", "eur", "cad", "gbp"];

/// splitmix64: a tiny, well-known deterministic generator.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// The catalog JSON: 60 products, each priced once in each of four currencies.
pub fn catalog_json() -> String {
    let mut products = Vec::new();
    let mut prices = Vec::new();
    let mut rng = Rng::new(7);
    for category in CATEGORIES {
        for i in 0..PRODUCTS_PER_CATEGORY {
            let id = format!("prod_{category}_{i}");
            products.push(format!(
                r#"{{"id":"{id}","name":"{category} {i}","tax_category":"{category}","default_price":"price_{category}_{i}_usd","active":true}}"#
            ));
            let base = 99 + rng.below(20_000) as i64;
            for currency in CURRENCIES {
                prices.push(format!(
                    r#"{{"id":"price_{category}_{i}_{currency}","product":"{id}","currency":"{currency}","unit_amount":{base},"active":true}}"#
                ));
            }
        }
    }
    format!(
        "{{\"products\":[{}],\"prices\":[{}]}}",
        products.join(","),
        prices.join(",")
    )
}

/// One request line (no newline).
pub fn request_json(rng: &mut Rng, out: &mut String) {
    let (country, region, currency) = MARKETS[rng.below(MARKETS.len())];
    let lines = 1 + rng.below(5);
    out.push_str(r#"{"mode":"payment","line_items":["#);
    for l in 0..lines {
        if l > 0 {
            out.push(',');
        }
        let category = CATEGORIES[rng.below(CATEGORIES.len())];
        let i = rng.below(PRODUCTS_PER_CATEGORY);
        let quantity = 1 + rng.below(3);
        let _ = write!(
            out,
            r#"{{"price_id":"price_{category}_{i}_{currency}","quantity":{quantity}}}"#
        );
    }
    let _ = write!(out, r#"],"buyer_country":"{country}""#);
    if let Some(r) = region {
        let _ = write!(out, r#","buyer_region":"{r}""#);
    }
    let _ = write!(
        out,
        r#","customer_email":"buyer{}@example.com","success_url":"https://shop.example.com/success","client_reference_id":"order_{}"}}"#,
        rng.below(100_000),
        rng.next_u64() % 1_000_000_000
    );
}

/// `sessions` requests, one per line, each ending in a newline.
pub fn requests_ndjson(seed: u64, sessions: usize) -> String {
    let mut rng = Rng::new(seed);
    let mut out = String::with_capacity(sessions * 300);
    for _ in 0..sessions {
        request_json(&mut rng, &mut out);
        out.push('\n');
    }
    out
}
