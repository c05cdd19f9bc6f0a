"""What the Spark and Dask drivers share: the result object, the as-of date every partition
ends on, and turning one partition's Arrow batches into its partial."""

import datetime
from dataclasses import dataclass, field
from typing import Any, Optional

import pyarrow as pa

from ._native import analyze_partition


@dataclass
class Result:
    """The merged analysis: ``summary`` equals ``revgap analyze --format json``'s summary and
    ``top`` its first ``top`` customers (the fields of ``revgap merge --format json``).
    ``customers`` (every customer's row) is not built yet and is ``None``."""

    summary: dict
    top: list
    customers: Any = None
    partitions: int = 0
    extra: dict = field(default_factory=dict)


def column_names(kind: str, columns: Optional[dict]) -> tuple:
    """The id and date columns of the rows, by their role."""
    columns = columns or {}
    if kind == "weekly":
        return columns.get("customer_id", "customer_id"), columns.get("week_start_date", "week_start_date")
    if kind == "transactions":
        return columns.get("customer_id", "customer_id"), columns.get("date", "date")
    raise ValueError(f'kind {kind!r}: expected "weekly" or "transactions"')


def as_of_text(kind: str, last) -> Optional[str]:
    """The as-of date every partition ends on: the last date of the rows (for a weekly panel,
    the last day of its last week), as the single-machine run reads the whole file."""
    if last is None:
        return None
    if isinstance(last, datetime.datetime):
        last = last.date()
    elif not isinstance(last, datetime.date):
        last = datetime.date.fromisoformat(str(last)[:10])
    if kind == "weekly":
        last = last + datetime.timedelta(days=6)
    return last.isoformat()


def partial_of(batches, schema, **options) -> Optional[bytes]:
    """The partial of one partition's batches; ``None`` for an empty partition."""
    batches = [b for b in batches if b.num_rows > 0]
    if not batches:
        return None
    reader = pa.RecordBatchReader.from_batches(schema or batches[0].schema, batches)
    return analyze_partition(reader, **options)
