"""Drives leadsim with a client generated from Finicity's own OpenAPI spec
(OpenAPI Generator 7.8.0, `-g python`, pydantic strict models), through the
whole Balance Analytics flow: every response must deserialize into the
generated models, and errors must arrive as the documented statuses.

Usage: finicity_python_client.py BASE_URL   (leadsim started with --now 2026-11-23T18:00:00Z)
"""
import sys

import finicity_client

import story
from story import expect, expect_status

BASE = sys.argv[1]




config = finicity_client.Configuration(host=BASE)
config.api_key["FinicityAppKey"] = "demo-app-key"
api = finicity_client.ApiClient(config)

token = finicity_client.AuthenticationApi(api).create_token(
    finicity_client.PartnerCredentials(partner_id="demo-partner", partner_secret="demo-partner-secret")
)
expect(len(token.token) == 20, f"token: {token}")
config.api_key["FinicityAppToken"] = token.token

customers = finicity_client.CustomersApi(api)
created = customers.add_testing_customer(finicity_client.NewCustomer(username="python-client-1", first_name="Py"))
expect(created is not None, "201 is the documented status, so the client returns the body")
expect(created.id.isdigit(), f"created id is a string of digits: {created.id}")
customer = customers.get_customer(created.id)
expect(customer.type == "testing", f"type: {customer.type}")

accounts = finicity_client.AccountsApi(api).get_customer_accounts(created.id).accounts
expect(len(accounts) == 3, f"three accounts: {accounts}")
account_ids = [int(a.id) for a in accounts]

balance = finicity_client.BalanceAnalyticsApi(api)
Constraints = finicity_client.BalanceAndCashFlowAnalyticsReportConstraints
ack = balance.generate_balance_analytics(
    created.id, Constraints(account_ids=account_ids, length_of_report=365), reference_number="py-ref-1"
)
expect(ack.customer_id == int(created.id), f"ack customerId: {ack.customer_id}")
expect(len(ack.created_date) == 25, f"createdDate: {ack.created_date}")

report = balance.get_obb_analytics_report(ack.report_id)
expect(report.report_header.reference_number == "py-ref-1", "reference number carried")
expect(len(report.account_results) == 3, "one result per account")
for result in report.account_results:
    metrics = result.balance_analytics_metrics
    expect(len(metrics.daily_balances_for_the_report_time_period) == 365, "365 daily balances")
    expect(
        metrics.minimum_running_balance_for_the_report_time_period
        <= metrics.average_daily_balance_for_the_report_time_period
        <= metrics.maximum_running_balance_for_the_report_time_period,
        "min <= average <= max",
    )

# The vendor's empty-body call (its own SDK test sends {}), on the fixture customer.
fcra = balance.generate_balance_analytics_fcra("1005061234", Constraints())
expect(fcra.account_ids == [5011648377, 5011648378], f"all accounts by default: {fcra.account_ids}")
fcra_report = balance.get_obb_analytics_report_fcra(fcra.report_id, "3F")
expect(fcra_report.customer_id == 1005061234, "FCRA report reads back")

pdf = balance.get_obb_analytics_report_without_preload_content(ack.report_id, _headers={"Accept": "application/pdf"})
expect(pdf.status == 200 and pdf.data.startswith(b"%PDF-"), "PDF through the generated client")

expect_status(lambda: balance.get_obb_analytics_report("no-such-report"), 404, "unknown report")
expect_status(lambda: balance.get_obb_analytics_report_fcra(fcra.report_id, "00"), 400, "invalid purpose")
expect_status(lambda: balance.generate_balance_analytics("1005061236", Constraints()), 409, "personal customer")
expect_status(
    lambda: balance.generate_balance_analytics("1005061234", Constraints(length_of_report=45)), 400, "bad length"
)

print(f"finicity python client: {story.checks} checks passed")
