#!/usr/bin/env bash
# Generates Engine's Python client from the vendor's spec with OpenAPI
# Generator 7.8.0 (the version upstream used; 7.13+ crash on this spec) and
# runs tests/clients/engine_python_client.py against a real leadsim binary.
# Installs what it needs (a JRE, the generator from PyPI) into target/.
set -euo pipefail
cd "$(dirname "$0")/../.."

work=target/engine-python-client
mkdir -p "$work"
if ! command -v java >/dev/null 2>&1; then
  echo "== installing a Java runtime for OpenAPI Generator"
  (apt-get update -qq && apt-get install -y -qq default-jre-headless >/dev/null)
fi
if [[ ! -x $work/venv/bin/python ]]; then
  python3 -m venv "$work/venv"
fi
py=$work/venv/bin/python
"$py" -m pip install -q --disable-pip-version-check openapi-generator-cli==7.8.0
rm -rf "$work/client"
"$work/venv/bin/openapi-generator-cli" generate -g python -i tests/vendor/engine-openapi.json \
  -o "$work/client" --package-name engine_client >"$work/generate.log" 2>&1 \
  || { tail -20 "$work/generate.log"; exit 1; }
"$py" -m pip install -q --disable-pip-version-check "$work/client"

cargo build -q --bin leadsim
log=$work/leadsim.log
./target/debug/leadsim --listen 127.0.0.1:0 --now 2020-01-10T08:15:00Z >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
address=""
for _ in $(seq 1 100); do
  address=$(grep -o 'listening on http://[0-9.:]*' "$log" | sed 's/listening on //' || true)
  [[ -n $address ]] && break
  sleep 0.1
done
[[ -n $address ]] || { cat "$log"; echo "leadsim did not start"; exit 1; }
"$py" tests/clients/engine_python_client.py "$address"
