//! Pre-rendered heads: the JSON of a quote line's catalog fields (price,
//! product, category, unit amount) and of a tax component's table fields
//! (name, jurisdiction, rate), rendered once when the engine is built, since
//! writing them dominated `batch`'s profile. Each head keeps the values it
//! was rendered from, and the writer uses it only when the object's fields
//! still equal them.

use crate::catalog::Catalog;
use crate::quote::{QuoteLine, TaxAmount};
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
    /// The component's name, as the head was rendered from it.
    pub(crate) fn name(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.tax.name)
    }

    /// The head, if `tax`'s head fields are the ones it was rendered from.
    pub(crate) fn for_tax(&self, tax: &TaxAmount<'_>) -> Option<&[u8]> {
        let same = same(&tax.name, &self.tax.name)
            && tax.jurisdiction == self.tax.jurisdiction
            && tax.rate == self.tax.rate;
        same.then_some(&*self.json)
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

/// The heads of one catalog (by price index) and one table (by component
/// id). A component's head is rendered the first time a quote uses it: a
/// table has hundreds, a workload uses a few.
#[derive(Debug, Clone, Default)]
pub(crate) struct Heads {
    lines: Vec<LineHead>,
    taxes: Arc<[OnceLock<TaxHead>]>,
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
            lines: Self::lines(catalog),
            taxes,
        }
    }

    /// The same table heads with the line heads of another catalog.
    pub(crate) fn with_catalog(&self, catalog: &Catalog) -> Self {
        Heads {
            lines: Self::lines(catalog),
            taxes: Arc::clone(&self.taxes),
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

    /// The head of `component` (of this table), rendered on first use.
    pub(crate) fn tax(&self, component: &Component) -> Option<&TaxHead> {
        let slot = self.taxes.get(usize::try_from(component.id).ok()?)?;
        Some(slot.get_or_init(|| Self::render_tax(component)))
    }
}
