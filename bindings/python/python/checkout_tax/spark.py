"""Reconciliation at scale on Spark: recompute every session of a table and
compare it with what the checkout service answered.

    from checkout_tax.spark import reconcile
    out = reconcile(df, catalog=catalog, merchant=None, tax_data=None)

``df`` has the columns ``request`` (the create-session request as JSON
text), ``response`` (the service's answer as JSON text: the ``{success,
message, data: {session}}`` envelope, a bare session, or an error response)
and, optionally, ``at`` (the day the session was created: a date, or
``YYYY-MM-DD`` text; absent or null means today in UTC). Other columns pass
through untouched. ``out`` adds:

- ``currency`` (string), ``expected_subtotal``, ``expected_discount``,
  ``expected_tax``, ``expected_total`` (long): the engine's quote (the
  discount is the quote's ``amount_discount``, 0 without a discount); null
  when the engine refuses the request;
- ``error_code`` (string): the engine's refusal, null when it quoted;
- ``match`` (boolean): the response agrees with the recomputation (for a
  refused request: the service refused it with the same code);
- ``mismatches`` (array of string): the fields that differ, as ``verify``
  names them (``amount_tax``, ``amount_discount`` when the response states
  one, ``line_items[1].amount_total``,
  ``error.code``, ``response`` when the response is not JSON, ``at`` when
  the row's date is not a date).

It runs through ``DataFrame.mapInArrow``: the catalog, merchant and tax
table are broadcast once, each Python worker builds one engine, and each
Arrow record batch is reconciled by one call into the engine with the GIL
released. Install with ``pip install 'checkout-tax[spark]'``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Mapping, Optional, Tuple, Union

from . import Engine

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa
    from pyspark.sql import DataFrame

__all__ = ["OUTPUT_COLUMNS", "reconcile", "output_schema"]

#: The columns ``reconcile`` adds, in order.
OUTPUT_COLUMNS = ("currency", "expected_subtotal", "expected_discount", "expected_tax",
                  "expected_total", "error_code", "match", "mismatches")

JsonData = Union[Mapping[str, Any], str, bytes, None]

# One engine per Python worker process and configuration: Spark reuses its
# Python workers across tasks, so a partition after the first one on a
# worker finds its engine built.
_ENGINES: Dict[str, Engine] = {}


def _as_text(value: JsonData) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, str):
        return value
    return json.dumps(value)


def output_schema(input_schema: Any) -> Any:
    """The declared schema of ``reconcile``'s output for an input schema."""
    from pyspark.sql.types import ArrayType, BooleanType, LongType, StringType, StructField, StructType

    clash = [c for c in OUTPUT_COLUMNS if c in input_schema.fieldNames()]
    if clash:
        raise ValueError(f"the input already has the output column(s) {clash}; rename them first")
    return StructType(list(input_schema.fields) + [
        StructField("currency", StringType(), True),
        StructField("expected_subtotal", LongType(), True),
        StructField("expected_discount", LongType(), True),
        StructField("expected_tax", LongType(), True),
        StructField("expected_total", LongType(), True),
        StructField("error_code", StringType(), True),
        StructField("match", BooleanType(), False),
        StructField("mismatches", ArrayType(StringType(), False), False),
    ])


def _engine(config: str) -> Engine:
    engine = _ENGINES.get(config)
    if engine is None:
        c = json.loads(config)
        engine = Engine(catalog=c["catalog"], merchant=c["merchant"], tax_data=c["tax_data"])
        _ENGINES.clear()  # a worker serves one job's configuration at a time
        _ENGINES[config] = engine
    return engine


def _text_column(column: "pa.Array") -> Tuple[str, int, List[Any]]:
    """A string or binary column as the native reader takes it: ``(kind,
    offset, buffers)``; other types are cast to text first."""
    import pyarrow as pa

    t = column.type
    if pa.types.is_large_string(t) or pa.types.is_large_binary(t):
        return ("text64", column.offset, column.buffers())
    if not (pa.types.is_string(t) or pa.types.is_binary(t)):
        column = column.cast(pa.string())
    return ("text32", column.offset, column.buffers())


def _date_column(column: "pa.Array") -> Tuple[str, int, List[Any]]:
    """The ``at`` column for the native reader: date32 as days, text as
    text, a timestamp as its date; binary values are never a date (as
    before the Arrow path), other types are cast to text."""
    import pyarrow as pa

    t = column.type
    if pa.types.is_timestamp(t):
        column = column.cast(pa.date32())
    if pa.types.is_date32(column.type):
        return ("date32", column.offset, column.buffers())
    if pa.types.is_binary(t) or pa.types.is_large_binary(t):
        return ("opaque", column.offset, column.buffers())
    return _text_column(column)


def reconcile_batch(engine: Engine, batch: "pa.RecordBatch", schema: "pa.Schema") -> "pa.RecordBatch":
    """One Arrow record batch reconciled: its columns and the eight
    output columns, in ``schema`` (the output schema in Arrow types). The
    columns go to the engine as their Arrow buffers and come back as
    buffers: no Python object per row."""
    import pyarrow as pa

    from ._native import reconcile_arrow

    names = batch.schema.names
    n = batch.num_rows
    at = _date_column(batch.column(names.index("at"))) if "at" in names else None
    out = reconcile_arrow(engine, n, _text_column(batch.column(names.index("request"))),
                          _text_column(batch.column(names.index("response"))), at)

    def strings(parts: Tuple[bytes, bytes, bytes, int], length: int, t: "pa.DataType") -> "pa.Array":
        valid, offsets, data, nulls = parts
        return pa.Array.from_buffers(t, length, [pa.py_buffer(valid) if nulls else None,
                                                 pa.py_buffer(offsets), pa.py_buffer(data)], null_count=nulls)

    k = len(names)
    types = [schema.field(k + i).type for i in range(len(OUTPUT_COLUMNS))]
    quoted = pa.py_buffer(out["quoted"]) if out["unquoted"] else None
    amounts = [pa.Array.from_buffers(types[1 + i], n, [quoted, pa.py_buffer(out[name])], null_count=out["unquoted"])
               for i, name in enumerate(OUTPUT_COLUMNS[1:5])]
    fields = out["mismatch_fields"]
    items = strings(fields, (len(fields[1]) // 4) - 1, types[7].value_type)
    arrays = list(batch.columns) + [
        strings(out["currency"], n, types[0]),
        *amounts,
        strings(out["error_code"], n, types[5]),
        pa.Array.from_buffers(types[6], n, [None, pa.py_buffer(out["match"])], null_count=0),
        pa.Array.from_buffers(types[7], n, [None, pa.py_buffer(out["mismatch_offsets"])], null_count=0,
                              children=[items]),
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _arrow_schema(spark_schema: Any) -> "pa.Schema":
    import pyarrow as pa
    from pyspark.sql.pandas.types import to_arrow_type

    return pa.schema([pa.field(f.name, to_arrow_type(f.dataType), f.nullable) for f in spark_schema.fields])


def reconcile(
    df: "DataFrame",
    catalog: JsonData = None,
    merchant: JsonData = None,
    tax_data: Union[str, bytes, None] = None,
) -> "DataFrame":
    """``df`` with the reconciliation columns added (see the module's doc).

    Raises ``checkout_tax.DataError`` at once, on the driver, if the
    catalog, merchant or tax table is malformed, and ``ValueError`` if
    ``df`` lacks ``request`` or ``response``.
    """
    missing = [c for c in ("request", "response") if c not in df.columns]
    if missing:
        raise ValueError(f"reconcile needs the column(s) {missing}")
    config = json.dumps({"catalog": _as_text(catalog), "merchant": _as_text(merchant),
                         "tax_data": tax_data.decode("utf-8") if isinstance(tax_data, bytes) else tax_data})
    _engine(config)  # a bad catalog, merchant or table fails here, not in a task
    schema = output_schema(df.schema)
    arrow_fields = [(f.name, f.nullable) for f in schema.fields]

    try:
        handle: Any = df.sparkSession.sparkContext.broadcast(config)
    except Exception:  # Spark Connect has no broadcast: ship the text with the function
        handle = None

    n_in = len(df.columns)

    def run(batches: Iterator["pa.RecordBatch"]) -> Iterator["pa.RecordBatch"]:
        import pyarrow as pa

        engine = _engine(handle.value if handle is not None else config)
        out_schema: Optional[pa.Schema] = None
        for batch in batches:
            if out_schema is None:
                # The input columns keep the Arrow types Spark sent; the
                # added ones get Spark's own types for the declared schema.
                added = _arrow_schema(schema).remove_metadata()
                fields = list(batch.schema) + [added.field(i) for i in range(n_in, len(arrow_fields))]
                out_schema = pa.schema(fields)
            yield reconcile_batch(engine, batch, out_schema)

    return df.mapInArrow(run, schema)
