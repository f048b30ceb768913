//! Finicity's current Balance Analytics flow (`/decisioning`, spec 1.42.0):
//! records, the 202 ack, reports on the virtual clock, callbacks, every
//! error body, agreement with the old flow's report, and determinism.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::http::Method;
use common::schema::{assert_finicity_1_42_schema, assert_finicity_schema, leadsim_schema_violations};
use common::{TestApp, TestResponse};
use leadsim::Fixtures;
use leadsim::config::Config;
use serde_json::{Value, json};

const NOW: &str = "2026-11-23T18:00:00Z";
const APP_KEY: &str = "demo-app-key";
const CREDENTIALS: &str = r#"{"partnerId": "demo-partner", "partnerSecret": "demo-partner-secret"}"#;
/// The fixture business customer and its two accounts.
const CUSTOMER: &str = "1005061234";
const ACCOUNTS: &str = "5011648377 5011648378";
const BUSINESS: &str = r#"{"name": "B&G Construction", "personallyLiable": false,
    "address": {"addressLine1": "123 Main St", "city": "Portland", "state": "OR", "country": "US", "postalCode": "97205"},
    "phoneNumber": {"countryCode": "1", "phoneNo": "5035550100"}}"#;
const CONSUMER: &str = r#"{"firstName": "Grace", "lastName": "Bennett", "state": "OR",
    "ssn": "999-99-1234", "birthday": {"year": 1980, "month": 4, "dayOfMonth": 2}, "email": "grace@example.com"}"#;

struct Client {
    app: TestApp,
    token: String,
}

impl Client {
    async fn new(app: TestApp) -> Self {
        let response = app
            .call(
                Method::POST,
                "/aggregation/v2/partners/authentication",
                &[
                    ("content-type", "application/json"),
                    ("finicity-app-key", APP_KEY),
                ],
                CREDENTIALS.to_owned(),
            )
            .await;
        response.assert_status(200);
        let token = response.json()["token"].as_str().unwrap().to_owned();
        Self { app, token }
    }

    async fn at(now: &str) -> Self {
        Self::new(TestApp::at(now)).await
    }

    async fn call(&self, method: Method, uri: &str, extra: &[(&str, &str)], body: &str) -> TestResponse {
        let mut headers = vec![
            ("finicity-app-key", APP_KEY),
            ("finicity-app-token", self.token.as_str()),
            ("content-type", "application/json"),
        ];
        headers.extend_from_slice(extra);
        self.app.call(method, uri, &headers, body.to_owned()).await
    }

    async fn get(&self, uri: &str) -> TestResponse {
        self.call(Method::GET, uri, &[], "").await
    }

    async fn post(&self, uri: &str, body: &str) -> TestResponse {
        self.call(Method::POST, uri, &[], body).await
    }

    async fn add_business(&self, customer: &str) {
        self.post(
            &format!("/business-services/customers/{customer}/businesses"),
            BUSINESS,
        )
        .await
        .assert_status(200);
    }

    async fn generate(
        &self,
        product: &str,
        customer: &str,
        user_type: &str,
        query: &str,
        body: &str,
    ) -> TestResponse {
        self.post(
            &format!("/decisioning/v2/customers/{customer}/reports/{product}-analytics/userTypes/{user_type}{query}"),
            body,
        )
        .await
    }

    async fn report(&self, customer: &str, id: &str, query: &str) -> TestResponse {
        self.get(&format!(
            "/decisioning/v3/customers/{customer}/reports/{id}{query}"
        ))
        .await
    }

    async fn advance(&self, seconds: i64) {
        self.app.advance(seconds).await;
    }
}

#[track_caller]
fn assert_body(response: &TestResponse, status: u16, expected: Value) {
    response.assert_status(status);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(response.json(), expected);
}

fn invalid(message: &str) -> Value {
    json!({
        "code": "10010",
        "status": "400",
        "message": message,
        "user_message": "One or more of the fields could not be validated. Please ensure you have entered the correct data.",
        "tags": ""
    })
}

fn decisioning(status: u16, message: &str) -> Value {
    json!({ "code": "10100", "status": status.to_string(), "message": message })
}

#[tokio::test]
async fn a_business_report_goes_from_in_progress_to_success_on_the_virtual_clock() {
    let client = Client::at(NOW).await;
    client.add_business(CUSTOMER).await;
    let businesses = client
        .get(&format!("/business-services/customers/{CUSTOMER}/businesses"))
        .await;
    businesses.assert_status(200);
    assert_finicity_1_42_schema("BusinessList", &businesses.json());
    assert_eq!(businesses.json()[0]["name"], "B&G Construction");

    let body = json!({
        "analyticsReportData": {"forCraPurpose": false, "timeIntervalTypes": ["MONTHLY_CALENDAR", "MONTHLY_ROLLING_30"]},
        "accountIds": ACCOUNTS,
        "reportCustomFields": [{"label": "loanID", "value": "12345", "shown": true}],
    });
    let generated = client
        .generate("balance", CUSTOMER, "business", "", &body.to_string())
        .await;
    generated.assert_status(202);
    let ack = generated.json();
    assert_finicity_1_42_schema("AnalyticsReportAck", &ack);
    let id = ack["id"].as_str().unwrap().to_owned();
    assert!(
        id.ends_with("-barbnoncra") && id.len() == 12 + "-barbnoncra".len(),
        "{id}"
    );
    assert_eq!(ack["type"], "barbnoncra");
    assert_eq!(ack["status"], "inProgress");
    assert_eq!(ack["customerId"], 1_005_061_234_i64);
    assert_eq!(ack["customerType"], "active");
    assert_eq!(ack["createdDate"], 1_795_456_800_i64);
    assert_eq!(ack["requesterName"], "Demo Lending LLC");
    assert_eq!(ack["title"], "Mastercard Open Banking Balance Analytics");
    assert_eq!(
        ack["constraints"]["accountIds"],
        json!(["5011648377", "5011648378"])
    );
    assert_eq!(
        ack["constraints"]["reportCustomFields"],
        body["reportCustomFields"]
    );
    assert_eq!(
        ack["constraints"]["analyticsReportData"]["timeIntervalTypes"],
        json!(["MONTHLY_CALENDAR", "MONTHLY_ROLLING_30"])
    );
    assert_eq!(ack["businessDetails"]["name"], "B&G Construction");
    assert!(ack.get("reportPin").is_none(), "only CRA reports carry a PIN");

    // In progress: the minimal report, also in the list.
    let pending = client.report(CUSTOMER, &id, "").await;
    pending.assert_status(200);
    assert_eq!(pending.json(), ack);
    let listed = client
        .get(&format!("/decisioning/v1/customers/{CUSTOMER}/reports"))
        .await;
    assert_finicity_1_42_schema("ReportSummaries", &listed.json());
    assert_eq!(listed.json()["reports"][0]["status"], "inProgress");
    let pdf = client
        .call(
            Method::GET,
            &format!("/decisioning/v3/customers/{CUSTOMER}/reports/{id}"),
            &[("accept", "application/pdf")],
            "",
        )
        .await;
    assert_body(
        &pdf,
        400,
        decisioning(
            400,
            &format!("Report {id} is not ready as a PDF: its status is inProgress"),
        ),
    );

    // The generation time is 20 to 90 seconds of virtual time.
    client.advance(19).await;
    assert_eq!(
        client.report(CUSTOMER, &id, "").await.json()["status"],
        "inProgress"
    );
    client.advance(71).await;
    let done = client.report(CUSTOMER, &id, "").await;
    done.assert_status(200);
    let report = done.json();
    assert_eq!(report["status"], "success");
    assert_finicity_1_42_schema("AFBalanceAnalyticsReport", &report);
    assert_eq!(report["days"], 730);
    assert_eq!(report["seasoned"], true);
    let accounts = report["institutions"][0]["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 2);
    for account in accounts {
        let attribute = &account["analytics"]["stateAttributes"][0];
        assert_eq!(attribute["attributeName"], "ASSET_BALANCE");
        let intervals: Vec<&str> = attribute["reportedByTimePeriods"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["timeIntervalType"].as_str().unwrap())
            .collect();
        assert_eq!(intervals, ["MONTHLY_CALENDAR", "MONTHLY_ROLLING_30"]);
        let streams: Vec<u64> = account["analytics"]["streams"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["cadence"].as_u64().unwrap())
            .collect();
        assert_eq!(streams, [15, 30, 30], "payroll, rent and utilities");
    }
    let listed = client
        .get(&format!("/decisioning/v1/customers/{CUSTOMER}/reports"))
        .await;
    assert_eq!(listed.json()["reports"][0]["status"], "success");

    let pdf = client
        .call(
            Method::GET,
            &format!("/decisioning/v3/customers/{CUSTOMER}/reports/{id}"),
            &[("accept", "application/pdf")],
            "",
        )
        .await;
    pdf.assert_status(200);
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    assert!(pdf.body.starts_with(b"%PDF-"));
    let document = lopdf::Document::load_mem(&pdf.body).unwrap();
    assert_eq!(document.get_pages().len(), 3, "a summary and a page per account");
}

/// Each account's ending balance day by day, read back from the report:
/// the current balance, then each day's transactions taken away.
fn balances_from_transactions(account: &Value, days: usize) -> Vec<i64> {
    let mut by_day: BTreeMap<i64, i64> = BTreeMap::new();
    for t in account["transactions"].as_array().unwrap() {
        *by_day.entry(t["postedDate"].as_i64().unwrap()).or_default() += cents(&t["amount"]);
    }
    let end = by_day.keys().next_back().copied().unwrap();
    let mut balance = cents(&account["currentBalance"]);
    let mut out = vec![balance];
    for back in 0..days - 1 {
        balance -= by_day.get(&(end - back as i64 * 86_400)).copied().unwrap_or(0);
        out.push(balance);
    }
    out.reverse();
    out
}

fn cents(amount: &Value) -> i64 {
    (amount.as_f64().unwrap() * 100.0).round() as i64
}

#[tokio::test]
async fn transactions_explain_every_daily_balance_and_agree_with_the_old_report() {
    let client = Client::at(NOW).await;
    client.add_business(CUSTOMER).await;
    let ack = client
        .generate(
            "balance",
            CUSTOMER,
            "business",
            "",
            &json!({"accountIds": ACCOUNTS}).to_string(),
        )
        .await
        .json();
    client.advance(90).await;
    let report = client
        .report(CUSTOMER, ack["id"].as_str().unwrap(), "")
        .await
        .json();

    let old_ack = client
        .post(&format!("/analytics/balance/v1/customer/{CUSTOMER}"), "{}")
        .await
        .json();
    let old = client
        .get(&format!(
            "/analytics/data/v1/{}",
            old_ack["reportId"].as_str().unwrap()
        ))
        .await
        .json();
    assert_finicity_schema("ObbAnalyticsReport", &old);

    for (account, result) in report["institutions"][0]["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .zip(old["accountResults"].as_array().unwrap())
    {
        assert_eq!(account["id"], result["accountId"]);
        let old_days: Vec<i64> = result["balanceAnalyticsMetrics"]["dailyBalancesForTheReportTimePeriod"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| cents(&d["endingBalance"]))
            .collect();
        // The old report was generated 90 seconds later, on the same day.
        assert_eq!(old_days.len(), 730);
        let rebuilt = balances_from_transactions(account, old_days.len());
        assert_eq!(rebuilt, old_days, "account {}", account["id"]);
        assert_eq!(
            account["currentBalance"],
            result["accountDetails"]["currentBalance"]
        );

        // Each calendar month ends on the old report's balance of that day.
        let old_by_date: BTreeMap<&str, i64> =
            result["balanceAnalyticsMetrics"]["dailyBalancesForTheReportTimePeriod"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| (d["date"].as_str().unwrap(), cents(&d["endingBalance"])))
                .collect();
        let periods = account["analytics"]["stateAttributes"][0]["reportedByTimePeriods"][0]["periods"]
            .as_array()
            .unwrap();
        assert_eq!(periods.len(), 25, "24 whole months and two part months, less one");
        let mut days = 0;
        for period in periods {
            let end = period["endDate"].as_str().unwrap();
            assert_eq!(cents(&period["endingValue"]), old_by_date[end], "{end}");
            assert_eq!(
                cents(&period["beginningValue"]),
                old_by_date[period["startDate"].as_str().unwrap()]
            );
            days += period["count"].as_u64().unwrap();
        }
        assert_eq!(days, 730);
    }
}

#[tokio::test]
async fn cash_flow_reports_total_their_transactions_by_period() {
    let client = Client::at(NOW).await;
    client.add_business(CUSTOMER).await;
    let ack = client
        .generate(
            "cashflow",
            CUSTOMER,
            "business",
            "",
            r#"{"analyticsReportData": {"forFtcPurpose": true}}"#,
        )
        .await;
    ack.assert_status(202);
    let ack = ack.json();
    assert_eq!(ack["type"], "cfrbftc");
    assert_eq!(ack["title"], "Mastercard Open Banking Cash Flow Analytics");
    client.advance(90).await;
    let report = client
        .report(CUSTOMER, ack["id"].as_str().unwrap(), "")
        .await
        .json();
    assert_finicity_1_42_schema("AFCashFlowAnalyticsReport", &report);
    for account in report["institutions"][0]["accounts"].as_array().unwrap() {
        let transactions = account["transactions"].as_array().unwrap();
        let attributes = account["analytics"]["transactionalAttributes"]
            .as_array()
            .unwrap();
        let names: Vec<&str> = attributes
            .iter()
            .map(|a| a["attributeName"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            ["CASH_INFLOW", "CASH_OUTFLOW", "ALL_CASH_FLOWS", "REVENUE"]
        );
        let total = |name: &str| -> (i64, u64) {
            let attribute = attributes.iter().find(|a| a["attributeName"] == name).unwrap();
            attribute["aggregatedByTimePeriods"][0]["periods"]
                .as_array()
                .unwrap()
                .iter()
                .fold((0, 0), |(sum, count), p| {
                    (
                        sum + p.get("sum").map_or(0, cents),
                        count + p["count"].as_u64().unwrap(),
                    )
                })
        };
        let inflow: i64 = transactions
            .iter()
            .map(|t| cents(&t["amount"]))
            .filter(|c| *c > 0)
            .sum();
        let outflow: i64 = transactions
            .iter()
            .map(|t| cents(&t["amount"]))
            .filter(|c| *c < 0)
            .sum();
        let (in_sum, in_count) = total("CASH_INFLOW");
        let (out_sum, _) = total("CASH_OUTFLOW");
        let (all_sum, all_count) = total("ALL_CASH_FLOWS");
        assert!((in_sum - inflow).abs() <= 30, "period sums round to cents");
        assert!((out_sum - outflow).abs() <= 30);
        assert!((all_sum - (inflow + outflow)).abs() <= 30);
        assert_eq!(all_count as usize, transactions.len());
        assert!(in_count > 0);
        assert_eq!(
            account["analytics"]["stateAttributes"][0]["attributeName"],
            "NET_CASH_FLOW"
        );
    }
}

#[tokio::test]
async fn generate_errors_have_the_vendor_bodies_and_store_nothing() {
    let client = Client::at(NOW).await;
    let generate = |user: &'static str, query: &'static str, body: &'static str| {
        let client = &client;
        async move { client.generate("balance", CUSTOMER, user, query, body).await }
    };
    // No business record yet.
    assert_body(
        &generate("business", "", "{}").await,
        404,
        decisioning(404, "Cannot find business for customer with id 1005061234."),
    );
    assert_body(
        &generate("personal", "", "{}").await,
        404,
        decisioning(404, "Cannot find consumer for customer with id 1005061234."),
    );
    client.add_business(CUSTOMER).await;
    assert_body(
        &generate(
            "business",
            "",
            r#"{"analyticsReportData": {"forCraPurpose": true, "forFtcPurpose": true}}"#,
        )
        .await,
        400,
        decisioning(400, "forCRAPurpose and forFTCPurpose may not both be TRUE."),
    );
    assert_body(
        &generate(
            "business",
            "",
            r#"{"analyticsReportData": {"applicantIsPersonalGuarantor": true}}"#,
        )
        .await,
        404,
        decisioning(404, "Cannot find consumer for customer with id 1005061234."),
    );
    assert_body(
        &generate("business", "", r#"{"accountIds": "5011648377 42"}"#).await,
        400,
        decisioning(400, "Account 42 does not belong to customer 1005061234."),
    );
    assert_body(
        &generate("business", "", r#"{"accountIds": ["5011648377"]}"#).await,
        400,
        invalid("\"accountIds\" must be a string of account IDs separated by spaces"),
    );
    assert_body(
        &generate("business", "", r#"{"fromDate": 1900000000}"#).await,
        400,
        decisioning(400, "fromDate must be a past date in epoch seconds."),
    );
    assert_body(
        &generate("business", "", r#"{"fromDate": "yesterday"}"#).await,
        400,
        invalid("\"fromDate\" must be an integer of epoch seconds"),
    );
    assert_body(
        &generate(
            "business",
            "",
            r#"{"analyticsReportData": {"timeIntervalTypes": ["WEEKLY"]}}"#,
        )
        .await,
        400,
        invalid(
            "\"analyticsReportData.timeIntervalTypes\" items must be one of [MONTHLY_CALENDAR, MONTHLY_ROLLING_30]",
        ),
    );
    assert_body(
        &generate(
            "business",
            "",
            r#"{"reportCustomFields": [{}, {}, {}, {}, {}, {}]}"#,
        )
        .await,
        400,
        invalid("\"reportCustomFields\" must contain less than or equal to 5 items"),
    );
    assert_body(
        &generate("corporate", "", "{}").await,
        400,
        decisioning(
            400,
            "Invalid userType 'corporate': allowed values are business and personal",
        ),
    );
    assert_body(
        &generate("business", "?callbackUrl=ftp://example.com/x", "{}").await,
        400,
        decisioning(
            400,
            "Invalid callbackUrl: an absolute http or https URL of at most 2000 characters is required",
        ),
    );
    assert_body(
        &generate("business", "", "[1, 2]").await,
        400,
        invalid("\"value\" must be of type object"),
    );
    assert_body(
        &generate("business", "", "{not json").await,
        400,
        json!({"code": 14020, "message": "Bad request."}),
    );
    let freeze_body = generate(
        "personal",
        "",
        r#"{"analyticsReportData": {"forFtcPurpose": true}}"#,
    )
    .await;
    assert_body(
        &freeze_body,
        400,
        decisioning(400, "forFTCPurpose is only applicable to business reports."),
    );
    // Nothing was stored by any refusal.
    let listed = client
        .get(&format!("/decisioning/v1/customers/{CUSTOMER}/reports"))
        .await;
    assert_body(&listed, 200, json!({"reports": []}));

    // Without a token: the vendor's 401.
    let anonymous = client
        .app
        .call(
            Method::POST,
            &format!("/decisioning/v2/customers/{CUSTOMER}/reports/balance-analytics/userTypes/business"),
            &[
                ("content-type", "application/json"),
                ("finicity-app-key", APP_KEY),
            ],
            "{}".to_owned(),
        )
        .await;
    anonymous.assert_status(401);

    // The per-customer limit.
    for _ in 0..50 {
        generate("business", "", "{}").await.assert_status(202);
    }
    assert_body(
        &generate("business", "", "{}").await,
        400,
        json!({"code": "20400", "status": "400", "message": "The max report generation limit was exceeded for this customer."}),
    );
}

#[tokio::test]
async fn a_security_freeze_and_a_scripted_failure_come_from_fixtures() {
    let fixtures = json!({"finicity": {"customers": [
        {"id": "1009100001", "username": "frozen-customer", "type": "personal", "securityFreeze": true,
         "accounts": [{"id": 5091000001_u64, "type": "checking", "name": "Checking"}]},
        {"id": "1009100002", "username": "failing-customer", "type": "business", "reportOutcome": "failure",
         "reportGenerationSeconds": 300,
         "accounts": [{"id": 5091000002_u64, "type": "checking", "name": "Checking"}]}
    ]}});
    let client = Client::at(NOW).await;
    client
        .app
        .post_json("/__admin/fixtures", &fixtures.to_string())
        .await
        .assert_status(200);
    client
        .post("/decisioning/v1/customers/1009100001/consumer", CONSUMER)
        .await
        .assert_status(201);
    assert_body(
        &client
            .generate("balance", "1009100001", "personal", "", "{}")
            .await,
        403,
        json!({"code": 10405, "status": "403", "message": "The active security freeze for this consumer exists."}),
    );
    assert_body(
        &client.get("/decisioning/v1/customers/1009100001/reports").await,
        403,
        json!({"code": 10405, "status": "403", "message": "The active security freeze for this consumer exists."}),
    );

    client.add_business("1009100002").await;
    let ack = client
        .generate("balance", "1009100002", "business", "", "{}")
        .await
        .json();
    let id = ack["id"].as_str().unwrap();
    client.advance(299).await;
    assert_eq!(
        client.report("1009100002", id, "").await.json()["status"],
        "inProgress"
    );
    client.advance(1).await;
    let failed = client.report("1009100002", id, "").await.json();
    assert_eq!(failed["status"], "failure");
    assert_eq!(failed["errors"][0]["code"], "10200");
    assert!(failed.get("institutions").is_none());
    // The vendor's `ErrorMessage.code` is `type: object` though every
    // example is a string or a number; leadsim's spec says so.
    let violations = leadsim_schema_violations("finicity-decisioning", "AnalyticsReportAck", &failed);
    assert!(violations.is_empty(), "{violations:?}");
}

#[tokio::test]
async fn the_admin_api_scripts_a_failure_until_the_report_finishes() {
    let client = Client::at(NOW).await;
    client.add_business(CUSTOMER).await;
    let ack = client
        .generate("balance", CUSTOMER, "business", "", "{}")
        .await
        .json();
    let id = ack["id"].as_str().unwrap();
    let outcome = client
        .app
        .post_json(
            &format!("/__admin/finicity/reports/{id}/outcome"),
            r#"{"outcome": "failure"}"#,
        )
        .await;
    outcome.assert_status(200);
    assert_eq!(outcome.json()["outcome"], "failure");
    client
        .app
        .post_json(
            &format!("/__admin/finicity/reports/{id}/outcome"),
            r#"{"outcome": "maybe"}"#,
        )
        .await
        .assert_status(400);
    client
        .app
        .post_json(
            "/__admin/finicity/reports/nope/outcome",
            r#"{"outcome": "failure"}"#,
        )
        .await
        .assert_status(404);
    let listed = client.app.get("/__admin/finicity/reports").await.json();
    assert_eq!(listed["reports"][0]["id"], id);
    assert_eq!(listed["reports"][0]["status"], "inProgress");
    client.advance(90).await;
    assert_eq!(client.report(CUSTOMER, id, "").await.json()["status"], "failure");
    client
        .app
        .post_json(
            &format!("/__admin/finicity/reports/{id}/outcome"),
            r#"{"outcome": "success"}"#,
        )
        .await
        .assert_status(409);
}

#[tokio::test]
async fn consumer_records_keep_only_the_last_four_ssn_digits_and_cra_reads_need_a_purpose() {
    let client = Client::at(NOW).await;
    let uri = format!("/decisioning/v1/customers/{CUSTOMER}/consumer");
    assert_body(
        &client.get(&uri).await,
        404,
        decisioning(404, "Cannot find consumer for customer with id 1005061234."),
    );
    assert_body(
        &client
            .post(
                &uri,
                r#"{"firstName": "Grace", "lastName": "Bennett", "state": "OR", "email": "g@example.com"}"#,
            )
            .await,
        400,
        invalid("\"ssn\" or \"birthday\" is required"),
    );
    assert_body(
        &client
            .post(
                &uri,
                r#"{"firstName": "Grace", "lastName": "Bennett", "state": "OR", "ssn": "12-34"}"#,
            )
            .await,
        400,
        invalid("\"ssn\" must be 9 digits, with or without hyphens"),
    );
    let created = client.post(&uri, CONSUMER).await;
    created.assert_status(201);
    assert_finicity_1_42_schema("CreatedConsumer", &created.json());
    let consumer = client.get(&uri).await;
    consumer.assert_status(200);
    assert_finicity_1_42_schema("Consumer", &consumer.json());
    assert_eq!(consumer.json()["ssn"], "1234");
    assert!(!consumer.text().contains("999-99"));
    assert_body(
        &client.post(&uri, CONSUMER).await,
        409,
        json!({"code": "11000", "status": "409", "message": "A consumer already exists for customer 1005061234"}),
    );

    // The journal hides the SSN and date of birth as it hides secrets.
    let listed = client
        .app
        .journal("?path=/decisioning/v1/customers/1005061234/consumer&method=POST")
        .await;
    assert_eq!(
        listed["matched"], 4,
        "the four consumer POSTs are there: {listed}"
    );
    let posted = listed["requests"].to_string();
    assert!(posted.contains("[redacted]"), "{posted}");
    assert!(
        !posted.contains("999-99-1234") && !posted.contains("1980") && !posted.contains("12-34"),
        "{posted}"
    );

    let ack = client
        .generate(
            "balance",
            CUSTOMER,
            "personal",
            "",
            r#"{"analyticsReportData": {"forCraPurpose": true}}"#,
        )
        .await;
    ack.assert_status(202);
    let ack = ack.json();
    assert_eq!(ack["type"], "barpcra");
    assert_eq!(ack["consumerSsn"], "1234");
    assert_eq!(ack["reportPin"].as_str().unwrap().len(), 6);
    let id = ack["id"].as_str().unwrap();
    assert_body(
        &client.report(CUSTOMER, id, "").await,
        400,
        decisioning(400, "Permissible Purpose Code is required"),
    );
    client
        .report(CUSTOMER, id, "?purpose=zz")
        .await
        .assert_status(400);
    client
        .report(CUSTOMER, id, "?purpose=1W")
        .await
        .assert_status(200);
    assert_body(
        &client.report(CUSTOMER, "nope-barpcra", "?purpose=31").await,
        404,
        json!({"code": 14001, "message": "Resource not found."}),
    );
}

#[tokio::test]
async fn a_finished_report_is_posted_to_its_callback_url_once_the_clock_passes_it() {
    let received: Arc<Mutex<Vec<Value>>> = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let sink = received.clone();
    let router = axum::Router::new().route(
        "/webhook",
        axum::routing::post(move |body: String| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push(serde_json::from_str(&body).unwrap());
                "ok"
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await });

    let client = Client::at(NOW).await;
    client.add_business(CUSTOMER).await;
    let query = format!("?callbackUrl=http://{address}/webhook");
    let ack = client
        .generate("balance", CUSTOMER, "business", &query, "{}")
        .await
        .json();
    let id = ack["id"].as_str().unwrap().to_owned();
    // A callback that refuses connections is recorded as failed.
    let refused = client
        .generate(
            "balance",
            CUSTOMER,
            "business",
            "?callbackUrl=http://127.0.0.1:9/nobody",
            "{}",
        )
        .await;
    refused.assert_status(202);

    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(
        received.lock().unwrap().is_empty(),
        "nothing before the report finishes"
    );
    client.advance(90).await;
    let mut waited = 0;
    while received.lock().unwrap().is_empty() && waited < 100 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        waited += 1;
    }
    let notifications = received.lock().unwrap().clone();
    assert_eq!(notifications.len(), 1);
    let notification = &notifications[0];
    assert_eq!(notification["customerId"], CUSTOMER);
    assert_eq!(notification["eventType"], "done");
    assert_eq!(notification["payload"]["reportId"], id.as_str());
    assert_eq!(notification["payload"]["status"], "success");
    assert_eq!(notification["payload"]["type"], "barbnoncra");

    // Both deliveries are listed; the refused one after its three attempts.
    let mut deliveries = Value::Null;
    for _ in 0..200 {
        deliveries = client.app.get("/__admin/finicity/callbacks").await.json();
        let done = deliveries["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["outcome"] != "pending")
            .count();
        if done == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let deliveries = deliveries["deliveries"].as_array().unwrap().clone();
    let delivered = deliveries.iter().find(|d| d["reportId"] == id.as_str()).unwrap();
    assert_eq!(delivered["outcome"], "delivered");
    assert_eq!(delivered["attempts"][0]["status"], 200);
    let failed = deliveries.iter().find(|d| d["reportId"] != id.as_str()).unwrap();
    assert_eq!(failed["outcome"], "failed");
    assert_eq!(failed["attempts"].as_array().unwrap().len(), 3);
    assert!(
        failed["attempts"][0]["error"]
            .as_str()
            .unwrap()
            .starts_with("request failed")
    );
    // The failed delivery did not touch its report.
    let other = failed["reportId"].as_str().unwrap();
    assert_eq!(
        client.report(CUSTOMER, other, "").await.json()["status"],
        "success"
    );
}

#[tokio::test]
async fn the_same_seed_gives_the_same_bytes_and_another_seed_other_ones() {
    async fn run(seed: u64) -> (String, Vec<u8>) {
        let mut config = Config::defaults();
        config.seed = seed;
        config.now = leadsim::parse_rfc3339(NOW);
        let client = Client::new(TestApp::with(config, Fixtures::embedded().unwrap())).await;
        client.add_business(CUSTOMER).await;
        let ack = client
            .generate("cashflow", CUSTOMER, "business", "", "{}")
            .await
            .text();
        let id = serde_json::from_str::<Value>(&ack).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        client.advance(90).await;
        (ack, client.report(CUSTOMER, &id, "").await.body.to_vec())
    }
    let (ack, report) = run(7).await;
    let (ack_again, report_again) = run(7).await;
    assert_eq!(ack, ack_again);
    assert!(report == report_again, "the same seed gave other report bytes");
    let (other_ack, other_report) = run(8).await;
    assert_ne!(ack, other_ack);
    assert!(report != other_report);
}

#[tokio::test]
async fn business_records_are_validated_and_unique_per_customer() {
    let client = Client::at(NOW).await;
    let uri = format!("/business-services/customers/{CUSTOMER}/businesses");
    let none = decisioning(404, "Cannot find business for customer with id 1005061234.");
    assert_body(&client.get(&uri).await, 404, none.clone());
    assert_body(
        &client
            .post(&uri, r#"{"name": "X", "personallyLiable": true, "address": {}}"#)
            .await,
        400,
        invalid("\"phoneNumber\" is required"),
    );
    assert_body(
        &client
            .post(
                &uri,
                r#"{"name": "X", "personallyLiable": "yes", "address": {}, "phoneNumber": {}}"#,
            )
            .await,
        400,
        invalid("\"personallyLiable\" must be a boolean"),
    );
    assert_body(
        &client
            .post(&uri, r#"{"name": "X", "personallyLiable": true, "address": {"country": "USA"}, "phoneNumber": {}}"#)
            .await,
        400,
        invalid("\"address.country\" length must be less than or equal to 2 characters long"),
    );
    let created = client.post(&uri, BUSINESS).await;
    created.assert_status(200);
    assert_finicity_1_42_schema("Business", &created.json());
    assert_body(
        &client.post(&uri, BUSINESS).await,
        409,
        json!({"code": "11000", "status": "409", "message": "A business already exists for customer 1005061234"}),
    );
    assert_body(
        &client
            .get("/business-services/customers/9999999999/businesses")
            .await,
        404,
        json!({"code": 14001, "message": "Customer not found."}),
    );
    // Records go on reset.
    client
        .app
        .post_json("/__admin/reset", "")
        .await
        .assert_status(200);
    let client = Client::new(client.app).await;
    assert_body(&client.get(&uri).await, 404, none);
}
