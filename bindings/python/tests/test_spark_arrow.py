"""The Arrow path of checkout_tax.spark (`reconcile_batch`: the columns
handed to the engine as their Arrow buffers, the output built from
buffers) without Spark: every row equal to `Engine.reconcile_batch` on the
same values as Python objects, and the amounts to the CLI's `batch`, for
nulls, sliced batches, large_string, binary, non-UTF-8 bytes, malformed
responses, and dates as date32, timestamp or text on both sides of
Finland's rate change."""

from __future__ import annotations

import datetime
import json
import random
from typing import Any, Dict, List, Optional

import pytest

from conftest import FI_REQUEST, FI_ROWS, Cli

pa = pytest.importorskip("pyarrow", reason="pyarrow is not installed: pip install 'checkout-tax[spark]'")
pytest.importorskip("pyspark", reason="pyspark is not installed: pip install 'checkout-tax[spark]'")

import sessions  # noqa: E402

from checkout_tax import Engine  # noqa: E402
from checkout_tax.spark import OUTPUT_COLUMNS, _arrow_schema, output_schema, reconcile_batch  # noqa: E402

N = 1500


class Rows:
    """Generated requests, the service's responses (some tampered with,
    some cut short, some refusals) and their dates, with the CLI's answers."""

    def __init__(self, cli: Cli) -> None:
        self.catalog = sessions.catalog()
        rng = random.Random(5)
        pairs = list(sessions.sessions(N, seed=5, refused_every=30))
        pairs += [(FI_REQUEST, at) for at, _ in FI_ROWS]
        self.requests = [json.dumps(r) for r, _ in pairs]
        self.ats = [at for _, at in pairs]
        self.cli = cli.batch_at_each_date(self.requests, self.ats, self.catalog)
        self.responses: List[str] = []
        for answer in self.cli:
            response = sessions.respond(answer, rng)
            roll = rng.random()
            if "error" not in answer and roll < 0.05:
                response, _ = sessions.tamper(response, rng)
            elif roll < 0.08:
                self.responses.append(json.dumps(response)[: rng.randrange(1, 40)])
                continue
            self.responses.append(json.dumps(response))
        self.engine = Engine(catalog=self.catalog)


@pytest.fixture(scope="module")
def rows(cli_path: Any, tmp_path_factory: Any) -> Rows:
    return Rows(Cli(cli_path, tmp_path_factory.mktemp("arrow")))


def arrow_out(engine: Engine, batch: Any) -> Dict[str, List[Any]]:
    """`reconcile_batch`'s added columns as lists, checked against the
    declared schema."""
    from pyspark.sql.types import StructType

    spark_schema = output_schema(StructType.fromJson({"type": "struct", "fields": [
        {"name": f.name, "type": "string", "nullable": True, "metadata": {}} for f in batch.schema]}))
    added = _arrow_schema(spark_schema).remove_metadata()
    k = batch.num_columns
    schema = pa.schema(list(batch.schema) + [added.field(i) for i in range(k, len(spark_schema.fields))])
    out = reconcile_batch(engine, batch, schema)
    out.validate(full=True)
    assert out.schema == schema
    assert out.num_rows == batch.num_rows
    for i in range(k):
        assert out.column(i).equals(batch.column(i))
    return {name: out.column(name).to_pylist() for name in OUTPUT_COLUMNS}


def list_out(engine: Engine, requests: List[Any], responses: List[Any],
             ats: Optional[List[Any]]) -> Dict[str, List[Any]]:
    """The same columns from `Engine.reconcile_batch` on Python values."""
    cols = engine.reconcile_batch(requests, responses, ats)
    return dict(zip(OUTPUT_COLUMNS, cols))


def test_equal_to_the_list_path_and_the_cli(rows: Rows) -> None:
    batch = pa.record_batch({
        "request": pa.array(rows.requests, pa.string()),
        "response": pa.array(rows.responses, pa.string()),
        "at": pa.array(rows.ats, pa.string()).cast(pa.date32()),
    })
    got = arrow_out(rows.engine, batch)
    assert got == list_out(rows.engine, rows.requests, rows.responses, rows.ats)
    for i, answer in enumerate(rows.cli):
        amounts = tuple(got[c][i] for c in ("currency", "expected_subtotal", "expected_discount",
                                            "expected_tax", "expected_total"))
        if "error" in answer:
            assert (got["error_code"][i], amounts) == (answer["error"]["code"], (None,) * 5), i
        else:
            assert got["error_code"][i] is None
            assert amounts == (answer["currency"], answer["amount_subtotal"], answer["amount_discount"],
                               answer["amount_tax"], answer["amount_total"]), i
    # Both sides of the rate change, from the per-row dates.
    assert got["expected_tax"][-2:] == [110, 116]
    # The workload has what the test says it has.
    assert got["mismatches"].count(["response"]) >= 20
    assert sum(m in (["amount_tax"], ["amount_total"], ["amount_subtotal"], ["currency"])
               for m in got["mismatches"]) >= 30
    assert got["error_code"].count(None) < len(rows.cli) - 30


def test_text_dates_large_strings_and_binary(rows: Rows) -> None:
    expected = list_out(rows.engine, rows.requests, rows.responses, rows.ats)
    for text in (pa.string(), pa.large_string(), pa.binary(), pa.large_binary()):
        for at in (pa.string(), pa.large_string()):
            batch = pa.record_batch({
                "request": pa.array(rows.requests, pa.string()).cast(text),
                "response": pa.array(rows.responses, pa.string()).cast(text),
                "at": pa.array(rows.ats, at),
            })
            assert arrow_out(rows.engine, batch) == expected, (text, at)
    ts = pa.array([datetime.datetime.fromisoformat(a + "T23:59:59") for a in rows.ats], pa.timestamp("us"))
    batch = pa.record_batch({"request": pa.array(rows.requests), "response": pa.array(rows.responses), "at": ts})
    assert arrow_out(rows.engine, batch) == expected


def test_sliced_batches(rows: Rows) -> None:
    batch = pa.record_batch({
        "id": pa.array(range(len(rows.requests)), pa.int64()),
        "request": pa.array(rows.requests, pa.large_string()),
        "response": pa.array([r if i % 7 else None for i, r in enumerate(rows.responses)], pa.string()),
        "at": pa.array([a if i % 11 else None for i, a in enumerate(rows.ats)], pa.string()).cast(pa.date32()),
    })
    whole = arrow_out(rows.engine, batch)
    for offset, length in [(1, 10), (3, 517), (8, 64), (13, len(rows.requests) - 13), (700, 0), (9, 1)]:
        part = arrow_out(rows.engine, batch.slice(offset, length))
        assert part == {c: v[offset:offset + length] for c, v in whole.items()}, (offset, length)


def test_nulls_malformed_and_not_utf8(rows: Rows) -> None:
    good, response = rows.requests[0], rows.responses[0]
    requests: List[Optional[bytes]] = [good.encode(), None, good.encode(), b"\xff\xfe{", good.encode(),
                                       good.encode(), b"", good.encode()]
    responses: List[Optional[bytes]] = [None, response.encode(), b"\xff" + response.encode(),
                                        response.encode(), b"{\"currency\": \"\xc3(\"}", b"[1, 2", b"null",
                                        response.encode()]
    ats = ["2024-09-01", "2024-09-01", None, "2024-08-31", "2024-09-01", "2024-09-01", "2024-09-01", None]
    expected = list_out(rows.engine, requests, responses, ats)
    batch = pa.record_batch({"request": pa.array(requests, pa.binary()),
                             "response": pa.array(responses, pa.binary()),
                             "at": pa.array(ats, pa.string()).cast(pa.date32())})
    got = arrow_out(rows.engine, batch)
    assert got == expected
    assert got["mismatches"][0] == ["response"] and got["match"][0] is False
    assert got["error_code"][1] == "invalid_request" and got["error_code"][3] == "invalid_request"
    assert got["mismatches"][2] == ["response"] and got["mismatches"][4] != []
    # A null date is today, as on the list path.
    assert got["expected_total"][7] == rows.engine.quote(good)["amount_total"]


def test_dates_that_are_not_dates(rows: Rows) -> None:
    good, response = rows.requests[0], rows.responses[0]
    texts = ["2024-13-01", "2024-9-01", "", "0000-01-01", "9999-12-31", "2024-09-01 ", "2024-02-30",
             None, "2024-09-01"]
    n = len(texts)
    expected = list_out(rows.engine, [good] * n, [response] * n, texts)
    batch = pa.record_batch({"request": pa.array([good] * n), "response": pa.array([response] * n),
                             "at": pa.array(texts, pa.string())})
    got = arrow_out(rows.engine, batch)
    assert got == expected
    assert got["mismatches"][0] == ["at"] and got["error_code"][0] == "invalid_date"
    # date32 at the edges of what `YYYY-MM-DD` can say: years 0 to 9999.
    days = [-719528, -719529, 2932896, 2932897, -(2**31), 2**31 - 1, 0, None]
    as_text = pa.array(days, pa.date32()).cast(pa.string()).to_pylist()
    m = len(days)
    expected = list_out(rows.engine, [good] * m, [response] * m, as_text)
    batch = pa.record_batch({"request": pa.array([good] * m), "response": pa.array([response] * m),
                             "at": pa.array(days, pa.date32())})
    got = arrow_out(rows.engine, batch)
    assert got == expected
    assert [e == ["at"] for e in got["mismatches"]] == [False, True, False, True, True, True, False, False]


def test_no_date_column_and_binary_dates(rows: Rows) -> None:
    good, response = rows.requests[0], rows.responses[0]
    batch = pa.record_batch({"request": pa.array([good, good]), "response": pa.array([response, "{"])})
    assert arrow_out(rows.engine, batch) == list_out(rows.engine, [good, good], [response, "{"], None)
    # Binary dates were never dates (only text and dates are); a null one is today.
    ats = [b"2024-09-01", None]
    batch = pa.record_batch({"request": pa.array([good, good]), "response": pa.array([response, response]),
                             "at": pa.array(ats, pa.binary())})
    assert arrow_out(rows.engine, batch) == list_out(rows.engine, [good, good], [response, response], ats)


def test_an_empty_batch(rows: Rows) -> None:
    batch = pa.record_batch({"request": pa.array([], pa.string()), "response": pa.array([], pa.string()),
                             "at": pa.array([], pa.date32())})
    assert arrow_out(rows.engine, batch) == {c: [] for c in OUTPUT_COLUMNS}
