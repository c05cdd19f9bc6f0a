"""revgap on Apache Spark: ``analyze(df)`` runs the exact partition merge of docs/scaling.md
over a Spark DataFrame: repartition by customer, one partial per partition on the executors
(``mapInArrow``), one merge on the driver. The executors need the ``revgap`` wheel installed
(a cluster library or ``%pip`` on Databricks, a bootstrap action on EMR) and
``PYSPARK_PYTHON`` pointing at that Python."""

from typing import Optional

from ._distributed import Result, as_of_text, column_names, partial_of
from ._native import merge


def analyze(df, kind: str = "weekly", config=None, top: int = 100,
            partitions: Optional[int] = None, columns: Optional[dict] = None,
            as_of: Optional[str] = None) -> Result:
    """The analysis of every customer in ``df`` (a weekly panel or a transaction log; column
    names as ``revgap.analyze_partition`` takes them), equal to one ``revgap analyze`` of the
    same rows. ``config`` must be one that can be partitioned (the rules, the original or
    trailing baseline); ``partitions`` defaults to Spark's shuffle partitions."""
    from pyspark.sql import functions as F

    id_column, date_column = column_names(kind, columns)
    if as_of is None:
        as_of = as_of_text(kind, df.agg(F.max(F.col(date_column))).collect()[0][0])
    by_customer = (df.repartition(partitions, id_column) if partitions
                   else df.repartition(id_column))
    options = dict(config=config, kind=kind, columns=columns, as_of=as_of)

    def partials(batches):
        import pyarrow as pa

        partial = partial_of(batches, None, **options)
        if partial is not None:
            yield pa.RecordBatch.from_pydict({"partial": [partial]},
                                             schema=pa.schema([("partial", pa.binary())]))

    rows = by_customer.mapInArrow(partials, "partial binary").collect()
    found = [bytes(row["partial"]) for row in rows]
    merged = merge(found, top=top)
    return Result(summary=merged["summary"], top=merged["top"], partitions=len(found))
