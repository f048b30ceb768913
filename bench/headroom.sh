#!/usr/bin/env bash
# How much CPU a route may spend beyond bare axum and still keep a ratio,
# on the host at hand, and how much each route's own work takes.
#
# 1. The budget, measured over loopback: bare axum (examples/baseline.rs)
#    with BASELINE_SPIN_NS set spins that long on every request before
#    answering the same bytes. Its req/s against the baseline without the
#    spin, for a few spins, gives the spin at which the ratio falls to 0.8
#    (and to 0.5): the whole of what a server may add to that route's
#    request. Three answers: the pixel (a GET, 43 bytes), a LeadSquared
#    capture (a small POST) and an Offer Search creation (a POST answered
#    with 6 KB). The ratio falls faster than the spin alone explains where
#    a slower server leaves wrk idle, and waking it costs the server's CPU.
# 2. The routes' own work, in process (benches/hot_paths.rs, no sockets,
#    medians): each route's time beyond bare axum's in the same harness
#    (the pixel for GETs, a JSON POST for POSTs). Over a socket a route
#    also pays for the connection layer and colder caches, so this is the
#    least it adds.
#
# Servers on CPU 0, wrk on CPU 1, as in bench/routes.sh; every server is
# stopped by pid.
#
#   bench/headroom.sh [DUR_SECONDS] [ROUNDS]     (needs wrk, curl, python3, taskset)
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-3}
ROUNDS=${2:-2}
SPINS=(0 250 500 1000 2000 4000 8000)
LS=127.0.0.1:18080
BL=127.0.0.1:18081
source bench/lib.sh
needs wrk curl python3 taskset
cargo build -q --release --bin leadsim --example baseline

# The bytes leadsim answers a capture and an Offer Search creation with,
# for the baseline to send.
./target/release/leadsim --listen $LS --fixtures bench/fixtures --now 2030-01-01T00:00:00Z >"$work/leadsim.log" 2>&1 &
pids+=($!); LEADSIM_PID=$!
wait_healthy $LS
curl -s -X POST "http://$LS/offerSearches" -H 'Authorization: Bearer demo-publishable-token' \
  -H 'Api-Version: 2026-02-25' -H 'Content-Type: application/json' -o "$work/search_created.json" \
  -d '{"productTypes":["EarnedWageAccess","CashAdvance"],"clientTags":{"subid":["s1"]},"personalInformation":{"state":"TX"}}'
for _ in 1 2; do  # the second answers as a repeat capture does
  curl -s -X POST "http://$LS/v2/LeadManagement.svc/Lead.Capture?accessKey=demo-access-key&secretKey=demo-secret-key" \
    -H 'Content-Type: application/json' -o "$work/lsq_capture.json" \
    -d '[{"Attribute":"FirstName","Value":"Bench"},{"Attribute":"EmailAddress","Value":"bench-0@example.com"}]'
done
kill $LEADSIM_PID

echo 'wrk.method = "GET"' > "$work/get.lua"
PIXEL=/uiEvent/offerDisplays/f914eb07-a64f-51d8-b882-ff508a8c5c81/952a1184-d369-5958-9a0f-bec903e11c48/3426f971-1aa5-5cb0-91a9-cf2edcfa5dfa/pixel.gif
: > "$work/rows"
measure() { # measure ROUTE SPIN PATH LUA: one run of the baseline
  local route=$1 spin=$2 before after out n
  if [[ $spin == none ]]; then
    taskset -c 0 ./target/release/examples/baseline $BL "$work" >/dev/null 2>&1 &
  else
    BASELINE_SPIN_NS=$spin taskset -c 0 ./target/release/examples/baseline $BL "$work" >/dev/null 2>&1 &
  fi
  local pid=$!
  pids+=($pid)
  wait_healthy $BL
  taskset -c 1 wrk -t1 -c32 -d1s -s "$4" "http://$BL$3" >/dev/null  # warm
  before=$(cpu_ticks $pid)
  out=$(taskset -c 1 wrk -t1 -c32 -d"${DUR}s" -s "$4" "http://$BL$3")
  after=$(cpu_ticks $pid)
  kill $pid; wait $pid 2>/dev/null || true
  n=$(awk '/requests in/{print $1}' <<<"$out")
  echo "$route $spin $(awk '/^Requests\/sec:/{print $2}' <<<"$out") $n $((after - before))" >> "$work/rows"
}
for round in $(seq 1 "$ROUNDS"); do
  for spec in "pixel $PIXEL $work/get.lua" \
              "lsq-capture /v2/LeadManagement.svc/Lead.Capture bench/lsq_capture.lua" \
              "offer-search-create /offerSearches bench/offer_searches.lua"; do
    read -r route path script <<<"$spec"
    for spin in none "${SPINS[@]}"; do measure "$route" "$spin" "$path" "$script"; done
  done
done

taskset -c 0 cargo bench -q --bench hot_paths -- route_ > "$work/in_process" 2>&1

echo "leadsim $(git describe --always --dirty 2>/dev/null || echo '?'), $(nproc) cores, $(awk -F: '/model name/{print $2; exit}' /proc/cpuinfo | sed 's/^ *//')"
echo "DUR=${DUR}s ROUNDS=$ROUNDS connections=32; medians over rounds"
python3 - "$work/rows" "$(getconf CLK_TCK)" "$work/in_process" <<'EOF'
import re, statistics, sys
rows, clk, in_process = sys.argv[1], int(sys.argv[2]), sys.argv[3]
runs = {}
for line in open(rows):
    route, spin, rps, n, ticks = line.split()
    runs.setdefault((route, spin), []).append((float(rps), int(n), int(ticks)))
routes = list(dict.fromkeys(r for r, _ in runs))

def budget(curve, target):
    """The spin (ns) at which the ratio falls to target, by linear interpolation."""
    for (s0, r0), (s1, r1) in zip(curve, curve[1:]):
        if r0 >= target >= r1:
            return s0 + (s1 - s0) * (r0 - target) / (r0 - r1) if r0 != r1 else s0
    return None

print("\n1. Bare axum spinning on every request (ratio to bare axum without the spin)")
print(f"{'route':20} {'spin ns':>8} {'req/s':>9} {'ratio':>6} {'CPU µs/req':>10}")
budgets = {}
for route in routes:
    bare = statistics.median(x[0] for x in runs[(route, "none")])
    curve = []
    for (r, spin), xs in runs.items():
        if r != route:
            continue
        rps = statistics.median(x[0] for x in xs)
        cpu = sum(x[2] for x in xs) / clk / max(1, sum(x[1] for x in xs)) * 1e6
        print(f"{route:20} {spin:>8} {rps:9.0f} {rps / bare:6.2f} {cpu:10.2f}")
        if spin != "none":
            curve.append((int(spin), rps / bare))
    curve.sort()
    budgets[route] = (budget(curve, 0.8), budget(curve, 0.5))
print(f"\n{'route':20} {'budget for 0.8x':>16} {'budget for 0.5x':>16}")
fmt = lambda ns: f"{ns / 1000:13.2f} µs" if ns is not None else f"{'beyond range':>16}"
for route, (b8, b5) in budgets.items():
    print(f"{route:20} {fmt(b8)} {fmt(b5)}")

def micros(text):
    value, unit = text.split()
    return float(value) * {"ns": 1e-3, "µs": 1.0, "ms": 1e3, "s": 1e6}[unit]
median = {}
for line in open(in_process):
    m = re.match(r"\W*(route_\w+)\s+(.*)", line)
    if m:
        columns = [c.strip() for c in m.group(2).split("│")]
        median[m.group(1)] = micros(columns[2])
# Which bare reference and which budget each in-process route is held to.
held = {
    "route_pixel": ("route_pixel_bare_axum", "pixel", 0),
    "route_lsq_get_by_id": ("route_pixel_bare_axum", "pixel", 0),
    "route_offer_display": ("route_post_bare_axum", "lsq-capture", 0),
    "route_data_analytics_post": ("route_post_bare_axum", "lsq-capture", 0),
    "route_lsq_capture": ("route_post_bare_axum", "lsq-capture", 0),
    "route_offer_search_create": ("route_post_bare_axum", "offer-search-create", 0),
    "route_submit_lead": ("route_post_bare_axum", "offer-search-create", 1),
}
print("\n2. Each route's own work in process (median), against its budget over loopback")
print(f"{'bench':28} {'median µs':>9} {'bare µs':>8} {'own work µs':>11} {'target':>6} {'budget µs':>9}  verdict")
for bench, (bare, route, which) in held.items():
    if bench not in median or bare not in median or route not in budgets:
        continue
    own = median[bench] - median[bare]
    b = budgets[route][which]
    target = "0.5x" if which else "0.8x"
    if b is None:
        verdict = "no budget measured"
    elif own <= b / 1000:
        verdict = "within"
    else:
        verdict = f"over by {own - b / 1000:.2f} µs ({own / (b / 1000):.1f}x the budget)"
    bs = f"{b / 1000:9.2f}" if b is not None else f"{'-':>9}"
    print(f"{bench:28} {median[bench]:9.2f} {median[bare]:8.2f} {own:11.2f} {target:>6} {bs}  {verdict}")
EOF
