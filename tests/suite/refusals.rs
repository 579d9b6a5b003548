//! Every refusal case, from one corpus (`tests/corpus/refusals.json`, whose
//! `about` says how a case is written), run by one test through the four
//! ways a request reaches the engine:
//!
//! 1. the library: `SessionRequest::from_json_bytes` then `Engine::quote`,
//!    which must refuse with the case's code and param;
//! 2. the bytes entry point, `Engine::quote_json`, which must answer the
//!    library's error object exactly (code, message, param);
//! 3. the CLI: one `checkout-tax batch` run per setup, merchant and date,
//!    each answer line equal to `quote_json`'s; a body that spans lines (a
//!    batch line cannot hold it) goes through `checkout-tax quote FILE`
//!    instead, which must exit 1 with the same error object;
//! 4. the service: one `checkout-tax serve` per setup, merchant and date,
//!    each body sent as `POST /v1/quote`, answered 400 (413 for a body over
//!    the limit) with `quote_json`'s error object.
//!
//! The test names every failing case and says which way failed.

use crate::support::{self, BIN, http};
use checkout_tax::request::limits::MAX_REQUEST_BYTES;
use checkout_tax::{Catalog, Engine, ErrorCode, Merchant, MerchantType, RateTable, SessionRequest};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

/// Fewer cases than this means cases were lost, not that all pass.
const MIN_CASES: usize = 443;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Corpus {
    #[allow(dead_code)]
    about: Vec<String>,
    setups: BTreeMap<String, Setup>,
    cases: Vec<Case>,
}

/// A catalog and a tax table, as paths from the repository root.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Setup {
    catalog: String,
    /// `None`: the embedded table.
    tax_data: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    #[allow(dead_code)]
    about: Option<String>,
    setup: String,
    merchant: MerchantType,
    at: String,
    /// A JSON request, sent as serde_json writes it.
    request: Option<Value>,
    /// The exact bytes, when a JSON value cannot say them.
    body: Option<Body>,
    code: String,
    param: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Body {
    Text(String),
    Parts(Vec<Part>),
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Part {
    Text(String),
    Repeat { repeat: String, times: usize },
}

impl Case {
    fn body(&self) -> Vec<u8> {
        match (&self.request, &self.body) {
            (Some(request), None) => request.to_string().into_bytes(),
            (None, Some(Body::Text(text))) => text.clone().into_bytes(),
            (None, Some(Body::Parts(parts))) => parts
                .iter()
                .map(|p| match p {
                    Part::Text(text) => text.clone(),
                    Part::Repeat { repeat, times } => repeat.repeat(*times),
                })
                .collect::<String>()
                .into_bytes(),
            _ => panic!("{}: give exactly one of `request` and `body`", self.name),
        }
    }
}

fn root(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(path)
        .to_str()
        .unwrap()
        .to_owned()
}

fn corpus() -> Corpus {
    let path = root("tests/corpus/refusals.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn engine(setup: &Setup, merchant: MerchantType) -> Engine {
    let catalog = std::fs::read_to_string(root(&setup.catalog)).unwrap();
    let mut builder = Engine::builder()
        .catalog(Catalog::from_json(&catalog).unwrap())
        .merchant(Merchant::new(merchant));
    if let Some(csv) = &setup.tax_data {
        let csv = std::fs::read_to_string(root(csv)).unwrap();
        builder = builder.tax_table(RateTable::from_csv(&csv).unwrap());
    }
    builder.build().unwrap()
}

/// The first 160 characters of a body, for failure messages.
fn show(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut s: String = text.chars().take(160).collect();
    if s.len() < text.len() {
        s.push_str(&format!("... ({} bytes)", body.len()));
    }
    s
}

/// Checks one case through the library and `quote_json`; the error object
/// `quote_json` wrote, for the CLI to match.
fn library_and_bytes(engine: &Engine, case: &Case, body: &[u8]) -> Result<Vec<u8>, String> {
    let date = support::date(&case.at);
    let outcome =
        SessionRequest::from_json_bytes(body).and_then(|r| engine.quote(&r, date).map(|_| ()));
    let err = match outcome {
        Ok(()) => return Err("the library quoted it".to_owned()),
        Err(e) => e,
    };
    let got = (err.code().as_str(), err.param());
    if got != (case.code.as_str(), case.param.as_deref()) {
        return Err(format!(
            "the library refused with {got:?} ({err}), expected ({:?}, {:?})",
            case.code, case.param
        ));
    }
    let mut out = Vec::new();
    if engine.quote_json(body, date, &mut out).is_quote() {
        return Err("quote_json quoted it".to_owned());
    }
    let written: Value = serde_json::from_slice(&out)
        .map_err(|e| format!("quote_json wrote no JSON ({e}): {}", show(&out)))?;
    if written != err.to_json() {
        return Err(format!(
            "quote_json wrote {written}, the library's error is {}",
            err.to_json()
        ));
    }
    if written["error"]["message"]
        .as_str()
        .is_none_or(str::is_empty)
    {
        return Err(format!("no message in {written}"));
    }
    Ok(out)
}

/// `checkout-tax <command> --catalog .. [--tax-data ..] --merchant-type ..
/// --at .. <extra>` with `stdin`.
fn cli(command: &str, setup: &Setup, case: &Case, extra: &[&str], stdin: &[u8]) -> (i32, Vec<u8>) {
    let mut cmd = Command::new(BIN);
    cmd.arg(command).args(["--catalog", &root(&setup.catalog)]);
    if let Some(csv) = &setup.tax_data {
        cmd.args(["--tax-data", &root(csv)]);
    }
    let merchant = serde_json::to_value(case.merchant).unwrap();
    cmd.args(["--merchant-type", merchant.as_str().unwrap()])
        .args(["--at", &case.at])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(
        out.status.code().is_some_and(|c| c < 2),
        "{command} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap(), out.stdout)
}

/// Sends each case's body to `POST /v1/quote` of a server started for the
/// group (its setup, merchant and date); returns the failures.
fn service(setup: &Setup, first: &Case, cases: &[(&Case, Vec<u8>)]) -> Vec<String> {
    let mut args = vec!["--catalog".to_owned(), root(&setup.catalog)];
    if let Some(csv) = &setup.tax_data {
        args.extend(["--tax-data".to_owned(), root(csv)]);
    }
    let merchant = serde_json::to_value(first.merchant).unwrap();
    args.extend([
        "--merchant-type".to_owned(),
        merchant.as_str().unwrap().to_owned(),
        "--at".to_owned(),
        first.at.clone(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = http::Server::start(&args);
    let mut failures = Vec::new();
    for (case, answer) in cases {
        let body = case.body();
        let response = server.post_json("/v1/quote", &body);
        let expected_status = if body.len() > MAX_REQUEST_BYTES {
            413
        } else {
            400
        };
        let same = if expected_status == 413 {
            same_batch_answer(&response.body, answer) || {
                let (got, want): (Value, Value) = (
                    serde_json::from_slice(&response.body).unwrap_or_default(),
                    serde_json::from_slice(answer).unwrap(),
                );
                got["error"]["code"] == want["error"]["code"]
                    && got["error"]["param"] == want["error"]["param"]
            }
        } else {
            serde_json::from_slice::<Value>(&response.body).ok()
                == serde_json::from_slice::<Value>(answer).ok()
        };
        if response.status != expected_status || !same {
            failures.push(format!(
                "{}: POST /v1/quote answered {} {}, expected {expected_status} {}",
                case.name,
                response.status,
                show(&response.body),
                show(answer)
            ));
        }
    }
    failures
}

/// A batch line is `quote_json`'s answer, byte for byte; but batch keeps
/// only `MAX_REQUEST_BYTES + 1` bytes of a longer line, so the message of
/// its `limit_exceeded` counts those (code and param must still agree).
fn same_batch_answer(line: &[u8], answer: &[u8]) -> bool {
    if line == answer {
        return true;
    }
    let (Ok(line), Ok(answer)) = (
        serde_json::from_slice::<Value>(line),
        serde_json::from_slice::<Value>(answer),
    ) else {
        return false;
    };
    let over = format!(
        "the request is {} bytes; the limit is {MAX_REQUEST_BYTES} bytes",
        MAX_REQUEST_BYTES + 1
    );
    answer["error"]["code"] == "limit_exceeded"
        && line["error"]["code"] == answer["error"]["code"]
        && line["error"]["param"] == answer["error"]["param"]
        && line["error"]["message"] == over.as_str()
}

#[test]
fn every_refusal_case_is_refused_alike_by_the_library_the_bytes_entry_point_the_cli_and_the_service()
 {
    let corpus = corpus();
    assert!(
        corpus.cases.len() >= MIN_CASES,
        "only {} refusal cases",
        corpus.cases.len()
    );
    let mut names = std::collections::BTreeSet::new();
    for case in &corpus.cases {
        assert!(names.insert(&case.name), "two cases named {}", case.name);
    }

    // Cases by (setup, merchant, date): one engine and one batch run each.
    let mut groups: BTreeMap<(&str, String, &str), Vec<&Case>> = BTreeMap::new();
    for case in &corpus.cases {
        let merchant = serde_json::to_string(&case.merchant).unwrap();
        groups
            .entry((case.setup.as_str(), merchant, case.at.as_str()))
            .or_default()
            .push(case);
    }
    let mut failures = Vec::new();
    for ((setup_name, _, _), cases) in &groups {
        let setup = corpus
            .setups
            .get(*setup_name)
            .unwrap_or_else(|| panic!("no setup `{setup_name}`"));
        let engine = engine(setup, cases[0].merchant);
        let mut batch_input = Vec::new();
        let mut batched = Vec::new();
        let mut answered: Vec<(&Case, Vec<u8>)> = Vec::new();
        for case in cases {
            let body = case.body();
            let answer = match library_and_bytes(&engine, case, &body) {
                Ok(answer) => answer,
                Err(why) => {
                    failures.push(format!("{}: {why}\n    body: {}", case.name, show(&body)));
                    continue;
                }
            };
            answered.push((*case, answer.clone()));
            if body.contains(&b'\n') || body.ends_with(b"\r") {
                // Not one batch line: `quote` reads it from a file.
                let file = support::temp_file("refusal.json", &String::from_utf8(body).unwrap());
                let (code, stdout) = cli("quote", setup, case, &[&file], b"");
                let printed: Result<Value, _> = serde_json::from_slice(&stdout);
                let expected: Value = serde_json::from_slice(&answer).unwrap();
                if code != 1 || printed.as_ref().ok() != Some(&expected) {
                    failures.push(format!(
                        "{}: `checkout-tax quote` exited {code} with {}, expected 1 with {expected}",
                        case.name,
                        show(&stdout)
                    ));
                }
            } else {
                batch_input.extend_from_slice(&body);
                batch_input.push(b'\n');
                batched.push((case, answer));
            }
        }
        failures.extend(service(setup, cases[0], &answered));
        let (code, stdout) = cli("batch", setup, cases[0], &[], &batch_input);
        assert_eq!(code, 0, "batch for {setup_name}");
        let lines: Vec<&[u8]> = stdout.split(|b| *b == b'\n').collect();
        assert_eq!(
            lines.len(),
            batched.len() + 1,
            "batch for {setup_name}: one answer per line"
        );
        for ((case, answer), line) in batched.iter().zip(&lines) {
            if !same_batch_answer(line, answer) {
                failures.push(format!(
                    "{}: batch answered {}, quote_json {}",
                    case.name,
                    show(line),
                    show(answer)
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} refusal cases failed (tests/corpus/refusals.json):\n{}",
        failures.len(),
        corpus.cases.len(),
        failures.join("\n")
    );
}

#[test]
fn every_code_of_the_spec_is_exercised_by_a_refusal_case() {
    let library: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    let corpus = corpus();
    for code in support::SPEC_CODES {
        assert!(library.contains(&code), "the library has no `{code}`");
        assert!(
            corpus.cases.iter().any(|c| c.code == code),
            "no refusal case produces `{code}`"
        );
    }
}
