#!/usr/bin/env bash
# Makes the Python venv whose aiosmtpd the SMTP end-to-end test runs as a real local relay
# (tests/smtp.rs). Safe to re-run. Default place: ~/.cache/revgap-smtp-venv; override with
# REVGAP_SMTP_PYTHON=/path/to/venv/bin/python.
set -euo pipefail
python="${REVGAP_SMTP_PYTHON:-$HOME/.cache/revgap-smtp-venv/bin/python}"
venv="$(dirname "$(dirname "$python")")"
if "$python" -c 'import aiosmtpd' >/dev/null 2>&1; then
    exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check 'aiosmtpd==1.4.6'
"$python" -c 'import aiosmtpd'
