#!/usr/bin/env bash
# A pinned Python venv with DuckDB and Polars for scripts/bench-peers.sh, under ~/.cache
# (made once; prints its python). Usage: scripts/peers-venv.sh
set -euo pipefail
venv="${REVGAP_PEERS_VENV:-$HOME/.cache/revgap-peers-venv}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import duckdb, polars" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet duckdb==1.1.3 polars==1.17.1
fi
echo "$venv/bin/python"
