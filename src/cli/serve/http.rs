//! The HTTP side of every answer: error objects with their status, JSON
//! responses, content types, query parameters and bounded body reads.

use super::state::Shared;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use checkout_tax::{
    Date, Engine, Error, ErrorCode, Jurisdiction, MerchantType, RoundingLevel, RoundingMode,
};
use http_body_util::BodyExt;
use serde_json::json;
use std::str::FromStr;
use std::time::Duration;

/// The codes of the HTTP layer's own refusals (the engine's are `ErrorCode`s).
pub(crate) const UNAUTHORIZED: &str = "unauthorized";
pub(crate) const NOT_FOUND: &str = "not_found";
pub(crate) const METHOD_NOT_ALLOWED: &str = "method_not_allowed";
pub(crate) const HTTP_CODES: [&str; 3] = [UNAUTHORIZED, NOT_FOUND, METHOD_NOT_ALLOWED];

/// The error code an answer carries, for the request's log line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Code(pub(crate) &'static str);

/// A JSON answer.
pub(crate) fn json(status: StatusCode, body: impl Into<Bytes>) -> Response {
    let mut response = (status, body.into()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The spec's error object for an engine error (a refusal is 400, a broken
/// invariant 500), as the engine writes it.
pub(crate) fn refusal(error: &Error) -> Response {
    let body = checkout_tax::output::to_json_bytes(error);
    with_code(json(status_of(error), body), error.code().as_str())
}

/// The status of an engine error.
pub(crate) fn status_of(error: &Error) -> StatusCode {
    if error.is_request_error() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    }
}

/// The error object for a refusal of the HTTP layer (`unauthorized`,
/// `not_found`, `method_not_allowed`, `invalid_request` for a content type).
pub(crate) fn http_error(
    status: StatusCode,
    code: &'static str,
    message: &str,
    param: Option<&str>,
) -> Response {
    let body = json!({"error": {"code": code, "message": message, "param": param}});
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    with_code(json(status, bytes), code)
}

/// Tags a response with its error code, for the log.
pub(crate) fn with_code(mut response: Response, code: &'static str) -> Response {
    response.extensions_mut().insert(Code(code));
    response
}

/// The 415 answer, unless the body is declared as one of `accepted` (or
/// not declared).
pub(crate) fn content_type_refusal(headers: &HeaderMap, accepted: &[&str]) -> Option<Response> {
    let value = headers.get(header::CONTENT_TYPE)?;
    let essence = value
        .to_str()
        .ok()
        .and_then(|v| v.split(';').next())
        .map(str::trim)
        .unwrap_or_default();
    if accepted.iter().any(|a| essence.eq_ignore_ascii_case(a)) {
        return None;
    }
    let shown: String = String::from_utf8_lossy(value.as_bytes())
        .chars()
        .take(100)
        .collect();
    Some(http_error(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::InvalidRequest.as_str(),
        &format!(
            "content type `{shown}` is not accepted (send {})",
            accepted.join(" or ")
        ),
        None,
    ))
}

/// A call's query parameters: its date, and the merchant settings that
/// override the loaded merchant's for this call (as the CLI's flags
/// override a merchant file).
pub(crate) struct Call {
    pub(crate) date: Date,
    pub(crate) engine: Option<Engine>,
    pub(crate) jurisdictions: Vec<Jurisdiction>,
}

impl Call {
    /// Parses `at`, `merchant_type`, `rounding_level`, `rounding_mode` and,
    /// when `with_jurisdictions`, the repeated `jurisdiction`. Other names
    /// are ignored.
    ///
    /// # Errors
    /// `invalid_date` (param `at`) for a bad date, `invalid_request` naming
    /// the parameter for a bad value or one given twice.
    pub(crate) fn parse(
        query: Option<&str>,
        engine: &Engine,
        shared: &Shared,
        with_jurisdictions: bool,
    ) -> Result<Call, Error> {
        let mut at = None;
        let mut merchant = engine.merchant().clone();
        let mut overridden = false;
        let mut seen: Vec<&'static str> = Vec::new();
        let mut jurisdictions = Vec::new();
        for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            let name: &'static str = match name.as_ref() {
                "at" => "at",
                "merchant_type" => "merchant_type",
                "rounding_level" => "rounding_level",
                "rounding_mode" => "rounding_mode",
                "jurisdiction" if with_jurisdictions => {
                    let j = Jurisdiction::parse(&value).ok_or_else(|| {
                        Error::new(
                            ErrorCode::InvalidRequest,
                            "jurisdiction",
                            format!("`{value}` is not a jurisdiction such as `DE` or `US-CA`"),
                        )
                    })?;
                    jurisdictions.push(j);
                    continue;
                }
                _ => continue,
            };
            if seen.contains(&name) {
                return Err(Error::new(
                    ErrorCode::InvalidRequest,
                    name,
                    format!("`{name}` is given more than once"),
                ));
            }
            seen.push(name);
            let bad = |e: checkout_tax::UnknownName| {
                Error::new(ErrorCode::InvalidRequest, name, e.to_string())
            };
            match name {
                "at" => at = Some(checkout_tax::parse_date(&value)?),
                "merchant_type" => {
                    merchant.merchant_type = MerchantType::from_str(&value).map_err(bad)?;
                    overridden = true;
                }
                "rounding_level" => {
                    merchant.rounding_level = RoundingLevel::from_str(&value).map_err(bad)?;
                    overridden = true;
                }
                _ => {
                    merchant.rounding_mode = RoundingMode::from_str(&value).map_err(bad)?;
                    overridden = true;
                }
            }
        }
        let date = at
            .or(shared.default_at)
            .unwrap_or_else(crate::cli::commands::today_utc);
        Ok(Call {
            date,
            engine: overridden.then(|| engine.with_merchant(merchant)),
            jurisdictions,
        })
    }
}

/// Why a body could not be read.
pub(crate) enum BodyError {
    /// Over the limit (by `Content-Length`, or while reading).
    TooLarge(Option<u64>),
    /// The client took longer than the read time-out.
    TimedOut,
    /// The connection failed or the body was malformed.
    Broken(String),
}

impl BodyError {
    pub(crate) fn response(&self, limit: usize) -> Response {
        match self {
            BodyError::TooLarge(length) => {
                let size = match length {
                    Some(n) => format!("{n} bytes"),
                    None => format!("more than {limit} bytes"),
                };
                refusal_413(&format!(
                    "the request is {size}; the limit is {limit} bytes"
                ))
            }
            BodyError::TimedOut => http_error(
                StatusCode::REQUEST_TIMEOUT,
                ErrorCode::InvalidRequest.as_str(),
                "the body was not received within the read time-out",
                None,
            ),
            BodyError::Broken(reason) => http_error(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidRequest.as_str(),
                &format!("cannot read the body: {reason}"),
                None,
            ),
        }
    }
}

fn refusal_413(message: &str) -> Response {
    let error = Error::without_param(ErrorCode::LimitExceeded, message);
    let mut response = refusal(&error);
    *response.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
    response
}

/// Reads a whole body of at most `limit` bytes within `timeout`.
pub(crate) async fn read_body(
    body: Body,
    headers: &HeaderMap,
    limit: usize,
    timeout: Duration,
) -> Result<Vec<u8>, BodyError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(n) = declared
        && usize::try_from(n).map_or(true, |n| n > limit)
    {
        return Err(BodyError::TooLarge(Some(n)));
    }
    let capacity = declared
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(4096)
        .min(limit);
    let read = async move {
        let mut body = body;
        let mut bytes = Vec::with_capacity(capacity);
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| BodyError::Broken(e.to_string()))?;
            if let Ok(data) = frame.into_data() {
                if bytes.len().saturating_add(data.len()) > limit {
                    return Err(BodyError::TooLarge(None));
                }
                bytes.extend_from_slice(&data);
            }
        }
        Ok(bytes)
    };
    tokio::time::timeout(timeout, read)
        .await
        .unwrap_or(Err(BodyError::TimedOut))
}
