"""An end-to-end example test: a client under test against leadsim, using
fault injection to exercise its error handling and request verification to
check what it sent. Copy it as a starting point for your own suite.

Run leadsim (``cargo run --release``), then:

    pip install requests pytest
    LEADSIM_URL=http://127.0.0.1:8080 pytest tests/e2e
"""

import os
import threading

import pytest
import requests

BASE = os.environ.get("LEADSIM_URL", "http://127.0.0.1:8080")
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


# --- fixtures -----------------------------------------------------------

@pytest.fixture
def admin():
    """A clean leadsim with its clock frozen, and a session on its admin API."""
    session = requests.Session()
    session.post(f"{BASE}/__admin/reset").raise_for_status()
    session.put(f"{BASE}/__admin/clock", json={"now": "2026-11-23T18:00:00Z"}).raise_for_status()
    yield session
    session.delete(f"{BASE}/__admin/faults").raise_for_status()


@pytest.fixture
def tenant(admin):
    """An Engine company of our own: other jobs sharing leadsim never see it."""
    created = admin.post(f"{BASE}/__admin/tenants", json={"family": "engine", "name": "e2e"})
    assert created.status_code == 201, created.text
    return created.json()["credentials"]


def add_fault(admin, fault):
    created = admin.post(f"{BASE}/__admin/faults", json=fault)
    assert created.status_code == 201, created.text
    return created.json()["id"]


# --- tests --------------------------------------------------------------

def test_the_poller_retries_a_503_and_the_journal_shows_both_calls(admin, tenant):
    token = tenant["confidentialToken"]
    fault = add_fault(admin, {
        "match": {"path": "/supplyAnalytics/leadEvents", "credential": token},
        "effect": {"type": "status", "status": 503},
        "times": 1,
    })

    window = fetch_window(BASE, token, WINDOW)
    assert window["data"], "the window has events"
    assert window["shouldContinuePolling"] is True

    calls = admin.get(f"{BASE}/__admin/requests", params={
        "path": "/supplyAnalytics/leadEvents", "credential": token,
    }).json()
    assert calls["matched"] == 2
    retry, first = calls["requests"]  # newest first
    assert (first["status"], retry["status"]) == (503, 200)
    assert first["fault"] == {"id": fault, "effect": "status"}
    assert "fault" not in retry
    # Secrets never leave leadsim: the journal shows them redacted.
    assert ["authorization", "Bearer [redacted]"] in first["headers"]


def test_the_poller_survives_a_dropped_connection(admin, tenant):
    token = tenant["confidentialToken"]
    add_fault(admin, {"match": {"credential": token}, "effect": {"type": "drop"}, "times": 1})

    with pytest.raises(requests.ConnectionError):
        requests.get(f"{BASE}/supplyAnalytics/leadEvents", params={"timestamp": WINDOW},
                     headers={"Authorization": f"Bearer {token}"}, timeout=5)

    add_fault(admin, {"match": {"credential": token}, "effect": {"type": "drop"}, "times": 1})
    assert fetch_window(BASE, token, WINDOW)["data"]


def test_a_truncated_body_is_an_error_not_silently_short_data(admin, tenant):
    token = tenant["confidentialToken"]
    add_fault(admin, {"match": {"credential": token}, "effect": {"type": "truncate"}, "times": 1})
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(f"{BASE}/supplyAnalytics/leadEvents", params={"timestamp": WINDOW},
                     headers={"Authorization": f"Bearer {token}"}, timeout=5)


def test_wait_until_the_pixel_was_hit_twice_without_sleeping(admin):
    pixel = f"{BASE}/uiEvent/offerDisplays/{LEAD}/{RATE_TABLE}/{OFFER}/pixel.gif"

    def browser():
        for _ in range(2):
            assert requests.get(pixel, timeout=5).content[:6] == b"GIF89a"

    threading.Thread(target=browser).start()
    waited = admin.get(f"{BASE}/__admin/requests", params={
        "path": pixel.removeprefix(BASE), "wait": 10, "count": 2,
    }).json()
    assert waited["waited"] == {"count": 2, "satisfied": True}
    assert [r["status"] for r in waited["requests"]] == [200, 200]


def test_a_seeded_probability_fault_is_reproducible(admin):
    def run():
        admin.post(f"{BASE}/__admin/reset").raise_for_status()
        add_fault(admin, {"match": {"family": "data_analytics"},
                          "effect": {"type": "status", "status": 500},
                          "probability": 0.5, "seed": 7})
        return [
            requests.get(f"{BASE}/api/v1/lead_analytics/search", timeout=5, params={
                "customer_id": "c", "user_id": "u", "lead_id": "l", "recording_id": "r",
            }).status_code
            for _ in range(20)
        ]

    first = run()
    assert first == run()
    assert set(first) == {200, 500}
