#!/usr/bin/env bash
# Clean release build times, each from an empty target directory, in one run so the figures
# share the machine's state: the single-crate build before the workspace (commit 9c62ecd, the
# baseline), revgap-core alone without default features (no Parquet), revgap-core with them,
# and the whole workspace. Prints seconds of wall time per build.
#   scripts/bench-build.sh [BASELINE_COMMIT]
set -euo pipefail
cd "$(dirname "$0")/.."
baseline=${1:-9c62ecd}
scratch=$(mktemp -d)
trap 'git worktree remove --force "$scratch/baseline" >/dev/null 2>&1 || true; rm -rf "$scratch"' EXIT
git worktree add --detach "$scratch/baseline" "$baseline" >/dev/null 2>&1
time_build() {
    local name=$1 dir=$2; shift 2
    local target="$scratch/target-$name"
    local start end
    start=$(date +%s.%N)
    (cd "$dir" && CARGO_TARGET_DIR="$target" cargo build --release --locked -q "$@")
    end=$(date +%s.%N)
    printf '%-28s %6.0f s\n' "$name" "$(echo "$end - $start" | bc)"
    rm -rf "$target"
}
time_build "single crate ($baseline)" "$scratch/baseline"
time_build "revgap-core, no defaults" . -p revgap-core --no-default-features
time_build "revgap-core" . -p revgap-core
time_build "workspace" .
