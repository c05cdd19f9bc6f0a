"""revgap for Python: analyse partitions of the customers apart and merge them exactly.

A partition is every row of some customers, as a ``pyarrow.RecordBatchReader`` (or anything
with ``__arrow_c_stream__``): a weekly panel (``customer_id``, ``week_start_date``,
``weekly_spend``) or a transaction log (``customer_id``, ``date``, ``amount``). Each is
reduced by :func:`analyze_partition` to a partial (bytes, versioned); :func:`merge` of all
partials gives the summary ``revgap analyze --format json`` gives on all the rows, and its
top list, bit for bit. See docs/scaling.md.
"""

from ._native import PARTIAL_VERSION, analyze_partition, merge

__all__ = ["PARTIAL_VERSION", "analyze_partition", "merge"]
