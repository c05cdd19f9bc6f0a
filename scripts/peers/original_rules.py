"""The original's rules (spec section 4.4-4.6) on a complete weekly panel, written as an
analyst would with DuckDB (SQL) or Polars (lazy API), for scripts/bench-peers.sh.

Baseline = mean of the first 4 weeks, recent = mean of the last 4, trend % = (recent -
baseline) / baseline * 100, all unrounded (revgap fixes the original's rounding before reuse,
spec defect 8); gaps: declining (trend < -15),
below_baseline (last week > 0 and 20 % or more below baseline), zero_spend (2+ zero weeks of
the last 4); churn points 40 (zero spend) + 30 / 15 (trend < -20 / < -10) + 30 (recent /
baseline < 0.5), a risk from 30. Prints one JSON line of counts. Usage:
  python original_rules.py duckdb|polars|duckdb-floor|polars-floor weekly_spend.csv
"""
import datetime
import json
import sys

engine, path = sys.argv[1], sys.argv[2]

SQL = """
WITH rows AS (
    SELECT customer_id, week_start_date AS week, weekly_spend AS spend
    FROM read_csv('{path}', header = true,
                  columns = {{'customer_id': 'VARCHAR', 'week_start_date': 'DATE',
                              'weekly_spend': 'DOUBLE'}})
), span AS (SELECT min(week) AS first, max(week) AS last FROM rows),
per_customer AS (
    SELECT customer_id,
           avg(spend) FILTER (WHERE week < span.first + INTERVAL 28 DAY) AS baseline,
           avg(spend) FILTER (WHERE week > span.last - INTERVAL 28 DAY) AS recent,
           max(spend) FILTER (WHERE week = span.last) AS latest,
           count(*) FILTER (WHERE week > span.last - INTERVAL 28 DAY AND spend = 0) AS zeros
    FROM rows, span GROUP BY customer_id
), judged AS (
    SELECT *,
           CASE WHEN baseline > 0 THEN (recent - baseline) / baseline * 100 ELSE 0 END
               AS trend,
           latest > 0 AND baseline > 0 AND (latest - baseline) / baseline * 100 < -20 AS below
    FROM per_customer
)
SELECT count(*) AS customers,
       count(*) FILTER (WHERE trend < -15 OR below OR zeros >= 2) AS customers_with_gaps,
       count(*) FILTER (WHERE trend < -15) AS declining_revenue,
       count(*) FILTER (WHERE below) AS below_baseline,
       count(*) FILTER (WHERE zeros >= 2) AS zero_spend,
       count(*) FILTER (WHERE (CASE WHEN zeros >= 2 THEN 40 ELSE 0 END)
                              + (CASE WHEN trend < -20 THEN 30 WHEN trend < -10 THEN 15 ELSE 0 END)
                              + (CASE WHEN baseline > 0 AND recent / baseline < 0.5 THEN 30 ELSE 0 END)
                              >= 30) AS churn_risk_customers
FROM judged
"""


def duckdb_rules():
    import duckdb

    connection = duckdb.connect()
    row = connection.execute(SQL.format(path=path)).fetchone()
    names = [d[0] for d in connection.description]
    return dict(zip(names, row))


def polars_rules():
    import polars as pl

    rows = pl.scan_csv(
        path,
        schema={"customer_id": pl.Utf8, "week_start_date": pl.Date, "weekly_spend": pl.Float64},
    )
    span = rows.select(pl.col("week_start_date").min().alias("first"),
                       pl.col("week_start_date").max().alias("last")).collect()
    first, last = span["first"][0], span["last"][0]
    week, spend = pl.col("week_start_date"), pl.col("weekly_spend")
    judged = (
        rows.with_columns(
            (week < pl.lit(first + datetime.timedelta(days=28))).alias("early"),
            (week > pl.lit(last - datetime.timedelta(days=28))).alias("late"),
        )
        .group_by("customer_id")
        .agg(
            spend.filter(pl.col("early")).mean().alias("baseline"),
            spend.filter(pl.col("late")).mean().alias("recent"),
            spend.filter(week == pl.lit(last)).max().alias("latest"),
            (pl.col("late") & (spend == 0)).sum().alias("zeros"),
        )
        .with_columns(
            pl.when(pl.col("baseline") > 0)
            .then((pl.col("recent") - pl.col("baseline")) / pl.col("baseline") * 100)
            .otherwise(0.0)
            .alias("trend"),
        )
        .with_columns(
            ((pl.col("latest") > 0) & (pl.col("baseline") > 0)
             & ((pl.col("latest") - pl.col("baseline")) / pl.col("baseline") * 100 < -20))
            .alias("below"),
            (pl.when(pl.col("zeros") >= 2).then(40).otherwise(0)
             + pl.when(pl.col("trend") < -20).then(30)
             .when(pl.col("trend") < -10).then(15).otherwise(0)
             + pl.when((pl.col("baseline") > 0) & (pl.col("recent") / pl.col("baseline") < 0.5))
             .then(30).otherwise(0)).alias("points"),
        )
    )
    declining = pl.col("trend") < -15
    zero = pl.col("zeros") >= 2
    out = judged.select(
        pl.len().alias("customers"),
        (declining | pl.col("below") | zero).sum().alias("customers_with_gaps"),
        declining.sum().alias("declining_revenue"),
        pl.col("below").sum().alias("below_baseline"),
        zero.sum().alias("zero_spend"),
        (pl.col("points") >= 30).sum().alias("churn_risk_customers"),
    ).collect()
    return {k: int(v[0]) for k, v in out.to_dict(as_series=False).items()}


def duckdb_floor():
    import duckdb

    total = duckdb.sql(
        f"SELECT sum(weekly_spend) FROM read_csv('{path}', header = true)"
    ).fetchone()[0]
    return {"sum": total}


def polars_floor():
    import polars as pl

    total = pl.scan_csv(path).select(pl.col("weekly_spend").sum()).collect().item()
    return {"sum": total}


run = {
    "duckdb": duckdb_rules,
    "polars": polars_rules,
    "duckdb-floor": duckdb_floor,
    "polars-floor": polars_floor,
}[engine]
print(json.dumps(run()))
