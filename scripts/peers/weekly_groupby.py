"""The transaction-log aggregation a DuckDB user would write: one GROUP BY from the CSV into
customer × week sums (weeks ending on the latest date, as revgap's), or, with `generate`, the
benchmark's log. Usage: weekly_groupby.py generate FILE ROWS | weekly_groupby.py duckdb FILE"""
import sys
import time

import duckdb


def generate(path, rows):
    # 400,000 customers over two years, time-ordered like a till export; 1-4 lines a basket.
    duckdb.sql(
        f"""
        COPY (
            SELECT customer_id, date, round(2 + random() * 58, 2) AS amount
            FROM (
                SELECT (hash(i // 3) % 400000) AS customer_id,
                       DATE '2024-01-01' + CAST((i // 3) * 730 // ({rows} // 3 + 1) AS INTEGER) AS date
                FROM range({rows}) t(i)
            )
            ORDER BY date
        ) TO '{path}' (HEADER, DELIMITER ',')
        """
    )


def aggregate(path):
    started = time.perf_counter()
    con = duckdb.connect()
    con.sql(f"CREATE VIEW log AS SELECT * FROM read_csv('{path}', header = true)")
    last = con.sql("SELECT max(date) FROM log").fetchone()[0]
    weeks = con.sql(
        f"""
        SELECT customer_id, (DATE '{last}' - date) // 7 AS weeks_back, sum(amount) AS spend
        FROM log GROUP BY ALL
        """
    )
    cells, total = weeks.aggregate("count(*), sum(spend)").fetchone()
    print(f"{cells} {total:.2f}")
    # The query alone, as revgap's load alone is timed: process start and imports left out.
    print(f"aggregation_ms={(time.perf_counter() - started) * 1000:.0f}", file=sys.stderr)


if __name__ == "__main__":
    if sys.argv[1] == "generate":
        generate(sys.argv[2], int(sys.argv[3]))
    else:
        aggregate(sys.argv[2])
