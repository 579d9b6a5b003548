//! The reference checkout service (`examples/checkout_service.rs`) end to
//! end: the compiled example runs as a child process on a loopback port, the
//! test talks HTTP/1.1 to it over a real socket, and every created session
//! is checked with the library's `Engine::verify`, as a service's own test
//! suite would.
//!
//! `cargo test` builds the examples before it runs the tests. On its own,
//! `cargo test --test service` does not: run
//! `cargo build --example checkout_service` first.
//!
//! The client is a few lines of HTTP/1.1 on `std::net::TcpStream` rather
//! than an HTTP crate: one POST with `Connection: close` is all it needs,
//! and the test then builds no client stack.

use checkout_tax::{Catalog, Engine, Merchant, RateTable, SessionRequest};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures_service");
const SESSIONS: &str = "/api/v1/public/checkout/sessions";
const API_KEY: &str = "sk_test_123";
/// The date every quote uses, so the test does not age.
const AT: &str = "2025-06-01";

/// The running service; killed when dropped, also when a test panics.
struct Service {
    child: Child,
    address: String,
    merchant: &'static str,
    stderr: Arc<Mutex<String>>,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The example's binary, next to the test's own `deps/` directory.
fn service_binary() -> PathBuf {
    let test_exe = std::env::current_exe().unwrap();
    let profile_dir = test_exe.parent().and_then(Path::parent).unwrap();
    let binary = profile_dir
        .join("examples")
        .join(format!("checkout_service{}", std::env::consts::EXE_SUFFIX));
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/checkout_service.rs");
    let built = std::fs::metadata(&binary).and_then(|m| m.modified());
    let edited = std::fs::metadata(&source)
        .and_then(|m| m.modified())
        .unwrap();
    match built {
        Err(_) => panic!(
            "{} is not built: run `cargo test` (which builds the examples) or \
             `cargo build --example checkout_service`",
            binary.display()
        ),
        Ok(built) if built < edited => panic!(
            "{} is older than its source: run `cargo test` or \
             `cargo build --example checkout_service`",
            binary.display()
        ),
        Ok(_) => binary,
    }
}

/// Starts the service with `merchant` (a fixture file) on a free loopback
/// port and waits for its `listening on http://ADDR` line.
fn start(merchant: &'static str) -> Service {
    let mut child = Command::new(service_binary())
        .args(["--catalog", &format!("{FIXTURES}/catalog.json")])
        .args(["--merchant", &format!("{FIXTURES}/{merchant}")])
        .args(["--tax-data", &format!("{FIXTURES}/tax_rates.csv")])
        .args(["--api-key", API_KEY, "--at", AT, "--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start the checkout service");

    // Drain stderr (the request log) so the pipe never fills, and keep it
    // for failure messages.
    let stderr = Arc::new(Mutex::new(String::new()));
    let mut pipe = child.stderr.take().unwrap();
    let sink = Arc::clone(&stderr);
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = pipe.read(&mut buf) {
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });

    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let mut service = Service {
        child,
        address: String::new(),
        merchant,
        stderr,
    };
    let line = rx.recv_timeout(Duration::from_secs(60)).unwrap_or_default();
    let Some(address) = line.trim().strip_prefix("listening on http://") else {
        // Give stderr a moment to arrive before reporting it.
        std::thread::sleep(Duration::from_millis(200));
        panic!(
            "the service did not start: first stdout line {line:?}, stderr:\n{}",
            service.stderr.lock().unwrap()
        );
    };
    service.address = address.to_owned();
    service
}

/// An HTTP answer: status and JSON body.
#[derive(Debug)]
struct Answer {
    status: u16,
    body: Value,
}

impl Service {
    /// POSTs `body` to the sessions endpoint, with `key` as `X-API-Key`.
    fn post(&self, key: Option<&str>, body: &str) -> Answer {
        let mut stream = TcpStream::connect(&self.address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let key_header = key.map_or(String::new(), |k| format!("X-API-Key: {k}\r\n"));
        let request = format!(
            "POST {SESSIONS} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n{key_header}Connection: close\r\n\r\n{body}",
            self.address,
            body.len()
        );
        stream.write_all(request.as_bytes()).unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        let raw = String::from_utf8(raw).unwrap();

        let (head, payload) = raw.split_once("\r\n\r\n").unwrap();
        let mut lines = head.lines();
        let status: u16 = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status line in {raw:?}"));
        let header = |name: &str| {
            head.lines().skip(1).find_map(|l| {
                let (n, v) = l.split_once(':')?;
                n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
            })
        };
        assert_eq!(header("content-type"), Some("application/json"), "{raw}");
        let length: usize = header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no content-length in {raw:?}"));
        assert_eq!(payload.len(), length, "{raw}");
        let body = serde_json::from_str(payload)
            .unwrap_or_else(|e| panic!("the body is not JSON ({e}): {payload}"));
        Answer { status, body }
    }

    /// The same engine the service runs, built from the same files: what
    /// a service's test suite would check its answers with.
    fn engine(&self) -> Engine {
        let read = |name: &str| std::fs::read_to_string(format!("{FIXTURES}/{name}")).unwrap();
        Engine::builder()
            .catalog(Catalog::from_json(&read("catalog.json")).unwrap())
            .merchant(Merchant::from_json(&read(self.merchant)).unwrap())
            .tax_table(RateTable::from_csv(&read("tax_rates.csv")).unwrap())
            .build()
            .unwrap()
    }

    /// Creates a session, checks the envelope, and verifies the amounts
    /// (session and lines) with the library. Returns the session.
    fn create_and_verify(&self, request: &Value) -> Value {
        let body = request.to_string();
        let answer = self.post(Some(API_KEY), &body);
        assert_eq!(answer.status, 200, "{:#}", answer.body);
        assert_eq!(answer.body["success"], true);
        assert!(answer.body["message"].is_string());
        let data = &answer.body["data"];
        let session = &data["session"];
        let id = session["id"].as_str().unwrap();
        assert!(id.starts_with("cs_test_"), "{id}");
        assert_eq!(session["status"], "open");
        assert!(session["expires_at"].as_i64().unwrap() > session["created"].as_i64().unwrap());
        assert_eq!(session["tax_date"], AT);
        assert_eq!(
            session["client_reference_id"],
            request["client_reference_id"]
        );
        assert!(data["url"].as_str().unwrap().ends_with(id));
        assert!(!data["session_token"].as_str().unwrap().is_empty());

        let parsed = SessionRequest::from_json(&body).unwrap();
        let report = self
            .engine()
            .verify(&parsed, &answer.body, checkout_tax::parse_date(AT).unwrap())
            .unwrap();
        assert!(report.is_match(), "{:#?}", report.mismatches);
        assert_eq!(
            session["line_items"].as_array().map(Vec::len),
            Some(parsed.line_items.len()),
            "verify compares line amounts only when the lines are there"
        );
        session.clone()
    }
}

fn amounts(session: &Value) -> (&str, i64, i64, i64) {
    (
        session["currency"].as_str().unwrap(),
        session["amount_subtotal"].as_i64().unwrap(),
        session["amount_tax"].as_i64().unwrap(),
        session["amount_total"].as_i64().unwrap(),
    )
}

#[test]
fn eu_buyer_gets_an_inclusive_session_that_verifies() {
    let service = start("merchant_direct.json");
    let session = service.create_and_verify(&json!({
        "mode": "payment",
        "presentation": "link",
        "line_items": [
            { "price_id": "price_widget_eur", "quantity": 2 },
            { "product_id": "prod_ebook", "quantity": 1 }
        ],
        "customer_email": "buyer@example.com",
        "success_url": "https://shop.example.com/success",
        "cancel_url": "https://shop.example.com/cancel",
        "buyer_country": "de",
        "client_reference_id": "order_eu_1"
    }));
    // 2000 x 19/119 = 319.33 -> 319; 1499 x 7/107 = 98.07 -> 98; the tax is
    // inside the price, so the total is the subtotal.
    assert_eq!(amounts(&session), ("EUR", 3499, 417, 3499));
    assert_eq!(session["tax_status"], "calculated");
    assert_eq!(session["tax_jurisdiction"], "DE");
    assert_eq!(session["tax_regime"], "inclusive");
    assert_eq!(session["presentation"], "link");
    assert_eq!(session["customer_email"], "buyer@example.com");
    assert_eq!(session["line_items"][1]["taxes"][0]["rate"], "7");
}

#[test]
fn us_buyer_gets_an_exclusive_session_that_verifies() {
    let service = start("merchant_direct.json");
    let session = service.create_and_verify(&json!({
        "mode": "payment",
        "line_items": [
            { "price_id": "price_widget_usd", "quantity": 3 },
            { "ad_hoc_amount": 500, "ad_hoc_currency": "usd", "quantity": 1,
              "description": "Gift wrap" }
        ],
        "buyer_country": "US",
        "buyer_region": "CA",
        "client_reference_id": "order_us_1"
    }));
    // 2997 x 7.25 % = 217.28 -> 217; 500 x 7.25 % = 36.25 -> 36 (half up);
    // the tax is added on top.
    assert_eq!(amounts(&session), ("USD", 3497, 253, 3750));
    assert_eq!(session["tax_jurisdiction"], "US-CA");
    assert_eq!(session["tax_regime"], "exclusive");
    assert_eq!(session["line_items"][1]["description"], "Gift wrap");
}

#[test]
fn merchant_of_record_refuses_ad_hoc_amounts_with_the_spec_error() {
    let service = start("merchant_mor.json");
    let body = json!({
        "mode": "payment",
        "line_items": [ { "ad_hoc_amount": 500, "ad_hoc_currency": "eur", "quantity": 1 } ],
        "buyer_country": "DE"
    })
    .to_string();
    let answer = service.post(Some(API_KEY), &body);
    assert_eq!(answer.status, 400, "{:#}", answer.body);
    assert_eq!(answer.body["success"], false);
    assert!(answer.body["message"].is_string());
    let error = &answer.body["error"];
    assert_eq!(error["code"], "ad_hoc_not_allowed");
    assert_eq!(error["param"], "line_items[0].ad_hoc_amount");
    assert!(error["message"].is_string());
    assert!(answer.body.get("data").is_none());

    // The service passes the library's refusal through unchanged.
    let parsed = SessionRequest::from_json(&body).unwrap();
    let refusal = service
        .engine()
        .verify(&parsed, &answer.body, checkout_tax::parse_date(AT).unwrap())
        .unwrap_err();
    assert_eq!(
        refusal.to_json()["error"],
        *error,
        "the service's error object is the library's"
    );

    // Catalog prices are fine for a Merchant of Record.
    let session = service.create_and_verify(&json!({
        "mode": "payment",
        "line_items": [ { "price_id": "price_widget_eur", "quantity": 1 } ],
        "buyer_country": "DE",
        "client_reference_id": "order_mor_1"
    }));
    assert_eq!(amounts(&session), ("EUR", 1000, 160, 1000));
}

#[test]
fn parse_errors_keep_their_code_and_param() {
    let service = start("merchant_direct.json");
    for (body, code, param) in [
        (
            r#"{"mode": "payment", "line_items": [{"price_id": "price_widget_eur", "quantitiy": 1}]}"#,
            "unknown_field",
            json!("line_items[0].quantitiy"),
        ),
        (
            r#"{"mode": "Payment", "line_items": []}"#,
            "invalid_mode",
            json!("mode"),
        ),
        (r#"{"mode": "payment""#, "invalid_request", Value::Null),
    ] {
        let answer = service.post(Some(API_KEY), body);
        assert_eq!(answer.status, 400, "{body}: {:#}", answer.body);
        assert_eq!(answer.body["success"], false, "{body}");
        assert_eq!(answer.body["error"]["code"], code, "{body}");
        assert_eq!(answer.body["error"]["param"], param, "{body}");
    }
}

#[test]
fn a_wrong_or_missing_api_key_is_refused_with_401() {
    let service = start("merchant_direct.json");
    let body = json!({
        "mode": "payment",
        "line_items": [ { "price_id": "price_widget_eur", "quantity": 1 } ],
        "buyer_country": "DE"
    })
    .to_string();
    for key in [Some("sk_test_124"), Some("sk_test_12"), Some(""), None] {
        let answer = service.post(key, &body);
        assert_eq!(answer.status, 401, "key {key:?}: {:#}", answer.body);
        assert_eq!(answer.body["success"], false);
        assert_eq!(answer.body["error"]["code"], "invalid_api_key");
        assert!(answer.body.get("data").is_none());
    }
    // The right key on the same body is accepted.
    assert_eq!(service.post(Some(API_KEY), &body).status, 200);
}

#[test]
fn verify_catches_a_session_whose_amounts_were_changed() {
    let service = start("merchant_direct.json");
    let body = json!({
        "mode": "payment",
        "line_items": [ { "price_id": "price_widget_usd", "quantity": 1 } ],
        "buyer_country": "US",
        "buyer_region": "US-CA"
    })
    .to_string();
    let mut answer = service.post(Some(API_KEY), &body);
    assert_eq!(answer.status, 200, "{:#}", answer.body);
    // A service that forgot the tax on the way out.
    answer.body["data"]["session"]["amount_tax"] = json!(0);
    answer.body["data"]["session"]["amount_total"] = json!(999);
    let parsed = SessionRequest::from_json(&body).unwrap();
    let report = service
        .engine()
        .verify(&parsed, &answer.body, checkout_tax::parse_date(AT).unwrap())
        .unwrap();
    let fields: Vec<&str> = report.mismatches.iter().map(|m| m.field.as_str()).collect();
    assert_eq!(fields, ["amount_tax", "amount_total"]);
}
