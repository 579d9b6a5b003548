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

/// How a domain byte counts: not allowed, part of a label, or a dot.
#[derive(Clone, Copy, PartialEq, Eq)]
enum DomainByte {
    Invalid,
    Letter,
    Hyphen,
    Dot,
}

/// Each byte's [`DomainByte`], looked up instead of tested range by range.
// Built at compile time: an index out of bounds would fail the build, so
// the indexing cannot panic at run time.
#[allow(clippy::indexing_slicing)]
static DOMAIN_BYTES: [DomainByte; 256] = {
    let mut table = [DomainByte::Invalid; 256];
    let mut b: u8 = 0;
    loop {
        table[b as usize] = match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => DomainByte::Letter,
            b'-' => DomainByte::Hyphen,
            b'.' => DomainByte::Dot,
            _ => DomainByte::Invalid,
        };
        if b == u8::MAX {
            break;
        }
        b = b.wrapping_add(1);
    }
    table
};

/// Dot-separated labels of letters, digits and `-` (not at a label's ends),
/// at most 63 bytes each, at least two labels when `needs_dot`.
fn ascii_domain(domain: &[u8], needs_dot: bool) -> bool {
    if domain.is_empty() || domain.len() > 253 {
        return false;
    }
    // Where the current label starts, and whether a dot was seen.
    let mut label_start = 0usize;
    let mut dots = false;
    let mut previous = DomainByte::Dot;
    for (i, b) in domain.iter().enumerate() {
        let class = DOMAIN_BYTES.get(usize::from(*b)).copied();
        match class {
            Some(DomainByte::Letter) => {}
            Some(DomainByte::Hyphen) if previous != DomainByte::Dot => {}
            Some(DomainByte::Dot)
                if previous == DomainByte::Letter && i.saturating_sub(label_start) <= 63 =>
            {
                label_start = i.saturating_add(1);
                dots = true;
            }
            _ => return false,
        }
        previous = class.unwrap_or(DomainByte::Invalid);
    }
    previous == DomainByte::Letter
        && domain.len().saturating_sub(label_start) <= 63
        && (dots || !needs_dot)
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
    // One pass over the authority (up to `/`, `?` or `#`): the host and
    // port follow its last `@`, the port its first `:` after that.
    let mut host_start = 0usize;
    let mut colon = None;
    let mut authority_end = rest.len();
    for (i, b) in rest.iter().enumerate() {
        match b {
            b'/' | b'?' | b'#' => {
                authority_end = i;
                break;
            }
            b'@' => {
                host_start = i.saturating_add(1);
                colon = None;
            }
            b':' if colon.is_none() => colon = Some(i),
            _ => {}
        }
    }
    let host_port = rest.get(host_start..authority_end).unwrap_or_default();
    if host_port.first() == Some(&b'[') {
        // IPv6 literals are rare: the general path checks them.
        return std::str::from_utf8(url).is_ok_and(super::general_url);
    }
    let (host, port) = match colon {
        Some(i) => (
            rest.get(host_start..i).unwrap_or_default(),
            rest.get(i.saturating_add(1)..authority_end),
        ),
        None => (host_port, None),
    };
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.iter().all(u8::is_ascii_digit));
    let host = host.strip_suffix(b".").unwrap_or(host);
    port_ok && ascii_domain(host, false)
}
