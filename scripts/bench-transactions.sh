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
measure() { /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -n 1; }
state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
declare -a revgap_s revgap_kb load_ms duck_s duck_kb
for _ in $(seq "$rounds"); do
    read -r s k < <(REVGAP_LOG=info REVGAP_LOG_FILE="$state/log" measure "$bin" analyze \
        --transactions "$log" --churn-model rules --no-snapshot)
    revgap_s+=("$s"); revgap_kb+=("$k")
    read -r s k < <(measure "$python" scripts/peers/weekly_groupby.py duckdb "$log")
    duck_s+=("$s"); duck_kb+=("$k")
done
echo "log: $(du -h "$log" | cut -f1), $rows rows, $rounds rounds, $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg)"
r=$(median "${revgap_s[@]}"); d=$(median "${duck_s[@]}")
printf 'revgap analyze (load, aggregate, analyse): median %.2f s, %.1fM rows/s, peak RSS %d MB\n' \
    "$r" "$(awk -v s="$r" -v n="$rows" 'BEGIN{print n/s/1e6}')" "$(( $(median "${revgap_kb[@]}") / 1024 ))"
printf 'DuckDB GROUP BY customer × week:            median %.2f s, %.1fM rows/s, peak RSS %d MB\n' \
    "$d" "$(awk -v s="$d" -v n="$rows" 'BEGIN{print n/s/1e6}')" "$(( $(median "${duck_kb[@]}") / 1024 ))"
awk -v r="$r" -v d="$d" 'BEGIN { printf "revgap aggregates %.2f× the rows per second of DuckDB (target ≥ 1.5×)\n", d / r }'
