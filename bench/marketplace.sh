#!/usr/bin/env bash
# Engine's lead marketplace on the release binary, loopback only:
# submitLead (POST /leads/rateTables, a new lead each request) against bare
# axum sending a rate table leadsim produced, alternating the two servers
# round by round; then the lead store filled past its bound, to show the
# memory it settles at; and with the store full, how long a window those
# leads reach takes to read after each new submission (its company's
# batch of submitted-lead records catches up with the one new lead).
# Servers on CPU 0, wrk on CPU 1.
#
#   bench/marketplace.sh [DUR_SECONDS] [ROUNDS]     (needs wrk, curl, python3, taskset)
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-5}
ROUNDS=${2:-3}
CONNS=32
LS=127.0.0.1:18083
BL=127.0.0.1:18084
cargo build -q --release --bin leadsim --example baseline
source bench/lib.sh

taskset -c 0 ./target/release/leadsim --listen $LS --now 2026-03-02T10:00:00Z --journal-capacity 1000 >"$work/leadsim.log" 2>&1 &
pids+=($!); LEADSIM_PID=$!
wait_healthy $LS
RSS_START=$(rss $LEADSIM_PID)
curl -s -X POST "http://$LS/leads/rateTables" -H 'Content-Type: application/json' -H 'Authorization: Bearer demo-publishable-token' \
  -d '{"productTypes":["loan","savings"],"personalInformation":{"email":"b@example.com","state":"TX"},"loanInformation":{"loanAmount":12000},"creditInformation":{"providedCreditRating":"good"},"financialInformation":{"annualIncome":60000}}' \
  -o "$work/rate_table.json"
taskset -c 0 ./target/release/examples/baseline $BL "$work" >"$work/baseline.log" 2>&1 &
pids+=($!); BASELINE_PID=$!
wait_healthy $BL

: > "$work/rows"
for round in $(seq 1 "$ROUNDS"); do
  for server in $BL $LS; do
    out=$(taskset -c 1 wrk -t1 -c$CONNS -d"${DUR}s" --latency -s bench/marketplace.lua "http://$server/leads/rateTables")
    non2xx=$(awk '/Non-2xx/{print $NF}' <<<"$out")
    [[ -n $non2xx ]] && echo "!! $server: $non2xx non-2xx responses"
    echo "$server $(awk '/^Requests\/sec:/{print $2}' <<<"$out") $(awk '$1=="50%"{print $2}' <<<"$out") $(awk '$1=="99%"{print $2}' <<<"$out")" >> "$work/rows"
  done
done
RSS_LOADED=$(rss $LEADSIM_PID)
LEADS=$(curl -s "http://$LS/__admin/engine/leads" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
echo "leadsim $(git describe --always --dirty 2>/dev/null || echo '?'), $(nproc) cores; DUR=${DUR}s ROUNDS=$ROUNDS connections=$CONNS; medians"
python3 - "$work/rows" "$LS" "$BL" <<'PY'
import statistics, sys
rows, ls, bl = sys.argv[1:]
def ms(x):
    return float(x[:-2]) if x.endswith("ms") else float(x[:-2]) / 1000 if x.endswith("us") else float(x[:-1]) * 1000
data = {}
for line in open(rows):
    server, rps, p50, p99 = line.split()
    data.setdefault(server, []).append((float(rps), ms(p50), ms(p99)))
med = lambda s, i: statistics.median(x[i] for x in data[s])
print(f"submitLead: leadsim {med(ls, 0):.0f} req/s (p50 {med(ls, 1):.2f} ms, p99 {med(ls, 2):.2f} ms); "
      f"bare axum {med(bl, 0):.0f} req/s (p50 {med(bl, 1):.2f} ms); ratio {med(ls, 0) / med(bl, 0):.2f}x")
PY
echo "leads stored: $LEADS; RSS ${RSS_START} MB at start, ${RSS_LOADED} MB after"

# The leads were created at 10:00 (the clock is frozen): with it at 12:30,
# the 11:00 window is readable and within their reach (their lenders
# answer and their funnels go on after creation). Its first read builds
# the batch; each read after a submission brings it up to date.
curl -s -o /dev/null -X PUT "http://$LS/__admin/clock" -H 'Content-Type: application/json' -d '{"now":"2026-03-02T12:30:00Z"}'
WINDOW="http://$LS/supplyAnalytics/leadEvents?timestamp=2026-03-02T11:00:00Z"
first=$(curl -s -o /dev/null -w '%{time_total}' -H 'Authorization: Bearer demo-confidential-token' "$WINDOW")
: > "$work/reads"
for _ in $(seq 1 12); do
  curl -s -o /dev/null -X POST "http://$LS/leads/rateTables" -H 'Content-Type: application/json' -H 'Authorization: Bearer demo-publishable-token' \
    -d '{"productTypes":["loan"],"personalInformation":{"email":"w@example.com","state":"TX"},"loanInformation":{"loanAmount":12000},"creditInformation":{"providedCreditRating":"good"},"financialInformation":{"annualIncome":60000}}'
  curl -s -o /dev/null -w '%{time_total}\n' -H 'Authorization: Bearer demo-confidential-token' "$WINDOW" >> "$work/reads"
done
python3 - "$first" "$work/reads" <<'PY'
import statistics, sys
reads = [float(x) * 1000 for x in open(sys.argv[2])]
print(f"window after a submission (store full): median {statistics.median(reads):.1f} ms, max {max(reads):.1f} ms "
      f"(12 reads; the first read, which builds the batch: {float(sys.argv[1]) * 1000:.0f} ms)")
PY
