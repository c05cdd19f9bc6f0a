#!/usr/bin/env bash
# `analyze --stream` over input in any order, against the whole run on the same file: the 1M ×
# 52 panel grouped by customer, the same rows sorted by week (every row its own run, so they
# are regrouped on the disk), the grouped panel with its 1M-row customers file (a hash join on
# the disk), and transaction logs of 400,000 and 4M customers (4M and 40M rows, time-ordered,
# written by DuckDB from the pinned venv). Median wall time and peak RSS of the summary + top
# 100 (markdown); the regrouping's temporary disk is in the note revgap prints.
# Usage: scripts/bench-stream-inputs.sh [ROUNDS]   (data: $REVGAP_BENCH_DIR; the by-week panel
# and the logs are made once in /tmp: 1.3 GB and 1.1 GB)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-1}"
source scripts/bench-lib.sh
python=$(scripts/peers-venv.sh)
by_week="${REVGAP_BENCH_BY_WEEK:-/tmp/rg-byweek.csv}"
if [ ! -f "$by_week" ]; then
    { head -n 1 "$spend"; tail -n +2 "$spend" | LC_ALL=C sort -t, -k2,2 -s -S 1G; } > "$by_week"
fi
log() { # customers, rows, file: a time-ordered log, 3-line baskets, over two years
    [ -f "$3" ] || "$python" - "$1" "$2" "$3" <<'PY'
import sys, duckdb
customers, rows, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
duckdb.sql(f"""COPY (SELECT customer_id, date, round(2 + random() * 58, 2) AS amount FROM (
    SELECT (hash(i // 3) % {customers}) AS customer_id,
           DATE '2024-01-01' + CAST((i // 3) * 730 // ({rows} // 3 + 1) AS INTEGER) AS date
    FROM range({rows}) t(i)) ORDER BY date) TO '{path}' (HEADER, DELIMITER ',')""")
PY
}
log_400k=/tmp/rg-log-400k.csv
log_4m=/tmp/rg-log-4m.csv
log 400000 4000000 "$log_400k"
log 4000000 40000000 "$log_4m"
state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
# The rules, and the trailing baseline: two years of weeks take the seasonal one by default,
# which needs every customer at once.
rules=(--churn-model rules --no-learning --baseline trailing --top 100)
measure() { # label, then the command: the median seconds and peak MB of its rounds
    local label=$1 seconds=() kilobytes=()
    shift
    for _ in $(seq "$rounds"); do
        /usr/bin/time -o "$state/time" -f "%e %M" "$@" >/dev/null 2>"$state/err"
        read -r s k < "$state/time"
        seconds+=("$s"); kilobytes+=("$k")
    done
    printf '%-44s %7.2f s %6d MB\n' "$label" "$(median "${seconds[@]}")" \
        "$(( $(median "${kilobytes[@]}") / 1024 ))"
    grep -o 'temporary disk ([^;]*' "$state/err" | sed 's/^/    /' || true
}
echo "$rounds round(s), $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg)"
for input in "grouped:--weekly $spend" "by week:--weekly $by_week" \
    "grouped + customers:--weekly $spend --customers $customers" \
    "log, 400,000 customers:--transactions $log_400k" "log, 4M customers:--transactions $log_4m"; do
    label=${input%%:*}
    read -r -a files <<< "${input#*:}"
    measure "$label, whole" "$bin" analyze "${files[@]}" "${rules[@]}" --no-snapshot
    measure "$label, --stream" "$bin" analyze "${files[@]}" "${rules[@]}" --stream
done
