#!/usr/bin/env bash
# A 20M-row transaction log (400,000 customers, two years, time-ordered, written by DuckDB):
# revgap aggregating it into the weekly panel (its whole `analyze` under the rules, and the
# load alone from its log) against DuckDB's GROUP BY of the same file into customer × week
# sums, same machine, rounds interleaved; rows per second and peak RSS.
# Usage: scripts/bench-transactions.sh [ROUNDS]   (log: $REVGAP_BENCH_LOG_20M)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"
source scripts/bench-lib.sh
python=$(scripts/peers-venv.sh)
rows=20000000
log="${REVGAP_BENCH_LOG_20M:-/tmp/revgap-bench-log-20m.csv}"
[ -f "$log" ] || "$python" scripts/peers/weekly_groupby.py generate "$log" "$rows"
state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
# "seconds peak_kb aggregation_ms": the whole process, and the aggregation alone as each
# reports it (revgap's load of the log into the weekly panel; DuckDB's query).
measure() {
    /usr/bin/time -o "$state/time" -f "%e %M" "$@" 2>"$state/err" >/dev/null
    echo "$(cat "$state/time") $(grep -oE '(elapsed_ms|aggregation_ms)=[0-9]+' "$state/err" | head -n 1 | cut -d= -f2)"
}
declare -a revgap_s revgap_kb revgap_ms duck_s duck_kb duck_ms
for _ in $(seq "$rounds"); do
    read -r s k ms < <(REVGAP_LOG=info measure "$bin" analyze \
        --transactions "$log" --churn-model rules --no-snapshot --top 0)
    revgap_s+=("$s"); revgap_kb+=("$k"); revgap_ms+=("$ms")
    read -r s k ms < <(measure "$python" scripts/peers/weekly_groupby.py duckdb "$log")
    duck_s+=("$s"); duck_kb+=("$k"); duck_ms+=("$ms")
done
echo "log: $(du -h "$log" | cut -f1), $rows rows, $rounds rounds, $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg)"
r=$(median "${revgap_s[@]}"); d=$(median "${duck_s[@]}")
printf 'revgap analyze (load, aggregate, analyse): median %.2f s, %.1fM rows/s, peak RSS %d MB\n' \
    "$r" "$(awk -v s="$r" -v n="$rows" 'BEGIN{print n/s/1e6}')" "$(( $(median "${revgap_kb[@]}") / 1024 ))"
printf 'DuckDB GROUP BY customer × week:            median %.2f s, %.1fM rows/s, peak RSS %d MB\n' \
    "$d" "$(awk -v s="$d" -v n="$rows" 'BEGIN{print n/s/1e6}')" "$(( $(median "${duck_kb[@]}") / 1024 ))"
ra=$(median "${revgap_ms[@]}"); da=$(median "${duck_ms[@]}")
echo "aggregation alone: revgap's load ${ra} ms, DuckDB's query ${da} ms"
awk -v r="$r" -v d="$d" -v ra="$ra" -v da="$da" 'BEGIN {
    printf "revgap aggregates %.2f× the rows per second of DuckDB (target ≥ 1.5×); whole processes: %.2f×\n", da / ra, d / r }'
