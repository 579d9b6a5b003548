//! Request + catalog + merchant -> priced lines: the spec's business rules
//! for each line, checked in order.

use crate::catalog::{Catalog, DEFAULT_CATEGORY, Recurring};
use crate::error::{Error, ErrorCode};
use crate::merchant::MerchantType;
use crate::money::{Currency, parse_currency};
use crate::request::{LineItem, Mode, SessionRequest, limits};
use crate::validate::check_length;
use smallvec::SmallVec;

/// The priced session: its currency (none for setup), its lines and the sum
/// of their bases; the discount stage then sets the discount. No tax yet.
#[derive(Debug, Clone, Default)]
pub(crate) struct PricedSession<'a> {
    pub(crate) currency: Option<Currency>,
    pub(crate) lines: PricedLines<'a>,
    pub(crate) subtotal: i64,
    /// The session's discount `D` (0 without one): the sum of the lines'.
    pub(crate) discount: i64,
    /// The coupon redeemed, if any.
    pub(crate) redeemed: Option<crate::discount::Redeemed<'a>>,
}

/// A session's priced lines: inline up to four (most sessions), so that
/// pricing one allocates nothing.
pub(crate) type PricedLines<'a> = SmallVec<[PricedLine<'a>; 4]>;

/// One line with its price resolved and its base computed.
#[derive(Debug, Clone)]
pub(crate) struct PricedLine<'a> {
    /// The catalog price used (none for ad hoc lines).
    pub(crate) price_id: Option<&'a str>,
    /// The product priced, when known.
    pub(crate) product_id: Option<&'a str>,
    /// The product's tax category (`general` for ad hoc lines).
    pub(crate) tax_category: &'a str,
    pub(crate) unit_amount: i64,
    pub(crate) quantity: i64,
    pub(crate) description: Option<&'a str>,
    /// unit_amount x quantity, checked.
    pub(crate) base: i64,
    /// The line's share of the session's discount (0 without one), at most
    /// `base`: tax is computed on `base - discount`.
    pub(crate) discount: i64,
    /// The catalog price's index when the line shows that price with its
    /// own product (the case a pre-rendered output head is made for).
    pub(crate) catalog_index: Option<usize>,
}

/// What a line resolved to before the session-wide checks.
struct Resolved<'a> {
    unit_amount: i64,
    currency: Currency,
    recurring: Option<&'a Recurring>,
    category: &'a str,
    price_id: Option<&'a str>,
    product_id: Option<&'a str>,
    catalog_index: Option<usize>,
    /// The field the price came from, for errors about the price.
    source: &'static str,
}

/// Prices every line of the request, in order, into `priced` (an empty
/// session the caller owns: the lines are written where they will be read,
/// not moved out).
pub(crate) fn price_lines<'a>(
    request: &'a SessionRequest<'_>,
    catalog: &'a Catalog,
    merchant_type: MerchantType,
    priced: &mut PricedSession<'a>,
) -> Result<(), Error> {
    priced.lines.reserve(request.line_items.len());
    let mut interval: Option<&Recurring> = None;
    for (i, item) in request.line_items.iter().enumerate() {
        let path = |field: &str| format!("line_items[{i}].{field}");
        let resolved = resolve_line(i, item, catalog, merchant_type)?;
        let quantity = item.quantity.unwrap_or_default();

        match (request.mode, resolved.recurring) {
            (Mode::Payment, Some(_)) => {
                return Err(Error::new(
                    ErrorCode::RecurringPriceNotAllowed,
                    path(resolved.source),
                    "a payment session cannot use a recurring price",
                ));
            }
            (Mode::Subscription, None) => {
                return Err(Error::new(
                    ErrorCode::RecurringPriceRequired,
                    path(resolved.source),
                    "every line of a subscription session must be a recurring price",
                ));
            }
            (Mode::Subscription, Some(r)) => match interval {
                None => interval = Some(r),
                Some(first) if first != r => {
                    return Err(Error::new(
                        ErrorCode::MixedIntervals,
                        path(resolved.source),
                        format!(
                            "this price recurs every {} {:?} but line 0 every {} {:?}: one interval per subscription",
                            r.interval_count, r.interval, first.interval_count, first.interval
                        ),
                    ));
                }
                Some(_) => {}
            },
            _ => {}
        }

        match priced.currency {
            None => priced.currency = Some(resolved.currency),
            Some(c) if c != resolved.currency => {
                return Err(Error::new(
                    ErrorCode::CurrencyMismatch,
                    path(resolved.source),
                    format!(
                        "this line is in {} but the session is in {}: one currency per session",
                        resolved.currency.code(),
                        c.code()
                    ),
                ));
            }
            Some(_) => {}
        }

        let too_large = || {
            Error::new(
                ErrorCode::AmountTooLarge,
                format!("line_items[{i}]"),
                "the line amount does not fit in a 64-bit integer",
            )
        };
        let base = resolved
            .unit_amount
            .checked_mul(quantity)
            .ok_or_else(too_large)?;
        priced.subtotal = priced.subtotal.checked_add(base).ok_or_else(|| {
            Error::new(
                ErrorCode::AmountTooLarge,
                format!("line_items[{i}]"),
                "the session subtotal does not fit in a 64-bit integer",
            )
        })?;
        priced.lines.push(PricedLine {
            price_id: resolved.price_id,
            product_id: resolved.product_id,
            tax_category: resolved.category,
            unit_amount: resolved.unit_amount,
            quantity,
            description: item.description.as_deref(),
            base,
            discount: 0,
            catalog_index: resolved.catalog_index,
        });
    }
    Ok(())
}

/// The line's own rules: its shape, its quantity, and its price.
fn resolve_line<'a>(
    i: usize,
    item: &'a LineItem<'_>,
    catalog: &'a Catalog,
    merchant_type: MerchantType,
) -> Result<Resolved<'a>, Error> {
    let path = |field: &str| format!("line_items[{i}].{field}");
    let kinds = [
        item.price_id.is_some(),
        item.product_id.is_some(),
        item.ad_hoc_amount.is_some(),
    ];
    if kinds.iter().filter(|k| **k).count() != 1 {
        return Err(Error::new(
            ErrorCode::InvalidLineItem,
            format!("line_items[{i}]"),
            "a line needs exactly one of `price_id`, `product_id` or `ad_hoc_amount`",
        ));
    }
    if merchant_type == MerchantType::MerchantOfRecord
        && (item.ad_hoc_amount.is_some() || item.ad_hoc_currency.is_some())
    {
        let field = if item.ad_hoc_amount.is_some() {
            "ad_hoc_amount"
        } else {
            "ad_hoc_currency"
        };
        return Err(Error::new(
            ErrorCode::AdHocNotAllowed,
            path(field),
            "a Merchant of Record sells only catalog prices: use `price_id` or `product_id`",
        ));
    }
    if item.ad_hoc_amount.is_none() && item.ad_hoc_currency.is_some() {
        return Err(Error::new(
            ErrorCode::InvalidLineItem,
            path("ad_hoc_currency"),
            "`ad_hoc_currency` goes only with `ad_hoc_amount`",
        ));
    }
    for (field, value, max) in [
        ("price_id", &item.price_id, limits::MAX_ID_BYTES),
        ("product_id", &item.product_id, limits::MAX_ID_BYTES),
        (
            "description",
            &item.description,
            limits::MAX_DESCRIPTION_BYTES,
        ),
    ] {
        if let Some(v) = value.as_deref().filter(|v| v.len() > max) {
            check_length(&path(field), v, max)?;
        }
    }
    match item.quantity {
        None => {
            return Err(Error::new(
                ErrorCode::InvalidQuantity,
                path("quantity"),
                "`quantity` is required",
            ));
        }
        Some(q) if !limits::QUANTITY.contains(&q) => {
            return Err(Error::new(
                ErrorCode::InvalidQuantity,
                path("quantity"),
                format!("quantity `{q}` is outside 1..=999999"),
            ));
        }
        Some(_) => {}
    }

    if let Some(amount) = item.ad_hoc_amount {
        if amount < 0 {
            return Err(Error::new(
                ErrorCode::InvalidAmount,
                path("ad_hoc_amount"),
                format!("ad hoc amount `{amount}` is negative"),
            ));
        }
        let Some(code) = &item.ad_hoc_currency else {
            return Err(Error::new(
                ErrorCode::MissingAdHocCurrency,
                path("ad_hoc_currency"),
                "`ad_hoc_currency` is required with `ad_hoc_amount`",
            ));
        };
        let currency =
            parse_currency(code).ok_or_else(|| invalid_currency(path("ad_hoc_currency"), code))?;
        return Ok(Resolved {
            unit_amount: amount,
            currency,
            recurring: None,
            category: DEFAULT_CATEGORY,
            price_id: None,
            product_id: None,
            catalog_index: None,
            source: "ad_hoc_amount",
        });
    }

    let (source, price_id, product_id) = if let Some(id) = &item.price_id {
        ("price_id", &**id, None)
    } else if let Some(id) = &item.product_id {
        let (index, product) = catalog.product_entry(id).ok_or_else(|| {
            Error::new(
                ErrorCode::UnknownProduct,
                path("product_id"),
                format!("unknown product `{id}`"),
            )
        })?;
        if !product.active {
            return Err(Error::new(
                ErrorCode::InactiveProduct,
                path("product_id"),
                format!("product `{id}` is not active"),
            ));
        }
        let default = product.default_price.as_deref().ok_or_else(|| {
            Error::new(
                ErrorCode::NoDefaultPrice,
                path("product_id"),
                format!("product `{id}` has no default price"),
            )
        })?;
        ("product_id", default, Some((index, product)))
    } else {
        // Unreachable: exactly one kind is present and ad hoc returned above.
        return Err(Error::new(
            ErrorCode::InvalidLineItem,
            format!("line_items[{i}]"),
            "a line needs exactly one of `price_id`, `product_id` or `ad_hoc_amount`",
        ));
    };

    let (catalog_index, entry) = catalog.catalog_price(price_id).ok_or_else(|| {
        Error::new(
            ErrorCode::UnknownPrice,
            path(source),
            format!("unknown price `{price_id}`"),
        )
    })?;
    let price = &entry.price;
    if !price.active {
        return Err(Error::new(
            ErrorCode::InactivePrice,
            path(source),
            format!("price `{price_id}` is not active"),
        ));
    }
    // The product priced, with its index in the catalog.
    let product = match product_id {
        Some(p) => Some(p),
        None => match (entry.product, &price.product) {
            (Some(found), Some(pid)) => {
                let (index, owner) = found
                    .and_then(|i| Some((i, catalog.product_at(i)?)))
                    .ok_or_else(|| {
                        Error::new(
                            ErrorCode::UnknownProduct,
                            path(source),
                            format!("price `{price_id}` belongs to unknown product `{pid}`"),
                        )
                    })?;
                if !owner.active {
                    return Err(Error::new(
                        ErrorCode::InactiveProduct,
                        path(source),
                        format!("price `{price_id}` belongs to inactive product `{pid}`"),
                    ));
                }
                Some((index, owner))
            }
            _ => None,
        },
    };
    if price.unit_amount < 0 {
        return Err(Error::new(
            ErrorCode::InvalidAmount,
            path(source),
            format!("price `{price_id}` has a negative unit amount"),
        ));
    }
    let currency = entry
        .currency
        .ok_or_else(|| invalid_currency(path(source), &price.currency))?;
    Ok(Resolved {
        unit_amount: price.unit_amount,
        currency,
        recurring: price.recurring.as_ref(),
        // The catalog's one text of the product's category (the same `&str`
        // for every line of it).
        category: product.map_or(DEFAULT_CATEGORY, |(i, p)| {
            catalog.category_of(i).unwrap_or(&p.tax_category)
        }),
        price_id: Some(price.id.as_str()),
        // A line through `product_id` whose default price belongs to
        // another product shows that other product: not the price's head.
        catalog_index: product_id
            .is_none_or(|(_, p)| catalog.product_of(entry).is_some_and(|own| own.id == p.id))
            .then_some(catalog_index),
        product_id: product.map(|(_, p)| p.id.as_str()),
        source,
    })
}

fn invalid_currency(param: String, code: &str) -> Error {
    Error::new(
        ErrorCode::InvalidCurrency,
        param,
        format!("`{code}` is not an ISO 4217 currency with a minor unit"),
    )
}

impl PricedLine<'_> {
    /// What the line is taxed on: its base minus its share of the discount.
    pub(crate) fn net(&self) -> Option<i64> {
        self.base.checked_sub(self.discount)
    }
}
