//! A checkout service calling the `checkout-tax serve` sidecar: what a
//! service in any language does to create a session, in a few lines of Rust
//! and plain HTTP/1.1 over loopback (no HTTP crate, so the same steps read
//! across to Node, Python or Go).
//!
//! ```sh
//! checkout-tax serve --catalog examples/catalog.json --api-keys keys.txt &
//! CHECKOUT_TAX_API_KEY=sk_test_123 \
//!     cargo run --example checkout_service -- http://127.0.0.1:8080 examples/request.json
//! ```
//!
//! It sends the create-session request to `POST /v1/quote` unchanged, and
//! either builds the session from the quote (the amounts are the engine's;
//! the service adds its id, status and URL) or hands the engine's refusal to
//! its client as it came (code and `param` path). Then, as a service's own
//! test would, it asks `POST /v1/verify` whether the session it is about to
//! return carries the right amounts. Exit 0 with the session envelope on
//! stdout, 1 with the refusal, 2 when the sidecar cannot be reached.

use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;

/// One `POST` to the sidecar; the status and the JSON body.
fn post(base: &str, path: &str, key: Option<&str>, body: &[u8]) -> Result<(u16, Value), String> {
    let host = base.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = TcpStream::connect(host).map_err(|e| format!("cannot reach {base}: {e}"))?;
    let key = key.map_or(String::new(), |k| format!("X-API-Key: {k}\r\n"));
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{key}\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body))
        .map_err(|e| format!("cannot send to {base}: {e}"))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(|e| format!("cannot read from {base}: {e}"))?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").ok_or("no HTTP answer")?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("no status")?;
    let value = serde_json::from_str(body).map_err(|e| format!("not JSON: {e}"))?;
    Ok((status, value))
}

/// The session a hosted checkout returns, around the engine's quote.
fn session(quote: &Value) -> Value {
    let id = format!("cs_test_{:016x}", std::process::id());
    json!({
        "success": true,
        "message": "Checkout session created",
        "data": {
            "session": {
                "id": id,
                "object": "checkout.session",
                "status": "open",
                "mode": quote["mode"],
                "currency": quote["currency"].as_str().map(str::to_lowercase),
                "amount_subtotal": quote["amount_subtotal"],
                "amount_tax": quote["amount_tax"],
                "amount_total": quote["amount_total"],
                "tax_status": quote["tax_status"],
                "line_items": quote["line_items"],
            },
            "url": format!("https://checkout.example.com/c/{id}"),
        }
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [base, file] = args.as_slice() else {
        eprintln!(
            "usage: checkout_service SIDECAR_URL REQUEST.json  (key in CHECKOUT_TAX_API_KEY)"
        );
        return ExitCode::from(2);
    };
    let key = std::env::var("CHECKOUT_TAX_API_KEY").ok();
    let request = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("cannot read {file}: {e}");
            return ExitCode::from(2);
        }
    };
    let run = || -> Result<ExitCode, String> {
        let (status, answer) = post(base, "/v1/quote", key.as_deref(), &request)?;
        if status != 200 {
            // The refusal goes to the client unchanged: code, message, param.
            println!("{answer}");
            return Ok(ExitCode::from(1));
        }
        let envelope = session(&answer);
        let check = json!({
            "request": serde_json::from_slice::<Value>(&request).map_err(|e| e.to_string())?,
            "response": envelope,
        });
        let (_, report) = post(
            base,
            "/v1/verify",
            key.as_deref(),
            check.to_string().as_bytes(),
        )?;
        if report["match"] != true {
            return Err(format!("the session's amounts are wrong: {report}"));
        }
        println!("{envelope}");
        Ok(ExitCode::SUCCESS)
    };
    run().unwrap_or_else(|e| {
        eprintln!("checkout_service: {e}");
        ExitCode::from(2)
    })
}
