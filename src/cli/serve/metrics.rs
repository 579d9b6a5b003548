//! Prometheus counters: requests by route and status, a latency histogram
//! per route, quotes by tax status, refusals by code, verifications, reloads
//! and open connections. Plain atomics: nothing is locked per request.

use checkout_tax::{ErrorCode, TaxStatus};
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// The routes, as the router names them; the last one is for paths that
/// matched no route.
pub(crate) const ROUTES: &[&str] = &[
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
    "/assets/{*path}",
    UNMATCHED,
];

/// The route label of a path that matched no route.
pub(crate) const UNMATCHED: &str = "unmatched";

/// The statuses the service answers; any other is counted as `other`.
const STATUSES: [u16; 11] = [200, 400, 401, 404, 405, 408, 413, 415, 500, 503, 0];

/// Upper bounds of the latency buckets, in microseconds.
const BUCKETS_US: [u64; 14] = [
    100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 1_000_000,
    2_500_000, 10_000_000,
];

fn zeros<const N: usize>() -> [AtomicU64; N] {
    std::array::from_fn(|_| AtomicU64::new(0))
}

struct RouteStats {
    by_status: [AtomicU64; STATUSES.len()],
    /// Cumulative counts are computed when rendering; each slot counts the
    /// requests of its own bucket (the last is over the largest bound).
    buckets: [AtomicU64; BUCKETS_US.len() + 1],
    sum_us: AtomicU64,
}

/// Every counter of the service.
pub(crate) struct Metrics {
    routes: Vec<RouteStats>,
    quotes: [AtomicU64; TaxStatus::ALL.len()],
    refusals: Vec<AtomicU64>,
    verify_match: AtomicU64,
    verify_mismatch: AtomicU64,
    reloads_ok: AtomicU64,
    reloads_failed: AtomicU64,
    connections_open: AtomicU64,
    connections_total: AtomicU64,
}

impl Metrics {
    pub(crate) fn new() -> Self {
        Metrics {
            routes: ROUTES
                .iter()
                .map(|_| RouteStats {
                    by_status: zeros(),
                    buckets: zeros(),
                    sum_us: AtomicU64::new(0),
                })
                .collect(),
            quotes: zeros(),
            refusals: ErrorCode::ALL.iter().map(|_| AtomicU64::new(0)).collect(),
            verify_match: AtomicU64::new(0),
            verify_mismatch: AtomicU64::new(0),
            reloads_ok: AtomicU64::new(0),
            reloads_failed: AtomicU64::new(0),
            connections_open: AtomicU64::new(0),
            connections_total: AtomicU64::new(0),
        }
    }

    /// The index of a route label in [`ROUTES`] (unknown labels are
    /// counted as unmatched).
    pub(crate) fn route_index(route: &str) -> usize {
        ROUTES
            .iter()
            .position(|r| *r == route)
            .unwrap_or(ROUTES.len().saturating_sub(1))
    }

    /// One finished request.
    pub(crate) fn request(&self, route: usize, status: u16, latency_us: u64) {
        let Some(stats) = self.routes.get(route) else {
            return;
        };
        let s = STATUSES
            .iter()
            .position(|s| *s == status)
            .unwrap_or(STATUSES.len().saturating_sub(1));
        bump(stats.by_status.get(s));
        let b = BUCKETS_US
            .iter()
            .position(|bound| latency_us <= *bound)
            .unwrap_or(BUCKETS_US.len());
        bump(stats.buckets.get(b));
        stats.sum_us.fetch_add(latency_us, Relaxed);
    }

    /// A quote answered (by `/v1/quote` or a `/v1/batch` line).
    pub(crate) fn quote(&self, status: TaxStatus) {
        bump(
            TaxStatus::ALL
                .iter()
                .position(|s| *s == status)
                .and_then(|i| self.quotes.get(i)),
        );
    }

    /// A request refused by the engine.
    pub(crate) fn refusal(&self, code: ErrorCode) {
        bump(
            ErrorCode::ALL
                .iter()
                .position(|c| *c == code)
                .and_then(|i| self.refusals.get(i)),
        );
    }

    /// A verification's outcome.
    pub(crate) fn verification(&self, matched: bool) {
        bump(Some(if matched {
            &self.verify_match
        } else {
            &self.verify_mismatch
        }));
    }

    /// A reload's outcome.
    pub(crate) fn reload(&self, ok: bool) {
        bump(Some(if ok {
            &self.reloads_ok
        } else {
            &self.reloads_failed
        }));
    }

    pub(crate) fn connection_opened(&self) {
        self.connections_open.fetch_add(1, Relaxed);
        self.connections_total.fetch_add(1, Relaxed);
    }

    pub(crate) fn connection_closed(&self) {
        self.connections_open.fetch_sub(1, Relaxed);
    }

    /// The Prometheus text exposition format (version 0.0.4).
    pub(crate) fn render(&self, loaded_at_seconds: i64) -> String {
        let mut out = String::with_capacity(16 * 1024);
        let _ = self.write(&mut out, loaded_at_seconds);
        out
    }

    fn write(&self, out: &mut String, loaded_at_seconds: i64) -> std::fmt::Result {
        writeln!(
            out,
            "# HELP checkout_tax_http_requests_total HTTP requests answered, by route and status."
        )?;
        writeln!(out, "# TYPE checkout_tax_http_requests_total counter")?;
        for (route, stats) in ROUTES.iter().zip(&self.routes) {
            for (status, n) in STATUSES.iter().zip(&stats.by_status) {
                let n = n.load(Relaxed);
                if n == 0 {
                    continue;
                }
                let status = match status {
                    0 => "other".to_owned(),
                    s => s.to_string(),
                };
                writeln!(
                    out,
                    "checkout_tax_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
                )?;
            }
        }
        writeln!(
            out,
            "# HELP checkout_tax_http_request_duration_seconds Time from the request's head to the answer's last byte, by route."
        )?;
        writeln!(
            out,
            "# TYPE checkout_tax_http_request_duration_seconds histogram"
        )?;
        for (route, stats) in ROUTES.iter().zip(&self.routes) {
            let mut cumulative = 0u64;
            for (i, n) in stats.buckets.iter().enumerate() {
                cumulative = cumulative.saturating_add(n.load(Relaxed));
                let le = match BUCKETS_US.get(i) {
                    Some(us) => seconds(*us),
                    None => "+Inf".to_owned(),
                };
                writeln!(
                    out,
                    "checkout_tax_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{le}\"}} {cumulative}"
                )?;
            }
            writeln!(
                out,
                "checkout_tax_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                seconds(stats.sum_us.load(Relaxed))
            )?;
            writeln!(
                out,
                "checkout_tax_http_request_duration_seconds_count{{route=\"{route}\"}} {cumulative}"
            )?;
        }
        writeln!(
            out,
            "# HELP checkout_tax_quotes_total Quotes answered (by /v1/quote and each /v1/batch line), by tax status."
        )?;
        writeln!(out, "# TYPE checkout_tax_quotes_total counter")?;
        for (status, n) in TaxStatus::ALL.iter().zip(&self.quotes) {
            writeln!(
                out,
                "checkout_tax_quotes_total{{tax_status=\"{}\"}} {}",
                status.as_str(),
                n.load(Relaxed)
            )?;
        }
        writeln!(
            out,
            "# HELP checkout_tax_refusals_total Requests the engine refused (by /v1/quote and each /v1/batch line), by error code."
        )?;
        writeln!(out, "# TYPE checkout_tax_refusals_total counter")?;
        for (code, n) in ErrorCode::ALL.iter().zip(&self.refusals) {
            let n = n.load(Relaxed);
            if n > 0 {
                writeln!(
                    out,
                    "checkout_tax_refusals_total{{code=\"{}\"}} {n}",
                    code.as_str()
                )?;
            }
        }
        writeln!(
            out,
            "# HELP checkout_tax_verifications_total /v1/verify answers, by outcome."
        )?;
        writeln!(out, "# TYPE checkout_tax_verifications_total counter")?;
        writeln!(
            out,
            "checkout_tax_verifications_total{{match=\"true\"}} {}",
            self.verify_match.load(Relaxed)
        )?;
        writeln!(
            out,
            "checkout_tax_verifications_total{{match=\"false\"}} {}",
            self.verify_mismatch.load(Relaxed)
        )?;
        writeln!(
            out,
            "# HELP checkout_tax_reloads_total Reloads on SIGHUP, by result (a failed one keeps the engine in service)."
        )?;
        writeln!(out, "# TYPE checkout_tax_reloads_total counter")?;
        writeln!(
            out,
            "checkout_tax_reloads_total{{result=\"ok\"}} {}",
            self.reloads_ok.load(Relaxed)
        )?;
        writeln!(
            out,
            "checkout_tax_reloads_total{{result=\"failed\"}} {}",
            self.reloads_failed.load(Relaxed)
        )?;
        writeln!(
            out,
            "# HELP checkout_tax_engine_loaded_timestamp_seconds When the engine in service was loaded (Unix seconds)."
        )?;
        writeln!(
            out,
            "# TYPE checkout_tax_engine_loaded_timestamp_seconds gauge"
        )?;
        writeln!(
            out,
            "checkout_tax_engine_loaded_timestamp_seconds {loaded_at_seconds}"
        )?;
        writeln!(
            out,
            "# HELP checkout_tax_connections_open Client connections open now."
        )?;
        writeln!(out, "# TYPE checkout_tax_connections_open gauge")?;
        writeln!(
            out,
            "checkout_tax_connections_open {}",
            self.connections_open.load(Relaxed)
        )?;
        writeln!(
            out,
            "# HELP checkout_tax_connections_total Client connections accepted."
        )?;
        writeln!(out, "# TYPE checkout_tax_connections_total counter")?;
        writeln!(
            out,
            "checkout_tax_connections_total {}",
            self.connections_total.load(Relaxed)
        )
    }
}

fn bump(counter: Option<&AtomicU64>) {
    if let Some(c) = counter {
        c.fetch_add(1, Relaxed);
    }
}

/// Microseconds as decimal seconds, exactly (`2500` -> `0.0025`).
fn seconds(us: u64) -> String {
    let whole = us / 1_000_000;
    let frac = us % 1_000_000;
    if frac == 0 {
        return whole.to_string();
    }
    let digits = format!("{frac:06}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_are_exact() {
        assert_eq!(seconds(2_500), "0.0025");
        assert_eq!(seconds(1_000_000), "1");
        assert_eq!(seconds(12_345_678), "12.345678");
    }
}
