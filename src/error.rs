//! The public error type: one variant per refusal, each with the spec's
//! stable snake_case [`Error::code`] and the [`Error::param`] path of the
//! offending input.

use std::fmt;

/// Why a request, a catalog, a merchant file or a tax table was refused.
///
/// Request errors carry the JSON path of the offending input (`param`), so a
/// checkout service can hand them to its API clients unchanged:
///
/// ```
/// use checkout_tax::Error;
///
/// let err = Error::new(
///     checkout_tax::ErrorCode::UnknownPrice,
///     "line_items[1].price_id",
///     "unknown price `price_x`",
/// );
/// assert_eq!(err.code().as_str(), "unknown_price");
/// assert_eq!(err.param(), Some("line_items[1].price_id"));
/// assert_eq!(err.to_string(), "unknown price `price_x` at `line_items[1].price_id`");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The session request was refused by a rule of the spec.
    #[error("{}", RequestDisplay(self))]
    Request {
        /// The spec's error code.
        code: ErrorCode,
        /// The path of the offending input, such as `line_items[2].quantity`.
        param: Option<String>,
        /// What went wrong, for a person.
        message: String,
    },
    /// A tax table (the embedded one or a `--tax-data` file) is malformed.
    #[error("tax data line {line}: {reason}")]
    TaxData {
        /// 1-based line number in the CSV file (the header is line 1).
        line: usize,
        /// What is wrong with the row.
        reason: String,
    },
    /// A catalog or merchant description is malformed.
    #[error("{what}: {reason}")]
    Config {
        /// Which input: `catalog` or `merchant`.
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The merchant's catalog is malformed: a configuration error, never a
    /// buyer's (CLI exit 2).
    #[error("catalog: `{param}`: {reason}")]
    Catalog {
        /// The offending entry, such as `prices[3].currency`.
        param: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A broken internal invariant: a bug in the engine, never the input's
    /// fault, reported instead of a wrong answer.
    #[error("internal error: {reason}")]
    Internal {
        /// What the engine found inconsistent.
        reason: String,
    },
}

struct RequestDisplay<'a>(&'a Error);

impl fmt::Display for RequestDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Error::Request { param, message, .. } = self.0 {
            match param {
                Some(p) => write!(f, "{message} at `{p}`"),
                None => f.write_str(message),
            }
        } else {
            Ok(())
        }
    }
}

impl Error {
    /// A request error with a code, the offending input's path and a message.
    pub fn new(code: ErrorCode, param: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Request {
            code,
            param: Some(param.into()),
            message: message.into(),
        }
    }

    /// A request error that is about the request as a whole (no path).
    pub fn without_param(code: ErrorCode, message: impl Into<String>) -> Self {
        Error::Request {
            code,
            param: None,
            message: message.into(),
        }
    }

    /// A broken internal invariant (a bug), as [`Error::Internal`].
    pub fn internal(reason: impl Into<String>) -> Self {
        Error::Internal {
            reason: reason.into(),
        }
    }

    /// The spec's error code. Tax-data, configuration and internal errors
    /// report [`ErrorCode::InvalidTaxData`], [`ErrorCode::InvalidConfiguration`]
    /// and [`ErrorCode::Internal`].
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Request { code, .. } => *code,
            Error::TaxData { .. } => ErrorCode::InvalidTaxData,
            Error::Config { .. } => ErrorCode::InvalidConfiguration,
            Error::Catalog { .. } => ErrorCode::InvalidCatalog,
            Error::Internal { .. } => ErrorCode::Internal,
        }
    }

    /// The path of the offending input (`line_items[2].quantity`), if any.
    pub fn param(&self) -> Option<&str> {
        match self {
            Error::Request { param, .. } => param.as_deref(),
            Error::Catalog { param, .. } => Some(param),
            Error::TaxData { .. } | Error::Config { .. } | Error::Internal { .. } => None,
        }
    }

    /// The message without the path, for the `message` field of the JSON error.
    pub fn message(&self) -> String {
        match self {
            Error::Request { message, .. } => message.clone(),
            other => other.to_string(),
        }
    }

    /// True when the error is about the request (exit code 1 in the CLI),
    /// false when it is about the engine's inputs (tax data, catalog, merchant).
    pub fn is_request_error(&self) -> bool {
        matches!(self, Error::Request { .. })
    }

    /// The spec's JSON form: `{"error": {"code", "message", "param"}}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "error": {
                "code": self.code().as_str(),
                "message": self.message(),
                "param": self.param(),
            }
        })
    }
}

macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident => $code:literal,)*) => {
        /// The stable snake_case error codes of the spec.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)*
        }

        impl ErrorCode {
            /// Every code, in the order the spec lists them.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as it appears in the JSON error (`unknown_price`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }
        }
    };
}

error_codes! {
    /// Malformed JSON, or a value of the wrong JSON type.
    InvalidRequest => "invalid_request",
    /// A field the engine does not know (a typo such as `quantitiy`).
    UnknownField => "unknown_field",
    /// `mode` is missing or not `payment`, `subscription` or `setup`.
    InvalidMode => "invalid_mode",
    /// `presentation` is not `iframe` or `link`.
    InvalidPresentation => "invalid_presentation",
    /// A payment or subscription session without line items.
    MissingLineItems => "missing_line_items",
    /// A setup session with line items.
    LineItemsNotAllowed => "line_items_not_allowed",
    /// A line with none, or several, of `price_id`, `product_id`, `ad_hoc_amount`.
    InvalidLineItem => "invalid_line_item",
    /// A quantity that is missing or outside 1..=999 999.
    InvalidQuantity => "invalid_quantity",
    /// A `price_id` that is not in the catalog.
    UnknownPrice => "unknown_price",
    /// A `product_id` that is not in the catalog.
    UnknownProduct => "unknown_product",
    /// A price that is not active.
    InactivePrice => "inactive_price",
    /// A product that is not active.
    InactiveProduct => "inactive_product",
    /// A product without a default price, used through `product_id`.
    NoDefaultPrice => "no_default_price",
    /// An ad hoc amount for a Merchant of Record.
    AdHocNotAllowed => "ad_hoc_not_allowed",
    /// An `ad_hoc_amount` without `ad_hoc_currency`.
    MissingAdHocCurrency => "missing_ad_hoc_currency",
    /// A negative or non-integer amount.
    InvalidAmount => "invalid_amount",
    /// An unknown ISO 4217 code, or one without a minor unit (XAU, XXX).
    InvalidCurrency => "invalid_currency",
    /// Lines in different currencies.
    CurrencyMismatch => "currency_mismatch",
    /// A subscription line that is not a recurring price.
    RecurringPriceRequired => "recurring_price_required",
    /// A payment line that is a recurring price.
    RecurringPriceNotAllowed => "recurring_price_not_allowed",
    /// Subscription lines with different intervals.
    MixedIntervals => "mixed_intervals",
    /// `buyer_country` is not an ISO 3166-1 alpha-2 code.
    InvalidCountry => "invalid_country",
    /// `buyer_region` is not a subdivision of the buyer's country.
    InvalidRegion => "invalid_region",
    /// An amount in the answer would not fit in int64.
    AmountTooLarge => "amount_too_large",
    /// `customer_email` does not look like an address.
    InvalidEmail => "invalid_email",
    /// `success_url` or `cancel_url` is not an absolute http(s) URL.
    InvalidUrl => "invalid_url",
    /// Over a documented limit (request size, line items, string length, depth).
    LimitExceeded => "limit_exceeded",
    /// `discounts` with more than one entry, on a setup session, or an entry
    /// with neither or both of `coupon` and `promotion_code`.
    InvalidDiscount => "invalid_discount",
    /// A `coupon` that is not in the catalog.
    UnknownCoupon => "unknown_coupon",
    /// A coupon that is not active (named directly or by an active code).
    InactiveCoupon => "inactive_coupon",
    /// A `promotion_code` that is not in the catalog.
    UnknownPromotionCode => "unknown_promotion_code",
    /// A promotion code that is not active.
    InactivePromotionCode => "inactive_promotion_code",
    /// A coupon limited to products none of the session's lines is.
    CouponNotApplicable => "coupon_not_applicable",
    /// A date (`--at`, `?at=`) that is not `YYYY-MM-DD`.
    InvalidDate => "invalid_date",
    /// A date before the first one the tax table covers.
    DateNotCovered => "date_not_covered",
    /// The tax table is malformed (not a request error).
    InvalidTaxData => "invalid_tax_data",
    /// The catalog or merchant description is malformed (not a request error).
    InvalidConfiguration => "invalid_configuration",
    /// The catalog is malformed (not a request error): param names the entry.
    InvalidCatalog => "invalid_catalog",
    /// A broken internal invariant: a bug, never the request's fault.
    Internal => "internal",
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
