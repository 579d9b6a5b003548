"""Reconcile generated checkout sessions on Spark in local mode.

    pip install './bindings/python[spark]'
    PYSPARK_PYTHON=$(which python) SPARK_LOCAL_IP=127.0.0.1 \\
        python bindings/python/examples/reconcile_local.py [SESSIONS] [TAMPERED]

Generates SESSIONS create-session requests (default 20,000) spread over two
weeks around Finland's VAT change, lets the engine play the checkout
service (its answers in the service's envelope or as bare sessions, its
refusals as error responses), breaks TAMPERED of the answers (default 25:
an amount off by one, a wrong currency) and one that is cut short, then
reconciles everything with ``checkout_tax.spark.reconcile`` and shows the
rows that do not match.
"""

from __future__ import annotations

import datetime
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sessions  # noqa: E402

import checkout_tax  # noqa: E402
from checkout_tax.spark import reconcile  # noqa: E402


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    n_tampered = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    catalog = sessions.catalog()
    service = checkout_tax.Engine(catalog=catalog)  # stands in for the checkout service
    rng = random.Random(2024)
    pairs = list(sessions.sessions(n, seed=2024, refused_every=100))
    rows = []
    for i, (request, at) in enumerate(pairs):
        answer = service.quote_many([request], at=at)[0]
        rows.append([f"cs_{i:06d}", json.dumps(request), json.dumps(sessions.respond(answer, rng)),
                     datetime.date.fromisoformat(at)])
    quoted = [i for i, r in enumerate(rows) if '"error"' not in r[2]]
    tampered = {}
    for i in rng.sample(quoted, n_tampered + 1):
        response, field = sessions.tamper(json.loads(rows[i][2]), rng)
        rows[i][2] = json.dumps(response)
        tampered[rows[i][0]] = field
    cut = rows[i][0]
    rows[i][2] = rows[i][2][:30]  # the last one is cut short: not JSON
    tampered[cut] = "response"

    spark = (SparkSession.builder.master("local[2]").appName("reconcile-local")
             .config("spark.ui.enabled", "false").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    df = spark.createDataFrame(rows, "session_id string, request string, response string, at date")
    start = time.perf_counter()
    out = reconcile(df, catalog=catalog).cache()
    total = out.count()
    elapsed = time.perf_counter() - start
    bad = out.filter("NOT match")
    print(f"reconciled {total:,} sessions in {elapsed:.1f} s; "
          f"{out.filter('error_code IS NOT NULL').count()} refused by the engine (and by the service)")
    bad.select("session_id", "at", "currency", "expected_subtotal", "expected_discount",
               "expected_tax", "expected_total", "error_code", "mismatches").orderBy("session_id").show(100, truncate=False)
    found = {r["session_id"]: list(r["mismatches"]) for r in bad.collect()}
    print(f"tampered {len(tampered)}, found {len(found)}: "
          f"{'every one, and no other' if found == {k: [v] for k, v in tampered.items()} else 'DIFFERENT'}")
    spark.stop()


if __name__ == "__main__":
    main()
