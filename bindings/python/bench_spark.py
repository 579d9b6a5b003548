"""Benchmark of checkout_tax.spark.reconcile (not a test): rows per second
in Spark local[1] and local[2], next to the CLI's `batch` on the same
requests and to the engine's batch call without Spark.

    pip install './bindings/python[spark]'
    cargo build --release
    PYSPARK_PYTHON=$(which python) SPARK_LOCAL_IP=127.0.0.1 \\
        python bindings/python/bench_spark.py [--sessions 1000000]

The generated sessions (1-5 lines, per-row dates on both sides of a rate
change) and the service's answers are written once to a Parquet folder
(``--dir``) and reused by later runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE / "examples"))

import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
import sessions  # noqa: E402

import checkout_tax  # noqa: E402
from checkout_tax.spark import reconcile  # noqa: E402

FILES = 16  # Parquet files, so that each run has enough partitions


def generate(n: int, folder: Path) -> None:
    done = folder / f"done-{n}"
    if done.exists():
        return
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*"):
        old.unlink()
    catalog = sessions.catalog()
    (folder / "catalog.json").write_text(json.dumps(catalog))
    engine = checkout_tax.Engine(catalog=catalog)
    start = time.perf_counter()
    pairs = list(sessions.sessions(n, seed=42, refused_every=100))
    requests = [json.dumps(r, separators=(",", ":")) for r, _ in pairs]
    ats = [at for _, at in pairs]
    responses: List[str] = [""] * n
    for at in sorted(set(ats)):
        idx = [i for i, a in enumerate(ats) if a == at]
        for i, answer in zip(idx, engine.quote_many_json([requests[i] for i in idx], at=at)):
            responses[i] = answer
    with open(folder / "requests.ndjson", "w") as f:
        for r in requests:
            f.write(r + "\n")
    per = (n + FILES - 1) // FILES
    for k in range(FILES):
        lo, hi = k * per, min(n, (k + 1) * per)
        table = pa.table({
            "id": pa.array(range(lo, hi), pa.int64()),
            "request": pa.array(requests[lo:hi], pa.string()),
            "response": pa.array(responses[lo:hi], pa.string()),
            "at": pa.array(ats[lo:hi], pa.string()).cast(pa.date32()),
        })
        pq.write_table(table, folder / f"part-{k:03d}.parquet")
    done.write_text("")
    print(f"generated {n:,} sessions in {time.perf_counter() - start:.0f} s into {folder}")


def constant_columns(df: Any) -> Any:
    """``df`` with the eight output columns of ``reconcile`` added as
    constants by the same ``mapInArrow`` plumbing, no engine: what Spark
    and Arrow cost per row on their own, the ceiling of ``reconcile``."""
    from checkout_tax.spark import _arrow_schema, output_schema

    schema = output_schema(df.schema)
    n_in = len(df.columns)

    def run(batches: Any) -> Any:
        added = _arrow_schema(schema).remove_metadata()
        fields = [added.field(i) for i in range(n_in, len(schema.fields))]
        consts: List[pa.Array] = []
        for batch in batches:
            n = batch.num_rows
            if not consts or len(consts[0]) < n:
                consts = [pa.array(["usd"] * n, pa.string()), *[pa.array([1] * n, pa.int64())] * 4,
                          pa.nulls(n, pa.string()), pa.array([True] * n, pa.bool_()),
                          pa.array([[]] * n, fields[7].type)]
            arrays = list(batch.columns) + [c.slice(0, n) for c in consts]
            yield pa.RecordBatch.from_arrays(arrays, schema=pa.schema(list(batch.schema) + fields))

    return df.mapInArrow(run, schema)


def spark_rate(master: str, folder: Path, catalog: Dict[str, Any], runs: int,
               ceiling: bool = False) -> List[float]:
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master(master).appName(f"bench-{master}")
             .config("spark.ui.enabled", "false")
             .config("spark.sql.files.maxPartitionBytes", str(32 << 20))
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    df = spark.read.parquet(*[str(p) for p in sorted(folder.glob("part-*.parquet"))])
    n = df.count()
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        out = constant_columns(df) if ceiling else reconcile(df, catalog=catalog)
        row = out.selectExpr(
            "count(*) AS n", "sum(CAST(match AS INT)) AS matched", "sum(expected_total) AS total").collect()[0]
        rates.append(n / (time.perf_counter() - start))
        assert row["n"] == n and row["matched"] == n, row  # the service is the engine: all match
    spark.stop()
    return rates


def cli_rate(folder: Path, runs: int) -> List[float]:
    binary = REPO / "target" / "release" / "checkout-tax"
    if not binary.exists():
        subprocess.run(["cargo", "build", "--release", "--locked", "--bin", "checkout-tax"], cwd=REPO, check=True)
    n = sum(1 for _ in open(folder / "requests.ndjson"))
    rates = []
    for _ in range(runs):
        with open(folder / "requests.ndjson", "rb") as stdin, open(os.devnull, "wb") as out:
            start = time.perf_counter()
            subprocess.run([str(binary), "batch", "--threads", "1", "--catalog", str(folder / "catalog.json"),
                            "--at", "2024-09-01"], stdin=stdin, stdout=out, stderr=subprocess.DEVNULL, check=True)
            rates.append(n / (time.perf_counter() - start))
    return rates


def engine_rate(folder: Path, catalog: Dict[str, Any]) -> float:
    """The engine's batch call on the same columns, in this process, no Spark."""
    table = pq.read_table(sorted(folder.glob("part-*.parquet"))[0])
    requests = table.column("request").to_pylist()
    responses = table.column("response").to_pylist()
    ats = table.column("at").cast(pa.string()).to_pylist()
    engine = checkout_tax.Engine(catalog=catalog)
    start = time.perf_counter()
    cols = engine.reconcile_batch(requests, responses, ats)
    assert all(cols[6])  # match
    return len(requests) / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=1_000_000)
    ap.add_argument("--dir", default="/tmp/checkout-tax-spark-bench")
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--ceiling", action="store_true",
                    help="also time mapInArrow adding constant columns, no engine, in local[1]")
    args = ap.parse_args()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    folder = Path(args.dir)
    generate(args.sessions, folder)
    catalog = json.loads((folder / "catalog.json").read_text())

    cli = statistics.median(cli_rate(folder, 3))
    eng = engine_rate(folder, catalog)
    ceiling = max(spark_rate("local[1]", folder, catalog, args.runs, ceiling=True)) if args.ceiling else None
    one = max(spark_rate("local[1]", folder, catalog, args.runs))
    two = max(spark_rate("local[2]", folder, catalog, args.runs))
    print(f"\n{args.sessions:,} sessions, rows per second (best of {args.runs} runs in Spark):")
    print(f"  CLI batch --threads 1 (quote only)            {cli:12,.0f}")
    print(f"  engine.reconcile_batch, one thread, no Spark  {eng:12,.0f}")
    if ceiling is not None:
        print(f"  constant columns in local[1] (the ceiling)    {ceiling:12,.0f}")
    print(f"  reconcile in local[1]                         {one:12,.0f}")
    print(f"  reconcile in local[2]                         {two:12,.0f}")
    print(f"  local[2] / local[1] = {two / one:.2f}x (target >= 1.7x)")
    print(f"  per core, local[2] / 2 = {two / 2:,.0f} = {two / 2 / cli:.0%} of the CLI's batch (target >= 25%)")
    print(f"  cost: {1e6 / (two / 2):.1f} core-seconds per million rows in local[2]")


if __name__ == "__main__":
    main()
