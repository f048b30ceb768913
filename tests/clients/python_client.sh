#!/usr/bin/env bash
# Generates a family's Python client from the vendor's own spec with OpenAPI
# Generator and runs tests/clients/<family>_python_client.py against a real
# leadsim binary. Installs what it needs (a JRE, the generators from PyPI)
# into target/.
#
# Generator versions follow the specs: 7.8.0 for Engine 1.58.0 (the version
# Engine's upstream used; 7.13+ crash on that spec) and Finicity; 7.26.0 for
# Engine 1.106.0 (7.8.0's client from it cannot read `productType`, a
# generator bug fixed since) and Finicity 1.42.0. Clients of the two
# generations pin urllib3 apart, so those run in venvs of their own.
#
# Usage: tests/clients/python_client.sh engine|engine-v3|engine-marketplace|finicity|finicity-decisioning|finicity-connect
set -euo pipefail
cd "$(dirname "$0")/../.."

family=${1:?usage: python_client.sh engine|engine-v3|engine-marketplace|finicity|finicity-decisioning|finicity-connect}
case $family in
  engine) specs=("tests/vendor/engine-openapi.json engine_client 7.8.0"); now=2020-01-10T08:15:00Z ;;
  engine-v3) specs=("tests/vendor/engine-openapi-1.106.0.json engine_v3_client 7.26.0"); now=2020-01-10T08:15:00Z ;;
  engine-marketplace) specs=("tests/vendor/engine-openapi-1.106.0.json engine_marketplace_client 7.26.0"); now=2026-03-02T10:00:00Z ;;
  finicity) specs=("tests/vendor/finicity-openapi.yaml finicity_client 7.8.0"); now=2026-11-23T18:00:00Z ;;
  finicity-decisioning) specs=("tests/vendor/finicity-openapi-1.42.0.yaml finicity_decisioning_client 7.26.0"); now=2026-11-23T18:00:00Z ;;
  finicity-connect) specs=("tests/vendor/finicity-connect-openapi-1.42.0.yaml finicity_connect_client 7.26.0"
    "tests/vendor/finicity-openapi-1.42.0.yaml finicity_decisioning_client 7.26.0"); now=2026-11-23T18:00:00Z ;;
  *) echo "unknown family: $family"; exit 2 ;;
esac

tools=target/python-clients
work=$tools/$family
mkdir -p "$work"
if ! command -v java >/dev/null 2>&1; then
  echo "== installing a Java runtime for OpenAPI Generator"
  (apt-get update -qq && apt-get install -y -qq default-jre-headless >/dev/null)
fi
venv=$tools/venv
[[ $family == engine-v3 || $family == engine-marketplace || $family == finicity-decisioning || $family == finicity-connect ]] && venv=$work/venv
if [[ ! -x $venv/bin/python ]]; then
  python3 -m venv "$venv"
fi
py=$venv/bin/python
for entry in "${specs[@]}"; do
  read -r spec package version <<<"$entry"
  # Each generator in a venv of its own, apart from the clients.
  generator=$tools/generator-$version
  if [[ ! -x $generator/bin/openapi-generator-cli ]]; then
    python3 -m venv "$generator"
    "$generator/bin/python" -m pip install -q --disable-pip-version-check "openapi-generator-cli==$version"
  fi
  rm -rf "$work/$package"
  "$generator/bin/openapi-generator-cli" generate -g python -i "$spec" \
    -o "$work/$package" --package-name "$package" >"$work/generate-$package.log" 2>&1 \
    || { tail -20 "$work/generate-$package.log"; exit 1; }
  "$py" -m pip install -q --disable-pip-version-check "$work/$package"
done

source tests/support/start_leadsim.sh
start_leadsim "$work/leadsim.log" --now "$now"
"$py" "tests/clients/${family//-/_}_python_client.py" "$base"
