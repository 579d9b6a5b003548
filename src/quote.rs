//! The answer: session amounts, the tax status, and each line with its tax
//! components; and the last stage of the pipeline, which assembles it from
//! the priced and taxed lines and sums the session amounts.

use crate::catalog::{CatalogPrice, Product};
use crate::discount::Redeemed;
use crate::error::{Error, ErrorCode};
use crate::jurisdiction::Jurisdiction;
use crate::money::Currency;
use crate::output::heads::{DiscountHead, LineHead, TaxHead};
use crate::output::{CachedHead, json_object};
use crate::pricing::{PricedLine, PricedSession};
use crate::request::{Mode, SessionRequest};
use crate::tax::compute::TaxedLine;
use crate::tax::status::TaxDecision;
use crate::tax::timeline::TaxabilityReason;
use crate::tax::{Component, Rate, Regime};
use jiff::civil::Date;
use smallvec::SmallVec;
use std::borrow::Cow;

/// Whether, and why not, tax was calculated (decided by the tax stage).
pub use crate::tax::TaxStatus;

/// A reference to a pre-rendered head that takes no part in comparisons:
/// two quotes are equal when their fields are.
#[derive(Clone, Copy, Default)]
pub(crate) struct Cached<'a, T>(pub(crate) Option<&'a T>);

impl<T> PartialEq for Cached<'_, T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<T> Eq for Cached<'_, T> {}

impl<T> std::fmt::Debug for Cached<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "Cached" } else { "None" })
    }
}

json_object! {
    /// A quoted session. Borrows ids and names from the request and the
    /// engine, so quoting clones no catalog data; [`Quote::into_owned`]
    /// gives one free of both.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Quote<'a> {
        head {
            /// The session's mode.
            pub mode: Mode,
        }
        tail {
            /// Upper-case ISO 4217 code; `None` (JSON null) for setup sessions.
            pub currency: Option<Currency>,
            /// Sum of the line bases (before the discount).
            pub amount_subtotal: i64,
            /// The discount `D` (0 without one): the sum of the lines'.
            pub amount_discount: i64,
            /// Sum of the line taxes.
            pub amount_tax: i64,
            /// Sum of the line totals: subtotal - discount + tax (exclusive)
            /// or subtotal - discount (inclusive).
            pub amount_total: i64,
            /// Whether tax was calculated.
            pub tax_status: TaxStatus,
            /// The jurisdiction whose rates were used (`US-CA`, `DE`), or the
            /// buyer's when no rates were used.
            pub tax_jurisdiction: Option<Jurisdiction>,
            /// The regime of the rates used.
            pub tax_regime: Option<Regime>,
            /// The date the rates were looked up for.
            pub tax_date: Date,
            /// The tax table's version ([`crate::RateTable::version`]).
            pub tax_data_version: Cow<'a, str>,
            /// Echoed from the request.
            pub client_reference_id: Option<Cow<'a, str>>,
            /// The discount redeemed, with its amount (empty without one).
            pub discounts: SmallVec<[QuoteDiscount<'a>; 1]>,
            /// One entry per request line, in order.
            pub line_items: Vec<QuoteLine<'a>>,
        }
        hidden {}
    }
}

json_object! {
    /// One quoted line.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct QuoteLine<'a> {
        head {
            /// The price used (from `price_id`, or the product's default price).
            pub price_id: Option<Cow<'a, str>>,
            /// The product priced, when known.
            pub product_id: Option<Cow<'a, str>>,
            /// The product's tax category (`general` for ad hoc lines).
            pub tax_category: Cow<'a, str>,
            /// Per unit, in minor units.
            pub unit_amount: i64,
        }
        tail {
            /// From the request.
            @skip_none pub description: Option<Cow<'a, str>>,
            /// From the request.
            pub quantity: i64,
            /// unit_amount x quantity.
            pub amount_subtotal: i64,
            /// The line's share of the session's discount (0 without one).
            pub amount_discount: i64,
            /// Sum of the line's tax components, computed on the subtotal
            /// minus the discount.
            pub amount_tax: i64,
            /// Subtotal - discount + tax (exclusive) or subtotal - discount
            /// (inclusive).
            pub amount_total: i64,
            /// The tax components, in the order of their rows in the data.
            pub taxes: SmallVec<[TaxAmount<'a>; 2]>,
            /// Why the line has no components, when tax was not calculated
            /// (`not_collecting`, `requires_location`, `no_tax_data`); `null`
            /// when its components explain its tax.
            pub taxability_reason: Option<TaxabilityReason>,
        }
        hidden {
            /// The head rendered for the line's catalog price.
            head: Cached<'a, LineHead>,
        }
    }
}

json_object! {
    /// A discount the session got: the coupon, the promotion code it was
    /// redeemed through (if any) and the amount taken off.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct QuoteDiscount<'a> {
        head {
            /// The coupon's id.
            pub coupon: Cow<'a, str>,
            /// The promotion code as the catalog spells it; `null` when the
            /// coupon was named directly.
            pub promotion_code: Option<Cow<'a, str>>,
        }
        tail {
            /// The discount in minor units (the session's `amount_discount`).
            pub amount: i64,
        }
        hidden {
            /// The head rendered for the coupon or promotion code.
            head: Cached<'a, DiscountHead>,
        }
    }
}

impl CachedHead for QuoteDiscount<'_> {
    fn cached_head(&self) -> Option<&[u8]> {
        self.head.0.and_then(|h| h.for_discount(self))
    }
}

impl QuoteDiscount<'_> {
    /// The same discount with owned strings.
    pub fn into_owned(self) -> QuoteDiscount<'static> {
        QuoteDiscount {
            coupon: Cow::Owned(self.coupon.into_owned()),
            promotion_code: owned_opt(self.promotion_code),
            amount: self.amount,
            head: Cached(None),
        }
    }
}

json_object! {
    /// One tax component of a line.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct TaxAmount<'a> {
        head {
            /// The tax's name (`VAT`, `GST`).
            pub name: &'static str,
            /// The jurisdiction whose row it is.
            pub jurisdiction: Jurisdiction,
            /// The rate in percent, as a JSON string (`"9.975"`).
            pub rate: Rate,
        }
        tail {
            /// The amount in minor units.
            pub amount: i64,
            /// What the rate was applied to: the line's base (exclusive), or
            /// its base minus the tax included in it (inclusive).
            pub taxable_amount: i64,
            /// Standard, reduced or zero rated.
            pub taxability_reason: TaxabilityReason,
        }
        hidden {
            /// The head rendered for the component.
            head: Cached<'a, TaxHead>,
            /// The component's id in its table.
            component: u32,
        }
    }
}

impl CachedHead for Quote<'_> {}

impl CachedHead for QuoteLine<'_> {
    fn cached_head(&self) -> Option<&[u8]> {
        self.head.0.and_then(|h| h.for_line(self))
    }
}

impl CachedHead for TaxAmount<'_> {
    fn cached_head(&self) -> Option<&[u8]> {
        self.head.0.and_then(|h| h.for_tax(self))
    }
}

impl Quote<'_> {
    /// Appends the quote's compact JSON to `out`: byte for byte what
    /// `serde_json::to_writer` writes for it.
    ///
    /// ```
    /// # use checkout_tax::{Engine, LineItem, Merchant, MerchantType, Mode, SessionRequest};
    /// let engine = Engine::builder().merchant(Merchant::new(MerchantType::Direct)).build()?;
    /// let request = SessionRequest::new(Mode::Payment, vec![LineItem::ad_hoc(500, "eur", 1)]);
    /// let quote = engine.quote(&request, checkout_tax::parse_date("2025-06-01")?)?;
    /// let mut fast = Vec::new();
    /// quote.write_json(&mut fast);
    /// assert_eq!(fast, serde_json::to_vec(&quote).unwrap());
    /// # Ok::<(), checkout_tax::Error>(())
    /// ```
    pub fn write_json(&self, out: &mut Vec<u8>) {
        // About 330 bytes a line plus the session's fields: one reservation
        // instead of growth along the way.
        out.reserve(
            self.line_items
                .len()
                .saturating_mul(384)
                .saturating_add(320),
        );
        crate::output::JsonValue::write_json(self, out);
    }

    /// The same quote with owned strings, free of the request's and the
    /// engine's lifetimes (so a helper can return it).
    pub fn into_owned(self) -> Quote<'static> {
        Quote {
            mode: self.mode,
            currency: self.currency,
            amount_subtotal: self.amount_subtotal,
            amount_discount: self.amount_discount,
            amount_tax: self.amount_tax,
            amount_total: self.amount_total,
            tax_status: self.tax_status,
            tax_jurisdiction: self.tax_jurisdiction,
            tax_regime: self.tax_regime,
            tax_date: self.tax_date,
            tax_data_version: Cow::Owned(self.tax_data_version.into_owned()),
            client_reference_id: owned_opt(self.client_reference_id),
            discounts: self
                .discounts
                .into_iter()
                .map(QuoteDiscount::into_owned)
                .collect(),
            line_items: self
                .line_items
                .into_iter()
                .map(QuoteLine::into_owned)
                .collect(),
        }
    }
}

impl<'a> QuoteLine<'a> {
    /// A line's head fields for a catalog price (amounts left at zero).
    pub(crate) fn head_of(entry: &'a CatalogPrice, product: Option<&'a Product>) -> Self {
        QuoteLine {
            price_id: Some(Cow::Borrowed(&entry.price.id)),
            product_id: product.map(|p| Cow::Borrowed(p.id.as_str())),
            tax_category: Cow::Borrowed(
                product.map_or(crate::catalog::DEFAULT_CATEGORY, |p| &p.tax_category),
            ),
            unit_amount: entry.price.unit_amount,
            description: None,
            quantity: 0,
            amount_subtotal: 0,
            amount_discount: 0,
            amount_tax: 0,
            amount_total: 0,
            taxes: SmallVec::new(),
            taxability_reason: None,
            head: Cached(None),
        }
    }

    /// The same line with owned strings.
    pub fn into_owned(self) -> QuoteLine<'static> {
        QuoteLine {
            price_id: owned_opt(self.price_id),
            product_id: owned_opt(self.product_id),
            tax_category: Cow::Owned(self.tax_category.into_owned()),
            unit_amount: self.unit_amount,
            description: owned_opt(self.description),
            quantity: self.quantity,
            amount_subtotal: self.amount_subtotal,
            amount_discount: self.amount_discount,
            amount_tax: self.amount_tax,
            amount_total: self.amount_total,
            taxes: self.taxes.into_iter().map(TaxAmount::into_owned).collect(),
            taxability_reason: self.taxability_reason,
            head: Cached(None),
        }
    }
}

impl<'a> TaxAmount<'a> {
    /// A component with its amount (the tax stage's output); its head is
    /// attached when the quote is assembled.
    pub(crate) fn of(component: &'a Component, amount: i64, taxable_amount: i64) -> Self {
        TaxAmount {
            name: component.name,
            jurisdiction: component.jurisdiction,
            rate: component.rate,
            amount,
            taxable_amount,
            taxability_reason: component.reason,
            head: Cached(None),
            component: component.id,
        }
    }

    /// The same component with owned strings.
    pub fn into_owned(self) -> TaxAmount<'static> {
        TaxAmount {
            name: self.name,
            jurisdiction: self.jurisdiction,
            rate: self.rate,
            amount: self.amount,
            taxable_amount: self.taxable_amount,
            taxability_reason: self.taxability_reason,
            head: Cached(None),
            component: self.component,
        }
    }
}

fn owned_opt(s: Option<Cow<'_, str>>) -> Option<Cow<'static, str>> {
    s.map(|s| Cow::Owned(s.into_owned()))
}

/// Where the pre-rendered heads come from: the engine's, looked up by
/// catalog price index and component id.
pub(crate) trait HeadSource {
    /// The head of the catalog price at `index`.
    fn line_head(&self, index: usize) -> Option<&LineHead>;
    /// The head of this component of the engine's table.
    fn tax_head(&self, component: &Component) -> Option<&TaxHead>;
    /// The head of the echo of this discount of the engine's catalog.
    fn discount_head(&self, redeemed: &Redeemed<'_>) -> Option<&DiscountHead>;
}

/// What a quote states about how it was computed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct QuoteContext<'a> {
    pub(crate) date: Date,
    pub(crate) data_version: &'a str,
}

/// The last stage: the quote from the priced lines, their taxes and the
/// tax decision, with the session sums checked into int64.
///
/// # Errors
/// `amount_too_large` when a session sum does not fit; `internal` when the
/// stages disagree on the number of lines (a bug, never the buyer's fault).
pub(crate) fn assemble<'a>(
    request: &'a SessionRequest<'_>,
    priced: &PricedSession<'a>,
    decision: &TaxDecision<'a>,
    taxed: &[TaxedLine<'a>],
    context: &QuoteContext<'a>,
    heads: &'a impl HeadSource,
) -> Result<Quote<'a>, Error> {
    if taxed.len() != priced.lines.len() {
        return Err(Error::internal(
            "tax was computed for another number of lines",
        ));
    }
    let regime = decision.regime();
    let reason = decision.reason();
    // The lines are collected from their literals and get their components
    // afterwards, so that each 328-byte line is written where it stays.
    // Built with its components, or by a call that is not inlined, a line
    // is built on the stack and then copied: 64 instructions a line.
    let mut line_items: Vec<QuoteLine<'a>> = priced
        .lines
        .iter()
        .zip(taxed)
        .map(|(line, taxes)| quote_line(line, taxes, reason, heads))
        .collect();
    let mut amount_tax: i64 = 0;
    for (quoted, taxes) in line_items.iter_mut().zip(taxed) {
        amount_tax = amount_tax
            .checked_add(taxes.tax)
            .ok_or_else(|| session_too_large("tax"))?;
        // One push a component: `SmallVec::extend` reserves first, which
        // measured slower for the one or two a line has.
        for amount in tax_amounts(taxes, heads) {
            quoted.taxes.push(amount);
        }
    }
    // The sum of the line totals: each is net + tax (exclusive) or net.
    let net = priced
        .subtotal
        .checked_sub(priced.discount)
        .ok_or_else(|| Error::internal("the discount exceeds the subtotal"))?;
    let amount_total = match regime {
        Regime::Exclusive => net
            .checked_add(amount_tax)
            .ok_or_else(|| session_too_large("total"))?,
        Regime::Inclusive => net,
    };
    Ok(Quote {
        mode: request.mode,
        currency: priced.currency,
        amount_subtotal: priced.subtotal,
        amount_discount: priced.discount,
        amount_tax,
        amount_total,
        tax_status: decision.status,
        tax_jurisdiction: decision.jurisdiction,
        tax_regime: decision.rates.map(|r| r.regime()),
        tax_date: context.date,
        tax_data_version: Cow::Borrowed(context.data_version),
        client_reference_id: request.client_reference_id.as_deref().map(Cow::Borrowed),
        discounts: match &priced.redeemed {
            Some(r) => SmallVec::from_buf([quote_discount(r, heads)]),
            None => SmallVec::new(),
        },
        line_items,
    })
}

/// The echo of the discount redeemed; with a head, its text is borrowed
/// from it (the same text), so that the writer's check is a pointer
/// comparison.
fn quote_discount<'a>(redeemed: &Redeemed<'a>, heads: &'a impl HeadSource) -> QuoteDiscount<'a> {
    let head = heads.discount_head(redeemed);
    QuoteDiscount {
        coupon: Cow::Borrowed(head.map_or(redeemed.coupon, DiscountHead::coupon)),
        promotion_code: head
            .map_or(redeemed.promotion_code, DiscountHead::promotion_code)
            .map(Cow::Borrowed),
        amount: redeemed.amount,
        head: Cached(head),
    }
}

/// The quote line of a priced and taxed line, without its components.
/// Always inlined, so that the list's slot receives its literal (see
/// [`assemble`]).
#[inline(always)]
fn quote_line<'a>(
    line: &PricedLine<'a>,
    taxed: &TaxedLine<'a>,
    reason: Option<TaxabilityReason>,
    heads: &'a impl HeadSource,
) -> QuoteLine<'a> {
    let head = line.catalog_index.and_then(|i| heads.line_head(i));
    // With a head, the line's text is borrowed from it (the same text), so
    // that the writer's check is a pointer comparison.
    let source = head.map(LineHead::line);
    let text = |own: Option<&'a str>, cached: Option<&'a Option<Cow<'static, str>>>| match cached {
        Some(c) => c.as_deref().map(Cow::Borrowed),
        None => own.map(Cow::Borrowed),
    };
    QuoteLine {
        price_id: text(line.price_id, source.map(|s| &s.price_id)),
        product_id: text(line.product_id, source.map(|s| &s.product_id)),
        tax_category: Cow::Borrowed(source.map_or(line.tax_category, |s| &s.tax_category)),
        unit_amount: line.unit_amount,
        description: line.description.map(Cow::Borrowed),
        quantity: line.quantity,
        amount_subtotal: line.base,
        amount_discount: line.discount,
        amount_tax: taxed.tax,
        amount_total: taxed.total,
        taxes: SmallVec::new(),
        taxability_reason: reason,
        head: Cached(head),
    }
}

/// A taxed line's components with their amounts, each with its head.
fn tax_amounts<'a>(
    taxed: &TaxedLine<'a>,
    heads: &'a impl HeadSource,
) -> impl Iterator<Item = TaxAmount<'a>> {
    taxed
        .components
        .iter()
        .zip(&taxed.amounts)
        .map(move |(component, amount)| TaxAmount {
            head: Cached(heads.tax_head(component)),
            ..TaxAmount::of(component, *amount, taxed.taxable)
        })
}

fn session_too_large(what: &str) -> Error {
    Error::new(
        ErrorCode::AmountTooLarge,
        "line_items",
        format!("the session {what} does not fit in a 64-bit integer"),
    )
}
