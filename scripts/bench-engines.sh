#!/usr/bin/env bash
# Customers per second per core: one machine (`revgap analyze`) against revgap.spark.analyze in
# Spark local[2] and revgap.dask.analyze on a two-process LocalCluster, on the same generated
# weekly panel as Parquet (CUSTOMERS × 52 weeks), the rules with the original baseline (what
# partitions exactly today). Rounds alternate the three; prints medians and the ratios, and
# checks every engine's summary equals the single machine's. Spark's and Dask's times leave
# out starting the session or cluster. Needs the venv of scripts/py-test.sh.
# Usage: scripts/bench-engines.sh [CUSTOMERS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
customers="${1:-200000}"
rounds="${2:-3}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/revgap-target}"
venv="${REVGAP_PY_VENV:-$HOME/.cache/revgap-py-venv}"
bin="${REVGAP_BIN:-$CARGO_TARGET_DIR/release/revgap}"
work="${REVGAP_BENCH_DIR:-/tmp/revgap-bench-engines-$customers}"
if [ ! -f "$work/panel.parquet" ]; then
    mkdir -p "$work"
    "$bin" generate --customers "$customers" --weeks 52 --seed 5 --end 2026-11-30 --out "$work/gen" >/dev/null
    "$venv/bin/python" -c "
import pyarrow as pa, pyarrow.csv as c, pyarrow.parquet as q, sys
t = c.read_csv(sys.argv[1], convert_options=c.ConvertOptions(column_types={'customer_id': pa.string()}))
q.write_table(t, sys.argv[2])" "$work/gen/weekly_spend.csv" "$work/panel.parquet"
fi
# A file, not stdin: the Dask cluster's worker processes import the main module.
script="$work/bench.py"
cat > "$script" <<'PY'
import json, os, statistics, subprocess, sys, time


def main():
    bin, panel, customers, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    exact = {"model": {"churn_model": "rules"}, "windows": {"baseline": "original"}}
    cores = os.cpu_count()
    from pyspark.sql import SparkSession
    spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
             .config("spark.driver.memory", "4g").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    import dask.dataframe as dd
    from distributed import Client, LocalCluster
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    import revgap.spark, revgap.dask
    times = {"one machine": [], "spark local[2]": [], "dask 2 processes": []}
    summaries = {}
    for _ in range(rounds):
        start = time.perf_counter()
        out = subprocess.run([bin, "analyze", "--weekly", panel, "--churn-model", "rules",
                              "--baseline", "original", "--format", "json", "--top", "100",
                              "--no-snapshot"], capture_output=True, check=True).stdout
        times["one machine"].append(time.perf_counter() - start)
        summaries["one machine"] = json.loads(out)["summary"]
        start = time.perf_counter()
        result = revgap.spark.analyze(spark.read.parquet(panel), config=exact, partitions=8)
        times["spark local[2]"].append(time.perf_counter() - start)
        summaries["spark local[2]"] = result.summary
        start = time.perf_counter()
        result = revgap.dask.analyze(dd.read_parquet(panel), config=exact, partitions=8)
        times["dask 2 processes"].append(time.perf_counter() - start)
        summaries["dask 2 processes"] = result.summary
    base = statistics.median(times["one machine"])
    print(f"{customers} customers x 52 weeks, {rounds} rounds, {cores} cores")
    for engine, seconds in times.items():
        median = statistics.median(seconds)
        same = summaries[engine] == summaries["one machine"]
        print(f"{engine:18} median {median:6.2f} s  {customers / median / 2:9.0f} customers/s/core"
              f"  {base / median:5.2f} x one machine's rate  summary equal: {same}")
    client.close(); cluster.close(); spark.stop()


if __name__ == "__main__":
    main()
PY
PYSPARK_PYTHON="$venv/bin/python" PYSPARK_DRIVER_PYTHON="$venv/bin/python" \
    "$venv/bin/python" "$script" "$bin" "$work/panel.parquet" "$customers" "$rounds"
