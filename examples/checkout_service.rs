//! A reference checkout service built on `checkout_tax`: the create-session
//! endpoint of a hosted checkout, with the library doing every amount.
//!
//! ```sh
//! cargo run --example checkout_service -- \
//!     --catalog examples/catalog.json --merchant examples/merchant_direct.json \
//!     --api-key sk_test_123 --listen 127.0.0.1:8080
//!
//! curl -s http://127.0.0.1:8080/api/v1/public/checkout/sessions \
//!     -H 'X-API-Key: sk_test_123' -H 'Content-Type: application/json' \
//!     -d @examples/request_eu_de.json
//! ```
//!
//! What it shows: the engine is built once at start-up and shared by every
//! request (`Engine` is `Send + Sync` and cheap to clone); the body is parsed
//! with `SessionRequest::from_json` on the raw text, so the spec's error
//! codes and `param` paths reach the API client unchanged; the clock is read
//! here, at the edge, and handed to the engine as a date.
//!
//! What it leaves out on purpose: sessions are not stored, and ids and tokens
//! are unique per process but not secret (a real service draws them from a
//! CSPRNG and keeps the session in its database).

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use checkout_tax::request::limits::MAX_REQUEST_BYTES;
use checkout_tax::{
    Catalog, Date, Engine, Error, Jurisdiction, Merchant, Mode, Presentation, QuoteLine, RateTable,
    Regime, SessionRequest, TaxStatus,
};
use serde::Serialize;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The endpoint of the spec's create-session request.
const SESSIONS_PATH: &str = "/api/v1/public/checkout/sessions";
/// How long a session stays open, in seconds.
const SESSION_LIFETIME_SECONDS: i64 = 24 * 60 * 60;

const USAGE: &str = "\
usage: checkout_service --catalog FILE --merchant FILE --api-key KEY
                        [--listen ADDR] [--tax-data FILE] [--at YYYY-MM-DD]
                        [--checkout-url BASE]

  --catalog FILE       the merchant's catalog (JSON, as for `checkout-tax quote`)
  --merchant FILE      the merchant's settings (JSON: merchant_type, tax_registrations, rounding)
  --api-key KEY        the key clients send in the X-API-Key header
  --listen ADDR        address to listen on (default 127.0.0.1:8080; port 0 picks a free one)
  --tax-data FILE      a tax table CSV instead of the embedded one
  --at YYYY-MM-DD      quote with the rates in force on this date (default: today in UTC)
  --checkout-url BASE  base of the session's hosted page (default https://checkout.example.com/c)

The first line on stdout is `listening on http://ADDR`, with the bound port.

example:
  cargo run --example checkout_service -- --catalog examples/catalog.json \\
      --merchant examples/merchant_direct.json --api-key sk_test_123 --listen 127.0.0.1:8080
";

/// The command line.
struct Config {
    catalog: String,
    merchant: String,
    api_key: String,
    listen: String,
    tax_data: Option<String>,
    at: Option<Date>,
    checkout_url: String,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Config, String> {
    let (mut catalog, mut merchant, mut api_key) = (None, None, None);
    let mut config = Config {
        catalog: String::new(),
        merchant: String::new(),
        api_key: String::new(),
        listen: "127.0.0.1:8080".into(),
        tax_data: None,
        at: None,
        checkout_url: "https://checkout.example.com/c".into(),
    };
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Err(String::new());
        }
        let value = args
            .next()
            .ok_or_else(|| format!("`{flag}` needs a value"))?;
        match flag.as_str() {
            "--catalog" => catalog = Some(value),
            "--merchant" => merchant = Some(value),
            "--api-key" => api_key = Some(value),
            "--listen" => config.listen = value,
            "--tax-data" => config.tax_data = Some(value),
            "--at" => {
                let date = checkout_tax::parse_date(&value)
                    .map_err(|_| format!("`--at {value}` is not a YYYY-MM-DD date"))?;
                config.at = Some(date);
            }
            "--checkout-url" => config.checkout_url = value.trim_end_matches('/').to_owned(),
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    config.catalog = catalog.ok_or("`--catalog FILE` is required")?;
    config.merchant = merchant.ok_or("`--merchant FILE` is required")?;
    config.api_key = api_key.ok_or("`--api-key KEY` is required")?;
    if config.api_key.is_empty() {
        return Err("`--api-key` must not be empty".into());
    }
    Ok(config)
}

/// Reads the files and builds the one engine every request shares.
fn build_engine(config: &Config) -> Result<Engine, String> {
    let read = |path: &str| {
        std::fs::read_to_string(path).map_err(|e| format!("cannot read `{path}`: {e}"))
    };
    let catalog = Catalog::from_json(&read(&config.catalog)?)
        .map_err(|e| format!("`{}`: {e}", config.catalog))?;
    let merchant = Merchant::from_json(&read(&config.merchant)?)
        .map_err(|e| format!("`{}`: {e}", config.merchant))?;
    let mut builder = Engine::builder().catalog(catalog).merchant(merchant);
    if let Some(path) = &config.tax_data {
        let table = RateTable::from_csv(&read(path)?).map_err(|e| format!("`{path}`: {e}"))?;
        builder = builder.tax_table(table);
    }
    builder.build().map_err(|e| e.to_string())
}

/// What every request handler shares.
struct AppState {
    engine: Engine,
    api_key: String,
    at: Option<Date>,
    checkout_url: String,
    /// `cs_test_` for test keys (`sk_test_...`), `cs_live_` otherwise.
    id_prefix: &'static str,
    /// Makes ids unique within the process...
    counter: AtomicU64,
    /// ...and across restarts.
    boot: i128,
}

impl AppState {
    /// A new session id and token: a hash of the process start time and a
    /// counter. Unique, not secret (see the module docs).
    fn next_ids(&self) -> (String, String) {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let hash = |salt: &str| {
            let mut h = DefaultHasher::new();
            (self.boot, std::process::id(), n, salt).hash(&mut h);
            h.finish()
        };
        (
            format!("{}{:016x}{:016x}", self.id_prefix, hash("id"), hash("id2")),
            format!("cst_{:016x}{:016x}", hash("token"), hash("token2")),
        )
    }

    /// The date whose rates apply: `--at`, else today in UTC.
    fn tax_date(&self) -> Date {
        self.at.unwrap_or_else(|| {
            jiff::tz::TimeZone::UTC
                .to_datetime(jiff::Timestamp::now())
                .date()
        })
    }
}

/// The created session, as the API returns it.
#[derive(Serialize)]
struct Session<'a, 'q> {
    id: &'a str,
    object: &'static str,
    status: &'static str,
    mode: Mode,
    presentation: Presentation,
    /// Upper-case ISO 4217 code; null for setup sessions.
    currency: Option<&'static str>,
    amount_subtotal: i64,
    amount_tax: i64,
    amount_total: i64,
    tax_status: TaxStatus,
    tax_jurisdiction: Option<Jurisdiction>,
    tax_regime: Option<Regime>,
    /// The date whose rates were used.
    tax_date: String,
    client_reference_id: Option<&'a str>,
    customer_email: Option<&'a str>,
    success_url: Option<&'a str>,
    cancel_url: Option<&'a str>,
    line_items: &'a [QuoteLine<'q>],
    /// Unix seconds.
    created: i64,
    /// Unix seconds.
    expires_at: i64,
}

/// `{"success": true, "message", "data": {"session", "url", "session_token"}}`.
#[derive(Serialize)]
struct Created<'a, 'q> {
    success: bool,
    message: &'static str,
    data: CreatedData<'a, 'q>,
}

#[derive(Serialize)]
struct CreatedData<'a, 'q> {
    session: Session<'a, 'q>,
    url: String,
    session_token: String,
}

/// `{"success": false, "message", "error": {"code", "message", "param"}}`:
/// the spec's error object inside the service's envelope.
#[derive(Serialize)]
struct Refused<'a> {
    success: bool,
    message: String,
    error: ErrorObject<'a>,
}

#[derive(Serialize)]
struct ErrorObject<'a> {
    code: &'a str,
    message: String,
    param: Option<&'a str>,
}

/// A handler's outcome: the status, the JSON body, and a line for the log.
struct Answer {
    status: StatusCode,
    body: String,
    log: String,
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        (
            self.status,
            [(header::CONTENT_TYPE, "application/json")],
            self.body,
        )
            .into_response()
    }
}

impl Answer {
    fn json(status: StatusCode, body: &impl Serialize, log: String) -> Answer {
        match serde_json::to_string(body) {
            Ok(body) => Answer { status, body, log },
            Err(e) => refused(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                format!("cannot serialise the answer: {e}"),
            ),
        }
    }
}

async fn create_session(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let answer = create(&state, &headers, body);
    let _ = writeln!(
        std::io::stderr(),
        "POST {SESSIONS_PATH} {} {}",
        answer.status.as_u16(),
        answer.log
    );
    answer
}

fn create(state: &AppState, headers: &HeaderMap, body: Result<Bytes, BytesRejection>) -> Answer {
    match headers.get("x-api-key") {
        None => return unauthorized("missing `X-API-Key` header"),
        Some(key) if !same_secret(key.as_bytes(), state.api_key.as_bytes()) => {
            return unauthorized("invalid API key");
        }
        Some(_) => {}
    }

    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return refused(
                StatusCode::PAYLOAD_TOO_LARGE,
                "limit_exceeded",
                format!("the request is larger than the limit of {MAX_REQUEST_BYTES} bytes"),
            );
        }
        Err(rejection) => {
            return refused(
                rejection.status(),
                "invalid_request",
                format!("cannot read the request body: {rejection}"),
            );
        }
    };
    let Ok(text) = std::str::from_utf8(&body) else {
        return refused(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the request body is not UTF-8".into(),
        );
    };

    let request = match SessionRequest::from_json(text) {
        Ok(request) => request,
        Err(e) => return engine_error(&e),
    };
    let date = state.tax_date();
    let quote = match state.engine.quote(&request, date) {
        Ok(quote) => quote,
        Err(e) => return engine_error(&e),
    };

    let (id, token) = state.next_ids();
    let created = jiff::Timestamp::now().as_second();
    let session = Session {
        id: &id,
        object: "checkout.session",
        status: "open",
        mode: quote.mode,
        presentation: request.presentation,
        currency: quote.currency.map(|c| c.code()),
        amount_subtotal: quote.amount_subtotal,
        amount_tax: quote.amount_tax,
        amount_total: quote.amount_total,
        tax_status: quote.tax_status,
        tax_jurisdiction: quote.tax_jurisdiction,
        tax_regime: quote.tax_regime,
        tax_date: date.to_string(),
        client_reference_id: quote.client_reference_id.as_deref(),
        customer_email: request.customer_email.as_deref(),
        success_url: request.success_url.as_deref(),
        cancel_url: request.cancel_url.as_deref(),
        line_items: &quote.line_items,
        created,
        expires_at: created.saturating_add(SESSION_LIFETIME_SECONDS),
    };
    let log = format!(
        "{id} {} subtotal={} tax={} total={} {}",
        session.currency.unwrap_or("-"),
        session.amount_subtotal,
        session.amount_tax,
        session.amount_total,
        session.tax_status.as_str(),
    );
    let created = Created {
        success: true,
        message: "Checkout session created",
        data: CreatedData {
            url: format!("{}/{id}", state.checkout_url),
            session_token: token,
            session,
        },
    };
    Answer::json(StatusCode::OK, &created, log)
}

/// A refusal by the engine: the spec's error object unchanged, with 400.
/// (The engine's own inputs were checked at start-up, so an error that is
/// not about the request is the service's fault: 500.)
fn engine_error(e: &Error) -> Answer {
    let status = if e.is_request_error() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    let body = Refused {
        success: false,
        message: e.to_string(),
        error: ErrorObject {
            code: e.code().as_str(),
            message: e.message(),
            param: e.param(),
        },
    };
    let log = format!("{} {}", e.code(), e.param().unwrap_or("-"));
    Answer::json(status, &body, log)
}

fn unauthorized(message: &str) -> Answer {
    refused(StatusCode::UNAUTHORIZED, "invalid_api_key", message.into())
}

/// A refusal in the same envelope, for errors the service itself finds.
fn refused(status: StatusCode, code: &str, message: String) -> Answer {
    let body = Refused {
        success: false,
        message: message.clone(),
        error: ErrorObject {
            code,
            message,
            param: None,
        },
    };
    let log = code.to_owned();
    match serde_json::to_string(&body) {
        Ok(body) => Answer { status, body, log },
        // Strings and an Option<&str> always serialise; keep a valid body anyway.
        Err(_) => Answer {
            status,
            body: r#"{"success":false,"message":"internal error","error":{"code":"internal_error","message":"internal error","param":null}}"#.into(),
            log,
        },
    }
}

/// Compares two keys in time that depends only on their lengths, so the
/// answer's timing does not reveal how much of a guessed key was right.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

async fn not_found() -> Answer {
    refused(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no such endpoint; sessions are created with POST {SESSIONS_PATH}"),
    )
}

async fn method_not_allowed() -> Answer {
    refused(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("sessions are created with POST {SESSIONS_PATH}"),
    )
}

fn app(state: Arc<AppState>) -> Router {
    Router::new()
        .route(
            SESSIONS_PATH,
            post(create_session).fallback(method_not_allowed),
        )
        .fallback(not_found)
        // The library refuses larger bodies too; stopping them here means
        // they are never buffered whole.
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .with_state(state)
}

#[tokio::main]
async fn main() -> ExitCode {
    let config = match parse_args(std::env::args().skip(1)) {
        Ok(config) => config,
        Err(message) if message.is_empty() => {
            let _ = write!(std::io::stdout(), "{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            let _ = write!(std::io::stderr(), "checkout_service: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match serve(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            let _ = writeln!(std::io::stderr(), "checkout_service: {message}");
            ExitCode::from(2)
        }
    }
}

async fn serve(config: Config) -> Result<(), String> {
    let engine = build_engine(&config)?;
    let state = Arc::new(AppState {
        engine,
        id_prefix: if config.api_key.starts_with("sk_test_") {
            "cs_test_"
        } else {
            "cs_live_"
        },
        api_key: config.api_key,
        at: config.at,
        checkout_url: config.checkout_url,
        counter: AtomicU64::new(0),
        boot: jiff::Timestamp::now().as_nanosecond(),
    });
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .map_err(|e| format!("cannot listen on `{}`: {e}", config.listen))?;
    let address = listener
        .local_addr()
        .map_err(|e| format!("cannot read the bound address: {e}"))?;
    {
        // The first line is a contract: scripts and tests read the port from it.
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on http://{address}")
            .and_then(|()| out.flush())
            .map_err(|e| format!("cannot write to stdout: {e}"))?;
    }
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| format!("server error: {e}"))
}

/// Ctrl-C, or SIGTERM (what `docker stop` and systemd send): stop accepting
/// connections and let the open ones finish.
async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
