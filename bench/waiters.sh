#!/usr/bin/env bash
# What journal long-poll waiters cost the hot routes: pixel throughput with
# 0, 1 and 5 clients parked on `GET /__admin/requests?wait=` (a filter that
# never matches, so they wait the whole run), and the server's CPU time per
# request, which the shared host's noise moves far less than req/s.
# leadsim is pinned to CPU 0 and wrk to CPU 1. Bounded: each load runs DUR seconds; the server is stopped by pid.
#
#   bench/waiters.sh [DUR_SECONDS]        (needs wrk, curl, taskset)
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-5}
LS=127.0.0.1:18090
for tool in wrk curl taskset; do
  command -v $tool >/dev/null || { echo "needs $tool (apt-get install wrk curl util-linux)"; exit 2; }
done
cargo build -q --release --bin leadsim
PIXEL=/uiEvent/offerDisplays/5dc1ca46-a54e-4b7c-a9a6-a3e6e5e3a0a1/6f9e7a3b-2f4c-4d5e-8f6a-7b8c9d0e1f2a/7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d/pixel.gif

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
taskset -c 0 ./target/release/leadsim --listen $LS 2>/dev/null & pids+=($!)
for _ in $(seq 1 200); do curl -s -o /dev/null "http://$LS/__admin/health" && break; sleep 0.02; done

server=${pids[0]}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }
tick_us=$((1000000 / $(getconf CLK_TCK)))
printf '%-8s %12s %10s %16s %10s\n' waiters req/s ratio "server us/req" ratio
base=""
base_cpu=""
for waiters in ${WAITERS:-0 1 5 0}; do
  waiting=()
  for _ in $(seq 1 "$waiters"); do
    curl -s -o /dev/null --max-time $((DUR + 10)) \
      "http://$LS/__admin/requests?path=/never&wait=$((DUR + 5))" & waiting+=($!)
  done
  sleep 0.3
  before=$(cpu_ticks)
  out=$(taskset -c 1 wrk -t1 -c32 -d"${DUR}s" "http://$LS$PIXEL")
  after=$(cpu_ticks)
  for p in "${waiting[@]}"; do kill "$p" 2>/dev/null || true; done
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  total=$(awk '/requests in/ {print $1}' <<<"$out")
  cpu=$(awk -v t=$((after - before)) -v us="$tick_us" -v n="$total" 'BEGIN {printf "%.2f", t * us / n}')
  base=${base:-$rps}
  base_cpu=${base_cpu:-$cpu}
  printf '%-8s %12s %10s %16s %10s\n' "$waiters" "$rps" \
    "$(awk -v a="$rps" -v b="$base" 'BEGIN {printf "%.2f", a/b}')" "$cpu" \
    "$(awk -v a="$cpu" -v b="$base_cpu" 'BEGIN {printf "%.2f", a/b}')"
done
