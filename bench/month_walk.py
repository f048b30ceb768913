"""Measures one cold window, then walks a month of leadEvents windows (720 calls) by following nextUrl,
twice: cold (nothing cached), then again (rendered windows cached where the
bound allows), reading server-side latency from leadsim's own journal and
RSS from /proc before, during and after. Loopback only.

Usage: month_walk.py PID BASE_URL    (leadsim started with --now 2020-06-01T00:00:00Z or later)
"""
import json
import statistics
import sys
import urllib.request

pid, base = sys.argv[1], sys.argv[2]
AUTH = {"Authorization": "Bearer demo-confidential-token"}


def rss_mb():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024


def get(url, headers=None):
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {})) as r:
        return json.loads(r.read())


def walk(hours):
    url = f"{base}/supplyAnalytics/leadEvents?timestamp=2020-01-01T00:00:00Z"
    for i in range(hours):
        page = get(url, AUTH)
        url = page["nextUrl"]
        if i == hours // 2:
            samples.append(rss_mb())


def latencies():
    listing = get(f"{base}/__admin/requests?limit=10000&path=/supplyAnalytics")
    urllib.request.urlopen(urllib.request.Request(f"{base}/__admin/requests", method="DELETE"))
    values = sorted(r["latencyMs"] for r in listing["requests"])
    return statistics.median(values), values[int(len(values) * 0.99) - 1], len(values)


samples = [rss_mb()]
get(f"{base}/supplyAnalytics/leadEvents?timestamp=2019-06-01T00:00:00Z", AUTH)
first = latencies()
print(f"first window (cold: 13 days of hours generated): {first[0]:.3f} ms")
walk(720)
cold = latencies()
walk(720)
warm = latencies()
samples.append(rss_mb())
walk(720 * 3)  # three more months from the same start: the caches' bound holds
latencies()
samples.append(rss_mb())
print(f"cold walk:   median {cold[0]:.3f} ms, p99 {cold[1]:.3f} ms over {cold[2]} windows")
print(f"second walk: median {warm[0]:.3f} ms, p99 {warm[1]:.3f} ms over {warm[2]} windows")
print("RSS MB before / mid first walk / mid second walk / after both / mid three-month walk / after it: " + " / ".join(f"{s:.1f}" for s in samples))
