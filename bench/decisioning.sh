#!/usr/bin/env bash
# Finicity /decisioning reports on the release binary, loopback only: the
# heaviest report (Cash Flow Analytics, 730 days, a testing customer's three
# accounts, both interval types), N times: the first read (built and
# rendered), a second read (the rendered-body cache), and the first PDF.
# Prints curl's total times and the server's peak RSS.
#
#   bench/decisioning.sh [N]     (needs curl)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-5}
LS=127.0.0.1:18082
cargo build -q --release --bin leadsim
./target/release/leadsim --listen $LS --now 2026-11-23T18:00:00Z >/tmp/leadsim-decisioning-bench.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -fs "http://$LS/__admin/health" >/dev/null && break; sleep 0.1; done
B=http://$LS
TOKEN=$(curl -s -X POST $B/aggregation/v2/partners/authentication -H 'Finicity-App-Key: demo-app-key' \
  -H 'Content-Type: application/json' -d '{"partnerId":"demo-partner","partnerSecret":"demo-partner-secret"}' |
  sed 's/.*"token":"\([^"]*\)".*/\1/')
H=(-H "Finicity-App-Key: demo-app-key" -H "Finicity-App-Token: $TOKEN" -H 'Content-Type: application/json')
C=$(curl -s "${H[@]}" -X POST $B/aggregation/v2/customers/testing -d '{"username":"bench-customer"}' |
  sed 's/.*"id":"\([^"]*\)".*/\1/')
curl -s "${H[@]}" -X POST $B/business-services/customers/$C/businesses \
  -d '{"name":"Bench","personallyLiable":false,"address":{},"phoneNumber":{}}' >/dev/null
for _ in $(seq 1 "$N"); do
  ID=$(curl -s "${H[@]}" -X POST $B/decisioning/v2/customers/$C/reports/cashflow-analytics/userTypes/business \
    -d '{"analyticsReportData":{"timeIntervalTypes":["MONTHLY_CALENDAR","MONTHLY_ROLLING_30"]}}' |
    sed 's/^{"id":"\([^"]*\)".*/\1/')
  curl -s -X POST $B/__admin/clock/advance -d '{"seconds":90}' >/dev/null
  curl -s "${H[@]}" $B/decisioning/v3/customers/$C/reports/$ID -o /dev/null -w "first JSON read  %{time_total}s  %{size_download} bytes\n"
  curl -s "${H[@]}" $B/decisioning/v3/customers/$C/reports/$ID -o /dev/null -w "second JSON read %{time_total}s\n"
  curl -s "${H[@]}" -H 'Accept: application/pdf' $B/decisioning/v3/customers/$C/reports/$ID -o /dev/null \
    -w "first PDF read   %{time_total}s  %{size_download} bytes\n"
done
grep VmHWM /proc/$pid/status
