//! `verify`: recompute a session and compare the outcome with what a
//! checkout service answered: a quote's currency and amounts, or a refusal
//! and its code.

use crate::engine::Engine;
use crate::error::Error;
use crate::names::named_enum;
use crate::quote::Quote;
use crate::request::SessionRequest;
use jiff::civil::Date;
use serde::Serialize;
use serde_json::{Value, json};

pub(crate) mod read;

/// One difference between the service's answer and the recomputation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mismatch {
    /// The field, as a path in the session: `amount_tax`,
    /// `line_items[1].amount_total`; `error.code` when the outcomes differ;
    /// `response` when the response is not JSON.
    pub field: String,
    /// What the engine computed.
    pub expected: Value,
    /// What the response says (`null` when the field is missing).
    pub actual: Value,
}

named_enum! {
    /// What kind of mismatch a report found.
    #[non_exhaustive]
    "mismatch kind"
    pub enum MismatchKind {
        /// Both quoted; the currency or some amounts differ.
        Amounts => "amounts",
        /// One side quoted and the other refused.
        Outcome => "outcome",
        /// Both refused, with different codes.
        ErrorCode => "error_code",
        /// The response is not JSON.
        Response => "response",
    }
}

/// The outcome of a verification of amounts: empty when everything matches.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Verification {
    /// Every difference found, in field order.
    pub mismatches: Vec<Mismatch>,
}

impl Verification {
    /// True when currency and every compared amount match.
    pub fn is_match(&self) -> bool {
        self.mismatches.is_empty()
    }
}

/// The full report of a verification: whether the outcomes match, how they
/// differ, and the engine's own outcome (its quote or its refusal).
///
/// Its JSON (`serde`) is `{"match", "kind"?, "mismatches", "error"?}`;
/// [`Report::to_json`] adds the quote for the service and the packages.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report<'a> {
    /// True when the service's answer matches the recomputation.
    #[serde(rename = "match")]
    pub matched: bool,
    /// The kind of mismatch (none when matched).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<MismatchKind>,
    /// Every difference, in field order.
    pub mismatches: Vec<Mismatch>,
    /// The engine's refusal, when it refused the request.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "error_body")]
    pub error: Option<Error>,
    /// The engine's quote, when it quoted the request.
    #[serde(skip)]
    pub quote: Option<Quote<'a>>,
}

fn error_body<S: serde::Serializer>(e: &Option<Error>, s: S) -> Result<S::Ok, S::Error> {
    match e {
        Some(e) => e.to_json().get("error").serialize(s),
        None => s.serialize_none(),
    }
}

/// The member at `path` (`value.pointer`, without building the path's
/// tokens).
fn at<'v>(value: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(value, |v, key| v.get(key))
}

/// The session object inside a service's answer: the
/// `{success, message, data: {session}}` envelope, `{session}`, or a bare
/// session.
pub fn session_of(response: &Value) -> &Value {
    if let Some(s) = at(response, &["data", "session"]) {
        return s;
    }
    response.get("session").unwrap_or(response)
}

/// The refusal inside a service's answer, if it is one: `{"error": {code}}`
/// (the spec's object), or the provider's `{"success": false, ...}`
/// envelope with its code in `error.code`, `error` (a string), `code` or
/// `data.error.code`. `Some(None)` for a refusal that names no code.
pub fn refusal_of(response: &Value) -> Option<Option<&str>> {
    let code = [
        at(response, &["error", "code"]),
        response.get("error").filter(|e| e.is_string()),
        response.get("code"),
        at(response, &["data", "error", "code"]),
    ]
    .into_iter()
    .flatten()
    .find_map(Value::as_str);
    let failed = response.get("success") == Some(&Value::Bool(false))
        || response.get("error").is_some_and(|e| !e.is_null());
    failed.then_some(code)
}

impl<'a> Report<'a> {
    /// Compares the engine's outcome (a quote or a refusal) with a
    /// service's response.
    pub fn compare(outcome: Result<Quote<'a>, Error>, response: &Value) -> Self {
        let refusal = refusal_of(response);
        match (outcome, refusal) {
            (Ok(quote), None) => {
                let found = compare(&quote, session_of(response));
                Report {
                    matched: found.is_match(),
                    kind: (!found.is_match()).then_some(MismatchKind::Amounts),
                    mismatches: found.mismatches,
                    error: None,
                    quote: Some(quote),
                }
            }
            (Ok(quote), Some(code)) => Report {
                matched: false,
                kind: Some(MismatchKind::Outcome),
                mismatches: vec![code_mismatch(
                    None,
                    Some(code.unwrap_or(REFUSED_WITHOUT_CODE)),
                )],
                error: None,
                quote: Some(quote),
            },
            (Err(error), None) => Report {
                matched: false,
                kind: Some(MismatchKind::Outcome),
                mismatches: vec![code_mismatch(Some(error.code().as_str()), None)],
                error: Some(error),
                quote: None,
            },
            (Err(error), Some(code)) => {
                let same = code == Some(error.code().as_str());
                Report {
                    matched: same,
                    kind: (!same).then_some(MismatchKind::ErrorCode),
                    mismatches: if same {
                        Vec::new()
                    } else {
                        vec![code_mismatch(
                            Some(error.code().as_str()),
                            Some(code.unwrap_or(REFUSED_WITHOUT_CODE)),
                        )]
                    },
                    error: Some(error),
                    quote: None,
                }
            }
        }
    }

    /// The report for a response that is not JSON: a mismatch naming
    /// `response`, whatever the engine's outcome.
    pub fn malformed_response(outcome: Result<Quote<'a>, Error>, reason: &str) -> Self {
        let (quote, error) = match outcome {
            Ok(q) => (Some(q), None),
            Err(e) => (None, Some(e)),
        };
        Report {
            matched: false,
            kind: Some(MismatchKind::Response),
            mismatches: vec![Mismatch {
                field: "response".into(),
                expected: Value::Null,
                actual: Value::String(format!("not JSON: {reason}")),
            }],
            error,
            quote,
        }
    }

    /// The report as the service and the packages answer it: the serde
    /// form plus `"quote"` when the engine quoted.
    pub fn to_json(&self) -> Value {
        let mut value = serde_json::to_value(self).unwrap_or(Value::Null);
        if let (Some(quote), Value::Object(map)) = (&self.quote, &mut value) {
            map.insert(
                "quote".into(),
                serde_json::to_value(quote).unwrap_or(Value::Null),
            );
        }
        value
    }
}

/// The `actual` of an `error.code` mismatch for a refusal naming no code.
const REFUSED_WITHOUT_CODE: &str = "(refused without a code)";

fn code_mismatch(expected: Option<&str>, actual: Option<&str>) -> Mismatch {
    Mismatch {
        field: "error.code".into(),
        expected: expected.map_or(Value::Null, |c| json!(c)),
        actual: actual.map_or(Value::Null, |c| json!(c)),
    }
}

impl Engine {
    /// Recomputes `request` and compares the currency (case-insensitively),
    /// the three session amounts, `amount_discount` when the response states
    /// it (at the top, or as `total_details.amount_discount`), and the line
    /// amounts when the response has `line_items` carrying them. A response that is a refusal is a
    /// mismatch of `error.code`.
    ///
    /// ```
    /// use checkout_tax::{Engine, LineItem, Merchant, MerchantType, Mode, SessionRequest};
    ///
    /// let engine = Engine::builder().merchant(Merchant::new(MerchantType::Direct)).build()?;
    /// let request = SessionRequest {
    ///     buyer_country: Some("US".into()),
    ///     buyer_region: Some("TX".into()),
    ///     ..SessionRequest::new(Mode::Payment, vec![LineItem::ad_hoc(1000, "usd", 1)])
    /// };
    /// let response = serde_json::json!({"success": true, "message": "ok", "data": {"session": {
    ///     "currency": "usd", "amount_subtotal": 1000, "amount_tax": 63, "amount_total": 1063}}});
    /// let report = engine.verify(&request, &response, checkout_tax::parse_date("2025-06-01")?)?;
    /// assert!(report.is_match(), "{report:?}");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// The request error when the engine itself refuses the request.
    pub fn verify(
        &self,
        request: &SessionRequest<'_>,
        response: &Value,
        date: Date,
    ) -> Result<Verification, Error> {
        let quote = self.quote(request, date)?;
        let report = Report::compare(Ok(quote), response);
        Ok(Verification {
            mismatches: report.mismatches,
        })
    }

    /// Recomputes `request` and compares the whole outcome with the
    /// service's response: a quote against a session, or a refusal against
    /// an error response (a match when the codes are equal).
    pub fn verify_outcome<'a>(
        &'a self,
        request: &'a SessionRequest<'_>,
        response: &Value,
        date: Date,
    ) -> Report<'a> {
        Report::compare(self.quote(request, date), response)
    }
}

/// Compares a quote with a session object.
pub fn compare(quote: &Quote<'_>, session: &Value) -> Verification {
    let mut mismatches = Vec::new();
    let expected_currency = quote.currency.map(|c| c.code());
    let actual_currency = session.get("currency").unwrap_or(&Value::Null);
    let currency_ok = match (expected_currency, actual_currency) {
        (None, Value::Null) => true,
        (Some(e), Value::String(a)) => e.eq_ignore_ascii_case(a),
        _ => false,
    };
    if !currency_ok {
        mismatches.push(Mismatch {
            field: "currency".into(),
            expected: expected_currency.map_or(Value::Null, |c| Value::String(c.into())),
            actual: actual_currency.clone(),
        });
    }
    for (name, expected) in [
        ("amount_subtotal", quote.amount_subtotal),
        ("amount_tax", quote.amount_tax),
        ("amount_total", quote.amount_total),
    ] {
        compare_amount(&mut mismatches, || name.into(), expected, session.get(name));
    }
    // The discount only where the response states one: at the top of the
    // session, or where Stripe puts it.
    for (field, actual) in [
        ("amount_discount", session.get("amount_discount")),
        (
            "total_details.amount_discount",
            at(session, &["total_details", "amount_discount"]),
        ),
    ] {
        if let Some(actual) = actual {
            compare_amount(
                &mut mismatches,
                || field.into(),
                quote.amount_discount,
                Some(actual),
            );
        }
    }

    if let Some(Value::Array(lines)) = session.get("line_items") {
        if lines.len() != quote.line_items.len() {
            mismatches.push(Mismatch {
                field: "line_items.length".into(),
                expected: Value::from(quote.line_items.len()),
                actual: Value::from(lines.len()),
            });
        }
        for (i, (line, theirs)) in quote.line_items.iter().zip(lines).enumerate() {
            for (name, expected) in [
                ("amount_subtotal", line.amount_subtotal),
                ("amount_discount", line.amount_discount),
                ("amount_tax", line.amount_tax),
                ("amount_total", line.amount_total),
            ] {
                if let Some(actual) = theirs.get(name) {
                    compare_amount(
                        &mut mismatches,
                        || format!("line_items[{i}].{name}"),
                        expected,
                        Some(actual),
                    );
                }
            }
        }
    }
    Verification { mismatches }
}

/// Records a mismatch unless `actual` is exactly the integer `expected`
/// (`1079.0` is not `1079`: amounts are integers of minor units).
/// The field's name is only made for a mismatch.
fn compare_amount(
    out: &mut Vec<Mismatch>,
    field: impl FnOnce() -> String,
    expected: i64,
    actual: Option<&Value>,
) {
    let actual = actual.unwrap_or(&Value::Null);
    if actual.as_i64() != Some(expected) {
        out.push(Mismatch {
            field: field(),
            expected: Value::from(expected),
            actual: actual.clone(),
        });
    }
}
