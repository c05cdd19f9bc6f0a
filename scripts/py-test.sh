#!/usr/bin/env bash
# The Python package (crates/revgap-py, a PyO3 extension built by maturin) and its tests
# (pytest, against the release binary; Spark in local[2] and a Dask LocalCluster, which need a
# Java runtime for Spark: .ci/run installs one), in a venv cached under ~/.cache/revgap-py-venv
# and remade when the pinned requirements change. Usage: scripts/py-test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/revgap-target}"
venv="${REVGAP_PY_VENV:-$HOME/.cache/revgap-py-venv}"
# pyspark 4 does not support pandas 3 yet.
requirements="maturin==1.16.0 pyarrow==26.0.1 pytest==9.2.0 pyspark==4.0.1 pandas==2.3.3 dask[distributed]==2025.11.0"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.requirements" 2>/dev/null)" != "$requirements" ]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    # shellcheck disable=SC2086 # one word per requirement
    "$venv/bin/pip" install --quiet $requirements
    echo "$requirements" > "$venv/.requirements"
fi
command -v java >/dev/null 2>&1 || { echo "py-test: Spark needs a Java runtime (java on PATH)" >&2; exit 1; }
bin="${REVGAP_BIN:-$CARGO_TARGET_DIR/release/revgap}"
[ -x "$bin" ] || cargo build --release --locked
wheels="$CARGO_TARGET_DIR/wheels"
rm -rf "$wheels"
PYO3_PYTHON="$venv/bin/python" "$venv/bin/maturin" build --release --locked \
    --manifest-path crates/revgap-py/Cargo.toml --interpreter "$venv/bin/python" --out "$wheels"
"$venv/bin/pip" install --quiet --force-reinstall --no-deps "$wheels"/revgap-*.whl
log=$(mktemp)
REVGAP_BIN="$bin" "$venv/bin/python" -m pytest -p no:cacheprovider -rs crates/revgap-py/tests "$@" | tee "$log"
# Everything the tests need is installed here: a skipped test has lost its reason.
if grep -qE '[0-9]+ skipped' "$log"; then
    echo "py-test: tests were skipped" >&2
    exit 1
fi
