#!/usr/bin/env bash
# Quit at any moment with a million customers: the explorer runs in tmux on the 1M × 52 panel;
# `q` is sent at points through loading, analysis and a filter walk. For each, how long until
# the terminal is back (tmux's alternate_on flag clears) and until the process has exited.
# Usage: scripts/bench-quit.sh [ROUNDS]   (needs tmux)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh
rounds="${1:-1}"
state=$(mktemp -d)
trap 'rm -rf "$state"; tmux kill-session -t revgap-quit 2>/dev/null || true' EXIT
restored_all=() exited_all=()
for _ in $(seq "$rounds"); do
    for when in 0.3 1.0 2.0 3.0 5.0 6.0; do
        tmux new-session -d -s revgap-quit -x 120 -y 40 \
            "env REVGAP_STATE_DIR='$state' REVGAP_CONFIG=/nonexistent REVGAP_LOG_FILE='$state/log' '$bin' tui --weekly '$spend' --customers '$customers' --no-snapshot --no-remember; sleep 5"
        sleep "$when"
        pid=$(pgrep -n -x revgap)
        if [ "$when" = 6.0 ]; then
            # A filter walk under way when q comes (Enter ends typing, so q is a key).
            tmux send-keys -t revgap-quit / e a Enter
        fi
        quit_and_time revgap-quit "$pid"
        printf 'q at %4ss: terminal back in %4d ms, process gone in %4d ms\n' "$when" "$restored" "$exited"
        restored_all+=("$restored") exited_all+=("$exited")
        tmux kill-session -t revgap-quit
    done
done
echo "median: terminal back $(median "${restored_all[@]}") ms, process gone $(median "${exited_all[@]}") ms"
echo "max:    terminal back $(printf '%s\n' "${restored_all[@]}" | sort -g | tail -1) ms, process gone $(printf '%s\n' "${exited_all[@]}" | sort -g | tail -1) ms"
