"""The helper against a real leadsim (`$LEADSIM_BINARY`, started by the
plugin's session fixture, or `$LEADSIM_URL`)."""

import datetime
import json
import os
import urllib.error
import urllib.request

import pytest

from leadsim import Leadsim, LeadsimError, WaitTimeout

ENGINE = "demo-confidential-token"


def call(sim, path, token=ENGINE, headers=None):
    """A vendor call as code under test would make it: (status, JSON body)."""
    request = urllib.request.Request(sim.url + path, headers={"Authorization": f"Bearer {token}", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def test_start_runs_a_binary_on_a_free_port_and_stop_ends_it():
    with Leadsim.start(args=["--seed", "7", "--now", "2020-01-01T08:15:00Z"]) as sim:
        assert sim.url.startswith("http://127.0.0.1:")
        assert sim.health()["status"] == "ok"
        assert sim.clock.status()["frozen"] is True
        url = sim.url
    with pytest.raises(OSError):
        Leadsim.connect(url).health()


def test_start_names_what_is_missing(monkeypatch):
    with pytest.raises(RuntimeError, match="did not start"):
        Leadsim.start(args=["--seed", "not-a-number"])
    monkeypatch.delenv("LEADSIM_BINARY", raising=False)
    monkeypatch.setenv("PATH", "")
    with pytest.raises(FileNotFoundError, match="LEADSIM_BINARY"):
        Leadsim.start()


def test_the_clock_sets_advances_freezes_and_releases(leadsim_reset):
    clock = leadsim_reset.clock
    clock.set("2020-01-01T08:15:00Z")
    assert clock.now() == datetime.datetime(2020, 1, 1, 8, 15, tzinfo=datetime.timezone.utc)
    clock.advance(datetime.timedelta(hours=1))
    clock.advance(30)
    assert clock.now() == datetime.datetime(2020, 1, 1, 9, 15, 30, tzinfo=datetime.timezone.utc)
    clock.set(datetime.datetime(2021, 6, 1, tzinfo=datetime.timezone.utc))
    assert clock.status()["now"] == "2021-06-01T00:00:00Z"
    assert clock.release()["frozen"] is False
    assert clock.freeze()["frozen"] is True
    with pytest.raises(LeadsimError) as refused:
        clock.set("1900-01-01T00:00:00Z")
    assert refused.value.status == 400 and "now" in refused.value.message
    with pytest.raises(ValueError):
        clock.set(datetime.datetime(2021, 6, 1))


def test_a_fault_applies_inside_its_block_and_is_gone_after(leadsim_reset):
    sim = leadsim_reset
    sim.clock.set("2020-01-01T08:15:00Z")
    window = "/supplyAnalytics/leadEvents?timestamp=2020-01-01T07:00:00Z"
    with sim.faults.add(match={"path": "/supplyAnalytics/leadEvents"}, effect={"type": "status", "status": 503}) as fault:
        assert call(sim, window)[0] == 503
        assert fault.refresh()["applied"] == 1
    assert sim.faults.list() == []
    assert call(sim, window)[0] == 200
    # A fault that ran out of times retires; leaving its block is still fine.
    with sim.faults.add(effect={"type": "status", "status": 500}, times=1):
        assert call(sim, window)[0] == 500
    assert sim.faults.clear() == 0
    with pytest.raises(LeadsimError) as refused:
        sim.faults.add(effect={"type": "teleport"})
    assert refused.value.status == 400


def test_fixtures_merge_and_tenants_with_rate_limits(leadsim_reset, leadsim_tenant):
    sim = leadsim_reset
    sim.clock.set("2020-01-01T08:15:00Z")
    sim.fixtures.merge({"engine": {"companies": [{
        "name": "Merged", "uuid": "11111111-2222-4333-8444-555555555555",
        "confidentialToken": "merged-conf", "publishableToken": "merged-pub"}]}})
    window = "/supplyAnalytics/leadEvents?timestamp=2020-01-01T07:00:00Z"
    assert call(sim, window, token="merged-conf")[0] == 200

    tenant = leadsim_tenant("engine")
    assert tenant.name == "test_fixtures_merge_and_tenants_with_rate_limits"
    token = tenant.credentials["confidentialToken"]
    assert call(sim, window, token=token)[0] == 200
    assert sim.tenants.get("engine", tenant.id).credentials == tenant.credentials
    assert tenant.id in [t.id for t in sim.tenants.list("engine")]
    assert all(t.family == "finicity" for t in sim.tenants.list("finicity"))

    sim.tenants.set_rate_limit("engine", tenant.id, calls=1, seconds=60)
    assert call(sim, window, token=token)[0] == 200
    assert call(sim, window, token=token)[0] == 429
    sim.tenants.set_rate_limit("engine", tenant.id, calls=None)
    assert call(sim, window, token=token)[0] == 200

    mine = leadsim_tenant("leadsquared", rate_limit=None, credentials={"accessKey": "py-ak", "secretKey": "py-sk"})
    assert mine.credentials == {"accessKey": "py-ak", "secretKey": "py-sk"}
    with pytest.raises(LeadsimError) as refused:
        leadsim_tenant("leadsquared", credentials={"accessKey": "py-ak", "secretKey": "other"})
    assert refused.value.status == 409


def test_wait_for_returns_what_arrived_or_says_what_did(leadsim_reset):
    sim = leadsim_reset
    sim.clock.set("2020-01-01T08:15:00Z")
    for hour in ("06", "07"):
        call(sim, f"/supplyAnalytics/leadEvents?timestamp=2020-01-01T{hour}:00:00Z")
    arrived = sim.requests.wait_for(path="/supplyAnalytics/leadEvents", count=2, timeout=2)
    assert [r["status"] for r in arrived] == [200, 200]
    # The journal never shows the token.
    assert all(ENGINE not in json.dumps(r) for r in arrived)
    with pytest.raises(WaitTimeout) as timeout:
        sim.requests.wait_for(path="/supplyAnalytics/leadPayouts", count=1, timeout=0.2)
    assert "GET /supplyAnalytics/leadEvents -> 200" in str(timeout.value)
    assert sim.requests.clear() == 2
    assert sim.requests.list() == []


def test_reset_leaves_a_clean_server(leadsim):
    leadsim.faults.add(effect={"type": "status", "status": 503})
    leadsim.reset()
    assert leadsim.faults.list() == []
    assert leadsim.requests.list() == []
    assert leadsim.clock.status()["frozen"] is False


def test_start_waits_for_health_under_any_log_level(monkeypatch):
    # No startup line to read at this level: readiness is the health endpoint.
    monkeypatch.setenv("RUST_LOG", "error")
    with Leadsim.start() as sim:
        assert sim.health()["status"] == "ok"


def test_start_on_a_chosen_port_by_argument_or_flag():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with Leadsim.start(port=port) as sim:
        assert sim.url == f"http://127.0.0.1:{port}"
        assert sim.health()["status"] == "ok"
    with Leadsim.start(args=["--listen", f"127.0.0.1:{port}"]) as sim:
        assert sim.url == f"http://127.0.0.1:{port}"
        assert sim.health()["status"] == "ok"


def test_the_timeout_holds_and_the_process_is_stopped(tmp_path):
    # A "server" that never answers: start gives up on time and kills it.
    fake = tmp_path / "leadsim"
    pid_file = tmp_path / "pid"
    fake.write_text(f"#!/bin/sh\necho $$ > {pid_file}\nexec sleep 60\n")
    fake.chmod(0o755)
    import time

    started = time.monotonic()
    with pytest.raises(RuntimeError, match="did not answer within 1.0s"):
        Leadsim.start(binary=str(fake), timeout=1.0)
    assert time.monotonic() - started < 5
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_an_admin_token_from_the_environment_is_sent(monkeypatch):
    monkeypatch.setenv("LEADSIM_ADMIN_TOKEN", "helper-s3cret")
    with Leadsim.start() as sim:
        # The server requires it (it reads the same variable), the helper sends it.
        assert sim.clock.status()["frozen"] is False
        connected = Leadsim.connect(sim.url)
        assert connected.reset() is not None
        with pytest.raises(LeadsimError) as refused:
            Leadsim(sim.url).clock.status()
        assert refused.value.status == 401
    with Leadsim.start(admin_token="explicit-token") as sim:
        assert sim.clock.status()["frozen"] is False
