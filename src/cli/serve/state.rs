//! What every request shares: the engine in service behind an `ArcSwap`
//! (a reload builds a whole new one and swaps it in atomically; a request
//! holds the `Arc` it started with until it has answered), the metrics and
//! the log.

use super::auth::{Keys, sha256_hex};
use super::log::{Log, ReloadLine, now};
use super::metrics::Metrics;
use crate::cli::Usage;
use crate::cli::args::ServeArgs;
use crate::cli::commands::{build_engine, read_inputs};
use arc_swap::ArcSwap;
use axum::body::Bytes;
use checkout_tax::{Date, Engine};
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// One complete load of the files: never changed once built.
pub(crate) struct Loaded {
    pub(crate) engine: Engine,
    pub(crate) keys: Option<Keys>,
    /// `GET /v1/catalog`, rendered once.
    pub(crate) catalog_json: Bytes,
    /// `GET /v1/config`, rendered once.
    pub(crate) config_json: Bytes,
    pub(crate) loaded_at: jiff::Timestamp,
}

/// The service's state.
pub(crate) struct Shared {
    pub(crate) args: ServeArgs,
    pub(crate) current: ArcSwap<Loaded>,
    pub(crate) metrics: Metrics,
    pub(crate) log: Log,
    /// Set when a shutdown began: `/readyz` answers 503.
    pub(crate) draining: AtomicBool,
    /// `--at`: the date of requests without `?at=` (else today in UTC).
    pub(crate) default_at: Option<Date>,
    /// `--read-timeout`.
    pub(crate) read_timeout: Duration,
}

/// `GET /v1/catalog`: the loaded catalog in its file's form, written
/// straight from the catalog's types (a coupon's `percent_off` keeps its
/// exact digits; no float on the way).
#[derive(serde::Serialize)]
struct CatalogView<'a> {
    products: &'a [checkout_tax::catalog::Product],
    prices: Vec<&'a checkout_tax::catalog::Price>,
    coupons: Vec<&'a checkout_tax::catalog::Coupon>,
    promotion_codes: &'a [checkout_tax::catalog::PromotionCode],
}

/// Reads every file and builds the engine, the key set and the rendered
/// catalog and configuration; errors are the CLI's messages.
pub(crate) fn load(args: &ServeArgs) -> Result<Loaded, Usage> {
    let inputs = read_inputs(&args.engine)?;
    let engine = build_engine(&args.engine, &inputs)?;
    let keys = args.api_keys.as_deref().map(Keys::read).transpose()?;
    let catalog = engine.catalog();
    let catalog_json = serde_json::to_vec(&CatalogView {
        products: catalog.products(),
        prices: catalog.prices().collect(),
        coupons: catalog.coupons().collect(),
        promotion_codes: catalog.promotion_codes(),
    })
    .map_err(|e| Usage(format!("cannot render the catalog: {e}")))?;
    let table = engine.tax_table();
    let sources: BTreeSet<&str> = table.rows().iter().map(|r| r.source.as_str()).collect();
    let table_text = inputs
        .tax_data
        .as_deref()
        .unwrap_or(checkout_tax::tax::embedded::CSV);
    let merchant = engine.merchant();
    let loaded_at = jiff::Timestamp::now();
    let config_json = serde_json::to_vec(&json!({
        "merchant": {
            "merchant_type": merchant.merchant_type,
            "rounding_level": merchant.rounding_level,
            "rounding_mode": merchant.rounding_mode,
            "tax_registrations": merchant.tax_registrations.as_ref().map(|r| {
                r.iter().map(|j| j.as_str().to_owned()).collect::<Vec<_>>()
            }),
        },
        "tax_data": {
            "embedded": inputs.tax_data.is_none(),
            "rows": table.rows().len(),
            "sources": sources.len(),
            "sha256": sha256_hex(table_text.as_bytes()),
        },
        "catalog": {
            "products": catalog.products().len(),
            "prices": catalog.prices().count(),
            "sha256": inputs.catalog.as_deref().map(|t| sha256_hex(t.as_bytes())),
        },
        "default_at": args.engine.at,
        "auth": keys.is_some(),
        "loaded_at": loaded_at.to_string(),
        "version": env!("CARGO_PKG_VERSION"),
    }))
    .map_err(|e| Usage(format!("cannot render the configuration: {e}")))?;
    Ok(Loaded {
        engine,
        keys,
        catalog_json: Bytes::from(catalog_json),
        config_json: Bytes::from(config_json),
        loaded_at,
    })
}

impl Shared {
    /// SIGHUP: loads the files afresh and swaps the new engine in, or
    /// keeps the old one and logs why not. Runs on a blocking thread.
    pub(crate) fn reload(&self) {
        let outcome = load(&self.args);
        let ok = outcome.is_ok();
        let error = match outcome {
            Ok(loaded) => {
                self.current.store(Arc::new(loaded));
                None
            }
            Err(Usage(message)) => Some(message),
        };
        self.metrics.reload(ok);
        self.log.line(&ReloadLine {
            ts: now(),
            event: "reload",
            ok,
            error: error.as_deref(),
        });
    }
}
