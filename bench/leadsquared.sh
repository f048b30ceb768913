#!/usr/bin/env bash
# Server-side latency of LeadSquared aggregates over the demo account's
# 20,000 leads (rate limit off via bench/fixtures), read from the journal.
#   bench/leadsquared.sh [REQUESTS_PER_QUERY]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200}
cargo build -q --release --bin leadsim
./target/release/leadsim --listen 127.0.0.1:18085 --fixtures bench/fixtures --now 2026-11-23T10:00:00Z \
  --journal-capacity 100000 >/tmp/bench-lsq.log 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -s -o /dev/null http://127.0.0.1:18085/__admin/health && break; sleep 0.05; done
URL='http://127.0.0.1:18085/Leads/LeadDistribution/FilterByLeadField?accessKey=demo-access-key&secretKey=demo-secret-key'
declare -A QUERIES=(
  [seed-example]='{"ReportFilter":{"UserFilter":{"GroupConditions":[{"Condition":[{"LookupName":"UserID","Operator":"eq","LookupValue":"01f131a5-7746-11e6-bcaf-0677ec402fcf,07934579-8551-11e6-88b9-0677ec402fcf,090529bc-862c-11e6-88b9-0677ec402fcf,0ec2b1d5-3d0f-11e5-b982-22000aa68b6f"}]}]},"LeadFilters":[{"LookUpName":"EngagementScore","LookUpValue":"0","SqlOperator":">"}]},"DateFilter":[{"DateField":"LeadCreatedOn","FromDate":"2025-11-10 12:00:00","ToDate":"2026-11-10 12:00:00"}],"Output":{"Type":"aggregate","GroupBy":"OwnerId","AggregateFunction":"Average","AggregateField":"EngagementScore"}}'
  [by-source-all-users]='{"Output":{"Type":"aggregate","GroupBy":"Source","AggregateFunction":"Average,Sum,Min,Max","AggregateField":"Score"}}'
  [like-by-owner]='{"ReportFilter":{"LeadFilters":[{"LookUpName":"Source","LookUpValue":"%search","SqlOperator":"LIKE"}]},"Output":{"Type":"aggregate","GroupBy":"OwnerId","AggregateFunction":"Average","AggregateField":"EngagementScore"}}'
)
curl -s -o /dev/null -X POST "$URL" -d '{}'   # first call generates the leads
echo "first call (generates 20,000 leads): $(curl -s 'http://127.0.0.1:18085/__admin/requests?limit=1' | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["requests"][0]["latencyMs"],1))') ms"
for name in "${!QUERIES[@]}"; do
  curl -s -X DELETE http://127.0.0.1:18085/__admin/requests >/dev/null
  for _ in $(seq 1 "$N"); do curl -s -o /dev/null -X POST "$URL" -d "${QUERIES[$name]}"; done
  curl -s "http://127.0.0.1:18085/__admin/requests?limit=$N" | python3 -c "
import json, sys, statistics
lat = sorted(r['latencyMs'] for r in json.load(sys.stdin)['requests'])
print(f'$name: n={len(lat)} median={statistics.median(lat):.2f} ms p99={lat[int(len(lat)*0.99)-1]:.2f} ms')"
done
echo "RSS: $(awk '/^VmRSS:/{printf "%.1f MB", $2/1024}' /proc/$PID/status)"
