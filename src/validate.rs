//! The request's top-level rules: required line items, string limits, the
//! shape of emails and URLs, and the buyer's location.

use crate::error::{Error, ErrorCode};
use crate::jurisdiction::{BadLocation, Jurisdiction, buyer_location};
use crate::request::{Mode, SessionRequest, limits};

mod address;

use address::{is_absolute_http_url, looks_like_email};

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

/// The buyer's jurisdiction from `buyer_country` and `buyer_region`
/// (the rule is [`buyer_location`]'s), as a request error.
fn location(country: Option<&str>, region: Option<&str>) -> Result<Option<Jurisdiction>, Error> {
    buyer_location(country, region).map_err(|bad| match bad {
        BadLocation::Country => Error::new(
            ErrorCode::InvalidCountry,
            "buyer_country",
            format!(
                "`{}` is not an ISO 3166-1 alpha-2 country code",
                country.unwrap_or_default()
            ),
        ),
        BadLocation::Region => Error::new(
            ErrorCode::InvalidRegion,
            "buyer_region",
            format!(
                "`{}` is not a subdivision code of the buyer's country (want `CA` or `US-CA`)",
                region.unwrap_or_default()
            ),
        ),
    })
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
