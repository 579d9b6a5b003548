//! `checkout-tax serve`: the engine over HTTP (the spec's surfaces,
//! section 1). Everything is loaded before the socket listens; SIGHUP
//! reloads the files into a whole new engine; SIGTERM or SIGINT stops
//! accepting, lets requests in flight finish (up to 10 s) and exits 0.
//!
//! Slow or hostile clients are bounded: a request's headers must arrive
//! within `--read-timeout` (which also closes idle keep-alive connections),
//! its body too (between two reads for `/v1/batch`), a write that the client
//! does not read within it fails the connection, at most
//! `--max-connections` are served at once, and no body is held beyond its
//! route's limit.

mod assets;
mod auth;
mod batch;
mod http;
mod log;
mod metrics;
mod routes;
mod state;

use super::Usage;
use super::args::ServeArgs;
use arc_swap::ArcSwap;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use state::Shared;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore};

/// How long requests in flight may take to finish after SIGTERM.
const DRAIN: Duration = Duration::from_secs(10);

pub(crate) fn run(args: &ServeArgs) -> Result<u8, Usage> {
    let default_at = args
        .engine
        .at
        .as_deref()
        .map(|t| checkout_tax::parse_date(t).map_err(|e| Usage(format!("--at: {e}"))))
        .transpose()?;
    let loaded = state::load(args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Usage(format!("cannot start the runtime: {e}")))?;
    let (log, flusher) = log::Log::start();
    let shared = Arc::new(Shared {
        args: args.clone(),
        current: ArcSwap::from_pointee(loaded),
        metrics: metrics::Metrics::new(),
        log,
        draining: AtomicBool::new(false),
        default_at,
        read_timeout: Duration::from_secs(args.read_timeout),
    });
    let outcome = runtime.block_on(serve(Arc::clone(&shared)));
    // Requests still running after the drain are cut when the runtime goes.
    runtime.shutdown_timeout(Duration::from_millis(100));
    flusher.finish();
    outcome.map(|()| 0)
}

async fn serve(shared: Arc<Shared>) -> Result<(), Usage> {
    let listen = shared.args.listen.clone();
    let listener = TcpListener::bind(&listen)
        .await
        .map_err(|e| Usage(format!("cannot listen on `{listen}`: {e}")))?;
    let address = listener
        .local_addr()
        .map_err(|e| Usage(format!("cannot listen on `{listen}`: {e}")))?;
    // The signals are watched before the line is printed: a SIGHUP sent as
    // soon as it is read reloads, rather than finding no handler.
    let stop = Arc::new(Notify::new());
    let watching = signals(Arc::clone(&shared), Arc::clone(&stop));
    // The one line before any request's: the port, for port 0.
    // One write: stderr is unbuffered, and a reader must never see half
    // of this line (the port is what it waits for).
    let line = format!("listening on http://{address}\n");
    let _ = std::io::stderr().write_all(line.as_bytes());

    tokio::spawn(watching);
    accept(listener, shared, stop).await;
    Ok(())
}

/// SIGHUP reloads; SIGTERM and SIGINT stop. The handlers are installed
/// when this is called; the returned future answers the signals.
#[cfg(unix)]
fn signals(shared: Arc<Shared>, stop: Arc<Notify>) -> impl Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let watched = (
        signal(SignalKind::hangup()),
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    );
    async move {
        let (Ok(mut hup), Ok(mut term), Ok(mut int)) = watched else {
            let _ = writeln!(std::io::stderr(), "checkout-tax: cannot watch signals");
            return;
        };
        loop {
            tokio::select! {
                _ = hup.recv() => {
                    let shared = Arc::clone(&shared);
                    // Parsing the files is blocking work: off the request threads.
                    let _ = tokio::task::spawn_blocking(move || shared.reload()).await;
                }
                _ = term.recv() => break,
                _ = int.recv() => break,
            }
        }
        stop.notify_one();
    }
}

#[cfg(not(unix))]
fn signals(_shared: Arc<Shared>, stop: Arc<Notify>) -> impl Future<Output = ()> {
    async move {
        let _ = tokio::signal::ctrl_c().await;
        stop.notify_one();
    }
}

/// Accepts connections until told to stop, then drains.
async fn accept(listener: TcpListener, shared: Arc<Shared>, stop: Arc<Notify>) {
    let router = routes::router(Arc::clone(&shared));
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(
        usize::try_from(shared.args.max_connections).unwrap_or(usize::MAX),
    ));
    let timeout = shared.read_timeout;
    let stopped = stop.notified();
    tokio::pin!(stopped);
    loop {
        // A free slot first: beyond the cap, connections wait in the
        // kernel's listen queue rather than in memory.
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = &mut stopped => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => {
                    // Out of descriptors or a reset before accept: try again soon.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            () = &mut stopped => break,
        };
        let _ = stream.set_nodelay(true);
        // Only writes time out at the socket: hyper reads while it writes
        // (to notice a closed connection), so a read time-out there would
        // cut a long answer; reads are bounded by the header and body
        // time-outs instead.
        let mut timed = tokio_io_timeout::TimeoutStream::new(stream);
        timed.set_write_timeout(Some(timeout));
        let io = TokioIo::new(Box::pin(timed));
        let service = TowerToHyperService::new(router.clone());
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(timeout)
            .max_buf_size(64 * 1024)
            .serve_connection(io, service);
        let connection = graceful.watch(connection);
        let shared = Arc::clone(&shared);
        shared.metrics.connection_opened();
        tokio::spawn(async move {
            let _ = connection.await;
            shared.metrics.connection_closed();
            drop(slot);
        });
    }
    drop(listener);
    shared.draining.store(true, Ordering::Relaxed);
    let _ = tokio::time::timeout(DRAIN, graceful.shutdown()).await;
}
