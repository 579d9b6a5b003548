"""Hostile input as bytes, str and dicts: every one answered with a quote
or a RequestError (the CLI's answer), never a crash; and the engine shared
by threads."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, Dict, List

import pytest

from checkout_tax import Engine, RequestError

from conftest import REPO, Cli

AT = "2025-06-01"
CATALOG = REPO / "examples" / "catalog.json"
SEEDS = REPO / "fuzz" / "seeds"
MERCHANTS = [{"merchant_type": "merchant_of_record"}, {"merchant_type": "direct"}]

# Bytes no fuzz seed has: broken UTF-8, NULs, BOMs, nesting, sizes, numbers.
EXTRA: List[bytes] = [
    b"", b" ", b"\x00", b"\xff\xfe{}", b"\xef\xbb\xbf{\"mode\":\"payment\"}", b"{\"mode\":\"pay\xc3\x28ment\"}",
    b"[" * 10000 + b"]" * 10000, b"{\"a\":" * 5000 + b"1" + b"}" * 5000,
    b"{\"mode\":\"payment\",\"line_items\":[{\"price_id\":\"price_xxx\",\"quantity\":1e400}]}",
    b"{\"mode\":\"payment\",\"line_items\":[{\"price_id\":\"price_xxx\",\"quantity\":-0}]}",
    b"{\"mode\":\"payment\",\"line_items\":[{\"price_id\":\"price_xxx\",\"quantity\":1}]" + b" " * (1 << 20) + b"}",
    b"{\"mode\":\"payment\",\"line_items\":[" + b",".join([b"{\"price_id\":\"price_xxx\",\"quantity\":1}"] * 101) + b"]}",
    b"{\"mode\":\"payment\",\"mode\":\"setup\"}",
    b"{\"mode\":\"payment\",\"line_items\":[{\"price_id\":\"price_\\u0000xxx\",\"quantity\":1}]}",
    b"{\"mode\":\"payment\",\"line_items\":[{\"price_id\":\"\\ud800\",\"quantity\":1}]}",
    b"NaN", b"Infinity", b"\"payment\"", b"123456789012345678901234567890",
]


def corpus() -> List[bytes]:
    files = sorted(p for p in SEEDS.glob("*/*") if p.is_file())
    assert len(files) >= 50, "the fuzz seed corpus went missing"
    return [p.read_bytes() for p in files] + EXTRA


def outcome(engine: Engine, body: Any) -> Dict[str, Any]:
    try:
        q = engine.quote(body, at=AT)
    except RequestError as e:
        assert isinstance(e.code, str) and e.code and isinstance(e.message, str)
        return {"error": {"code": e.code, "message": e.message, "param": e.param}}
    assert isinstance(q["amount_total"], int)
    return q


@pytest.mark.parametrize("merchant", MERCHANTS, ids=lambda m: m["merchant_type"])
def test_every_hostile_input_is_a_quote_or_a_request_error(merchant: Dict[str, str], cli: Cli) -> None:
    engine = Engine(catalog=CATALOG.read_text(), merchant=merchant)
    inputs = corpus()
    got = [outcome(engine, b) for b in inputs]
    # The same answers through quote_json and quote_many ...
    for body, g in zip(inputs, got):
        try:
            assert json.loads(engine.quote_json(body, at=AT)) == g
        except RequestError as e:
            assert g["error"] == {"code": e.code, "message": e.message, "param": e.param}
    assert engine.quote_many(inputs, at=AT) == got
    # ... and the CLI's, file by file.
    for body, g in zip(inputs, got):
        assert cli.quote(body, catalog=CATALOG, merchant=merchant, at=AT) == g, body[:200]
    assert sum("error" not in g for g in got) >= 5, "some of the corpus must be quoted"


def test_hostile_python_values_are_request_errors() -> None:
    engine = Engine(catalog=CATALOG.read_text())
    looped: Dict[str, Any] = {"mode": "payment"}
    looped["line_items"] = [looped]
    deep: Any = {"mode": "payment"}
    for _ in range(2000):
        deep = {"x": deep}
    cases: List[Any] = [
        looped, deep, {"mode": "payment", 1: 2}, {"mode": "payment", "line_items": [{"price_id": b"x"}]},
        {"mode": "\ud800"}, "\ud800", 5, None, [1, 2], float("nan"), {"mode": float("inf")},
        object(), {"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantity": 1.0}]},
    ]
    for value in cases:
        with pytest.raises(RequestError) as info:
            engine.quote(value, at=AT)
        assert info.value.code in ("invalid_request", "unknown_field", "invalid_mode",
                                   "invalid_quantity", "limit_exceeded"), (value, info.value)
    # The same values in a batch are answered in place.
    out = engine.quote_many(cases, at=AT)
    assert all("error" in o for o in out)
    with pytest.raises(RequestError) as info:
        engine.quote({"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantity": {1}}]}, at=AT)
    assert (info.value.code, info.value.param) == ("invalid_request", "line_items[0].quantity")


def test_threads_share_one_engine(engine_and_workload: Any) -> None:
    engine, lines, expected = engine_and_workload
    results: Dict[int, List[Dict[str, Any]]] = {}
    errors: List[BaseException] = []

    def work(i: int) -> None:
        try:
            for _ in range(3):
                results[i] = engine.quote_many(lines[i::2], at=AT)
                for line, want in zip(lines[i:400:2], expected[i:400:2]):
                    if "error" in want:
                        with pytest.raises(RequestError):
                            engine.quote_json(line, at=AT)
                    else:
                        assert json.loads(engine.quote_json(line, at=AT)) == want
        except BaseException as e:  # reported below, in the test's thread
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert results[0] == expected[0::2] and results[1] == expected[1::2]


def test_quote_many_leaves_the_cycle_collector_as_it_found_it(engine_and_workload: Any) -> None:
    """The collector is paused during a batch and resumed after it, also
    when two threads' batches overlap; a caller's own gc.disable() stays."""
    import gc

    engine, lines, _ = engine_and_workload
    assert gc.isenabled()
    # No collection runs while either thread's batch makes its answers (a
    # thread that ended first used to resume it under the other's feet).
    collections: List[str] = []

    def seen(phase: str, info: Dict[str, Any]) -> None:
        if phase == "start":
            collections.append(phase)

    requests = lines * 3
    threads = [threading.Thread(target=engine.quote_many, args=(requests,), kwargs={"at": AT})
               for _ in range(2)]
    gc.collect()  # no allocations counted towards the next collection yet
    gc.callbacks.append(seen)
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        gc.callbacks.remove(seen)
    assert collections == []
    assert gc.isenabled()
    gc.disable()
    try:
        engine.quote_many(lines[:50], at=AT)
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(RequestError):
        engine.quote_many(lines[:5], at="not a date")
    assert gc.isenabled()


def test_quote_many_json_writes_the_clis_batch_lines(engine_and_workload: Any, cli: Cli) -> None:
    import sessions

    engine, lines, expected = engine_and_workload
    got = engine.quote_many_json(lines, at=AT)
    # Byte for byte what `checkout-tax batch` prints, quotes and refusals.
    assert got == cli.batch_text([l.encode() for l in lines], catalog=sessions.catalog(), at=AT)
    assert [json.loads(g) for g in got] == expected


@pytest.fixture(scope="module")
def engine_and_workload() -> Any:
    import sessions

    engine = Engine(catalog=sessions.catalog())
    lines = [json.dumps(r) for r, _ in sessions.sessions(4000, seed=7, refused_every=50)]
    expected = engine.quote_many(lines, at=AT)
    assert sum("error" in e for e in expected) == 80
    return engine, lines, expected
