#!/usr/bin/env python3
"""Hardening bounds (issue 31), on the release binary, loopback only.

Four phases against one process, RSS after each:

1. marketplace: leads at the 64 KiB size limit until the store's 100 MiB
   byte bound evicts;
2. prefills: bodies of 62,000 small members (about 1 MB each) until the
   32 MiB bound evicts;
3. slow v3 readers: clients that each ask for a different large v3 page and
   never read it (the 256 MiB in-flight budget);
4. a callback storm: 1,500 Finicity report callbacks falling due at once to
   a receiver that accepts and never answers, with the server under
   `ulimit -n 1024`; the pixel's latency is measured while the storm runs.

    python3 bench/hardening.py [--binary target/release/leadsim] [--readers 80]
"""
import argparse
import json
import resource
import socket
import statistics
import subprocess
import threading
import time
import urllib.request

ADDR = "127.0.0.1:18094"
HOST, PORT = "127.0.0.1", 18094
PUBLISHABLE = "demo-publishable-token"


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def raw(method, path, headers=None, body=b"", read=True):
    """One request on a fresh connection: (status, body), or the open
    socket when `read` is false (a client that stops reading)."""
    head = f"{method} {path} HTTP/1.1\r\nHost: {ADDR}\r\nConnection: close\r\nContent-Length: {len(body)}\r\n"
    for name, value in (headers or {}).items():
        head += f"{name}: {value}\r\n"
    conn = socket.create_connection((HOST, PORT))
    conn.sendall(head.encode() + b"\r\n" + body)
    if not read:
        return conn
    data = b""
    while chunk := conn.recv(1 << 20):
        data += chunk
    conn.close()
    status = int(data.split()[1]) if data else 0
    return status, data.split(b"\r\n\r\n", 1)[-1]


def call_json(method, path, payload=None, headers=None):
    body = json.dumps(payload).encode() if payload is not None else b""
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    status, data = raw(method, path, all_headers, body)
    return status, (json.loads(data) if data.strip() else None)


def marketplace(pid):
    big = {
        "productTypes": ["loan"],
        "personalInformation": {"firstName": "Ada", "state": "TX", "zipcode": "73301"},
        "mortgageInformation": {"notes": "m" * 64_000},
    }
    sent = 0
    for _ in range(2_400):
        status, _ = call_json("POST", "/leads/rateTables", big, {"Authorization": f"Bearer {PUBLISHABLE}"})
        sent += status == 200
    _, listed = call_json("GET", "/__admin/engine/leads")
    return sent, listed["count"], listed["storeBytes"]


def prefills(pid):
    body = {"productTypes": ["loan"], **{f"m{i}": i for i in range(62_000)}}
    sent = 0
    for _ in range(120):
        status, _ = call_json("POST", "/originator/prefills", body, {"Authorization": f"Bearer {PUBLISHABLE}"})
        sent += status == 200
    _, listed = call_json("GET", "/__admin/engine/leads")
    return sent, listed["storeBytes"]


def slow_readers(pid, readers):
    fixtures = {"engine": {"companies": [{
        "name": "Bench Pages", "uuid": "7b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
        "confidentialToken": "bench-pages-token", "publishableToken": "bench-pages-pub",
        "leadsPerDay": 20000, "historyStart": "2020-05-01T00:00:00Z", "v3PageLimit": 40000,
    }]}}
    status, _ = call_json("POST", "/__admin/fixtures", fixtures)
    assert status == 200, status
    headers = {"Authorization": "Bearer bench-pages-token", "API-Version": "2025-04-01"}
    held = []
    for n in range(readers):
        # A different page each: starts an hour apart across the month.
        since = time.strftime("%Y-%m-%dT%H:00:00Z", time.gmtime(1588291200 + n * 3600 * 7))
        held.append(raw("GET", f"/supplyAnalytics/leadEvents?sinceTimestamp={since}", headers, read=False))
        if n % 10 == 9:
            print(f"    {n + 1} readers: RSS {rss_mb(pid):.0f} MB", flush=True)
    time.sleep(3)
    peak = rss_mb(pid)
    # A small request still answers at once.
    started = time.time()
    status, _ = raw("GET", "/__admin/health")
    small = time.time() - started
    for conn in held:
        conn.close()
    time.sleep(1)
    return peak, status, small


def hanging_receiver():
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(4096)
    state = {"open": 0, "peak": 0, "accepted": 0, "conns": []}
    lock = threading.Lock()

    def accept():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with lock:
                state["conns"].append(conn)
                state["accepted"] += 1
                state["open"] += 1
                state["peak"] = max(state["peak"], state["open"])

    threading.Thread(target=accept, daemon=True).start()
    return listener.getsockname()[1], state


def storm(pid, reports):
    port, receiver = hanging_receiver()
    _, auth = call_json("POST", "/aggregation/v2/partners/authentication",
                        {"partnerId": "demo-partner", "partnerSecret": "demo-partner-secret"},
                        {"Finicity-App-Key": "demo-app-key"})
    headers = {"Finicity-App-Key": "demo-app-key", "Finicity-App-Token": auth["token"], "Accept": "application/json"}
    business = {"name": "B&G", "personallyLiable": False,
                "address": {"addressLine1": "1 Main St", "city": "Portland", "state": "OR", "country": "US",
                            "postalCode": "97205"},
                "phoneNumber": {"countryCode": "1", "phoneNo": "5035550100"}}
    made = 0
    for c in range((reports + 49) // 50):
        _, customer = call_json("POST", "/aggregation/v2/customers/testing", {"username": f"storm-customer-{c}"}, headers)
        cid = customer["id"]
        call_json("POST", f"/business-services/customers/{cid}/businesses", business, headers)
        for _ in range(min(50, reports - made)):
            path = (f"/decisioning/v2/customers/{cid}/reports/balance-analytics/userTypes/business"
                    f"?callbackUrl=http://127.0.0.1:{port}/hook")
            status, _ = call_json("POST", path, {}, headers)
            made += status == 202
    call_json("POST", "/__admin/clock/advance", {"seconds": 600})
    time.sleep(1)
    latencies = []
    pixel = ("/uiEvent/offerDisplays/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d/1a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d/"
             "2a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d/pixel.gif")
    for _ in range(500):
        started = time.time()
        status, _ = raw("GET", pixel)
        assert status == 200, status
        latencies.append((time.time() - started) * 1000)
    _, listed = call_json("GET", "/__admin/finicity/callbacks")
    pending = sum(1 for d in listed["deliveries"] if d["outcome"] == "pending")
    latencies.sort()
    return made, receiver["peak"], pending, statistics.median(latencies), latencies[int(len(latencies) * 0.99)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default="target/release/leadsim")
    parser.add_argument("--readers", type=int, default=80)
    parser.add_argument("--reports", type=int, default=1500)
    args = parser.parse_args()

    def limit_descriptors():
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))

    server = subprocess.Popen([args.binary, "--listen", ADDR, "--now", "2020-06-01T00:00:00Z"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=limit_descriptors)
    try:
        for _ in range(200):
            try:
                raw("GET", "/__admin/health")
                break
            except OSError:
                time.sleep(0.05)
        pid = server.pid
        print(f"start: RSS {rss_mb(pid):.1f} MB (server under ulimit -n 1024, hard 1024)")
        sent, count, weights = marketplace(pid)
        print(f"marketplace: {sent} leads of ~64 KiB stored, {count} kept, store {weights['leads'] / 2**20:.1f} MiB "
              f"(bound {weights['maxLeads'] / 2**20:.0f} MiB); RSS {rss_mb(pid):.1f} MB")
        sent, weights = prefills(pid)
        print(f"prefills: {sent} of 62,000 members stored; {weights['prefills'] / 2**20:.1f} MiB kept "
              f"(bound {weights['maxEach'] / 2**20:.0f} MiB); RSS {rss_mb(pid):.1f} MB")
        call_json("POST", "/__admin/reset")
        print(f"after reset: RSS {rss_mb(pid):.1f} MB")
        peak, status, small = slow_readers(pid, args.readers)
        print(f"slow v3 readers: {args.readers} clients, peak RSS {peak:.1f} MB; health meanwhile {status} "
              f"in {small * 1000:.1f} ms; RSS after they left {rss_mb(pid):.1f} MB")
        call_json("POST", "/__admin/reset")
        made, peak, pending, p50, p99 = storm(pid, args.reports)
        print(f"callback storm: {made} callbacks due at once to a hanging receiver; its peak open connections "
              f"{peak}; {pending} pending; pixel p50 {p50:.2f} ms, p99 {p99:.2f} ms; RSS {rss_mb(pid):.1f} MB")
        call_json("POST", "/__admin/reset")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
