#!/usr/bin/env bash
# The vendor's Connect Web SDK (npm, unchanged) in headless Chromium against
# leadsim's Connect page (docs/finicity.md, "The Web SDK in a frontend
# test"). Installs Node, npm, Chromium and its driver from Debian's packages
# when missing; the SDK, Selenium and esbuild come from the npm registry.
set -euo pipefail
cd "$(dirname "$0")"

missing=()
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
if ((${#missing[@]})); then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
echo "node $(node --version), $(chromium --version)"

(cd ../.. && cargo build -q --bin leadsim)
npm ci --no-audit --no-fund --loglevel=error
# The app's frontend, bundled as an integrator's build would.
npx esbuild app.js --bundle --format=iife --outfile=dist/bundle.js --log-level=warning
timeout 300 node run.mjs "$PWD/../../target/debug/leadsim"
