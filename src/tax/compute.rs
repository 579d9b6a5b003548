//! Priced lines + rates -> taxed lines: the tax of each line and
//! component under the merchant's rounding level and mode. All arithmetic
//! is exact integer arithmetic on `u128`; amounts become `i64` again here,
//! checked, so a taxed line's amounts are final.

use super::status::TaxDecision;
use super::table::JurisdictionRates;
use super::timeline::Component;
use super::{Rate, Regime};
use crate::error::{Error, ErrorCode};
use crate::pricing::PricedLine;
use crate::rounding::{
    NARROW_PARTS, RoundingLevel, RoundingMode, allocate, allocate_narrow, round_ratio,
};
use jiff::civil::Date;
use smallvec::SmallVec;

/// The tax amounts of one line, aligned with its components, before they
/// are checked into int64.
pub(crate) type LineAmounts = SmallVec<[u128; 4]>;

/// A session's taxed lines: inline up to four, like the priced ones.
pub(crate) type TaxedLines<'t> = SmallVec<[TaxedLine<'t>; 4]>;

/// A line's tax: its components and the amount of each (aligned), their
/// sum, what the rates applied to, and the line's total, all checked into
/// int64. Small, since every line's passes through the pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TaxedLine<'t> {
    pub(crate) components: &'t [Component],
    pub(crate) amounts: SmallVec<[i64; 2]>,
    pub(crate) tax: i64,
    /// What the rates applied to: the net (base - discount) when
    /// exclusive, the net without the tax inside it when inclusive.
    pub(crate) taxable: i64,
    /// With net = base - discount: net + tax (exclusive) or net (inclusive).
    pub(crate) total: i64,
}

/// Taxes every priced line with the decision's rates on `date` (no tax
/// without rates), under the merchant's rounding, into `taxed` (empty, the
/// caller's: the lines are written where they will be read).
///
/// # Errors
/// `amount_too_large` (param `line_items[i]`) when a line's tax or total
/// does not fit in int64 or the exact arithmetic overflows; `internal` when
/// the stages disagree (a bug).
pub(crate) fn tax_lines<'t>(
    lines: &[PricedLine<'_>],
    decision: &TaxDecision<'t>,
    date: Date,
    level: RoundingLevel,
    mode: RoundingMode,
    taxed: &mut TaxedLines<'t>,
) -> Result<(), Error> {
    let regime = decision.regime();
    taxed.reserve(lines.len());
    let Some(rates) = decision.rates else {
        for (i, line) in lines.iter().enumerate() {
            taxed.push(checked_line(i, net(i, line)?, &[], &[], regime)?);
        }
        return Ok(());
    };
    let overflow = || too_large("line_items", "a tax amount overflowed");
    match level {
        // Each line on its own, allocating nothing per line.
        RoundingLevel::Line => {
            // One buffer for the exact amounts of the lines the fast forms
            // leave to the definition, filled in place.
            let mut exact = LineAmounts::new();
            let mut lookup = CategoryComponents::new(rates, date);
            for (i, line) in lines.iter().enumerate() {
                let net = net(i, line)?;
                let components = lookup.get(line.tax_category);
                let fast = match regime {
                    Regime::Exclusive => Some(exclusive_line(i, net, components, mode)?),
                    Regime::Inclusive => inclusive_line(net, components, mode),
                };
                let line = match fast {
                    Some(line) => line,
                    None => {
                        fill_line_amounts(&mut exact, base_of(net), components, regime, mode)
                            .ok_or_else(overflow)?;
                        checked_line(i, net, components, &exact, regime)?
                    }
                };
                taxed.push(line);
            }
            Ok(())
        }
        // Every line's components are needed before any line's tax.
        RoundingLevel::Document => {
            let mut lookup = CategoryComponents::new(rates, date);
            let components: Vec<&'t [Component]> =
                lines.iter().map(|l| lookup.get(l.tax_category)).collect();
            let nets: Vec<i64> = lines
                .iter()
                .enumerate()
                .map(|(i, l)| net(i, l))
                .collect::<Result<_, _>>()?;
            let bases: Vec<u128> = nets.iter().map(|n| base_of(*n)).collect();
            let amounts =
                document_amounts(&bases, &components, regime, mode).ok_or_else(overflow)?;
            if amounts.len() != lines.len() {
                return Err(Error::internal("tax amounts for another number of lines"));
            }
            for (i, ((net, components), exact)) in
                nets.into_iter().zip(components).zip(amounts).enumerate()
            {
                taxed.push(checked_line(i, net, components, &exact, regime)?);
            }
            Ok(())
        }
    }
}

/// The components of each line's category, looked up once per run of
/// lines of one category (most sessions have one): the look-up is a search
/// of the category's timeline, the memo a comparison of two names.
struct CategoryComponents<'r, 't> {
    rates: JurisdictionRates<'t>,
    date: Date,
    last: Option<(&'r str, &'t [Component])>,
}

impl<'r, 't> CategoryComponents<'r, 't> {
    fn new(rates: JurisdictionRates<'t>, date: Date) -> Self {
        Self {
            rates,
            date,
            last: None,
        }
    }

    fn get(&mut self, category: &'r str) -> &'t [Component] {
        match self.last {
            // The catalog gives one text per category, so the pointers
            // match whenever the names do; the names are the definition.
            Some((name, components)) if std::ptr::eq(name, category) || name == category => {
                components
            }
            _ => {
                let components = self.rates.components(category, self.date);
                self.last = Some((category, components));
                components
            }
        }
    }
}

/// What line `i` is taxed on: its base minus its share of the discount
/// (the discount stage keeps the share within the base).
fn net(i: usize, line: &PricedLine<'_>) -> Result<i64, Error> {
    line.net()
        .filter(|n| *n >= 0)
        .ok_or_else(|| Error::internal(format!("line {i}'s discount exceeds its base")))
}

/// A line's exact amounts checked into int64, with its tax and total;
/// `base` is what the line is taxed on (its base minus its discount).
fn checked_line<'t>(
    i: usize,
    base: i64,
    components: &'t [Component],
    exact: &[u128],
    regime: Regime,
) -> Result<TaxedLine<'t>, Error> {
    if exact.len() != components.len() {
        return Err(Error::internal(
            "tax amounts for another number of components",
        ));
    }
    let mut amounts: SmallVec<[i64; 2]> = SmallVec::with_capacity(exact.len());
    let mut tax: i64 = 0;
    for amount in exact {
        let amount = i64::try_from(*amount).map_err(|_| line_too_large(i))?;
        tax = tax.checked_add(amount).ok_or_else(|| line_too_large(i))?;
        amounts.push(amount);
    }
    // Exclusive: the rate applies to the base; inclusive: to the base
    // without the tax inside it.
    let taxable = match regime {
        Regime::Exclusive => base,
        Regime::Inclusive => base.checked_sub(tax).ok_or_else(|| line_too_large(i))?,
    };
    let total = match regime {
        Regime::Exclusive => base.checked_add(tax).ok_or_else(|| line_too_large(i))?,
        Regime::Inclusive => base,
    };
    Ok(TaxedLine {
        components,
        amounts,
        tax,
        taxable,
        total,
    })
}

/// The fast form of [`fill_line_amounts`] then [`checked_line`] for an
/// exclusive line under line rounding (the everyday case): each component
/// rounded on its own and checked into int64 in one pass, with no buffer of
/// exact amounts. The test `exclusive_line_is_the_plain_definition` holds
/// the two equal.
fn exclusive_line<'t>(
    i: usize,
    base: i64,
    components: &'t [Component],
    mode: RoundingMode,
) -> Result<TaxedLine<'t>, Error> {
    let exact_base = base_of(base);
    let mut amounts: SmallVec<[i64; 2]> = SmallVec::with_capacity(components.len());
    let mut tax: i64 = 0;
    for c in components {
        // A u64 times a u64 always fits in a u128, and Rate::ONE is not 0.
        let exact = exact_base.saturating_mul(u128::from(c.rate.micros()));
        let amount = round_ratio(exact, Rate::ONE, mode)
            .and_then(|a| i64::try_from(a).ok())
            .ok_or_else(|| line_too_large(i))?;
        tax = tax.checked_add(amount).ok_or_else(|| line_too_large(i))?;
        amounts.push(amount);
    }
    Ok(TaxedLine {
        components,
        amounts,
        tax,
        taxable: base,
        total: base.checked_add(tax).ok_or_else(|| line_too_large(i))?,
    })
}

/// The fast form of [`fill_line_amounts`] then [`checked_line`] for an
/// inclusive line under line rounding: the tax inside the price rounded
/// once and split by rate in 64-bit arithmetic on the stack. `None` when it
/// does not apply (more components than it holds, rates that sum to zero, a
/// product past 64 bits); the caller then runs the definition, which
/// decides. The test `inclusive_line_is_the_plain_definition` holds the two
/// equal.
fn inclusive_line(
    base: i64,
    components: &[Component],
    mode: RoundingMode,
) -> Option<TaxedLine<'_>> {
    let mut weights = [0u64; NARROW_PARTS];
    let weights = weights.get_mut(..components.len())?;
    for (weight, c) in weights.iter_mut().zip(components) {
        *weight = c.rate.micros();
    }
    let combined = weights.iter().try_fold(0u64, |a, w| a.checked_add(*w))?;
    let exact = u64::try_from(base).ok()?.checked_mul(combined)?;
    let included = round_ratio(
        u128::from(exact),
        Rate::ONE.checked_add(u128::from(combined))?,
        mode,
    )?;
    let mut parts = [0u64; NARROW_PARTS];
    let parts = parts.get_mut(..components.len())?;
    allocate_narrow(u64::try_from(included).ok()?, weights, parts)?;
    // The parts add up to the included tax, which is at most the base.
    let tax = i64::try_from(included).ok()?;
    let amounts = parts
        .iter()
        .map(|p| i64::try_from(*p).ok())
        .collect::<Option<SmallVec<[i64; 2]>>>()?;
    Some(TaxedLine {
        components,
        amounts,
        tax,
        taxable: base.checked_sub(tax)?,
        total: base,
    })
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

/// Tax of one line under line rounding: each component rounded on its own
/// (exclusive), or the included tax rounded once and split by rate
/// (inclusive). `None` only on arithmetic overflow.
pub(crate) fn line_amounts(
    base: u128,
    components: &[Component],
    regime: Regime,
    mode: RoundingMode,
) -> Option<LineAmounts> {
    let mut out = LineAmounts::new();
    fill_line_amounts(&mut out, base, components, regime, mode)?;
    Some(out)
}

/// [`line_amounts`] into `out` (replacing what it held), so that a loop
/// over lines reuses one buffer instead of moving one out per line.
fn fill_line_amounts(
    out: &mut LineAmounts,
    base: u128,
    components: &[Component],
    regime: Regime,
    mode: RoundingMode,
) -> Option<()> {
    out.clear();
    match regime {
        Regime::Exclusive => {
            for c in components {
                let exact = base.checked_mul(u128::from(c.rate.micros()))?;
                out.push(round_ratio(exact, Rate::ONE, mode)?);
            }
        }
        Regime::Inclusive => {
            let weights: SmallVec<[u128; 4]> = components
                .iter()
                .map(|c| u128::from(c.rate.micros()))
                .collect();
            let combined = weights.iter().try_fold(0u128, |a, w| a.checked_add(*w))?;
            let included = round_ratio(
                base.checked_mul(combined)?,
                Rate::ONE.checked_add(combined)?,
                mode,
            )?;
            out.resize(components.len(), 0);
            allocate(included, &weights, out)?;
        }
    }
    Some(())
}

/// A component's identity for grouping: its tax name and rate.
type Key<'t> = SmallVec<[(&'t str, u64); 4]>;

fn key(components: &[Component]) -> Key<'_> {
    let mut k: Key<'_> = components
        .iter()
        .map(|c| (c.name, c.rate.micros()))
        .collect();
    k.sort_unstable();
    k
}

/// Document rounding: lines sharing a set of components form a group whose
/// tax is computed once on the sum of its bases (with the component order of
/// its first line), then each component's amount is allocated back to the
/// group's lines in proportion to their bases, largest remainder first, ties
/// to the earlier line.
pub(crate) fn document_amounts(
    bases: &[u128],
    components: &[&[Component]],
    regime: Regime,
    mode: RoundingMode,
) -> Option<Vec<LineAmounts>> {
    let mut out: Vec<LineAmounts> = components
        .iter()
        .map(|c| SmallVec::from_elem(0, c.len()))
        .collect();
    let keys: Vec<Key<'_>> = components.iter().map(|c| key(c)).collect();
    let mut done = vec![false; bases.len()];
    for first in 0..bases.len() {
        if *done.get(first)? {
            continue;
        }
        let group_key = keys.get(first)?;
        let members: Vec<usize> = (first..bases.len())
            .filter(|j| keys.get(*j) == Some(group_key))
            .collect();
        let member_bases: Vec<u128> = members
            .iter()
            .map(|j| bases.get(*j).copied())
            .collect::<Option<_>>()?;
        let total_base = member_bases
            .iter()
            .try_fold(0u128, |a, b| a.checked_add(*b))?;
        let lead = components.get(first)?;
        let group_tax = line_amounts(total_base, lead, regime, mode)?;
        let mut shares = vec![0u128; members.len()];
        for (component, amount) in lead.iter().zip(&group_tax) {
            allocate(*amount, &member_bases, &mut shares)?;
            for (j, share) in members.iter().zip(&shares) {
                let comps = components.get(*j)?;
                let slot = comps
                    .iter()
                    .position(|c| c.name == component.name && c.rate == component.rate)?;
                *out.get_mut(*j)?.get_mut(slot)? = *share;
            }
        }
        for j in &members {
            *done.get_mut(*j)? = true;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn comp(name: &str, percent: Decimal, line: u32) -> Component {
        Component {
            name: crate::tax::names::intern(name),
            jurisdiction: crate::Jurisdiction::parse("US-WA").unwrap(),
            reason: super::super::TaxabilityReason::StandardRated,
            rate: Rate::from_percent(percent).unwrap(),
            line,
            id: line,
        }
    }

    /// Components of the given rates (millionths of a percent), in order.
    fn comps_of(micros: &[u64]) -> Vec<Component> {
        micros
            .iter()
            .zip(0u32..)
            .map(|(m, k)| comp("T", Decimal::new(i64::try_from(*m).unwrap(), 6), k))
            .collect()
    }

    fn mode_of(half_even: bool) -> RoundingMode {
        if half_even {
            RoundingMode::HalfEven
        } else {
            RoundingMode::HalfUp
        }
    }

    proptest::proptest! {
        /// The one-pass exclusive line gives what the plain definition
        /// (exact amounts, then checked into int64) gives, errors included.
        #[test]
        fn exclusive_line_is_the_plain_definition(
            base in proptest::prop_oneof![0i64..100_000_000, 0i64..=i64::MAX],
            micros in proptest::collection::vec(0u64..=100_000_000, 0..4),
            half_even: bool,
        ) {
            let (comps, mode) = (comps_of(&micros), mode_of(half_even));
            let plain = line_amounts(base_of(base), &comps, Regime::Exclusive, mode)
                .ok_or(())
                .and_then(|exact| checked_line(3, base, &comps, &exact, Regime::Exclusive).map_err(|_| ()));
            let fast = exclusive_line(3, base, &comps, mode).map_err(|_| ());
            proptest::prop_assert_eq!(fast, plain);
        }

        /// The stack-only inclusive line, wherever it applies, gives what
        /// the plain definition gives.
        #[test]
        fn inclusive_line_is_the_plain_definition(
            base in proptest::prop_oneof![0i64..100_000_000, 0i64..=i64::MAX],
            micros in proptest::collection::vec(
                proptest::prop_oneof![0u64..=100_000_000, proptest::sample::select(vec![0u64, 5_000_000, 9_975_000, 9_000_000])],
                0..10,
            ),
            half_even: bool,
        ) {
            let (comps, mode) = (comps_of(&micros), mode_of(half_even));
            if let Some(fast) = inclusive_line(base, &comps, mode) {
                let exact = line_amounts(base_of(base), &comps, Regime::Inclusive, mode).unwrap();
                let plain = checked_line(3, base, &comps, &exact, Regime::Inclusive).unwrap();
                proptest::prop_assert_eq!(fast, plain);
            }
        }
    }

    #[test]
    fn inclusive_line_applies_to_everyday_lines() {
        let comps = [
            comp("A", Decimal::new(5, 0), 2),
            comp("B", Decimal::new(9975, 3), 3),
        ];
        let line = inclusive_line(1000, &comps, RoundingMode::HalfUp).unwrap();
        assert_eq!(
            (line.amounts.as_slice(), line.tax, line.taxable, line.total),
            (&[43, 87][..], 130, 870, 1000)
        );
    }

    #[test]
    fn inclusive_split_adds_up() {
        let comps = [
            comp("A", Decimal::new(5, 0), 2),
            comp("B", Decimal::new(9975, 3), 3),
        ];
        let amounts = line_amounts(1000, &comps, Regime::Inclusive, RoundingMode::HalfUp).unwrap();
        // 1000 x 14.975 / 114.975 = 130.245...; split 5 : 9.975 = 43.48.. : 86.75..
        assert_eq!(amounts.as_slice(), &[43, 87]);
    }

    #[test]
    fn avalara_document_example() {
        // 6.5% + 2.5% on 40.80, 1.98 and 14.99: 5.19 by line, 5.20 by document.
        let comps = [
            comp("State", Decimal::new(65, 1), 2),
            comp("County", Decimal::new(25, 1), 3),
        ];
        let bases = [4080u128, 198, 1499];
        let all: [&[Component]; 3] = [&comps, &comps, &comps];
        let sum = |v: Vec<LineAmounts>| v.iter().flatten().sum::<u128>();
        let line: Vec<LineAmounts> = bases
            .iter()
            .zip(&all)
            .map(|(b, c)| line_amounts(*b, c, Regime::Exclusive, RoundingMode::HalfUp).unwrap())
            .collect();
        let doc = document_amounts(&bases, &all, Regime::Exclusive, RoundingMode::HalfUp);
        assert_eq!(sum(line), 519);
        assert_eq!(sum(doc.unwrap()), 520);
    }
}
