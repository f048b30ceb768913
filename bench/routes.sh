#!/usr/bin/env bash
# Loopback benchmark of leadsim's hot routes against a bare axum baseline
# (examples/baseline.rs) serving the same bytes, alternating the two servers
# route by route to cancel drift. Prints one row per route: req/s, p50, p99,
# the ratio to the baseline, server CPU per request, and leadsim's RSS before
# and after; then startup time, and a verdict per route against the floors
# checked in at bench/floors.tsv.
#
# Bounded: each load runs DUR seconds; every server is stopped by pid.
# Servers are pinned to CPU 0 and wrk to CPU 1, so the ratio compares server
# CPU per request rather than who wins the shared cores.
#
#   bench/routes.sh [DUR_SECONDS] [ROUNDS]       (needs wrk, curl, python3, taskset)
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-5}
ROUNDS=${2:-2}
CONNS=32
LS=127.0.0.1:18080
BL=127.0.0.1:18081
source bench/lib.sh
needs wrk curl python3 taskset
cargo build -q --release --bin leadsim --example baseline

# --- startup to healthy, five times --------------------------------------
startup=$(python3 - <<'EOF'
import socket, subprocess, time
times = []
for _ in range(5):
    t0 = time.perf_counter()
    p = subprocess.Popen(["./target/release/leadsim", "--listen", "127.0.0.1:18089"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        try:
            with socket.create_connection(("127.0.0.1", 18089), timeout=0.05) as s:
                s.sendall(b"GET /__admin/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if s.recv(12).startswith(b"HTTP/1.1 200"):
                    break
        except OSError:
            time.sleep(0.001)
    times.append((time.perf_counter() - t0) * 1000)
    p.terminate(); p.wait()
times.sort()
print(f"{times[len(times)//2]:.1f} ms (median of 5; max {times[-1]:.1f} ms)")
EOF
)

# --- leadsim, and the bodies the baseline needs ---------------------------
taskset -c 0 ./target/release/leadsim --listen $LS --fixtures bench/fixtures \
  --now 2030-01-01T00:00:00Z --journal-capacity 10000 >"$work/leadsim.log" 2>&1 &
pids+=($!); LEADSIM_PID=$!
wait_healthy $LS
RSS_START=$(rss $LEADSIM_PID)

TOKEN=$(curl -s -X POST "http://$LS/aggregation/v2/partners/authentication" \
  -H 'Finicity-App-Key: demo-app-key' -H 'Content-Type: application/json' \
  -d '{"partnerId":"demo-partner","partnerSecret":"demo-partner-secret"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
FH=(-H 'Finicity-App-Key: demo-app-key' -H "Finicity-App-Token: $TOKEN")
REPORT=$(curl -s "${FH[@]}" -H 'Content-Type: application/json' -X POST \
  "http://$LS/analytics/balance/v1/customer/1005061234" -d '{"lengthOfReport":365}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["reportId"])')
curl -s "${FH[@]}" -H 'Accept: application/json' "http://$LS/analytics/data/v1/$REPORT" -o "$work/report.json"
curl -s "${FH[@]}" -H 'Accept: application/pdf' "http://$LS/analytics/data/v1/$REPORT" -o "$work/report.pdf"
# A testing customer whose accounts were linked through Data Connect, and a
# page of its transactions (30 days, the default 25 records).
CUSTOMER=$(curl -s "${FH[@]}" -H 'Content-Type: application/json' -X POST \
  "http://$LS/aggregation/v2/customers/testing" -d '{"username":"bench-connect"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
LINK=$(curl -s "${FH[@]}" -H 'Content-Type: application/json' -X POST "http://$LS/connect/v2/generate" \
  -d "{\"partnerId\":\"demo-partner\",\"customerId\":\"$CUSTOMER\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["link"])')
curl -s -o /dev/null -X POST "http://$LS/__admin/finicity/connect/complete" -d "{\"link\":\"$LINK\"}"
TXN="/aggregation/v3/customers/$CUSTOMER/transactions?fromDate=$(( $(date -d 2030-01-01 +%s) - 30 * 86400 ))&toDate=$(date -d 2030-01-01 +%s)"
curl -s "${FH[@]}" "http://$LS$TXN" -o "$work/transactions.json"
LSQ_URL="/Leads/LeadDistribution/FilterByLeadField?accessKey=demo-access-key&secretKey=demo-secret-key"
LSQ_BODY='{"Output":{"Type":"aggregate","GroupBy":"Source","AggregateFunction":"Average,Sum,Min,Max","AggregateField":"Score"}}'
curl -s -X POST "http://$LS$LSQ_URL" -H 'Content-Type: application/json' -d "$LSQ_BODY" -o "$work/aggregate.json"
# LeadSquared v2: a generated lead read by id (through the account's
# writes), and Lead.Capture spread over 16 accounts without a rate limit
# (each keeps at most 16 MiB of writes; bench/lsq_capture.lua).
V2=/v2/LeadManagement.svc
LSQ_KEYS="accessKey=demo-access-key&secretKey=demo-secret-key"
LSQ_LEAD=$(curl -s -X POST "http://$LS$LSQ_URL" -H 'Content-Type: application/json' \
  -d '{"Output":{"Type":"list","Columns":"ProspectID"},"Paging":{"PageIndex":1,"PageSize":1}}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["Results"][0]["ProspectID"])')
LSQ_GET="$V2/Leads.GetById?$LSQ_KEYS&id=$LSQ_LEAD"
curl -s "http://$LS$LSQ_GET" -o "$work/lsq_lead.json"
# Capture's accounts are made anew before each capture run. Four of them:
# LeadSquared keeps the generated leads of four accounts at a time, and a
# fifth in rotation would measure their generation instead.
fresh_capture_accounts() { # fresh_capture_accounts ROUND
  local i
  for i in 1 2 3 4; do
    curl -s -o /dev/null -X POST "http://$LS/__admin/tenants" \
      -d "{\"family\":\"leadsquared\",\"rateLimit\":null,\"credentials\":{\"accessKey\":\"bench-lsq-$1-$i\",\"secretKey\":\"bench-lsq-secret\"}}"
  done
  # An account's first call generates its leads; not part of the measurement.
  for i in 1 2 3 4; do
    curl -s -o /dev/null -X POST "http://$LS$V2/Lead.Capture?accessKey=bench-lsq-$1-$i&secretKey=bench-lsq-secret" \
      -H 'Content-Type: application/json' -d '[{"Attribute":"EmailAddress","Value":"warm@example.com"}]'
  done
  sed "s/bench-lsq-%d/bench-lsq-$1-%d/" bench/lsq_capture.lua > "$work/lsq-capture.lua"
}
fresh_capture_accounts 0
CAPTURE="$V2/Lead.Capture?accessKey=bench-lsq-0-1&secretKey=bench-lsq-secret"
LSQ_PERSON='[{"Attribute":"FirstName","Value":"Bench"},{"Attribute":"EmailAddress","Value":"bench-0@example.com"}]'
for _ in 1 2; do  # the second answers as a repeat capture does (IsCreated false)
  curl -s -X POST "http://$LS$CAPTURE" -H 'Content-Type: application/json' -d "$LSQ_PERSON" -o "$work/lsq_capture.json"
done
# Engine Offer Searches: a search's creation, and polls of one.
OFFER_AUTH=(-H 'Authorization: Bearer demo-publishable-token' -H 'Api-Version: 2026-02-25' -H 'Content-Type: application/json')
curl -s -X POST "http://$LS/offerSearches" "${OFFER_AUTH[@]}" -o "$work/search_created.json" \
  -d '{"productTypes":["EarnedWageAccess","CashAdvance"],"clientTags":{"subid":["s1"]},"personalInformation":{"state":"TX"}}'
OFFER_SEARCH=/offerSearches/$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["uuid"])' "$work/search_created.json")
curl -s "http://$LS$OFFER_SEARCH" "${OFFER_AUTH[@]}" -o "$work/search_polled.json"
# The polled search is made again before each poll run: the create runs
# fill the lead store (20,000 leads), which lets the oldest go.
fresh_offer_search() {
  curl -s -X POST "http://$LS/offerSearches" "${OFFER_AUTH[@]}" \
    -d '{"productTypes":["EarnedWageAccess","CashAdvance"],"clientTags":{"subid":["s1"]},"personalInformation":{"state":"TX"}}' \
    | python3 -c 'import json,sys; print("/offerSearches/" + json.load(sys.stdin)["uuid"])'
}
# What a route's run needs, made outside the measured window.
prepare() { # prepare ROUTE ROUND
  case $1 in
    # The capture accounts' leads displaced the demo account's: generate them again,
    # and for get-by-id the lookup indexes too (its runs otherwise measured
    # building them once: a p99 of 260-310 ms).
    lsq-aggregate) curl -s -o /dev/null -X POST "http://$LS$LSQ_URL" -H 'Content-Type: application/json' -d "$LSQ_BODY" ;;
    lsq-get-by-id) curl -s -o /dev/null "http://$LS$LSQ_GET" ;;
    lsq-capture) fresh_capture_accounts "$2" ;;
    offer-search-poll) OFFER_SEARCH=$(fresh_offer_search) ;;
  esac
}

# The bytes leadsim answers on the other routes, so the baseline sends the
# same (a ratio over different bodies measures the bodies, not the server):
# the cached window, a posted display, and a search over events posted
# first (the search's body then grows little: 10 recordings a page).
curl -s -H 'Authorization: Bearer demo-confidential-token' \
  "http://$LS/supplyAnalytics/leadEvents?timestamp=2020-02-10T00:00:00Z" -o "$work/events.json"
curl -s -X POST "http://$LS/uiEvent/offerDisplays" -H 'Content-Type: application/json' \
  -H 'Authorization: Bearer demo-publishable-token' -o "$work/display.json" \
  -d '{"leadUuid":"f914eb07-a64f-51d8-b882-ff508a8c5c81","rateTableUuid":"952a1184-d369-5958-9a0f-bec903e11c48","offerUuid":"3426f971-1aa5-5cb0-91a9-cf2edcfa5dfa"}'
taskset -c 1 wrk -t1 -c8 -d2s -s bench/post_lead_analytics.lua "http://$LS/api/v1/lead_analytics" >/dev/null
curl -s -X POST "http://$LS/api/v1/lead_analytics" -H 'Content-Type: application/json' -o "$work/da_post.json" \
  -d '{"customer_id":"bench","lead_id":"lead-1","user_id":"u1","tool_signature":"vfp","recording_id":"r1","event_type":"view","event_id":"e0","message":"m","javascript_local_time":"t","version_info":{"key":"value"}}'
curl -s "http://$LS/api/v1/lead_analytics/search?customer_id=bench&user_id=u1&lead_id=lead-1&recording_id=r1&recording_id=r2&pageSize=10" \
  -o "$work/da_search.json"

taskset -c 0 ./target/release/examples/baseline $BL "$work" >"$work/baseline.log" 2>&1 &
pids+=($!); BASELINE_PID=$!
wait_healthy $BL

# --- wrk scripts ----------------------------------------------------------
lua() { # lua NAME METHOD BODY HEADER...
  local name=$1 method=$2 body=$3; shift 3
  { echo "wrk.method = \"$method\""
    [[ -n $body ]] && printf 'wrk.body = [[%s]]\n' "$body"
    for h in "$@"; do echo "wrk.headers[\"${h%%:*}\"] = \"${h#*: }\""; done
  } > "$work/$name.lua"
}
lua pixel GET ''
lua post-display POST '{"leadUuid":"f914eb07-a64f-51d8-b882-ff508a8c5c81","rateTableUuid":"952a1184-d369-5958-9a0f-bec903e11c48","offerUuid":"3426f971-1aa5-5cb0-91a9-cf2edcfa5dfa"}' \
  'Content-Type: application/json' 'Authorization: Bearer demo-publishable-token'
lua events GET '' 'Authorization: Bearer demo-confidential-token'
cp bench/post_lead_analytics.lua "$work/da-post.lua"   # events spread over 1,000 leads
lua da-search GET ''
lua report-json GET '' 'Finicity-App-Key: demo-app-key' "Finicity-App-Token: $TOKEN" 'Accept: application/json'
lua report-pdf GET '' 'Finicity-App-Key: demo-app-key' "Finicity-App-Token: $TOKEN" 'Accept: application/pdf'
lua lsq-aggregate POST "$LSQ_BODY" 'Content-Type: application/json'
lua transactions GET '' 'Finicity-App-Key: demo-app-key' "Finicity-App-Token: $TOKEN"
lua lsq-get GET ''
cp bench/offer_searches.lua "$work/offer-create.lua"   # a new lead each time, as the carousel sends
lua offer-poll GET '' 'Authorization: Bearer demo-publishable-token' 'Api-Version: 2026-02-25'
# Every request a window nobody asked for: 13 days of funnels generated each time.
cat > "$work/events-cold.lua" <<'EOF'
wrk.headers["Authorization"] = "Bearer demo-confidential-token"
local n = 0
request = function()
  -- 30 days apart, so no two requests share a generated hour; 600 windows
  -- from 1980, then round again (by then the hour cache has long moved on).
  n = n % 600 + 1
  local t = 315532800 + n * 30 * 86400 + (n % 24) * 3600
  return wrk.format(nil, "/supplyAnalytics/leadEvents?timestamp=" .. os.date("!%Y-%m-%dT%H:00:00Z", t))
end
EOF

LEAD=f914eb07-a64f-51d8-b882-ff508a8c5c81
PIXEL=/uiEvent/offerDisplays/$LEAD/952a1184-d369-5958-9a0f-bec903e11c48/3426f971-1aa5-5cb0-91a9-cf2edcfa5dfa/pixel.gif
SEARCH="/api/v1/lead_analytics/search?customer_id=bench&user_id=u1&lead_id=lead-1&recording_id=r1&recording_id=r2&pageSize=10"
# A window of the default company's generated traffic, rendered once then cached.
CACHED="/supplyAnalytics/leadEvents?timestamp=2020-02-10T00:00:00Z"
curl -s -o /dev/null -H 'Authorization: Bearer demo-confidential-token' "http://$LS$CACHED"

: > "$work/rows"
# Lead.Capture runs at most CAPTURE_DUR seconds: every capture adds an
# activity, and at about 77,000 captures a second (a fast host) its four
# accounts' 16 MiB of writes each fill in about 3 s; a longer run would
# measure the refusals that follow.
CAPTURE_DUR=$(( DUR < 2 ? DUR : 2 ))
run() { # run ROUTE SERVER PID PATH LUA [CONNS]
  local route=$1 server=$2 pid=$3 path=$4 script=$5 conns=${6:-$CONNS} out before after n dur=$DUR
  [[ $route == lsq-capture ]] && dur=$CAPTURE_DUR
  before=$(cpu_ticks "$pid")
  out=$(taskset -c 1 wrk -t1 -c"$conns" -d"${dur}s" --latency -s "$work/$script.lua" "http://$server$path")
  after=$(cpu_ticks "$pid")
  n=$(awk '/requests in/{print $1}' <<<"$out")
  local non2xx; non2xx=$(awk '/Non-2xx/{print $NF}' <<<"$out")
  if [[ -n $non2xx ]]; then echo "!! $route on $server: $non2xx non-2xx responses"; fi
  echo "$route $server $(awk '/^Requests\/sec:/{print $2}' <<<"$out") $(awk '$1=="50%"{print $2}' <<<"$out") $(awk '$1=="99%"{print $2}' <<<"$out") $n $((after - before))" >> "$work/rows"
}
CLK=$(getconf CLK_TCK)
for round in $(seq 1 "$ROUNDS"); do
  for spec in "pixel $PIXEL pixel" "post-offerDisplays /uiEvent/offerDisplays post-display" \
              "leadEvents-cached $CACHED events" "da-post /api/v1/lead_analytics da-post" \
              "da-search $SEARCH da-search" "report-json /analytics/data/v1/$REPORT report-json" \
              "report-pdf /analytics/data/v1/$REPORT report-pdf" "lsq-aggregate $LSQ_URL lsq-aggregate" \
              "finicity-transactions $TXN transactions" "lsq-get-by-id $LSQ_GET lsq-get" \
              "lsq-capture $V2/Lead.Capture lsq-capture" "offer-search-create /offerSearches offer-create" \
              "offer-search-poll - offer-poll"; do
    read -r route path script <<<"$spec"
    prepare "$route" "$round"
    [[ $route == offer-search-poll ]] && path=$OFFER_SEARCH
    run "$route" $BL $BASELINE_PID "$path" "$script"
    run "$route" $LS $LEADSIM_PID "$path" "$script"
  done
done
# Cold windows are seconds of CPU each batch; one connection, leadsim only.
run leadEvents-cold $LS $LEADSIM_PID / events-cold 1
RSS_END=$(rss $LEADSIM_PID)

echo "leadsim $(git describe --always --dirty 2>/dev/null || echo '?'), $(nproc) cores, $(awk -F: '/model name/{print $2; exit}' /proc/cpuinfo | sed 's/^ *//')"
echo "DUR=${DUR}s (lsq-capture: ${CAPTURE_DUR}s) ROUNDS=$ROUNDS connections=$CONNS (cold: 1); medians over rounds"
python3 - "$work/rows" "$LS" "$BL" "$CLK" bench/floors.tsv <<'EOF'
import statistics, sys
rows, ls, bl, clk, floors_file = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
floors = {}
for line in open(floors_file):
    if line.strip() and not line.startswith("#"):
        route, floor, _ = line.split("\t")
        floors[route] = float(floor)
def ms(x):
    return float(x[:-2]) if x.endswith("ms") else float(x[:-2]) / 1000 if x.endswith("us") else float(x[:-1]) * 1000
data = {}
for line in open(rows):
    route, server, rps, p50, p99, n, ticks = line.split()
    data.setdefault((route, server), []).append((float(rps), ms(p50), ms(p99), int(n), int(ticks)))
print(f"{'route':20} {'leadsim req/s':>13} {'p50 ms':>7} {'p99 ms':>7} {'baseline req/s':>14} {'ratio':>6} {'CPU µs/req':>10} {'base µs/req':>11}")
for route in dict.fromkeys(r for r, _ in data):
    med = lambda xs, i: statistics.median(x[i] for x in xs)
    l = data[(route, ls)]
    cpu = lambda xs: sum(x[4] for x in xs) / clk / max(1, sum(x[3] for x in xs)) * 1e6
    b = data.get((route, bl))
    base = f"{med(b, 0):14.0f} {med(l, 0) / med(b, 0):5.2f}x" if b else f"{'-':>14} {'-':>6}"
    bcpu = f"{cpu(b):11.1f}" if b else f"{'-':>11}"
    print(f"{route:20} {med(l, 0):13.0f} {med(l, 1):7.2f} {med(l, 2):7.2f} {base} {cpu(l):10.1f} {bcpu}")
# The verdict: each round's ratio (rows alternate baseline, leadsim), their
# median against the checked-in floor, with the rounds' spread as noise.
below = []
for route, floor in floors.items():
    l, b = data.get((route, ls)), data.get((route, bl))
    if not l or not b:
        continue
    ratios = [x[0] / y[0] for x, y in zip(l, b) if y[0] > 0]
    ratio = statistics.median(ratios)
    noise = max(0.03, max(ratios) - min(ratios))
    verdict = "ok" if ratio >= floor - noise else "BELOW FLOOR"
    if verdict != "ok":
        below.append(route)
    print(f"verdict {route:20} {ratio:5.2f}x (rounds {min(ratios):.2f}-{max(ratios):.2f}) floor {floor:.2f}: {verdict}")
print("verdict: " + ("every route at or above its floor" if not below else "below floor: " + ", ".join(below)))
EOF
echo "leadsim RSS: ${RSS_START} MB at start, ${RSS_END} MB after"
echo "startup to healthy: $startup"
