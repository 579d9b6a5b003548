//! `checkout-tax serve` end to end: the real binary on a free loopback port,
//! every route and status code, API keys, logs, reload on SIGHUP (good file,
//! bad file, requests in flight), shutdown on SIGTERM and SIGINT, slow
//! clients, `/v1/batch` byte-equal to the CLI's `batch`, and the example
//! service that calls the sidecar.
//!
//! The contract test of `/openapi.json`: every response any test here gets
//! goes through [`Api::call`], which finds the operation and status in the
//! document served by the same binary and validates the body against the
//! schema it names (with the `jsonschema` crate, formats checked); a status
//! the document does not list for the route fails the test.

#![cfg(feature = "serve")]

// The suite's support module; this binary uses a few of its helpers.
#[allow(dead_code)]
#[path = "suite/support/mod.rs"]
mod common;
use common::http;

use common::{fixture_arg, run, temp_file};
use http::{Response, Server};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const AT: &str = "2025-06-01";
const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");
const PAGE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/cli/serve/page");

fn example(name: &str) -> String {
    format!("{EXAMPLES}/{name}")
}

fn example_text(name: &str) -> String {
    std::fs::read_to_string(example(name)).unwrap()
}

/// The engine's flags for the fixture catalog and table.
fn engine_args() -> Vec<String> {
    vec![
        "--catalog".into(),
        fixture_arg("catalog.json"),
        "--tax-data".into(),
        fixture_arg("tax_rates.csv"),
    ]
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

// ------------------------------------------------------------ the contract

/// The OpenAPI document, as the binary serves it.
fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let server = Server::start(&[]);
        let doc = server.get("/openapi.json").json();
        assert_eq!(doc["openapi"], "3.1.0");
        doc
    })
}

/// The document's path template for a request path.
fn template(path: &str) -> Option<&'static str> {
    let path = path.split('?').next().unwrap();
    if path.starts_with("/assets/") {
        return Some("/assets/{path}");
    }
    let paths = document()["paths"].as_object().unwrap();
    paths.keys().find(|k| *k == path).map(String::as_str)
}

/// Validates an answer against the document: the status must be listed for
/// the operation (404 for paths the document does not have) and the body
/// must match the schema of its content type.
fn check_contract(method: &str, path: &str, response: &Response) {
    let doc = document();
    let ctype = response
        .header("content-type")
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap()
        .trim()
        .to_owned();
    let entry = match template(path) {
        None => {
            assert_eq!(response.status, 404, "{method} {path}: not in the document");
            doc["components"]["responses"]["NotFound"].clone()
        }
        Some(t) => {
            let operation = &doc["paths"][t][method.to_ascii_lowercase()];
            if operation.is_null() {
                assert_eq!(response.status, 405, "{method} {path}: no such operation");
                let any = doc["paths"][t]
                    .as_object()
                    .unwrap()
                    .values()
                    .next()
                    .unwrap();
                any["responses"]["405"].clone()
            } else {
                let entry = &operation["responses"][response.status.to_string()];
                assert!(
                    !entry.is_null(),
                    "{method} {path}: status {} is not in the document ({})",
                    response.status,
                    String::from_utf8_lossy(&response.body)
                );
                entry.clone()
            }
        }
    };
    let content = &entry["content"];
    let media = if content.get(&ctype).is_some() {
        &content[&ctype]
    } else {
        assert!(
            content.get("*/*").is_some(),
            "{method} {path} {}: content type `{ctype}` is not in the document",
            response.status
        );
        return;
    };
    if ctype == "application/json" {
        validate(
            &media["schema"],
            &response.json(),
            &format!("{method} {path}"),
        );
    } else if ctype == "application/x-ndjson" {
        let line = &media["x-ndjson-line"];
        for (i, l) in response.text().lines().enumerate() {
            let value: Value = serde_json::from_str(l).unwrap();
            validate(line, &value, &format!("{method} {path} line {i}"));
        }
    }
}

fn validate(schema: &Value, instance: &Value, what: &str) {
    type Cache =
        std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<jsonschema::Validator>>>;
    static VALIDATORS: OnceLock<Cache> = OnceLock::new();
    let key = schema.to_string();
    let validator = {
        let mut cache = VALIDATORS.get_or_init(Default::default).lock().unwrap();
        cache
            .entry(key)
            .or_insert_with(|| {
                let root = json!({
                    "$schema": "https://json-schema.org/draft/2020-12/schema",
                    "components": document()["components"],
                    "allOf": [schema],
                });
                let validator = jsonschema::options()
                    .should_validate_formats(true)
                    .build(&root)
                    .unwrap_or_else(|e| panic!("bad schema for {what}: {e}"));
                std::sync::Arc::new(validator)
            })
            .clone()
    };
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: the answer breaks the document's schema: {errors:#?}\n{instance:#}"
    );
}

/// A server whose every answer is checked against the document.
struct Api(Server);

impl std::ops::Deref for Api {
    type Target = Server;
    fn deref(&self) -> &Server {
        &self.0
    }
}

impl Api {
    fn start(args: &[&str]) -> Api {
        Api(Server::start(args))
    }

    fn call(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
        let response = self.0.request(method, path, headers, body);
        check_contract(method, path, &response);
        response
    }

    fn get(&self, path: &str) -> Response {
        self.call("GET", path, &[], b"")
    }

    fn post(&self, path: &str, body: &[u8]) -> Response {
        self.call("POST", path, &[("Content-Type", "application/json")], body)
    }
}

// ------------------------------------------------------------ the CLI's answers

/// `checkout-tax quote --format json` on this body, as JSON, and its exit code.
fn cli_quote(args: &[&str], body: &str) -> (i32, Value) {
    let file = temp_file("request.json", body);
    let mut all = vec!["quote"];
    all.extend_from_slice(args);
    all.extend(["--at", AT, &file]);
    let out = run(&all, None);
    (out.code, out.json())
}

fn error_of(v: &Value) -> (String, Value) {
    (
        v["error"]["code"].as_str().unwrap().to_owned(),
        v["error"]["param"].clone(),
    )
}

// ------------------------------------------------------------ routes

#[test]
fn quote_gives_the_clis_answer() {
    let args = engine_args();
    let api = Api::start(&strs(&args));
    let q = format!("/v1/quote?at={AT}");
    for name in [
        "request.json",
        "request_eu_de.json",
        "request_ca_qc.json",
        "request_us_ny.json",
        "request_subscription.json",
    ] {
        let body = example_text(name);
        let (code, expected) = cli_quote(&strs(&args), &body);
        let got = api.post(&q, body.as_bytes());
        let status = if code == 0 { 200 } else { 400 };
        assert_eq!(got.status, status, "{name}: {}", got.text());
        assert_eq!(got.json(), expected, "{name}");
        // No content type is accepted too, and a charset parameter.
        let bare = api.call("POST", &q, &[], body.as_bytes());
        assert_eq!(bare.json(), expected, "{name}, no content type");
        let charset = api.call(
            "POST",
            &q,
            &[("Content-Type", "Application/JSON; charset=utf-8")],
            body.as_bytes(),
        );
        assert_eq!(charset.json(), expected, "{name}, with a charset");
    }
    // A known total, so that a wrong CLI cannot make this pass: 999 + 8 %
    // (the fixture table's combined US-CA rate) = 79.92 -> 80.
    let v = api.post(&q, example_text("request.json").as_bytes()).json();
    assert_eq!(
        (&v["amount_subtotal"], &v["amount_tax"], &v["amount_total"]),
        (&json!(999), &json!(80), &json!(1079))
    );
}

#[test]
fn refusals_have_the_clis_code_param_and_message() {
    let args = engine_args();
    let api = Api::start(&strs(&args));
    let q = format!("/v1/quote?at={AT}");
    for body in [
        r#"{"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantitiy": 1}]}"#,
        r#"{"mode": "payment", "line_items": [{"price_id": "price_nope", "quantity": 1}]}"#,
        r#"{"mode": "payment", "line_items": [{"ad_hoc_amount": 100, "ad_hoc_currency": "usd", "quantity": 1}]}"#,
        r#"{"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantity": 0}]}"#,
        r#"{"mode": "payment"}"#,
        "{]",
        "",
        "null",
    ] {
        let (code, expected) = cli_quote(&strs(&args), body);
        assert_eq!(code, 1, "{body}");
        let got = api.post(&q, body.as_bytes());
        assert_eq!(got.status, 400, "{body}");
        assert_eq!(got.json(), expected, "{body}");
    }
    // Not UTF-8: invalid_request, as the CLI answers the same file.
    let got = api.post(&q, b"{\"mode\": \"pay\xffment\"}");
    assert_eq!(got.status, 400);
    assert_eq!(error_of(&got.json()).0, "invalid_request");
}

#[test]
fn query_parameters_override_the_merchant_as_the_flags_do() {
    let args = engine_args();
    let api = Api::start(&strs(&args));
    let ad_hoc = r#"{"mode": "payment", "line_items": [{"ad_hoc_amount": 1001, "ad_hoc_currency": "usd", "quantity": 3}], "buyer_country": "US", "buyer_region": "CA"}"#;
    for (query, flags) in [
        ("merchant_type=direct", vec!["--merchant-type", "direct"]),
        (
            "merchant_type=direct&rounding_level=document&rounding_mode=half_even",
            vec![
                "--merchant-type",
                "direct",
                "--rounding-level",
                "document",
                "--rounding-mode",
                "half_even",
            ],
        ),
        ("merchant_type=mor", vec!["--merchant-type", "mor"]),
    ] {
        let mut all = strs(&args);
        all.extend(flags);
        let (_, expected) = cli_quote(&all, ad_hoc);
        let got = api.post(&format!("/v1/quote?at={AT}&{query}"), ad_hoc.as_bytes());
        assert_eq!(got.json(), expected, "{query}");
    }
    // Direct: 3 x 1001 at 8 %: 240.24 -> 240.
    let v = api
        .post(
            &format!("/v1/quote?at={AT}&merchant_type=direct"),
            ad_hoc.as_bytes(),
        )
        .json();
    assert_eq!(
        (&v["amount_subtotal"], &v["amount_tax"]),
        (&json!(3003), &json!(240))
    );

    for (query, code, param) in [
        ("at=2025-13-01", "invalid_date", "at"),
        ("at=yesterday", "invalid_date", "at"),
        ("at=", "invalid_date", "at"),
        ("merchant_type=bogus", "invalid_request", "merchant_type"),
        ("rounding_level=cent", "invalid_request", "rounding_level"),
        ("rounding_mode=up", "invalid_request", "rounding_mode"),
        ("at=2025-06-01&at=2025-06-02", "invalid_request", "at"),
    ] {
        for route in ["/v1/quote", "/v1/verify", "/v1/batch"] {
            let got = api.post(&format!("{route}?{query}"), b"{}");
            assert_eq!(got.status, 400, "{route}?{query}");
            assert_eq!(
                error_of(&got.json()),
                (code.to_owned(), json!(param)),
                "{route}?{query}"
            );
        }
    }
    let got = api.get("/v1/rates?at=2025-02-30");
    assert_eq!(error_of(&got.json()), ("invalid_date".into(), json!("at")));
}

#[test]
fn limits_content_types_unknown_routes_and_methods() {
    let api = Api::start(&strs(&engine_args()));
    // Over 1 MiB: 413 limit_exceeded, with or without a Content-Length.
    let big = format!(
        r#"{{"mode":"payment","client_reference_id":"{}","line_items":[]}}"#,
        "x".repeat(1 << 20)
    );
    let got = api.post("/v1/quote", big.as_bytes());
    assert_eq!(got.status, 413);
    assert_eq!(
        error_of(&got.json()),
        ("limit_exceeded".into(), Value::Null)
    );
    let mut stream = api.connect();
    write!(
        stream,
        "POST /v1/quote HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    .unwrap();
    for chunk in big.as_bytes().chunks(100_000) {
        if write!(stream, "{:x}\r\n", chunk.len()).is_err()
            || stream.write_all(chunk).is_err()
            || stream.write_all(b"\r\n").is_err()
        {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n");
    let got = http::read_response(&mut stream);
    check_contract("POST", "/v1/quote", &got);
    assert_eq!(got.status, 413);
    assert_eq!(error_of(&got.json()).0, "limit_exceeded");
    // Exactly 1 MiB is not over the limit: the engine answers it.
    let padding = (1 << 20) - r#"{"mode":"setup","client_reference_id":""}"#.len();
    let exact = format!(
        r#"{{"mode":"setup","client_reference_id":"{}"}}"#,
        " ".repeat(padding)
    );
    assert_eq!(exact.len(), 1 << 20);
    let got = api.post("/v1/quote?at=2025-06-01", exact.as_bytes());
    assert_ne!(got.status, 413, "{}", got.text());

    for ctype in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/jsonx",
    ] {
        for route in ["/v1/quote", "/v1/verify", "/v1/batch"] {
            let got = api.call("POST", route, &[("Content-Type", ctype)], b"{}");
            assert_eq!(got.status, 415, "{route} {ctype}");
            assert_eq!(error_of(&got.json()).0, "invalid_request");
        }
    }
    let got = api.call(
        "POST",
        "/v1/batch",
        &[("Content-Type", "application/x-ndjson")],
        b"{}\n",
    );
    assert_eq!(got.status, 200);

    for path in [
        "/nope",
        "/v1",
        "/v1/quotes",
        "/v2/quote",
        "/assets/nope.js",
        "/assets/index.html",
    ] {
        let got = api.get(path);
        assert_eq!(got.status, 404, "{path}");
        assert_eq!(error_of(&got.json()).0, "not_found");
    }
    for (method, path) in [
        ("GET", "/v1/quote"),
        ("PUT", "/v1/verify"),
        ("DELETE", "/v1/batch"),
        ("POST", "/v1/rates"),
        ("POST", "/v1/catalog"),
        ("POST", "/healthz"),
        ("POST", "/metrics"),
        ("PATCH", "/openapi.json"),
    ] {
        let got = api.call(method, path, &[], b"");
        assert_eq!(got.status, 405, "{method} {path}");
        assert_eq!(error_of(&got.json()).0, "method_not_allowed");
    }
}

#[test]
fn verify_reports_as_the_cli_does() {
    let args = engine_args();
    let api = Api::start(&strs(&args));
    let request = example_text("request.json");
    let good = api
        .post(&format!("/v1/quote?at={AT}"), request.as_bytes())
        .json();
    let mut tampered = good.clone();
    tampered["amount_tax"] = json!(71);
    let envelope = json!({"success": true, "message": "ok", "data": {"session": tampered}});
    let refused =
        r#"{"mode": "payment", "line_items": [{"price_id": "price_nope", "quantity": 1}]}"#;
    for (req, resp) in [
        (request.clone(), good.to_string()),
        (request.clone(), envelope.to_string()),
        (refused.to_owned(), good.to_string()),
        (
            refused.to_owned(),
            json!({"error": {"code": "unknown_price"}}).to_string(),
        ),
        ("\"not a request\"".to_owned(), good.to_string()),
    ] {
        let (rf, sf) = (temp_file("req.json", &req), temp_file("resp.json", &resp));
        let mut all = vec!["verify"];
        all.extend(strs(&args));
        all.extend(["--at", AT, &rf, &sf]);
        let cli = run(&all, None);
        let got = api.post(
            &format!("/v1/verify?at={AT}"),
            format!(r#"{{"request": {req}, "response": {resp}}}"#).as_bytes(),
        );
        assert_eq!(got.status, 200, "{}", got.text());
        let v = got.json();
        // The CLI prints the report without the quote; the service adds it.
        let mut without_quote = v.clone();
        without_quote.as_object_mut().unwrap().remove("quote");
        assert_eq!(without_quote, cli.json(), "{req} / {resp}");
        assert_eq!(v["match"], json!(cli.code == 0));
        if v["error"].is_null() {
            assert_eq!(v["quote"], good);
        }
    }
    let v = api
        .post(
            &format!("/v1/verify?at={AT}"),
            json!({"request": serde_json::from_str::<Value>(&request).unwrap(), "response": envelope})
                .to_string()
                .as_bytes(),
        )
        .json();
    assert_eq!(v["match"], false);
    assert_eq!(
        v["mismatches"],
        json!([{"field": "amount_tax", "expected": 80, "actual": 71}])
    );
    for (body, code, param) in [
        ("{]", "invalid_request", Value::Null),
        ("[]", "invalid_request", Value::Null),
        (r#"{"request": {}}"#, "invalid_request", json!("response")),
        (r#"{"response": {}}"#, "invalid_request", json!("request")),
        (
            r#"{"request": {}, "response": {}, "extra": 1}"#,
            "unknown_field",
            json!("extra"),
        ),
        (
            r#"{"request": {}, "request": {}, "response": {}}"#,
            "invalid_request",
            json!("request"),
        ),
    ] {
        let got = api.post("/v1/verify", body.as_bytes());
        assert_eq!(got.status, 400, "{body}");
        assert_eq!(error_of(&got.json()), (code.to_owned(), param), "{body}");
    }
}

#[test]
fn rates_catalog_config_health_metrics_and_the_page() {
    let args = engine_args();
    let api = Api::start(&strs(&args));
    for (query, jurisdictions) in [
        ("", vec![]),
        ("&jurisdiction=DE", vec!["DE"]),
        ("&jurisdiction=US&jurisdiction=DE", vec!["US", "DE"]),
    ] {
        let mut all = vec![
            "rates",
            "--tax-data",
            &args[3],
            "--at",
            AT,
            "--format",
            "json",
        ];
        all.extend(jurisdictions);
        let cli = run(&all, None);
        let got = api.get(&format!("/v1/rates?at={AT}{query}"));
        assert_eq!(got.json(), cli.json(), "{query}");
    }
    let de = api
        .get(&format!("/v1/rates?at={AT}&jurisdiction=DE"))
        .json();
    assert_eq!(de["rates"][0]["rate"], "19");
    let bad = api.get("/v1/rates?jurisdiction=Narnia");
    assert_eq!(bad.status, 400);
    assert_eq!(
        error_of(&bad.json()),
        ("invalid_request".into(), json!("jurisdiction"))
    );

    let catalog = api.get("/v1/catalog").json();
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&args[1]).unwrap()).unwrap();
    let ids = |v: &Value, key: &str| -> Vec<String> {
        v[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&catalog, "products"), ids(&file, "products"));
    assert_eq!(ids(&catalog, "prices"), ids(&file, "prices"));

    let config = api.get("/v1/config").json();
    let table = std::fs::read(&args[3]).unwrap();
    let rows = String::from_utf8_lossy(&table)
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .count();
    assert_eq!(config["tax_data"]["rows"], json!(rows));
    assert_eq!(config["tax_data"]["embedded"], false);
    use sha2::Digest;
    let hex: String = sha2::Sha256::digest(&table)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(config["tax_data"]["sha256"], hex);
    assert_eq!(config["merchant"]["merchant_type"], "merchant_of_record");
    assert_eq!(config["auth"], false);

    assert_eq!(api.get("/healthz").json(), json!({"status": "ok"}));
    assert_eq!(api.get("/readyz").json(), json!({"status": "ready"}));

    // The page: `/` is index.html, `/assets/NAME` every other file.
    let index = std::path::Path::new(PAGE).join("index.html");
    if index.exists() {
        let got = api.get("/");
        assert_eq!(got.status, 200);
        assert!(got.header("content-type").unwrap().starts_with("text/html"));
        assert_eq!(got.body, std::fs::read(&index).unwrap());
    }
    for entry in std::fs::read_dir(PAGE).into_iter().flatten().flatten() {
        let name = entry.file_name().into_string().unwrap();
        if name == "index.html" || name.starts_with('.') || !entry.path().is_file() {
            continue;
        }
        let got = api.get(&format!("/assets/{name}"));
        assert_eq!(got.status, 200, "{name}");
        assert_eq!(got.body, std::fs::read(entry.path()).unwrap(), "{name}");
        if name.ends_with(".js") {
            assert!(
                got.header("content-type")
                    .unwrap()
                    .starts_with("text/javascript")
            );
        }
    }

    // Metrics count what was asked above.
    api.post(
        &format!("/v1/quote?at={AT}"),
        example_text("request.json").as_bytes(),
    );
    api.post(&format!("/v1/quote?at={AT}"), b"{]");
    let metrics = api.get("/metrics");
    assert!(
        metrics
            .header("content-type")
            .unwrap()
            .starts_with("text/plain")
    );
    let text = metrics.text();
    for line in [
        "checkout_tax_http_requests_total{route=\"/v1/quote\",status=\"200\"} 1",
        "checkout_tax_http_requests_total{route=\"/v1/quote\",status=\"400\"} 1",
        "checkout_tax_http_requests_total{route=\"/v1/rates\",status=\"400\"} 1",
        "checkout_tax_http_requests_total{route=\"/healthz\",status=\"200\"} 1",
        "checkout_tax_quotes_total{tax_status=\"calculated\"} 1",
        "checkout_tax_refusals_total{code=\"invalid_request\"} 1",
        "checkout_tax_reloads_total{result=\"ok\"} 0",
        "checkout_tax_reloads_total{result=\"failed\"} 0",
        "checkout_tax_http_request_duration_seconds_count{route=\"/v1/quote\"} 2",
        "checkout_tax_http_request_duration_seconds_bucket{route=\"/v1/quote\",le=\"+Inf\"} 2",
    ] {
        assert!(text.lines().any(|l| l == line), "no `{line}` in\n{text}");
    }
}

#[test]
fn the_catalog_route_lists_coupons_and_promotion_codes_with_their_exact_digits() {
    let catalog = example("catalog.json");
    let api = Api::start(&["--catalog", &catalog]);
    let got = api.get("/v1/catalog");
    let file: Value = serde_json::from_str(&example_text("catalog.json")).unwrap();
    let served = got.json();
    for key in ["coupons", "promotion_codes"] {
        let ids: Vec<&Value> = served[key].as_array().unwrap().iter().collect();
        assert_eq!(ids.len(), file[key].as_array().unwrap().len(), "{key}");
    }
    // Every coupon as the file states it (absent `active` is true).
    assert_eq!(
        served["coupons"][0],
        json!({"id": "co_summer", "name": "Summer sale", "percent_off": 12.5, "active": true})
    );
    assert_eq!(
        served["coupons"][1],
        json!({"id": "co_5usd", "amount_off": 500, "currency": "usd", "active": true})
    );
    assert_eq!(
        served["promotion_codes"][2],
        json!({"code": "HALFOFF", "coupon": "co_retired", "active": true})
    );
    // The rate's digits as written, not a float's rendering.
    assert!(
        got.text().contains(r#""percent_off":12.5,"#),
        "{}",
        got.text()
    );
}

#[test]
fn the_document_lists_every_route_and_error_code() {
    let doc = document();
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/v1/quote",
        "/v1/verify",
        "/v1/batch",
        "/v1/rates",
        "/v1/catalog",
        "/v1/config",
        "/healthz",
        "/readyz",
        "/metrics",
        "/openapi.json",
        "/",
        "/assets/{path}",
    ] {
        assert!(paths.contains_key(path), "{path}");
    }
    let codes = &doc["components"]["schemas"]["ErrorBody"]["properties"]["code"]["enum"];
    for code in common::SPEC_CODES.iter().chain(&[
        "invalid_date",
        "unauthorized",
        "not_found",
        "method_not_allowed",
    ]) {
        assert!(codes.as_array().unwrap().contains(&json!(code)), "{code}");
    }
    // The served document is the embedded file, with the binary's lists.
    let file: Value = serde_json::from_str(include_str!("../src/cli/serve/openapi.json")).unwrap();
    assert_eq!(file["paths"], doc["paths"]);
}

// ------------------------------------------------------------ auth and logs

#[test]
fn api_keys_guard_v1_only() {
    let keys = temp_file("keys", "# ops\nsk_live_one\n\n  sk_live_two  \n");
    let mut args = engine_args();
    args.extend(["--api-keys".to_owned(), keys]);
    let api = Api::start(&strs(&args));
    let body = example_text("request.json");
    for (route, method, payload) in [
        ("/v1/quote", "POST", body.as_bytes()),
        ("/v1/verify", "POST", b"{}".as_slice()),
        ("/v1/batch", "POST", b"{}".as_slice()),
        ("/v1/rates", "GET", b"".as_slice()),
        ("/v1/catalog", "GET", b"".as_slice()),
        ("/v1/config", "GET", b"".as_slice()),
    ] {
        for key in [
            None,
            Some("sk_live_on"),
            Some("sk_live_one2"),
            Some("SK_LIVE_ONE"),
            Some(""),
        ] {
            let headers: Vec<(&str, &str)> = key.map(|k| ("X-API-Key", k)).into_iter().collect();
            let got = api.call(method, route, &headers, payload);
            assert_eq!(got.status, 401, "{route} {key:?}");
            assert_eq!(error_of(&got.json()), ("unauthorized".into(), Value::Null));
        }
        for key in ["sk_live_one", "sk_live_two"] {
            let got = api.call(
                method,
                &format!("{route}?at={AT}"),
                &[("X-API-Key", key)],
                payload,
            );
            assert_ne!(got.status, 401, "{route} {key}");
        }
    }
    let got = api.call(
        "POST",
        &format!("/v1/quote?at={AT}"),
        &[("x-api-key", "sk_live_two")],
        body.as_bytes(),
    );
    assert_eq!(got.json()["amount_total"], 1079);
    assert_eq!(api.get("/v1/config").status, 401);
    for open in ["/healthz", "/readyz", "/metrics", "/openapi.json"] {
        assert_eq!(api.get(open).status, 200, "{open}");
    }
    // Logs: one JSON line per request, never a key, a body or an email.
    let logs = api.log_lines_at_least(6 * 7 + 6);
    assert!(logs.len() >= 6 * 7 + 6, "{logs:#?}");
    for line in &logs {
        let v: Value = serde_json::from_str(line).unwrap();
        for field in [
            "ts",
            "method",
            "path",
            "route",
            "status",
            "code",
            "latency_us",
        ] {
            assert!(v.get(field).is_some(), "{field} in {line}");
        }
        for secret in [
            "sk_live",
            "buyer@example.com",
            "price_xxx",
            "order_10042",
            "at=",
        ] {
            assert!(!line.contains(secret), "{secret} in {line}");
        }
    }
    assert!(
        logs.iter()
            .any(|l| l.contains(r#""status":401,"code":"unauthorized""#))
    );
    assert!(logs.iter().any(|l| l.contains(
        r#""method":"POST","path":"/v1/quote","route":"/v1/quote","status":200,"code":null"#
    )));
}

#[test]
fn bad_files_exit_2_with_the_clis_message_before_listening() {
    let bad_table = fixture_arg("tax_rates_bad.csv");
    let bad_catalog = temp_file("catalog.json", r#"{"products": [}"#);
    let no_keys = temp_file("keys", "# none\n\n");
    for (flags, cli_flags) in [
        (vec!["--tax-data", bad_table.as_str()], true),
        (vec!["--catalog", bad_catalog.as_str()], true),
        (vec!["--catalog", "/nonexistent/catalog.json"], true),
        (vec!["--api-keys", no_keys.as_str()], false),
        (vec!["--listen", "256.0.0.1:80"], false),
        (vec!["--at", "2025-13-01"], false),
    ] {
        let mut all = vec!["serve"];
        all.extend(&flags);
        if !flags.contains(&"--listen") {
            all.extend(["--listen", "127.0.0.1:0"]);
        }
        let out = run(&all, None);
        assert_eq!(out.code, 2, "{flags:?}: {out:?}");
        assert!(!out.stderr.contains("listening"), "{flags:?}: {out:?}");
        assert!(out.stderr.starts_with("checkout-tax: "), "{out:?}");
        if cli_flags {
            let request = example("request.json");
            let mut q = vec!["quote"];
            q.extend(&flags);
            q.push(&request);
            let cli = run(&q, None);
            assert_eq!(cli.code, 2);
            assert_eq!(out.stderr, cli.stderr, "{flags:?}");
        }
    }
}

// ------------------------------------------------------------ batch

/// Lines of every kind: requests that quote and that are refused, lines that
/// are not JSON, empty lines, CRLF, a line over the size limit, and no
/// final newline.
fn mixed_batch(copies: usize) -> Vec<u8> {
    let mut input = Vec::new();
    let requests = example_text("requests.ndjson");
    for i in 0..copies {
        input.extend_from_slice(requests.as_bytes());
        input.extend_from_slice(b"{]\n\n");
        input.extend_from_slice(b"{\"mode\": \"payment\", \"line_items\": [{\"price_id\": \"price_xxx\", \"quantity\": 1}], \"buyer_country\": \"DE\"}\r\n");
        if i == copies / 2 {
            input.extend_from_slice(
                format!(
                    "{{\"mode\":\"setup\",\"client_reference_id\":\"{}\"}}\n",
                    "y".repeat((1 << 20) + 5)
                )
                .as_bytes(),
            );
            input.extend_from_slice(b"\xff\xfe\n");
        }
    }
    input.extend_from_slice(b"{\"mode\": \"setup\"}");
    input
}

/// POSTs `input` to `/v1/batch` from one thread while reading the streamed
/// answer on another (as curl does), in chunks of `chunk` bytes with `pause`
/// between them.
fn post_batch(
    server: &Server,
    query: &str,
    input: &[u8],
    chunk: usize,
    pause: Duration,
) -> Response {
    let mut stream = server.connect();
    let mut reader = stream.try_clone().unwrap();
    let head = format!(
        "POST /v1/batch{query} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        stream.write_all(head.as_bytes()).unwrap();
        for part in input.chunks(chunk) {
            write!(stream, "{:x}\r\n", part.len()).unwrap();
            stream.write_all(part).unwrap();
            stream.write_all(b"\r\n").unwrap();
            if !pause.is_zero() {
                std::thread::sleep(pause);
            }
        }
        stream.write_all(b"0\r\n\r\n").unwrap();
    });
    let mut raw = Vec::new();
    reader.read_to_end(&mut raw).unwrap();
    writer.join().unwrap();
    let response = http::parse_response(&raw);
    check_contract("POST", "/v1/batch", &response);
    response
}

fn cli_batch(args: &[&str], input: &[u8]) -> Vec<u8> {
    let mut all = vec!["batch"];
    all.extend_from_slice(args);
    all.extend(["--at", AT]);
    let mut child = std::process::Command::new(http::BIN)
        .args(&all)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let feeder = std::thread::spawn(move || stdin.write_all(&input).unwrap());
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    assert!(out.status.success());
    out.stdout
}

#[test]
fn batch_is_byte_equal_to_the_cli() {
    let args = engine_args();
    let server = Server::start(&strs(&args));
    let input = mixed_batch(40);
    let expected = cli_batch(&strs(&args), &input);
    let requests = example_text("requests.ndjson").lines().count();
    assert_eq!(
        expected.iter().filter(|b| **b == b'\n').count(),
        40 * (requests + 3) + 2 + 1
    );
    for chunk in [7, 4096, 1 << 20] {
        let got = post_batch(&server, &format!("?at={AT}"), &input, chunk, Duration::ZERO);
        assert_eq!(got.status, 200);
        assert_eq!(got.header("content-type"), Some("application/x-ndjson"));
        assert!(
            got.body == expected,
            "chunks of {chunk}: the answers differ from the CLI's"
        );
    }
    // An override, and an empty body (no line, no answer).
    let mut direct = strs(&args);
    direct.extend(["--merchant-type", "direct", "--rounding-level", "document"]);
    let got = post_batch(
        &server,
        &format!("?at={AT}&merchant_type=direct&rounding_level=document"),
        &input,
        65536,
        Duration::ZERO,
    );
    assert!(got.body == cli_batch(&direct, &input));
    let got = server.request("POST", "/v1/batch", &[], b"");
    assert_eq!((got.status, got.body.len()), (200, 0));
}

#[test]
fn batch_streams_with_flat_memory() {
    let args = engine_args();
    let server = Server::start(&strs(&args));
    let line = example_text("requests.ndjson");
    let line = line.lines().next().unwrap();
    // About 12 MB in, 18 MB out: far more than the server may hold.
    let copies = 12_000_000 / (line.len() + 1);
    let mut input = Vec::with_capacity(copies * (line.len() + 1));
    for _ in 0..copies {
        input.extend_from_slice(line.as_bytes());
        input.push(b'\n');
    }
    let got = post_batch(
        &server,
        &format!("?at={AT}"),
        &input,
        256 * 1024,
        Duration::ZERO,
    );
    assert_eq!(got.status, 200);
    let mut answers = got.body.split(|b| *b == b'\n').filter(|l| !l.is_empty());
    let first = answers.next().unwrap().to_vec();
    assert_eq!(
        serde_json::from_slice::<Value>(&first).unwrap()["amount_total"],
        1079
    );
    assert_eq!(
        answers.filter(|l| *l == first.as_slice()).count() + 1,
        copies
    );
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.child.id())).unwrap();
    let peak_kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .map(|v| v.trim().trim_end_matches("kB").trim().parse().unwrap())
        .unwrap();
    assert!(peak_kb < 40 * 1024, "peak resident memory {peak_kb} kB");
}

// ------------------------------------------------------------ reload

fn table_with_de(rate: &str) -> String {
    let text = std::fs::read_to_string(fixture_arg("tax_rates.csv")).unwrap();
    text.replace(
        "DE,inclusive,VAT,*,19,",
        &format!("DE,inclusive,VAT,*,{rate},"),
    )
}

const DE_REQUEST: &str = r#"{"mode": "payment", "line_items": [{"price_id": "price_widget_eur", "quantity": 1}], "buyer_country": "DE"}"#;

fn de_tax(server: &Server) -> i64 {
    let got = server.post_json(&format!("/v1/quote?at={AT}"), DE_REQUEST.as_bytes());
    assert_eq!(got.status, 200, "{}", got.text());
    got.json()["amount_tax"].as_i64().unwrap()
}

fn reloads(server: &Server, result: &str) -> String {
    let text = server.get("/metrics").text();
    text.lines()
        .find_map(|l| {
            l.strip_prefix(&format!(
                "checkout_tax_reloads_total{{result=\"{result}\"}} "
            ))
        })
        .unwrap()
        .to_owned()
}

/// Sends SIGHUP and waits for the reload's log line.
fn hup_and_wait(server: &Server) -> String {
    let start = server.log_len();
    server.signal("HUP");
    server
        .wait_for_log_from(start, |l| l.contains(r#""event":"reload""#))
        .1
}

#[test]
fn sighup_reloads_a_good_file_and_keeps_the_old_engine_on_a_bad_one() {
    let table = temp_file("tax.csv", &table_with_de("19"));
    let args = [
        "--catalog",
        &fixture_arg("catalog.json"),
        "--tax-data",
        &table,
    ];
    let server = Server::start(&args);
    // 1000 EUR cents, inclusive: 1000 * 19 / 119 = 159.66 -> 160; at 21 %: 173.55 -> 174.
    assert_eq!(de_tax(&server), 160);
    std::fs::write(&table, table_with_de("21")).unwrap();
    let line = hup_and_wait(&server);
    assert!(line.contains(r#""ok":true"#), "{line}");
    assert_eq!(de_tax(&server), 174);
    assert_eq!(reloads(&server, "ok"), "1");

    // A bad row on line 3: the old engine stays, the line number is logged.
    let mut bad: Vec<String> = table_with_de("25").lines().map(str::to_owned).collect();
    bad[2] = "DE,inclusive,VAT,ebooks,seven,2021-01-01,,x".into();
    std::fs::write(&table, bad.join("\n")).unwrap();
    let line = hup_and_wait(&server);
    assert!(
        line.contains(r#""ok":false"#) && line.contains("line 3"),
        "{line}"
    );
    assert_eq!(de_tax(&server), 174);
    assert_eq!(reloads(&server, "failed"), "1");
    assert_eq!(server.get("/readyz").status, 200);
    // A missing file too.
    std::fs::remove_file(&table).unwrap();
    let line = hup_and_wait(&server);
    assert!(
        line.contains(r#""ok":false"#) && line.contains("cannot read"),
        "{line}"
    );
    assert_eq!(de_tax(&server), 174);
    assert_eq!(reloads(&server, "failed"), "2");
    // And the config says when.
    let config = server.get("/v1/config").json();
    assert_eq!(
        config["tax_data"]["rows"],
        json!(table_with_de("21").lines().count() - 1)
    );
}

#[test]
fn requests_in_flight_finish_on_the_engine_they_started_with() {
    let table = temp_file("tax.csv", &table_with_de("19"));
    let args = [
        "--catalog",
        &fixture_arg("catalog.json"),
        "--tax-data",
        &table,
    ];
    let server = std::sync::Arc::new(Server::start(&args));

    // A batch that started before the reload answers every line at 19 %,
    // also the lines sent after it.
    let mut stream = server.connect();
    let mut reader = stream.try_clone().unwrap();
    write!(stream, "POST /v1/batch?at={AT} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n").unwrap();
    let lines = |n: usize| format!("{DE_REQUEST}\n").repeat(n);
    let send = |stream: &mut std::net::TcpStream, text: &str| {
        write!(stream, "{:x}\r\n{text}\r\n", text.len()).unwrap();
    };
    send(&mut stream, &lines(50));
    // The batch has its engine once its first answer is out: wait for it
    // before reloading (on a busy host the handler may not have run yet).
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    while !raw.windows(12).any(|w| w == b"\"amount_tax\"") {
        let n = std::io::Read::read(&mut reader, &mut buf).unwrap();
        assert!(n > 0, "the batch closed before its first answer");
        raw.extend_from_slice(&buf[..n]);
    }
    std::fs::write(&table, table_with_de("21")).unwrap();
    assert!(hup_and_wait(&server).contains(r#""ok":true"#));
    assert_eq!(de_tax(&server), 174);
    send(&mut stream, &lines(50));
    stream.write_all(b"0\r\n\r\n").unwrap();
    std::io::Read::read_to_end(&mut reader, &mut raw).unwrap();
    let got = http::parse_response(&raw);
    let taxes: Vec<i64> = got
        .text()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["amount_tax"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert_eq!(taxes, vec![160; 100]);

    // Quotes under reloads back and forth: every one answered, with one
    // engine's answer or the other's, never an error.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (server, stop) = (server.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut seen = std::collections::BTreeMap::new();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    *seen.entry(de_tax(&server)).or_insert(0) += 1;
                }
                seen
            })
        })
        .collect();
    for i in 0..10 {
        std::fs::write(&table, table_with_de(if i % 2 == 0 { "19" } else { "21" })).unwrap();
        assert!(hup_and_wait(&server).contains(r#""ok":true"#));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut all = std::collections::BTreeMap::new();
    for w in workers {
        for (tax, n) in w.join().unwrap() {
            *all.entry(tax).or_insert(0) += n;
        }
    }
    assert!(all.keys().all(|t| *t == 160 || *t == 174), "{all:?}");
    assert_eq!(reloads(&server, "ok"), "11");
}

// ------------------------------------------------------------ shutdown and slow clients

#[test]
fn sigterm_drains_requests_in_flight_and_exits_0() {
    for signal in ["TERM", "INT"] {
        let mut server = Server::start(&strs(&engine_args()));
        // An idle keep-alive connection does not hold the exit back.
        let _idle = server.connect();
        let mut stream = server.connect();
        let mut reader = stream.try_clone().unwrap();
        write!(
            stream,
            "POST /v1/batch?at={AT} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        .unwrap();
        let text = format!("{}\n", example_text("request.json").replace('\n', ""));
        write!(stream, "{:x}\r\n{text}\r\n", text.len()).unwrap();
        std::thread::sleep(Duration::from_millis(200));
        server.signal(signal);
        // New connections are refused once it stopped accepting.
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::net::TcpStream::connect(&server.address).is_ok() {
            assert!(Instant::now() < deadline, "still accepting");
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            server.child.try_wait().unwrap().is_none(),
            "exited before the batch ended"
        );
        write!(stream, "{:x}\r\n{text}\r\n0\r\n\r\n", text.len()).unwrap();
        let got = http::read_response(&mut reader);
        assert_eq!(got.status, 200);
        let totals: Vec<i64> = got
            .text()
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["amount_total"]
                    .as_i64()
                    .unwrap()
            })
            .collect();
        assert_eq!(totals, vec![1079, 1079]);
        assert_eq!(
            server.wait_exit(Duration::from_secs(12)),
            Some(0),
            "{signal}"
        );
        // The batch's log line was written before the exit.
        server.wait_for_log(|l| l.contains(r#""path":"/v1/batch""#));
    }
}

#[test]
fn slow_clients_time_out_and_connections_are_capped() {
    let mut args = engine_args();
    args.extend(["--read-timeout", "1", "--max-connections", "2"].map(String::from));
    let server = Server::start(&strs(&args));
    // Headers that never end: the connection is closed after about 1 s.
    let start = Instant::now();
    let mut slow = server.connect();
    slow.write_all(b"POST /v1/quote HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let mut rest = Vec::new();
    let _ = slow.read_to_end(&mut rest);
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "{took:?}"
    );
    // A body that stops half way: 408 after about 1 s.
    let start = Instant::now();
    let mut slow = server.connect();
    slow.write_all(b"POST /v1/quote HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 100\r\n\r\n{\"mode\"").unwrap();
    let got = http::read_response(&mut slow);
    check_contract("POST", "/v1/quote", &got);
    assert_eq!(got.status, 408);
    assert!(start.elapsed() < Duration::from_secs(5));

    // Two connections that send nothing hold both slots: a third request
    // waits until the time-out frees one.
    let _a = server.connect();
    let _b = server.connect();
    std::thread::sleep(Duration::from_millis(100));
    let start = Instant::now();
    assert_eq!(server.get("/healthz").status, 200);
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(500),
        "served at once ({took:?}): no cap"
    );
    assert!(took < Duration::from_secs(5), "{took:?}");
}

// ------------------------------------------------------------ the example

/// The example's binary, next to the test's own `deps/` directory
/// (`cargo test` builds the examples first).
fn example_binary() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(std::path::Path::parent).unwrap();
    let binary = dir
        .join("examples")
        .join(format!("checkout_service{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.exists(),
        "{} is not built: run `cargo test` or `cargo build --example checkout_service`",
        binary.display()
    );
    binary
}

#[test]
fn the_example_service_calls_the_sidecar() {
    let service = |name: &str| {
        format!(
            "{}/tests/fixtures_service/{name}",
            env!("CARGO_MANIFEST_DIR")
        )
    };
    let keys = temp_file("keys", "sk_test_123\n");
    let (catalog, merchant, table) = (
        service("catalog.json"),
        service("merchant_direct.json"),
        service("tax_rates.csv"),
    );
    let server = Server::start(&[
        "--catalog",
        &catalog,
        "--merchant",
        &merchant,
        "--tax-data",
        &table,
        "--api-keys",
        &keys,
        "--at",
        AT,
    ]);
    let example = |request: &str| {
        let file = temp_file("request.json", request);
        std::process::Command::new(example_binary())
            .args([&server.url(""), &file])
            .env("CHECKOUT_TAX_API_KEY", "sk_test_123")
            .output()
            .unwrap()
    };
    // A Direct merchant registered in US-CA: 999 + 7.25 % = 1071.
    let out = example(
        r#"{"mode": "payment", "line_items": [{"price_id": "price_widget_usd", "quantity": 1}], "buyer_country": "US", "buyer_region": "CA"}"#,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let envelope: Value = serde_json::from_slice(&out.stdout).unwrap();
    let session = &envelope["data"]["session"];
    assert_eq!(envelope["success"], true);
    assert_eq!(
        (
            &session["amount_subtotal"],
            &session["amount_tax"],
            &session["amount_total"]
        ),
        (&json!(999), &json!(72), &json!(1071))
    );
    assert_eq!(session["currency"], "usd");
    // Not registered in NY: not_collecting, no tax.
    let out = example(
        r#"{"mode": "payment", "line_items": [{"ad_hoc_amount": 500, "ad_hoc_currency": "usd", "quantity": 2}], "buyer_country": "US", "buyer_region": "NY"}"#,
    );
    let session = &serde_json::from_slice::<Value>(&out.stdout).unwrap()["data"]["session"];
    assert_eq!(
        (&session["amount_total"], &session["tax_status"]),
        (&json!(1000), &json!("not_collecting"))
    );
    // A refusal reaches the example's caller with the engine's code and param.
    let out = example(
        r#"{"mode": "payment", "line_items": [{"price_id": "price_widget_usd", "quantitiy": 1}]}"#,
    );
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["code"], "unknown_field");
    assert_eq!(v["error"]["param"], "line_items[0].quantitiy");
}
