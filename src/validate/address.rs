//! The shapes of the request's addresses: `customer_email` and the
//! success and cancel URLs.
//!
//! Each check has two forms: the definition here, readable and for any
//! input, and a one-pass form for ASCII input in [`fast`], which the entry
//! points use when they can. A property test holds the two equal on every
//! ASCII string.

mod fast;

/// `local@domain.tld`: one `@`, a local part of printable characters, and a
/// domain of at least two dot-separated labels of letters, digits and `-`.
pub(crate) fn looks_like_email(email: &str) -> bool {
    if email.is_ascii() {
        return fast::ascii_email(email.as_bytes());
    }
    general_email(email)
}

/// `http://` or `https://` (any case), a host name, IPv4 or bracketed IPv6
/// address with an optional port, then any path, query or fragment without
/// white space or control characters.
pub(crate) fn is_absolute_http_url(url: &str) -> bool {
    if url.is_ascii() {
        return fast::ascii_url(url.as_bytes());
    }
    general_url(url)
}

/// [`looks_like_email`] for any input.
pub(super) fn general_email(email: &str) -> bool {
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

/// [`is_absolute_http_url`] for any input.
pub(super) fn general_url(url: &str) -> bool {
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
            prop_assert_eq!(fast::ascii_email(s.as_bytes()), general_email(&s), "email {:?}", s);
            prop_assert_eq!(fast::ascii_url(s.as_bytes()), general_url(&s), "url {:?}", s);
        }

        // Host names near the limits: labels of up to 70 bytes with
        // hyphens and dots anywhere, users and ports around them.
        #[test]
        fn ascii_fast_paths_agree_on_host_names(
            labels in prop::collection::vec("[a-z0-9-]{0,70}", 1..5),
            user in prop::sample::select(vec!["", "u@", "u:p@", "@"]),
            port in prop::sample::select(vec!["", ":", ":80", ":123456", ":8a"]),
            tail in prop::sample::select(vec!["", "/", "/a?b#c", ".", "./x"]),
        ) {
            let host = labels.join(".");
            let url = format!("https://{user}{host}{port}{tail}");
            prop_assert_eq!(fast::ascii_url(url.as_bytes()), general_url(&url), "url {:?}", url);
            let email = format!("buyer@{host}");
            prop_assert_eq!(fast::ascii_email(email.as_bytes()), general_email(&email), "email {:?}", email);
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
