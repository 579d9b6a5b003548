#![doc = include_str!("../docs/library.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// Library code never panics on input: no unwrap, expect, panic or unchecked
// indexing, and every arithmetic operation is checked (amounts come from
// input). Tests, benches and examples are outside these rules.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unreachable,
    clippy::todo,
    clippy::unimplemented,
    clippy::print_stdout,
    clippy::print_stderr
)]

mod answer;
pub mod catalog;
mod date;
mod discount;
pub mod engine;
pub mod error;
pub mod jurisdiction;
pub mod merchant;
pub mod money;
mod names;
pub mod output;
pub mod present;
mod pricing;
pub mod quote;
pub mod request;
pub mod rounding;
pub mod tax;
mod validate;
pub mod verify;

pub use answer::Answer;
pub use catalog::{AppliesTo, Catalog, Coupon, Interval, Price, Product, PromotionCode, Recurring};
pub use date::parse_date;
pub use engine::{Engine, EngineBuilder};
pub use error::{Error, ErrorCode};
pub use jiff::civil::Date;
pub use jurisdiction::Jurisdiction;
pub use merchant::{Merchant, MerchantType};
pub use names::UnknownName;
pub use quote::{Quote, QuoteDiscount, QuoteLine, TaxAmount, TaxStatus};
pub use request::{Discount, Discounts, LineItem, Mode, Presentation, SessionRequest};
pub use rounding::{RoundingLevel, RoundingMode};
pub use tax::{Rate, RateTable, Regime, TaxabilityReason};
pub use verify::{Mismatch, MismatchKind, Report, Verification};

/// The README's Rust examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
