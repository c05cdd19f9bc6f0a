#!/usr/bin/env bash
# Times `revgap analyze` on the 1M × 52 panel of bench-analyze.sh for every report format (Parquet too),
# rounds interleaved, and prints each format's median wall time, peak RSS and output size next
# to the markdown run's (the full reports' extra cost), then how long the JSON report to a full
# disk (/dev/full) takes to stop, its exit code and its message. Output goes to a file in the same
# directory as the data (--out: atomic and synced, as users run it). Usage:
# scripts/bench-output.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"
source scripts/bench-lib.sh
out="$data/report.out"
formats=(markdown json jsonl csv parquet)
declare -A seconds kb bytes
full_seconds=""
for _ in $(seq "$rounds"); do
    # The JSON report to a full disk: how long until it stops, with what and how many lines.
    start=$(date +%s%N)
    set +e
    "$bin" analyze --weekly "$spend" --customers "$customers" --churn-model rules \
        --format json --out /dev/full 2> "$data/full.err" > /dev/null
    full_code=$?
    set -e
    full_seconds+="$(awk -v n=$(( $(date +%s%N) - start )) 'BEGIN {printf "%.2f", n / 1e9}') "
    for format in "${formats[@]}"; do
        # Each run starts from a settled disk: the last run's file gone and its writeback done,
        # so no format pays for the one before it.
        rm -f "$out"; sync
        read -r s k < <(/usr/bin/time -f "%e %M" "$bin" analyze --weekly "$spend" \
            --customers "$customers" --churn-model rules --format "$format" --out "$out" 2>&1 | tail -n 1)
        seconds[$format]+="$s "
        kb[$format]+="$k "
        bytes[$format]=$(stat -c %s "$out")
    done
done
rm -f "$out"
full_lines=$(wc -l < "$data/full.err")
full_line=$(head -n 1 "$data/full.err")
rm -f "$data/full.err"
base=$(median "${seconds[markdown]}")
echo "1M customers × 52 weeks, $rounds rounds, $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg)"
for format in "${formats[@]}"; do
    s=$(median "${seconds[$format]}"); k=$(median "${kb[$format]}")
    awk -v f="$format" -v s="$s" -v b="$base" -v k="$k" -v n="${bytes[$format]}" 'BEGIN {
        printf "%-9s median %5.2f s (%+.2f s against markdown), peak RSS %4d MB, output %6.1f MB\n",
            f, s, s - b, k / 1024, n / 1048576 }'
done
awk -v s="$(median "$full_seconds")" -v b="$base" -v c="$full_code" -v l="$full_lines" 'BEGIN {
    printf "json to /dev/full: median %5.2f s (%+.2f s against markdown), exit %d, %d line(s) on stderr:\n", s, s - b, c, l }'
echo "  $full_line"
