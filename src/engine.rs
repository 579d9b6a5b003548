//! The engine: a catalog, a merchant and a tax table, built once and shared.
//! [`Engine::quote`] is the spec's flow in one pass: request -> validated
//! request -> priced lines -> discounted lines -> tax status -> taxed lines
//! -> the quote.

use crate::catalog::Catalog;
use crate::discount::Redeemed;
use crate::error::{Error, ErrorCode};
use crate::merchant::Merchant;
use crate::output::heads::{DiscountHead, Heads, LineHead, TaxHead};
use crate::pricing::PricedSession;
use crate::quote::{HeadSource, Quote, QuoteContext, assemble};
use crate::request::SessionRequest;
use crate::tax::compute::{TaxedLines, tax_lines};
use crate::tax::status::decide;
use crate::tax::{Component, RateTable};
use crate::{discount, pricing, validate};
use jiff::civil::Date;
use std::sync::Arc;

/// Quotes checkout sessions. `Send + Sync` and cheap to clone (the catalog
/// and table are behind `Arc`s): build it once and share it between threads.
///
/// ```
/// use checkout_tax::{Catalog, Engine, Merchant, MerchantType, SessionRequest};
///
/// let catalog = Catalog::from_json(r#"{
///   "products": [{"id": "prod_book", "tax_category": "general"}],
///   "prices": [{"id": "price_book", "product": "prod_book", "currency": "eur", "unit_amount": 1000}]
/// }"#)?;
/// let engine = Engine::builder()
///     .catalog(catalog)
///     .merchant(Merchant::new(MerchantType::MerchantOfRecord))
///     .build()?; // the embedded tax table
///
/// let request = SessionRequest::from_json(r#"{"mode": "payment",
///   "line_items": [{"price_id": "price_book", "quantity": 1}], "buyer_country": "DE"}"#)?;
/// let quote = engine.quote(&request, checkout_tax::parse_date("2025-06-01")?)?;
/// assert_eq!((quote.amount_subtotal, quote.amount_tax, quote.amount_total), (1000, 160, 1000));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Engine {
    catalog: Arc<Catalog>,
    merchant: Merchant,
    table: TableRef,
    heads: Arc<Heads>,
}

#[derive(Debug, Clone)]
enum TableRef {
    Embedded(&'static RateTable),
    Owned(Arc<RateTable>),
}

impl TableRef {
    fn get(&self) -> &RateTable {
        match self {
            TableRef::Embedded(t) => t,
            TableRef::Owned(t) => t,
        }
    }
}

/// Builds an [`Engine`]; every part has a default (empty catalog, Merchant of
/// Record with default rounding, the embedded tax table).
#[derive(Debug, Default)]
pub struct EngineBuilder {
    catalog: Option<Arc<Catalog>>,
    merchant: Merchant,
    table: Option<Arc<RateTable>>,
}

impl EngineBuilder {
    /// The merchant's catalog (a `Catalog` or an `Arc<Catalog>` to share one).
    pub fn catalog(mut self, catalog: impl Into<Arc<Catalog>>) -> Self {
        self.catalog = Some(catalog.into());
        self
    }

    /// The merchant's settings.
    pub fn merchant(mut self, merchant: Merchant) -> Self {
        self.merchant = merchant;
        self
    }

    /// A tax table instead of the embedded one.
    pub fn tax_table(mut self, table: impl Into<Arc<RateTable>>) -> Self {
        self.table = Some(table.into());
        self
    }

    /// The engine.
    ///
    /// # Errors
    /// [`Error::Catalog`] for a product whose `tax_category` neither the
    /// table nor the embedded one knows; and, if no table was given, the
    /// embedded one's parse error, which the crate's data test rules out.
    pub fn build(self) -> Result<Engine, Error> {
        let table = match self.table {
            Some(t) => TableRef::Owned(t),
            None => TableRef::Embedded(RateTable::embedded()?),
        };
        let catalog = self.catalog.unwrap_or_default();
        catalog.check_categories(table.get())?;
        let embedded = matches!(table, TableRef::Embedded(_));
        let heads = Arc::new(Heads::new(&catalog, table.get(), embedded));
        Ok(Engine {
            catalog,
            merchant: self.merchant,
            table,
            heads,
        })
    }
}

impl Engine {
    /// A builder with every part at its default.
    pub fn builder() -> EngineBuilder {
        EngineBuilder::default()
    }

    /// The same engine with another catalog; the table is shared, not rebuilt.
    ///
    /// # Errors
    /// As [`EngineBuilder::build`], for the catalog's tax categories.
    pub fn with_catalog(&self, catalog: impl Into<Arc<Catalog>>) -> Result<Engine, Error> {
        let catalog = catalog.into();
        catalog.check_categories(self.table.get())?;
        Ok(Engine {
            heads: Arc::new(self.heads.with_catalog(&catalog)),
            catalog,
            ..self.clone()
        })
    }

    /// The same engine with other merchant settings (a service's per-call
    /// override of the merchant type or rounding); nothing is rebuilt.
    pub fn with_merchant(&self, merchant: Merchant) -> Engine {
        Engine {
            merchant,
            ..self.clone()
        }
    }

    /// The catalog.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The merchant's settings.
    pub fn merchant(&self) -> &Merchant {
        &self.merchant
    }

    /// The tax table.
    pub fn tax_table(&self) -> &RateTable {
        self.table.get()
    }

    /// Quotes a session with the rates in force on `date`.
    ///
    /// # Errors
    /// The spec's request errors, each with its code and the path of the
    /// offending field: top-level fields first, then line items in order.
    pub fn quote<'a>(
        &'a self,
        request: &'a SessionRequest<'_>,
        date: Date,
    ) -> Result<Quote<'a>, Error> {
        let table = self.table.get();
        check_covered(table, date)?;
        let location = validate::top_level(request)?;
        // The coupon is looked up before the lines are priced, as the spec
        // orders the refusals; it is applied once they are.
        let redemption = discount::redeem(request, &self.catalog)?;
        let mut priced = PricedSession::default();
        pricing::price_lines(
            request,
            &self.catalog,
            self.merchant.merchant_type,
            &mut priced,
        )?;
        discount::apply(redemption, &mut priced, self.merchant.rounding_mode)?;
        let decision = decide(location, &self.merchant, table, date);
        let mut taxed = TaxedLines::new();
        tax_lines(
            &priced.lines,
            &decision,
            date,
            self.merchant.rounding_level,
            self.merchant.rounding_mode,
            &mut taxed,
        )?;
        let context = QuoteContext {
            date,
            data_version: table.version(),
        };
        assemble(request, &priced, &decision, &taxed, &context, &*self.heads)
    }
}

/// Refuses a date before the first one the table covers.
///
/// # Errors
/// `date_not_covered` (param `at`), naming both dates.
pub fn check_covered(table: &RateTable, date: Date) -> Result<(), Error> {
    match table.covered_from() {
        Some(first) if date < first => Err(Error::new(
            ErrorCode::DateNotCovered,
            "at",
            format!("the tax data covers dates from {first}; {date} is earlier"),
        )),
        _ => Ok(()),
    }
}

impl HeadSource for Heads {
    fn line_head(&self, index: usize) -> Option<&LineHead> {
        self.line(index)
    }

    fn tax_head(&self, component: &Component) -> Option<&TaxHead> {
        self.tax(component)
    }

    fn discount_head(&self, redeemed: &Redeemed<'_>) -> Option<&DiscountHead> {
        self.discount(redeemed.echo, redeemed.coupon, redeemed.promotion_code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shareable<T: Send + Sync + Clone + 'static>() {}

    #[test]
    fn engine_is_send_sync_and_clone() {
        shareable::<Engine>();
    }

    #[test]
    fn swapping_the_catalog_keeps_the_table() {
        let engine = Engine::builder().build().unwrap();
        let other = engine.with_catalog(Catalog::default()).unwrap();
        assert!(std::ptr::eq(engine.tax_table(), other.tax_table()));
    }
}
