//! Rounding policy, and the only two places that turn exact fractions into
//! minor units: `round_ratio` and `allocate`.
//!
//! Amounts and rates are non-negative, so every quantity here is unsigned.
//! Tax amounts are exact rationals (`base x rate / (100 + rate)` is not a
//! terminating decimal), so rounding works on the exact numerator and
//! denominator instead of on a 28-digit `Decimal` approximation: no double
//! rounding can move a half-way case.

use crate::names::named_enum;

named_enum! {
    /// How a tax amount that falls between two minor units is rounded.
    /// `half-up` and `half-even` are accepted as aliases.
    ///
    /// ```
    /// use checkout_tax::RoundingMode;
    ///
    /// // 1.5 cents and 2.5 cents:
    /// assert_eq!(RoundingMode::HalfUp.round_ratio(3, 2), Some(2));
    /// assert_eq!(RoundingMode::HalfUp.round_ratio(5, 2), Some(3));
    /// assert_eq!(RoundingMode::HalfEven.round_ratio(3, 2), Some(2));
    /// assert_eq!(RoundingMode::HalfEven.round_ratio(5, 2), Some(2));
    /// ```
    #[derive(Default)]
    #[non_exhaustive]
    "rounding mode"
    pub enum RoundingMode {
        /// Half away from zero (the default): 0.5 -> 1, 1.5 -> 2, 2.5 -> 3.
        #[default]
        HalfUp => "half_up" | "half-up",
        /// Half to even, "banker's rounding": 0.5 -> 0, 1.5 -> 2, 2.5 -> 2.
        HalfEven => "half_even" | "half-even",
    }
}

named_enum! {
    /// Where tax is rounded.
    ///
    /// With 6.5% + 2.5% on 40.80, 1.98 and 14.99 USD (Avalara's published
    /// example), `Line` gives 5.19 of tax and `Document` gives 5.20.
    #[derive(Default)]
    #[non_exhaustive]
    "rounding level"
    pub enum RoundingLevel {
        /// Each component of each line is rounded on its own (the default).
        #[default]
        Line => "line",
        /// Tax is rounded once per group of lines sharing the same components,
        /// then allocated back to the lines by largest remainder.
        Document => "document",
    }
}

impl RoundingMode {
    /// `num / den` rounded to a whole number under this mode; `None` when
    /// `den` is zero.
    pub fn round_ratio(self, num: u128, den: u128) -> Option<u128> {
        round_ratio(num, den, self)
    }
}

/// `num / den` rounded to a whole number; `None` when `den` is zero.
pub(crate) fn round_ratio(num: u128, den: u128, mode: RoundingMode) -> Option<u128> {
    // 64-bit division is several times faster than 128-bit, and everyday
    // amounts (base x rate below 1.8e19) fit.
    let (quotient, remainder) = match (u64::try_from(num), u64::try_from(den)) {
        (Ok(n), Ok(d)) => (u128::from(n.checked_div(d)?), u128::from(n.checked_rem(d)?)),
        _ => (num.checked_div(den)?, num.checked_rem(den)?),
    };
    // Compare 2r with d without overflowing: 2r >= d  <=>  r >= d - r.
    let rest = den.checked_sub(remainder)?;
    let up = remainder > rest
        || (remainder == rest
            && match mode {
                RoundingMode::HalfUp => true,
                RoundingMode::HalfEven => quotient & 1 == 1,
            });
    quotient.checked_add(u128::from(up))
}

/// Splits `total` into `out.len()` parts in proportion to `weights`: each
/// part gets the floor of its exact share, and the units left go one each to
/// the largest remainders, ties to the earlier index. The parts add up to
/// `total` exactly.
///
/// `None` when the weights sum to zero while `total` is not zero, when the
/// slices differ in length, or on overflow (impossible for int64 amounts and
/// rates up to 100%).
pub(crate) fn allocate(total: u128, weights: &[u128], out: &mut [u128]) -> Option<()> {
    if weights.len() != out.len() {
        return None;
    }
    let sum = weights
        .iter()
        .try_fold(0u128, |acc, w| acc.checked_add(*w))?;
    if sum == 0 {
        out.fill(0);
        return if total == 0 { Some(()) } else { None };
    }
    let mut given = 0u128;
    let mut remainders: smallvec::SmallVec<[u128; 8]> = smallvec::SmallVec::new();
    // 64-bit division is several times faster than 128-bit; every product
    // total x weight fits when total x sum does (the everyday case).
    let narrow = u64::try_from(sum)
        .ok()
        .zip(u64::try_from(total).ok())
        .filter(|(s, t)| t.checked_mul(*s).is_some());
    if let Some((sum, total)) = narrow {
        for (weight, part) in weights.iter().zip(out.iter_mut()) {
            let exact = total.checked_mul(u64::try_from(*weight).ok()?)?;
            *part = u128::from(exact.checked_div(sum)?);
            given = given.checked_add(*part)?;
            remainders.push(u128::from(exact.checked_rem(sum)?));
        }
    } else {
        for (weight, part) in weights.iter().zip(out.iter_mut()) {
            let exact = total.checked_mul(*weight)?;
            *part = exact.checked_div(sum)?;
            given = given.checked_add(*part)?;
            remainders.push(exact.checked_rem(sum)?);
        }
    }
    let left = usize::try_from(total.checked_sub(given)?).ok()?;
    hand_out(left, &mut remainders, out, |p| p.checked_add(1))
}

/// Most parts [`allocate_narrow`] splits into: a session's lines, mostly.
pub(crate) const NARROW_PARTS: usize = 8;

/// [`allocate`] in 64-bit arithmetic on the stack, for at most
/// [`NARROW_PARTS`] parts whose `total x sum` fits in 64 bits (every
/// everyday session). It never refuses: `None` when it does not apply (more
/// parts, a product that does not fit, weights summing to zero, slices of
/// different lengths), and the caller then runs [`allocate`], the
/// definition, which decides. A property test holds the two equal.
pub(crate) fn allocate_narrow(total: u64, weights: &[u64], out: &mut [u64]) -> Option<()> {
    if weights.len() != out.len() || weights.len() > NARROW_PARTS {
        return None;
    }
    let sum = weights
        .iter()
        .try_fold(0u64, |acc, w| acc.checked_add(*w))?;
    // total x weight <= total x sum for every weight.
    total.checked_mul(sum).filter(|_| sum > 0)?;
    let mut buffer = [0u64; NARROW_PARTS];
    let remainders = buffer.get_mut(..weights.len())?;
    let mut given = 0u64;
    for ((weight, part), rest) in weights
        .iter()
        .zip(out.iter_mut())
        .zip(remainders.iter_mut())
    {
        let exact = total.checked_mul(*weight)?;
        *part = exact.checked_div(sum)?;
        *rest = exact.checked_rem(sum)?;
        given = given.checked_add(*part)?;
    }
    let left = usize::try_from(total.checked_sub(given)?).ok()?;
    hand_out(left, remainders, out, |p| p.checked_add(1))
}

/// The largest-remainder step of both allocations: `left` (below the
/// number of parts) units, one each to the largest remainder not yet
/// served, the first one on ties.
fn hand_out<T: Copy + Ord + Default>(
    left: usize,
    remainders: &mut [T],
    out: &mut [T],
    bump: impl Fn(T) -> Option<T>,
) -> Option<()> {
    let zero = T::default();
    for _ in 0..left {
        let mut best: Option<(usize, T)> = None;
        for (i, r) in remainders.iter().enumerate() {
            if *r > zero && best.is_none_or(|(_, b)| *r > b) {
                best = Some((i, *r));
            }
        }
        let (i, _) = best?;
        let part = out.get_mut(i)?;
        *part = bump(*part)?;
        *remainders.get_mut(i)? = zero;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Weights of a few parts: zeros, tiny ones (equal remainders, so the
    /// ties rule is tested), amounts, amounts near int64's top (so that
    /// some products overflow 64 bits and the narrow form declines).
    fn weights() -> impl Strategy<Value = Vec<u64>> {
        proptest::collection::vec(
            prop_oneof![
                2 => Just(0u64),
                4 => 1u64..4,
                4 => 0u64..100_000,
                1 => any::<u64>(),
            ],
            0..=NARROW_PARTS + 1,
        )
    }

    proptest! {
        /// What the narrow form splits, the definition splits the same
        /// way; and it does split the everyday case.
        #[test]
        fn narrow_allocation_agrees_with_allocate(
            total in prop_oneof![3 => 0u64..20, 3 => 0u64..100_000, 1 => any::<u64>()],
            weights in weights(),
        ) {
            let mut narrow = vec![0u64; weights.len()];
            let wide_weights: Vec<u128> = weights.iter().map(|w| u128::from(*w)).collect();
            let mut wide = vec![0u128; weights.len()];
            let defined = allocate(u128::from(total), &wide_weights, &mut wide);
            match allocate_narrow(total, &weights, &mut narrow) {
                Some(()) => {
                    prop_assert_eq!(defined, Some(()));
                    let narrow: Vec<u128> = narrow.iter().map(|p| u128::from(*p)).collect();
                    prop_assert_eq!(narrow, wide);
                }
                None => {
                    let sum = weights.iter().try_fold(0u64, |a, w| a.checked_add(*w));
                    let fits = sum.is_some_and(|s| s > 0 && total.checked_mul(s).is_some());
                    prop_assert!(!fits || weights.len() > NARROW_PARTS, "declined {total} {weights:?}");
                }
            }
        }
    }

    #[test]
    fn half_up_rounds_half_away_from_zero() {
        assert_eq!(round_ratio(15, 10, RoundingMode::HalfUp), Some(2));
        assert_eq!(round_ratio(25, 10, RoundingMode::HalfUp), Some(3));
        assert_eq!(round_ratio(24, 10, RoundingMode::HalfUp), Some(2));
        assert_eq!(round_ratio(0, 10, RoundingMode::HalfUp), Some(0));
    }

    #[test]
    fn half_even_rounds_half_to_even() {
        assert_eq!(round_ratio(15, 10, RoundingMode::HalfEven), Some(2));
        assert_eq!(round_ratio(25, 10, RoundingMode::HalfEven), Some(2));
        assert_eq!(round_ratio(26, 10, RoundingMode::HalfEven), Some(3));
        assert_eq!(round_ratio(5, 10, RoundingMode::HalfEven), Some(0));
    }

    #[test]
    fn zero_denominator_is_none() {
        assert_eq!(round_ratio(1, 0, RoundingMode::HalfUp), None);
    }

    #[test]
    fn allocation_gives_left_units_to_largest_remainders_then_earlier() {
        let mut out = [0u128; 3];
        allocate(10, &[1, 1, 1], &mut out).unwrap();
        assert_eq!(out, [4, 3, 3]);
        allocate(100, &[10, 20, 30], &mut out).unwrap();
        assert_eq!(out, [17, 33, 50]);
        allocate(0, &[0, 0, 0], &mut out).unwrap();
        assert_eq!(out, [0, 0, 0]);
        // Past 64 bits: the same rule in 128-bit arithmetic.
        let total = u128::from(u64::MAX) - 1;
        allocate(total, &[1, 1, 1], &mut out).unwrap();
        assert_eq!(out, [total / 3 + 1, total / 3 + 1, total / 3]);
        assert_eq!(allocate(1, &[0, 0, 0], &mut out), None);
    }
}
