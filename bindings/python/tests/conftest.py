"""Shared fixtures: paths into the repository, and the CLI (`checkout-tax`)
whose answers the package must give."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

HERE = Path(__file__).resolve().parent
PACKAGE = HERE.parent
REPO = PACKAGE.parent.parent
FIXTURES = REPO / "tests" / "fixtures"
GOLDEN = REPO / "tests" / "golden"

sys.path.insert(0, str(PACKAGE / "examples"))


def _find_cli() -> Optional[Path]:
    env = os.environ.get("CHECKOUT_TAX_BIN")
    if env:
        return Path(env)
    for profile in ("release", "debug"):
        p = REPO / "target" / profile / "checkout-tax"
        if p.exists():
            return p
    if shutil.which("cargo") is None:
        return None
    subprocess.run(["cargo", "build", "--locked", "--bin", "checkout-tax"], cwd=REPO, check=True)
    p = REPO / "target" / "debug" / "checkout-tax"
    return p if p.exists() else None


class Cli:
    """Runs the real binary with engine options and files of the test's own."""

    def __init__(self, path: Path, tmp: Path) -> None:
        self.path = path
        self.tmp = tmp
        self.n = 0

    def file(self, content: Any, suffix: str = ".json") -> str:
        self.n += 1
        p = self.tmp / f"f{self.n}{suffix}"
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content if isinstance(content, str) else json.dumps(content))
        return str(p)

    def args(self, catalog: Any = None, merchant: Any = None, tax_data: Optional[str] = None,
             at: Optional[str] = None) -> List[str]:
        a: List[str] = []
        if catalog is not None:
            a += ["--catalog", catalog if isinstance(catalog, Path) else self.file(catalog)]
        if merchant is not None:
            a += ["--merchant", self.file(merchant)]
        if tax_data is not None:
            a += ["--tax-data", self.file(tax_data, ".csv")]
        if at is not None:
            a += ["--at", at]
        return a

    def run(self, *args: str, stdin: Optional[bytes] = None) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([str(self.path), *args], input=stdin, capture_output=True)

    def quote(self, request: bytes, **engine: Any) -> Dict[str, Any]:
        """`checkout-tax quote` on the request's bytes: the quote or {"error"}."""
        out = self.run("quote", *self.args(**engine), self.file(request))
        assert out.returncode in (0, 1), out.stderr.decode()
        return json.loads(out.stdout)

    def batch_text(self, lines: List[bytes], **engine: Any) -> List[str]:
        """`checkout-tax batch`'s output lines, as text."""
        out = self.run("batch", *self.args(**engine), stdin=b"".join(l + b"\n" for l in lines))
        assert out.returncode == 0, out.stderr.decode()
        return out.stdout.decode().splitlines()

    def batch(self, lines: List[bytes], **engine: Any) -> List[Dict[str, Any]]:
        return [json.loads(l) for l in self.batch_text(lines, **engine)]

    def batch_at_each_date(self, requests: List[str], ats: List[str],
                           catalog: Any) -> List[Dict[str, Any]]:
        """The CLI's answer to each request at its own date: one `batch`
        run per date, the answers put back in the requests' order."""
        answers: List[Dict[str, Any]] = [{} for _ in requests]
        catalog_file = Path(self.file(catalog))
        for at in sorted(set(ats)):
            idx = [i for i, a in enumerate(ats) if a == at]
            out = self.batch([requests[i].encode() for i in idx], catalog=catalog_file, at=at)
            for i, answer in zip(idx, out):
                answers[i] = answer
        return answers


# Finland's VAT went from 24 % to 25.5 % on 2024-09-01: 570 EUR including
# 24 % holds a tax of 110.32 -> 110, including 25.5 % 115.82 -> 116. The
# Spark tests add these rows, dated on both sides, to their generated ones.
FI_REQUEST = {"mode": "payment", "buyer_country": "FI",
              "line_items": [{"price_id": "price_general_1_eur", "quantity": 1}]}
FI_ROWS = [("2024-08-31", 110), ("2024-09-01", 116)]


@pytest.fixture(scope="session")
def cli_path() -> Path:
    p = _find_cli()
    if p is None:
        pytest.skip("the checkout-tax binary is not built and cargo is not installed")
    return p


@pytest.fixture
def cli(cli_path: Path, tmp_path: Path) -> Cli:
    return Cli(cli_path, tmp_path)


@pytest.fixture(scope="session")
def fixture_catalog() -> str:
    return (FIXTURES / "catalog.json").read_text()


@pytest.fixture(scope="session")
def fixture_table() -> str:
    return (FIXTURES / "tax_rates.csv").read_text()
