#!/usr/bin/env bash
# Runs the Python helper's own tests (clients/python/tests) and docs/admin.md's
# end-to-end example (tests/e2e, pytest + requests on the helper) against
# the real leadsim binary: the helper starts it ($LEADSIM_BINARY). Installs
# pinned Python packages into target/.
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=target/e2e/venv
if [[ ! -x $venv/bin/python ]]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check requests==2.32.3 pytest==8.3.4
"$venv/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps ./clients/python

cargo build -q --bin leadsim
export LEADSIM_BINARY=$PWD/target/debug/leadsim
unset LEADSIM_URL
echo "== the Python helper's tests"
PYTHONDONTWRITEBYTECODE=1 "$venv/bin/python" -m pytest -q -p no:cacheprovider clients/python/tests
echo "== the end-to-end example on the helper"
PYTHONDONTWRITEBYTECODE=1 "$venv/bin/python" -m pytest -q -p no:cacheprovider tests/e2e
