//! The discount stage: the request's coupon or promotion code, resolved
//! against the catalog, becomes one discount `D` computed once on the sum
//! of the eligible lines' bases and shared among those lines, before tax.
//!
//! It runs in two steps because the spec orders the refusals so: the
//! coupon is looked up with the top-level fields, before any line is
//! priced ([`redeem`]); its currency and products are checked, and `D`
//! computed, once the lines are known ([`apply`]). Tax is then computed on
//! each line's base minus its share.

use crate::catalog::{Catalog, CatalogCoupon, Off};
use crate::error::{Error, ErrorCode};
use crate::pricing::PricedSession;
use crate::request::{Discount, Mode, SessionRequest, limits};
use crate::rounding::{NARROW_PARTS, RoundingMode, allocate, allocate_narrow, round_ratio};
use crate::validate::check_length;
use smallvec::SmallVec;

/// A coupon the request redeems, found in the catalog.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Redemption<'a> {
    coupon: &'a CatalogCoupon,
    /// The catalog's spelling of the code, when redeemed through one.
    promotion_code: Option<&'a str>,
    /// Where the quote's echo finds its pre-rendered head.
    echo: Echo,
}

/// The catalog indices of a redeemed coupon and of the promotion code it
/// was redeemed through, by which the quote's `discounts` echo finds the
/// head rendered for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Echo {
    /// The coupon at this index, named directly.
    Coupon(usize),
    /// The promotion code at this index.
    PromotionCode(usize),
}

/// The discount a session got: what the quote echoes in `discounts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Redeemed<'a> {
    pub(crate) coupon: &'a str,
    pub(crate) promotion_code: Option<&'a str>,
    /// `D`, in minor units.
    pub(crate) amount: i64,
    pub(crate) echo: Echo,
}

/// At most one discount, and none on a setup session.
///
/// # Errors
/// `invalid_discount` (param `discounts`).
// Inline, the errors built out of line: the parser and `redeem` both
// check, so on the hot path each check is a compare or two.
#[inline]
pub(crate) fn check_count(mode: Mode, count: usize) -> Result<(), Error> {
    if count > 1 || (mode == Mode::Setup && count > 0) {
        return Err(count_error(mode, count));
    }
    Ok(())
}

#[cold]
fn count_error(mode: Mode, count: usize) -> Error {
    if mode == Mode::Setup && count == 1 {
        return Error::new(
            ErrorCode::InvalidDiscount,
            "discounts",
            "a setup session has no amounts to discount",
        );
    }
    Error::new(
        ErrorCode::InvalidDiscount,
        "discounts",
        format!("{count} discounts given; a session takes at most one"),
    )
}

/// Exactly one of `coupon` or `promotion_code`.
///
/// # Errors
/// `invalid_discount` (param `discounts[0]`).
#[inline]
pub(crate) fn check_entry(discount: &Discount<'_>) -> Result<(), Error> {
    if discount.coupon.is_some() == discount.promotion_code.is_some() {
        return Err(entry_error());
    }
    Ok(())
}

#[cold]
fn entry_error() -> Error {
    Error::new(
        ErrorCode::InvalidDiscount,
        "discounts[0]",
        "a discount needs exactly one of `coupon` or `promotion_code`",
    )
}

/// The request's discount looked up in the catalog (`None` without one).
/// The shape rules are checked again for requests built in code.
///
/// # Errors
/// `invalid_discount`; `limit_exceeded` for an id or code longer than
/// [`limits::MAX_ID_BYTES`]; `unknown_coupon` / `inactive_coupon` at
/// `discounts[0].coupon`; `unknown_promotion_code` /
/// `inactive_promotion_code` at `discounts[0].promotion_code`, and
/// `inactive_coupon` there when an active code's coupon is inactive.
pub(crate) fn redeem<'a>(
    request: &SessionRequest<'_>,
    catalog: &'a Catalog,
) -> Result<Option<Redemption<'a>>, Error> {
    check_count(request.mode, request.discounts.len())?;
    let Some(discount) = request.discounts.first() else {
        return Ok(None);
    };
    check_entry(discount)?;
    if let Some(id) = discount.coupon.as_deref() {
        const PARAM: &str = "discounts[0].coupon";
        if id.len() > limits::MAX_ID_BYTES {
            check_length(PARAM, id, limits::MAX_ID_BYTES)?;
        }
        let (index, coupon) = catalog.coupon_entry(id).ok_or_else(|| {
            Error::new(
                ErrorCode::UnknownCoupon,
                PARAM,
                format!("unknown coupon `{id}`"),
            )
        })?;
        if !coupon.coupon.active {
            return Err(Error::new(
                ErrorCode::InactiveCoupon,
                PARAM,
                format!("coupon `{id}` is not active"),
            ));
        }
        return Ok(Some(Redemption {
            coupon,
            promotion_code: None,
            echo: Echo::Coupon(index),
        }));
    }
    const PARAM: &str = "discounts[0].promotion_code";
    let code = discount.promotion_code.as_deref().unwrap_or_default();
    if code.len() > limits::MAX_ID_BYTES {
        check_length(PARAM, code, limits::MAX_ID_BYTES)?;
    }
    let found = catalog.find_code(code).ok_or_else(|| {
        Error::new(
            ErrorCode::UnknownPromotionCode,
            PARAM,
            format!("unknown promotion code `{code}`"),
        )
    })?;
    let (promo, coupon) = (found.promo, found.coupon);
    if !promo.active {
        return Err(Error::new(
            ErrorCode::InactivePromotionCode,
            PARAM,
            format!("promotion code `{code}` is not active"),
        ));
    }
    if !coupon.coupon.active {
        return Err(Error::new(
            ErrorCode::InactiveCoupon,
            PARAM,
            format!(
                "promotion code `{code}` redeems coupon `{}`, which is not active",
                coupon.coupon.id
            ),
        ));
    }
    Ok(Some(Redemption {
        coupon,
        promotion_code: Some(&promo.code),
        echo: Echo::PromotionCode(found.promo_index),
    }))
}

/// Applies the redeemed coupon to the priced lines: `D` = round(B x p /
/// 100) with the merchant's rounding mode, or min(amount_off, B), B being
/// the eligible lines' sum; each eligible line gets the floor of
/// D x base / B and the units left go one each to the largest remainders,
/// ties to the earlier line. Sets each line's `discount` and the session's.
///
/// # Errors
/// `currency_mismatch` (param `discounts[0]`) for an `amount_off` coupon
/// in another currency than the session's; `coupon_not_applicable`
/// (param `discounts[0]`) when `applies_to` covers no line.
pub(crate) fn apply<'a>(
    redemption: Option<Redemption<'a>>,
    priced: &mut PricedSession<'a>,
    mode: RoundingMode,
) -> Result<(), Error> {
    let Some(Redemption {
        coupon,
        promotion_code,
        echo,
    }) = redemption
    else {
        return Ok(());
    };
    if let Off::Amount { currency, .. } = coupon.off
        && priced.currency.is_some_and(|c| c != currency)
    {
        return Err(Error::new(
            ErrorCode::CurrencyMismatch,
            "discounts[0]",
            format!(
                "coupon `{}` takes {} off but the session is in {}",
                coupon.coupon.id,
                currency.code(),
                priced.currency.map_or("no currency", |c| c.code()),
            ),
        ));
    }
    let overflow = || Error::internal("the discount overflowed exact arithmetic");
    // One pass for B, with the eligible bases kept on the stack for a
    // session of a few lines (the narrow split's case).
    let mut covered = false;
    let mut eligible = 0u128;
    let mut narrow_weights = [0u64; NARROW_PARTS];
    for (i, line) in priced.lines.iter().enumerate() {
        if coupon.covers(line.product_id) {
            covered = true;
            let weight = line.base.unsigned_abs();
            eligible = eligible
                .checked_add(u128::from(weight))
                .ok_or_else(overflow)?;
            if let Some(slot) = narrow_weights.get_mut(i) {
                *slot = weight;
            }
        }
    }
    if !covered {
        return Err(Error::new(
            ErrorCode::CouponNotApplicable,
            "discounts[0]",
            format!(
                "coupon `{}` applies to none of the session's products",
                coupon.coupon.id
            ),
        ));
    }
    let discount = match coupon.off {
        // B x digits < 9.3e18 x 1e19 < 2^128 (see MAX_PERCENT_DECIMALS).
        Off::Fraction { num, den } => {
            round_ratio(eligible.checked_mul(num).ok_or_else(overflow)?, den, mode)
                .ok_or_else(overflow)?
        }
        Off::Amount { amount, .. } => eligible.min(u128::from(amount.unsigned_abs())),
    };
    let count = priced.lines.len();
    let mut narrow_shares = [0u64; NARROW_PARTS];
    let narrow = match (
        u64::try_from(discount),
        narrow_weights.get(..count),
        narrow_shares.get_mut(..count),
    ) {
        (Ok(total), Some(weights), Some(shares)) => {
            allocate_narrow(total, weights, shares).map(|()| &*shares)
        }
        _ => None,
    };
    if let Some(shares) = narrow {
        for (line, share) in priced.lines.iter_mut().zip(shares) {
            line.discount = i64::try_from(*share).map_err(|_| overflow())?;
        }
    } else {
        // The definition, in 128-bit arithmetic, for any session.
        let weights: SmallVec<[u128; 8]> = priced
            .lines
            .iter()
            .map(|line| {
                if coupon.covers(line.product_id) {
                    u128::from(line.base.unsigned_abs())
                } else {
                    0
                }
            })
            .collect();
        let mut shares: SmallVec<[u128; 8]> = SmallVec::from_elem(0, count);
        allocate(discount, &weights, &mut shares).ok_or_else(overflow)?;
        for (line, share) in priced.lines.iter_mut().zip(&shares) {
            line.discount = i64::try_from(*share).map_err(|_| overflow())?;
        }
    }
    let amount = i64::try_from(discount).map_err(|_| overflow())?;
    priced.discount = amount;
    priced.redeemed = Some(Redeemed {
        coupon: &coupon.coupon.id,
        promotion_code,
        amount,
        echo,
    });
    Ok(())
}
