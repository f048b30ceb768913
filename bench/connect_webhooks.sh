#!/usr/bin/env bash
# Does Data Connect webhook delivery cost the vendor routes? Measures the
# pixel and a Finicity report read with wrk (server on CPU 0, wrk on CPU 1),
# alone and while a loop walks Connect links whose webhooks go to a slow
# loopback receiver (each answer 200 ms late), alternating the two.
#
#   bench/connect_webhooks.sh [DUR_SECONDS] [ROUNDS]   (needs wrk, curl, python3, taskset)
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-4}
ROUNDS=${2:-2}
LS=127.0.0.1:18090
cargo build -q --release --bin leadsim
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
taskset -c 0 ./target/release/leadsim --listen $LS >"$work/leadsim.log" 2>&1 &
pids+=($!)
python3 -c '
import http.server, socketserver, time
class Slow(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["content-length"]))
        time.sleep(0.2)
        self.send_response(200); self.end_headers()
    def log_message(self, *a): pass
class Server(socketserver.ThreadingMixIn, http.server.HTTPServer): daemon_threads = True
Server(("127.0.0.1", 18091), Slow).serve_forever()' &
pids+=($!)
sleep 1
TOKEN=$(curl -s -X POST "http://$LS/aggregation/v2/partners/authentication" -H 'Finicity-App-Key: demo-app-key' \
  -H 'Content-Type: application/json' -d '{"partnerId":"demo-partner","partnerSecret":"demo-partner-secret"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
H=(-H 'Finicity-App-Key: demo-app-key' -H "Finicity-App-Token: $TOKEN" -H 'Content-Type: application/json')
CUSTOMER=$(curl -s "${H[@]}" -X POST "http://$LS/aggregation/v2/customers/testing" -d '{"username":"bench-webhooks"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
REPORT=$(curl -s "${H[@]}" -X POST "http://$LS/analytics/balance/v1/customer/1005061234" -d '{"lengthOfReport":90}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["reportId"])')
cat > "$work/report.lua" <<LUA
wrk.headers["Finicity-App-Key"] = "demo-app-key"
wrk.headers["Finicity-App-Token"] = "$TOKEN"
LUA
PIXEL=/uiEvent/offerDisplays/f914eb07-a64f-51d8-b882-ff508a8c5c81/952a1184-d369-5958-9a0f-bec903e11c48/3426f971-1aa5-5cb0-91a9-cf2edcfa5dfa/pixel.gif
# Links walked in a loop: seven events each to the slow receiver (the
# account cap ends linking after a few, but every walk still raises events).
load() {
  while true; do
    link=$(curl -s "${H[@]}" -X POST "http://$LS/connect/v2/generate" \
      -d "{\"partnerId\":\"demo-partner\",\"customerId\":\"$CUSTOMER\",\"webhook\":\"http://127.0.0.1:18091/hook\"}" |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["link"])')
    curl -s -o /dev/null -X POST "http://$LS/__admin/finicity/connect/complete" -d "{\"link\":\"$link\",\"outcome\":\"cancel\"}"
    curl -s -o /dev/null -X POST "http://$LS/__admin/finicity/connect/complete" -d "{\"link\":\"$link\",\"password\":\"wrong\"}"
  done
}
rate() { taskset -c 1 wrk -t1 -c32 -d"${DUR}s" "$@" | awk '/^Requests\/sec:/{print $2}'; }
for round in $(seq 1 "$ROUNDS"); do
  quiet_pixel=$(rate "http://$LS$PIXEL"); quiet_report=$(rate -s "$work/report.lua" "http://$LS/analytics/data/v1/$REPORT")
  load >/dev/null 2>&1 & loader=$!
  sleep 1
  busy_pixel=$(rate "http://$LS$PIXEL"); busy_report=$(rate -s "$work/report.lua" "http://$LS/analytics/data/v1/$REPORT")
  kill $loader; wait $loader 2>/dev/null || true
  echo "round $round: pixel $quiet_pixel -> $busy_pixel req/s; report $quiet_report -> $busy_report req/s (quiet -> with webhooks)"
done
deliveries=$(curl -s "http://$LS/__admin/finicity/webhooks" | python3 -c 'import json,sys; d=json.load(sys.stdin)["deliveries"]; print(len(d), "deliveries listed,", sum(x["outcome"]=="delivered" for x in d), "delivered")')
echo "$deliveries"
