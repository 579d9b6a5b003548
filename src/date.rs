//! Dates: the one parser of `YYYY-MM-DD`, used for `--at`, the service's
//! `?at=`, and the tax table's `valid_from` / `valid_to`.

use crate::error::{Error, ErrorCode};
use jiff::civil::Date;

/// Parses a `YYYY-MM-DD` date (and nothing else: no time, no other form),
/// as `--at` and `?at=` take it.
///
/// ```
/// let date = checkout_tax::parse_date("2025-01-31")?;
/// assert_eq!(date.to_string(), "2025-01-31");
/// let err = checkout_tax::parse_date("2025-1-31").unwrap_err();
/// assert_eq!((err.code().as_str(), err.param()), ("invalid_date", Some("at")));
/// # Ok::<(), checkout_tax::Error>(())
/// ```
///
/// # Errors
/// `invalid_date` (param `at`) for anything but a real calendar date in
/// that form.
pub fn parse_date(text: &str) -> Result<Date, Error> {
    parse_ymd(text).ok_or_else(|| {
        Error::new(
            ErrorCode::InvalidDate,
            "at",
            format!("`{text}` is not a date of the form YYYY-MM-DD"),
        )
    })
}

/// A `YYYY-MM-DD` calendar date and nothing else.
pub(crate) fn parse_ymd(text: &str) -> Option<Date> {
    let b = text.as_bytes();
    let shape_ok = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    if !shape_ok {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::parse_ymd;

    #[test]
    fn only_the_strict_form() {
        assert!(parse_ymd("2024-02-29").is_some());
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-1-01",
            "20240101",
            "2024-01-01T00:00",
            " 2024-01-01",
            "",
        ] {
            assert!(parse_ymd(bad).is_none(), "{bad}");
        }
    }
}
