"""Drives leadsim's Supply Analytics v3 with a client generated from Engine's
current spec (API 1.106.0, OpenAPI Generator 7.26.0, `-g python`), as a
partner's new poller would, and checks the migration from v1: a v1 walk
(plain HTTP, as a legacy poller sends it) and a v3 walk over the same day
load the same records.

Usage: engine_v3_python_client.py BASE_URL   (leadsim started with --now 2020-01-10T08:15:00Z)
"""
import datetime
import json
import sys
import urllib.parse
import urllib.request

import engine_v3_client
from engine_v3_client.exceptions import ApiException

import story
from story import expect

BASE = sys.argv[1]
CONFIDENTIAL = "demo-confidential-token"
V3 = "2025-04-01"
V3_ONLY = {"affiliateOfferClicked", "firstPayment", "isContacted", "firstContact", "salesQualified", "rateLocked"}



def utc(*args):
    return datetime.datetime(*args, tzinfo=datetime.timezone.utc)


config = engine_v3_client.Configuration(host=BASE, access_token=CONFIDENTIAL)
analytics = engine_v3_client.AnalyticsApi(engine_v3_client.ApiClient(config))


def poll(call, **first):
    """A v3 poller: the first call with its filters, then only the token."""
    page = call(V3, **first)
    records = list(page.data)
    pages = 1
    while page.should_continue_polling:
        token = urllib.parse.parse_qs(urllib.parse.urlparse(page.next_url).query)["paginationToken"][0]
        expect(token == page.pagination_token, "nextUrl carries the paginationToken")
        page = call(V3, pagination_token=token)
        records.extend(page.data)
        pages += 1
    return records, page, pages


# From the start of history to now: every record once, in ingestion order.
events, last, _ = poll(analytics.get_lead_events)
expect(len(events) > 5000, f"nine days of events ({len(events)})")
expect(all(isinstance(e, engine_v3_client.LeadEvent) for e in events), "LeadEvent models")
stamps = [e.pagination_timestamp for e in events]
expect(stamps == sorted(stamps), "paginationTimestamp order")
expect(stamps[-1] <= utc(2020, 1, 10, 8, 10), "the 5-minute SLA")
expect(len({(e.id, e.event_deleted_at) for e in events}) == len(events), "no duplicates")
expect(V3_ONLY & {e.event_type.value for e in events}, "v3's event types")
expect(any(e.pagination_timestamp > e.event_created_at for e in events), "late arrivals")
expect(all(e.supply_sub_account_name == "Demo Lending Partner" for e in events), "sub-account")
expect(last.next_url.startswith(BASE + "/supplyAnalytics/leadEvents?paginationToken="), last.next_url)

# Filters: a list parameter, carried by the token.
funded, _, _ = poll(analytics.get_lead_events, event_type=["funded", "firstPayment"])
expect(funded and {e.event_type.value for e in funded} <= {"funded", "firstPayment"}, "eventType filter")

payouts, _, _ = poll(analytics.get_lead_payouts, since_timestamp=utc(2020, 1, 2))
expect(payouts and all(isinstance(p, engine_v3_client.LeadPayout) for p in payouts), "LeadPayout models")
tags, _, _ = poll(analytics.get_lead_client_tags, until_timestamp=utc(2020, 1, 3))
expect(tags and all(t.pagination_timestamp < utc(2020, 1, 3) for t in tags), "untilTimestamp is exclusive")

# leadsInfo: a lead with a payout, whole.
lead = payouts[0].lead_uuid
info = analytics.get_leads_info(lead, V3)
expect(isinstance(info, engine_v3_client.LeadInfoResponse) and info.warnings == [], "LeadInfoResponse")
expect(any(p.uuid == payouts[0].uuid for p in info.data.payouts), "the lead's payout")
expect(info.data.events[0].event_type.value == "leadCreated", "events in the order they happened")

# Errors a poller must handle: the SLA, a bad token, an unknown lead.
for call, status in [
    (lambda: analytics.get_lead_events(V3, since_timestamp=utc(2020, 1, 10, 8, 14)), 422),
    (lambda: analytics.get_lead_events(V3, pagination_token="garbled"), 422),
    (lambda: analytics.get_lead_events("2019-01-01"), 422),
    (lambda: analytics.get_leads_info("3b241101-e2bb-4255-8caf-4136c566a962", V3), 404),
]:
    try:
        call()
        expect(False, f"expected {status}")
    except ApiException as e:
        expect(e.status == status, f"status {e.status}, expected {status}")

# The migration check: v1's 24 windows of a day and v3 over the same day.
day = utc(2020, 1, 8)
v1_events = []
for hour in range(24):
    start = (day + datetime.timedelta(hours=hour)).strftime("%Y-%m-%dT%H:%M:%SZ")
    request = urllib.request.Request(
        f"{BASE}/supplyAnalytics/leadEvents?timestamp={start}",
        headers={"Authorization": f"Bearer {CONFIDENTIAL}"},
    )
    with urllib.request.urlopen(request) as response:
        v1_events.extend(json.load(response)["data"])
v3_day, _, _ = poll(analytics.get_lead_events, since_timestamp=day, until_timestamp=day + datetime.timedelta(days=1))
v1_ids = {e["id"] for e in v1_events}
v3_ids = {e.id for e in v3_day if e.event_type.value not in V3_ONLY and e.event_deleted_at is None}
expect(v1_ids == v3_ids, f"v1 and v3 load the same events ({len(v1_ids)} and {len(v3_ids)})")

print(f"engine v3 client: {story.checks} checks passed")
