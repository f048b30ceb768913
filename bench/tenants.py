#!/usr/bin/env python3
"""Tenant creation cost as tenants accumulate: POSTs 1,000 tenants per
family to a running leadsim (reset first) over one keep-alive connection
and prints the mean latency of the first and of the last 50 calls.

    target/release/leadsim --listen 127.0.0.1:8099 &
    python3 bench/tenants.py http://127.0.0.1:8099
"""
import http.client
import json
import sys
import time
from urllib.parse import urlparse

COUNT = 1000
EDGE = 50


def main() -> None:
    url = urlparse(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8099")
    conn = http.client.HTTPConnection(url.hostname, url.port)

    def post(path: str, body: str) -> int:
        conn.request("POST", path, body, {"Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        return response.status

    print("| family | first 50 (ms) | last 50 (ms) | last / first |")
    print("|---|---|---|---|")
    for family in ["engine", "data_analytics", "finicity", "leadsquared"]:
        post("/__admin/reset", "")
        times = []
        for _ in range(COUNT):
            started = time.perf_counter()
            status = post("/__admin/tenants", json.dumps({"family": family}))
            times.append(time.perf_counter() - started)
            if status != 201:
                sys.exit(f"{family}: status {status}")
        first = sum(times[:EDGE]) / EDGE * 1000
        last = sum(times[-EDGE:]) / EDGE * 1000
        print(f"| {family} | {first:.3f} | {last:.3f} | {last / first:.2f}x |")
    post("/__admin/reset", "")


if __name__ == "__main__":
    main()
