"""Drives leadsim with a client generated from Finicity's current spec
(Mastercard Open Finance US 1.42.0, OpenAPI Generator 7.26.0, `-g python`)
through the asynchronous /decisioning flow: authenticate, enroll a testing
customer, register its business and consumer, generate Balance and Cash
Flow Analytics with a callback URL, poll each report while advancing the
virtual clock until it succeeds, read it, receive the callbacks, list the
reports. Every response must deserialize into the generated models, and
errors must arrive as the documented statuses.

Usage: finicity_decisioning_python_client.py BASE_URL   (leadsim started with --now 2026-11-23T18:00:00Z)
"""
import functools
import json
import sys

import finicity_decisioning_client as fin

import story
from story import expect, expect_status

BASE = sys.argv[1]

admin = functools.partial(story.admin, BASE)

# The Report Listener: a webhook on a free loopback port, recording what arrives.
listener = story.Receiver("/webhook")
callback_url = listener.url

config = fin.Configuration(host=BASE)
config.api_key["FinicityAppKey"] = "demo-app-key"
api = fin.ApiClient(config)

token = fin.AuthenticationApi(api).create_token(
    fin.PartnerCredentials(partner_id="demo-partner", partner_secret="demo-partner-secret")
)
config.api_key["FinicityAppToken"] = token.token

customers = fin.CustomersApi(api)
created = customers.add_testing_customer(fin.NewCustomer(username="decisioning-client-1", first_name="Ada"))
customer_id = created.id
accounts = fin.AccountsApi(api).get_customer_accounts(customer_id).accounts
expect(len(accounts) == 3, f"three accounts: {accounts}")
account_ids = " ".join(str(a.id) for a in accounts[:2])

# Prerequisites: no business yet, so generating for a business is 404.
balance = fin.BalanceAnalyticsApi(api)
Constraints = fin.AnalyticsReportConstraints
Data = fin.AnalyticsReportData
missing = expect_status(
    lambda: balance.generate_balance_analytics_report(customer_id, "business", Constraints()),
    404,
    "a business report needs a business record",
)
expect(missing["message"] == f"Cannot find business for customer with id {customer_id}.", f"{missing}")

businesses = fin.BusinessesAPIApi(api)
business = businesses.add_business_details(
    customer_id,
    fin.NewBusiness(
        name="Lovelace Analytics LLC",
        personally_liable=False,
        address=fin.NewAddress(address_line1="1 Engine Way", city="London", state="OR", country="US", postal_code="97205"),
        phone_number=fin.PhoneNumberFormat(country_code="1", phone_no="5035550100"),
        type="LLC",
    ),
)
expect(business.business_id, f"business id: {business}")
listed = businesses.get_business_by_customer(customer_id)
expect(len(listed) == 1 and listed[0].name == "Lovelace Analytics LLC", f"businesses: {listed}")
expect_status(
    lambda: businesses.add_business_details(customer_id, fin.NewBusiness(
        name="Again", personally_liable=False, address=fin.NewAddress(), phone_number=fin.PhoneNumberFormat())),
    409,
    "one business per customer",
)

consumers = fin.ConsumersApi(api)
consumer = consumers.create_consumer(
    customer_id,
    fin.NewConsumer(first_name="Ada", last_name="Lovelace", state="OR", ssn="999-99-6789", email="ada@example.com"),
)
expect(len(consumer.id) == 32, f"consumer id: {consumer.id}")
expect(consumers.get_consumer_for_customer(customer_id).ssn == "6789", "only the last four SSN digits")

# Both purposes at once: the vendor's 400.
both = expect_status(
    lambda: balance.generate_balance_analytics_report(
        customer_id, "business", Constraints(analytics_report_data=Data(for_cra_purpose=True, for_ftc_purpose=True))
    ),
    400,
    "CRA and FTC together",
)
expect(both["message"] == "forCRAPurpose and forFTCPurpose may not both be TRUE.", f"{both}")

ack = balance.generate_balance_analytics_report(
    customer_id,
    "business",
    Constraints(
        account_ids=account_ids,
        analytics_report_data=Data(for_cra_purpose=False, time_interval_types=["MONTHLY_CALENDAR"]),
        report_custom_fields=[fin.ReportCustomField(label="loanID", value="L-1", shown=True)],
    ),
    callback_url=callback_url,
)
expect(ack.status == "inProgress" and ack.type == "barbnoncra", f"ack: {ack.status} {ack.type}")
expect(ack.id.endswith("-barbnoncra"), f"id: {ack.id}")
cash = fin.CashFlowAnalyticsApi(api).generate_cashflow_analytics_report(
    customer_id,
    "personal",
    Constraints(analytics_report_data=Data(for_cra_purpose=True)),
    callback_url=callback_url,
)
expect(cash.type == "cfrpcra" and cash.report_pin, f"cash flow ack: {cash.type} {cash.report_pin}")

reports = fin.ReportsApi(api)


def read(report_id, purpose=None):
    response = reports.get_report_by_customer_with_http_info(customer_id, report_id, purpose=purpose)
    expect(response.status_code == 200, f"read: {response.status_code}")
    return json.loads(response.raw_data)


# Poll every 20 seconds of virtual time, as the vendor says, until done.
polls = 0
while read(ack.id)["status"] == "inProgress":
    admin("POST", "/__admin/clock/advance", {"seconds": 20})
    polls += 1
    expect(polls <= 5, "finished within 90 seconds of virtual time")
expect(polls >= 1, "the report was in progress at first")

report = reports.get_report_by_customer(customer_id, ack.id)
body = read(ack.id)
expect(body["status"] == "success", f"status: {body['status']}")
expect(body["days"] == 730 and body["seasoned"] is True, f"days: {body['days']}")
accounts_read = body["institutions"][0]["accounts"]
expect(len(accounts_read) == 2, f"two accounts: {len(accounts_read)}")
for account in accounts_read:
    expect(account["transactions"], "transactions")
    expect(account["analytics"]["stateAttributes"][0]["attributeName"] == "ASSET_BALANCE", "ASSET_BALANCE")
    expect(len(account["analytics"]["streams"]) == 3, "payroll, rent and utilities streams")
expect(report is not None, "the generated client reads the finished report")

cra = expect_status(lambda: reports.get_report_by_customer(customer_id, cash.id), 400, "a CRA read needs a purpose")
expect(cra["message"] == "Permissible Purpose Code is required", f"{cra}")
cash_body = read(cash.id, purpose="1W")
expect(cash_body["status"] == "success", f"cash flow status: {cash_body['status']}")
names = [a["attributeName"] for a in cash_body["institutions"][0]["accounts"][0]["analytics"]["transactionalAttributes"]]
expect(names == ["CASH_INFLOW", "CASH_OUTFLOW", "ALL_CASH_FLOWS"], f"cash flow attributes: {names}")

received = listener.wait_for(2)
expect(len(received) == 2, f"two callbacks: {received}")
by_report = {n["payload"]["reportId"]: n for n in received}
expect(by_report[ack.id]["eventType"] == "done" and by_report[ack.id]["payload"]["status"] == "success", f"{by_report}")
expect(by_report[cash.id]["customerId"] == customer_id, f"{by_report[cash.id]}")

summaries = reports.get_reports_by_customer_id(customer_id).reports
expect([s.id for s in summaries] == [ack.id, cash.id], f"list: {[s.id for s in summaries]}")
expect(all(s.status == "success" for s in summaries), "both succeeded")

deliveries = admin("GET", "/__admin/finicity/callbacks")["deliveries"]
expect(sorted(d["outcome"] for d in deliveries) == ["delivered", "delivered"], f"deliveries: {deliveries}")

expect_status(lambda: reports.get_report_by_customer(customer_id, "unknown-barbnoncra"), 404, "unknown report")
print(f"finicity /decisioning python client: {story.checks} checks passed")
