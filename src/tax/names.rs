//! Tax names, interned: each distinct `tax_name` of every table loaded is
//! kept once for the life of the process, so that a quote's components
//! name their tax with a `&'static str`. A quote line then owns nothing
//! for its taxes (dropping a line is a check, not a walk of its
//! components) and an owned quote copies no names.
//!
//! The set only grows: a table's names outlive the table. Tax names are a
//! small vocabulary (`VAT`, `GST`, `Sales tax`, ...), so reloading tables
//! adds nothing once their names have been seen.

use rustc_hash::FxHashSet;
use std::sync::{Mutex, OnceLock, PoisonError};

static NAMES: OnceLock<Mutex<FxHashSet<&'static str>>> = OnceLock::new();

/// The interned copy of `name`: the same `&'static str` for equal names.
pub(crate) fn intern(name: &str) -> &'static str {
    let mut names = NAMES
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    match names.get(name) {
        Some(known) => known,
        None => {
            let leaked: &'static str = Box::leak(name.into());
            names.insert(leaked);
            leaked
        }
    }
}

#[cfg(test)]
mod tests {
    use super::intern;

    #[test]
    fn equal_names_are_one_string() {
        let a = intern(&String::from("Some tax"));
        let b = intern(&String::from("Some tax"));
        assert_eq!(a, "Some tax");
        assert!(std::ptr::eq(a, b));
        assert!(!std::ptr::eq(a, intern("Other tax")));
    }
}
