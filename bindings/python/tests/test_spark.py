"""checkout_tax.spark.reconcile in Spark local mode (local[2]) on generated
sessions, some tampered with: exact amounts against the CLI's `batch`,
every tampered row found and no other, refusals, malformed responses,
per-row dates on both sides of Finland's rate change."""

from __future__ import annotations

import datetime
import json
import os
import random
import shutil
import sys
from typing import Any, Dict, Iterator, List, Tuple

import pytest

from conftest import FI_REQUEST, FI_ROWS, REPO, Cli

if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("Java is not installed: the Spark tests need a JRE "
                "(apt-get install -y default-jre-headless)", allow_module_level=True)
pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed: pip install 'checkout-tax[spark]'")

import sessions  # noqa: E402

from checkout_tax import Engine  # noqa: E402
from checkout_tax.spark import OUTPUT_COLUMNS, reconcile  # noqa: E402

N = 3000
SEED = 11


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    session = (SparkSession.builder.master("local[2]").appName("checkout-tax-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "4")
               .config("spark.sql.execution.arrow.maxRecordsPerBatch", "500")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


class Case:
    """The generated rows, what the CLI says of each request, and what
    the test did to each response."""

    def __init__(self, cli: Cli) -> None:
        self.catalog = sessions.catalog()
        rng = random.Random(SEED)
        pairs = list(sessions.sessions(N, seed=SEED, refused_every=40))
        # Explicit rows on both sides of Finland's rate change (conftest).
        self.fi_rows = {len(pairs) + k: row for k, row in enumerate(FI_ROWS)}
        pairs += [(FI_REQUEST, at) for at, _ in FI_ROWS]
        self.requests = [json.dumps(r) for r, _ in pairs]
        self.ats = [at for _, at in pairs]
        self.cli = cli.batch_at_each_date(self.requests, self.ats, self.catalog)
        self.responses: List[str] = []
        self.expect_match: List[bool] = []
        self.expect_mismatches: List[List[str]] = []
        for i, answer in enumerate(self.cli):
            response = sessions.respond(answer, rng)
            mismatches: List[str] = []
            roll = rng.random()
            if "error" not in answer and roll < 0.03:
                response, field = sessions.tamper(response, rng)
                mismatches = [field]
            elif roll < 0.035:
                text = json.dumps(response)[: rng.randrange(1, 40)]  # cut short: not JSON
                self.responses.append(text)
                self.expect_match.append(False)
                self.expect_mismatches.append(["response"])
                continue
            elif "error" in answer and roll < 0.3:
                response = {"success": False, "error": {"code": "invalid_request"}}
                mismatches = ["error.code"]
            self.responses.append(json.dumps(response))
            self.expect_match.append(not mismatches)
            self.expect_mismatches.append(mismatches)


@pytest.fixture(scope="module")
def case(cli_path: Any, tmp_path_factory: Any) -> Case:
    return Case(Cli(cli_path, tmp_path_factory.mktemp("spark")))


def rows_of(case: Case, at_as_date: bool) -> List[Tuple[Any, ...]]:
    return [(i, f"note {i}", req, resp, datetime.date.fromisoformat(at) if at_as_date else at)
            for i, (req, resp, at) in enumerate(zip(case.requests, case.responses, case.ats))]


def check(out_rows: List[Any], case: Case) -> None:
    assert len(out_rows) == len(case.requests)
    tampered_found = 0
    for row in sorted(out_rows, key=lambda r: r["id"]):
        i = row["id"]
        answer = case.cli[i]
        assert row["note"] == f"note {i}" and row["request"] == case.requests[i]
        if "error" in answer:
            assert row["error_code"] == answer["error"]["code"], i
            assert (row["currency"], row["expected_subtotal"], row["expected_discount"], row["expected_tax"],
                    row["expected_total"]) == (None, None, None, None, None), i
        else:
            assert row["error_code"] is None, (i, row["error_code"])
            assert (row["currency"], row["expected_subtotal"], row["expected_discount"], row["expected_tax"],
                    row["expected_total"]) == \
                (answer["currency"], answer["amount_subtotal"], answer["amount_discount"], answer["amount_tax"],
                 answer["amount_total"]), i
            assert row["expected_discount"] == 0, i  # the generated catalog has no coupons
        assert row["match"] is case.expect_match[i], (i, row["mismatches"], case.responses[i][:200])
        assert list(row["mismatches"]) == case.expect_mismatches[i], i
        tampered_found += not row["match"]
    assert tampered_found == case.expect_match.count(False)


def test_reconcile_finds_every_tampered_row_and_no_other(spark: Any, case: Case) -> None:
    df = spark.createDataFrame(rows_of(case, at_as_date=True),
                               "id long, note string, request string, response string, at date").repartition(3)
    out = reconcile(df, catalog=case.catalog)
    assert out.columns == ["id", "note", "request", "response", "at", *OUTPUT_COLUMNS]
    assert dict(out.dtypes)["mismatches"] == "array<string>"
    assert dict(out.dtypes)["expected_total"] == "bigint"
    assert dict(out.dtypes)["expected_discount"] == "bigint"
    rows = out.collect()
    check(rows, case)
    # The workload has what the test says it has.
    assert case.expect_mismatches.count(["response"]) >= 5
    assert sum(m in (["amount_tax"], ["amount_total"], ["amount_subtotal"], ["currency"])
               for m in case.expect_mismatches) >= 30
    refused = [i for i, a in enumerate(case.cli) if "error" in a]
    assert len(refused) >= 70
    assert any(case.expect_match[i] for i in refused) and not all(case.expect_match[i] for i in refused)
    # Both sides of the rate change, from the per-row dates.
    by_id = {r["id"]: r for r in rows}
    for i, (at, tax) in case.fi_rows.items():
        assert by_id[i]["expected_tax"] == tax, (at, by_id[i])


def test_reconcile_takes_dates_as_text_and_nulls(spark: Any, case: Case) -> None:
    rows = rows_of(case, at_as_date=False)[:600]
    df = spark.createDataFrame(rows, "id long, note string, request string, response string, at string")
    out = reconcile(df, catalog=json.dumps(case.catalog))
    got = {r["id"]: r for r in out.collect()}
    for i in range(600):
        answer = case.cli[i]
        if "error" not in answer:
            assert got[i]["expected_total"] == answer["amount_total"]
        assert got[i]["match"] is case.expect_match[i]
    # A date that is not one: the row says so, the job goes on.
    bad = spark.createDataFrame([(1, "n", case.requests[0], case.responses[0], "2024-13-01"),
                                 (2, "n", case.requests[0], None, None)],
                                "id long, note string, request string, response string, at string")
    r = {x["id"]: x for x in reconcile(bad, catalog=case.catalog).collect()}
    assert (r[1]["error_code"], r[1]["match"], list(r[1]["mismatches"])) == ("invalid_date", False, ["at"])
    # A null response is a response that is not JSON; a null date is today.
    assert (r[2]["match"], list(r[2]["mismatches"])) == (False, ["response"])
    assert r[2]["expected_total"] == Engine(catalog=case.catalog).quote(case.requests[0])["amount_total"]


def test_reconcile_refuses_bad_inputs_on_the_driver(spark: Any, case: Case) -> None:
    from checkout_tax import DataError

    df = spark.createDataFrame([(1, "{}", "{}")], "id long, request string, response string")
    with pytest.raises(DataError):
        reconcile(df, catalog="{not json")
    with pytest.raises(ValueError):
        reconcile(df.drop("response"), catalog=case.catalog)
    with pytest.raises(ValueError):
        reconcile(df.withColumnRenamed("id", "match"), catalog=case.catalog)


# Discounts (v3) on the example catalog (coupons co_summer 12.5 %, co_5usd
# 5 USD off, co_ebooks 20 % of prod_ebook; promotion codes SUMMER, WINTER
# inactive). The amounts are the CLI's, hard-coded:
#   checkout-tax quote --catalog examples/catalog.json --at 2024-09-01 request.json
DISCOUNT_AT = "2024-09-01"
W_EUR = {"price_id": "price_widget_eur", "quantity": 3}
DISCOUNT_ROWS: List[Tuple[str, Dict[str, Any], Any]] = [
    # (name, request, (currency, subtotal, discount, tax, total) or the refusal's code)
    ("summer_coupon", {"mode": "payment", "buyer_country": "DE",
                       "line_items": [W_EUR, {"price_id": "price_ebook_eur", "quantity": 1}],
                       "discounts": [{"coupon": "co_summer"}]},
     # 12.5 % of 44.99 = 5.62375 -> 5.62, split 3.75 / 1.87; inclusive
     ("EUR", 4499, 562, 505, 3937)),
    ("summer_code", {"mode": "payment", "buyer_country": "US", "buyer_region": "CA",
                     "line_items": [{"price_id": "price_xxx", "quantity": 7}],
                     "discounts": [{"promotion_code": "summer"}]},
     ("USD", 6993, 874, 444, 6563)),
    ("ebooks_only", {"mode": "payment", "buyer_country": "DE",
                     "line_items": [{"price_id": "price_widget_eur", "quantity": 2},
                                    {"price_id": "price_ebook_eur", "quantity": 2}],
                     "discounts": [{"coupon": "co_ebooks"}]},
     ("EUR", 4998, 600, 476, 4398)),
    ("five_usd_off", {"mode": "payment", "buyer_country": "US", "buyer_region": "NY",
                      "line_items": [{"price_id": "price_xxx", "quantity": 2}],
                      "discounts": [{"coupon": "co_5usd"}]},
     ("USD", 1998, 500, 60, 1558)),
    ("no_discount", {"mode": "payment", "buyer_country": "DE", "line_items": [W_EUR]},
     ("EUR", 3000, 0, 479, 3000)),
    ("unknown_coupon", {"mode": "payment", "buyer_country": "DE", "line_items": [W_EUR],
                        "discounts": [{"coupon": "co_nope"}]}, "unknown_coupon"),
    ("inactive_code", {"mode": "payment", "buyer_country": "DE", "line_items": [W_EUR],
                       "discounts": [{"promotion_code": "WINTER"}]}, "inactive_promotion_code"),
    ("usd_off_in_eur", {"mode": "payment", "buyer_country": "DE",
                        "line_items": [{"price_id": "price_widget_eur", "quantity": 1}],
                        "discounts": [{"coupon": "co_5usd"}]}, "currency_mismatch"),
]


def test_output_columns_in_the_spec_order() -> None:
    assert OUTPUT_COLUMNS == ("currency", "expected_subtotal", "expected_discount", "expected_tax",
                              "expected_total", "error_code", "match", "mismatches")


def test_reconcile_reports_the_quotes_discount(spark: Any) -> None:
    catalog = json.loads((REPO / "examples" / "catalog.json").read_text())
    service = Engine(catalog=catalog)  # plays the checkout service
    rows: List[Tuple[str, str, str, str]] = []
    for name, request, expected in DISCOUNT_ROWS:
        if isinstance(expected, str):
            response: Dict[str, Any] = {"success": False, "error": {"code": expected}}
        else:
            response = {"success": True, "message": "ok", "data": {"session": service.quote(request, at=DISCOUNT_AT)}}
        rows.append((name, json.dumps(request), json.dumps(response), DISCOUNT_AT))
    quoted = service.quote(DISCOUNT_ROWS[0][1], at=DISCOUNT_AT)
    assert quoted["amount_discount"] == 562
    # The service states a discount one cent off, at the top of the session ...
    rows.append(("tampered_top", rows[0][1], json.dumps(dict(quoted, amount_discount=563)), DISCOUNT_AT))
    # ... or where Stripe puts it, or states none (not compared then).
    stripe = dict(quoted, total_details={"amount_discount": 561, "amount_tax": quoted["amount_tax"]})
    rows.append(("tampered_stripe", rows[0][1], json.dumps(stripe), DISCOUNT_AT))
    silent = {k: v for k, v in quoted.items() if k not in ("amount_discount", "line_items")}
    rows.append(("unstated", rows[0][1], json.dumps(silent), DISCOUNT_AT))
    # A discount the service did not apply: the amounts differ where they should.
    undiscounted = dict(quoted, amount_discount=0, amount_total=quoted["amount_subtotal"])
    del undiscounted["line_items"]
    rows.append(("not_applied", rows[0][1], json.dumps(undiscounted), DISCOUNT_AT))

    df = spark.createDataFrame(rows, "name string, request string, response string, at string")
    out = reconcile(df, catalog=catalog)
    assert dict(out.dtypes)["expected_discount"] == "bigint"
    got = {r["name"]: r for r in out.collect()}
    assert len(got) == len(rows)
    for name, _, expected in DISCOUNT_ROWS:
        r = got[name]
        amounts = (r["currency"], r["expected_subtotal"], r["expected_discount"], r["expected_tax"],
                   r["expected_total"])
        if isinstance(expected, str):
            assert amounts == (None, None, None, None, None), name
            assert r["error_code"] == expected, name
        else:
            assert amounts == expected, name
            assert r["error_code"] is None, name
        assert (r["match"], list(r["mismatches"])) == (True, []), name
    for name, mismatches in [("tampered_top", ["amount_discount"]),
                             ("tampered_stripe", ["total_details.amount_discount"]),
                             ("unstated", []),
                             ("not_applied", ["amount_total", "amount_discount"])]:
        r = got[name]
        assert (r["expected_discount"], r["expected_total"]) == (562, 3937), name
        assert (r["match"], list(r["mismatches"])) == (not mismatches, mismatches), name
