"""The stubs are good enough for `mypy --strict` on typical use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def test_mypy_strict_accepts_typical_use() -> None:
    pytest.importorskip("mypy", reason="mypy is not installed (pip install mypy)")
    out = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental",
                          str(HERE / "typed_usage.py")], capture_output=True, text=True, cwd=HERE)
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_strict_catches_a_wrong_use(tmp_path: Path) -> None:
    pytest.importorskip("mypy", reason="mypy is not installed (pip install mypy)")
    bad = tmp_path / "bad.py"
    bad.write_text("import checkout_tax\n"
                   "e = checkout_tax.Engine(catalog={})\n"
                   "n: int = e.quote_json('{}')\n")
    out = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(bad)],
                         capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 1 and "Incompatible types in assignment" in out.stdout, out.stdout
