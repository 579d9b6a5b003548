//! API keys: a file with one key per line. A presented key is hashed and
//! compared with every key's hash in constant time, so neither the answer's
//! timing nor its length tells a client how much of a key it guessed.

use crate::cli::Usage;
use sha2::{Digest, Sha256};
use std::path::Path;
use subtle::ConstantTimeEq;

/// The keys' SHA-256 digests (the keys themselves are not kept).
#[derive(Debug)]
pub(crate) struct Keys {
    digests: Vec<[u8; 32]>,
}

impl Keys {
    /// Reads the key file: one key per line; blank lines and lines that
    /// start with `#` are skipped; surrounding white space is not part of a key.
    pub(crate) fn read(path: &Path) -> Result<Keys, Usage> {
        let text = crate::cli::commands::read_input(path)?;
        let digests: Vec<[u8; 32]> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|k| digest(k.as_bytes()))
            .collect();
        if digests.is_empty() {
            return Err(Usage(format!(
                "`{}`: no API keys in the file",
                path.display()
            )));
        }
        Ok(Keys { digests })
    }

    /// True when `presented` is one of the keys.
    pub(crate) fn allows(&self, presented: Option<&[u8]>) -> bool {
        let Some(presented) = presented else {
            return false;
        };
        let wanted = digest(presented);
        // Every key is compared: no early exit on a match.
        let found = self
            .digests
            .iter()
            .fold(subtle::Choice::from(0), |found, d| found | d.ct_eq(&wanted));
        found.into()
    }
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Lower-case hex of a SHA-256 digest of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    Sha256::digest(bytes)
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
