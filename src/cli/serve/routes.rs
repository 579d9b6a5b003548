//! The routes of the spec's section 1. Every answer comes from the same
//! library calls as the CLI: `Engine::quote_json` (quote, batch),
//! `Engine::verify_json` and `Report::to_json` (verify),
//! `present::rates_at` and `present::rates_json` (rates).

use super::assets;
use super::batch;
use super::http::{
    Call, Code, content_type_refusal, http_error, json, refusal, status_of, with_code,
};
use super::log::{RequestLine, now, short_path};
use super::metrics::{Metrics, UNMATCHED};
use super::state::Shared;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use checkout_tax::request::limits::MAX_REQUEST_BYTES;
use checkout_tax::{Answer, ErrorCode, present};
use http_body::Frame;
use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Instant;

/// The largest `/v1/verify` body: a request (at most 1 MiB) and the
/// service's answer to it.
pub(crate) const MAX_VERIFY_BYTES: usize = 4 << 20;

/// The OpenAPI document, hand-written.
const OPENAPI: &str = include_str!("openapi.json");

/// The document as served: the error codes' list and the version are the
/// binary's own, so they cannot drift from the engine.
fn openapi_document() -> Bytes {
    static DOCUMENT: std::sync::OnceLock<Bytes> = std::sync::OnceLock::new();
    DOCUMENT
        .get_or_init(|| {
            let Ok(mut doc) = serde_json::from_str::<serde_json::Value>(OPENAPI) else {
                return Bytes::from_static(OPENAPI.as_bytes());
            };
            let codes: Vec<&str> = ErrorCode::ALL
                .iter()
                .map(|c| c.as_str())
                .chain(super::http::HTTP_CODES.iter().copied())
                .collect();
            if let Some(slot) =
                doc.pointer_mut("/components/schemas/ErrorBody/properties/code/enum")
            {
                *slot = serde_json::json!(codes);
            }
            if let Some(slot) = doc.pointer_mut("/info/version") {
                *slot = serde_json::json!(env!("CARGO_PKG_VERSION"));
            }
            Bytes::from(serde_json::to_vec(&doc).unwrap_or_else(|_| OPENAPI.as_bytes().to_vec()))
        })
        .clone()
}

/// The service's router.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let api = Router::new()
        .route("/v1/quote", post(quote))
        .route("/v1/verify", post(verify))
        .route("/v1/batch", post(batch))
        .route("/v1/rates", get(rates))
        .route("/v1/catalog", get(catalog))
        .route("/v1/config", get(config))
        .route_layer(middleware::from_fn_with_state(Arc::clone(&shared), auth));
    Router::new()
        .merge(api)
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .route("/", get(index))
        .route("/assets/{*path}", get(asset))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(Arc::clone(&shared), observe))
        .with_state(shared)
}

// ------------------------------------------------------------ the engine

/// What a `POST` route with a JSON body starts from: the engine in service
/// (held until the answer is written), the query's date and merchant
/// overrides, and the body read within `limit`.
struct JsonCall {
    loaded: Arc<super::state::Loaded>,
    call: Call,
    bytes: Vec<u8>,
}

impl JsonCall {
    /// The content type, the query, then the body, refused in that order.
    async fn read(shared: &Shared, request: Request, limit: usize) -> Result<JsonCall, Response> {
        let (parts, body) = request.into_parts();
        if let Some(r) = content_type_refusal(&parts.headers, &["application/json"]) {
            return Err(r);
        }
        let loaded = shared.current.load_full();
        let call = Call::parse(parts.uri.query(), &loaded.engine, shared, false)
            .map_err(|e| refusal(&e))?;
        let bytes = super::http::read_body(body, &parts.headers, limit, shared.read_timeout)
            .await
            .map_err(|e| e.response(limit))?;
        Ok(JsonCall {
            loaded,
            call,
            bytes,
        })
    }

    /// The engine of the call: the one in service, or its override.
    fn engine(&self) -> &checkout_tax::Engine {
        self.call.engine.as_ref().unwrap_or(&self.loaded.engine)
    }
}

async fn quote(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let call = match JsonCall::read(&shared, request, MAX_REQUEST_BYTES).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let (engine, bytes) = (call.engine(), &call.bytes);
    // Answers average about 1.5 KB.
    let mut out = Vec::with_capacity(2048);
    match engine.quote_json(bytes, call.call.date, &mut out) {
        Answer::Quote(status) => {
            shared.metrics.quote(status);
            json(StatusCode::OK, out)
        }
        Answer::Refused(e) => {
            shared.metrics.refusal(e.code());
            with_code(json(status_of(&e), out), e.code().as_str())
        }
        _ => json(StatusCode::INTERNAL_SERVER_ERROR, out),
    }
}

/// `{"request": ..., "response": ...}`, both parts kept as raw JSON.
struct VerifyBody<'a> {
    request: &'a RawValue,
    response: &'a RawValue,
}

/// Why a verify body is not of the documented shape.
enum Shape {
    Json(String),
    Unknown(String),
    Missing(&'static str),
    Twice(String),
}

impl<'de: 'a, 'a> Deserialize<'de> for VerifyBodyOrShape<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = VerifyBodyOrShape<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object with `request` and `response`")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                let (mut request, mut response) = (None, None);
                let mut problem = None;
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    let slot = match key.as_ref() {
                        "request" => &mut request,
                        "response" => &mut response,
                        _ => {
                            map.next_value::<de::IgnoredAny>()?;
                            problem.get_or_insert(Shape::Unknown(key.into_owned()));
                            continue;
                        }
                    };
                    let value = map.next_value::<&'de RawValue>()?;
                    if slot.replace(value).is_some() {
                        problem.get_or_insert(Shape::Twice(key.into_owned()));
                    }
                }
                Ok(match (problem, request, response) {
                    (Some(problem), _, _) => VerifyBodyOrShape::Shape(problem),
                    (None, Some(request), Some(response)) => {
                        VerifyBodyOrShape::Body(VerifyBody { request, response })
                    }
                    (None, None, _) => VerifyBodyOrShape::Shape(Shape::Missing("request")),
                    (None, _, None) => VerifyBodyOrShape::Shape(Shape::Missing("response")),
                })
            }
        }
        d.deserialize_map(V)
    }
}

enum VerifyBodyOrShape<'a> {
    Body(VerifyBody<'a>),
    Shape(Shape),
}

fn parse_verify(bytes: &[u8]) -> Result<VerifyBody<'_>, Shape> {
    let text = std::str::from_utf8(bytes).map_err(|e| Shape::Json(format!("not UTF-8: {e}")))?;
    match serde_json::from_str::<VerifyBodyOrShape<'_>>(text) {
        Ok(VerifyBodyOrShape::Body(b)) => Ok(b),
        Ok(VerifyBodyOrShape::Shape(s)) => Err(s),
        Err(e) => Err(Shape::Json(e.to_string())),
    }
}

async fn verify(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let call = match JsonCall::read(&shared, request, MAX_VERIFY_BYTES).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let parsed = match parse_verify(&call.bytes) {
        Ok(b) => b,
        Err(shape) => {
            let invalid = ErrorCode::InvalidRequest.as_str();
            let (code, message, param) = match shape {
                Shape::Json(reason) => (invalid, format!("the body is not JSON: {reason}"), None),
                Shape::Unknown(key) => (
                    ErrorCode::UnknownField.as_str(),
                    format!("unknown field `{key}` (want `request` and `response`)"),
                    Some(key),
                ),
                Shape::Missing(key) => (invalid, format!("missing `{key}`"), Some(key.to_owned())),
                Shape::Twice(key) => (invalid, format!("`{key}` is given twice"), Some(key)),
            };
            return http_error(StatusCode::BAD_REQUEST, code, &message, param.as_deref());
        }
    };
    let report = call.engine().verify_json(
        parsed.request.get().as_bytes(),
        parsed.response.get().as_bytes(),
        call.call.date,
    );
    shared.metrics.verification(report.matched);
    match serde_json::to_vec(&report.to_json()) {
        Ok(out) => json(StatusCode::OK, out),
        Err(e) => http_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal.as_str(),
            &format!("cannot render the report: {e}"),
            None,
        ),
    }
}

async fn batch(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    if let Some(r) = content_type_refusal(
        &parts.headers,
        &["application/x-ndjson", "application/json"],
    ) {
        return r;
    }
    let loaded = shared.current.load_full();
    let call = match Call::parse(parts.uri.query(), &loaded.engine, &shared, false) {
        Ok(c) => c,
        Err(e) => return refusal(&e),
    };
    let engine = call.engine.unwrap_or_else(|| loaded.engine.clone());
    let timeout = shared.read_timeout;
    let body = batch::stream(body, engine, call.date, Arc::clone(&shared), timeout);
    let mut response = (StatusCode::OK, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    response
}

async fn rates(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let loaded = shared.current.load_full();
    let call = match Call::parse(request.uri().query(), &loaded.engine, &shared, true) {
        Ok(c) => c,
        Err(e) => return refusal(&e),
    };
    let rows = present::rates_at(loaded.engine.tax_table(), call.date, &call.jurisdictions);
    let value = present::rates_json(&rows, call.date);
    json(
        StatusCode::OK,
        serde_json::to_vec(&value).unwrap_or_default(),
    )
}

async fn catalog(State(shared): State<Arc<Shared>>) -> Response {
    json(StatusCode::OK, shared.current.load().catalog_json.clone())
}

async fn config(State(shared): State<Arc<Shared>>) -> Response {
    json(StatusCode::OK, shared.current.load().config_json.clone())
}

// ------------------------------------------------------------ operations

async fn healthz() -> Response {
    json(StatusCode::OK, &br#"{"status":"ok"}"#[..])
}

async fn readyz(State(shared): State<Arc<Shared>>) -> Response {
    if shared.draining.load(Ordering::Relaxed) {
        json(
            StatusCode::SERVICE_UNAVAILABLE,
            &br#"{"status":"draining"}"#[..],
        )
    } else {
        json(StatusCode::OK, &br#"{"status":"ready"}"#[..])
    }
}

async fn metrics(State(shared): State<Arc<Shared>>) -> Response {
    let loaded_at = shared.current.load().loaded_at.as_second();
    let mut response = shared.metrics.render(loaded_at).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

async fn openapi() -> Response {
    json(StatusCode::OK, openapi_document())
}

async fn index() -> Response {
    static_file("index.html")
}

async fn asset(Path(path): Path<String>) -> Response {
    if path == "index.html" {
        return not_found_response("/assets/index.html");
    }
    static_file(&path)
}

fn static_file(name: &str) -> Response {
    match assets::find(name) {
        Some((bytes, content_type)) => {
            let mut response = (StatusCode::OK, Bytes::from_static(bytes)).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            headers.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            response
        }
        None => not_found_response(name),
    }
}

async fn not_found(request: Request) -> Response {
    not_found_response(request.uri().path())
}

fn not_found_response(path: &str) -> Response {
    http_error(
        StatusCode::NOT_FOUND,
        super::http::NOT_FOUND,
        &format!("no route `{}`", short_path(path)),
        None,
    )
}

async fn method_not_allowed(request: Request) -> Response {
    http_error(
        StatusCode::METHOD_NOT_ALLOWED,
        super::http::METHOD_NOT_ALLOWED,
        &format!(
            "`{}` is not allowed on `{}`",
            request.method(),
            short_path(request.uri().path())
        ),
        None,
    )
}

// ------------------------------------------------------------ middleware

/// `X-API-Key` on `/v1/*` when the service has keys.
async fn auth(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let allowed = match &shared.current.load().keys {
        None => true,
        Some(keys) => keys.allows(
            request
                .headers()
                .get("x-api-key")
                .map(HeaderValue::as_bytes),
        ),
    };
    if allowed {
        next.run(request).await
    } else {
        let mut response = http_error(
            StatusCode::UNAUTHORIZED,
            super::http::UNAUTHORIZED,
            "a valid `X-API-Key` header is required",
            None,
        );
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("X-API-Key"),
        );
        response
    }
}

/// Counts and logs every request when its answer's last byte is sent (or
/// the client goes away).
async fn observe(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = request.method().clone();
    let path = short_path(request.uri().path()).to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, |m| m.as_str())
        .to_owned();
    let response = next.run(request).await;
    let code = response.extensions().get::<Code>().map(|c| c.0);
    let (parts, body) = response.into_parts();
    let done = Done {
        shared,
        start,
        method: method.as_str().to_owned(),
        path,
        route,
        status: parts.status.as_u16(),
        code,
    };
    Response::from_parts(
        parts,
        Body::new(Logged {
            inner: body,
            done: Some(done),
        }),
    )
}

struct Done {
    shared: Arc<Shared>,
    start: Instant,
    method: String,
    path: String,
    route: String,
    status: u16,
    code: Option<&'static str>,
}

impl Done {
    fn record(self) {
        let latency_us = u64::try_from(self.start.elapsed().as_micros()).unwrap_or(u64::MAX);
        let route = Metrics::route_index(&self.route);
        self.shared.metrics.request(route, self.status, latency_us);
        self.shared.log.line(&RequestLine {
            ts: now(),
            method: &self.method,
            path: &self.path,
            route: &self.route,
            status: self.status,
            code: self.code,
            latency_us,
        });
    }
}

/// A response body that records its request when it ends or is dropped.
struct Logged {
    inner: Body,
    done: Option<Done>,
}

impl http_body::Body for Logged {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(None) = polled
            && let Some(done) = self.done.take()
        {
            done.record();
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Logged {
    fn drop(&mut self) {
        if let Some(done) = self.done.take() {
            done.record();
        }
    }
}
