//! `batch`: NDJSON in, NDJSON out, one answer per input line, in order,
//! streaming with memory that does not grow with the input.

use super::Usage;
use super::args::BatchArgs;
use super::commands::{date, engine};
use checkout_tax::batch::answer_line;
use checkout_tax::request::limits::MAX_REQUEST_BYTES;
use std::io::{self, BufRead, BufWriter, Write};

/// Reads one line of at most `MAX_REQUEST_BYTES + 1` bytes into `buf`,
/// skipping the rest of a longer one. `Ok(false)` at end of input.
fn read_line(input: &mut impl BufRead, buf: &mut Vec<u8>) -> io::Result<bool> {
    buf.clear();
    let mut any = false;
    loop {
        let chunk = input.fill_buf()?;
        if chunk.is_empty() {
            return Ok(any);
        }
        any = true;
        let (take, done) = match memchr::memchr(b'\n', chunk) {
            Some(i) => (i, true),
            None => (chunk.len(), false),
        };
        let room = (MAX_REQUEST_BYTES + 1).saturating_sub(buf.len());
        buf.extend_from_slice(chunk.get(..take.min(room)).unwrap_or_default());
        input.consume(if done { take + 1 } else { take });
        if done {
            return Ok(true);
        }
    }
}

pub(crate) fn run(args: &BatchArgs) -> Result<u8, Usage> {
    let engine = engine(&args.engine)?;
    let date = date(args.engine.at.as_deref())?;
    let stdin = io::stdin();
    let mut input = io::BufReader::with_capacity(1 << 16, stdin.lock());
    let stdout = io::stdout();
    let mut output = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut line = Vec::new();
    let mut answer = Vec::with_capacity(1024);
    loop {
        match read_line(&mut input, &mut line) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(Usage(format!("cannot read stdin: {e}"))),
        }
        let trimmed = line.strip_suffix(b"\r").unwrap_or(&line);
        answer.clear();
        answer_line(&engine, date, trimmed, &mut answer);
        answer.push(b'\n');
        if let Err(e) = output.write_all(&answer) {
            return broken_pipe_ok(e);
        }
    }
    if let Err(e) = output.flush() {
        return broken_pipe_ok(e);
    }
    Ok(0)
}

fn broken_pipe_ok(e: io::Error) -> Result<u8, Usage> {
    if e.kind() == io::ErrorKind::BrokenPipe {
        Ok(0)
    } else {
        Err(Usage(format!("cannot write to stdout: {e}")))
    }
}
