"""revgap on Dask: ``analyze(ddf)`` shuffles a Dask DataFrame by customer (no customer split
across partitions), makes one partial per partition on the workers and merges them on the
client, equal to one ``revgap analyze`` of the same rows."""

from typing import Optional

from ._distributed import Result, as_of_text, column_names, partial_of
from ._native import merge


def analyze(ddf, kind: str = "weekly", config=None, top: int = 100,
            partitions: Optional[int] = None, columns: Optional[dict] = None,
            as_of: Optional[str] = None) -> Result:
    """See ``revgap.spark.analyze``; ``partitions`` defaults to the frame's own count."""
    import pandas as pd

    id_column, date_column = column_names(kind, columns)
    if as_of is None:
        import dask.dataframe as dd

        # Dates read from Parquet are Python dates (object dtype), which Dask's max cannot
        # describe: compare them as timestamps.
        as_of = as_of_text(kind, dd.to_datetime(ddf[date_column]).max().compute())
    shuffled = ddf.shuffle(on=id_column, npartitions=partitions or ddf.npartitions)
    options = dict(config=config, kind=kind, columns=columns, as_of=as_of)

    def partials(frame):
        import pyarrow as pa

        table = pa.Table.from_pandas(frame, preserve_index=False)
        partial = partial_of(table.to_batches(), table.schema, **options)
        return pd.DataFrame({"partial": pd.Series([] if partial is None else [partial],
                                                  dtype=object)})

    found = list(shuffled.map_partitions(partials, meta={"partial": object})
                 .compute()["partial"])
    merged = merge(found, top=top)
    return Result(summary=merged["summary"], top=merged["top"], partitions=len(found))
