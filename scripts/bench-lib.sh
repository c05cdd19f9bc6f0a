# Shared by the 1M × 52 bench scripts (sourced, from the repository root): the release
# binary, the generated panel, and the median of a list of numbers.
target="${CARGO_TARGET_DIR:-target}"
# REVGAP_BENCH_BIN: another binary to measure (an older build, for a before/after).
bin="${REVGAP_BENCH_BIN:-$target/release/revgap}"
data="${REVGAP_BENCH_DIR:-/tmp/revgap-bench-1m}"
# Always the binary of this checkout (a no-op when it is up to date), never a stale one.
cargo build --release --quiet
if [ ! -f "$data/weekly_spend.csv" ]; then
    "$bin" generate --customers 1000000 --weeks 52 --seed 7 --out "$data"
fi
spend="$data/weekly_spend.csv"
customers="$data/customers.csv"
# Sends q to the explorer in tmux session $1 (process $2) and sets `restored` (ms until the
# terminal is back: tmux's alternate_on flag clears) and `exited` (ms until the process is gone).
quit_and_time() {
    local session=$1 pid=$2 start
    start=$(date +%s%N)
    tmux send-keys -t "$session" q
    restored=""
    while kill -0 "$pid" 2>/dev/null; do
        if [ -z "$restored" ] && [ "$(tmux display -p -t "$session" '#{alternate_on}')" = 0 ]; then
            restored=$(( ($(date +%s%N) - start) / 1000000 ))
        fi
        sleep 0.002
    done
    exited=$(( ($(date +%s%N) - start) / 1000000 ))
    restored=${restored:-$exited}
}
# The median of its arguments (each may hold several space-separated numbers).
median() { printf '%s\n' $* | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
