#!/usr/bin/env python3
"""Bounds soak: fill every store leadsim keeps with the largest entries a
client may send, and show RSS levels off at the documented bounds.

Starts the release binary on loopback with small count limits lifted so the
byte bounds are what stops growth; sends bounded numbers of requests; stops
the server by pid. Prints one row per phase: requests sent, RSS after, and
what the admin API reports it holds.

    python3 bench/bounds.py [--binary target/release/leadsim]
"""
import argparse
import json
import os
import socket
import subprocess
import time
import urllib.request

ADDR = "127.0.0.1:18093"


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def raw(method, path, headers=None, body=b""):
    """One request over a fresh connection; returns the status."""
    head = f"{method} {path} HTTP/1.1\r\nHost: {ADDR}\r\nConnection: close\r\nContent-Length: {len(body)}\r\n"
    for name, value in (headers or {}).items():
        head += f"{name}: {value}\r\n"
    with socket.create_connection(ADDR.split(":")) as conn:
        conn.sendall(head.encode() + b"\r\n" + body)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    return int(data.split()[1]) if data else 0


def get_json(path):
    with urllib.request.urlopen(f"http://{ADDR}{path}") as response:
        return json.load(response)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default="target/release/leadsim")
    args = parser.parse_args()
    server = subprocess.Popen(
        [args.binary, "--listen", ADDR, "--now", "2020-06-01T00:00:00Z",
         "--journal-capacity", "1000000", "--analytics-event-capacity", "10000000"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                get_json("/__admin/health")
                break
            except OSError:
                time.sleep(0.02)
        print(f"{'phase':<44} {'sent':>7} {'RSS MB':>8}  held")
        print(f"{'start':<44} {0:>7} {rss_mb(server.pid):>8.1f}")

        # Journal: 64 KiB bodies and 60 KiB of headers per request, 4,000 of
        # them: 480 MB sent; the journal keeps at most 128 MiB.
        header = {f"x-pad-{i}": "h" * 1000 for i in range(60)}
        body = b"b" * (64 * 1024)
        for i in range(4000):
            raw("POST", "/api/v1/nowhere", header, body)
        held = get_json("/__admin/requests?limit=0")
        print(f"{'journal: 64 KiB bodies + 60 KiB heads':<44} {4000:>7} {rss_mb(server.pid):>8.1f}  "
              f"{held['recorded']} entries, {held['dropped']} dropped")

        # Data Analytics: events with every field at its 2 KiB bound.
        long = "x" * 2048
        fields = ["tool_signature", "event_type", "event_id", "message", "javascript_local_time",
                  "apex_local_time", "event_environment_path", "name_parser_event_id",
                  "recommendation_model_event_id"]
        sent = 40000
        for i in range(sent):
            event = {"customer_id": "c", "user_id": long, "lead_id": f"l{i}", "recording_id": long}
            event.update({name: long for name in fields})
            raw("POST", "/api/v1/lead_analytics", {"content-type": "application/json"},
                json.dumps(event).encode())
        held = get_json("/__admin/data_analytics/events?customer_id=nobody")
        print(f"{'data analytics: every field at 2 KiB':<44} {sent:>7} {rss_mb(server.pid):>8.1f}  "
              f"{held['dropped']} dropped")

        # LeadSquared: distinct list queries (each its own cache entry).
        keys = "accessKey=demo-access-key&secretKey=demo-secret-key"
        for i in range(300):
            query = {"Output": {"Type": "list"}, "Paging": {"PageIndex": 1 + i % 3, "PageSize": 1000 + i}}
            raw("POST", f"/Leads/LeadDistribution/FilterByLeadField?{keys}",
                {"content-type": "application/json"}, json.dumps(query).encode())
        print(f"{'leadsquared: 300 distinct list queries':<44} {300:>7} {rss_mb(server.pid):>8.1f}")
    finally:
        server.kill()
        server.wait()


if __name__ == "__main__":
    main()
