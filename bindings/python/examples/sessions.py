"""Deterministic checkout sessions for the examples, tests and benchmarks.

``catalog()`` is a small catalog (three tax categories, five currencies);
``sessions(n, seed)`` yields create-session requests as dicts with the date
each was created on (both sides of Finland's 24 -> 25.5 % change on
2024-09-01); ``respond(quote_or_error, rng)`` wraps an engine answer the way
a checkout service would (the ``{success, message, data: {session}}``
envelope, a bare session, or an error response); ``tamper(response, rng)``
changes one amount or the currency, as a buggy service would.
"""

from __future__ import annotations

import json
import random
from typing import Any, Dict, Iterator, List, Tuple

CURRENCIES = ["eur", "usd", "cad", "jpy", "gbp"]
CATEGORIES = ["general", "ebooks", "digital_services"]

# Where buyers are, by currency: (country, region or None).
PLACES = {
    "eur": [("FI", None), ("DE", None), ("FR", None), ("IE", None), ("NL", None)],
    "usd": [("US", "CA"), ("US", "TX"), ("US", "NY"), ("US", None)],
    "cad": [("CA", "QC"), ("CA", "ON"), ("CA", "BC")],
    "jpy": [("JP", None)],
    "gbp": [("GB", None)],
}

DATES = [
    "2024-08-25", "2024-08-28", "2024-08-31",  # FI at 24 %
    "2024-09-01", "2024-09-04", "2024-09-07",  # FI at 25.5 %
]


def catalog() -> Dict[str, Any]:
    """Products of each category, each with a price in each currency."""
    products: List[Dict[str, Any]] = []
    prices: List[Dict[str, Any]] = []
    for category in CATEGORIES:
        for n in range(4):
            pid = f"prod_{category}_{n}"
            products.append({"id": pid, "name": f"{category} {n}", "tax_category": category,
                             "default_price": f"price_{category}_{n}_usd", "active": True})
            for currency in CURRENCIES:
                base = 199 + 371 * n + 57 * CATEGORIES.index(category)
                amount = base // 10 if currency == "jpy" else base
                prices.append({"id": f"price_{category}_{n}_{currency}", "product": pid,
                               "currency": currency, "unit_amount": amount * (150 if currency == "jpy" else 1),
                               "active": True})
    return {"products": products, "prices": prices}


def request(rng: random.Random, i: int) -> Dict[str, Any]:
    """One create-session request: 1 to 5 lines in one currency."""
    currency = rng.choice(CURRENCIES)
    country, region = rng.choice(PLACES[currency])
    lines = []
    for _ in range(rng.randint(1, 5)):
        category = rng.choice(CATEGORIES)
        lines.append({"price_id": f"price_{category}_{rng.randrange(4)}_{currency}",
                      "quantity": rng.randint(1, 4)})
    req: Dict[str, Any] = {"mode": "payment", "line_items": lines, "buyer_country": country,
                           "client_reference_id": f"order_{i}"}
    if region is not None:
        req["buyer_region"] = region
    return req


def bad_request(rng: random.Random, i: int) -> Dict[str, Any]:
    """A request the engine refuses (unknown price, bad quantity or country)."""
    req = request(rng, i)
    kind = rng.randrange(3)
    if kind == 0:
        req["line_items"][0]["price_id"] = "price_missing"
    elif kind == 1:
        req["line_items"][-1]["quantity"] = 0
    else:
        req["buyer_country"] = "ZZ"
        req.pop("buyer_region", None)
    return req


def sessions(n: int, seed: int = 42, refused_every: int = 0) -> Iterator[Tuple[Dict[str, Any], str]]:
    """``n`` (request, date) pairs; every ``refused_every``-th request is
    one the engine refuses (0: none)."""
    rng = random.Random(seed)
    for i in range(n):
        at = rng.choice(DATES)
        if refused_every and i % refused_every == refused_every - 1:
            yield bad_request(rng, i), at
        else:
            yield request(rng, i), at


def respond(answer: Dict[str, Any], rng: random.Random) -> Dict[str, Any]:
    """What a service answers for an engine answer (a quote or ``{"error"}``)."""
    if "error" in answer:
        return {"success": False, "message": answer["error"]["message"],
                "error": {"code": answer["error"]["code"]}}
    session = dict(answer, id=f"cs_{rng.randrange(10**12)}")
    if rng.random() < 0.5:
        return {"success": True, "message": "session created", "data": {"session": session}}
    return session


def tamper(response: Dict[str, Any], rng: random.Random) -> Tuple[Dict[str, Any], str]:
    """A copy of ``response`` with one field wrong; returns it and the field."""
    r = json.loads(json.dumps(response))
    session = r["data"]["session"] if "data" in r else r
    field = rng.choice(["amount_tax", "amount_total", "amount_subtotal", "currency"])
    if field == "currency":
        session["currency"] = "usd" if str(session.get("currency", "")).lower() != "usd" else "eur"
    else:
        session[field] = session[field] + rng.choice([-1, 1])
    return r, field
