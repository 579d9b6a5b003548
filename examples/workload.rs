//! Writes the deterministic benchmark workload: a catalog and an NDJSON of
//! create-session requests (1–5 lines, ten jurisdictions, four currencies).
//!
//! ```sh
//! cargo run --release --example workload -- /tmp/workload 1000000 42
//! # -> /tmp/workload/catalog.json and /tmp/workload/requests.ndjson
//! ```

#[path = "../benches/workload/mod.rs"]
mod workload;

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.first() else {
        let _ = writeln!(std::io::stderr(), "usage: workload DIR [SESSIONS] [SEED]");
        return ExitCode::from(2);
    };
    let sessions: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let seed: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(42);
    let dir = std::path::Path::new(dir);
    let result = std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(dir.join("catalog.json"), workload::catalog_json()))
        .and_then(|()| {
            let mut file =
                std::io::BufWriter::new(std::fs::File::create(dir.join("requests.ndjson"))?);
            let mut rng = workload::Rng::new(seed);
            let mut line = String::with_capacity(512);
            for _ in 0..sessions {
                line.clear();
                workload::request_json(&mut rng, &mut line);
                line.push('\n');
                file.write_all(line.as_bytes())?;
            }
            file.flush()
        });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "workload: {e}");
            ExitCode::from(1)
        }
    }
}
