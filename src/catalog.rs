//! The merchant's catalog: products, prices, coupons and promotion codes,
//! indexed by id (promotion codes by their case-folded code).

use crate::error::Error;
use crate::money::{Currency, parse_currency};
use crate::names::named_enum;
use crate::tax::RateTable;
use rust_decimal::Decimal;
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

/// A coupon: a percentage or a fixed amount off the session's eligible
/// lines (all of them, or those of the products in `applies_to`).
///
/// Unknown fields are refused at load: a misspelt `applies_to` would
/// otherwise widen a coupon to every line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coupon {
    /// The id a request names in `discounts[0].coupon`.
    pub id: String,
    /// Shown at checkout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Percent off, an exact decimal in `0 < p <= 100` (a JSON number or a
    /// string: `12.5`, `"12.5"`), never a float.
    #[serde(
        default,
        deserialize_with = "percent::deserialize",
        serialize_with = "percent::serialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub percent_off: Option<Decimal>,
    /// A fixed amount off, in minor units of `currency` (> 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_off: Option<i64>,
    /// ISO 4217 code of `amount_off` (required with it, refused without it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Limits the coupon to some products' lines; absent means every line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applies_to: Option<AppliesTo>,
    /// Inactive coupons cannot be redeemed.
    #[serde(default = "default_true")]
    pub active: bool,
}

/// What a coupon is limited to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppliesTo {
    /// Products of the catalog whose lines are eligible.
    pub products: Vec<String>,
}

/// A code a buyer types, standing for a coupon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromotionCode {
    /// The code (`SUMMER`), matched case-insensitively.
    pub code: String,
    /// The id of the coupon it redeems.
    pub coupon: String,
    /// Inactive codes cannot be redeemed.
    #[serde(default = "default_true")]
    pub active: bool,
}

impl Coupon {
    /// An active percent-off coupon for every line.
    pub fn percent(id: impl Into<String>, percent_off: Decimal) -> Self {
        Coupon {
            id: id.into(),
            name: None,
            percent_off: Some(percent_off),
            amount_off: None,
            currency: None,
            applies_to: None,
            active: true,
        }
    }

    /// An active amount-off coupon for every line.
    pub fn amount(id: impl Into<String>, amount_off: i64, currency: impl Into<String>) -> Self {
        Coupon {
            percent_off: None,
            amount_off: Some(amount_off),
            currency: Some(currency.into()),
            ..Coupon::percent(id, Decimal::ZERO)
        }
    }
}

/// `percent_off` as exact decimal text: the JSON number's own digits (via
/// serde_json's raw value), so `12.5` never passes through a float.
mod percent {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error as _};
    use serde_json::value::RawValue;

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Decimal>, D::Error> {
        let Some(raw) = Option::<Box<RawValue>>::deserialize(d)? else {
            return Ok(None);
        };
        let text = raw.get();
        let digits: String = if text.starts_with('"') {
            serde_json::from_str(text).map_err(D::Error::custom)?
        } else {
            text.to_owned()
        };
        // Exact: text with more digits than a Decimal holds is refused, not
        // rounded.
        let parsed = if digits.contains(['e', 'E']) {
            Decimal::from_scientific(&digits)
        } else {
            Decimal::from_str_exact(&digits)
        };
        parsed
            .map(Some)
            .map_err(|_| D::Error::custom(format!("`{text}` is not a decimal number")))
    }

    pub(super) fn serialize<S: Serializer>(p: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match p {
            Some(p) => RawValue::from_string(p.normalize().to_string())
                .map_err(serde::ser::Error::custom)?
                .serialize(s),
            None => s.serialize_none(),
        }
    }
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

/// A coupon with what the engine derives from it once, at catalog load.
#[derive(Debug, Clone)]
pub(crate) struct CatalogCoupon {
    pub(crate) coupon: Coupon,
    pub(crate) off: Off,
    /// The eligible products' ids, sorted; `None` for every line.
    pub(crate) products: Option<Vec<Box<str>>>,
}

/// A promotion code found by [`Catalog::find_code`], with its coupon.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FoundCode<'a> {
    pub(crate) promo_index: usize,
    pub(crate) promo: &'a PromotionCode,
    pub(crate) coupon: &'a CatalogCoupon,
}

/// How much a coupon takes off, ready for exact arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Off {
    /// `num / den` of the eligible sum (`percent_off / 100` as a fraction).
    Fraction {
        /// The percentage's digits.
        num: u128,
        /// `100 x 10^scale`.
        den: u128,
    },
    /// A fixed amount in a currency.
    Amount {
        /// In minor units, > 0.
        amount: i64,
        /// The amount's currency.
        currency: Currency,
    },
}

impl CatalogCoupon {
    /// Whether a line of this product is eligible.
    pub(crate) fn covers(&self, product: Option<&str>) -> bool {
        match &self.products {
            None => true,
            Some(ids) => product.is_some_and(|p| ids.binary_search_by(|id| (**id).cmp(p)).is_ok()),
        }
    }
}

/// Most decimals of a coupon's `percent_off`: enough for any real coupon,
/// and few enough that the eligible sum times the percentage's digits
/// always fits in 128 bits (9.2e18 x 1e19), so the discount is exact.
pub const MAX_PERCENT_DECIMALS: u32 = 17;

/// Promotion codes are matched case-insensitively (Unicode lower case).
pub(crate) fn fold_code(code: &str) -> String {
    code.to_lowercase()
}

/// A code of at most [`PackedCode::MAX`] ASCII bytes in ASCII lower case,
/// packed into words with its length: two codes pack equal exactly when
/// they are equal but for ASCII case, so a map keyed by it needs no
/// folded copy of the request's code (nor a check of one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct PackedCode {
    words: [u64; 4],
    len: u8,
}

impl PackedCode {
    /// The longest code packed; longer ones take the definition's index.
    const MAX: usize = 32;

    /// `None` for a code that is not ASCII or longer than [`Self::MAX`].
    fn new(code: &[u8]) -> Option<Self> {
        const HIGH: u64 = 0x8080_8080_8080_8080;
        if code.len() > Self::MAX {
            return None;
        }
        let mut packed = PackedCode {
            words: [0; 4],
            len: u8::try_from(code.len()).ok()?,
        };
        for (word, chunk) in packed.words.iter_mut().zip(code.chunks(8)) {
            // Big-endian, so that a short last chunk packs as a full one
            // would with leading zeros; the length tells them apart.
            let raw = match <[u8; 8]>::try_from(chunk) {
                Ok(bytes) => u64::from_be_bytes(bytes),
                Err(_) => chunk.iter().fold(0u64, |w, b| (w << 8) | u64::from(*b)),
            };
            if raw & HIGH != 0 {
                return None;
            }
            // With every byte below 0x80 no sum carries into the next
            // byte: a byte's top bit is set in `raw + 0x3f` from `A` up,
            // and in `raw + 0x25` past `Z`.
            let upper = raw.wrapping_add(0x3f3f_3f3f_3f3f_3f3f)
                & !raw.wrapping_add(0x2525_2525_2525_2525)
                & HIGH;
            *word = raw | (upper >> 2);
        }
        Some(packed)
    }
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
            ..Catalog::default()
        })
    }

    /// The same catalog with coupons and promotion codes, checked as a
    /// whole: each coupon has exactly one of `percent_off` (an exact
    /// decimal, 0 < p <= 100, at most [`MAX_PERCENT_DECIMALS`] decimals) or
    /// `amount_off` (> 0, with an ISO 4217 `currency`), and an `applies_to`
    /// that names products of the catalog; each promotion code names a
    /// coupon of the catalog; coupon ids are unique, and codes are unique
    /// case-insensitively. Any coupons given before are replaced.
    ///
    /// ```
    /// use checkout_tax::{Catalog, Coupon, PromotionCode};
    /// use rust_decimal::Decimal;
    ///
    /// let catalog = Catalog::default().with_discounts(
    ///     vec![Coupon::percent("co_summer", Decimal::new(125, 1))],
    ///     vec![PromotionCode { code: "SUMMER".into(), coupon: "co_summer".into(), active: true }],
    /// )?;
    /// assert_eq!(catalog.promotion_code("summer").unwrap().coupon, "co_summer");
    /// let bad = Catalog::default().with_discounts(vec![Coupon::percent("co_x", Decimal::ZERO)], vec![]);
    /// assert_eq!(bad.unwrap_err().param(), Some("coupons[0].percent_off"));
    /// # Ok::<(), checkout_tax::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Catalog`] naming the first bad entry (`coupons[2].percent_off`,
    /// `promotion_codes[0].coupon`).
    pub fn with_discounts(
        mut self,
        coupons: Vec<Coupon>,
        promotion_codes: Vec<PromotionCode>,
    ) -> Result<Self, Error> {
        let mut coupon_index = FxHashMap::default();
        let mut checked = Vec::with_capacity(coupons.len());
        for (i, coupon) in coupons.into_iter().enumerate() {
            if coupon_index
                .insert(coupon.id.clone().into_boxed_str(), i)
                .is_some()
            {
                return Err(catalog_error(
                    format!("coupons[{i}].id"),
                    format!("duplicate coupon id `{}`", coupon.id),
                ));
            }
            checked.push(self.check_coupon(i, coupon)?);
        }
        let mut code_index = FxHashMap::default();
        for (i, promo) in promotion_codes.iter().enumerate() {
            let coupon = coupon_index
                .get(promo.coupon.as_str())
                .copied()
                .ok_or_else(|| {
                    catalog_error(
                        format!("promotion_codes[{i}].coupon"),
                        format!("coupon `{}` is not in the catalog", promo.coupon),
                    )
                })?;
            if promo.code.is_empty() {
                return Err(catalog_error(
                    format!("promotion_codes[{i}].code"),
                    "a promotion code cannot be empty",
                ));
            }
            if let Some((first, _)) =
                code_index.insert(fold_code(&promo.code).into_boxed_str(), (i, coupon))
            {
                return Err(catalog_error(
                    format!("promotion_codes[{i}].code"),
                    format!(
                        "code `{}` is already promotion_codes[{first}] (codes are case-insensitive)",
                        promo.code
                    ),
                ));
            }
        }
        let ascii_code_index = promotion_codes
            .iter()
            .filter_map(|promo| {
                let packed = PackedCode::new(promo.code.as_bytes())?;
                Some((packed, *code_index.get(fold_code(&promo.code).as_str())?))
            })
            .collect();
        self.coupons = checked;
        self.coupon_index = coupon_index;
        self.promotion_codes = promotion_codes;
        self.code_index = code_index;
        self.ascii_code_index = ascii_code_index;
        Ok(self)
    }

    fn check_coupon(&self, i: usize, coupon: Coupon) -> Result<CatalogCoupon, Error> {
        let at = |field: &str| format!("coupons[{i}].{field}");
        let off = match (coupon.percent_off, coupon.amount_off) {
            (Some(p), None) => {
                let p = p.normalize();
                let bad = |why: &str| catalog_error(at("percent_off"), format!("`{p}` {why}"));
                if p <= Decimal::ZERO || p > Decimal::ONE_HUNDRED {
                    return Err(bad("is outside 0 < percent_off <= 100"));
                }
                if p.scale() > MAX_PERCENT_DECIMALS {
                    return Err(bad(&format!(
                        "has more than {MAX_PERCENT_DECIMALS} decimals"
                    )));
                }
                if coupon.currency.is_some() {
                    return Err(catalog_error(
                        at("currency"),
                        "`currency` goes only with `amount_off`",
                    ));
                }
                let num = u128::try_from(p.mantissa()).map_err(|_| bad("is not positive"))?;
                let den = 10u128
                    .checked_pow(p.scale())
                    .and_then(|s| s.checked_mul(100))
                    .ok_or_else(|| bad("has too many decimals"))?;
                Off::Fraction { num, den }
            }
            (None, Some(amount)) => {
                if amount <= 0 {
                    return Err(catalog_error(
                        at("amount_off"),
                        format!("`{amount}` is not a positive amount of minor units"),
                    ));
                }
                let Some(code) = coupon.currency.as_deref() else {
                    return Err(catalog_error(
                        at("currency"),
                        "`currency` is required with `amount_off`",
                    ));
                };
                let currency = parse_currency(code).ok_or_else(|| {
                    catalog_error(
                        at("currency"),
                        format!("`{code}` is not an ISO 4217 currency with a minor unit"),
                    )
                })?;
                Off::Amount { amount, currency }
            }
            _ => {
                return Err(catalog_error(
                    format!("coupons[{i}]"),
                    "a coupon needs exactly one of `percent_off` or `amount_off`",
                ));
            }
        };
        let products = match &coupon.applies_to {
            None => None,
            Some(applies) => {
                if applies.products.is_empty() {
                    return Err(catalog_error(
                        at("applies_to.products"),
                        "names no product, so the coupon could never apply",
                    ));
                }
                for (j, id) in applies.products.iter().enumerate() {
                    if self.product(id).is_none() {
                        return Err(catalog_error(
                            format!("coupons[{i}].applies_to.products[{j}]"),
                            format!("product `{id}` is not in the catalog"),
                        ));
                    }
                }
                let mut ids: Vec<Box<str>> = applies
                    .products
                    .iter()
                    .map(|p| p.clone().into_boxed_str())
                    .collect();
                ids.sort_unstable();
                ids.dedup();
                Some(ids)
            }
        };
        Ok(CatalogCoupon {
            coupon,
            off,
            products,
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

    /// The coupon with this id.
    pub fn coupon(&self, id: &str) -> Option<&Coupon> {
        self.catalog_coupon(id).map(|c| &c.coupon)
    }

    pub(crate) fn catalog_coupon(&self, id: &str) -> Option<&CatalogCoupon> {
        self.coupon_entry(id).map(|(_, c)| c)
    }

    /// The coupon with this id and its index in the catalog.
    pub(crate) fn coupon_entry(&self, id: &str) -> Option<(usize, &CatalogCoupon)> {
        let index = *self.coupon_index.get(id)?;
        Some((index, self.coupons.get(index)?))
    }

    /// How many coupons and promotion codes the catalog has.
    pub(crate) fn discount_counts(&self) -> (usize, usize) {
        (self.coupons.len(), self.promotion_codes.len())
    }

    /// The promotion code matching `code` case-insensitively.
    pub fn promotion_code(&self, code: &str) -> Option<&PromotionCode> {
        self.find_code(code).map(|found| found.promo)
    }

    /// The promotion code matching `code` and its coupon, with their
    /// indices in the catalog.
    pub(crate) fn find_code(&self, code: &str) -> Option<FoundCode<'_>> {
        // A short ASCII code through the packed index: for ASCII text,
        // Unicode lower case is ASCII's, so a catalog code equal to it but
        // for ASCII case is the definition's match. Anything else (a miss,
        // which a catalog code of other text folding to ASCII, such as the
        // Kelvin sign's `k`, may still match; a long or non-ASCII code)
        // takes the definition's index.
        let fast = PackedCode::new(code.as_bytes())
            .and_then(|packed| self.ascii_code_index.get(&packed))
            .and_then(|entry| self.code_at(*entry));
        match fast {
            Some(found) => Some(found),
            None => self.find_code_by_folding(code),
        }
    }

    /// [`Catalog::find_code`]'s definition: the code's Unicode lower case
    /// looked up among the codes'.
    fn find_code_by_folding(&self, code: &str) -> Option<FoundCode<'_>> {
        self.code_at(*self.code_index.get(fold_code(code).as_str())?)
    }

    fn code_at(&self, (promo_index, coupon_index): (usize, usize)) -> Option<FoundCode<'_>> {
        Some(FoundCode {
            promo_index,
            promo: self.promotion_codes.get(promo_index)?,
            coupon: self.coupons.get(coupon_index)?,
        })
    }

    /// Every coupon, in the order given.
    pub fn coupons(&self) -> impl Iterator<Item = &Coupon> {
        self.coupons.iter().map(|c| &c.coupon)
    }

    /// Every promotion code, in the order given.
    pub fn promotion_codes(&self) -> &[PromotionCode] {
        &self.promotion_codes
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
    use proptest::prelude::*;

    /// A code: mostly short ASCII of either case, now and then with text
    /// whose Unicode lower case is ASCII (the Kelvin sign `K` -> `k`) or is
    /// not (`İ`, `ß`, `é`), or longer than a packed code.
    fn code() -> impl Strategy<Value = String> {
        prop_oneof![
            8 => "[a-cA-C0-9_]{1,10}",
            2 => "[a-cA-C\u{212A}kK\u{130}i\u{df}\u{e9}]{1,6}",
            1 => "[a-cA-C]{30,40}",
        ]
    }

    /// A request's spelling of one of `codes`: each letter's ASCII case
    /// flipped or not.
    fn respelt(codes: Vec<String>) -> impl Strategy<Value = String> {
        (proptest::sample::select(codes), any::<u64>()).prop_map(|(code, flips)| {
            code.chars()
                .enumerate()
                .map(|(i, c)| {
                    if flips >> (i % 64) & 1 == 1 && c.is_ascii() {
                        if c.is_ascii_lowercase() {
                            c.to_ascii_uppercase()
                        } else {
                            c.to_ascii_lowercase()
                        }
                    } else {
                        c
                    }
                })
                .collect()
        })
    }

    fn catalog_and_queries() -> impl Strategy<Value = (Catalog, Vec<String>)> {
        proptest::collection::vec(code(), 1..8)
            .prop_filter_map("codes equal but for case", |codes| {
                let promos = codes
                    .iter()
                    .map(|c| PromotionCode {
                        code: c.clone(),
                        coupon: "co".into(),
                        active: true,
                    })
                    .collect();
                let catalog = Catalog::default()
                    .with_discounts(vec![Coupon::percent("co", Decimal::TEN)], promos)
                    .ok()?;
                Some((catalog, codes))
            })
            .prop_flat_map(|(catalog, codes)| {
                let queries =
                    proptest::collection::vec(prop_oneof![3 => respelt(codes), 1 => code()], 1..8);
                (Just(catalog), queries)
            })
    }

    proptest! {
        /// The packed ASCII index finds what the definition (the code's
        /// Unicode lower case among the codes') finds, for any code.
        #[test]
        fn find_code_agrees_with_unicode_lower_case((catalog, queries) in catalog_and_queries()) {
            for query in &queries {
                let fast = catalog.find_code(query).map(|f| f.promo_index);
                let defined = catalog.find_code_by_folding(query).map(|f| f.promo_index);
                prop_assert_eq!(fast, defined, "{}", query);
            }
        }
    }

    #[test]
    fn packing_folds_every_ascii_byte_at_every_place_as_ascii_lower_case_does() {
        for len in 1..=9 {
            for at in 0..len {
                for a in 0u8..0x80 {
                    let mut x = vec![b'q'; len];
                    x[at] = a;
                    let mut lower = x.clone();
                    lower.make_ascii_lowercase();
                    assert_eq!(PackedCode::new(&x), PackedCode::new(&lower), "{x:?}");
                    for b in 0u8..0x80 {
                        let mut y = x.clone();
                        y[at] = b;
                        assert_eq!(
                            PackedCode::new(&x) == PackedCode::new(&y),
                            a.eq_ignore_ascii_case(&b),
                            "{a} {b} at {at} of {len}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn packed_codes_are_equal_exactly_when_equal_but_for_ascii_case() {
        let p = |s: &str| PackedCode::new(s.as_bytes());
        assert_eq!(p("SAVE10"), p("save10"));
        assert_eq!(p("Az@[`{"), p("aZ@[`{"));
        assert_ne!(p("@"), p("`"));
        assert_ne!(p("[ab"), p("{ab"));
        assert_ne!(p("ab"), p("ab\0"));
        assert_ne!(p("abcdefgh"), p("abcdefgh\0"));
        assert_eq!(p("é"), None);
        assert_eq!(p(&"a".repeat(33)), None);
        assert!(p(&"a".repeat(32)).is_some());
    }
}
