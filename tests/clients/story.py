"""What the generated-client stories share: counted checks, expected API
errors, the admin API, and a webhook receiver on a loopback port."""
import json
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

checks = 0


def expect(condition, message):
    """Counts a check; stops the story with `message` when it fails."""
    global checks
    checks += 1
    if not condition:
        raise SystemExit(f"FAILED: {message}")


def expect_status(call, status, message):
    """`call` must fail with this HTTP status (a generated client's
    ApiException); its body, parsed when it is JSON."""
    try:
        call()
    except Exception as e:  # each generated package has its own ApiException
        if not hasattr(e, "status"):
            raise
        expect(e.status == status, f"{message}: status {e.status}, body {e.body}")
        try:
            return json.loads(e.body)
        except (TypeError, ValueError):
            return None
    raise SystemExit(f"FAILED: {message}: no error")


def admin(base, method, path, body=None):
    """A call to leadsim's admin API; its JSON answer."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method, headers={"content-type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)


class Receiver:
    """A webhook receiver on a free loopback port: every JSON body that
    arrives, in order, answered `status`."""

    def __init__(self, path="/webhook", status=200):
        self.received = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                with receiver.arrived:
                    receiver.received.append(json.loads(body))
                    receiver.arrived.notify_all()
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        server = HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{server.server_port}{path}"

    def wait_for(self, count, timeout=10):
        """What arrived, once at least `count` bodies did (or the timeout passed)."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= count, timeout=timeout)
            return list(self.received)
