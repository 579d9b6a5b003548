"""Type stubs for checkout_tax (the native engine and the helpers)."""

import datetime
from typing import Any, Dict, Iterable, List, Literal, Mapping, Optional, Sequence, Tuple, TypedDict, Union

__all__ = [
    "ERROR_CODES",
    "DataError",
    "Engine",
    "Error",
    "RequestError",
    "assert_matches",
    "format_mismatches",
]

#: A create-session request or a service's response: a dict (JSON object),
#: JSON text, or its UTF-8 bytes.
JsonInput = Union[Mapping[str, Any], str, bytes, bytearray]
#: A date: ``YYYY-MM-DD`` text, a ``datetime.date``, or None for today in UTC.
DateInput = Union[str, datetime.date, None]

class ErrorBody(TypedDict):
    code: str
    message: str
    param: Optional[str]

class Refusal(TypedDict):
    error: ErrorBody

class Mismatch(TypedDict):
    field: str
    expected: Any
    actual: Any

class _ReportBase(TypedDict):
    match: bool
    mismatches: List[Mismatch]

class Report(_ReportBase, total=False):
    kind: Literal["amounts", "outcome", "error_code", "response"]
    error: ErrorBody
    quote: Dict[str, Any]

class RateRow(TypedDict):
    jurisdiction: str
    regime: str
    tax_name: str
    category: str
    rate: str
    valid_from: Optional[str]
    valid_to: Optional[str]
    source: str

class Rates(TypedDict):
    at: str
    rates: List[RateRow]

#: Every error code of the spec, in the spec's order.
ERROR_CODES: Tuple[str, ...]

class Error(Exception):
    """Base class of every error the engine raises."""

class RequestError(Error):
    """A refused request, with the spec's code and the offending field's path."""

    code: str
    param: Optional[str]
    message: str

class DataError(Error):
    """A malformed catalog, merchant or tax table."""

    code: str
    line: Optional[int]
    param: Optional[str]
    message: str

class Engine:
    """Quotes checkout sessions; immutable and safe to share between threads."""

    def __init__(
        self,
        catalog: Union[Mapping[str, Any], str, bytes, None] = None,
        merchant: Union[Mapping[str, Any], str, bytes, None] = None,
        tax_data: Union[str, bytes, None] = None,
    ) -> None: ...
    def quote(self, request: JsonInput, at: DateInput = None) -> Dict[str, Any]: ...
    def quote_json(self, request: JsonInput, at: DateInput = None) -> str: ...
    def quote_many(
        self, requests: Iterable[JsonInput], at: DateInput = None
    ) -> List[Dict[str, Any]]: ...
    def quote_many_json(self, requests: Iterable[JsonInput], at: DateInput = None) -> List[str]: ...
    def verify(self, request: JsonInput, response: JsonInput, at: DateInput = None) -> Report: ...
    def rates(self, jurisdictions: Optional[Sequence[str]] = None, at: DateInput = None) -> Rates: ...
    def reconcile_batch(
        self,
        requests: Sequence[Union[str, bytes, None]],
        responses: Sequence[Union[str, bytes, None]],
        ats: Optional[Sequence[DateInput]] = None,
    ) -> Tuple[
        List[Optional[str]],
        List[Optional[int]],
        List[Optional[int]],
        List[Optional[int]],
        List[Optional[int]],
        List[Optional[str]],
        List[bool],
        List[List[str]],
    ]: ...
    def _time_rust_quote_json(self, request: JsonInput, iterations: int, at: DateInput = None) -> float: ...

def format_mismatches(report: Mapping[str, Any]) -> str: ...
def assert_matches(
    engine: Engine, request: JsonInput, response: JsonInput, at: DateInput = None
) -> Report: ...
