#!/usr/bin/env bash
# Quit with ten million customers: the explorer runs in tmux on the 10M × 52 Parquet panel of
# bench-stream.sh (made there once); `q` is sent at points after the analysis has arrived,
# while the sort orders of every column are still being made in the background. For each,
# how long until the terminal is back (tmux's alternate_on flag clears) and until the process
# has exited (the OS taking back about 4.4 GB). Usage: scripts/bench-quit-10m.sh (needs tmux)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh
panel="${REVGAP_BENCH_10M:-/tmp/revgap-bench-10m.parquet}"
[ -f "$panel" ] || { echo "no $panel: run scripts/bench-stream.sh first" >&2; exit 1; }
state=$(mktemp -d)
trap 'rm -rf "$state"; tmux kill-session -t revgap-quit-10m 2>/dev/null || true' EXIT
for after in 0.1 0.5 3 8; do
    rm -f "$state/log"
    tmux new-session -d -s revgap-quit-10m -x 120 -y 40 \
        "env REVGAP_STATE_DIR='$state' REVGAP_CONFIG=/nonexistent REVGAP_LOG_FILE='$state/log' '$bin' tui --weekly '$panel'; sleep 5"
    until grep -q 'app: loaded ms' "$state/log" 2>/dev/null; do sleep 0.05; done
    sleep "$after"
    pid=$(pgrep -n -x revgap)
    quit_and_time revgap-quit-10m "$pid"
    printf 'q %4ss after the analysis arrived (%s): terminal back in %4d ms, process gone in %4d ms\n' \
        "$after" "$(grep -o 'loaded ms=[0-9]*' "$state/log")" "$restored" "$exited"
    tmux kill-session -t revgap-quit-10m
done
