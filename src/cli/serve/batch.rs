//! `POST /v1/batch`: NDJSON in, NDJSON out, streamed. A task reads the body
//! frame by frame, cuts it into lines exactly as the CLI's `batch` does
//! (`\n` ends a line, a final `\r` is dropped, a last line without a newline
//! counts, a line is kept to `MAX_REQUEST_BYTES + 1` bytes so that the
//! answer can say it is too long), answers each with `Engine::quote_json`
//! and sends the answers, in order, through a bounded channel to the
//! response body. Memory is flat whatever the body's size: one line, one
//! output chunk and the channel's few chunks.

use super::state::Shared;
use axum::body::{Body, Bytes};
use checkout_tax::request::limits::MAX_REQUEST_BYTES;
use checkout_tax::{Answer, Date, Engine};
use http_body::Frame;
use http_body_util::BodyExt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::mpsc;

/// Answers are sent on when this many bytes are waiting.
const CHUNK: usize = 64 * 1024;
/// Chunks that may wait for the client to read them.
const QUEUED: usize = 16;

type Chunk = Result<Bytes, std::io::Error>;

/// Lines cut from a stream of byte chunks, as the CLI's `batch` reads them.
#[derive(Default)]
pub(crate) struct Lines {
    line: Vec<u8>,
    /// A byte was seen since the last newline.
    open: bool,
}

impl Lines {
    /// Feeds a chunk; `answer` is called with each completed line.
    pub(crate) fn feed(&mut self, mut data: &[u8], mut answer: impl FnMut(&[u8])) {
        while !data.is_empty() {
            self.open = true;
            let (take, rest, done) = match memchr::memchr(b'\n', data) {
                Some(i) => (
                    data.get(..i).unwrap_or_default(),
                    data.get(i.saturating_add(1)..).unwrap_or_default(),
                    true,
                ),
                None => (data, &[][..], false),
            };
            let room = (MAX_REQUEST_BYTES + 1).saturating_sub(self.line.len());
            self.line
                .extend_from_slice(take.get(..take.len().min(room)).unwrap_or_default());
            data = rest;
            if done {
                self.emit(&mut answer);
            }
        }
    }

    /// The end of the input: a last line without its newline is answered.
    pub(crate) fn finish(&mut self, mut answer: impl FnMut(&[u8])) {
        if self.open {
            self.emit(&mut answer);
        }
    }

    fn emit(&mut self, answer: &mut impl FnMut(&[u8])) {
        if self.line.ends_with(b"\r") {
            self.line.pop();
        }
        answer(&self.line);
        self.line.clear();
        self.open = false;
    }
}

/// Starts answering `input` and returns the streamed answer's body.
pub(crate) fn stream(
    input: Body,
    engine: Engine,
    date: Date,
    shared: Arc<Shared>,
    idle: Duration,
) -> Body {
    let (tx, rx) = mpsc::channel::<Chunk>(QUEUED);
    tokio::spawn(answer_all(input, engine, date, shared, idle, tx));
    Body::new(Answers { rx })
}

async fn answer_all(
    mut input: Body,
    engine: Engine,
    date: Date,
    shared: Arc<Shared>,
    idle: Duration,
    tx: mpsc::Sender<Chunk>,
) {
    let mut lines = Lines::default();
    let mut out = Vec::with_capacity(CHUNK.saturating_mul(2));
    let answer = |line: &[u8], out: &mut Vec<u8>| {
        match engine.quote_json(line, date, out) {
            Answer::Quote(status) => shared.metrics.quote(status),
            Answer::Refused(e) => shared.metrics.refusal(e.code()),
            _ => {}
        }
        out.push(b'\n');
    };
    loop {
        let frame = tokio::select! {
            frame = tokio::time::timeout(idle, input.frame()) => frame,
            // The client went away: stop reading.
            () = tx.closed() => return,
        };
        let data = match frame {
            Err(_) => {
                let _ = tx
                    .send(Err(failure("no body bytes within the read time-out")))
                    .await;
                return;
            }
            Ok(Some(Err(e))) => {
                let _ = tx.send(Err(failure(&e.to_string()))).await;
                return;
            }
            Ok(None) => break,
            Ok(Some(Ok(frame))) => match frame.into_data() {
                Ok(data) => data,
                Err(_) => continue,
            },
        };
        // A frame is at most a few tens of KiB: answer it in one go, then
        // hand the answers on (waiting when the client reads slowly).
        let mut rest: &[u8] = &data;
        while !rest.is_empty() {
            let cut = rest.len().min(CHUNK);
            let (now, later) = rest.split_at(cut);
            lines.feed(now, |line| answer(line, &mut out));
            rest = later;
            if out.len() >= CHUNK && !send(&tx, &mut out).await {
                return;
            }
        }
        if !out.is_empty() && !send(&tx, &mut out).await {
            return;
        }
    }
    lines.finish(|line| answer(line, &mut out));
    if !out.is_empty() {
        send(&tx, &mut out).await;
    }
}

/// Sends the waiting answers; false when the client is gone.
async fn send(tx: &mpsc::Sender<Chunk>, out: &mut Vec<u8>) -> bool {
    let chunk = Bytes::copy_from_slice(out);
    out.clear();
    tx.send(Ok(chunk)).await.is_ok()
}

fn failure(reason: &str) -> std::io::Error {
    std::io::Error::other(format!("batch stopped: {reason}"))
}

/// The response body: the answers as the task sends them.
struct Answers {
    rx: mpsc::Receiver<Chunk>,
}

impl http_body::Body for Answers {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        self.rx
            .poll_recv(cx)
            .map(|chunk| chunk.map(|c| c.map(Frame::data)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(chunks: &[&[u8]]) -> Vec<Vec<u8>> {
        let mut lines = Lines::default();
        let mut got = Vec::new();
        for c in chunks {
            lines.feed(c, |l| got.push(l.to_vec()));
        }
        lines.finish(|l| got.push(l.to_vec()));
        got
    }

    #[test]
    fn lines_are_cut_as_the_cli_cuts_them() {
        assert!(cut(&[]).is_empty());
        assert!(cut(&[b""]).is_empty());
        assert_eq!(cut(&[b"a\n"]), vec![b"a".to_vec()]);
        assert_eq!(cut(&[b"a"]), vec![b"a".to_vec()]);
        assert_eq!(
            cut(&[b"a\r\n\n", b"b"]),
            vec![b"a".to_vec(), vec![], b"b".to_vec()]
        );
        assert_eq!(
            cut(&[b"a", b"b\r", b"\nc\r"]),
            vec![b"ab".to_vec(), b"c".to_vec()]
        );
        assert_eq!(cut(&[b"\r"]), vec![Vec::<u8>::new()]);
    }

    #[test]
    fn a_long_line_is_kept_to_one_byte_over_the_limit() {
        let long = vec![b'x'; MAX_REQUEST_BYTES + 10];
        let got = cut(&[&long, b"\nok"]);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].len(), MAX_REQUEST_BYTES + 1);
        assert_eq!(got[1], b"ok");
    }
}
