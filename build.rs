//! Lists the admin page's files (`src/cli/serve/page/`) for the `serve`
//! feature: each becomes an `include_bytes!` in `$OUT_DIR/page_files.rs`, so
//! every asset is compiled into the binary and a file the page gains is
//! picked up without editing a list. Nothing is parsed here. Without the
//! feature the list is empty and the folder is not watched.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let mut files = Vec::new();
    if std::env::var_os("CARGO_FEATURE_SERVE").is_some() {
        let manifest = std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default();
        let dir = Path::new(&manifest).join("src/cli/serve/page");
        println!("cargo:rerun-if-changed={}", dir.display());
        collect(&dir, "", &mut files);
    }
    files.sort();
    let mut out = String::from("/// The page's files: name (relative to the folder) and bytes.\n");
    out.push_str("pub(crate) static FILES: &[(&str, &[u8])] = &[\n");
    for (name, path) in &files {
        let _ = writeln!(
            out,
            "    ({name:?}, include_bytes!({:?})),",
            path.display().to_string()
        );
    }
    out.push_str("];\n");
    let target = Path::new(&std::env::var_os("OUT_DIR").unwrap_or_default()).join("page_files.rs");
    if let Err(e) = std::fs::write(&target, out) {
        println!("cargo:warning=cannot write {}: {e}", target.display());
        std::process::exit(1);
    }
}

/// Every file under `dir`, skipping hidden names and `node_modules`.
fn collect(dir: &Path, prefix: &str, files: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if name.starts_with('.') || name == "node_modules" {
            continue;
        }
        let path = entry.path();
        let relative = format!("{prefix}{name}");
        if path.is_dir() {
            collect(&path, &format!("{relative}/"), files);
        } else if path.is_file() {
            files.push((relative, path));
        }
    }
}
