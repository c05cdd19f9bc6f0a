#!/usr/bin/env bash
# revgap against DuckDB (SQL) and Polars (lazy API) on the same 1M × 52 weekly panel, the same
# rules (the original's gap and churn rules as revgap applies them: scripts/peers/
# original_rules.py), the same machine, rounds interleaved. First checks that the three
# agree on the summary counts; then prints each one's median wall time and peak RSS, and the
# parse floor: the faster of DuckDB and Polars just reading the file and summing one column.
# Usage: scripts/bench-peers.sh [ROUNDS]   (data: $REVGAP_BENCH_DIR, default /tmp/revgap-bench-1m)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"
source scripts/bench-lib.sh
python=$(scripts/peers-venv.sh)
# The peers keep no history: neither does revgap here (a run's snapshot costs about 0.6 s at 1M).
rules=(--churn-model rules --baseline original --no-snapshot)
peers=scripts/peers/original_rules.py

# Agreement: the same counts from all three.
revgap_counts=$("$bin" analyze --weekly "$spend" "${rules[@]}" --format jsonl --top 0 | tail -n 1 |
    "$python" -c 'import json, sys
s = json.load(sys.stdin)["summary"]
print(json.dumps({"customers": s["customers_analyzed"], "customers_with_gaps": s["customers_with_gaps"],
    "declining_revenue": s["gaps_by_type"]["declining_revenue"], "below_baseline": s["gaps_by_type"]["below_baseline"],
    "zero_spend": s["gaps_by_type"]["zero_spend"], "churn_risk_customers": s["churn_risk_customers"]}, sort_keys=True))')
for engine in duckdb polars; do
    theirs=$("$python" "$peers" "$engine" "$spend" | "$python" -c 'import json, sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))')
    if [ "$theirs" != "$revgap_counts" ]; then
        echo "DISAGREE: $engine $theirs" >&2
        echo "          revgap $revgap_counts" >&2
        exit 1
    fi
done
echo "agree: $revgap_counts"

measure() { # prints "seconds peak_kb"
    /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -n 1
}
declare -A seconds kb
names=(revgap duckdb polars duckdb-floor polars-floor)
for _ in $(seq "$rounds"); do
    read -r s k < <(measure "$bin" analyze --weekly "$spend" "${rules[@]}")
    seconds[revgap]+="$s "; kb[revgap]+="$k "
    for engine in duckdb polars duckdb-floor polars-floor; do
        read -r s k < <(measure "$python" "$peers" "$engine" "$spend")
        seconds[$engine]+="$s "; kb[$engine]+="$k "
    done
done
echo "1M × 52 CSV ($(du -h "$spend" | cut -f1)), $rounds rounds, $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg)"
for name in "${names[@]}"; do
    printf '%-13s median %6.2f s, peak RSS %5d MB\n' "$name" "$(median "${seconds[$name]}")" \
        "$(( $(median "${kb[$name]}") / 1024 ))"
done
r=$(median "${seconds[revgap]}")
d=$(median "${seconds[duckdb]}"); p=$(median "${seconds[polars]}")
df=$(median "${seconds[duckdb-floor]}"); pf=$(median "${seconds[polars-floor]}")
awk -v r="$r" -v d="$d" -v p="$p" -v df="$df" -v pf="$pf" 'BEGIN {
    best = d < p ? d : p; floor = df < pf ? df : pf
    printf "revgap is %.2f× faster than the faster peer (target ≥ 1.5×) and %.2f× the parse floor (target ≤ 2×)\n", best / r, r / floor }'
