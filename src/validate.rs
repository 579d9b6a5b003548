//! The request's top-level rules: required line items, string limits, the
//! shape of emails and URLs, and the buyer's location.

use crate::error::{Error, ErrorCode};
use crate::jurisdiction::{BuyerLocation, Jurisdiction, buyer_location};
use crate::request::{Mode, SessionRequest, limits};

/// Checks the top-level fields, in the order of the spec's table, and
/// returns the buyer's location (`None` when no country was given).
pub(crate) fn top_level(request: &SessionRequest<'_>) -> Result<Option<Jurisdiction>, Error> {
    match request.mode {
        Mode::Setup if !request.line_items.is_empty() => {
            return Err(Error::new(
                ErrorCode::LineItemsNotAllowed,
                "line_items",
                "a setup session takes no line items",
            ));
        }
        Mode::Payment | Mode::Subscription if request.line_items.is_empty() => {
            return Err(Error::new(
                ErrorCode::MissingLineItems,
                "line_items",
                format!(
                    "a {} session needs at least one line item",
                    request.mode.as_str()
                ),
            ));
        }
        _ => {}
    }
    if request.line_items.len() > limits::MAX_LINE_ITEMS {
        return Err(Error::new(
            ErrorCode::LimitExceeded,
            "line_items",
            format!("more than {} line items", limits::MAX_LINE_ITEMS),
        ));
    }
    if let Some(email) = &request.customer_email {
        check_length("customer_email", email, limits::MAX_EMAIL_BYTES)?;
        if !looks_like_email(email) {
            return Err(Error::new(
                ErrorCode::InvalidEmail,
                "customer_email",
                format!("`{email}` does not look like an email address"),
            ));
        }
    }
    for (field, url) in [
        ("success_url", &request.success_url),
        ("cancel_url", &request.cancel_url),
    ] {
        if let Some(url) = url {
            check_length(field, url, limits::MAX_URL_BYTES)?;
            if !is_absolute_http_url(url) {
                return Err(Error::new(
                    ErrorCode::InvalidUrl,
                    field,
                    format!("`{url}` is not an absolute http(s) URL"),
                ));
            }
        }
    }
    let location = location(
        request.buyer_country.as_deref(),
        request.buyer_region.as_deref(),
    )?;
    if let Some(reference) = &request.client_reference_id {
        check_length(
            "client_reference_id",
            reference,
            limits::MAX_REFERENCE_BYTES,
        )?;
    }
    Ok(location)
}

/// The buyer's jurisdiction from `buyer_country` and `buyer_region`. A
/// region in the `US-CA` form without a country names the country itself.
fn location(country: Option<&str>, region: Option<&str>) -> Result<Option<Jurisdiction>, Error> {
    let bad_region = |r: &str| {
        Error::new(
            ErrorCode::InvalidRegion,
            "buyer_region",
            format!(
                "`{r}` is not a subdivision code of the buyer's country (want `CA` or `US-CA`)"
            ),
        )
    };
    let Some(country) = country else {
        // The spec: without `buyer_country` the session is quoted and tax
        // waits for the location (`requires_location`), whatever the region
        // says; a region is still checked for its shape.
        return match region {
            Some(r) if !region_shape_ok(r) => Err(bad_region(r)),
            _ => Ok(None),
        };
    };
    match buyer_location(country, region) {
        BuyerLocation::Known(j) => Ok(Some(j)),
        BuyerLocation::BadCountry => Err(Error::new(
            ErrorCode::InvalidCountry,
            "buyer_country",
            format!("`{country}` is not an ISO 3166-1 alpha-2 country code"),
        )),
        BuyerLocation::BadRegion => Err(bad_region(region.unwrap_or_default())),
    }
}

/// `CA` (1 to 3 letters or digits) or `US-CA` (a country and such a code).
fn region_shape_ok(region: &str) -> bool {
    match region.split_once('-') {
        Some(_) => Jurisdiction::parse(region).is_some_and(Jurisdiction::is_region),
        None => {
            (1..=3).contains(&region.len()) && region.bytes().all(|b| b.is_ascii_alphanumeric())
        }
    }
}

/// Refuses a string longer than `max` bytes with `limit_exceeded`.
pub(crate) fn check_length(param: &str, value: &str, max: usize) -> Result<(), Error> {
    if value.len() > max {
        return Err(Error::new(
            ErrorCode::LimitExceeded,
            param,
            format!("`{param}` is {} bytes; the limit is {max}", value.len()),
        ));
    }
    Ok(())
}

/// `local@domain.tld`: one `@`, a local part of printable characters, and a
/// domain of at least two dot-separated labels of letters, digits and `-`.
pub(crate) fn looks_like_email(email: &str) -> bool {
    if email.is_ascii() {
        return ascii_email(email.as_bytes());
    }
    general_email(email)
}

/// [`looks_like_email`] for any input.
fn general_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.as_bytes().windows(2).any(|w| w == b"..")
        && all_chars(local, |c| !b"@\"(),:;<>[\\]".contains(&c));
    local_ok && domain.as_bytes().contains(&b'.') && is_domain(domain)
}

/// [`looks_like_email`] for ASCII input, in one pass without searching.
fn ascii_email(email: &[u8]) -> bool {
    let Some(at) = email.iter().position(|b| *b == b'@') else {
        return false;
    };
    let (local, domain) = email.split_at(at);
    let domain = domain.get(1..).unwrap_or_default();
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local.first() != Some(&b'.')
        && local.last() != Some(&b'.')
        && local.iter().copied().all(local_part_byte)
        && !local.windows(2).any(|w| w == b"..");
    local_ok && ascii_domain(domain, true)
}

/// A printable ASCII byte other than the specials an address's local part
/// may not hold unquoted (one range test and one bit test, no search).
fn local_part_byte(b: u8) -> bool {
    matches!(b, b'!'..=b'~')
        && !matches!(
            b,
            b'@' | b'"' | b'(' | b')' | b',' | b':' | b';' | b'<' | b'>' | b'[' | b'\\' | b']'
        )
}

/// Dot-separated labels of letters, digits and `-` (not at a label's ends),
/// at least two labels when `needs_dot`.
fn ascii_domain(domain: &[u8], needs_dot: bool) -> bool {
    if domain.is_empty() || domain.len() > 253 {
        return false;
    }
    let mut label_len = 0usize;
    let mut previous = b'.';
    let mut dots = 0usize;
    for b in domain {
        match b {
            b'.' => {
                if label_len == 0 || previous == b'-' {
                    return false;
                }
                label_len = 0;
                dots = dots.saturating_add(1);
            }
            b'-' if label_len == 0 => return false,
            b if b.is_ascii_alphanumeric() || *b == b'-' => {
                label_len = label_len.saturating_add(1);
                if label_len > 63 {
                    return false;
                }
            }
            _ => return false,
        }
        previous = *b;
    }
    label_len > 0 && previous != b'-' && (dots > 0 || !needs_dot)
}

/// True when every character is printable (no white space, no control) and
/// every ASCII one passes `ascii_ok`; ASCII text is checked byte by byte.
fn all_chars(text: &str, ascii_ok: impl Fn(u8) -> bool) -> bool {
    if text.is_ascii() {
        text.bytes().all(|b| b > b' ' && b != 0x7f && ascii_ok(b))
    } else {
        text.chars().all(|c| {
            !c.is_whitespace()
                && !c.is_control()
                && u8::try_from(c).map_or(true, |b| b > b' ' && ascii_ok(b))
        })
    }
}

fn is_domain(domain: &str) -> bool {
    !domain.is_empty()
        && domain.len() <= 253
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && if label.is_ascii() {
                    label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                } else {
                    label.chars().all(|c| c.is_alphanumeric() || c == '-')
                }
        })
}

/// `http://` or `https://` (any case), a host name, IPv4 or bracketed IPv6
/// address with an optional port, then any path, query or fragment without
/// white space or control characters.
pub(crate) fn is_absolute_http_url(url: &str) -> bool {
    if url.is_ascii() {
        return ascii_url(url.as_bytes());
    }
    general_url(url)
}

/// [`is_absolute_http_url`] for any input.
fn general_url(url: &str) -> bool {
    let rest = strip_prefix_ignore_case(url, "https://")
        .or_else(|| strip_prefix_ignore_case(url, "http://"));
    let Some(rest) = rest else { return false };
    if !all_chars(rest, |_| true) {
        return false;
    }
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = rest.get(..authority_end).unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = if let Some(v6) = host_port.strip_prefix('[') {
        match v6.split_once(']') {
            Some((addr, tail))
                if addr.contains(':')
                    && addr
                        .chars()
                        .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.') =>
            {
                (addr, tail.strip_prefix(':'))
            }
            _ => return false,
        }
    } else {
        match host_port.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        }
    };
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    let host_ok = host.contains(':') || is_domain(host.strip_suffix('.').unwrap_or(host));
    port_ok && host_ok
}

/// [`is_absolute_http_url`] for ASCII input, in one pass.
fn ascii_url(url: &[u8]) -> bool {
    let rest = if url
        .get(..8)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"https://"))
    {
        url.get(8..)
    } else if url
        .get(..7)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"http://"))
    {
        url.get(7..)
    } else {
        None
    };
    let Some(rest) = rest else { return false };
    if !rest.iter().all(|b| *b > b' ' && *b != 0x7f) {
        return false;
    }
    let authority_end = rest
        .iter()
        .position(|b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(rest.len());
    let (authority, _) = rest.split_at(authority_end);
    let host_port = match authority.iter().rposition(|b| *b == b'@') {
        Some(i) => authority.get(i.saturating_add(1)..).unwrap_or_default(),
        None => authority,
    };
    if host_port.first() == Some(&b'[') {
        // IPv6 literals are rare: the general path checks them.
        return std::str::from_utf8(url).is_ok_and(general_url);
    }
    let (host, port) = match host_port.iter().position(|b| *b == b':') {
        Some(i) => (
            host_port.get(..i).unwrap_or_default(),
            host_port.get(i.saturating_add(1)..),
        ),
        None => (host_port, None),
    };
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.iter().all(u8::is_ascii_digit));
    let host = host.strip_suffix(b".").unwrap_or(host);
    port_ok && ascii_domain(host, false)
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| text.get(prefix.len()..))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        // The one-pass ASCII checks are an optimisation of the general ones:
        // they must agree on every ASCII string.
        #[test]
        fn ascii_fast_paths_agree_with_the_general_checks(
            text in "[a-zA-Z0-9@.:/?#\\[\\] _\\-\"<>()\t]{0,40}",
            prefix in prop::sample::select(vec!["", "https://", "HTTP://", "buyer@", "a.b@c"]),
        ) {
            let s = format!("{prefix}{text}");
            prop_assert_eq!(ascii_email(s.as_bytes()), general_email(&s), "email {:?}", s);
            prop_assert_eq!(ascii_url(s.as_bytes()), general_url(&s), "url {:?}", s);
        }
    }

    #[test]
    fn emails() {
        for ok in [
            "buyer@example.com",
            "a.b+tag@sub.example.co.uk",
            "x@bücher.de",
        ] {
            assert!(looks_like_email(ok), "{ok}");
        }
        for bad in [
            "",
            "buyer",
            "buyer@",
            "@example.com",
            "a@b",
            "a b@example.com",
            "a@@b.com",
            "a@-b.com",
            "a..b@example.com",
            "a@b..com",
        ] {
            assert!(!looks_like_email(bad), "{bad}");
        }
    }

    #[test]
    fn urls() {
        for ok in [
            "https://yoursite.com/success",
            "HTTP://localhost:8080",
            "https://shop.example.com/a?b=c#d",
            "http://[::1]:3000/x",
            "https://127.0.0.1/",
        ] {
            assert!(is_absolute_http_url(ok), "{ok}");
        }
        for bad in [
            "",
            "yoursite.com/success",
            "/success",
            "ftp://example.com",
            "https://",
            "https:///path",
            "https://exa mple.com",
            "https://example.com:port",
            "javascript:alert(1)",
        ] {
            assert!(!is_absolute_http_url(bad), "{bad}");
        }
    }
}
