//! `verify`: recompute a session and compare it with what a checkout
//! service answered.

use crate::engine::Engine;
use crate::error::Error;
use crate::quote::Quote;
use crate::request::SessionRequest;
use jiff::civil::Date;
use serde::Serialize;
use serde_json::Value;

/// One difference between the service's answer and the recomputation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mismatch {
    /// The field, as a path in the session: `amount_tax`, `line_items[1].amount_total`.
    pub field: String,
    /// What the engine computed.
    pub expected: Value,
    /// What the response says (`null` when the field is missing).
    pub actual: Value,
}

/// The outcome of a verification: empty when everything matches.
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

/// The session object inside a service's answer: the
/// `{success, message, data: {session}}` envelope, `{session}`, or a bare
/// session.
pub fn session_of(response: &Value) -> &Value {
    if let Some(s) = response.pointer("/data/session") {
        return s;
    }
    response.get("session").unwrap_or(response)
}

impl Engine {
    /// Recomputes `request` and compares the currency (case-insensitively),
    /// the three session amounts, and the line amounts when the response
    /// has `line_items` carrying them.
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
    /// let report = engine.verify(&request, &response, "2025-06-01".parse()?)?;
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
        Ok(compare(&quote, session_of(response)))
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
        compare_amount(&mut mismatches, name.into(), expected, session.get(name));
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
                ("amount_tax", line.amount_tax),
                ("amount_total", line.amount_total),
            ] {
                if let Some(actual) = theirs.get(name) {
                    compare_amount(
                        &mut mismatches,
                        format!("line_items[{i}].{name}"),
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
fn compare_amount(out: &mut Vec<Mismatch>, field: String, expected: i64, actual: Option<&Value>) {
    let actual = actual.unwrap_or(&Value::Null);
    if actual.as_i64() != Some(expected) {
        out.push(Mismatch {
            field,
            expected: Value::from(expected),
            actual: actual.clone(),
        });
    }
}
