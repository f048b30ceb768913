#!/usr/bin/env bash
# Runs the README's end-to-end example (tests/e2e, pytest + requests)
# against a real leadsim binary. Installs pinned Python packages into target/.
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=target/e2e/venv
if [[ ! -x $venv/bin/python ]]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check requests==2.32.3 pytest==8.3.4

source tests/support/start_leadsim.sh
start_leadsim target/e2e/leadsim.log
PYTHONDONTWRITEBYTECODE=1 LEADSIM_URL=$base "$venv/bin/python" -m pytest -q -p no:cacheprovider tests/e2e
