"""Benchmark of the Python package (not a test): per-call medians for a
3-line session, and batch throughput on one thread and two.

    python bindings/python/bench.py            # about a minute
    python bindings/python/bench.py --quick    # fewer rounds

Every variant is measured once per round, round after round, and the
median of the rounds is printed, so that a busy host slows all of them
alike. Compare the ratios of one run, not figures of different runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Callable, Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent / "examples"))

import checkout_tax  # noqa: E402
import sessions  # noqa: E402

AT = "2025-06-01"

# The 3-line session: US-CA, exclusive sales tax on each line.
REQUEST: Dict[str, Any] = {
    "mode": "payment",
    "line_items": [
        {"price_id": "price_general_1_usd", "quantity": 2},
        {"price_id": "price_general_2_usd", "quantity": 1},
        {"price_id": "price_general_3_usd", "quantity": 3},
    ],
    "buyer_country": "US",
    "buyer_region": "CA",
    "client_reference_id": "order_42",
}


def decimal_quote(request: Dict[str, Any], prices: Dict[str, Dict[str, Any]], rate: Decimal) -> Dict[str, Any]:
    """What a careful hand-written Python version does for this one case
    (exclusive tax, one rate, line rounding half up) with ``decimal``: no
    validation, no table look-up, no other regime."""
    lines = []
    subtotal = tax = 0
    for item in request["line_items"]:
        price = prices[item["price_id"]]
        base = price["unit_amount"] * item["quantity"]
        line_tax = int((Decimal(base) * rate / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        lines.append({"price_id": item["price_id"], "quantity": item["quantity"],
                      "amount_subtotal": base, "amount_tax": line_tax, "amount_total": base + line_tax,
                      "taxes": [{"name": "Sales tax", "rate": str(rate), "amount": line_tax}]})
        subtotal += base
        tax += line_tax
    return {"currency": "USD", "amount_subtotal": subtotal, "amount_tax": tax,
            "amount_total": subtotal + tax, "line_items": lines}


def per_call(fn: Callable[[], Any], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def throughput(fn: Callable[[List[str]], Any], lines: List[str], threads: int, chunk: int = 10_000) -> float:
    parts = [lines[i::threads] for i in range(threads)]

    def work(part: List[str]) -> None:
        for i in range(0, len(part), chunk):
            fn(part[i:i + chunk])

    start = time.perf_counter()
    if threads == 1:
        work(parts[0])
    else:
        ts = [threading.Thread(target=work, args=(p,)) for p in parts]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    return len(lines) / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--sessions", type=int, default=100_000)
    args = ap.parse_args()
    rounds = 5 if args.quick else 15
    calls = 2_000

    catalog = sessions.catalog()
    engine = checkout_tax.Engine(catalog=catalog)
    text = json.dumps(REQUEST)
    prices = {p["id"]: p for p in catalog["prices"]}
    expected = engine.quote(REQUEST, at=AT)
    rate = Decimal(expected["line_items"][0]["taxes"][0]["rate"])
    hand = decimal_quote(REQUEST, prices, rate)
    assert [hand[k] for k in ("amount_subtotal", "amount_tax", "amount_total")] == \
        [expected[k] for k in ("amount_subtotal", "amount_tax", "amount_total")], (hand, expected)
    assert json.loads(engine.quote_json(text, at=AT)) == expected

    variants: Dict[str, Callable[[], float]] = {
        "Rust Engine::quote_json (same bytes, timed in Rust)":
            lambda: engine._time_rust_quote_json(text, calls, at=AT) / calls,
        "engine.quote_json(str) -> str": lambda: per_call(lambda: engine.quote_json(text, at=AT), calls),
        "engine.quote(str) -> dict": lambda: per_call(lambda: engine.quote(text, at=AT), calls),
        "engine.quote(dict) -> dict": lambda: per_call(lambda: engine.quote(REQUEST, at=AT), calls),
        "json.loads(engine.quote_json(str))": lambda: per_call(lambda: json.loads(engine.quote_json(text, at=AT)), calls),
        "hand-written decimal (this case only)": lambda: per_call(lambda: decimal_quote(REQUEST, prices, rate), calls),
    }
    samples: Dict[str, List[float]] = {k: [] for k in variants}
    for _ in range(rounds):
        for name, fn in variants.items():
            samples[name].append(fn())
    med = {k: statistics.median(v) * 1e6 for k, v in samples.items()}
    print(f"per call, 3-line session (median of {rounds} rounds of {calls} calls, µs):")
    for name, v in med.items():
        print(f"  {name:<55} {v:8.2f}")
    rust = med["Rust Engine::quote_json (same bytes, timed in Rust)"]
    qj = med["engine.quote_json(str) -> str"]
    print(f"  target quote_json <= 2 x Rust + 1 µs = {2 * rust + 1:.2f} µs: "
          f"{'met' if qj <= 2 * rust + 1 else 'MISSED'} ({qj:.2f} µs)")

    lines = [json.dumps(r) for r, _ in sessions.sessions(args.sessions, seed=42)]
    # bytes requests are read in place; a str is first copied into bytes
    # (abi3 for CPython 3.9 cannot borrow a str's UTF-8).
    blines = [line.encode() for line in lines]
    batch_rounds = 3 if args.quick else 5
    tp: Dict[str, List[float]] = {}
    for _ in range(batch_rounds):
        for name, fn in (("quote_many", engine.quote_many), ("quote_many_json", engine.quote_many_json)):
            f = (lambda ls, fn=fn: fn(ls, at=AT))
            tp.setdefault(f"{name}, 1 thread", []).append(throughput(f, lines, 1))
            tp.setdefault(f"{name}, 2 threads", []).append(throughput(f, lines, 2))
            tp.setdefault(f"{name}(bytes), 1 thread", []).append(throughput(f, blines, 1))
            tp.setdefault(f"{name}(bytes), 2 threads", []).append(throughput(f, blines, 2))
    print(f"\nthroughput, {len(lines):,} generated sessions of 1-5 lines "
          f"(median of {batch_rounds} rounds, sessions/s):")
    tmed = {k: statistics.median(v) for k, v in tp.items()}
    for name, v in tmed.items():
        print(f"  {name:<37} {v:12,.0f}")
    for name in ("quote_many", "quote_many_json", "quote_many(bytes)", "quote_many_json(bytes)"):
        one, two = tmed[f"{name}, 1 thread"], tmed[f"{name}, 2 threads"]
        print(f"  {name}: two threads / one = {two / one:.2f}x (target >= 1.6x); "
              f"one thread {'meets' if one >= 500_000 else 'misses'} 500,000/s")


if __name__ == "__main__":
    main()
