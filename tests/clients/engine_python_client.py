"""Drives leadsim with a client generated from Engine's own OpenAPI spec
(OpenAPI Generator 7.8.0, `-g python`), exactly as a partner's polling job
would: every response must deserialize into the generated models.

Usage: engine_python_client.py BASE_URL   (leadsim started with --now 2020-01-10T08:15:00Z)
"""
import datetime
import sys
import urllib.parse

import engine_client
from engine_client.exceptions import ApiException

import story
from story import expect

BASE = sys.argv[1]
CONFIDENTIAL = "demo-confidential-token"
PUBLISHABLE = "demo-publishable-token"


def client(token):
    config = engine_client.Configuration(host=BASE, access_token=token)
    return engine_client.ApiClient(config)



def walk(call, start, hours):
    """Follows nextUrl as a partner's job does, with the client's own datetime parameter."""
    timestamp = start
    records = []
    for _ in range(hours):
        page = call(timestamp)
        expect(page.next_url.startswith(BASE), f"absolute nextUrl: {page.next_url}")
        records.extend(page.data)
        query = urllib.parse.urlparse(page.next_url).query
        nxt = urllib.parse.parse_qs(query)["timestamp"][0]
        timestamp = datetime.datetime.fromisoformat(nxt.replace("Z", "+00:00"))
        expect(timestamp - start >= datetime.timedelta(hours=1), "cursor moves forward")
    return records, page.should_continue_polling


analytics = engine_client.AnalyticsApi(client(CONFIDENTIAL))
start = datetime.datetime(2020, 1, 8, 0, 0, tzinfo=datetime.timezone.utc)

events, _ = walk(analytics.get_lead_events, start, 24)
expect(len(events) > 200, f"a day of events ({len(events)})")
expect(all(isinstance(e, engine_client.LeadEvent) for e in events), "LeadEvent models")
kinds = {e.event_type for e in events}
expect({"leadCreated", "appSubmitted", "apiApproved"} <= {k.value for k in kinds}, f"event types {kinds}")

payouts, _ = walk(analytics.get_lead_payouts, start, 24)
expect(all(isinstance(p, engine_client.LeadPayout) for p in payouts), "LeadPayout models")
tags, more = walk(analytics.get_lead_client_tags, start, 24)
expect(len(tags) > 200 and all(t.hash for t in tags), "LeadClientTag models with hashes")
expect(more is True, "shouldContinuePolling after a day long past")

# The SLA error comes back as a list of ApiError.
try:
    analytics.get_lead_events(datetime.datetime(2020, 1, 10, 8, 0, tzinfo=datetime.timezone.utc))
    expect(False, "08:00 at 08:15 must fail")
except ApiException as e:
    expect(e.status == 422, f"422, got {e.status}")
    expect("must be at or before 2020-01-10T07:15:00Z" in e.body, e.body)

# A publishable token cannot read analytics.
try:
    engine_client.AnalyticsApi(client(PUBLISHABLE)).get_lead_payouts(start)
    expect(False, "publishable token must be refused")
except ApiException as e:
    expect(e.status == 401, f"401, got {e.status}")

ui = engine_client.UIEventsApi(client(PUBLISHABLE))
display = ui.create_offer_display(
    offer_display_create_data=engine_client.OfferDisplayCreateData(
        lead_uuid="f914eb07-a64f-51d8-b882-ff508a8c5c81",
        rate_table_uuid="952a1184-d369-5958-9a0f-bec903e11c48",
        offer_uuid="3426f971-1aa5-5cb0-91a9-cf2edcfa5dfa",
    )
)
expect(isinstance(display, engine_client.OfferDisplay) and display.id >= 1, f"OfferDisplay {display}")
session = ui.create_session_init()  # no body at all: the client sends an empty one
expect(isinstance(session, engine_client.SessionInit), f"SessionInit {session}")
given = ui.create_session_init(
    session_init_create_data=engine_client.SessionInitCreateData(session_uuid="820cc28f-ae99-55a5-a364-6353efd4a48b")
)
expect(str(given.session_uuid) == "820cc28f-ae99-55a5-a364-6353efd4a48b", "sessionUuid echoed")

print(f"generated Python client: {story.checks} checks passed over {len(events)} events, {len(payouts)} payouts, {len(tags)} tags")
