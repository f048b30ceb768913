//! Finicity Balance Analytics over HTTP: the whole client flow, every error
//! with its exact vendor body, token expiry on the virtual clock, metric
//! consistency against the daily series, JSON bodies against the vendor's
//! schemas, and the PDF parsed back.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::Method;
use common::schema::{assert_finicity_schema, finicity_schema_violations, leadsim_schema_violations};
use common::{TestApp, TestResponse};
use leadsim::Fixtures;
use leadsim::config::Config;
use leadsim::parse_rfc3339;
use serde_json::{Value, json};

const NOW: &str = "2026-11-23T18:00:00Z";
const APP_KEY: &str = "demo-app-key";
const CREDENTIALS: &str = r#"{"partnerId": "demo-partner", "partnerSecret": "demo-partner-secret"}"#;
/// The fixture business customer and its two accounts (DESIGN defaults).
const CUSTOMER: &str = "1005061234";
/// A business customer whose payroll account opened on 2025-09-01.
const BAKERY: &str = "1005061235";
const PERSONAL: &str = "1005061236";

struct Finicity {
    app: TestApp,
    token: String,
}

impl Finicity {
    async fn at(now: &str) -> Self {
        Self::signed_in(TestApp::at(now)).await
    }

    async fn signed_in(app: TestApp) -> Self {
        let response = authenticate(&app, Some(APP_KEY), CREDENTIALS).await;
        response.assert_status(200);
        let token = response.json()["token"].as_str().unwrap().to_owned();
        Self { app, token }
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
        self.call(Method::GET, uri, &[("accept", "application/json")], "")
            .await
    }

    async fn post(&self, uri: &str, body: &str) -> TestResponse {
        self.call(Method::POST, uri, &[], body).await
    }

    /// Generates a report and returns its ack.
    async fn generate(&self, customer: &str, body: &str) -> Value {
        let response = self
            .post(&format!("/analytics/balance/v1/customer/{customer}"), body)
            .await;
        response.assert_status(200);
        response.json()
    }

    async fn report(&self, report_id: &str) -> Value {
        let response = self.get(&format!("/analytics/data/v1/{report_id}")).await;
        response.assert_status(200);
        response.json()
    }
}

async fn authenticate(app: &TestApp, key: Option<&str>, body: &str) -> TestResponse {
    let mut headers = vec![("content-type", "application/json")];
    if let Some(key) = key {
        headers.push(("finicity-app-key", key));
    }
    app.call(
        Method::POST,
        "/aggregation/v2/partners/authentication",
        &headers,
        body.to_owned(),
    )
    .await
}

#[track_caller]
fn assert_body(response: &TestResponse, status: u16, expected: Value) {
    response.assert_status(status);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(response.json(), expected);
}

fn missing_field(message: &str) -> Value {
    json!({
        "code": "10010",
        "status": "400",
        "message": message,
        "user_message": "One or more of the fields could not be validated. Please ensure you have entered the correct data.",
        "tags": ""
    })
}

fn expired_token() -> Value {
    json!({
        "code": "10022",
        "status": "401",
        "message": "Invalid authorization credentials",
        "user_message": "The session has expired or is invalid",
        "tags": ""
    })
}

#[tokio::test]
async fn a_client_authenticates_enrolls_a_testing_customer_and_reads_its_report_as_json_and_pdf() {
    let f = Finicity::at(NOW).await;
    assert_eq!(f.token.len(), 20);
    assert!(f.token.chars().all(|c| c.is_ascii_alphanumeric()));

    let created = f
        .post(
            "/aggregation/v2/customers/testing",
            r#"{"username": "flow-tester-1", "firstName": "Ann", "lastName": "Flow"}"#,
        )
        .await;
    created.assert_status(201);
    let created = created.json();
    assert_finicity_schema("CreatedCustomer", &created);
    let customer_id = created["id"].as_str().expect("id is a string").to_owned();
    assert_eq!(created["username"], "flow-tester-1");
    assert_eq!(
        created["createdDate"],
        json!(parse_rfc3339(NOW).unwrap().timestamp())
    );

    let customer = f.get(&format!("/aggregation/v1/customers/{customer_id}")).await;
    customer.assert_status(200);
    let customer = customer.json();
    assert_finicity_schema("Customer", &customer);
    assert_eq!(customer["type"], "testing");
    assert_eq!(customer["firstName"], "Ann");
    assert_eq!(
        customer["createdDate"],
        json!(parse_rfc3339(NOW).unwrap().timestamp().to_string())
    );

    let accounts = f
        .get(&format!("/aggregation/v1/customers/{customer_id}/accounts"))
        .await;
    accounts.assert_status(200);
    let accounts = accounts.json();
    assert_finicity_schema("CustomerAccounts", &accounts);
    // Spec 1.42.0's account fields, valid there too.
    assert!(common::schema::finicity_1_42_schema_violations("CustomerAccounts", &accounts).is_empty());
    let created = parse_rfc3339(NOW).unwrap().timestamp();
    assert_eq!(accounts["accounts"][0]["linkedAccountDate"], created);
    assert_eq!(accounts["accounts"][0]["authorizationStartDate"], created);
    assert_eq!(accounts["accounts"][0]["authorizationExpires"], false);
    let accounts = accounts["accounts"].as_array().unwrap();
    assert_eq!(
        accounts.len(),
        3,
        "a testing customer gets three FinBank accounts"
    );
    let account_ids: Vec<i64> = accounts
        .iter()
        .map(|a| {
            assert_eq!(a["customerId"], json!(customer_id));
            a["id"].as_str().expect("account id is a string").parse().unwrap()
        })
        .collect();

    let ack = f
        .post(
            &format!("/analytics/balance/v1/customer/{customer_id}?reference-number=abc123"),
            &json!({ "accountIds": account_ids[..2], "lengthOfReport": 90 }).to_string(),
        )
        .await;
    ack.assert_status(200);
    let ack = ack.json();
    assert_finicity_schema("BalanceAndCashFlowAnalyticsReportAck", &ack);
    assert_eq!(ack["customerId"], json!(customer_id.parse::<i64>().unwrap()));
    assert_eq!(ack["accountIds"], json!(account_ids[..2]));
    assert_eq!(ack["createdDate"], "2026-11-23T11:00:00-07:00");
    assert_eq!(ack["title"], "Finicity Balance Analytics");
    let report_id = ack["reportId"].as_str().unwrap();
    assert_eq!(uuid::Uuid::parse_str(report_id).unwrap().to_string(), report_id);

    let report = f.report(report_id).await;
    assert_finicity_schema("ObbAnalyticsReport", &report);
    assert_eq!(report["reportHeader"]["reportId"], report_id);
    assert_eq!(report["reportHeader"]["referenceNumber"], "abc123");
    assert_eq!(report["reportHeader"]["reportDate"], "2026-11-23T11:00:00-07:00");
    assert_eq!(report["accountResults"].as_array().unwrap().len(), 2);
    for result in report["accountResults"].as_array().unwrap() {
        let days = result["balanceAnalyticsMetrics"]["dailyBalancesForTheReportTimePeriod"]
            .as_array()
            .unwrap();
        assert_eq!(days.len(), 90);
        assert_eq!(days.last().unwrap()["date"], "2026-11-23");
    }

    let pdf = f
        .call(
            Method::GET,
            &format!("/analytics/data/v1/{report_id}"),
            &[("accept", "application/pdf")],
            "",
        )
        .await;
    pdf.assert_status(200);
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    let text = pdf_text(&pdf.body, 3);
    assert!(text.contains("Finicity Balance Analytics"), "{text}");
    assert!(text.contains(report_id), "{text}");
    assert!(text.contains("Operating Checking"), "{text}");
}

/// Parses the PDF, checks its page count and returns the text of all pages.
fn pdf_text(bytes: &[u8], pages: usize) -> String {
    assert!(bytes.starts_with(b"%PDF-"));
    let document = lopdf::Document::load_mem(bytes).expect("a valid PDF");
    let numbers: Vec<u32> = document.get_pages().keys().copied().collect();
    assert_eq!(numbers.len(), pages, "page count");
    document.extract_text(&numbers).expect("text extracts")
}

#[tokio::test]
async fn the_ack_and_report_are_the_same_bytes_for_the_same_seed_and_differ_for_another() {
    async fn run(seed: u64) -> (TestResponse, TestResponse, TestResponse) {
        let mut config = Config::defaults();
        config.seed = seed;
        config.now = parse_rfc3339(NOW);
        let f = Finicity::signed_in(TestApp::with(config, Fixtures::embedded().unwrap())).await;
        let ack = f
            .post(&format!("/analytics/balance/v1/customer/{CUSTOMER}"), "{}")
            .await;
        let id = ack.json()["reportId"].as_str().unwrap().to_owned();
        let json = f.get(&format!("/analytics/data/v1/{id}")).await;
        let pdf = f
            .call(
                Method::GET,
                &format!("/analytics/data/v1/{id}"),
                &[("accept", "application/pdf")],
                "",
            )
            .await;
        (ack, json, pdf)
    }
    let (ack_a, json_a, pdf_a) = run(42).await;
    let (ack_b, json_b, pdf_b) = run(42).await;
    assert_eq!(ack_a.body, ack_b.body);
    assert_eq!(json_a.body, json_b.body);
    assert_eq!(pdf_a.body, pdf_b.body);
    let (_, json_c, _) = run(7).await;
    let daily = |r: &TestResponse| {
        r.json()["accountResults"][0]["balanceAnalyticsMetrics"]["dailyBalancesForTheReportTimePeriod"]
            .clone()
    };
    assert_ne!(daily(&json_a), daily(&json_c));

    // The default request covers every account over 730 days.
    let ack = ack_a.json();
    assert_eq!(ack["accountIds"], json!([5011648377_u64, 5011648378_u64]));
    assert_eq!(ack["businessId"], 4444);
    assert_eq!(ack["requesterName"], "Demo Lending LLC");
    assert_eq!(ack["reportPin"].as_str().unwrap().len(), 4);
    assert_eq!(
        json_a.json()["accountResults"][0]["currentReportRequest"]["requestedDaysForReport"],
        730
    );
}

#[tokio::test]
async fn partner_authentication_errors_carry_the_vendor_bodies_and_five_failures_lock() {
    let app = TestApp::at(NOW);
    assert_body(
        &authenticate(&app, None, CREDENTIALS).await,
        401,
        json!({"code": 10026, "message": "Missing parameter (Finicity-App-Key)"}),
    );
    let invalid = json!({"code": 10001, "message": "Invalid credentials"});
    assert_body(
        &authenticate(&app, Some("nope"), CREDENTIALS).await,
        401,
        invalid.clone(),
    );
    assert_body(
        &authenticate(&app, Some(APP_KEY), r#"{"partnerSecret": "x"}"#).await,
        400,
        missing_field("\"partnerId\" is required"),
    );
    assert_body(
        &authenticate(&app, Some(APP_KEY), r#"{"partnerId": 12, "partnerSecret": "x"}"#).await,
        400,
        missing_field("\"partnerId\" must be a string"),
    );
    assert_body(
        &authenticate(&app, Some(APP_KEY), r#"{"partnerId": "demo-partner"}"#).await,
        400,
        missing_field("\"partnerSecret\" is required"),
    );
    assert_body(
        &authenticate(&app, Some(APP_KEY), "{not json").await,
        400,
        json!({"code": 14020, "message": "Bad request."}),
    );

    // Spec 1.42.0: an unknown partner is 404, and counts toward no lockout.
    let unknown = r#"{"partnerId": "nobody", "partnerSecret": "x"}"#;
    for _ in 0..6 {
        assert_body(
            &authenticate(&app, Some(APP_KEY), unknown).await,
            404,
            json!({"code": 12401, "message": "partner not found"}),
        );
    }
    authenticate(&app, Some(APP_KEY), CREDENTIALS)
        .await
        .assert_status(200);

    let wrong = r#"{"partnerId": "demo-partner", "partnerSecret": "wrong"}"#;
    for _ in 0..5 {
        assert_body(
            &authenticate(&app, Some(APP_KEY), wrong).await,
            401,
            invalid.clone(),
        );
    }
    let locked = authenticate(&app, Some(APP_KEY), CREDENTIALS).await;
    locked.assert_status(401);
    assert_eq!(locked.json()["code"], 10001);
    assert!(locked.json()["message"].as_str().unwrap().contains("locked"));

    app.call(Method::POST, "/__admin/reset", &[], Body::empty())
        .await
        .assert_status(200);
    authenticate(&app, Some(APP_KEY), CREDENTIALS)
        .await
        .assert_status(200);
}

#[tokio::test]
async fn a_success_clears_the_failure_count() {
    let app = TestApp::at(NOW);
    let wrong = r#"{"partnerId": "demo-partner", "partnerSecret": "wrong"}"#;
    for round in 0..3 {
        for _ in 0..4 {
            authenticate(&app, Some(APP_KEY), wrong).await.assert_status(401);
        }
        authenticate(&app, Some(APP_KEY), CREDENTIALS)
            .await
            .assert_status(200);
        assert!(round < 3);
    }
}

#[tokio::test]
async fn tokens_expire_after_two_hours_of_virtual_time() {
    let f = Finicity::at(NOW).await;
    let customer = format!("/aggregation/v1/customers/{CUSTOMER}");
    f.app
        .call(
            Method::POST,
            "/__admin/clock/advance",
            &[("content-type", "application/json")],
            r#"{"seconds": 7199}"#.to_owned(),
        )
        .await
        .assert_status(200);
    f.get(&customer).await.assert_status(200);
    f.app
        .call(
            Method::POST,
            "/__admin/clock/advance",
            &[("content-type", "application/json")],
            r#"{"seconds": 1}"#.to_owned(),
        )
        .await
        .assert_status(200);
    assert_body(&f.get(&customer).await, 401, expired_token());
    assert_body(
        &f.post(&format!("/analytics/balance/v1/customer/{CUSTOMER}"), "{}")
            .await,
        401,
        json!({"errorCode": 401, "message": "Invalid Finicity-App-Token"}),
    );
    // A fresh token works again.
    let f = Finicity::signed_in(f.app).await;
    f.get(&customer).await.assert_status(200);
}

#[tokio::test]
async fn calls_without_a_valid_key_and_token_are_refused_in_each_operations_shape() {
    let f = Finicity::at(NOW).await;
    let app = &f.app;
    let customer = format!("/aggregation/v1/customers/{CUSTOMER}");
    assert_body(
        &app.call(Method::GET, &customer, &[("finicity-app-token", &f.token)], "")
            .await,
        401,
        json!({"code": 10026, "message": "Missing parameter (Finicity-App-Key)"}),
    );
    assert_body(
        &app.call(Method::GET, &customer, &[("finicity-app-key", APP_KEY)], "")
            .await,
        401,
        expired_token(),
    );
    assert_body(
        &app.call(
            Method::GET,
            &customer,
            &[("finicity-app-key", APP_KEY), ("finicity-app-token", "made-up")],
            "",
        )
        .await,
        401,
        expired_token(),
    );
    let generate = format!("/analytics/balance/v1/customer/{CUSTOMER}");
    let no_key = app
        .call(
            Method::POST,
            &generate,
            &[
                ("finicity-app-token", &f.token),
                ("content-type", "application/json"),
            ],
            "{}",
        )
        .await;
    assert_body(
        &no_key,
        401,
        json!({"errorCode": 401, "message": "Invalid Finicity-App-Key"}),
    );
    assert_finicity_schema("ObbErrorMessage", &no_key.json());
    let no_token = app
        .call(
            Method::POST,
            &generate,
            &[
                ("finicity-app-key", APP_KEY),
                ("content-type", "application/json"),
            ],
            "{}",
        )
        .await;
    assert_body(
        &no_token,
        401,
        json!({"errorCode": 401, "message": "Invalid Finicity-App-Token"}),
    );
    assert_body(
        &app.call(
            Method::GET,
            "/analytics/data/v1/anything",
            &[("finicity-app-key", APP_KEY)],
            "",
        )
        .await,
        401,
        expired_token(),
    );
}

#[tokio::test]
async fn generate_errors_have_the_vendor_bodies_and_store_nothing() {
    let f = Finicity::at(NOW).await;
    let path = |customer: &str| format!("/analytics/balance/v1/customer/{customer}");
    let cases: Vec<(String, &str, u16, &str)> = vec![
        (path("9999999999"), "{}", 404, "Customer not found"),
        (
            path(PERSONAL),
            "{}",
            409,
            "Customer is not registered as a business",
        ),
        (
            path("abc"),
            "{}",
            400,
            "Invalid parameter 'customerId': a numeric customer ID is required",
        ),
        (
            path(CUSTOMER),
            r#"{"accountIds": [5011648379]}"#,
            400,
            "Account 5011648379 does not belong to customer 1005061234",
        ),
        (
            path(CUSTOMER),
            r#"{"accountIds": []}"#,
            400,
            "accountIds must list at least one account",
        ),
        (
            path(CUSTOMER),
            r#"{"lengthOfReport": 45}"#,
            400,
            "Invalid lengthOfReport 45: must be one of 30, 90, 180, 270, 365 or 730",
        ),
        (
            path(CUSTOMER),
            "{\"lengthOfReport\": ",
            400,
            "Malformed JSON in request body",
        ),
        (path(CUSTOMER), "", 400, "Missing required request body"),
    ];
    for (uri, body, status, message) in &cases {
        let response = f.post(uri, body).await;
        assert_body(
            &response,
            *status,
            json!({"errorCode": status, "message": message}),
        );
        assert_finicity_schema("ObbErrorMessage", &response.json());
    }
    // Wrong JSON types are the vendor's 400, not a framework 422.
    for body in [
        r#"{"accountIds": "5011648377"}"#,
        r#"{"lengthOfReport": "730"}"#,
        r#"{"accountIds": [1.5]}"#,
        "[]",
    ] {
        let response = f.post(&path(CUSTOMER), body).await;
        response.assert_status(400);
        assert_eq!(response.json()["errorCode"], 400);
        assert!(
            response.json()["message"]
                .as_str()
                .unwrap()
                .starts_with("Invalid value for"),
            "{}",
            response.text()
        );
    }
    let too_long = format!("{}?reference-number={}", path(CUSTOMER), "r".repeat(256));
    f.post(&too_long, "{}").await.assert_status(400);

    // Nothing was stored: the next report gets the first id of a fresh run.
    let first_id = f.generate(CUSTOMER, "{}").await["reportId"].clone();
    let fresh = Finicity::at(NOW).await;
    assert_eq!(fresh.generate(CUSTOMER, "{}").await["reportId"], first_id);
}

#[tokio::test]
async fn another_partners_customer_is_forbidden_for_analytics_and_hidden_from_aggregation() {
    let fixtures = r#"{
        "partners": [
            {"partnerId": "demo-partner", "partnerSecret": "demo-partner-secret", "appKey": "demo-app-key", "name": "Demo"},
            {"partnerId": "other", "partnerSecret": "other-secret", "appKey": "other-key", "name": "Other"}
        ],
        "customers": [
            {"id": "2000000001", "username": "other-business", "partnerId": "other", "type": "business",
             "accounts": [{"id": 7000000001, "type": "checking", "name": "Checking"}]}
        ]
    }"#;
    let mut config = Config::defaults();
    config.now = parse_rfc3339(NOW);
    let app = TestApp::with(
        config,
        Fixtures::with_files(&[("finicity.json", fixtures)]).unwrap(),
    );
    let f = Finicity::signed_in(app).await;
    assert_body(
        &f.post("/analytics/balance/v1/customer/2000000001", "{}").await,
        403,
        json!({"errorCode": 403, "message": "Partner does not have access to this resource"}),
    );
    assert_body(
        &f.get("/aggregation/v1/customers/2000000001").await,
        400,
        missing_field("Customer ID does not exist or does not belong to this partner"),
    );
    // A token is tied to its partner's app key.
    let mixed = f
        .app
        .call(
            Method::GET,
            "/aggregation/v1/customers/2000000001",
            &[
                ("finicity-app-key", "other-key"),
                ("finicity-app-token", &f.token),
            ],
            "",
        )
        .await;
    assert_body(&mixed, 401, expired_token());
}

#[tokio::test]
async fn customer_and_account_lookups_answer_the_vendor_errors_and_filters() {
    let f = Finicity::at(NOW).await;
    assert_body(
        &f.get("/aggregation/v1/customers/9999999999").await,
        404,
        json!({"code": 14001, "message": "Customer not found."}),
    );
    assert_body(
        &f.get("/aggregation/v1/customers/not-a-number").await,
        400,
        missing_field("Customer ID does not exist or does not belong to this partner"),
    );
    assert_body(
        &f.get(&format!(
            "/aggregation/v1/customers/{CUSTOMER}/accounts?account_type=loan"
        ))
        .await,
        400,
        json!({"code": 14020, "message": "Bad request. (Account type not supported)."}),
    );
    let ava = f
        .get(&format!(
            "/aggregation/v1/customers/{CUSTOMER}/accounts?account_type=ava"
        ))
        .await
        .json();
    assert_eq!(ava["accounts"].as_array().unwrap().len(), 2);
    let pending = f
        .get(&format!(
            "/aggregation/v1/customers/{CUSTOMER}/accounts?status=pending"
        ))
        .await
        .json();
    assert_eq!(pending, json!({"accounts": []}));
    let all = f
        .get(&format!("/aggregation/v1/customers/{CUSTOMER}/accounts"))
        .await
        .json();
    let ids: Vec<&str> = all["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["5011648377", "5011648378"]);
    assert_eq!(all["accounts"][0]["institutionId"], "101732");
    assert_eq!(all["accounts"][0]["marketSegment"], "business");
}

#[tokio::test]
async fn testing_customers_validate_usernames_and_vanish_on_reset() {
    let f = Finicity::at(NOW).await;
    let add = |body: &'static str| f.post("/aggregation/v2/customers/testing", body);
    assert_body(&add("{}").await, 400, missing_field("\"username\" is required"));
    assert_body(
        &add(r#"{"username": "short"}"#).await,
        400,
        missing_field("\"username\" length must be at least 6 characters long"),
    );
    assert_body(
        &add(r#"{"username": "long-enough", "email": 5}"#).await,
        400,
        missing_field("\"email\" must be a string"),
    );
    assert_body(
        &add("nope").await,
        400,
        json!({"code": 14020, "message": "Bad request."}),
    );
    // Spec 1.42.0's 409 for a taken username.
    assert_body(
        &add(r#"{"username": "bg-construction"}"#).await,
        409,
        json!({"code": "110002", "message": "Username is not available."}),
    );

    let first = add(r#"{"username": "first-tester", "phone": "5035550100", "email": "t@example.com", "applicationId": "app-7"}"#)
        .await
        .json();
    let second = add(r#"{"username": "second-tester"}"#).await.json();
    assert_ne!(first["id"], second["id"]);
    let first_id = first["id"].as_str().unwrap();
    let shown = f.get(&format!("/aggregation/v1/customers/{first_id}")).await;
    shown.assert_status(200);
    assert_finicity_schema("Customer", &shown.json());
    assert_eq!(
        (
            &shown.json()["phone"],
            &shown.json()["email"],
            &shown.json()["applicationId"]
        ),
        (&json!("5035550100"), &json!("t@example.com"), &json!("app-7"))
    );

    f.app
        .call(Method::POST, "/__admin/reset", &[], Body::empty())
        .await
        .assert_status(200);
    let f = Finicity::signed_in(f.app).await;
    f.get(&format!("/aggregation/v1/customers/{first_id}"))
        .await
        .assert_status(404);
    // Ids restart with the run: the same username gets the same id again.
    let again = f
        .post(
            "/aggregation/v2/customers/testing",
            r#"{"username": "first-tester"}"#,
        )
        .await
        .json();
    assert_eq!(again["id"], first["id"]);
}

#[tokio::test]
async fn report_reads_check_purpose_route_and_accept() {
    let f = Finicity::at(NOW).await;
    let plain = f.generate(CUSTOMER, r#"{"lengthOfReport": 30}"#).await["reportId"]
        .as_str()
        .unwrap()
        .to_owned();
    let fcra_ack = f
        .post(
            &format!("/analytics/balance/v1/customer/{CUSTOMER}/fcra"),
            r#"{"lengthOfReport": 30}"#,
        )
        .await;
    fcra_ack.assert_status(200);
    assert_finicity_schema("BalanceAndCashFlowAnalyticsReportAck", &fcra_ack.json());
    let fcra = fcra_ack.json()["reportId"].as_str().unwrap().to_owned();

    let not_found = json!({"code": 14001, "message": "Resource not found."});
    assert_body(
        &f.get("/analytics/data/v1/00000000-0000-4000-8000-000000000000")
            .await,
        404,
        not_found.clone(),
    );
    // Each kind is read only through its own route.
    assert_body(
        &f.get(&format!("/analytics/data/v1/{fcra}")).await,
        404,
        not_found.clone(),
    );
    assert_body(
        &f.get(&format!("/analytics/data/v1/{plain}/fcra?purpose=3F"))
            .await,
        404,
        not_found.clone(),
    );

    assert_body(
        &f.get(&format!("/analytics/data/v1/{fcra}/fcra")).await,
        400,
        missing_field("\"purpose\" is required"),
    );
    assert_body(
        &f.get(&format!("/analytics/data/v1/{fcra}/fcra?purpose=42")).await,
        400,
        missing_field("\"purpose\" must be one of [99, 8J, 31, 1B, 3F]"),
    );
    for purpose in ["99", "8J", "31", "1B", "3F"] {
        let report = f
            .get(&format!("/analytics/data/v1/{fcra}/fcra?purpose={purpose}"))
            .await;
        report.assert_status(200);
        assert_finicity_schema("ObbAnalyticsReport", &report.json());
    }

    let html = f
        .call(
            Method::GET,
            &format!("/analytics/data/v1/{plain}"),
            &[("accept", "text/html")],
            "",
        )
        .await;
    html.assert_status(406);
    assert_eq!(html.json()["code"], 14020);
    let vary: Vec<&str> = html
        .headers
        .get_all("vary")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert!(vary.contains(&"accept"), "{vary:?}");
    let pdf = f
        .call(
            Method::GET,
            &format!("/analytics/data/v1/{fcra}/fcra?purpose=31"),
            &[("accept", "application/pdf")],
            "",
        )
        .await;
    pdf.assert_status(200);
    let text = pdf_text(&pdf.body, 3);
    assert!(text.contains("Finicity Balance Analytics - FCRA"), "{text}");
    assert!(text.contains("Business Savings"), "{text}");
    // No Accept at all: JSON, as generated clients expect.
    let bare = f
        .call(Method::GET, &format!("/analytics/data/v1/{plain}"), &[], "")
        .await;
    bare.assert_status(200);
    assert_eq!(bare.header("content-type"), Some("application/json"));
}

fn amounts(list: &Value, field: &str) -> Vec<f64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|p| p[field].as_f64().unwrap())
        .collect()
}

fn cents(amount: f64) -> i64 {
    (amount * 100.0).round() as i64
}

/// Every metric of one `balanceAnalyticsMetrics` agrees with its daily series.
#[track_caller]
fn assert_consistent(m: &Value, expected_days: usize, report_day: &str) {
    let daily = m["dailyBalancesForTheReportTimePeriod"].as_array().unwrap();
    assert_eq!(daily.len(), expected_days);
    assert_eq!(daily.last().unwrap()["date"], report_day);
    let series: Vec<(String, i64)> = daily
        .iter()
        .map(|d| {
            (
                d["date"].as_str().unwrap().to_owned(),
                cents(d["endingBalance"].as_f64().unwrap()),
            )
        })
        .collect();
    // Consecutive days, with the right day names.
    for (pair, entry) in series.windows(2).zip(daily.iter().skip(1)) {
        let a = chrono::NaiveDate::parse_from_str(&pair[0].0, "%Y-%m-%d").unwrap();
        let b = chrono::NaiveDate::parse_from_str(&pair[1].0, "%Y-%m-%d").unwrap();
        assert_eq!((b - a).num_days(), 1);
        assert_eq!(entry["dayOfWeek"], b.format("%A").to_string());
    }
    let values: Vec<i64> = series.iter().map(|(_, c)| *c).collect();
    assert_eq!(
        cents(m["minimumRunningBalanceForTheReportTimePeriod"].as_f64().unwrap()),
        *values.iter().min().unwrap()
    );
    assert_eq!(
        cents(m["maximumRunningBalanceForTheReportTimePeriod"].as_f64().unwrap()),
        *values.iter().max().unwrap()
    );
    let mean = values.iter().sum::<i64>() as f64 / values.len() as f64;
    assert_eq!(
        cents(m["averageDailyBalanceForTheReportTimePeriod"].as_f64().unwrap()),
        mean.round() as i64
    );
    assert_eq!(
        cents(m["currentRunningBalance"].as_f64().unwrap()),
        *values.last().unwrap()
    );
    let available = cents(m["availableBalance"].as_f64().unwrap());
    assert!(available <= *values.last().unwrap());

    // Weekdays are the Monday-to-Friday subset.
    let weekdays: Vec<&Value> = daily
        .iter()
        .filter(|d| !matches!(d["dayOfWeek"].as_str(), Some("Saturday" | "Sunday")))
        .collect();
    assert_eq!(
        m["dailyBalancesByWeekdayForTheReportTimePeriod"]
            .as_array()
            .unwrap()
            .len(),
        weekdays.len()
    );

    // 30-day periods: min <= avg <= max, they tile the series, and the
    // negative-day counts match the series.
    let mins = amounts(&m["minimumDailyBalanceByMonthForTheReportTimePeriod"], "amount");
    let avgs = amounts(&m["averageDailyBalanceByMonthForTheReportTimePeriod"], "amount");
    let maxs = amounts(&m["maximumDailyBalanceByMonthForTheReportTimePeriod"], "amount");
    assert_eq!(mins.len(), expected_days.div_ceil(30));
    for ((min, avg), max) in mins.iter().zip(&avgs).zip(&maxs) {
        assert!(min <= avg && avg <= max, "{min} <= {avg} <= {max}");
    }
    let counts = m["countDailyNegativeBalancesByMonthForTheReportTimePeriod"]
        .as_array()
        .unwrap();
    let mut covered = 0;
    for period in counts {
        let from = period["periodBeginDate"].as_str().unwrap();
        let to = period["periodEndDate"].as_str().unwrap();
        let inside: Vec<i64> = series
            .iter()
            .filter(|(d, _)| d.as_str() >= from && d.as_str() <= to)
            .map(|(_, c)| *c)
            .collect();
        covered += inside.len();
        assert_eq!(
            period["count"].as_u64().unwrap() as usize,
            inside.iter().filter(|c| **c < 0).count()
        );
        let name = period["period"].as_str().unwrap();
        assert!((8..=12).contains(&name.len()), "{name}");
    }
    assert_eq!(covered, series.len());
    assert_eq!(counts[0]["period"], "last30to1");
    assert_eq!(counts[0]["periodEndDate"], report_day);

    // Week over week.
    let weeks = &m["historicNumberOfWeeksAverageBalanceIncreasing"];
    let weekly = amounts(&weeks["historicAverageWeeklyBalances"], "amount");
    assert_eq!(
        weeks["historicNumberOfWeeksWithDataAvailable"].as_u64().unwrap() as usize,
        weekly.len()
    );
    let rising = weekly.windows(2).filter(|w| w[1] > w[0]).count();
    assert_eq!(
        weeks["historicNumberOfWeeksAverageBalanceIncreasing"]
            .as_u64()
            .unwrap() as usize,
        rising
    );
    for week in weeks["historicAverageWeeklyBalances"].as_array().unwrap() {
        assert!((1..=53).contains(&week["week"].as_u64().unwrap()));
    }
}

#[tokio::test]
async fn metrics_agree_with_the_daily_series_for_every_report_length() {
    let f = Finicity::at(NOW).await;
    for length in [30, 90, 180, 270, 365, 730] {
        let ack = f
            .generate(CUSTOMER, &json!({ "lengthOfReport": length }).to_string())
            .await;
        let report = f.report(ack["reportId"].as_str().unwrap()).await;
        assert_finicity_schema("ObbAnalyticsReport", &report);
        let mut summed: BTreeMap<String, i64> = BTreeMap::new();
        for result in report["accountResults"].as_array().unwrap() {
            let m = &result["balanceAnalyticsMetrics"];
            assert_consistent(m, length, "2026-11-23");
            assert_eq!(
                result["accountDetails"]["currentBalance"],
                m["currentRunningBalance"]
            );
            assert_eq!(result["currentReportRequest"]["requestedDaysForReport"], length);
            for day in m["dailyBalancesForTheReportTimePeriod"].as_array().unwrap() {
                *summed
                    .entry(day["date"].as_str().unwrap().to_owned())
                    .or_default() += cents(day["endingBalance"].as_f64().unwrap());
            }
        }
        let summary = &report["businessSummary"]["balanceAnalyticsMetrics"];
        assert_consistent(summary, length, "2026-11-23");
        let summary_days: BTreeMap<String, i64> = summary["dailyBalancesForTheReportTimePeriod"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["date"].as_str().unwrap().to_owned(),
                    cents(d["endingBalance"].as_f64().unwrap()),
                )
            })
            .collect();
        assert_eq!(summary_days, summed, "the summary is the sum of the accounts");
    }
}

#[tokio::test]
async fn a_young_account_shortens_its_report_and_says_so() {
    let f = Finicity::at(NOW).await;
    let ack = f.generate(BAKERY, "{}").await;
    let report = f.report(ack["reportId"].as_str().unwrap()).await;
    assert_finicity_schema("ObbAnalyticsReport", &report);
    let payroll = report["accountResults"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["accountId"] == 5011648380_u64)
        .unwrap();
    // Opened 2025-09-01: 449 days of data up to 2026-11-23.
    assert_eq!(payroll["historicDataAvailability"]["historicAvailableDays"], 449);
    assert_eq!(
        payroll["historicDataAvailability"]["historicAvailabilityBeginDate"],
        "2025-09-01"
    );
    assert_eq!(payroll["currentReportRequest"]["reportBeginDate"], "2025-09-01");
    assert_eq!(
        payroll["currentReportRequest"]["requestedReportBeginDate"],
        "2024-11-24"
    );
    assert_consistent(&payroll["balanceAnalyticsMetrics"], 449, "2026-11-23");
    // The overdraft-prone operating account has negative days.
    let operating = &report["accountResults"][0]["balanceAnalyticsMetrics"];
    let negative: u64 = operating["countDailyNegativeBalancesByMonthForTheReportTimePeriod"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["count"].as_u64().unwrap())
        .sum();
    assert!(negative > 30, "{negative}");
}

#[tokio::test]
async fn framework_errors_on_finicity_paths_use_error_message() {
    let app = TestApp::at(NOW);
    let wrong_method = app.get("/aggregation/v2/partners/authentication").await;
    wrong_method.assert_status(405);
    assert_eq!(wrong_method.json()["code"], 405);
    assert_body(
        &app.get("/analytics/nothing/here").await,
        404,
        json!({"code": 14001, "message": "Resource not found."}),
    );
}

#[tokio::test]
async fn the_schema_check_would_catch_the_type_traps() {
    let f = Finicity::at(NOW).await;
    let mut ack = f.generate(CUSTOMER, r#"{"lengthOfReport": 30}"#).await;
    let mut report = f.report(ack["reportId"].as_str().unwrap()).await;
    ack["customerId"] = json!(CUSTOMER);
    assert!(!finicity_schema_violations("BalanceAndCashFlowAnalyticsReportAck", &ack).is_empty());
    report["accountResults"][0]["balanceAnalyticsMetrics"]["dailyBalancesForTheReportTimePeriod"][0]["dayOfWeek"] =
        json!("Mon");
    assert!(!finicity_schema_violations("ObbAnalyticsReport", &report).is_empty());
    report["accountResults"][0]["balanceAnalyticsMetrics"]["dailyBalancesForTheReportTimePeriod"][0]["dayOfWeek"] =
        json!("Monday");
    report["businessSummary"]
        .as_object_mut()
        .unwrap()
        .remove("currentReportRequest");
    assert!(
        !finicity_schema_violations("ObbAnalyticsReport", &report).is_empty(),
        "the cash-flow branch requires it"
    );
}

#[tokio::test]
async fn error_bodies_match_leadsims_own_spec() {
    let f = Finicity::at(NOW).await;
    let app = &f.app;
    let bodies = [
        authenticate(app, None, CREDENTIALS).await.json(),
        authenticate(app, Some(APP_KEY), "{}").await.json(),
        app.call(
            Method::GET,
            "/aggregation/v1/customers/1",
            &[("finicity-app-key", APP_KEY)],
            "",
        )
        .await
        .json(),
        f.get("/aggregation/v1/customers/9999999999").await.json(),
        f.get("/analytics/data/v1/unknown").await.json(),
        f.get("/analytics/data/v1/unknown/fcra").await.json(),
    ];
    for body in &bodies {
        let errors = leadsim_schema_violations("finicity", "ErrorMessage", body);
        assert!(errors.is_empty(), "{body}: {errors:?}");
        // The vendor's own ErrorMessage declares `code` an object, which no
        // body (not even its own examples) satisfies.
        assert!(!finicity_schema_violations("ErrorMessage", body).is_empty());
    }
    let generate = f
        .post("/analytics/balance/v1/customer/9999999999", "{}")
        .await
        .json();
    assert!(leadsim_schema_violations("finicity", "ObbErrorMessage", &generate).is_empty());
    let ack = f.generate(CUSTOMER, r#"{"lengthOfReport": 30}"#).await;
    assert!(leadsim_schema_violations("finicity", "BalanceAndCashFlowAnalyticsReportAck", &ack).is_empty());
    let report = f.report(ack["reportId"].as_str().unwrap()).await;
    assert!(leadsim_schema_violations("finicity", "ObbAnalyticsReport", &report).is_empty());
}

#[tokio::test]
async fn a_read_report_is_served_again_as_the_same_bytes_and_forgotten_on_reset() {
    let f = Finicity::at(NOW).await;
    let ack = f.generate(BAKERY, r#"{"lengthOfReport": 30}"#).await;
    let id = ack["reportId"].as_str().unwrap().to_owned();
    let uri = format!("/analytics/data/v1/{id}");
    let first = f.get(&uri).await;
    let again = f.get(&uri).await;
    assert_eq!(first.body, again.body);
    assert_eq!(again.header("content-type"), Some("application/json"));
    let accept_pdf = [("accept", "application/pdf")];
    let pdf_first = f.call(Method::GET, &uri, &accept_pdf, "").await;
    let pdf_again = f.call(Method::GET, &uri, &accept_pdf, "").await;
    assert_eq!(pdf_first.body, pdf_again.body);
    assert_eq!(pdf_again.header("content-type"), Some("application/pdf"));

    // After a reset the same id names a new report, which must not be served stale.
    f.app
        .call(Method::POST, "/__admin/reset", &[], Body::empty())
        .await
        .assert_status(200);
    let f = Finicity::signed_in(f.app).await;
    let ack = f.generate(BAKERY, r#"{"lengthOfReport": 90}"#).await;
    assert_eq!(
        ack["reportId"].as_str(),
        Some(id.as_str()),
        "ids restart with the run"
    );
    let report = f.report(&id).await;
    assert_ne!(serde_json::to_vec(&report).unwrap(), first.body.to_vec());
    assert_eq!(
        report,
        serde_json::from_slice::<Value>(&f.get(&uri).await.body).unwrap()
    );
}
