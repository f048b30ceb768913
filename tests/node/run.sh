#!/usr/bin/env bash
# The Node helper (clients/node): its build, its own tests against the real
# binary, the Jest and Vitest examples docs/node.md shows, and Engine's
# published offer carousel run against leadsim (docs/engine.md). Installs
# Node and npm from Debian's packages when the machine has none.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
echo "node $(node --version), npm $(npm --version)"

cargo build -q --bin leadsim
# Servers that run already (another step's) are not this step's business.
before=$(pgrep -x leadsim | sort || true)
export LEADSIM_BIN=$PWD/target/debug/leadsim
unset LEADSIM_URL LEADSIM_ADMIN_TOKEN LEADSIM_BINARY

cd clients/node
npm ci --no-audit --no-fund --loglevel=error
npm run -s build
echo "== the helper's own tests"
npm test
echo "== the Jest example (docs/node.md)"
(cd examples/jest && npm ci --no-audit --no-fund --loglevel=error && npx jest --ci)
echo "== the Vitest example"
(cd examples/vitest && npm ci --no-audit --no-fund --loglevel=error && npx vitest run)
echo "== Engine's published offer carousel (npm, unchanged) against leadsim (docs/engine.md)"
(cd examples/carousel && npm ci --no-audit --no-fund --loglevel=error && npx jest --ci --silent)
# Every server the tests started is gone.
left=$(comm -13 <(echo "$before") <(pgrep -x leadsim | sort || true))
if [[ -n $left ]]; then
  echo "leadsim processes outlived the tests: $left" >&2
  exit 1
fi
