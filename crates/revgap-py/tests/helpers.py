"""What the Python tests share: the binary they compare with ($REVGAP_BIN), the partitionable
configuration as flags and as a dict, running the binary for JSON, and a top list's ids and
scores."""

import json
import os
import subprocess

BIN = os.environ.get("REVGAP_BIN", "target/release/revgap")
EXACT_FLAGS = ["--churn-model", "rules", "--baseline", "original"]
EXACT = {"model": {"churn_model": "rules"}, "windows": {"baseline": "original"}}


def cli_json(*args):
    done = subprocess.run([BIN, *args], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def top_of(customers, n):
    return [(c["customer_id"], c["priority_score"]) for c in customers[:n]]
