//! The merchant's catalog: products, prices, coupons and promotion codes,
//! indexed by id (promotion codes by their case-folded code). Products and
//! prices are here; coupons and promotion codes in `catalog/coupons.rs`.

use crate::error::Error;
use crate::money::{Currency, parse_currency};
use crate::names::named_enum;
use crate::tax::RateTable;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

mod coupons;

pub use coupons::{AppliesTo, Coupon, MAX_PERCENT_DECIMALS, PromotionCode};
pub(crate) use coupons::{CatalogCoupon, Off, PackedCode};

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

impl Product {
    /// An active product of category `general`, without a name or a default
    /// price.
    pub fn new(id: impl Into<String>) -> Self {
        Product {
            id: id.into(),
            name: None,
            tax_category: default_category(),
            default_price: None,
            active: true,
        }
    }
}

impl Price {
    /// An active one-time price of `product`.
    pub fn new(
        id: impl Into<String>,
        product: impl Into<String>,
        currency: impl Into<String>,
        unit_amount: i64,
    ) -> Self {
        Price {
            id: id.into(),
            product: Some(product.into()),
            currency: currency.into(),
            unit_amount,
            recurring: None,
            active: true,
        }
    }
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

/// The catalog file's JSON form: `{"products": [...], "prices": [...],
/// "coupons": [...], "promotion_codes": [...]}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    #[serde(default)]
    products: Vec<Product>,
    #[serde(default)]
    prices: Vec<Price>,
    #[serde(default)]
    coupons: Vec<Coupon>,
    #[serde(default)]
    promotion_codes: Vec<PromotionCode>,
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
    /// Per product, its tax category as one text per category, shared by
    /// every product of it: lines of one category then carry the same
    /// `&str`, and the tax stage's run-of-category memo is mostly a
    /// pointer comparison.
    product_categories: Vec<Arc<str>>,
    coupons: Vec<CatalogCoupon>,
    coupon_index: FxHashMap<Box<str>, usize>,
    promotion_codes: Vec<PromotionCode>,
    /// Case-folded code -> (its index, its coupon's index): the definition
    /// of a match.
    code_index: FxHashMap<Box<str>, (usize, usize)>,
    /// The same for the codes spelt in short ASCII, keyed by their
    /// [`PackedCode`] (see [`Catalog::find_code`]).
    ascii_code_index: FxHashMap<PackedCode, (usize, usize)>,
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
    /// Checks the catalog as a whole and indexes it. Every price must have
    /// an ISO 4217 currency with a minor unit, a `unit_amount` >= 0, a
    /// `product` that is in the catalog (when given) and an
    /// `interval_count` >= 1 (when recurring); every product's
    /// `default_price` (when given) must be a price of that product; ids are
    /// unique. Tax categories are checked against the tax table when the
    /// engine is built.
    ///
    /// # Errors
    /// [`Error::Catalog`] naming the first bad entry (`prices[3].currency`).
    pub fn new(products: Vec<Product>, prices: Vec<Price>) -> Result<Self, Error> {
        let mut product_index = FxHashMap::default();
        for (i, p) in products.iter().enumerate() {
            if product_index
                .insert(p.id.clone().into_boxed_str(), i)
                .is_some()
            {
                return Err(catalog_error(
                    format!("products[{i}].id"),
                    format!("duplicate product id `{}`", p.id),
                ));
            }
        }
        // A set, not a list searched: a catalog's categories are not yet
        // checked here, so there may be as many as products.
        let mut distinct: FxHashSet<Arc<str>> = FxHashSet::default();
        let product_categories: Vec<Arc<str>> = products
            .iter()
            .map(|p| {
                let known = distinct.get(p.tax_category.as_str()).cloned();
                known.unwrap_or_else(|| {
                    let text: Arc<str> = p.tax_category.as_str().into();
                    distinct.insert(text.clone());
                    text
                })
            })
            .collect();
        let mut price_index = FxHashMap::default();
        for (i, p) in prices.iter().enumerate() {
            if price_index
                .insert(p.id.clone().into_boxed_str(), i)
                .is_some()
            {
                return Err(catalog_error(
                    format!("prices[{i}].id"),
                    format!("duplicate price id `{}`", p.id),
                ));
            }
        }
        let mut entries = Vec::with_capacity(prices.len());
        for (i, price) in prices.into_iter().enumerate() {
            let currency = parse_currency(&price.currency).ok_or_else(|| {
                catalog_error(
                    format!("prices[{i}].currency"),
                    format!(
                        "`{}` is not an ISO 4217 currency with a minor unit",
                        price.currency
                    ),
                )
            })?;
            if price.unit_amount < 0 {
                return Err(catalog_error(
                    format!("prices[{i}].unit_amount"),
                    format!("`{}` is negative", price.unit_amount),
                ));
            }
            if let Some(r) = &price.recurring
                && r.interval_count == 0
            {
                return Err(catalog_error(
                    format!("prices[{i}].recurring.interval_count"),
                    "must be at least 1",
                ));
            }
            let product = match price.product.as_deref() {
                None => None,
                Some(id) => Some(product_index.get(id).copied().ok_or_else(|| {
                    catalog_error(
                        format!("prices[{i}].product"),
                        format!("product `{id}` is not in the catalog"),
                    )
                })?),
            };
            entries.push(CatalogPrice {
                currency: Some(currency),
                product: product.map(Some),
                price,
            });
        }
        for (j, product) in products.iter().enumerate() {
            let Some(default) = product.default_price.as_deref() else {
                continue;
            };
            let own = price_index
                .get(default)
                .and_then(|i| entries.get(*i))
                .is_some_and(|e: &CatalogPrice| e.price.product.as_deref() == Some(&*product.id));
            if !own {
                return Err(catalog_error(
                    format!("products[{j}].default_price"),
                    format!(
                        "`{default}` is not a price of product `{}` in the catalog",
                        product.id
                    ),
                ));
            }
        }
        Ok(Catalog {
            products,
            prices: entries,
            product_index,
            price_index,
            product_categories,
            ..Catalog::default()
        })
    }

    /// Parses the catalog file's JSON (`{"products": [...], "prices": [...]}`)
    /// and checks it as [`Catalog::new`] does.
    ///
    /// # Errors
    /// [`Error::Catalog`] naming the offending entry, for malformed JSON, a
    /// value of the wrong type (`prices[0].unit_amount` given as `9.99`), or
    /// any check of [`Catalog::new`].
    pub fn from_json(text: &str) -> Result<Self, Error> {
        // A plain parse first; only a file that fails is parsed again with
        // the path tracking that names the entry (it slows every value).
        let file = match serde_json::from_str::<CatalogFile>(text) {
            Ok(file) => file,
            Err(plain) => {
                let mut de = serde_json::Deserializer::from_str(text);
                let tracked: Result<CatalogFile, _> = serde_path_to_error::deserialize(&mut de);
                return Err(match tracked {
                    Err(e) => {
                        let path = e.path().to_string();
                        let param = if path == "." { String::new() } else { path };
                        catalog_error(param, format!("not a valid catalog: {}", e.inner()))
                    }
                    // The value parsed this time: what failed is after it.
                    Ok(_) => catalog_error("", format!("not a valid catalog: {plain}")),
                });
            }
        };
        Self::new(file.products, file.prices)?.with_discounts(file.coupons, file.promotion_codes)
    }

    /// Checks every product's `tax_category` against the categories a tax
    /// table knows: `general`, the embedded table's, and `table`'s own.
    ///
    /// # Errors
    /// [`Error::Catalog`] at `products[i].tax_category` for an unknown one
    /// (a typo such as `saas` would otherwise be taxed at the `*` rate).
    pub fn check_categories(&self, table: &RateTable) -> Result<(), Error> {
        let embedded = RateTable::embedded().ok();
        for (i, product) in self.products.iter().enumerate() {
            let category = product.tax_category.as_str();
            let known = category == DEFAULT_CATEGORY
                || table.names_category(category)
                || embedded.is_some_and(|t| t.names_category(category));
            if !known {
                let mut names: Vec<&str> = vec![DEFAULT_CATEGORY];
                names.extend(table.categories());
                if let Some(t) = embedded {
                    names.extend(t.categories());
                }
                names.sort_unstable();
                names.dedup();
                return Err(catalog_error(
                    format!("products[{i}].tax_category"),
                    format!(
                        "unknown tax category `{category}` (known: {}; a table of your own can add one by giving it rows)",
                        names.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The product with this id.
    pub fn product(&self, id: &str) -> Option<&Product> {
        self.product_entry(id).map(|(_, product)| product)
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

    /// The product with this id and its index in the catalog.
    pub(crate) fn product_entry(&self, id: &str) -> Option<(usize, &Product)> {
        let index = *self.product_index.get(id)?;
        Some((index, self.products.get(index)?))
    }

    /// The tax category of the product at `index`, as the catalog's one
    /// text of that category (the same `&str` for every product of it).
    pub(crate) fn category_of(&self, index: usize) -> Option<&str> {
        self.product_categories.get(index).map(|c| &**c)
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

fn catalog_error(param: impl Into<String>, reason: impl Into<String>) -> Error {
    Error::Catalog {
        param: param.into(),
        reason: reason.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every product's category text is its own category, and products of
    /// one category share one text.
    #[test]
    fn a_category_is_one_shared_text_equal_to_the_products() {
        let catalog = Catalog::from_json(
            r#"{"products": [
                {"id": "a", "tax_category": "ebooks"}, {"id": "b"},
                {"id": "c", "tax_category": "ebooks"}, {"id": "d", "tax_category": "digital_services"}],
              "prices": [
                {"id": "pa", "product": "a", "currency": "eur", "unit_amount": 1},
                {"id": "pb", "product": "b", "currency": "eur", "unit_amount": 1},
                {"id": "pc", "product": "c", "currency": "eur", "unit_amount": 1},
                {"id": "pd", "product": "d", "currency": "eur", "unit_amount": 1},
                {"id": "loose", "currency": "eur", "unit_amount": 1}]}"#,
        )
        .unwrap();
        for (i, product) in catalog.products().iter().enumerate() {
            assert_eq!(catalog.category_of(i), Some(product.tax_category.as_str()));
        }
        let (a, c) = (
            catalog.category_of(0).unwrap(),
            catalog.category_of(2).unwrap(),
        );
        assert!(std::ptr::eq(a, c));
        assert!(!std::ptr::eq(a, catalog.category_of(3).unwrap()));
    }
}
