#!/usr/bin/env bash
# Streamed analysis (`analyze --stream`) at 1M and 10M customers × 52 weeks, Parquet: wall time
# and peak RSS of the summary + top 100 (markdown), and of every customer with a gap as CSV and
# as Parquet; the 1M panel analysed whole beside it, for the memory streaming saves.
# The 10M panel is the 1M one ten times over (ids suffixed -0 … -9, each customer's rows
# together), written once by DuckDB from the pinned venv (scripts/peers-venv.sh): 2.5 GB.
# Usage: scripts/bench-stream.sh [ROUNDS]   (data: $REVGAP_BENCH_DIR, default /tmp/revgap-bench-1m)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-1}"
source scripts/bench-lib.sh
python=$(scripts/peers-venv.sh)
panel_1m="$data/weekly_spend.parquet"
panel_10m="${REVGAP_BENCH_10M:-/tmp/revgap-bench-10m.parquet}"
if [ ! -f "$panel_1m" ]; then
    "$python" -c "import duckdb; duckdb.sql(\"COPY (SELECT * FROM read_csv('$spend')) TO '$panel_1m' (FORMAT PARQUET)\")"
fi
if [ ! -f "$panel_10m" ]; then
    "$python" - "$panel_1m" "$panel_10m" <<'EOF'
import sys, duckdb
source, target = sys.argv[1], sys.argv[2]
con = duckdb.connect()
con.execute("SET preserve_insertion_order = true")
copies = " UNION ALL ".join(
    f"SELECT customer_id || '-{k}' AS customer_id, week_start_date, weekly_spend FROM read_parquet('{source}')"
    for k in range(10))
con.execute(f"COPY ({copies}) TO '{target}' (FORMAT PARQUET)")
EOF
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
rules=(--churn-model rules --no-learning --no-snapshot)
streamed=(--churn-model rules --no-learning --stream)
run() { # label, then the command: prints the label, seconds and peak MB of each round
    local label=$1; shift
    for _ in $(seq "$rounds"); do
        /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -n 1 |
            awk -v label="$label" '{ printf "%-40s %7.1f s %6d MB\n", label, $1, $2 / 1024 }'
    done
}
echo "$(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg)"
run "1M whole, markdown" "$bin" analyze --weekly "$panel_1m" "${rules[@]}"
run "1M --stream, markdown (top 10)" "$bin" analyze --weekly "$panel_1m" "${streamed[@]}"
run "10M --stream, markdown (top 100)" "$bin" analyze --weekly "$panel_10m" "${streamed[@]}" --top 100
run "10M --stream, CSV of everyone with a gap" "$bin" analyze --weekly "$panel_10m" "${streamed[@]}" \
    --format csv --out "$out/report.csv"
run "10M --stream, Parquet of everyone" "$bin" analyze --weekly "$panel_10m" "${streamed[@]}" \
    --format parquet --out "$out/report.parquet"
ls -l "$out"
