#!/usr/bin/env bash
# Does Data Connect webhook delivery cost the vendor routes? Measures the
# pixel and a Finicity report read with wrk while no delivery is under way,
# then while a backlog of deliveries is: just before the measured window,
# LINKS Connect links are walked whose events (four each) go to a receiver
# that holds every event 300 ms before answering (its pings are answered at
# once, so generating is quick). The walking is done before wrk starts, so
# only the deliveries overlap the window; the receiver counts what reached
# it during the window, to show they were under way.
#
# leadsim runs on CPU 0; wrk, the receiver and the walker on CPU 1.
#
#   bench/connect_webhooks.sh [DUR_SECONDS] [ROUNDS] [LINKS]   (needs wrk, curl, python3, taskset)
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-4}
ROUNDS=${2:-3}
LINKS=${3:-300}
LS=127.0.0.1:18090
RECEIVER=127.0.0.1:18091
cargo build -q --release --bin leadsim
source bench/lib.sh

taskset -c 0 ./target/release/leadsim --listen $LS >"$work/leadsim.log" 2>&1 &
pids+=($!); LEADSIM_PID=$!
taskset -c 1 python3 - "$RECEIVER" <<'EOF' &
import http.server, socketserver, sys, threading, time
host, port = sys.argv[1].split(":")
count = 0
lock = threading.Lock()
class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        global count
        body = self.rfile.read(int(self.headers["content-length"]))
        if b'"ping"' not in body[:40]:
            time.sleep(0.3)
            with lock:
                count += 1
        self.send_response(200); self.end_headers()
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(str(count).encode())
    def log_message(self, *a): pass
class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    request_queue_size = 1024
Server((host, int(port)), Receiver).serve_forever()
EOF
pids+=($!)
wait_healthy $LS
wait_healthy $RECEIVER

TOKEN=$(curl -s -X POST "http://$LS/aggregation/v2/partners/authentication" -H 'Finicity-App-Key: demo-app-key' \
  -H 'Content-Type: application/json' -d '{"partnerId":"demo-partner","partnerSecret":"demo-partner-secret"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
REPORT=$(curl -s -X POST "http://$LS/analytics/balance/v1/customer/1005061234" -H 'Finicity-App-Key: demo-app-key' \
  -H "Finicity-App-Token: $TOKEN" -H 'Content-Type: application/json' -d '{"lengthOfReport":90}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["reportId"])')
cat > "$work/report.lua" <<LUA
wrk.headers["Finicity-App-Key"] = "demo-app-key"
wrk.headers["Finicity-App-Token"] = "$TOKEN"
LUA
: > "$work/pixel.lua"
PIXEL=/uiEvent/offerDisplays/f914eb07-a64f-51d8-b882-ff508a8c5c81/952a1184-d369-5958-9a0f-bec903e11c48/3426f971-1aa5-5cb0-91a9-cf2edcfa5dfa/pixel.gif

# Walks LINKS links (one process, one kept-alive connection): each is
# signed in with a wrong password twice, then left, for four events a link
# (started, institutionSupported, invalidCredentials twice).
walk() {
  taskset -c 1 python3 - "$LS" "$TOKEN" "$LINKS" "$RECEIVER" <<'EOF'
import http.client, json, sys
host, token, links, receiver = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
c = http.client.HTTPConnection(host)
h = {"Finicity-App-Key": "demo-app-key", "Finicity-App-Token": token, "Content-Type": "application/json"}
def call(method, path, body):
    c.request(method, path, json.dumps(body), h)
    r = c.getresponse()
    return r.status, r.read()
status, body = call("POST", "/aggregation/v2/customers/testing", {"username": f"bench-{id(c)}"})
customer = json.loads(body)["id"]
for _ in range(links):
    _, body = call("POST", "/connect/v2/generate",
                   {"partnerId": "demo-partner", "customerId": customer, "webhook": f"http://{receiver}/hook"})
    link = json.loads(body)["link"]
    for walk in ({"link": link, "password": "wrong"}, {"link": link, "password": "wrong"}, {"link": link, "outcome": "cancel"}):
        call("POST", "/__admin/finicity/connect/complete", walk)
EOF
}
received() { curl -s "http://$RECEIVER/"; }
# req/s and leadsim's CPU µs per request (its CPU in the window, deliveries
# included, over the requests wrk completed).
rate() {
  local before after out
  before=$(cpu_ticks $LEADSIM_PID)
  out=$(taskset -c 1 wrk -t1 -c32 -d"${DUR}s" -s "$work/$1.lua" "http://$LS$2")
  after=$(cpu_ticks $LEADSIM_PID)
  awk -v ticks=$((after - before)) -v clk="$(getconf CLK_TCK)" \
    '/^Requests\/sec:/{rps=$2} /requests in/{n=$1} END{printf "%s %.1f", rps, ticks / clk / n * 1e6}' <<<"$out"
}
: > "$work/rows"
for round in $(seq 1 "$ROUNDS"); do
  for spec in "pixel $PIXEL" "report /analytics/data/v1/$REPORT"; do
    read -r name path <<<"$spec"
    quiet=$(rate "$name" "$path")
    walk
    before=$(received)
    busy=$(rate "$name" "$path")
    after=$(received)
    echo "$name $quiet $busy $((after - before))" >> "$work/rows"   # name rps cpu rps cpu delivered
    # Let the backlog drain before the next quiet measurement.
    while :; do a=$(received); sleep 1; [[ $(received) == "$a" ]] && break; done
  done
done
echo "leadsim $(git describe --always --dirty 2>/dev/null || echo '?'), $(nproc) cores; DUR=${DUR}s ROUNDS=$ROUNDS LINKS=$LINKS"
python3 - "$work/rows" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, quiet, quiet_cpu, busy, busy_cpu, delivered = line.split()
    rows.setdefault(name, []).append((float(quiet), float(busy), float(quiet_cpu), float(busy_cpu), int(delivered)))
print(f"{'route':8} {'quiet req/s':>12} {'busy req/s':>11} {'ratio':>6} {'rounds':>12} {'CPU µs/req quiet':>17} {'busy':>6} {'delivered':>10}")
med = lambda rs, i: statistics.median(r[i] for r in rs)
for name, rs in rows.items():
    ratios = [r[1] / r[0] for r in rs]
    print(f"{name:8} {med(rs, 0):12.0f} {med(rs, 1):11.0f} {statistics.median(ratios):5.2f}x "
          f"{min(ratios):5.2f}-{max(ratios):.2f}x {med(rs, 2):17.1f} {med(rs, 3):6.1f} {med(rs, 4):10.0f}")
EOF
