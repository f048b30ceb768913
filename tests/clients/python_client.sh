#!/usr/bin/env bash
# Generates a family's Python client from the vendor's own spec with OpenAPI
# Generator 7.8.0 (the version Engine's upstream used; 7.13+ crash on its
# spec) and runs tests/clients/<family>_python_client.py against a real
# leadsim binary. Installs what it needs (a JRE, the generator from PyPI)
# into target/.
#
# Usage: tests/clients/python_client.sh engine|finicity
set -euo pipefail
cd "$(dirname "$0")/../.."

family=${1:?usage: python_client.sh engine|finicity}
case $family in
  engine) spec=tests/vendor/engine-openapi.json; now=2020-01-10T08:15:00Z ;;
  finicity) spec=tests/vendor/finicity-openapi.yaml; now=2026-11-23T18:00:00Z ;;
  *) echo "unknown family: $family"; exit 2 ;;
esac

tools=target/python-clients
work=$tools/$family
mkdir -p "$work"
if ! command -v java >/dev/null 2>&1; then
  echo "== installing a Java runtime for OpenAPI Generator"
  (apt-get update -qq && apt-get install -y -qq default-jre-headless >/dev/null)
fi
if [[ ! -x $tools/venv/bin/python ]]; then
  python3 -m venv "$tools/venv"
fi
py=$tools/venv/bin/python
"$py" -m pip install -q --disable-pip-version-check openapi-generator-cli==7.8.0
rm -rf "$work/client"
"$tools/venv/bin/openapi-generator-cli" generate -g python -i "$spec" \
  -o "$work/client" --package-name "${family}_client" >"$work/generate.log" 2>&1 \
  || { tail -20 "$work/generate.log"; exit 1; }
"$py" -m pip install -q --disable-pip-version-check "$work/client"

source tests/support/start_leadsim.sh
start_leadsim "$work/leadsim.log" --now "$now"
"$py" "tests/clients/${family}_python_client.py" "$base"
