//! `batch`: NDJSON in, NDJSON out, one answer per input line, in order,
//! streaming with memory that does not grow with the input.
//!
//! With `--threads N > 1`, the main thread reads chunks of lines, N workers
//! answer them, and a writer puts the answers back in input order. Every
//! queue is bounded, so at most a few chunks per worker are in flight
//! whatever the input's length.

use super::Usage;
use super::args::BatchArgs;
use super::commands::{date, engine};
use checkout_tax::request::limits::MAX_REQUEST_BYTES;
use checkout_tax::{Date, Engine};
use std::collections::BTreeMap;
use std::io::{self, BufRead, BufWriter, IsTerminal, Write};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Lines per chunk handed to a worker.
const CHUNK_LINES: usize = 256;

/// Appends one input line (without its newline; a longer line than a
/// request may be is cut at `MAX_REQUEST_BYTES + 1` bytes, enough for the
/// answer to say it is too long) to `buf`. `Ok(false)` at end of input.
fn read_line(input: &mut impl BufRead, buf: &mut Vec<u8>) -> io::Result<bool> {
    let start = buf.len();
    let mut any = false;
    loop {
        let chunk = input.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        any = true;
        let (take, done) = match memchr::memchr(b'\n', chunk) {
            Some(i) => (i, true),
            None => (chunk.len(), false),
        };
        let room = (MAX_REQUEST_BYTES + 1).saturating_sub(buf.len().saturating_sub(start));
        buf.extend_from_slice(chunk.get(..take.min(room)).unwrap_or_default());
        input.consume(if done { take.saturating_add(1) } else { take });
        if done {
            break;
        }
    }
    if buf.get(start..).is_some_and(|l| l.ends_with(b"\r")) {
        buf.pop();
    }
    Ok(any)
}

/// Counts for the summary line.
#[derive(Default)]
struct Tally {
    quoted: u64,
    refused: u64,
}

impl Tally {
    fn total(&self) -> u64 {
        self.quoted.saturating_add(self.refused)
    }

    fn add(&mut self, quoted: bool) {
        if quoted {
            self.quoted = self.quoted.saturating_add(1);
        } else {
            self.refused = self.refused.saturating_add(1);
        }
    }
}

/// Progress on stderr when it is a terminal, and the closing summary.
struct Progress {
    start: Instant,
    last: Instant,
    live: bool,
}

impl Progress {
    fn new() -> Self {
        let now = Instant::now();
        Progress {
            start: now,
            last: now,
            live: io::stderr().is_terminal(),
        }
    }

    fn tick(&mut self, done: u64) {
        if !self.live || !done.is_multiple_of(4096) {
            return;
        }
        let now = Instant::now();
        if now.duration_since(self.last).as_millis() >= 250 {
            self.last = now;
            let secs = now.duration_since(self.start).as_secs_f64().max(1e-9);
            let _ = write!(
                io::stderr(),
                "\r{done} sessions, {:.0}/s   ",
                done as f64 / secs
            );
        }
    }

    fn finish(&self, tally: &Tally) {
        let secs = self.start.elapsed().as_secs_f64();
        let total = tally.total();
        let clear = if self.live { "\r" } else { "" };
        let _ = writeln!(
            io::stderr(),
            "{clear}batch: {} quoted, {} refused, {total} lines in {secs:.3} s ({:.0} sessions/s)",
            tally.quoted,
            tally.refused,
            total as f64 / secs.max(1e-9)
        );
    }
}

pub(crate) fn run(args: &BatchArgs) -> Result<u8, Usage> {
    let engine = engine(&args.engine)?;
    let date = date(args.engine.at.as_deref())?;
    let stdin = io::stdin();
    let mut input = io::BufReader::with_capacity(1 << 16, stdin.lock());
    let mut progress = Progress::new();
    let mut tally = Tally::default();
    let outcome = if args.threads <= 1 {
        let mut output = io::stdout().lock();
        sequential(
            &engine,
            date,
            &mut input,
            &mut output,
            &mut tally,
            &mut progress,
        )
        .and_then(|()| output.flush().map_err(Failure::Write))
    } else {
        // The writer thread owns stdout (a lock cannot cross threads).
        let mut output = BufWriter::with_capacity(1 << 16, io::stdout());
        parallel(
            &engine,
            date,
            usize::from(args.threads),
            &mut input,
            &mut output,
            &mut tally,
            &mut progress,
        )
        .and_then(|()| output.flush().map_err(Failure::Write))
    };
    progress.finish(&tally);
    match outcome {
        Ok(()) => Ok(0),
        Err(Failure::Read(e)) => Err(Usage(format!("cannot read stdin: {e}"))),
        Err(Failure::Write(e)) if e.kind() == io::ErrorKind::BrokenPipe => Ok(0),
        Err(Failure::Write(e)) => Err(Usage(format!("cannot write to stdout: {e}"))),
    }
}

enum Failure {
    Read(io::Error),
    Write(io::Error),
}

fn sequential(
    engine: &Engine,
    date: Date,
    input: &mut impl BufRead,
    output: &mut impl Write,
    tally: &mut Tally,
    progress: &mut Progress,
) -> Result<(), Failure> {
    // Answers go straight into one buffer that is handed to the writer when
    // it passes 64 KiB: no copy per line.
    const FLUSH_AT: usize = 1 << 16;
    let mut line = Vec::new();
    let mut answers = Vec::with_capacity(FLUSH_AT.saturating_mul(2));
    loop {
        // A line wholly in the reader's buffer is answered from there; one
        // that runs past it is gathered into `line` first.
        let buffered = input.fill_buf().map_err(Failure::Read)?;
        let quoted = match memchr::memchr(b'\n', buffered) {
            // (A longer line is cut to the limit, as `read_line` does.)
            Some(end) if end <= MAX_REQUEST_BYTES => {
                let text = buffered.get(..end).unwrap_or_default();
                let text = text.strip_suffix(b"\r").unwrap_or(text);
                let quoted = engine.quote_json(text, date, &mut answers).is_quote();
                input.consume(end.saturating_add(1));
                quoted
            }
            _ => {
                line.clear();
                if !read_line(input, &mut line).map_err(Failure::Read)? {
                    break;
                }
                engine.quote_json(&line, date, &mut answers).is_quote()
            }
        };
        tally.add(quoted);
        answers.push(b'\n');
        if answers.len() >= FLUSH_AT {
            output.write_all(&answers).map_err(Failure::Write)?;
            answers.clear();
        }
        progress.tick(tally.total());
    }
    output.write_all(&answers).map_err(Failure::Write)
}

/// A chunk of input lines: their bytes back to back, and where each ends.
struct Chunk {
    seq: u64,
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

/// A chunk's answers, newline-terminated, with the tally of its lines.
struct Answers {
    seq: u64,
    bytes: Vec<u8>,
    quoted: u64,
    lines: u64,
}

fn parallel(
    engine: &Engine,
    date: Date,
    threads: usize,
    input: &mut impl BufRead,
    output: &mut (impl Write + Send),
    tally: &mut Tally,
    progress: &mut Progress,
) -> Result<(), Failure> {
    let (work_tx, work_rx) = sync_channel::<Chunk>(threads.saturating_mul(2));
    let (done_tx, done_rx) = sync_channel::<Answers>(threads.saturating_mul(2));
    let work_rx = Arc::new(Mutex::new(work_rx));
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let work_rx = Arc::clone(&work_rx);
            let done_tx = done_tx.clone();
            scope.spawn(move || worker(engine, date, &work_rx, &done_tx));
        }
        drop(done_tx);
        let writer = scope.spawn(|| write_in_order(done_rx, output, tally, progress));
        let read = read_chunks(input, &work_tx);
        drop(work_tx);
        let written = writer.join().unwrap_or(Ok(()));
        read.and(written)
    })
}

fn read_chunks(input: &mut impl BufRead, work: &SyncSender<Chunk>) -> Result<(), Failure> {
    for seq in 0.. {
        let mut chunk = Chunk {
            seq,
            bytes: Vec::with_capacity(CHUNK_LINES * 512),
            ends: Vec::with_capacity(CHUNK_LINES),
        };
        let mut more = true;
        while chunk.ends.len() < CHUNK_LINES {
            more = read_line(input, &mut chunk.bytes).map_err(Failure::Read)?;
            if !more {
                break;
            }
            chunk.ends.push(chunk.bytes.len());
        }
        if !chunk.ends.is_empty() && work.send(chunk).is_err() {
            // The writer stopped (closed stdout): nothing more to do.
            return Ok(());
        }
        if !more {
            break;
        }
    }
    Ok(())
}

fn worker(engine: &Engine, date: Date, work: &Mutex<Receiver<Chunk>>, done: &SyncSender<Answers>) {
    loop {
        let next = match work.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(chunk) = next else { return };
        let mut answers = Answers {
            seq: chunk.seq,
            // Answers average about 1.5 KB: room for all without regrowing.
            bytes: Vec::with_capacity(chunk.ends.len().saturating_mul(2048)),
            quoted: 0,
            lines: 0,
        };
        let mut start = 0;
        for end in &chunk.ends {
            let line = chunk.bytes.get(start..*end).unwrap_or_default();
            start = *end;
            if engine.quote_json(line, date, &mut answers.bytes).is_quote() {
                answers.quoted = answers.quoted.saturating_add(1);
            }
            answers.lines = answers.lines.saturating_add(1);
            answers.bytes.push(b'\n');
        }
        if done.send(answers).is_err() {
            return;
        }
    }
}

fn write_in_order(
    done: Receiver<Answers>,
    output: &mut impl Write,
    tally: &mut Tally,
    progress: &mut Progress,
) -> Result<(), Failure> {
    let mut next = 0u64;
    let mut waiting: BTreeMap<u64, Answers> = BTreeMap::new();
    for answers in done {
        waiting.insert(answers.seq, answers);
        while let Some(ready) = waiting.remove(&next) {
            output.write_all(&ready.bytes).map_err(Failure::Write)?;
            tally.quoted = tally.quoted.saturating_add(ready.quoted);
            tally.refused = tally
                .refused
                .saturating_add(ready.lines.saturating_sub(ready.quoted));
            progress.tick(tally.total());
            next = next.saturating_add(1);
        }
    }
    Ok(())
}
