#!/usr/bin/env bash
# The model path against the rules on a realistic transaction log, in the same run: 200,000
# customers simulated from a BG/NBD process (rates Gamma(2, 3), dropout Beta(0.5, 5), 1–6 lines
# per purchase, two years), about 16.8M rows. Rounds alternate the two runs; prints medians
# and the ratio. Usage: scripts/bench-model.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"
target="${CARGO_TARGET_DIR:-target}"
bin="$target/release/revgap"
log="${REVGAP_BENCH_LOG:-/tmp/revgap-bench-bgnbd-200k.csv}"
[ -x "$bin" ] || cargo build --release --quiet
if [ ! -f "$log" ]; then
    python3 - "$log" <<'PY'
import random, datetime, sys
random.seed(3)
start = datetime.date(2023, 1, 2)
with open(sys.argv[1], "w") as out:
    out.write("customer_id,date,amount\n")
    for customer in range(200_000):
        rate = random.gammavariate(2.0, 1 / 3.0)
        dropout = random.betavariate(0.5, 5.0)
        week = random.uniform(0, 30)
        while True:
            week += random.expovariate(rate)
            if week > 104:
                break
            day = start + datetime.timedelta(days=int(week * 7))
            for _ in range(random.randint(1, 6)):
                out.write(f"{customer},{day},{random.uniform(2, 40):.2f}\n")
            if random.random() < dropout:
                break
PY
fi
declare -a rules model
for _ in $(seq "$rounds"); do
    rules+=("$(/usr/bin/time -f %e "$bin" analyze --transactions "$log" --churn-model rules 2>&1 >/dev/null | tail -n 1)")
    model+=("$(/usr/bin/time -f %e "$bin" analyze --transactions "$log" 2>&1 >/dev/null | tail -n 1)")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
r=$(median "${rules[@]}"); m=$(median "${model[@]}")
echo "log: $(wc -l < "$log") rows, $rounds rounds, $(nproc) cores"
echo "rules (--churn-model rules): median ${r} s; model (the default, bgnbd+logistic): median ${m} s"
awk -v r="$r" -v m="$m" 'BEGIN {printf "ratio model / rules = %.2f\n", m / r}'
