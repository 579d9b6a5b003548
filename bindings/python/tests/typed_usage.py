"""Typical typed use of the package; `test_typing.py` runs `mypy --strict`
on this file (it is not a test itself)."""

from __future__ import annotations

import datetime
from typing import Any, Dict, List, Optional

import checkout_tax
from checkout_tax import DataError, Engine, Error, RequestError


def build(catalog: Dict[str, Any]) -> Engine:
    try:
        return Engine(catalog=catalog, merchant={"merchant_type": "direct"}, tax_data=None)
    except DataError as e:
        line: Optional[int] = e.line
        raise RuntimeError(f"bad data at line {line}: {e.code} {e.message}") from e


def total(engine: Engine, request: Dict[str, Any], at: datetime.date) -> int:
    try:
        quote = engine.quote(request, at=at)
    except RequestError as e:
        param: Optional[str] = e.param
        raise ValueError(f"{e.code} at {param}: {e.message}") from e
    amount: int = quote["amount_total"]
    return amount


def texts(engine: Engine, lines: List[str]) -> List[str]:
    one = [engine.quote_json(line, at="2025-06-01") for line in lines]
    many: List[str] = engine.quote_many_json(lines, at=datetime.date(2025, 6, 1))
    return one + many


def refused_codes(engine: Engine, requests: List[Dict[str, Any]]) -> List[str]:
    out: List[str] = []
    for answer in engine.quote_many(requests, at="2025-06-01"):
        if "error" in answer:
            out.append(answer["error"]["code"])
    return out


def matches(engine: Engine, request: Dict[str, Any], response: bytes) -> bool:
    report = engine.verify(request, response, at=None)
    for m in report["mismatches"]:
        field: str = m["field"]
        print(field, m["expected"], m["actual"])
    if "error" in report:
        print(report["error"]["code"])
    checkout_tax.assert_matches(engine, request, response)
    return report["match"]


def rates(engine: Engine) -> List[str]:
    return [row["rate"] for row in engine.rates(["DE", "US-CA"], at="2025-06-01")["rates"]]


def codes() -> List[str]:
    return list(checkout_tax.ERROR_CODES)


def is_ours(e: Exception) -> bool:
    return isinstance(e, Error)
