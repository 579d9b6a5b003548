"""checkout_tax: prices and taxes hosted checkout sessions.

The engine of the ``checkout-tax`` crate, with the CLI's answers::

    import checkout_tax
    engine = checkout_tax.Engine(catalog=catalog, merchant={"merchant_type": "direct"})
    quote = engine.quote(request, at="2025-06-01")

``Engine`` is immutable and safe to share between threads; its calls release
the GIL while the engine computes. Refusals raise ``RequestError`` (``code``,
``param``, ``message``); a bad catalog, merchant or tax table raises
``DataError``.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Union

from ._native import (
    ERROR_CODES,
    DataError,
    Engine,
    Error,
    RequestError,
)

__all__ = [
    "ERROR_CODES",
    "DataError",
    "Engine",
    "Error",
    "RequestError",
    "assert_matches",
    "format_mismatches",
]


def format_mismatches(report: Mapping[str, Any]) -> str:
    """A readable account of a ``verify`` report, one line per difference."""
    if report.get("match"):
        return "match"
    lines = []
    error = report.get("error")
    if error:
        where = f" at `{error.get('param')}`" if error.get("param") else ""
        lines.append(f"the engine refused the request: {error.get('code')}: {error.get('message')}{where}")
    kind = report.get("kind")
    lines.append(f"mismatch ({kind})" if kind else "mismatch")
    for m in report.get("mismatches", []):
        lines.append(f"  {m['field']}: expected {m['expected']!r}, got {m['actual']!r}")
    return "\n".join(lines)


def assert_matches(
    engine: Engine,
    request: Union[Mapping[str, Any], str, bytes],
    response: Union[Mapping[str, Any], str, bytes],
    at: Optional[Any] = None,
) -> Mapping[str, Any]:
    """Asserts that ``response`` (what a checkout service answered to
    ``request``) matches the engine's recomputation; raises
    ``AssertionError`` listing every mismatch otherwise. Returns the report.

    For pytest, no plugin needed::

        def test_session_amounts(engine, client):
            request = {...}
            response = client.post("/sessions", json=request).json()
            checkout_tax.assert_matches(engine, request, response, at="2025-06-01")
    """
    report = engine.verify(request, response, at=at)
    if not report["match"]:
        raise AssertionError("checkout session does not match the engine:\n" + format_mismatches(report))
    return report
