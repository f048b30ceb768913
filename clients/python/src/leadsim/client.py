"""The control-plane client: one `Leadsim` per server, with its parts as
attributes (`clock`, `faults`, `fixtures`, `tenants`, `requests`). Standard
library only; every call raises `LeadsimError` with leadsim's own message
when the admin API refuses it."""

from __future__ import annotations

import atexit
import collections
import datetime
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import weakref
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

Json = Any
Instant = Union[str, datetime.datetime]

#: A body of JSON `null` (a Python `None` body means no body at all).
NULL = object()


class LeadsimError(Exception):
    """The admin API refused a call: `status` and leadsim's `message`."""

    def __init__(self, status: int, message: str, body: Json = None) -> None:
        super().__init__(f"leadsim answered {status}: {message}")
        self.status = status
        self.message = message
        self.body = body


class WaitTimeout(AssertionError):
    """`Journal.wait_for` gave up: lists what did arrive."""


def _rfc3339(at: Instant) -> str:
    if isinstance(at, datetime.datetime):
        if at.tzinfo is None:
            raise ValueError("give an aware datetime (with tzinfo), or an RFC 3339 string")
        return at.astimezone(datetime.timezone.utc).isoformat().replace("+00:00", "Z")
    return at


class Leadsim:
    """A leadsim server: one started by `start`, or one running at `url`."""

    def __init__(self, url: str, process: Optional[subprocess.Popen] = None, admin_token: Optional[str] = None) -> None:
        self.url = url.rstrip("/")
        self._process = process
        self._admin_token = admin_token
        self.clock = Clock(self)
        self.faults = Faults(self)
        self.fixtures = Fixtures(self)
        self.tenants = Tenants(self)
        self.requests = Journal(self)

    # --- lifecycle -------------------------------------------------------

    @classmethod
    def connect(cls, url: Optional[str] = None, admin_token: Optional[str] = None) -> "Leadsim":
        """A leadsim already running at `url` (default `$LEADSIM_URL`); the
        admin token defaults to `$LEADSIM_ADMIN_TOKEN`."""
        url = url or os.environ.get("LEADSIM_URL")
        if not url:
            raise ValueError("no url given and $LEADSIM_URL is not set")
        return cls(url, admin_token=admin_token or os.environ.get("LEADSIM_ADMIN_TOKEN"))

    @classmethod
    def start(
        cls,
        binary: Optional[str] = None,
        args: Sequence[str] = (),
        env: Optional[Mapping[str, str]] = None,
        timeout: float = 30.0,
        port: Optional[int] = None,
        admin_token: Optional[str] = None,
    ) -> "Leadsim":
        """Runs leadsim on loopback and waits until `/__admin/health` answers.

        `binary`: a path; default `$LEADSIM_BINARY`, else `leadsim` on PATH.
        `args`: more flags (`--seed`, `--now`, `--fixtures`, ...); a
        `--listen` among them is used as given. `port`: listen on this
        loopback port (default: a free one). `admin_token`: start the server
        with `--admin-token` and send it (default `$LEADSIM_ADMIN_TOKEN`,
        which the server reads too). `timeout` holds whatever the server
        logs (`RUST_LOG`): readiness is the health endpoint, not a log line.
        The process is stopped if anything fails before `start` returns, and
        at interpreter exit if `stop` was never called.
        """
        binary = binary or os.environ.get("LEADSIM_BINARY") or shutil.which("leadsim")
        if not binary:
            raise FileNotFoundError("no leadsim binary: pass binary=, set $LEADSIM_BINARY, or put leadsim on PATH")
        environment = dict(os.environ if env is None else env)
        # Flags win over the environment's LEADSIM_* twins, but a stray
        # LEADSIM_LISTEN must not move the server.
        environment.pop("LEADSIM_LISTEN", None)
        token = admin_token or environment.get("LEADSIM_ADMIN_TOKEN")
        flags = list(args)
        listen = _given_listen(flags)
        if listen is None:
            listen = f"127.0.0.1:{port or _free_port()}"
            flags = ["--listen", listen, *flags]
        if admin_token:
            flags = ["--admin-token", admin_token, *flags]
        host, _, chosen = listen.rpartition(":")
        host = host.strip("[]") or "127.0.0.1"
        if host in ("0.0.0.0", "::"):
            host = "127.0.0.1"
        url = f"http://{'[' + host + ']' if ':' in host else host}:{chosen}"
        output = _Tail()
        process = subprocess.Popen(
            [binary, *flags],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
        )
        _STARTED.add(process)
        assert process.stderr is not None
        # Drain stderr all along: a chatty server never blocks on a full pipe.
        threading.Thread(target=output.drain, args=(process.stderr,), daemon=True).start()
        sim = cls(url, process, admin_token=token)
        try:
            deadline = time.monotonic() + timeout
            while True:
                if process.poll() is not None:
                    time.sleep(0.05)
                    raise RuntimeError(f"leadsim did not start (exit {process.returncode}):\n{output.text()}")
                try:
                    sim.health()
                    return sim
                except (OSError, LeadsimError):
                    if time.monotonic() > deadline:
                        raise RuntimeError(
                            f"leadsim did not start: {url}/__admin/health did not answer within {timeout}s\n"
                            f"{output.text()}"
                        ) from None
                    time.sleep(0.05)
        except BaseException:
            # A failure, a timeout or Ctrl-C: never leave the server behind.
            sim.stop()
            raise

    def stop(self) -> None:
        """Stops a server this object started (SIGTERM, then SIGKILL)."""
        process, self._process = self._process, None
        if process is not None:
            _stop(process)

    def __enter__(self) -> "Leadsim":
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def wait_until_healthy(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.health()
                return
            except (OSError, LeadsimError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    # --- the admin API ----------------------------------------------------

    def health(self) -> Json:
        return self.admin("GET", "/health")

    def reset(self) -> Json:
        """Back to the state at start: merged fixtures, tenants, faults, the
        journal, recorded events and rate-limit counters go; the clock is released."""
        return self.admin("POST", "/reset")

    def admin(self, method: str, path: str, body: Json = None, query: Optional[Mapping[str, Any]] = None, timeout: float = 70.0) -> Json:
        """One call to `/__admin{path}`; the decoded JSON answer."""
        url = f"{self.url}/__admin{path}"
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        data = None if body is None else b"null" if body is NULL else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self._admin_token:
            request.add_header("X-Leadsim-Admin-Token", self._admin_token)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                text = response.read().decode()
        except urllib.error.HTTPError as error:
            text = error.read().decode(errors="replace")
            try:
                parsed = json.loads(text)
                message = parsed.get("message", text) if isinstance(parsed, dict) else text
            except ValueError:
                parsed, message = None, text
            raise LeadsimError(error.code, message, parsed) from None
        return json.loads(text) if text else None


class Clock:
    """The virtual clock: `set` freezes it at an instant, `advance` moves it,
    `release` returns it to real time."""

    def __init__(self, sim: Leadsim) -> None:
        self._sim = sim

    def status(self) -> Json:
        return self._sim.admin("GET", "/clock")

    def now(self) -> datetime.datetime:
        return datetime.datetime.fromisoformat(self.status()["now"].replace("Z", "+00:00"))

    def set(self, at: Instant) -> Json:
        """Freezes the clock at `at` (RFC 3339 string or aware datetime)."""
        return self._sim.admin("PUT", "/clock", {"now": _rfc3339(at)})

    def freeze(self) -> Json:
        """Freezes the clock where it is now."""
        return self.set(self.status()["now"])

    def advance(self, seconds: Union[float, datetime.timedelta]) -> Json:
        if isinstance(seconds, datetime.timedelta):
            seconds = seconds.total_seconds()
        return self._sim.admin("POST", "/clock/advance", {"seconds": seconds})

    def release(self) -> Json:
        return self._sim.admin("DELETE", "/clock")


@dataclass
class Fault:
    """An active fault; as a context manager it removes itself on exit."""

    sim: Leadsim = field(repr=False)
    id: str
    body: Json

    def refresh(self) -> Json:
        self.body = self.sim.admin("GET", f"/faults/{self.id}")
        return self.body

    def remove(self) -> None:
        try:
            self.sim.admin("DELETE", f"/faults/{self.id}")
        except LeadsimError as error:
            if error.status != 404:  # it ran out of times and retired
                raise

    def __enter__(self) -> "Fault":
        return self

    def __exit__(self, *_: object) -> None:
        self.remove()


class Faults:
    def __init__(self, sim: Leadsim) -> None:
        self._sim = sim

    def add(
        self,
        effect: Mapping[str, Any],
        match: Optional[Mapping[str, Any]] = None,
        times: Optional[int] = None,
        probability: Optional[float] = None,
        seed: Optional[int] = None,
    ) -> Fault:
        """Adds a fault (`effect` such as `{"type": "status", "status": 503}`,
        `match` such as `{"path": "/supplyAnalytics/*"}`)."""
        body: Dict[str, Any] = {"effect": dict(effect)}
        for name, value in (("match", match), ("times", times), ("probability", probability), ("seed", seed)):
            if value is not None:
                body[name] = dict(value) if isinstance(value, Mapping) else value
        created = self._sim.admin("POST", "/faults", body)
        return Fault(self._sim, created["id"], created)

    def list(self) -> List[Json]:
        return self._sim.admin("GET", "/faults")["faults"]

    def clear(self) -> int:
        return self._sim.admin("DELETE", "/faults")["removed"]


class Fixtures:
    def __init__(self, sim: Leadsim) -> None:
        self._sim = sim

    def merge(self, fixtures: Mapping[str, Any]) -> Json:
        """Merges fixtures at run time: `{"engine": {...}, "finicity": {...}}`,
        each member shaped as that family's fixtures file."""
        return self._sim.admin("POST", "/fixtures", dict(fixtures))


@dataclass
class Tenant:
    family: str
    id: str
    name: str
    credentials: Dict[str, Any]
    body: Json = field(repr=False)


class Tenants:
    def __init__(self, sim: Leadsim) -> None:
        self._sim = sim

    def create(
        self,
        family: str,
        name: Optional[str] = None,
        credentials: Optional[Mapping[str, Any]] = None,
        rate_limit: Union[Mapping[str, int], None, str] = "default",
    ) -> Tenant:
        """A tenant of `family` (engine, finicity, leadsquared, data_analytics)
        with generated credentials unless given. `rate_limit`: the family's
        default when left alone, `None` for none, or `{"calls": n, "seconds": s}`."""
        body: Dict[str, Any] = {"family": family}
        if name is not None:
            body["name"] = name
        if credentials is not None:
            body["credentials"] = dict(credentials)
        if rate_limit != "default":
            body["rateLimit"] = None if rate_limit is None else dict(rate_limit)  # type: ignore[arg-type]
        return self._tenant(self._sim.admin("POST", "/tenants", body))

    def get(self, family: str, id: str) -> Tenant:
        return self._tenant(self._sim.admin("GET", f"/tenants/{family}/{urllib.parse.quote(id, safe='')}"))

    def list(self, family: Optional[str] = None) -> List[Tenant]:
        tenants = [self._tenant(t) for t in self._sim.admin("GET", "/tenants")["tenants"]]
        return [t for t in tenants if family is None or t.family == family]

    def set_rate_limit(self, family: str, id: str, calls: Optional[int], seconds: Optional[int] = None) -> Tenant:
        """`calls` per `seconds` for the tenant's credentials; `calls=None` removes the limit."""
        body = NULL if calls is None else {"calls": calls, "seconds": seconds}
        path = f"/tenants/{family}/{urllib.parse.quote(id, safe='')}/rateLimit"
        return self._tenant(self._sim.admin("PUT", path, body))

    @staticmethod
    def _tenant(body: Json) -> Tenant:
        return Tenant(body["family"], body["id"], body.get("name", ""), body.get("credentials", {}), body)


class Journal:
    """What reached leadsim (credentials redacted), newest first."""

    def __init__(self, sim: Leadsim) -> None:
        self._sim = sim

    def list(self, **filters: Any) -> List[Json]:
        """Entries matching `filters`: family, method, path (a prefix),
        status, credential, body, since, fault, limit."""
        return self._sim.admin("GET", "/requests", query=filters)["requests"]

    def clear(self) -> int:
        return self._sim.admin("DELETE", "/requests")["cleared"]

    def wait_for(self, count: int = 1, timeout: float = 10.0, **filters: Any) -> List[Json]:
        """Waits until `count` requests match `filters` (server-side, no
        polling); returns them. Raises `WaitTimeout` listing what did arrive."""
        query = dict(filters, wait=timeout, count=count)
        listing = self._sim.admin("GET", "/requests", query=query, timeout=timeout + 10)
        if listing.get("waited", {}).get("satisfied"):
            return listing["requests"]
        arrived = self._sim.admin("GET", "/requests", query={"limit": 20})["requests"]
        seen = "\n".join(f"  {r.get('method')} {r.get('path')} -> {r.get('status')}" for r in arrived) or "  (nothing)"
        raise WaitTimeout(
            f"waited {timeout}s for {count} request(s) matching {filters}; "
            f"{listing.get('matched', 0)} matched. The latest requests:\n{seen}"
        )


def _given_listen(flags: Sequence[str]) -> Optional[str]:
    """The address of a `--listen` among `flags`, if one is given."""
    for i, flag in enumerate(flags):
        if flag == "--listen" and i + 1 < len(flags):
            return flags[i + 1]
        if flag.startswith("--listen="):
            return flag.split("=", 1)[1]
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Tail:
    """The last lines a server wrote to stderr, for error messages."""

    def __init__(self) -> None:
        self._lines: "collections.deque[str]" = collections.deque(maxlen=50)

    def drain(self, stream: Any) -> None:
        for line in stream:
            self._lines.append(line)

    def text(self) -> str:
        return "".join(self._lines)


#: Servers started here and not yet stopped, stopped at interpreter exit.
_STARTED: "weakref.WeakSet[subprocess.Popen]" = weakref.WeakSet()


def _stop(process: subprocess.Popen) -> None:
    _STARTED.discard(process)
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@atexit.register
def _stop_all() -> None:
    for process in list(_STARTED):
        _stop(process)
