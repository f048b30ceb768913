"""An end-to-end example test: a client under test against leadsim, using
fault injection to exercise its error handling and request verification to
check what it sent, driven by the Python helper (clients/python). Copy it
as a starting point for your own suite.

    pip install ./clients/python requests pytest
    LEADSIM_BINARY=target/release/leadsim pytest tests/e2e   # the helper starts leadsim
    LEADSIM_URL=http://127.0.0.1:8080 pytest tests/e2e       # or uses one running
"""

import hashlib
import threading

import pytest
import requests

WINDOW = "2026-11-23T10:00:00Z"
LEAD = "3f1c1d6e-5f8a-4c36-9f5e-0b6a3c2d1e0f"
RATE_TABLE = "a2b4c6d8-0000-4000-8000-000000000001"
OFFER = "a2b4c6d8-0000-4000-8000-000000000002"


# --- the code under test: a tiny Engine supply-analytics poller ----------

def fetch_window(base, token, timestamp, attempts=3):
    """One hourly window of lead events, retrying server errors and
    dropped connections the way a production poller should."""
    last_error = None
    for _ in range(attempts):
        try:
            response = requests.get(
                f"{base}/supplyAnalytics/leadEvents",
                params={"timestamp": timestamp},
                headers={"Authorization": f"Bearer {token}"},
                timeout=5,
            )
        except requests.ConnectionError as error:
            last_error = error
            continue
        if response.status_code >= 500:
            last_error = RuntimeError(f"server error {response.status_code}")
            continue
        response.raise_for_status()
        return response.json()
    raise last_error


# --- fixtures: the helper's pytest plugin gives `leadsim_reset` and `leadsim_tenant`

@pytest.fixture
def sim(leadsim_reset):
    """A clean leadsim with its clock frozen."""
    leadsim_reset.clock.set("2026-11-23T18:00:00Z")
    return leadsim_reset


@pytest.fixture
def token(leadsim_tenant):
    """An Engine company of our own: other jobs sharing leadsim never see it."""
    return leadsim_tenant("engine").credentials["confidentialToken"]


# --- tests --------------------------------------------------------------

def test_the_poller_retries_a_503_and_the_journal_shows_both_calls(sim, token):
    fault = sim.faults.add(
        match={"path": "/supplyAnalytics/leadEvents", "credential": token},
        effect={"type": "status", "status": 503},
        times=1,
    )

    window = fetch_window(sim.url, token, WINDOW)
    assert window["data"], "the window has events"
    assert window["shouldContinuePolling"] is True

    retry, first = sim.requests.list(path="/supplyAnalytics/leadEvents", credential=token)  # newest first
    assert (first["status"], retry["status"]) == (503, 200)
    assert first["fault"] == {"id": fault.id, "effect": "status"}
    assert "fault" not in retry
    # Secrets never leave leadsim: the journal shows them redacted, with a
    # fingerprint (the first 8 hex digits of the token's SHA-256).
    fingerprint = hashlib.sha256(token.encode()).hexdigest()[:8]
    assert ["authorization", f"Bearer [redacted:{fingerprint}]"] in first["headers"]


def test_the_poller_survives_a_dropped_connection(sim, token):
    sim.faults.add(match={"credential": token}, effect={"type": "drop"}, times=1)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{sim.url}/supplyAnalytics/leadEvents", params={"timestamp": WINDOW},
                     headers={"Authorization": f"Bearer {token}"}, timeout=5)

    sim.faults.add(match={"credential": token}, effect={"type": "drop"}, times=1)
    assert fetch_window(sim.url, token, WINDOW)["data"]


def test_a_truncated_body_is_an_error_not_silently_short_data(sim, token):
    with sim.faults.add(match={"credential": token}, effect={"type": "truncate"}, times=1):
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            requests.get(f"{sim.url}/supplyAnalytics/leadEvents", params={"timestamp": WINDOW},
                         headers={"Authorization": f"Bearer {token}"}, timeout=5)


def test_wait_until_the_pixel_was_hit_twice_without_sleeping(sim):
    path = f"/uiEvent/offerDisplays/{LEAD}/{RATE_TABLE}/{OFFER}/pixel.gif"

    def browser():
        for _ in range(2):
            assert requests.get(sim.url + path, timeout=5).content[:6] == b"GIF89a"

    threading.Thread(target=browser).start()
    hits = sim.requests.wait_for(path=path, count=2, timeout=10)
    assert [r["status"] for r in hits] == [200, 200]


def test_a_seeded_probability_fault_is_reproducible(sim):
    def run():
        sim.reset()
        sim.faults.add(match={"family": "data_analytics"}, effect={"type": "status", "status": 500},
                       probability=0.5, seed=7)
        return [
            requests.get(f"{sim.url}/api/v1/lead_analytics/search", timeout=5, params={
                "customer_id": "c", "user_id": "u", "lead_id": "l", "recording_id": "r",
            }).status_code
            for _ in range(20)
        ]

    first = run()
    assert first == run()
    assert set(first) == {200, 500}
