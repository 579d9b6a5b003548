//! One JSON line per request (and per reload) on stderr, written by a
//! thread of its own so that a request never waits on the terminal or a
//! pipe unless the buffer is full (then it waits: back-pressure, never
//! unbounded memory, never a lost line).

use serde::Serialize;
use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, PoisonError};

/// The buffer's size at which writers wait for the flusher.
const FULL: usize = 1 << 20;

#[derive(Default)]
struct Buffer {
    bytes: Vec<u8>,
    closed: bool,
}

/// The log: cheap to clone, shared by every request.
#[derive(Clone)]
pub(crate) struct Log {
    inner: Arc<(Mutex<Buffer>, Condvar)>,
}

/// The flusher thread; [`Flusher::finish`] writes what is left and stops it.
pub(crate) struct Flusher {
    log: Log,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Log {
    /// The log and its flusher thread, which writes to stderr.
    pub(crate) fn start() -> (Log, Flusher) {
        let log = Log {
            inner: Arc::new((Mutex::new(Buffer::default()), Condvar::new())),
        };
        let inner = Arc::clone(&log.inner);
        let thread = std::thread::Builder::new()
            .name("log".into())
            .spawn(move || flush_loop(&inner))
            .ok();
        (log.clone(), Flusher { log, thread })
    }

    /// Appends one JSON line (`value` serialised, then a newline).
    pub(crate) fn line<T: Serialize>(&self, value: &T) {
        let (lock, ready) = &*self.inner;
        let mut buf = lock.lock().unwrap_or_else(PoisonError::into_inner);
        while buf.bytes.len() >= FULL && !buf.closed {
            buf = ready.wait(buf).unwrap_or_else(PoisonError::into_inner);
        }
        if serde_json::to_writer(&mut buf.bytes, value).is_ok() {
            buf.bytes.push(b'\n');
        }
        ready.notify_all();
    }
}

impl Flusher {
    /// Writes every line logged so far and stops the thread.
    pub(crate) fn finish(mut self) {
        {
            let (lock, ready) = &*self.log.inner;
            lock.lock().unwrap_or_else(PoisonError::into_inner).closed = true;
            ready.notify_all();
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn flush_loop(inner: &(Mutex<Buffer>, Condvar)) {
    let (lock, ready) = inner;
    let mut out = Vec::new();
    loop {
        let closed = {
            let mut buf = lock.lock().unwrap_or_else(PoisonError::into_inner);
            while buf.bytes.is_empty() && !buf.closed {
                buf = ready.wait(buf).unwrap_or_else(PoisonError::into_inner);
            }
            std::mem::swap(&mut out, &mut buf.bytes);
            ready.notify_all();
            buf.closed
        };
        // A closed stderr is not the requests' problem: lines are dropped.
        let _ = std::io::stderr().lock().write_all(&out);
        out.clear();
        if closed {
            let rest =
                std::mem::take(&mut lock.lock().unwrap_or_else(PoisonError::into_inner).bytes);
            let _ = std::io::stderr().lock().write_all(&rest);
            return;
        }
    }
}

/// The request line: never a body, an email, a query string or a key.
#[derive(Serialize)]
pub(crate) struct RequestLine<'a> {
    pub(crate) ts: String,
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) route: &'a str,
    pub(crate) status: u16,
    pub(crate) code: Option<&'a str>,
    pub(crate) latency_us: u64,
}

/// A reload's outcome; `error` names the file and, for tax data, the line.
#[derive(Serialize)]
pub(crate) struct ReloadLine<'a> {
    pub(crate) ts: String,
    pub(crate) event: &'static str,
    pub(crate) ok: bool,
    pub(crate) error: Option<&'a str>,
}

/// Now, as RFC 3339 in UTC.
pub(crate) fn now() -> String {
    jiff::Timestamp::now().to_string()
}

/// The path cut to at most 256 bytes (it is the client's text).
pub(crate) fn short_path(path: &str) -> &str {
    let mut end = path.len().min(256);
    while !path.is_char_boundary(end) {
        end = end.saturating_sub(1);
    }
    path.get(..end).unwrap_or_default()
}
