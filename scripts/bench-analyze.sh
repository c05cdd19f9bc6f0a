#!/usr/bin/env bash
# Times `revgap analyze` on a generated 1M × 52 panel against two floors measured in the same
# run, rounds interleaved so machine load hits all three alike: `cat` (reading the file) and
# `wc -l` (one pass over every byte). Prints each median and revgap's ratio to them, which
# carries across machines better than seconds. A third reference is what a quick script would
# do: `awk` summing the spend column (parse every row, no analysis). Usage: scripts/bench-analyze.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-5}"
source scripts/bench-lib.sh
measure() { # prints "seconds peak_kb"
    /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -n 1
}
declare -a cat_s wc_s awk_s rg_s rg_kb
for _ in $(seq "$rounds"); do
    read -r s _ < <(measure cat "$spend"); cat_s+=("$s")
    read -r s _ < <(measure wc -l "$spend"); wc_s+=("$s")
    read -r s _ < <(measure awk -F, 'NR > 1 {s += $3} END {print s}' "$spend"); awk_s+=("$s")
    read -r s kb < <(measure "$bin" analyze --weekly "$spend" --customers "$customers")
    rg_s+=("$s"); rg_kb+=("$kb")
done
c=$(median "${cat_s[@]}"); w=$(median "${wc_s[@]}"); a=$(median "${awk_s[@]}")
r=$(median "${rg_s[@]}"); k=$(median "${rg_kb[@]}")
echo "file: $(du -h "$spend" | cut -f1), $rounds rounds, $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg)"
echo "cat (read floor):        median ${c} s"
echo "wc -l (one byte pass):   median ${w} s"
echo "awk sum of one column:   median ${a} s"
echo "revgap analyze:          median ${r} s, peak RSS $((k / 1024)) MB"
awk -v r="$r" -v c="$c" -v w="$w" -v a="$a" 'BEGIN {printf "ratios: revgap / cat = %.1f, revgap / wc -l = %.1f, revgap / awk sum = %.2f\n", r / c, r / w, r / a}'
