//! An independent, deliberately plain implementation of the spec's "Amounts"
//! rules, used as the oracle of the differential property tests.
//!
//! It shares no code with the crate: rates are parsed from their text into
//! exact fractions (lowest terms, `u128`), rounding and the largest-remainder
//! allocations are written out here from the spec's wording, and component
//! selection (date filter, category row over `*` row, data order) is redone
//! from the rows. Speed does not matter; being obviously right does.

use std::cmp::Ordering;

/// Where the tax sits relative to the price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Regime {
    /// Added on top: total = subtotal + tax.
    Exclusive,
    /// Contained in the price: total = subtotal.
    Inclusive,
}

/// How a half is rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Half away from zero (amounts are non-negative: half up).
    HalfUp,
    /// Half to the even neighbour.
    HalfEven,
}

/// Where tax is rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Per line and component.
    Line,
    /// Once per group of lines sharing the same components.
    Document,
}

/// A non-negative fraction in lowest terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Frac {
    /// Numerator.
    pub num: u128,
    /// Denominator, never zero.
    pub den: u128,
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a
}

fn lcm(a: u128, b: u128) -> u128 {
    a / gcd(a, b) * b
}

impl Frac {
    /// Zero.
    pub const ZERO: Frac = Frac { num: 0, den: 1 };

    /// `num / den` in lowest terms.
    pub fn new(num: u128, den: u128) -> Frac {
        assert!(den != 0, "zero denominator");
        let g = gcd(num, den).max(1);
        Frac {
            num: num / g,
            den: den / g,
        }
    }

    /// The sum of two fractions.
    pub fn add(self, other: Frac) -> Frac {
        let den = lcm(self.den, other.den);
        Frac::new(
            self.num * (den / self.den) + other.num * (den / other.den),
            den,
        )
    }

    /// A percentage as the data writes it (`19`, `9.975`, `5.50`), as a
    /// fraction of one (`9.975` -> 9975/100000). `None` for anything else.
    pub fn from_percent_text(text: &str) -> Option<Frac> {
        let (int, frac) = text.split_once('.').unwrap_or((text, ""));
        if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if !frac.bytes().all(|b| b.is_ascii_digit()) || (text.contains('.') && frac.is_empty()) {
            return None;
        }
        let digits = format!("{int}{frac}");
        let num: u128 = digits.parse().ok()?;
        let den = 10u128.checked_pow(u32::try_from(frac.len()).ok()?)? * 100;
        Some(Frac::new(num, den))
    }

    /// The exact value as a float, for messages only.
    pub fn approx(self) -> f64 {
        self.num as f64 / self.den as f64
    }
}

/// `num / den` rounded to a whole number under `mode`.
pub fn round(num: u128, den: u128, mode: Mode) -> u128 {
    let quotient = num / den;
    let remainder = num % den;
    match (2 * remainder).cmp(&den) {
        Ordering::Less => quotient,
        Ordering::Greater => quotient + 1,
        Ordering::Equal => match mode {
            Mode::HalfUp => quotient + 1,
            Mode::HalfEven => quotient + quotient % 2,
        },
    }
}

/// Splits `total` in proportion to `weights`: the floor of each exact share,
/// then the units left one each to the largest remainders, ties to the
/// earlier index. Written as "sort by remainder" rather than a loop, so it
/// does not mirror the crate's code.
pub fn largest_remainder(total: u128, weights: &[u128]) -> Vec<u128> {
    let sum: u128 = weights.iter().sum();
    if sum == 0 {
        assert_eq!(total, 0, "a non-zero total over zero weights");
        return vec![0; weights.len()];
    }
    let exact: Vec<u128> = weights
        .iter()
        .map(|w| total.checked_mul(*w).expect("reference overflow"))
        .collect();
    let mut parts: Vec<u128> = exact.iter().map(|e| e / sum).collect();
    let given: u128 = parts.iter().sum();
    let left = usize::try_from(total - given).expect("fewer units left than parts");
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|a, b| (exact[*b] % sum).cmp(&(exact[*a] % sum)).then(a.cmp(b)));
    for i in order.into_iter().take(left) {
        parts[i] += 1;
    }
    parts
}

/// One row of a tax table, as the test wrote it.
#[derive(Debug, Clone)]
pub struct Row {
    /// Line in the CSV file (the header is line 1).
    pub line: usize,
    /// `DE`, `US-WA`.
    pub jurisdiction: String,
    /// Tax name.
    pub name: String,
    /// `*` or a category.
    pub category: String,
    /// The rate as written (`9.975`).
    pub rate: String,
    /// `YYYY-MM-DD` or empty (open).
    pub valid_from: String,
    /// `YYYY-MM-DD` or empty (open).
    pub valid_to: String,
}

impl Row {
    /// In force on `date` (ISO dates compare as strings).
    fn in_force(&self, date: &str) -> bool {
        (self.valid_from.is_empty() || self.valid_from.as_str() <= date)
            && (self.valid_to.is_empty() || date < self.valid_to.as_str())
    }
}

/// One tax component of a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    /// Tax name.
    pub name: String,
    /// Rate as a fraction of one.
    pub rate: Frac,
    /// Line of the row in the data.
    pub row: usize,
}

/// The components of a line of `category` in `jurisdiction` on `date`: per
/// tax name, its category row in force, else its `*` row in force; in the
/// order of their rows in the data.
pub fn components(rows: &[Row], jurisdiction: &str, category: &str, date: &str) -> Vec<Component> {
    let mine: Vec<&Row> = rows
        .iter()
        .filter(|r| r.jurisdiction == jurisdiction && r.in_force(date))
        .collect();
    let mut names: Vec<&str> = mine.iter().map(|r| r.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let mut out: Vec<Component> = names
        .into_iter()
        .filter_map(|name| {
            let of_name = |cat: &str| {
                mine.iter()
                    .find(|r| r.name == name && r.category == cat)
                    .copied()
            };
            of_name(category)
                .or_else(|| of_name("*"))
                .map(|r| Component {
                    name: r.name.clone(),
                    rate: Frac::from_percent_text(&r.rate).expect("the test writes valid rates"),
                    row: r.line,
                })
        })
        .collect();
    out.sort_by_key(|c| c.row);
    out
}

/// One line: its base (unit amount x quantity, exact) and its components.
#[derive(Debug, Clone)]
pub struct Line {
    /// unit amount x quantity.
    pub base: u128,
    /// In data order.
    pub components: Vec<Component>,
}

/// The amounts of one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineAmounts {
    /// The base.
    pub subtotal: u128,
    /// Sum of `taxes`.
    pub tax: u128,
    /// subtotal + tax (exclusive) or subtotal (inclusive).
    pub total: u128,
    /// (name, amount) per component, in the line's component order.
    pub taxes: Vec<(String, u128)>,
}

/// The session's amounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amounts {
    /// Sum of the bases.
    pub subtotal: u128,
    /// Sum of the line taxes.
    pub tax: u128,
    /// Sum of the line totals.
    pub total: u128,
    /// Per line.
    pub lines: Vec<LineAmounts>,
}

/// Some amount of the answer does not fit in int64.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLarge;

/// Tax of a single base under line rounding, per component in the given
/// order (the order decides the inclusive split's ties).
pub fn single(base: u128, comps: &[Component], regime: Regime, mode: Mode) -> Vec<u128> {
    match regime {
        Regime::Exclusive => comps
            .iter()
            .map(|c| round(base * c.rate.num, c.rate.den, mode))
            .collect(),
        Regime::Inclusive => {
            let combined = comps.iter().fold(Frac::ZERO, |a, c| a.add(c.rate));
            // base x R / (1 + R) with R = n/d is base x n / (d + n).
            let included = round(base * combined.num, combined.den + combined.num, mode);
            let common = comps.iter().fold(1, |a, c| lcm(a, c.rate.den));
            let weights: Vec<u128> = comps
                .iter()
                .map(|c| c.rate.num * (common / c.rate.den))
                .collect();
            largest_remainder(included, &weights)
        }
    }
}

/// The spec's amounts for a session, or `TooLarge` when any amount of the
/// answer would not fit in int64.
pub fn quote(
    lines: &[Line],
    regime: Regime,
    mode: Mode,
    level: Level,
) -> Result<Amounts, TooLarge> {
    let max = i64::MAX as u128;
    let fits = |v: u128| if v <= max { Ok(v) } else { Err(TooLarge) };
    for line in lines {
        fits(line.base)?;
    }
    fits(lines.iter().map(|l| l.base).sum())?;

    let taxes: Vec<Vec<u128>> = match level {
        Level::Line => lines
            .iter()
            .map(|l| single(l.base, &l.components, regime, mode))
            .collect(),
        Level::Document => document(lines, regime, mode),
    };

    let mut out = Amounts {
        subtotal: 0,
        tax: 0,
        total: 0,
        lines: Vec::new(),
    };
    for (line, amounts) in lines.iter().zip(taxes) {
        for a in &amounts {
            fits(*a)?;
        }
        let tax = fits(amounts.iter().sum())?;
        let total = match regime {
            Regime::Exclusive => fits(line.base + tax)?,
            Regime::Inclusive => line.base,
        };
        out.subtotal += line.base;
        out.tax += tax;
        out.total += total;
        out.lines.push(LineAmounts {
            subtotal: line.base,
            tax,
            total,
            taxes: line
                .components
                .iter()
                .map(|c| c.name.clone())
                .zip(amounts)
                .collect(),
        });
    }
    fits(out.subtotal)?;
    fits(out.tax)?;
    fits(out.total)?;
    Ok(out)
}

/// The set of (name, rate numerator, rate denominator) of a line, sorted.
type GroupKey = Vec<(String, u128, u128)>;

/// The set of (name, rate) of a line, as a sorted list.
fn group_key(comps: &[Component]) -> GroupKey {
    let mut key: GroupKey = comps
        .iter()
        .map(|c| (c.name.clone(), c.rate.num, c.rate.den))
        .collect();
    key.sort();
    key
}

/// Document rounding, per the spec: group lines by their set of components;
/// per group, the tax of one line whose base is the group's sum (component
/// order of the group's first line); each component's amount allocated to
/// the group's lines by base, largest remainder, ties to the earlier line.
fn document(lines: &[Line], regime: Regime, mode: Mode) -> Vec<Vec<u128>> {
    let mut out: Vec<Vec<u128>> = lines.iter().map(|l| vec![0; l.components.len()]).collect();
    let mut groups: Vec<(GroupKey, Vec<usize>)> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let key = group_key(&line.components);
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, members)) => members.push(i),
            None => groups.push((key, vec![i])),
        }
    }
    for (_, members) in groups {
        let bases: Vec<u128> = members.iter().map(|m| lines[*m].base).collect();
        let lead = &lines[members[0]].components;
        let group_tax = single(bases.iter().sum(), lead, regime, mode);
        for (component, amount) in lead.iter().zip(group_tax) {
            let shares = largest_remainder(amount, &bases);
            for (m, share) in members.iter().zip(shares) {
                let slot = lines[*m]
                    .components
                    .iter()
                    .position(|c| c.name == component.name && c.rate == component.rate)
                    .expect("a group's lines share their components");
                out[*m][slot] = share;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_reproduces_the_published_example() {
        let comps = vec![
            Component {
                name: "State".into(),
                rate: Frac::from_percent_text("6.5").unwrap(),
                row: 2,
            },
            Component {
                name: "County".into(),
                rate: Frac::from_percent_text("2.5").unwrap(),
                row: 3,
            },
        ];
        let lines: Vec<Line> = [4080, 198, 1499]
            .into_iter()
            .map(|base| Line {
                base,
                components: comps.clone(),
            })
            .collect();
        let tax = |level| {
            quote(&lines, Regime::Exclusive, Mode::HalfUp, level)
                .unwrap()
                .tax
        };
        assert_eq!(tax(Level::Line), 519);
        assert_eq!(tax(Level::Document), 520);
    }
}
