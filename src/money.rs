//! Currencies (ISO 4217 through `iso_currency`) and minor-unit amounts.
//!
//! An amount is an `i64` count of the currency's smallest unit (cents for
//! USD, yen for JPY, fils for KWD); all arithmetic on amounts is checked.

pub use iso_currency::Currency;

/// Parses an ISO 4217 code in any case (`usd`, `Usd`, `USD`) without
/// allocating. Codes without a minor unit (XAU, XXX, XDR) are refused, since
/// an amount in them has no smallest unit.
///
/// ```
/// use checkout_tax::money::{parse_currency, Currency};
///
/// assert_eq!(parse_currency("jpy"), Some(Currency::JPY));
/// assert_eq!(parse_currency("XAU"), None);
/// assert_eq!(parse_currency("usdx"), None);
/// ```
pub fn parse_currency(code: &str) -> Option<Currency> {
    let raw: [u8; 3] = code.as_bytes().try_into().ok()?;
    let upper = raw.map(|b| b.to_ascii_uppercase());
    let currency = Currency::from_code(std::str::from_utf8(&upper).ok()?)?;
    currency.exponent()?;
    Some(currency)
}

/// The number of decimals of the currency's minor unit (2 for USD, 0 for
/// JPY, 3 for KWD).
pub fn exponent(currency: Currency) -> u32 {
    // `parse_currency` only lets through currencies that have an exponent.
    currency.exponent().map_or(0, u32::from)
}

/// Formats a minor-unit amount in the currency's own decimals with thousands
/// separators: `9.99 USD`, `1,000 JPY`, `1.000 KWD`.
///
/// ```
/// use checkout_tax::money::{format_amount, Currency};
///
/// assert_eq!(format_amount(999, Currency::USD), "9.99 USD");
/// assert_eq!(format_amount(100000, Currency::JPY), "100,000 JPY");
/// assert_eq!(format_amount(1000, Currency::KWD), "1.000 KWD");
/// assert_eq!(format_amount(-5, Currency::EUR), "-0.05 EUR");
/// ```
pub fn format_amount(amount: i64, currency: Currency) -> String {
    // Display code, not arithmetic on money: the digits are split as text.
    let digits = amount.unsigned_abs().to_string();
    let exp = exponent(currency) as usize;
    let padded = format!("{digits:0>width$}", width = exp.saturating_add(1));
    let (int_part, frac_part) = padded.split_at(padded.len().saturating_sub(exp));
    let mut grouped = String::with_capacity(padded.len().saturating_mul(2));
    let int_len = int_part.len();
    for (i, c) in int_part.chars().enumerate() {
        if i > 0 && int_len.saturating_sub(i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if amount < 0 { "-" } else { "" };
    if exp == 0 {
        format!("{sign}{grouped} {}", currency.code())
    } else {
        format!("{sign}{grouped}.{frac_part} {}", currency.code())
    }
}
