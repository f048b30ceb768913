#!/usr/bin/env bash
# Engine's Offer Searches (what the offer carousel calls) on the release
# binary, loopback only: creating a search (POST /offerSearches, a new lead
# each request) and polling one (GET /offerSearches/{uuid}), each against
# bare axum sending the bytes leadsim answered, alternating the servers
# round by round; then the store filled past its bound, to show the memory
# stored searches settle at. Servers on CPU 0, wrk on CPU 1.
#
#   bench/offer_searches.sh [DUR_SECONDS] [ROUNDS]   (needs wrk, curl, python3, taskset)
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-5}
ROUNDS=${2:-3}
CONNS=32
LS=127.0.0.1:18085
BL=127.0.0.1:18086
cargo build -q --release --bin leadsim --example baseline
source bench/lib.sh

taskset -c 0 ./target/release/leadsim --listen $LS --now 2026-03-02T10:00:00Z --journal-capacity 1000 >"$work/leadsim.log" 2>&1 &
pids+=($!); LEADSIM_PID=$!
wait_healthy $LS
RSS_START=$(rss $LEADSIM_PID)
AUTH=(-H 'Authorization: Bearer demo-publishable-token' -H 'Api-Version: 2026-02-25' -H 'Content-Type: application/json')
curl -s -X POST "http://$LS/offerSearches" "${AUTH[@]}" -o "$work/search_created.json" \
  -d '{"productTypes":["EarnedWageAccess","CashAdvance"],"clientTags":{"subid":["s1"]},"personalInformation":{"state":"TX"}}'
SEARCH=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["uuid"])' "$work/search_created.json")
for _ in 1 2 3; do curl -s "http://$LS/offerSearches/$SEARCH" "${AUTH[@]}" -o "$work/search_polled.json"; done
printf 'wrk.headers["Authorization"] = "Bearer demo-publishable-token"\nwrk.headers["Api-Version"] = "2026-02-25"\n' > "$work/poll.lua"
taskset -c 0 ./target/release/examples/baseline $BL "$work" >"$work/baseline.log" 2>&1 &
pids+=($!); BASELINE_PID=$!
wait_healthy $BL

: > "$work/rows"
for round in $(seq 1 "$ROUNDS"); do
  for route in create poll; do
    for server in $BL $LS; do
      if [[ $route == create ]]; then
        out=$(taskset -c 1 wrk -t1 -c$CONNS -d"${DUR}s" --latency -s bench/offer_searches.lua "http://$server/offerSearches")
      else
        out=$(taskset -c 1 wrk -t1 -c$CONNS -d"${DUR}s" --latency -s "$work/poll.lua" "http://$server/offerSearches/$SEARCH")
      fi
      non2xx=$(awk '/Non-2xx/{print $NF}' <<<"$out")
      [[ -n $non2xx ]] && echo "!! $route on $server: $non2xx non-2xx responses"
      echo "$route $server $(awk '/^Requests\/sec:/{print $2}' <<<"$out") $(awk '$1=="50%"{print $2}' <<<"$out") $(awk '$1=="99%"{print $2}' <<<"$out")" >> "$work/rows"
    done
  done
done
RSS_LOADED=$(rss $LEADSIM_PID)
read -r LEADS BYTES < <(curl -s "http://$LS/__admin/engine/leads" | python3 -c 'import json,sys; d = json.load(sys.stdin); print(d["count"], d["storeBytes"]["leads"])')
echo "leadsim $(git describe --always --dirty 2>/dev/null || echo '?'), $(nproc) cores; DUR=${DUR}s ROUNDS=$ROUNDS connections=$CONNS; medians"
python3 - "$work/rows" "$LS" "$BL" <<'PY'
import statistics, sys
rows, ls, bl = sys.argv[1:]
def ms(x):
    return float(x[:-2]) if x.endswith("ms") else float(x[:-2]) / 1000 if x.endswith("us") else float(x[:-1]) * 1000
data = {}
for line in open(rows):
    route, server, rps, p50, p99 = line.split()
    data.setdefault((route, server), []).append((float(rps), ms(p50), ms(p99)))
for route in ("create", "poll"):
    l, b = data[(route, ls)], data[(route, bl)]
    med = lambda d, i: statistics.median(x[i] for x in d)
    ratios = [x[0] / y[0] for x, y in zip(l, b)]
    print(f"offer search {route}: leadsim {med(l, 0):.0f} req/s (p50 {med(l, 1):.2f} ms, p99 {med(l, 2):.2f} ms); "
          f"bare axum {med(b, 0):.0f} req/s; ratio {statistics.median(ratios):.2f}x (rounds {min(ratios):.2f}-{max(ratios):.2f})")
PY
echo "leads with searches stored: $LEADS ($BYTES bytes by the store's weight; bound 20,000 leads, 100 MiB); RSS ${RSS_START} MB at start, ${RSS_LOADED} MB after"
