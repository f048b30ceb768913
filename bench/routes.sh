#!/usr/bin/env bash
# Loopback benchmark of leadsim's hot routes against a bare axum baseline
# serving the same bytes, alternating the two servers to cancel drift.
# Bounded: each load runs DUR seconds; both servers are stopped by pid.
# Servers are pinned to CPU 0 and wrk to CPU 1, so the ratio compares
# server CPU per request rather than who wins the shared cores.
#   bench/routes.sh [DUR_SECONDS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-5}
ROUNDS=${2:-2}
CONNS=32
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 2; }
cargo build -q --release --bin leadsim --example baseline

LEAD=f914eb07-a64f-51d8-b882-ff508a8c5c81
PIXEL=/uiEvent/offerDisplays/$LEAD/952a1184-d369-5958-9a0f-bec903e11c48/3426f971-1aa5-5cb0-91a9-cf2edcfa5dfa/pixel.gif
SEARCH="/api/v1/lead_analytics/search?customer_id=bench&user_id=u1&lead_id=lead-1&recording_id=r1&recording_id=r2&pageSize=10"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

taskset -c 0 ./target/release/leadsim --listen 127.0.0.1:18080 --now 2020-03-01T00:00:00Z --journal-capacity 10000 >/tmp/bench-leadsim.log 2>&1 &
pids+=($!); LEADSIM_PID=$!
taskset -c 0 ./target/release/examples/baseline 127.0.0.1:18081 >/tmp/bench-baseline.log 2>&1 &
pids+=($!)
for port in 18080 18081; do
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.05; done
done

rss() { awk '/^VmRSS:/{printf "%.1f", $2/1024}' "/proc/$LEADSIM_PID/status"; }
cpu() { awk '{print $14+$15}' "/proc/$1/stat"; }
run() { # run LABEL PORT PATH [LUA]
  local label=$1 port=$2 path=$3 lua=${4:-} out
  if [[ -n $lua ]]; then out=$(taskset -c 1 wrk -t1 -c$CONNS -d${DUR}s --latency -s "$lua" "http://127.0.0.1:$port$path")
  else out=$(taskset -c 1 wrk -t1 -c$CONNS -d${DUR}s --latency "http://127.0.0.1:$port$path"); fi
  local rps p50 p99 non2xx
  rps=$(awk '/^Requests\/sec:/{print $2}' <<<"$out")
  p50=$(awk '$1=="50%"{print $2}' <<<"$out"); p99=$(awk '$1=="99%"{print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/{print $NF}' <<<"$out")
  printf '%-22s %-9s %10s %9s %9s %6s\n' "$label" "$port" "$rps" "$p50" "$p99" "${non2xx:-0}"
  echo "$label $port $rps" >> /tmp/bench-rows.txt
}
: > /tmp/bench-rows.txt
echo "leadsim RSS at start: $(rss) MB"
printf '%-22s %-9s %10s %9s %9s %6s\n' route port req/s p50 p99 non2xx
for round in $(seq 1 "$ROUNDS"); do
  run pixel 18081 "$PIXEL"; run pixel 18080 "$PIXEL"
  run post-offerDisplay 18081 /uiEvent/offerDisplays bench/post_display.lua
  run post-offerDisplay 18080 /uiEvent/offerDisplays bench/post_display.lua
  run leadEvents-cached 18081 "/supplyAnalytics/leadEvents?timestamp=2020-02-10T00:00:00Z" bench/auth_get.lua
  run leadEvents-cached 18080 "/supplyAnalytics/leadEvents?timestamp=2020-02-10T00:00:00Z" bench/auth_get.lua
  run da-post 18081 /api/v1/lead_analytics bench/post_lead_analytics.lua
  run da-post 18080 /api/v1/lead_analytics bench/post_lead_analytics.lua
  run da-search 18081 "$SEARCH"; run da-search 18080 "$SEARCH"
done
echo "leadsim RSS after: $(rss) MB"
echo
echo "ratios (leadsim / baseline, mean over rounds):"
awk '{sum[$1" "$2]+=$3; n[$1" "$2]++} END {
  for (k in sum) { split(k, a, " "); avg[a[1], a[2]] = sum[k]/n[k]; routes[a[1]] = 1 }
  for (r in routes) printf "  %-22s %.2fx  (%.0f vs %.0f req/s)\n", r, avg[r, "18080"]/avg[r, "18081"], avg[r, "18080"], avg[r, "18081"] }' /tmp/bench-rows.txt
