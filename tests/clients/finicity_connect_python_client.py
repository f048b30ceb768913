"""The whole life of a Finicity integration, with clients generated from the
vendor's own specs (OpenAPI Generator 7.26.0, `-g python`): the Data Connect
excerpt (Connect URLs, refresh, accounts, transactions) and the 1.42.0
excerpt (authentication, testing customers, businesses, Balance Analytics).
Create a testing customer, generate a Connect URL with a webhook receiver in
this test, complete the link headlessly, receive the events in order,
refresh, read accounts and transactions, generate a Balance Analytics report
on the same accounts, and see its balances and the transactions agree.

Usage: finicity_connect_python_client.py BASE_URL   (leadsim started with --now 2026-11-23T18:00:00Z)
"""
import functools
import json
import sys

import finicity_connect_client as connect
import finicity_decisioning_client as fin
from finicity_connect_client.exceptions import ApiException

import story
from story import expect

BASE = sys.argv[1]
NOW = 1795456800  # 2026-11-23T18:00:00Z



admin = functools.partial(story.admin, BASE)

# The webhook receiver: every event, in the order it arrived.
receiver = story.Receiver("/connect")
webhook = receiver.url

# One token for both clients.
fin_config = fin.Configuration(host=BASE)
fin_config.api_key["FinicityAppKey"] = "demo-app-key"
fin_api = fin.ApiClient(fin_config)
token = fin.AuthenticationApi(fin_api).create_token(
    fin.PartnerCredentials(partner_id="demo-partner", partner_secret="demo-partner-secret")
).token
fin_config.api_key["FinicityAppToken"] = token
config = connect.Configuration(host=BASE)
config.api_key["FinicityAppKey"] = "demo-app-key"
config.api_key["FinicityAppToken"] = token
api = connect.ApiClient(config)

customer_id = fin.CustomersApi(fin_api).add_testing_customer(fin.NewCustomer(username="connect-story-1")).id

# A Connect URL; the receiver gets the ping during the call.
link = connect.ConnectApi(api).generate_connect_url(
    connect.ConnectParameters(partner_id="demo-partner", customer_id=customer_id, webhook=webhook,
                              webhook_data={"applicationId": "app-42"})
).link
expect(f"customerId={customer_id}" in link and "partnerId=demo-partner" in link, f"link: {link}")
expect(receiver.wait_for(1, timeout=0) == [{"eventType": "ping", "payload": {}}], f"ping: {receiver.received}")

# The consumer links FinBank Profiles - A, headlessly.
walk = admin("POST", "/__admin/finicity/connect/complete", {"link": link})
expect(walk["finished"] == "done", f"walk: {walk}")
done = [m for m in walk["messages"] if m["type"] == "user" and m["data"]["action"] == "AddAccounts"][-1]["data"]
login = done["institutionLoginId"]

# The events, in order, with webhookData echoed.
received = receiver.wait_for(7)
types = [e["eventType"] for e in received]
expect(types == ["ping", "started", "institutionSupported", "discovered", "adding", "added", "done"], f"events: {types}")
expect(all(e["webhookData"] == {"applicationId": "app-42"} for e in received[1:]), "webhookData echoed")
added = received[5]["payload"]["accounts"]
expect([a["id"] for a in added] == done["accountIds"], f"added: {added}")

# Refresh, then the accounts of the new login.
accounts_api = connect.AccountsApi(api)
refreshed = accounts_api.refresh_customer_accounts_by_institution_login(customer_id, str(login))
expect(len(refreshed.accounts) == 3, f"refresh: {refreshed}")
accounts = accounts_api.get_customer_accounts_by_institution_login(customer_id, str(login)).accounts
expect([a.id for a in accounts] == done["accountIds"], f"accounts: {accounts}")
expect(all(a.institution_login_id == login and a.status == "active" for a in accounts), "active, at the login")

# The asynchronous transaction refresh: 202, then completed on the clock.
transactions_api = connect.TransactionsApi(api)
refresh = transactions_api.refresh_transactions(
    customer_id, connect.InitiateNewTransactionRefresh(account_ids=[a.id for a in accounts], mode="standard"))
expect(refresh.status == "NEW", f"refresh: {refresh}")
admin("POST", "/__admin/clock/advance", {"seconds": 30})
status = transactions_api.get_transaction_refresh_status(customer_id, refresh.refresh_id)
expect(status.status == "COMPLETED" and status.success_count == 3, f"status: {status}")

# Transactions of the checking account over 60 days, page by page.
checking = accounts[0]
from_date, to_date = NOW - 60 * 86400, NOW + 86400
pages, start = [], 1
while True:
    page = transactions_api.get_customer_account_transactions(
        customer_id, checking.id, from_date, to_date, start=start, limit=50, sort="asc")
    pages.extend(page.transactions)
    if page.more_available != "true":
        break
    start += 50
expect(len(pages) == page.found and len(pages) > 60, f"{len(pages)} of {page.found}")
everything = transactions_api.get_all_customer_transactions(customer_id, from_date, to_date, limit=1000)
expect(everything.found > page.found, "the customer's list covers every account")

# A Balance Analytics report on the same accounts (the 1.42.0 client).
fin.BusinessesAPIApi(fin_api).add_business_details(customer_id, fin.NewBusiness(
    name="Connected Co", personally_liable=False, address=fin.NewAddress(city="Portland"),
    phone_number=fin.PhoneNumberFormat(phone_no="5035550100")))
Constraints = fin.AnalyticsReportConstraints
ack = fin.BalanceAnalyticsApi(fin_api).generate_balance_analytics_report(
    customer_id, "business", Constraints(account_ids=" ".join(a.id for a in accounts), from_date=from_date))
admin("POST", "/__admin/clock/advance", {"seconds": 120})
response = fin.ReportsApi(fin_api).get_report_by_customer_with_http_info(customer_id, ack.id)
report = json.loads(response.raw_data)
expect(report["status"] == "success", f"report: {report['status']}")
reported = next(a for i in report["institutions"] for a in i["accounts"] if str(a["id"]) == checking.id)

# The report's balances and the transactions agree: every day's postings in
# the report are the transactions API's, and the report ends where the
# account's balance is.
read = {t.id: round(t.amount * 100) for t in pages}
in_window = [t for t in reported["transactions"] if from_date <= t["postedDate"] <= to_date]
expect(all(read.get(t["id"]) == round(t["amount"] * 100) for t in in_window), "the report's transactions are the API's")
expect({t["id"] for t in in_window} == set(read), "and the same set")
expect(round(reported["currentBalance"] * 100) == round(accounts_api.get_customer_account(customer_id, checking.id).balance * 100),
       "the report ends at the account's balance")

# Deleting the login removes its accounts.
accounts_api.delete_customer_accounts_by_institution_login(customer_id, str(login))
try:
    accounts_api.get_customer_accounts_by_institution_login(customer_id, str(login))
    raise SystemExit("FAILED: the deleted login still has accounts")
except ApiException as e:
    expect(e.status == 404, f"deleted login: {e.status}")

print(f"finicity-connect: {story.checks} checks passed (link, {len(types)} events, {len(pages)} transactions, report {ack.id})")
