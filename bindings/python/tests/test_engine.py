"""The package against the spec and the CLI: golden cases, every error code,
large ints, dates, verify, quote_many, data errors, rates."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest

import checkout_tax
from checkout_tax import DataError, Engine, Error, RequestError

from conftest import FIXTURES, GOLDEN, Cli

AT = "2025-06-01"
MOR = {"merchant_type": "merchant_of_record"}
DIRECT = {"merchant_type": "direct"}

# The spec's request-level error codes (tests/common/mod.rs keeps the same
# list for the Rust tests), then the ones raised for dates and data.
SPEC_CODES = [
    "invalid_request", "unknown_field", "invalid_mode", "invalid_presentation",
    "missing_line_items", "line_items_not_allowed", "invalid_line_item", "invalid_quantity",
    "unknown_price", "unknown_product", "inactive_price", "inactive_product", "no_default_price",
    "ad_hoc_not_allowed", "missing_ad_hoc_currency", "invalid_amount", "invalid_currency",
    "currency_mismatch", "recurring_price_required", "recurring_price_not_allowed",
    "mixed_intervals", "invalid_country", "invalid_region", "amount_too_large", "invalid_email",
    "invalid_url", "limit_exceeded",
]

W = '{"price_id": "price_xxx", "quantity": 1}'

# (merchant, request text, code, param): at least one per code, on the
# fixture catalog and table.
REFUSALS: List[Tuple[Dict[str, str], str, str, Optional[str]]] = [
    (MOR, '{]', "invalid_request", None),
    (MOR, '{"mode": 5, "line_items": []}', "invalid_request", "mode"),
    (MOR, '{"mode": "payment", "line_items": {}}', "invalid_request", "line_items"),
    (MOR, f'{{"mode": "payment", "line_items": [{W}], "buyer_contry": "US"}}', "unknown_field", "buyer_contry"),
    (MOR, '{"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantitiy": 1}]}', "unknown_field", "line_items[0].quantitiy"),
    (MOR, f'{{"mode": "Payment", "line_items": [{W}]}}', "invalid_mode", "mode"),
    (MOR, f'{{"line_items": [{W}]}}', "invalid_mode", "mode"),
    (MOR, f'{{"mode": "payment", "presentation": "popup", "line_items": [{W}]}}', "invalid_presentation", "presentation"),
    (MOR, '{"mode": "payment", "line_items": []}', "missing_line_items", "line_items"),
    (MOR, '{"mode": "subscription"}', "missing_line_items", "line_items"),
    (MOR, f'{{"mode": "setup", "line_items": [{W}]}}', "line_items_not_allowed", "line_items"),
    (MOR, f'{{"mode": "payment", "line_items": [{W}, {{"quantity": 1}}]}}', "invalid_line_item", "line_items[1]"),
    (MOR, f'{{"mode": "payment", "line_items": [{W}, {{"price_id": "price_xxx"}}]}}', "invalid_quantity", "line_items[1].quantity"),
    (MOR, '{"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantity": 1000000}]}', "invalid_quantity", "line_items[0].quantity"),
    (MOR, f'{{"mode": "payment", "line_items": [{W}, {{"price_id": "price_nope", "quantity": 1}}]}}', "unknown_price", "line_items[1].price_id"),
    (MOR, '{"mode": "payment", "line_items": [{"product_id": "prod_nope", "quantity": 1}]}', "unknown_product", "line_items[0].product_id"),
    (MOR, '{"mode": "payment", "line_items": [{"price_id": "price_widget_old", "quantity": 1}]}', "inactive_price", "line_items[0].price_id"),
    (MOR, '{"mode": "subscription", "line_items": [{"product_id": "prod_legacy", "quantity": 1}]}', "inactive_product", "line_items[0].product_id"),
    (MOR, '{"mode": "payment", "line_items": [{"product_id": "prod_no_default", "quantity": 1}]}', "no_default_price", "line_items[0].product_id"),
    (MOR, f'{{"mode": "payment", "line_items": [{W}, {{"ad_hoc_amount": 500, "ad_hoc_currency": "usd", "quantity": 1}}]}}', "ad_hoc_not_allowed", "line_items[1].ad_hoc_amount"),
    (DIRECT, '{"mode": "payment", "line_items": [{"ad_hoc_amount": 500, "quantity": 1}]}', "missing_ad_hoc_currency", "line_items[0].ad_hoc_currency"),
    (DIRECT, '{"mode": "payment", "line_items": [{"ad_hoc_amount": -5, "ad_hoc_currency": "usd", "quantity": 1}]}', "invalid_amount", "line_items[0].ad_hoc_amount"),
    (DIRECT, '{"mode": "payment", "line_items": [{"ad_hoc_amount": 9223372036854775808, "ad_hoc_currency": "usd", "quantity": 1}]}', "invalid_amount", "line_items[0].ad_hoc_amount"),
    (DIRECT, '{"mode": "payment", "line_items": [{"ad_hoc_amount": 100, "ad_hoc_currency": "XAU", "quantity": 1}]}', "invalid_currency", "line_items[0].ad_hoc_currency"),
    (MOR, f'{{"mode": "payment", "line_items": [{W}, {{"price_id": "price_widget_eur", "quantity": 1}}]}}', "currency_mismatch", "line_items[1].price_id"),
    (MOR, '{"mode": "subscription", "line_items": [{"price_id": "price_pro_monthly", "quantity": 1}, {"price_id": "price_xxx", "quantity": 1}]}', "recurring_price_required", "line_items[1].price_id"),
    (MOR, f'{{"mode": "payment", "line_items": [{W}, {{"price_id": "price_pro_monthly", "quantity": 1}}]}}', "recurring_price_not_allowed", "line_items[1].price_id"),
    (MOR, '{"mode": "subscription", "line_items": [{"price_id": "price_pro_monthly", "quantity": 1}, {"price_id": "price_pro_yearly", "quantity": 1}]}', "mixed_intervals", "line_items[1].price_id"),
    (MOR, f'{{"mode": "payment", "line_items": [{W}], "buyer_country": "ZZ"}}', "invalid_country", "buyer_country"),
    (MOR, f'{{"mode": "payment", "line_items": [{W}], "buyer_country": "US", "buyer_region": "CA-QC"}}', "invalid_region", "buyer_region"),
    (MOR, f'{{"mode": "payment", "line_items": [{W}, {{"price_id": "price_near_max", "quantity": 2}}]}}', "amount_too_large", "line_items[1]"),
    (MOR, f'{{"mode": "payment", "line_items": [{W}], "customer_email": "buyer@"}}', "invalid_email", "customer_email"),
    (MOR, f'{{"mode": "payment", "line_items": [{W}], "success_url": "yoursite.com/success"}}', "invalid_url", "success_url"),
    (MOR, f'{{"mode": "payment", "line_items": [{W}], "client_reference_id": "{"o" * 201}"}}', "limit_exceeded", "client_reference_id"),
]


@pytest.fixture(scope="module")
def engines(fixture_catalog: str, fixture_table: str) -> Dict[str, Engine]:
    return {
        "merchant_of_record": Engine(catalog=fixture_catalog, merchant=MOR, tax_data=fixture_table),
        "direct": Engine(catalog=fixture_catalog, merchant=DIRECT, tax_data=fixture_table),
    }


def answer(engine: Engine, request: Any, at: Any = AT) -> Dict[str, Any]:
    """The quote dict, or the error object, as the CLI prints them."""
    try:
        return engine.quote(request, at=at)
    except RequestError as e:
        return {"error": {"code": e.code, "message": e.message, "param": e.param}}


# --- golden cases ----------------------------------------------------------

def golden_cases() -> List[Path]:
    cases = sorted(GOLDEN.glob("*.json"))
    assert len(cases) >= 20, "golden cases went missing"
    return cases


def golden_engine(case: Dict[str, Any]) -> Tuple[Engine, Dict[str, Any]]:
    merchant: Dict[str, Any] = {"merchant_type": case["merchant_type"]}
    for k in ("tax_registrations", "rounding_level", "rounding_mode"):
        if k in case:
            merchant[k] = case[k]
    catalog = case.get("catalog") or json.loads((FIXTURES / "catalog.json").read_text())
    table = case.get("tax_data") or (FIXTURES / "tax_rates.csv").read_text()
    engine_args = {"catalog": catalog, "merchant": merchant, "tax_data": table}
    return Engine(**engine_args), engine_args


@pytest.mark.parametrize("path", golden_cases(), ids=lambda p: p.stem)
def test_golden_case(path: Path, cli: Cli) -> None:
    case = json.loads(path.read_text())
    engine, args = golden_engine(case)
    expected = case["expected"]
    text = json.dumps(case["request"])
    if "error" in expected:
        with pytest.raises(RequestError) as info:
            engine.quote(case["request"], at=case["at"])
        assert (info.value.code, info.value.param) == (expected["error"], expected.get("param"))
        with pytest.raises(RequestError):
            engine.quote_json(text, at=case["at"])
    else:
        q = engine.quote(case["request"], at=case["at"])
        got = {k: q[k] for k in ("amount_subtotal", "amount_tax", "amount_total")}
        assert got == {k: expected[k] for k in got}
        if "currency" in expected:
            assert q["currency"] == expected["currency"]
        if "tax_status" in expected:
            assert q["tax_status"] == expected["tax_status"]
        for line, exp in zip(q["line_items"], expected.get("line_items", [])):
            assert [line[k] for k in ("amount_subtotal", "amount_tax", "amount_total")] == \
                [exp[k] for k in ("amount_subtotal", "amount_tax", "amount_total")]
            if "taxes" in exp:
                assert [(t["name"], t["rate"], t["amount"]) for t in line["taxes"]] == \
                    [(t["name"], t["rate"], t["amount"]) for t in exp["taxes"]]
        # Dict out, JSON text out and the text's bytes in: one value.
        assert json.loads(engine.quote_json(text, at=case["at"])) == q
        assert engine.quote(text.encode(), at=case["at"]) == q
    # And the CLI's answer on the same bytes, refusal or quote.
    assert answer(engine, text.encode(), case["at"]) == cli.quote(text.encode(), at=case["at"], **args)


# --- every error code ------------------------------------------------------

@pytest.mark.parametrize("merchant,request_text,code,param", REFUSALS,
                         ids=[f"{i}-{r[2]}" for i, r in enumerate(REFUSALS)])
def test_refusal_code_and_param(engines: Dict[str, Engine], merchant: Dict[str, str],
                                request_text: str, code: str, param: Optional[str]) -> None:
    engine = engines[merchant["merchant_type"]]
    for form in (request_text, request_text.encode()):
        with pytest.raises(RequestError) as info:
            engine.quote(form, at=AT)
        assert (info.value.code, info.value.param) == (code, param)
        assert isinstance(info.value, Error) and info.value.message
        with pytest.raises(RequestError) as info2:
            engine.quote_json(form, at=AT)
        assert (info2.value.code, info2.value.param, info2.value.message) == \
            (code, param, info.value.message)


def test_refusals_are_the_clis(engines: Dict[str, Engine], cli: Cli, fixture_table: str) -> None:
    for merchant_type in ("merchant_of_record", "direct"):
        cases = [r for r in REFUSALS if r[0]["merchant_type"] == merchant_type]
        lines = [r[1].encode() for r in cases]
        expected = cli.batch(lines, catalog=FIXTURES / "catalog.json",
                             merchant={"merchant_type": merchant_type},
                             tax_data=fixture_table, at=AT)
        got = engines[merchant_type].quote_many(lines, at=AT)
        assert got == expected
        assert [g["error"]["code"] for g in got] == [r[2] for r in cases]


def test_every_code_of_the_spec_is_exercised() -> None:
    assert list(checkout_tax.ERROR_CODES[: len(SPEC_CODES)]) == SPEC_CODES
    covered = {r[2] for r in REFUSALS}
    assert covered == set(SPEC_CODES)
    # The rest: invalid_date (below), invalid_tax_data and
    # invalid_configuration (DataError, below) and `internal`, which is a
    # bug by definition and has no input that produces it.
    assert set(checkout_tax.ERROR_CODES) - covered == {
        "invalid_date", "invalid_tax_data", "invalid_configuration", "internal"} | set(LATER_CODES)


# Codes of spec v2 and v3 beyond the spec's first list, each reached below
# with its param.
LATER_CODES = [
    "date_not_covered", "invalid_catalog", "invalid_discount", "unknown_coupon",
    "inactive_coupon", "unknown_promotion_code", "inactive_promotion_code",
    "coupon_not_applicable",
]


def test_later_codes_are_reached_with_their_params() -> None:
    # date_not_covered: before the embedded table's first covered date.
    embedded = Engine(catalog={"products": [{"id": "prod_a", "default_price": "price_a"}],
                               "prices": [{"id": "price_a", "product": "prod_a",
                                           "currency": "eur", "unit_amount": 1000}]})
    with pytest.raises(RequestError) as info:
        embedded.quote({"mode": "payment", "line_items": [{"price_id": "price_a", "quantity": 1}],
                        "buyer_country": "DE"}, at="2023-06-01")
    assert (info.value.code, info.value.param) == ("date_not_covered", "at")
    # invalid_catalog: the catalog is checked at load, the entry's path as param.
    with pytest.raises(DataError) as data_error:
        Engine(catalog={"products": [], "prices": [{"id": "p", "currency": "xau", "unit_amount": 1}]})
    assert (data_error.value.code, data_error.value.param) == ("invalid_catalog", "prices[0].currency")
    # Discounts (spec v3).
    engine = Engine(merchant={"merchant_type": "direct"}, catalog={
        "products": [{"id": "prod_a", "default_price": "price_a"}, {"id": "prod_b"}],
        "prices": [{"id": "price_a", "product": "prod_a", "currency": "usd", "unit_amount": 1000}],
        "coupons": [{"id": "co_ok", "percent_off": 10},
                    {"id": "co_off", "percent_off": 10, "active": False},
                    {"id": "co_b", "percent_off": 10, "applies_to": {"products": ["prod_b"]}}],
        "promotion_codes": [{"code": "OLD", "coupon": "co_ok", "active": False}],
    })
    for discounts, code, param in [
        ([{"coupon": "co_ok"}, {"coupon": "co_ok"}], "invalid_discount", "discounts"),
        ([{"coupon": "co_nope"}], "unknown_coupon", "discounts[0].coupon"),
        ([{"coupon": "co_off"}], "inactive_coupon", "discounts[0].coupon"),
        ([{"promotion_code": "NOPE"}], "unknown_promotion_code", "discounts[0].promotion_code"),
        ([{"promotion_code": "old"}], "inactive_promotion_code", "discounts[0].promotion_code"),
        ([{"coupon": "co_b"}], "coupon_not_applicable", "discounts[0]"),
    ]:
        with pytest.raises(RequestError) as info:
            engine.quote({"mode": "payment", "line_items": [{"price_id": "price_a", "quantity": 1}],
                          "discounts": discounts}, at=AT)
        assert (info.value.code, info.value.param) == (code, param), discounts


def test_quote_many_reports_refusals_in_place(engines: Dict[str, Engine]) -> None:
    engine = engines["merchant_of_record"]
    ok = {"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantity": 2}],
          "buyer_country": "US", "buyer_region": "CA"}
    out = engine.quote_many([ok, b"{]", json.dumps(ok), {"mode": "payment", "line_items": [{"price_id": {1, 2}}]}],
                            at=AT)
    assert out[0] == out[2] == engine.quote(ok, at=AT)
    assert out[0]["amount_total"] == 2158  # 1998 + 8 % (US-CA in the fixture table)
    assert out[1]["error"]["code"] == "invalid_request" and out[1]["error"]["param"] is None
    # A value with no JSON form is refused with its path.
    assert out[3] == {"error": {"code": "invalid_request",
                                "message": "a value of type `set` has no JSON form",
                                "param": "line_items[0].price_id"}}
    # Any iterable, and an empty one.
    assert engine.quote_many((r for r in [ok]), at=AT) == [out[0]]
    assert engine.quote_many([], at=AT) == []


def test_quote_many_is_the_clis_on_generated_sessions(cli: Cli) -> None:
    # Dicts are copied from per-shape templates that keep the first
    # answer's values: thousands of varied answers (currencies, regimes,
    # one or two tax components, refusals) must still be the CLI's.
    import sessions
    catalog = sessions.catalog()
    engine = Engine(catalog=catalog)
    lines = [json.dumps(r).encode() for r, _ in sessions.sessions(3000, seed=7, refused_every=9)]
    expected = cli.batch(lines, catalog=catalog, at=AT)
    assert engine.quote_many(lines, at=AT) == expected
    assert [json.loads(t) for t in engine.quote_many_json(lines, at=AT)] == expected


def test_quote_many_answers_share_nothing_mutable(engines: Dict[str, Engine]) -> None:
    engine = engines["merchant_of_record"]
    ok = {"mode": "payment", "line_items": [{"price_id": "price_xxx", "quantity": 2}],
          "buyer_country": "US", "buyer_region": "CA"}
    first, second = engine.quote_many([ok, ok], at=AT)
    assert first == second and first is not second
    expected = json.loads(json.dumps(first))
    first["currency"] = "changed"
    first["line_items"][0]["taxes"][0]["rate"] = "changed"
    first["line_items"].append("changed")
    first["discounts"].append("changed")
    assert second == expected
    assert engine.quote_many([ok], at=AT) == [expected]
    assert engine.quote(ok, at=AT) == expected


# --- ints ------------------------------------------------------------------

def test_large_ints_keep_full_precision(engines: Dict[str, Engine]) -> None:
    engine = engines["direct"]
    big = 2**63 - 1  # past 2**53: a float would lose it
    q = engine.quote({"mode": "payment", "line_items": [
        {"ad_hoc_amount": big, "ad_hoc_currency": "usd", "quantity": 1}]}, at=AT)
    assert q["amount_total"] == big and type(q["amount_total"]) is int
    assert q["tax_status"] == "requires_location"
    assert json.loads(engine.quote_json(json.dumps({"mode": "payment", "line_items": [
        {"ad_hoc_amount": big, "ad_hoc_currency": "usd", "quantity": 1}]}), at=AT))["amount_total"] == big
    # 2**53 + 1 through a tax computation: exact to the unit.
    q = engine.quote({"mode": "payment", "buyer_country": "DE", "line_items": [
        {"ad_hoc_amount": 2**53 + 1, "ad_hoc_currency": "eur", "quantity": 1}]}, at=AT)
    assert q["amount_total"] == 2**53 + 1
    assert q["amount_tax"] == (2**53 + 1) * 19 // 119 + (1 if ((2**53 + 1) * 19 % 119) * 2 >= 119 else 0)
    # Ints past int64 in a dict are written digit for digit and refused by
    # the engine, as their text is.
    for amount in (2**63, 2**100, -(2**70)):
        with pytest.raises(RequestError) as info:
            engine.quote({"mode": "payment", "line_items": [
                {"ad_hoc_amount": amount, "ad_hoc_currency": "usd", "quantity": 1}]}, at=AT)
        assert (info.value.code, info.value.param) == ("invalid_amount", "line_items[0].ad_hoc_amount")
    with pytest.raises(RequestError) as info:
        engine.quote({"mode": "payment", "line_items": [
            {"ad_hoc_amount": 1, "ad_hoc_currency": "usd", "quantity": 2**64}]}, at=AT)
    assert (info.value.code, info.value.param) == ("invalid_quantity", "line_items[0].quantity")
    # bool is not an int here: it is JSON `true`, a value of the wrong type.
    with pytest.raises(RequestError) as info:
        engine.quote({"mode": "payment", "line_items": [
            {"ad_hoc_amount": True, "ad_hoc_currency": "usd", "quantity": 1}]}, at=AT)
    assert (info.value.code, info.value.param) == ("invalid_request", "line_items[0].ad_hoc_amount")


# --- dates -----------------------------------------------------------------

FI_BOOK = {"mode": "payment", "buyer_country": "FI",
           "line_items": [{"price_id": "price_widget_eur", "quantity": 1}]}


def test_at_takes_text_date_and_datetime(engines: Dict[str, Engine]) -> None:
    engine = engines["merchant_of_record"]
    before = engine.quote(FI_BOOK, at=datetime.date(2024, 8, 31))
    after = engine.quote(FI_BOOK, at=datetime.date(2024, 9, 1))
    # 1000 incl. 24 %: 1000 * 24 / 124 = 193.5 -> 194; at 25.5 %: 203.2 -> 203.
    assert before["line_items"][0]["taxes"][0]["rate"] == "24"
    assert after["line_items"][0]["taxes"][0]["rate"] == "25.5"
    assert (before["amount_tax"], after["amount_tax"]) == (194, 203)
    assert engine.quote(FI_BOOK, at="2024-08-31") == before
    assert engine.quote(FI_BOOK, at=datetime.datetime(2024, 9, 1, 23, 59)) == after
    assert engine.quote_json(FI_BOOK, at=datetime.date(2024, 9, 1)) == engine.quote_json(FI_BOOK, at="2024-09-01")
    # Default: today in UTC.
    today = datetime.datetime.now(datetime.timezone.utc).date()
    assert engine.quote(FI_BOOK) == engine.quote(FI_BOOK, at=today)


@pytest.mark.parametrize("bad", ["2024-9-1", "2024-02-30", "yesterday", "", 20240901, 1.5])
def test_a_bad_at_is_invalid_date(engines: Dict[str, Engine], bad: Any) -> None:
    engine = engines["merchant_of_record"]
    for call in (lambda: engine.quote(FI_BOOK, at=bad), lambda: engine.quote_json(FI_BOOK, at=bad),
                 lambda: engine.quote_many([FI_BOOK], at=bad), lambda: engine.verify(FI_BOOK, {}, at=bad),
                 lambda: engine.rates(["FI"], at=bad)):
        with pytest.raises(RequestError) as info:
            call()
        assert (info.value.code, info.value.param) == ("invalid_date", "at")


# --- verify ----------------------------------------------------------------

US_CA = {"mode": "payment", "buyer_country": "US", "buyer_region": "CA",
         "line_items": [{"price_id": "price_xxx", "quantity": 1}, {"price_id": "price_course_usd", "quantity": 2}]}


def test_verify_takes_both_response_shapes(engines: Dict[str, Engine], cli: Cli, fixture_table: str) -> None:
    engine = engines["merchant_of_record"]
    q = engine.quote(US_CA, at=AT)
    session = dict(q, id="cs_1", currency=q["currency"].lower())
    envelope = {"success": True, "message": "session created", "data": {"session": session}}
    for response in (session, envelope, {"session": session}, json.dumps(envelope), json.dumps(session).encode()):
        report = engine.verify(US_CA, response, at=AT)
        assert report == {"match": True, "mismatches": [], "quote": q}
    # One wrong amount, in either shape, is named with both values.
    bad = dict(session, amount_tax=session["amount_tax"] - 1)
    for response in (bad, {"success": True, "message": "ok", "data": {"session": bad}}):
        report = engine.verify(US_CA, response, at=AT)
        assert report["match"] is False and report["kind"] == "amounts"
        assert report["mismatches"] == [{"field": "amount_tax", "expected": q["amount_tax"],
                                         "actual": q["amount_tax"] - 1}]
        # The CLI's report (it prints the report without the quote).
        cli_out = cli.run("verify", *cli.args(catalog=FIXTURES / "catalog.json", merchant=MOR,
                                               tax_data=fixture_table, at=AT),
                          cli.file(US_CA), cli.file(response))
        assert cli_out.returncode == 1
        assert {k: v for k, v in report.items() if k != "quote"} == json.loads(cli_out.stdout)


def test_verify_reports_line_amounts_refusals_and_malformed_responses(engines: Dict[str, Engine]) -> None:
    engine = engines["merchant_of_record"]
    q = engine.quote(US_CA, at=AT)
    lines = [dict(l) for l in q["line_items"]]
    lines[1]["amount_tax"] += 1
    report = engine.verify(US_CA, dict(q, line_items=lines), at=AT)
    assert [m["field"] for m in report["mismatches"]] == ["line_items[1].amount_tax"]
    # The engine refuses; the service refused with the same code: a match.
    bad = {"mode": "payment", "line_items": [{"price_id": "price_nope", "quantity": 1}]}
    same = engine.verify(bad, {"error": {"code": "unknown_price", "message": "no such price"}}, at=AT)
    assert same["match"] is True and same["error"]["code"] == "unknown_price" and "quote" not in same
    other = engine.verify(bad, {"success": False, "error": {"code": "invalid_request"}}, at=AT)
    assert other["match"] is False and other["kind"] == "error_code"
    assert other["mismatches"] == [{"field": "error.code", "expected": "unknown_price", "actual": "invalid_request"}]
    quoted = engine.verify(bad, q, at=AT)
    assert quoted["kind"] == "outcome" and quoted["error"]["param"] == "line_items[0].price_id"
    # A response that is not JSON is a mismatch naming `response`, not an exception.
    for junk in (b"{\"amount_tax\": ", b"\xff\xfe", "", "null garbage"):
        r = engine.verify(US_CA, junk, at=AT)
        assert r["match"] is False and r["kind"] == "response"
        assert [m["field"] for m in r["mismatches"]] == ["response"]
        assert r["quote"] == q


def test_assert_matches_lists_every_mismatch(engines: Dict[str, Engine]) -> None:
    engine = engines["merchant_of_record"]
    q = engine.quote(US_CA, at=AT)
    assert checkout_tax.assert_matches(engine, US_CA, q, at=AT)["match"]
    assert engine.verify(US_CA, q, at=AT)["match"]
    wrong = dict(q, amount_tax=q["amount_tax"] + 1, currency="EUR")
    with pytest.raises(AssertionError) as info:
        checkout_tax.assert_matches(engine, US_CA, wrong, at=AT)
    text = str(info.value)
    assert "currency: expected 'USD', got 'EUR'" in text
    assert f"amount_tax: expected {q['amount_tax']}, got {q['amount_tax'] + 1}" in text


def test_reconcile_batch_gives_the_quotes_discount() -> None:
    """The batch entry point of the Spark job, without Spark: the columns
    in order, the discount from the quote (hard-coded from the CLI's
    `quote --catalog examples/catalog.json --at 2024-09-01`), 0 without a
    discount, None when refused, and a stated discount compared."""
    from conftest import REPO

    engine = Engine(catalog=(REPO / "examples" / "catalog.json").read_text())
    line = {"price_id": "price_widget_eur", "quantity": 3}
    coupon = {"mode": "payment", "buyer_country": "DE", "discounts": [{"coupon": "co_summer"}],
              "line_items": [line, {"price_id": "price_ebook_eur", "quantity": 1}]}
    plain = {"mode": "payment", "buyer_country": "DE", "line_items": [line]}
    refused = dict(plain, discounts=[{"coupon": "co_nope"}])
    q = engine.quote(coupon, at="2024-09-01")
    requests = [json.dumps(r) for r in (coupon, plain, refused, coupon)]
    responses = [json.dumps(q), engine.quote_json(plain, at="2024-09-01"),
                 json.dumps({"error": {"code": "unknown_coupon"}}), json.dumps(dict(q, amount_discount=0))]
    cols = engine.reconcile_batch(requests, responses, ["2024-09-01"] * 4)
    assert len(cols) == 8
    currency, subtotal, discount, tax, total, code, match, mismatches = cols
    assert currency == ["EUR", "EUR", None, "EUR"]
    assert subtotal == [4499, 3000, None, 4499]
    assert discount == [562, 0, None, 562]
    assert tax == [505, 479, None, 505]
    assert total == [3937, 3000, None, 3937]
    assert code == [None, None, "unknown_coupon", None]
    assert match == [True, True, True, False]
    assert mismatches == [[], [], [], ["amount_discount"]]


# --- data errors -----------------------------------------------------------

def test_bad_tax_data_names_its_line(cli: Cli) -> None:
    bad = (FIXTURES / "tax_rates_bad.csv").read_text()
    with pytest.raises(DataError) as info:
        Engine(tax_data=bad)
    assert isinstance(info.value, Error) and not isinstance(info.value, RequestError)
    assert info.value.code == "invalid_tax_data"
    assert info.value.line == 3
    assert "line 3" in str(info.value)
    # The CLI names the same line.
    out = cli.run("rates", "--tax-data", str(FIXTURES / "tax_rates_bad.csv"))
    assert out.returncode == 2 and "line 3:" in out.stderr.decode()
    good = (FIXTURES / "tax_rates.csv").read_text().splitlines()
    for n in (5, 12):
        lines = list(good)
        lines[n - 1] = lines[n - 1].replace(",", ";", 1)
        with pytest.raises(DataError) as info:
            Engine(tax_data="\n".join(lines) + "\n")
        assert info.value.line == n, str(info.value)


def test_bad_catalog_and_merchant_are_data_errors() -> None:
    # A bad catalog is invalid_catalog (spec v2), naming the entry.
    with pytest.raises(DataError) as info:
        Engine(catalog="{not json")
    assert info.value.code == "invalid_catalog" and info.value.line is None
    assert str(info.value).startswith("catalog: ")
    with pytest.raises(DataError) as info:
        Engine(catalog={"products": [], "prices": [{"id": 5}]})
    assert info.value.code == "invalid_catalog"
    assert info.value.param == "prices[0].id"
    with pytest.raises(DataError) as info:
        Engine(merchant={"merchant_type": "reseller"})
    assert str(info.value).startswith("merchant: ")
    with pytest.raises(DataError) as info:
        Engine(merchant={"merchant_type": "direct", "rounding_mode": object()})
    assert "rounding_mode" in str(info.value)
    with pytest.raises(TypeError):
        Engine(tax_data={"not": "csv"})  # type: ignore[arg-type]


# --- rates -----------------------------------------------------------------

def test_rates_are_the_clis(cli: Cli, fixture_table: str) -> None:
    engine = Engine(tax_data=fixture_table)
    for at, wanted in (("2024-08-31", ["FI"]), ("2024-09-01", ["FI", "US-CA"]), ("2025-06-01", ["CA"])):
        out = cli.run("rates", "--tax-data", str(FIXTURES / "tax_rates.csv"), "--at", at, "--format", "json", *wanted)
        assert out.returncode == 0
        assert engine.rates(wanted, at=at) == json.loads(out.stdout)
    fi = engine.rates(["FI"], at=datetime.date(2024, 9, 1))["rates"]
    assert [r["rate"] for r in fi if r["category"] == "*"] == ["25.5"]
    everything = engine.rates(at=AT)["rates"]
    assert len(everything) > len(fi)
    with pytest.raises(RequestError) as info:
        engine.rates(["FI", "nowhere"], at=AT)
    assert (info.value.code, info.value.param) == ("invalid_request", "jurisdictions[1]")
