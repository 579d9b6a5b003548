//! One-pass forms of the address checks for ASCII input: the common
//! case, checked without searching or allocating. They must agree with the
//! definitions in the parent module on every ASCII string (a property test
//! holds them equal).

/// [`looks_like_email`] for ASCII input, in one pass without searching.
pub(super) fn ascii_email(email: &[u8]) -> bool {
    let Some(at) = email.iter().position(|b| *b == b'@') else {
        return false;
    };
    let (local, domain) = email.split_at(at);
    let domain = domain.get(1..).unwrap_or_default();
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local.first() != Some(&b'.')
        && local.last() != Some(&b'.')
        && local_part(local);
    local_ok && ascii_domain(domain, true)
}

/// Every byte a [`local_part_byte`] and no two dots in a row, in one pass
/// without an early exit (it compiles to straight-line code).
fn local_part(local: &[u8]) -> bool {
    let mut previous_dot = false;
    local.iter().fold(true, |ok, b| {
        let dot = *b == b'.';
        let fine = ok & local_part_byte(*b) & !(dot & previous_dot);
        previous_dot = dot;
        fine
    })
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

/// [`is_absolute_http_url`] for ASCII input, in one pass.
pub(super) fn ascii_url(url: &[u8]) -> bool {
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
    // No early exit: the fold compiles to vector compares.
    if !rest
        .iter()
        .fold(true, |ok, b| ok & (*b > b' ') & (*b != 0x7f))
    {
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
        return std::str::from_utf8(url).is_ok_and(super::general_url);
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
