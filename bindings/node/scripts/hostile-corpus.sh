#!/usr/bin/env bash
# Regenerates test/data/hostile.ndjson.gz: every request body that the
# core's hostile-input tests (tests/hostile.rs) judge, with the engine it is
# judged by and its outcome there, one JSON line each. test/hostile.test.js
# replays it through the package. Run it after changing tests/hostile.rs.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT
(cd "$here/../.." && HOSTILE_CORPUS="$tmp" cargo test --locked --release --test hostile -q >/dev/null)
LC_ALL=C sort -u "$tmp" | gzip -9 -n > "$here/test/data/hostile.ndjson.gz"
echo "$(LC_ALL=C sort -u "$tmp" | wc -l) bodies -> test/data/hostile.ndjson.gz" >&2
