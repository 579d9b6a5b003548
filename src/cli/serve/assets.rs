//! The admin page's files, compiled in (the list is written by `build.rs`
//! from the folder `src/cli/serve/page/`): `GET /` is `index.html`, and
//! `GET /assets/NAME` any other file of the folder.

include!(concat!(env!("OUT_DIR"), "/page_files.rs"));

/// The file's bytes and content type.
pub(crate) fn find(name: &str) -> Option<(&'static [u8], &'static str)> {
    FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(n, bytes)| (*bytes, content_type(n)))
}

fn content_type(name: &str) -> &'static str {
    let extension = name.rsplit('.').next().unwrap_or_default();
    match extension.to_ascii_lowercase().as_str() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}
