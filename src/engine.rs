//! The engine: a catalog, a merchant and a tax table, built once and shared;
//! `quote` runs request -> validated lines -> priced lines -> tax per line
//! -> session amounts.

use crate::catalog::Catalog;
use crate::error::{Error, ErrorCode};
use crate::merchant::Merchant;
use crate::pricing::price_lines;
use crate::quote::{Quote, TaxAmount, TaxStatus};
use crate::request::SessionRequest;
use crate::rounding::RoundingLevel;
use crate::tax::compute::{self, document_amounts};
use crate::tax::table::Component;
use crate::tax::{RateTable, Regime, TaxLookup};
use crate::validate;
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
/// let quote = engine.quote(&request, "2025-06-01".parse()?)?;
/// assert_eq!((quote.amount_subtotal, quote.amount_tax, quote.amount_total), (1000, 160, 1000));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Engine {
    catalog: Arc<Catalog>,
    merchant: Merchant,
    table: TableRef,
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
    /// Only if no table was given and the embedded one failed to parse,
    /// which the crate's data test rules out.
    pub fn build(self) -> Result<Engine, Error> {
        let table = match self.table {
            Some(t) => TableRef::Owned(t),
            None => TableRef::Embedded(RateTable::embedded()?),
        };
        Ok(Engine {
            catalog: self.catalog.unwrap_or_default(),
            merchant: self.merchant,
            table,
        })
    }
}

impl Engine {
    /// A builder with every part at its default.
    pub fn builder() -> EngineBuilder {
        EngineBuilder::default()
    }

    /// The same engine with another catalog; the table is shared, not rebuilt.
    pub fn with_catalog(&self, catalog: impl Into<Arc<Catalog>>) -> Engine {
        Engine {
            catalog: catalog.into(),
            ..self.clone()
        }
    }

    /// The same engine with other merchant settings.
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
        let location = validate::top_level(request)?;
        let priced = price_lines(request, &self.catalog, self.merchant.merchant_type)?;

        let (status, rates) = self.status(location);
        let regime = rates.map_or(Regime::Exclusive, |r| r.regime());
        let mode = self.merchant.rounding_mode;
        let overflow = || too_large("line_items", "a tax amount overflowed");
        let mut lines = priced.lines;
        // Document rounding needs every line's components before any line's
        // tax; line rounding computes each line on its own, allocating nothing.
        let document = match (self.merchant.rounding_level, rates) {
            (RoundingLevel::Document, Some(r)) => {
                let components: Vec<&[Component]> = lines
                    .iter()
                    .map(|l| r.components(l.tax_category, date))
                    .collect();
                let bases: Vec<u128> = lines.iter().map(|l| base_of(l.amount_subtotal)).collect();
                let amounts =
                    document_amounts(&bases, &components, regime, mode).ok_or_else(overflow)?;
                Some((components, amounts))
            }
            _ => None,
        };

        let jurisdiction = rates.map(|r| r.jurisdiction()).or(location);
        let mut session_tax: i64 = 0;
        for (i, line) in lines.iter_mut().enumerate() {
            let (comps, line_amounts): (&[Component], _) = match &document {
                Some((c, a)) => (
                    c.get(i).copied().unwrap_or_default(),
                    a.get(i).cloned().unwrap_or_default(),
                ),
                None => {
                    let c = rates
                        .map(|r| r.components(line.tax_category, date))
                        .unwrap_or_default();
                    let a = compute::line_amounts(base_of(line.amount_subtotal), c, regime, mode)
                        .ok_or_else(overflow)?;
                    (c, a)
                }
            };
            let mut line_tax: i64 = 0;
            for (c, amount) in comps.iter().zip(&line_amounts) {
                let amount = i64::try_from(*amount).map_err(|_| line_too_large(i))?;
                line_tax = line_tax
                    .checked_add(amount)
                    .ok_or_else(|| line_too_large(i))?;
                if let Some(j) = jurisdiction {
                    line.taxes.push(TaxAmount {
                        name: &c.name,
                        jurisdiction: j,
                        rate: c.rate,
                        amount,
                        json_head: &c.json_head,
                    });
                }
            }
            line.amount_tax = line_tax;
            if regime == Regime::Exclusive {
                line.amount_total = line
                    .amount_subtotal
                    .checked_add(line_tax)
                    .ok_or_else(|| line_too_large(i))?;
            }
            session_tax = session_tax.checked_add(line_tax).ok_or_else(|| {
                too_large(
                    "line_items",
                    "the session tax does not fit in a 64-bit integer",
                )
            })?;
        }
        let mut quote = Quote {
            mode: request.mode,
            currency: priced.currency,
            amount_subtotal: priced.subtotal,
            amount_tax: session_tax,
            amount_total: priced.subtotal,
            tax_status: status,
            tax_jurisdiction: jurisdiction,
            tax_regime: rates.map(|r| r.regime()),
            client_reference_id: request.client_reference_id.as_deref(),
            line_items: lines,
        };
        if regime == Regime::Exclusive {
            quote.amount_total = quote
                .amount_subtotal
                .checked_add(quote.amount_tax)
                .ok_or_else(|| {
                    too_large(
                        "line_items",
                        "the session total does not fit in a 64-bit integer",
                    )
                })?;
        }
        Ok(quote)
    }

    /// The tax status for a buyer location, and the rates to use if any.
    fn status(
        &self,
        location: Option<crate::Jurisdiction>,
    ) -> (TaxStatus, Option<crate::tax::table::JurisdictionRates<'_>>) {
        if self
            .merchant
            .tax_registrations
            .as_ref()
            .is_some_and(Vec::is_empty)
        {
            return (TaxStatus::NotCollecting, None);
        }
        let Some(location) = location else {
            return (TaxStatus::RequiresLocation, None);
        };
        match self.merchant.collects_in(location) {
            Some(true) => {}
            Some(false) => return (TaxStatus::NotCollecting, None),
            None => return (TaxStatus::RequiresLocation, None),
        }
        match self.table.get().lookup(location) {
            TaxLookup::Found(rates) => (TaxStatus::Calculated, Some(rates)),
            TaxLookup::NeedsRegion => (TaxStatus::RequiresLocation, None),
            TaxLookup::NoData => (TaxStatus::NoTaxData, None),
        }
    }
}

/// Bases are never negative (prices and ad hoc amounts are checked).
fn base_of(base: i64) -> u128 {
    u128::from(base.unsigned_abs())
}

fn too_large(param: &str, message: &str) -> Error {
    Error::new(ErrorCode::AmountTooLarge, param, message)
}

fn line_too_large(i: usize) -> Error {
    too_large(
        &format!("line_items[{i}]"),
        "the line's tax or total does not fit in a 64-bit integer",
    )
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
        let other = engine.with_catalog(Catalog::default());
        assert!(std::ptr::eq(engine.tax_table(), other.tax_table()));
    }
}
