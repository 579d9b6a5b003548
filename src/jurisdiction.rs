//! Countries (ISO 3166-1 alpha-2, checked with `celes`) and their
//! subdivisions (the ISO 3166-2 form `US-CA`), as compact copyable codes.

use std::fmt;
use std::sync::OnceLock;

/// A tax jurisdiction: a country (`DE`) or one of its subdivisions (`US-CA`).
///
/// Stored inline (no allocation), upper case, and compared byte for byte,
/// so it can key hash maps on the hot path.
///
/// ```
/// use checkout_tax::Jurisdiction;
///
/// let ca = Jurisdiction::parse("us-ca").unwrap();
/// assert_eq!(ca.as_str(), "US-CA");
/// assert_eq!(ca.country().as_str(), "US");
/// assert!(Jurisdiction::parse("ZZ").is_none());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Jurisdiction {
    // "CC" or "CC-SSS": at most 6 ASCII bytes, upper case, zero-padded.
    bytes: [u8; 6],
    len: u8,
}

impl Jurisdiction {
    /// Parses `DE` or `US-CA` (any case). The country must be an ISO 3166-1
    /// alpha-2 code; the subdivision part must be 1 to 3 letters or digits.
    pub fn parse(code: &str) -> Option<Self> {
        match code.split_once('-') {
            None => Self::country_code(code),
            Some((country, region)) => Self::country_code(country)?.with_region(region),
        }
    }

    /// A country from its alpha-2 code (any case), checked against ISO 3166-1.
    pub fn country_code(code: &str) -> Option<Self> {
        let [a, b]: [u8; 2] = code.as_bytes().try_into().ok()?;
        let (a, b) = (a.to_ascii_uppercase(), b.to_ascii_uppercase());
        if !is_country(a, b) {
            return None;
        }
        Some(Jurisdiction {
            bytes: [a, b, 0, 0, 0, 0],
            len: 2,
        })
    }

    /// This country's subdivision `region` (`CA`, any case); `None` unless
    /// `self` is a country and `region` is 1 to 3 letters or digits.
    pub fn with_region(self, region: &str) -> Option<Self> {
        let raw = region.as_bytes();
        if self.is_region() || !is_subdivision_code(region) {
            return None;
        }
        let mut bytes = self.bytes;
        let tail = bytes.get_mut(2..)?;
        let mut parts = tail.iter_mut();
        *parts.next()? = b'-';
        for (slot, b) in parts.zip(raw) {
            *slot = b.to_ascii_uppercase();
        }
        let len = u8::try_from(raw.len().checked_add(3)?).ok()?;
        Some(Jurisdiction { bytes, len })
    }

    /// The code's ASCII bytes, for writers that need no `&str`.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or_default()
    }

    /// The code, upper case: `DE`, `US-CA`.
    pub fn as_str(&self) -> &str {
        let bytes = self.bytes.get(..usize::from(self.len)).unwrap_or_default();
        // Only ASCII bytes are ever stored.
        std::str::from_utf8(bytes).unwrap_or_default()
    }

    /// The country part (`US` for `US-CA`).
    pub fn country(self) -> Self {
        let mut bytes = [0u8; 6];
        if let (Some(dst), Some(src)) = (bytes.get_mut(..2), self.bytes.get(..2)) {
            dst.copy_from_slice(src);
        }
        Jurisdiction { bytes, len: 2 }
    }

    /// True for a subdivision (`US-CA`), false for a country (`US`).
    pub fn is_region(self) -> bool {
        self.len > 2
    }
}

/// Whether `AB` (upper case) is an ISO 3166-1 alpha-2 code. The set comes
/// from `celes`, turned once into a 26 x 26 bitmap so that the hot path
/// tests one bit instead of hashing.
fn is_country(a: u8, b: u8) -> bool {
    static COUNTRIES: OnceLock<[u64; 11]> = OnceLock::new();
    let bits = COUNTRIES.get_or_init(|| {
        let mut bits = [0u64; 11];
        for country in celes::Country::get_countries() {
            if let [x, y] = country.alpha2.as_bytes()
                && let Some(i) = letter_pair_index(x.to_ascii_uppercase(), y.to_ascii_uppercase())
                && let Some(word) = bits.get_mut(i / 64)
            {
                *word |= 1 << (i % 64);
            }
        }
        bits
    });
    letter_pair_index(a, b)
        .and_then(|i| bits.get(i / 64).map(|word| word >> (i % 64) & 1 == 1))
        .unwrap_or(false)
}

/// `AA` -> 0 ... `ZZ` -> 675; `None` unless both are `A`..=`Z`.
fn letter_pair_index(a: u8, b: u8) -> Option<usize> {
    let a = usize::from(a.checked_sub(b'A').filter(|x| *x < 26)?);
    let b = usize::from(b.checked_sub(b'A').filter(|x| *x < 26)?);
    a.checked_mul(26)?.checked_add(b)
}

impl std::hash::Hash for Jurisdiction {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // One word instead of a length-prefixed byte slice: look-ups are on
        // the hot path.
        let [a, b, c, d, e, f] = self.bytes;
        state.write_u64(u64::from_le_bytes([a, b, c, d, e, f, self.len, 0]));
    }
}

impl fmt::Display for Jurisdiction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Jurisdiction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Jurisdiction({})", self.as_str())
    }
}

impl serde::Serialize for Jurisdiction {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The subdivision part of an ISO 3166-2 code: 1 to 3 letters or digits.
/// The one statement of that rule.
fn is_subdivision_code(code: &str) -> bool {
    (1..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The buyer's location as a request gives it: `buyer_region` may be `CA`
/// or `US-CA`, and the prefixed form must name the buyer's country. Without
/// a country the location is unknown (`Ok(None)`), whatever the region
/// says, but a region must still have the shape of one.
pub(crate) fn buyer_location(
    country: Option<&str>,
    region: Option<&str>,
) -> Result<Option<Jurisdiction>, BadLocation> {
    let Some(country) = country else {
        let shape_ok = region.is_none_or(|r| match r.split_once('-') {
            Some((prefix, sub)) => {
                Jurisdiction::country_code(prefix).is_some() && is_subdivision_code(sub)
            }
            None => is_subdivision_code(r),
        });
        return if shape_ok {
            Ok(None)
        } else {
            Err(BadLocation::Region)
        };
    };
    let country = Jurisdiction::country_code(country).ok_or(BadLocation::Country)?;
    let Some(region) = region else {
        return Ok(Some(country));
    };
    let sub = match region.split_once('-') {
        Some((prefix, sub)) if prefix.eq_ignore_ascii_case(country.as_str()) => sub,
        Some(_) => return Err(BadLocation::Region),
        None => region,
    };
    country
        .with_region(sub)
        .map(Some)
        .ok_or(BadLocation::Region)
}

/// Which part of a buyer's location is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BadLocation {
    /// `buyer_country` is not an ISO 3166-1 alpha-2 code.
    Country,
    /// `buyer_region` is not a subdivision of the buyer's country.
    Region,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_countries_and_regions_case_insensitively() {
        assert_eq!(Jurisdiction::parse("de").unwrap().as_str(), "DE");
        assert_eq!(Jurisdiction::parse("Us-Ca").unwrap().as_str(), "US-CA");
        assert_eq!(
            Jurisdiction::parse("CA-QC").unwrap().country().as_str(),
            "CA"
        );
        assert!(Jurisdiction::parse("XX").is_none());
        assert!(Jurisdiction::parse("US-").is_none());
        assert!(Jurisdiction::parse("US-CALI").is_none());
        assert!(Jurisdiction::parse("US-C A").is_none());
        assert!(Jurisdiction::parse("DEU").is_none());
    }

    #[test]
    fn buyer_region_may_carry_the_country_prefix() {
        let ca = Jurisdiction::parse("US-CA").unwrap();
        assert_eq!(buyer_location(Some("us"), Some("ca")), Ok(Some(ca)));
        assert_eq!(buyer_location(Some("US"), Some("US-CA")), Ok(Some(ca)));
        assert_eq!(
            buyer_location(Some("US"), Some("CA-QC")),
            Err(BadLocation::Region)
        );
        assert_eq!(buyer_location(Some("QQ"), None), Err(BadLocation::Country));
        assert_eq!(buyer_location(None, Some("US-CA")), Ok(None));
        assert_eq!(buyer_location(None, Some("CALI")), Err(BadLocation::Region));
    }
}
