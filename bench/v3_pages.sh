#!/usr/bin/env bash
# Engine Supply Analytics v3 pages on the release binary, loopback only:
#
# 1. a walk from the start of history to now (--now 2026-11-28, about 80
#    full 40,000-record pages of leadEvents), every page cold: server-side
#    latency from leadsim's journal, RSS after every page. leadsim has
#    every core here (a cold page renders in parallel);
# 2. one cached page under load (wrk, DUR seconds) against a bare axum
#    server (examples/baseline.rs) sending the same bytes, alternated
#    ROUNDS times; servers pinned to CPU 0 (leadsim from here on), wrk to
#    CPU 1.
#
#   bench/v3_pages.sh [DUR_SECONDS] [ROUNDS]     (needs wrk, curl, python3, taskset)
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-10}
ROUNDS=${2:-3}
LS=127.0.0.1:18080
BL=127.0.0.1:18081
source bench/lib.sh
needs wrk curl python3 taskset
cargo build -q --release --bin leadsim --example baseline

./target/release/leadsim --listen $LS --now 2026-11-28T00:00:00Z >"$work/leadsim.log" 2>&1 &
pids+=($!)
leadsim_pid=$!
wait_healthy $LS

python3 - "$leadsim_pid" "http://$LS" "$work/v3_page.json" <<'PY'
import json, statistics, sys, urllib.request
pid, base, page_file = sys.argv[1:]
HEADERS = {"Authorization": "Bearer demo-confidential-token", "API-Version": "2025-04-01"}

def rss_mb():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

def get(url, headers=None):
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {})) as r:
        return r.read()

url = f"{base}/supplyAnalytics/leadEvents"
rss, records, pages, first = [rss_mb()], 0, 0, None
while True:
    body = get(url, HEADERS)
    page = json.loads(body)
    if first is None:
        first = body
    records += len(page["data"])
    pages += 1
    rss.append(rss_mb())
    url = page["nextUrl"]
    if not page["shouldContinuePolling"]:
        break
listing = json.loads(get(f"{base}/__admin/requests?limit=1000&path=/supplyAnalytics"))
latencies = sorted(r["latencyMs"] for r in listing["requests"])
open(page_file, "wb").write(first)
print(f"walk from the start of history: {pages} pages, {records} records, {len(first) / 1e6:.1f} MB a full page")
print(f"cold page, server-side: median {statistics.median(latencies):.1f} ms, "
      f"p90 {latencies[int(len(latencies) * 0.9)]:.1f} ms, max {latencies[-1]:.1f} ms")
print("RSS MB: before {:.0f}, after page 1 {:.0f}, after page 10 {:.0f}, max {:.0f}, after the walk {:.0f}".format(
    rss[0], rss[1], rss[min(10, len(rss) - 1)], max(rss), rss[-1]))
PY

taskset -a -p -c 0 "$leadsim_pid" >/dev/null
taskset -c 0 ./target/release/examples/baseline $BL "$work" >/dev/null 2>&1 &
pids+=($!)
wait_healthy $BL
page_url="http://$LS/supplyAnalytics/leadEvents"
curl -s -o "$work/check.json" -H 'Authorization: Bearer demo-confidential-token' -H 'API-Version: 2025-04-01' "$page_url"
cmp -s "$work/check.json" "$work/v3_page.json" || { echo "the cached page differs from the walk's first page"; exit 1; }
load() { taskset -c 1 wrk -t1 -c4 -d"${DUR}s" "$@" | awk '/Requests\/sec/ {print $2}'; }
for round in $(seq 1 "$ROUNDS"); do
  ls_rps=$(load -H 'Authorization: Bearer demo-confidential-token' -H 'API-Version: 2025-04-01' "$page_url")
  bl_rps=$(load "http://$BL/supplyAnalytics/v3page")
  python3 -c "import sys; a, b = map(float, sys.argv[1:]); print(f'cached page, round $round: leadsim {a:.1f} req/s, bare axum {b:.1f} req/s, ratio {a / b:.2f}x')" "$ls_rps" "$bl_rps"
done
echo "RSS MB after the load: $(awk '/VmRSS/ {print $2 / 1024}' /proc/$leadsim_pid/status)"
