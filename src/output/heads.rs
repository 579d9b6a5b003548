//! Pre-rendered heads: the JSON of a quote line's catalog fields (price,
//! product, category, unit amount), of a tax component's table fields
//! (name, jurisdiction, rate) and of a discount echo's catalog fields
//! (coupon, promotion code), rendered once per engine, since writing them
//! dominated `batch`'s profile. Each head keeps the values it was rendered
//! from, and the writer uses it only when the object's fields still equal
//! them.

use crate::catalog::Catalog;
use crate::discount::Echo;
use crate::quote::{QuoteDiscount, QuoteLine, TaxAmount};
use crate::tax::{Component, RateTable};
use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

/// A quote line's head, rendered from one catalog price and its product.
#[derive(Debug, Clone)]
pub(crate) struct LineHead {
    line: QuoteLine<'static>,
    json: Box<[u8]>,
}

impl LineHead {
    /// The line the head was rendered from.
    pub(crate) fn line(&self) -> &QuoteLine<'static> {
        &self.line
    }

    /// The head, if `line`'s head fields are the ones it was rendered from.
    pub(crate) fn for_line(&self, line: &QuoteLine<'_>) -> Option<&[u8]> {
        let same = same_opt(&line.price_id, &self.line.price_id)
            && same_opt(&line.product_id, &self.line.product_id)
            && same(&line.tax_category, &self.line.tax_category)
            && line.unit_amount == self.line.unit_amount;
        same.then_some(&*self.json)
    }
}

/// A tax component's head, rendered from one component of the table.
#[derive(Debug, Clone)]
pub(crate) struct TaxHead {
    tax: TaxAmount<'static>,
    json: Box<[u8]>,
}

impl TaxHead {
    /// The head, if `tax`'s head fields are the ones it was rendered from.
    pub(crate) fn for_tax(&self, tax: &TaxAmount<'_>) -> Option<&[u8]> {
        let same = tax.name == self.tax.name
            && tax.jurisdiction == self.tax.jurisdiction
            && tax.rate == self.tax.rate;
        same.then_some(&*self.json)
    }
}

/// A discount echo's head (`{"coupon":"co_x","promotion_code":"CODE"`),
/// rendered from one catalog coupon, or one promotion code and its coupon.
#[derive(Debug, Clone)]
pub(crate) struct DiscountHead {
    coupon: Box<str>,
    promotion_code: Option<Box<str>>,
    json: Box<[u8]>,
}

impl DiscountHead {
    fn render(coupon: &str, promotion_code: Option<&str>) -> Self {
        let echo = QuoteDiscount {
            coupon: Cow::Borrowed(coupon),
            promotion_code: promotion_code.map(Cow::Borrowed),
            amount: 0,
            head: crate::quote::Cached(None),
        };
        let mut json = Vec::new();
        echo.write_head(&mut json);
        DiscountHead {
            coupon: coupon.into(),
            promotion_code: promotion_code.map(Box::from),
            json: json.into_boxed_slice(),
        }
    }

    /// The coupon id, as the head was rendered from it.
    pub(crate) fn coupon(&self) -> &str {
        &self.coupon
    }

    /// The promotion code, as the head was rendered from it.
    pub(crate) fn promotion_code(&self) -> Option<&str> {
        self.promotion_code.as_deref()
    }

    /// The head, if `echo`'s head fields are the ones it was rendered from.
    pub(crate) fn for_discount(&self, echo: &QuoteDiscount<'_>) -> Option<&[u8]> {
        let code = match (&echo.promotion_code, &self.promotion_code) {
            (Some(a), Some(b)) => same(a, b),
            (None, None) => true,
            _ => false,
        };
        (code && same(&echo.coupon, &self.coupon)).then_some(&*self.json)
    }
}

/// Equal text; the pointer test first, since a quote's strings are most
/// often borrowed from the very values a head was rendered from.
fn same(a: &str, b: &str) -> bool {
    (a.as_ptr() == b.as_ptr() && a.len() == b.len()) || a == b
}

fn same_opt(a: &Option<Cow<'_, str>>, b: &Option<Cow<'_, str>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => same(a, b),
        (None, None) => true,
        _ => false,
    }
}

/// The heads of one catalog (by price index, coupon index and promotion
/// code index) and one table (by component id). A component's head is
/// rendered the first time a quote uses it: a table has hundreds, a
/// workload uses a few; so is a discount's, since a catalog may hold many
/// codes (boxed, so that one not yet used costs a pointer and a flag).
#[derive(Debug, Clone, Default)]
pub(crate) struct Heads {
    lines: Vec<LineHead>,
    taxes: Arc<[OnceLock<TaxHead>]>,
    coupons: Box<[OnceLock<Box<DiscountHead>>]>,
    codes: Box<[OnceLock<Box<DiscountHead>>]>,
}

impl Heads {
    /// Renders a head for every catalog price, and makes room for one per
    /// table component (the embedded table's shared by every engine).
    pub(crate) fn new(catalog: &Catalog, table: &RateTable, embedded: bool) -> Self {
        let taxes = if embedded {
            static EMBEDDED: OnceLock<Arc<[OnceLock<TaxHead>]>> = OnceLock::new();
            Arc::clone(EMBEDDED.get_or_init(|| Self::taxes(table)))
        } else {
            Self::taxes(table)
        };
        Heads {
            taxes,
            ..Self::of_catalog(catalog)
        }
    }

    /// The same table heads with the line heads of another catalog.
    pub(crate) fn with_catalog(&self, catalog: &Catalog) -> Self {
        Heads {
            taxes: Arc::clone(&self.taxes),
            ..Self::of_catalog(catalog)
        }
    }

    /// The catalog's heads, with no table's.
    fn of_catalog(catalog: &Catalog) -> Self {
        let (coupons, codes) = catalog.discount_counts();
        let slots = |n: usize| (0..n).map(|_| OnceLock::new()).collect();
        Heads {
            lines: Self::lines(catalog),
            taxes: Arc::new([]),
            coupons: slots(coupons),
            codes: slots(codes),
        }
    }

    fn lines(catalog: &Catalog) -> Vec<LineHead> {
        catalog
            .entries()
            .map(|entry| {
                let line = QuoteLine::head_of(entry, catalog.product_of(entry)).into_owned();
                let mut json = Vec::new();
                line.write_head(&mut json);
                LineHead {
                    line,
                    json: json.into_boxed_slice(),
                }
            })
            .collect()
    }

    fn taxes(table: &RateTable) -> Arc<[OnceLock<TaxHead>]> {
        table.components().map(|_| OnceLock::new()).collect()
    }

    fn render_tax(component: &Component) -> TaxHead {
        let tax = TaxAmount::of(component, 0, 0).into_owned();
        let mut json = Vec::new();
        tax.write_head(&mut json);
        TaxHead {
            tax,
            json: json.into_boxed_slice(),
        }
    }

    /// The head rendered for the catalog price at `index`.
    pub(crate) fn line(&self, index: usize) -> Option<&LineHead> {
        self.lines.get(index)
    }

    /// The head of the echo of a discount redeemed through `echo` (of this
    /// catalog), rendered on first use from its coupon id and promotion
    /// code.
    pub(crate) fn discount(
        &self,
        echo: Echo,
        coupon: &str,
        promotion_code: Option<&str>,
    ) -> Option<&DiscountHead> {
        let slot = match echo {
            Echo::Coupon(i) => self.coupons.get(i)?,
            Echo::PromotionCode(i) => self.codes.get(i)?,
        };
        Some(slot.get_or_init(|| Box::new(DiscountHead::render(coupon, promotion_code))))
    }

    /// The head of `component` (of this table), rendered on first use.
    pub(crate) fn tax(&self, component: &Component) -> Option<&TaxHead> {
        let slot = self.taxes.get(usize::try_from(component.id).ok()?)?;
        Some(slot.get_or_init(|| Self::render_tax(component)))
    }
}
