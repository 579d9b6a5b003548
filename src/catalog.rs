//! The merchant's catalog: products and prices, indexed by id.

use crate::error::Error;
use crate::money::{Currency, parse_currency};
use crate::names::named_enum;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

/// The category of a product that says nothing else.
pub const DEFAULT_CATEGORY: &str = "general";

/// A product: what is sold, and how it is taxed (`tax_category`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    /// `prod_...`.
    pub id: String,
    /// Shown at checkout.
    #[serde(default)]
    pub name: Option<String>,
    /// The tax category (`general`, `digital_services`, `ebooks`, ...).
    #[serde(default = "default_category")]
    pub tax_category: String,
    /// The price used when a line names the product (`product_id`).
    #[serde(default)]
    pub default_price: Option<String>,
    /// Inactive products cannot be sold.
    #[serde(default = "default_true")]
    pub active: bool,
}

/// A price of a product: an amount in a currency, one-time or recurring.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Price {
    /// `price_...`.
    pub id: String,
    /// The product it prices; its `tax_category` applies. A price without a
    /// product is taxed as `general`.
    #[serde(default)]
    pub product: Option<String>,
    /// ISO 4217 code, any case (checked when a line uses the price).
    pub currency: String,
    /// In the currency's smallest unit.
    pub unit_amount: i64,
    /// Absent for a one-time price.
    #[serde(default)]
    pub recurring: Option<Recurring>,
    /// Inactive prices cannot be sold.
    #[serde(default = "default_true")]
    pub active: bool,
}

/// How often a recurring price is charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Recurring {
    /// The unit of the billing period.
    pub interval: Interval,
    /// How many intervals between charges (default 1).
    #[serde(default = "default_count")]
    pub interval_count: u32,
}

named_enum! {
    /// The unit of a recurring billing period.
    #[non_exhaustive]
    "interval"
    pub enum Interval {
        /// Daily.
        Day => "day",
        /// Weekly.
        Week => "week",
        /// Monthly.
        Month => "month",
        /// Yearly.
        Year => "year",
    }
}

fn default_category() -> String {
    DEFAULT_CATEGORY.to_owned()
}
fn default_true() -> bool {
    true
}
fn default_count() -> u32 {
    1
}

/// The catalog file's JSON form: `{"products": [...], "prices": [...]}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    #[serde(default)]
    products: Vec<Product>,
    #[serde(default)]
    prices: Vec<Price>,
}

/// A catalog indexed by id; look-ups by `&str` do not allocate.
///
/// ```
/// use checkout_tax::Catalog;
///
/// let catalog = Catalog::from_json(r#"{
///   "products": [{"id": "prod_a", "tax_category": "ebooks", "default_price": "price_a"}],
///   "prices": [{"id": "price_a", "product": "prod_a", "currency": "eur", "unit_amount": 500}]
/// }"#)?;
/// assert_eq!(catalog.price("price_a").unwrap().unit_amount, 500);
/// assert!(catalog.product("prod_b").is_none());
/// # Ok::<(), checkout_tax::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    products: Vec<Product>,
    prices: Vec<CatalogPrice>,
    product_index: FxHashMap<Box<str>, usize>,
    price_index: FxHashMap<Box<str>, usize>,
}

/// A price with what the engine derives from it once, at catalog load.
#[derive(Debug, Clone)]
pub(crate) struct CatalogPrice {
    pub(crate) price: Price,
    /// `None` when the code is unknown or has no minor unit.
    pub(crate) currency: Option<Currency>,
    /// The price's product, found once at load: `None` for a price without
    /// a product, `Some(None)` for one whose product is not in the catalog.
    pub(crate) product: Option<Option<usize>>,
}

impl Catalog {
    /// Indexes products and prices.
    ///
    /// # Errors
    /// [`Error::Config`] when two products or two prices share an id.
    pub fn new(products: Vec<Product>, prices: Vec<Price>) -> Result<Self, Error> {
        let mut product_index = FxHashMap::default();
        for (i, p) in products.iter().enumerate() {
            if product_index
                .insert(p.id.clone().into_boxed_str(), i)
                .is_some()
            {
                return Err(config(format!("duplicate product id `{}`", p.id)));
            }
        }
        let mut price_index = FxHashMap::default();
        for (i, p) in prices.iter().enumerate() {
            if price_index
                .insert(p.id.clone().into_boxed_str(), i)
                .is_some()
            {
                return Err(config(format!("duplicate price id `{}`", p.id)));
            }
        }
        let prices = prices
            .into_iter()
            .map(|price| CatalogPrice {
                currency: parse_currency(&price.currency),
                product: price
                    .product
                    .as_deref()
                    .map(|id| product_index.get(id).copied()),
                price,
            })
            .collect();
        Ok(Catalog {
            products,
            prices,
            product_index,
            price_index,
        })
    }

    /// Parses the catalog file's JSON (`{"products": [...], "prices": [...]}`).
    ///
    /// # Errors
    /// [`Error::Config`] for malformed JSON or duplicate ids.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        let file: CatalogFile =
            serde_json::from_str(text).map_err(|e| config(format!("not a valid catalog: {e}")))?;
        Self::new(file.products, file.prices)
    }

    /// The product with this id.
    pub fn product(&self, id: &str) -> Option<&Product> {
        self.products.get(*self.product_index.get(id)?)
    }

    /// The price with this id.
    pub fn price(&self, id: &str) -> Option<&Price> {
        self.catalog_price(id).map(|(_, p)| &p.price)
    }

    /// The price with this id and its index in the catalog.
    pub(crate) fn catalog_price(&self, id: &str) -> Option<(usize, &CatalogPrice)> {
        let index = *self.price_index.get(id)?;
        Some((index, self.prices.get(index)?))
    }

    /// Every price with what was derived from it, in the order given.
    pub(crate) fn entries(&self) -> impl Iterator<Item = &CatalogPrice> {
        self.prices.iter()
    }

    /// The product a price belongs to, when it is in the catalog.
    pub(crate) fn product_of(&self, entry: &CatalogPrice) -> Option<&Product> {
        self.products.get(entry.product.flatten()?)
    }

    pub(crate) fn product_at(&self, index: usize) -> Option<&Product> {
        self.products.get(index)
    }

    /// Every product, in the order given.
    pub fn products(&self) -> &[Product] {
        &self.products
    }

    /// Every price, in the order given.
    pub fn prices(&self) -> impl Iterator<Item = &Price> {
        self.prices.iter().map(|p| &p.price)
    }
}

fn config(reason: String) -> Error {
    Error::Config {
        what: "catalog",
        reason,
    }
}
