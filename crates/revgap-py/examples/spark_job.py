"""The whole analysis of a Parquet dataset on a Spark cluster, with revgap on every executor.

    spark-submit spark_job.py INPUT.parquet [--kind weekly|transactions] [--top 100]
        [--partitions N] [--config revgap.toml] [--out result.json]

INPUT is a weekly panel (customer_id, week_start_date, weekly_spend) or a transaction log
(customer_id, date, amount), a file or a directory of files. Without --config the job runs
the original's rules with the original baseline (what partitions exactly today). The result
is the summary of `revgap analyze --format json` and the top list, as JSON.
"""

import argparse
import json
import sys

from pyspark.sql import SparkSession

import revgap.spark

PARTITIONABLE = {"model": {"churn_model": "rules"}, "windows": {"baseline": "original"}}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input")
    parser.add_argument("--kind", choices=["weekly", "transactions"], default="weekly")
    parser.add_argument("--top", type=int, default=100)
    parser.add_argument("--partitions", type=int)
    parser.add_argument("--config", help="a revgap TOML file (default: the rules)")
    parser.add_argument("--out", help="write the JSON here (default: stdout)")
    args = parser.parse_args(argv)
    spark = SparkSession.builder.appName("revgap").getOrCreate()
    try:
        frame = spark.read.parquet(args.input)
        result = revgap.spark.analyze(frame, kind=args.kind, config=args.config or PARTITIONABLE,
                                      top=args.top, partitions=args.partitions)
    finally:
        spark.stop()
    text = json.dumps({"summary": result.summary, "top": result.top}, indent=2) + "\n"
    if args.out:
        with open(args.out, "w", encoding="utf-8") as out:
            out.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
