"""Drives leadsim's Engine lead marketplace with a client generated from
Engine's current spec (API 1.106.0, OpenAPI Generator 7.26.0, `-g python`),
the whole life of a lead as a partner's integration sees it: submit a lead,
poll its rate table until every lender answered, follow an offer URL,
advance the virtual clock, and find the lead's events (with `offerClicked`
for that lender) and its payout in v3, in v1 and in leadsInfo.

Usage: engine_marketplace_python_client.py BASE_URL   (leadsim started with --now 2026-03-02T10:00:00Z)
"""
import json
import sys
import urllib.request

import engine_marketplace_client as engine
from engine_marketplace_client.exceptions import ApiException

import story
from story import expect

BASE = sys.argv[1]
PUBLISHABLE = "demo-publishable-token"
CONFIDENTIAL = "demo-confidential-token"
V3 = "2025-04-01"



def client(token):
    return engine.ApiClient(engine.Configuration(host=BASE, access_token=token))


def advance(seconds):
    request = urllib.request.Request(
        f"{BASE}/__admin/clock/advance", data=json.dumps({"seconds": seconds}).encode(), method="POST")
    urllib.request.urlopen(request).read()


def v1(path, hour):
    """A v1 window, as a legacy poller fetches it (no API-Version)."""
    request = urllib.request.Request(
        f"{BASE}/supplyAnalytics/{path}?timestamp={hour:%Y-%m-%dT%H}:00:00Z",
        headers={"Authorization": f"Bearer {CONFIDENTIAL}"})
    return json.load(urllib.request.urlopen(request))["data"]


publishable, confidential = client(PUBLISHABLE), client(CONFIDENTIAL)
leads = engine.LeadApi(publishable)
analytics = engine.AnalyticsApi(confidential)

lead = engine.LeadCreateData.from_dict({
    "productTypes": ["loan"],
    "personalInformation": {
        "firstName": "Ada", "lastName": "Lovelace", "email": "ada+fund@example.com", "state": "TX",
        "zipcode": "73301", "primaryPhone": "5125550100", "dateOfBirth": "1990-01-02", "ssn": "123-45-6780",
    },
    "loanInformation": {"purpose": "debt_consolidation", "loanAmount": 12000},
    "creditInformation": {"providedCreditRating": "good"},
    "financialInformation": {"employmentStatus": "employed", "annualIncome": 90000},
    "clientTags": {"subid": ["ag67125"]},
})

# 1. Submit: the synchronous lenders' offers, the late ones pending.
table = leads.submit_lead(lead)
expect(isinstance(table, engine.RateTable), "RateTable model")
expect(table.loan_amount == 12000, "loanAmount echoed")
expect(table.pending_responses, "some lenders answer later")
submitted_at = table.created_at

# 2. Poll every 20 (virtual) seconds until no lender is pending.
polls = 0
while table.pending_responses:
    advance(20)
    table = leads.get_rate_table(table.uuid)
    polls += 1
    expect(polls < 10, "the rate table completes")
expect(table.loan_offers, "loan offers")
for offer in table.loan_offers:
    r = offer.max_apr / 1200
    payment = round(offer.max_amount * r / (1 - (1 + r) ** -offer.term_length), 2)
    expect(abs(offer.monthly_payment - payment) < 0.006, f"payment from amount, APR and term ({offer.uuid})")

# 3. Follow the best-scored offer's URL, as the user's browser would.
offer = max(table.loan_offers, key=lambda o: o.recommendation_score)
lender = offer.originator.name
page = urllib.request.urlopen(offer.url).read().decode()
expect(lender in page, "the landing page names the lender")

# 4. Four days on (`+fund`: funded three days after the click).
advance(4 * 86400)

info = analytics.get_leads_info(table.lead_uuid, V3)
expect(isinstance(info, engine.LeadInfoResponse) and info.warnings == [], "LeadInfoResponse")
kinds = [e.event_type.value for e in info.data.events]
for kind in ["leadCreated", "appSubmitted", "apiApproved", "offerClicked", "applied", "approved", "funded"]:
    expect(kind in kinds, f"leadsInfo has {kind}")
clicked = [e for e in info.data.events if e.event_type.value == "offerClicked"]
expect(len(clicked) == 1 and clicked[0].financial_institution_name == lender, "offerClicked for that lender")
expect(clicked[0].offer_uuid == offer.uuid, "offerClicked names the offer")
expect(len(info.data.payouts) == 1 and info.data.payouts[0].financial_institution_name == lender, "the payout")
payout = info.data.payouts[0]
expect([(t.key, t.value) for t in info.data.client_tags] == [("subid", "ag67125")], "client tags")

# v3's feeds, from the submission on.
events = analytics.get_lead_events(V3, since_timestamp=submitted_at).data
mine = [e for e in events if e.lead_uuid == table.lead_uuid]
expect(any(e.event_type.value == "offerClicked" and e.financial_institution_name == lender for e in mine),
       "v3 leadEvents: the click")
payouts = analytics.get_lead_payouts(V3, since_timestamp=submitted_at).data
expect(any(p.uuid == payout.uuid for p in payouts), "v3 leadPayouts: the payout")
tags = analytics.get_lead_client_tags(V3, since_timestamp=submitted_at).data
expect(any(t.lead_uuid == table.lead_uuid and t.key == "subid" for t in tags), "v3 leadClientTags")

# v1's hourly windows: the click's hour and the booking's.
window = v1("leadEvents", clicked[0].event_created_at)
expect(any(e["leadUuid"] == str(table.lead_uuid) and e["eventType"] == "offerClicked" for e in window),
       f"v1 leadEvents: the click ({[e for e in window if e['leadUuid'] == str(table.lead_uuid)]})")
expect(any(p["uuid"] == str(payout.uuid) for p in v1("leadPayouts", payout.booked_at)), "v1 leadPayouts: the payout")

# The lead itself, with the confidential token.
stored = engine.LeadApi(confidential).get_lead(table.lead_uuid)
expect(isinstance(stored, engine.Lead) and stored.status.value == "submitted", "Lead model")
expect(stored.company_uuid is not None and not stored.is_test, "company and isTest")

# Bad input: the vendor's ApiError arrays.
try:
    leads.submit_lead(engine.LeadCreateData.from_dict({"productTypes": ["loan"], "loanInformation": {"loanAmount": -5}}))
    expect(False, "a negative amount is refused")
except ApiException as e:
    expect(e.status == 400 and "is not a valid loanAmount" in e.body, f"400 naming loanAmount: {e.body}")
try:
    leads.submit_lead(engine.LeadCreateData.from_dict({**lead.to_dict(), "uuid": str(table.lead_uuid)}))
    expect(False, "a duplicate is refused")
except ApiException as e:
    expect(e.status == 409 and json.loads(e.body) == [{"message": "Lead  duplicates an existing lead"}], e.body)

# The helpers a lead form uses, over the same lenders.
utils = engine.UIUtilsApi(publishable)
expect(2024 in utils.get_vehicle_years(min_year=2020), "vehicle years")
expect("Honda" in utils.get_vehicle_makes(year=2020), "vehicle makes")
trims = utils.get_vehicle_trims(year=2020, make="Honda", model="Civic")
expect(trims and all(isinstance(t, engine.VehicleDetails) for t in trims), "VehicleDetails")
expect(utils.get_universities(limit=2, name="johns")[0] == "Johns Hopkins University", "universities")
featured = utils.get_featured_financial_institutions()
expect(any(f.name == lender for f in featured) or featured, "featured institutions")
previews = engine.OfferPreviewApi(publishable).get_preview_loan_offers(loan_amount=5000, provided_credit_rating="excellent")
expect(previews and all(isinstance(p, engine.LoanOffer) for p in previews), "offer preview")
report = engine.ApprovalProbabilityApi(publishable).create_loans_approval_probability_report(
    engine.LoanReportCreateData(annual_income=75000, credit_rating="excellent", state="NY", loan_amount=10000))
expect(isinstance(report, engine.LoanReport) and report.financial_insitutions, "approval probability")
prefill = engine.PrefillApi(publishable).prefill(lead)
expect(prefill.max_uses == 1 and prefill.product_types, "prefill")
expect(engine.PrefillApi(publishable).get_prefill(str(prefill.prefill_token)).loan_information.loan_amount == 12000,
       "prefill read back")

print(f"ok: {story.checks} checks, {polls} polls, clicked {lender}")
