#!/usr/bin/env bash
# Soak: one million pixel hits, then a month-long (and a three-month)
# leadEvents cursor walk, with leadsim's RSS sampled before, every second
# during, and after. Loopback only; the server is stopped by pid.
#   bench/soak.sh [PIXEL_HITS]          (needs wrk, curl, python3)
set -euo pipefail
cd "$(dirname "$0")/.."
HITS=${1:-1000000}
ADDR=127.0.0.1:18082
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 2; }
cargo build -q --release --bin leadsim
work=$(mktemp -d)
./target/release/leadsim --listen $ADDR --now 2020-06-01T00:00:00Z >"$work/leadsim.log" 2>&1 &
PID=$!
sampler=
trap 'kill $PID $sampler 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 200); do curl -s -o /dev/null "http://$ADDR/__admin/health" && break; sleep 0.02; done
rss() { awk '/^VmRSS:/{printf "%.1f", $2/1024}' "/proc/$PID/status"; }

echo "RSS at start: $(rss) MB"
(while sleep 1; do rss >> "$work/samples"; echo >> "$work/samples"; done) &
sampler=$!
LEAD=f914eb07-a64f-51d8-b882-ff508a8c5c81
PIXEL=/uiEvent/offerDisplays/$LEAD/952a1184-d369-5958-9a0f-bec903e11c48/3426f971-1aa5-5cb0-91a9-cf2edcfa5dfa/pixel.gif
# wrk cannot stop at a request count, so it runs in 5-second slices until
# the hits add up.
total=0
started=$(date +%s)
while (( total < HITS )); do
  n=$(wrk -t1 -c32 -d5s "http://$ADDR$PIXEL" | awk '/requests in/{print $1}')
  total=$((total + n))
done
echo "$total pixel hits in $(( $(date +%s) - started )) s"
kill $sampler; sampler=
echo "RSS each second during the pixel run (MB): $(tr '\n' ' ' < "$work/samples" | tr -s ' ')"
echo "RSS after ${HITS} pixel hits: $(rss) MB"
curl -s "http://$ADDR/__admin/engine/offerDisplays?leadUuid=00000000-0000-0000-0000-000000000000" \
  | python3 -c 'import json,sys; d=json.load(sys.stdin); print("displays kept: capacity", d["capacity"], "dropped", d["dropped"])'
python3 bench/month_walk.py "$PID" "http://$ADDR"
echo "RSS at the end: $(rss) MB"
