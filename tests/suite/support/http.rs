//! `checkout-tax serve` as a child process on a free loopback port, and a
//! small HTTP/1.1 client on `std::net::TcpStream` (one request per
//! connection, `Connection: close`; chunked answers decoded), so the tests
//! build no client stack.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_checkout-tax");

/// A running server; killed when dropped.
pub struct Server {
    pub child: Child,
    pub address: String,
    /// Every stderr line after `listening on`.
    pub log: Arc<(Mutex<Vec<String>>, Condvar)>,
    /// Kept open for a server started with [`Server::start_tied`]: when the
    /// test process ends, the pipe closes and the server is stopped.
    _tie: Option<ChildStdin>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An answer.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}), status {}: {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }
}

impl Server {
    /// `checkout-tax serve --listen 127.0.0.1:0 ARGS...`, once it listens.
    pub fn start(args: &[&str]) -> Server {
        let mut command = Command::new(BIN);
        command
            .arg("serve")
            .args(["--listen", "127.0.0.1:0"])
            .args(args);
        Self::spawn(command, false)
    }

    /// As [`Server::start`], for a server shared by a whole test process
    /// (held in a static, so never dropped): a shell runs it and stops it
    /// when its stdin, held by this process, closes.
    pub fn start_tied(args: &[&str]) -> Server {
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(r#""$0" serve --listen 127.0.0.1:0 "$@" & read _ignored; kill $!; wait"#)
            .arg(BIN)
            .args(args);
        Self::spawn(command, true)
    }

    fn spawn(mut command: Command, tied: bool) -> Server {
        let mut child = command
            .stdin(if tied { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let tie = child.stdin.take();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut first = String::new();
        stderr.read_line(&mut first).unwrap();
        let Some(address) = first.trim().strip_prefix("listening on http://") else {
            let mut rest = String::new();
            let _ = stderr.read_to_string(&mut rest);
            panic!("the server did not start: {first}{rest}");
        };
        let address = address.to_owned();
        let log = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in stderr.lines() {
                let Ok(line) = line else { break };
                let (lines, changed) = &*sink;
                lines.lock().unwrap().push(line);
                changed.notify_all();
            }
        });
        Server {
            child,
            address,
            log,
            _tie: tie,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// Waits (up to 10 s) for a log line that satisfies `wanted`; returns it.
    pub fn wait_for_log(&self, wanted: impl Fn(&str) -> bool) -> String {
        self.wait_for_log_from(0, wanted).1
    }

    /// How many log lines there are so far.
    pub fn log_len(&self) -> usize {
        self.log.0.lock().unwrap().len()
    }

    /// Waits (up to 20 s) for a log line from index `start` on that
    /// satisfies `wanted`; returns its index and text.
    pub fn wait_for_log_from(
        &self,
        start: usize,
        wanted: impl Fn(&str) -> bool,
    ) -> (usize, String) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let (lines, changed) = &*self.log;
        let mut guard = lines.lock().unwrap();
        let mut from = start;
        loop {
            if let Some(i) = guard.iter().skip(from).position(|l| wanted(l)) {
                return (from + i, guard[from + i].clone());
            }
            from = guard.len().max(start);
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "no such log line in {:#?}", *guard);
            guard = changed.wait_timeout(guard, left).unwrap().0;
        }
    }

    pub fn log_lines(&self) -> Vec<String> {
        self.log.0.lock().unwrap().clone()
    }

    /// The log lines once there are at least `n` (the server writes them
    /// from a log thread after the last byte is sent, so they may trail the
    /// responses a little), or whatever there is after five seconds.
    pub fn log_lines_at_least(&self, n: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let lines = self.log_lines();
            if lines.len() >= n || Instant::now() > deadline {
                return lines;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends a signal (`HUP`, `TERM`, `INT`) with the system's `kill`.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits (up to `limit`) for the process to exit; its status code.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<i32> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(&self.address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        stream
    }

    /// One request; `headers` are added to `Host`, `Connection: close` and
    /// (with a body) `Content-Length`.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        let mut stream = self.connect();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.address
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if !body.is_empty() || method == "POST" {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).unwrap();
        // A server may answer (413) before reading the whole body.
        let _ = stream.write_all(body);
        read_response(&mut stream)
    }

    pub fn get(&self, path: &str) -> Response {
        self.request("GET", path, &[], b"")
    }

    /// POST with `Content-Type: application/json`.
    pub fn post_json(&self, path: &str, body: &[u8]) -> Response {
        self.request("POST", path, &[("Content-Type", "application/json")], body)
    }
}

/// Reads a whole answer from a `Connection: close` stream.
pub fn read_response(stream: &mut impl Read) -> Response {
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    parse_response(&raw)
}

pub fn parse_response(raw: &[u8]) -> Response {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no head in {:?}", String::from_utf8_lossy(raw)));
    let head = std::str::from_utf8(&raw[..end]).unwrap();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.trim().to_owned(), v.trim().to_owned())
        })
        .collect();
    let rest = &raw[end + 4..];
    let chunked = headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    Response {
        status,
        headers,
        body,
    }
}

/// Decodes a chunked body; panics if it is cut short (a stream the server
/// aborted).
pub fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let eol = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunked body cut short");
        let size =
            usize::from_str_radix(std::str::from_utf8(&rest[..eol]).unwrap().trim(), 16).unwrap();
        rest = &rest[eol + 2..];
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}
