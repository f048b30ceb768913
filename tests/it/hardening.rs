//! Hostile and careless input: every class of defect found by trying to
//! break leadsim, each held by the tests that would have caught it.

use crate::common;

use axum::body::Body;
use axum::http::{Method, Request};
use common::{CONFIDENTIAL, PUBLISHABLE, TestApp, TestResponse};
use leadsim::Fixtures;
use leadsim::config::Config;
use serde_json::{Value, json};

const LSQ: &str = "/Leads/LeadDistribution/FilterByLeadField";
const LSQ_BODY: &str = r#"{"Output": {"Type": "list"}, "Paging": {"PageIndex": 1, "PageSize": 1}}"#;
const PARTNER_AUTH: &str = "/aggregation/v2/partners/authentication";
/// An offer display: three well-formed uuids.
const DISPLAY: &str = r#"{"leadUuid": "5dc1ca46-a54e-4b7c-a9a6-a3e6e5e3a0a1",
    "rateTableUuid": "6f9e7a3b-2f4c-4d5e-8f6a-7b8c9d0e1f2a",
    "offerUuid": "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"}"#;

fn admin_error(response: &TestResponse, status: u16, code: &str) -> String {
    response.assert_status(status);
    assert_eq!(response.header("content-type"), Some("application/json"));
    let body = response.json();
    assert_eq!(body["error"], code, "{body}");
    body["message"].as_str().unwrap_or_default().to_owned()
}

/// The demo partner's authentication, as a Finicity client makes it.
async fn partner_auth(app: &TestApp) -> TestResponse {
    app.call(
        Method::POST,
        PARTNER_AUTH,
        &[
            ("finicity-app-key", "demo-app-key"),
            ("content-type", "application/json"),
        ],
        r#"{"partnerId": "demo-partner", "partnerSecret": "demo-partner-secret"}"#,
    )
    .await
}

/// One call of every family's main route, as a client would make it.
async fn every_family(app: &TestApp) -> Vec<(String, u16)> {
    let mut seen = Vec::new();
    let now = app.now().await;
    let hour = format!("{}:00:00Z", &now[..13]);
    let engine = app
        .get_as(
            &format!("/supplyAnalytics/leadEvents?timestamp={hour}"),
            CONFIDENTIAL,
        )
        .await;
    seen.push(("engine window".to_owned(), engine.status.as_u16()));
    let ui = app
        .post_json_as("/uiEvent/offerDisplays", PUBLISHABLE, DISPLAY)
        .await;
    seen.push(("engine display".to_owned(), ui.status.as_u16()));
    // The marketplace: a lead, its table, a click, and the lead in leadsInfo.
    let lead = json!({
        "productTypes": ["loan", "credit_card", "savings"],
        "personalInformation": {"email": "edge+fund@example.com", "state": "TX"},
        "loanInformation": {"loanAmount": 10000},
        "creditInformation": {"providedCreditRating": "excellent"},
        "financialInformation": {"annualIncome": 100000}
    });
    let submitted = app
        .post_json_as("/leads/rateTables", PUBLISHABLE, &lead.to_string())
        .await;
    seen.push(("engine lead".to_owned(), submitted.status.as_u16()));
    if submitted.status == 200 {
        let table = submitted.json();
        let uuid = table["uuid"].as_str().unwrap_or_default();
        let again = app
            .get_as(&format!("/originator/rateTables/{uuid}"), PUBLISHABLE)
            .await;
        seen.push(("engine rate table".to_owned(), again.status.as_u16()));
        if let Some(url) = table["loanOffers"][0]["url"].as_str() {
            let click = app.get(url.trim_start_matches("http://localhost")).await;
            assert_eq!(click.status, 302, "{}", click.text());
            seen.push(("engine click".to_owned(), click.status.as_u16()));
        }
        let lead_uuid = table["leadUuid"].as_str().unwrap_or_default();
        let info = app
            .call(
                Method::GET,
                &format!("/supplyAnalytics/leadsInfo/{lead_uuid}"),
                &[
                    ("authorization", &format!("Bearer {CONFIDENTIAL}")),
                    ("api-version", "2025-04-01"),
                ],
                "",
            )
            .await;
        seen.push(("engine leadsInfo".to_owned(), info.status.as_u16()));
    }
    let event = json!({"customer_id": "c", "user_id": "u", "lead_id": "l", "recording_id": "r"});
    let da = app.post_json("/api/v1/lead_analytics", &event.to_string()).await;
    seen.push(("data analytics".to_owned(), da.status.as_u16()));
    let auth = partner_auth(app).await;
    seen.push(("finicity auth".to_owned(), auth.status.as_u16()));
    if auth.status == 200 {
        let token = auth.json()["token"].as_str().unwrap_or_default().to_owned();
        let report = app
            .call(
                Method::POST,
                "/analytics/balance/v1/customer/1005061234",
                &[
                    ("finicity-app-key", "demo-app-key"),
                    ("finicity-app-token", &token),
                    ("content-type", "application/json"),
                ],
                "{}",
            )
            .await;
        seen.push(("finicity report".to_owned(), report.status.as_u16()));
        // The current flow: a business record, a report, its read before
        // and (where the clock can move on) after it finishes.
        let headers = [
            ("finicity-app-key", "demo-app-key"),
            ("finicity-app-token", token.as_str()),
            ("content-type", "application/json"),
        ];
        let business = app
            .call(
                Method::POST,
                "/business-services/customers/1005061234/businesses",
                &headers,
                r#"{"name": "B", "personallyLiable": false, "address": {}, "phoneNumber": {}}"#,
            )
            .await;
        seen.push(("finicity business".to_owned(), business.status.as_u16()));
        for product in ["balance", "cashflow"] {
            let generated = app
                .call(
                    Method::POST,
                    &format!("/decisioning/v2/customers/1005061234/reports/{product}-analytics/userTypes/business"),
                    &headers,
                    r#"{"analyticsReportData": {"timeIntervalTypes": ["MONTHLY_CALENDAR", "MONTHLY_ROLLING_30"]}}"#,
                )
                .await;
            seen.push((format!("finicity {product} generate"), generated.status.as_u16()));
            let id = generated.json()["id"].as_str().unwrap_or_default().to_owned();
            let uri = format!("/decisioning/v3/customers/1005061234/reports/{id}");
            let pending = app.call(Method::GET, &uri, &headers, "").await;
            seen.push((format!("finicity {product} in progress"), pending.status.as_u16()));
            let advanced = app
                .post_json("/__admin/clock/advance", r#"{"seconds": 90}"#)
                .await;
            if advanced.status == 200 {
                let done = app.call(Method::GET, &uri, &headers, "").await;
                assert_eq!(done.json()["status"], "success", "{}", done.text());
                seen.push((format!("finicity {product} finished"), done.status.as_u16()));
            }
        }
    }
    let lsq = app
        .post_json(
            &format!("{LSQ}?accessKey=demo-access-key&secretKey=demo-secret-key"),
            LSQ_BODY,
        )
        .await;
    seen.push(("leadsquared".to_owned(), lsq.status.as_u16()));
    let health = app.get("/__admin/health").await;
    seen.push(("health".to_owned(), health.status.as_u16()));
    let page = app.get("/__admin/").await;
    seen.push(("admin page".to_owned(), page.status.as_u16()));
    seen
}

#[tokio::test]
async fn the_clock_refuses_to_leave_its_range_and_changes_nothing() {
    let app = TestApp::at("2199-12-31T23:00:00Z");
    let message = admin_error(
        &app.post_json("/__admin/clock/advance", r#"{"seconds": 7200}"#)
            .await,
        400,
        "bad_request",
    );
    assert_eq!(
        message,
        "seconds: the virtual clock must stay between 1970-01-01T00:00:00Z and 2199-12-31T23:59:59Z; \
         2199-12-31T23:00:00Z moved by PT7200S is outside"
            .replace("2199-12-31T23:00:00Z moved by PT7200S", "2200-01-01T01:00:00Z")
    );
    assert_eq!(app.now().await, "2199-12-31T23:00:00Z");
    for bad in [
        "9999-12-31T23:59:59Z",
        "1969-12-31T23:59:59Z",
        "0001-01-01T00:00:00Z",
    ] {
        let body = json!({"now": bad}).to_string();
        let message = admin_error(&app.put_json("/__admin/clock", &body).await, 400, "bad_request");
        assert!(message.contains("2199-12-31T23:59:59Z"), "{message}");
    }
    let huge = admin_error(
        &app.post_json("/__admin/clock/advance", r#"{"seconds": 1e300}"#)
            .await,
        400,
        "bad_request",
    );
    assert!(huge.starts_with("seconds: must be a number between"), "{huge}");
    // A running clock is bounded the same way.
    app.delete("/__admin/clock").await.assert_status(200);
    app.post_json("/__admin/clock/advance", r#"{"seconds": -2000000000}"#)
        .await
        .assert_status(400);
    app.post_json("/__admin/clock/advance", r#"{"seconds": 7000000000}"#)
        .await
        .assert_status(400);
    let clock = app.get("/__admin/clock").await.json();
    assert!(
        clock["offsetSeconds"].as_i64().unwrap_or(i64::MAX).abs() < 5,
        "{clock}"
    );
}

#[tokio::test]
async fn every_family_answers_at_both_ends_of_the_clock() {
    for edge in [
        "1970-01-01T00:00:00Z",
        "1970-01-01T00:59:59Z",
        "2199-12-31T23:59:59Z",
    ] {
        let app = TestApp::at(edge);
        for (call, status) in every_family(&app).await {
            assert!(status < 500, "{call} answered {status} at {edge}");
        }
    }
}

#[tokio::test]
async fn leadsquared_leads_follow_the_clock_to_its_last_day() {
    let app = TestApp::at("2199-12-31T12:00:00Z");
    let keys = "accessKey=demo-access-key&secretKey=demo-secret-key";
    let body = r#"{"Output": {"Type": "list"}, "Paging": {"PageIndex": 1, "PageSize": 200}}"#;
    let late = app.post_json(&format!("{LSQ}?{keys}"), body).await;
    late.assert_status(200);
    let text = late.text();
    assert!(text.contains("2199-"), "leads dated in the clock's year");
    assert!(!text.contains("2262-"), "no leads from chrono's nanosecond limit");
    app.put_json("/__admin/clock", r#"{"now": "2100-06-01T00:00:00Z"}"#)
        .await
        .assert_status(200);
    let earlier = app.post_json(&format!("{LSQ}?{keys}"), body).await;
    assert_ne!(earlier.text(), text, "another instant, another cache entry");
}

#[tokio::test]
async fn json_that_is_not_an_object_is_refused_wherever_an_object_belongs() {
    let app = TestApp::at("2020-01-01T00:00:00Z");
    let admin_bodies = [
        (Method::PUT, "/__admin/clock", r#"["2021-01-01T00:00:00Z"]"#),
        (Method::POST, "/__admin/clock/advance", "[60]"),
        (
            Method::POST,
            "/__admin/faults",
            r#"[{"effect": {"type": "status", "status": 500}}]"#,
        ),
        (
            Method::POST,
            "/__admin/tenants",
            r#"{"family": "leadsquared", "rateLimit": [5, 1]}"#,
        ),
        (Method::POST, "/__admin/fixtures", r#"{"engine": []}"#),
        (
            Method::POST,
            "/__admin/fixtures",
            r#"{"leadsquared": {"accounts": [["n", "k", "s"]]}}"#,
        ),
        (Method::POST, "/__admin/tenants", r#"["engine"]"#),
        (
            Method::PUT,
            "/__admin/tenants/leadsquared/demo-access-key/rateLimit",
            "[5, 1]",
        ),
        (Method::POST, "/__admin/fixtures", "[]"),
        (Method::PUT, "/__admin/clock", r#""2021-01-01T00:00:00Z""#),
        (Method::POST, "/__admin/clock/advance", "60"),
    ];
    for (method, uri, body) in admin_bodies {
        let response = app
            .call(method.clone(), uri, &[("content-type", "application/json")], body)
            .await;
        let message = admin_error(&response, 400, "bad_request");
        let refused_as_such = [
            "expected a JSON object",
            "invalid type: sequence",
            "invalid type: string",
        ]
        .iter()
        .any(|why| message.contains(why));
        assert!(refused_as_such, "{uri} {body}: {message}");
    }
    assert_eq!(app.now().await, "2020-01-01T00:00:00Z", "nothing moved the clock");
    assert_eq!(app.get("/__admin/faults").await.json()["faults"], json!([]));

    let lsq = app
        .post_json(
            &format!("{LSQ}?accessKey=demo-access-key&secretKey=demo-secret-key"),
            "[]",
        )
        .await;
    lsq.assert_status(400);
    assert_eq!(lsq.json()["ExceptionType"], "MXInvalidRequestException");

    for uri in [
        "/leads/rateTables",
        "/originator/prefills",
        "/approvalProbability/loanReports",
    ] {
        for body in ["[]", "\"lead\"", "7", "null"] {
            let response = app.post_json_as(uri, PUBLISHABLE, body).await;
            response.assert_status(400);
            assert_eq!(
                response.json(),
                json!([{"attribute": "body", "type": "invalid", "message": format!("Invalid fields present: {} is not a valid body", body.trim_matches('"'))}]),
                "{uri} {body}"
            );
        }
    }
    assert_eq!(app.get("/__admin/engine/leads").await.json()["count"], 0);
}

#[tokio::test]
async fn invalid_utf8_anywhere_in_a_body_is_refused_in_the_family_shape() {
    let app = TestApp::at("2020-01-01T00:00:00Z");
    let mut body = br#"{"Output": {"Type": "list"}, "Ignored": ""#.to_vec();
    body.extend_from_slice(&[0xff, 0xfe]);
    body.extend_from_slice(br#""}"#);
    let lsq = app
        .call(
            Method::POST,
            &format!("{LSQ}?accessKey=demo-access-key&secretKey=demo-secret-key"),
            &[("content-type", "application/json")],
            body.clone(),
        )
        .await;
    lsq.assert_status(400);
    assert_eq!(lsq.json()["ExceptionType"], "MXInvalidRequestException");

    let auth = partner_auth(&app).await;
    let token = auth.json()["token"].as_str().unwrap_or_default().to_owned();
    let mut generate = br#"{"reportCustomFields": [], "note": ""#.to_vec();
    generate.extend_from_slice(&[0xc3, 0x28]);
    generate.extend_from_slice(br#""}"#);
    let finicity = app
        .call(
            Method::POST,
            "/analytics/balance/v1/customer/1005061234",
            &[
                ("finicity-app-key", "demo-app-key"),
                ("finicity-app-token", &token),
                ("content-type", "application/json"),
            ],
            generate,
        )
        .await;
    finicity.assert_status(400);
    assert!(finicity.json()["message"].is_string());

    let mut event =
        br#"{"customer_id": "c", "user_id": "u", "lead_id": "l", "recording_id": "r", "x": ""#.to_vec();
    event.push(0x80);
    event.extend_from_slice(br#""}"#);
    let da = app
        .call(
            Method::POST,
            "/api/v1/lead_analytics",
            &[("content-type", "application/json")],
            event,
        )
        .await;
    assert_eq!(da.status.as_u16() / 100, 4, "{}", da.text());
    let stored = app.get("/__admin/data_analytics/events").await.json();
    assert_eq!(stored["count"], fixture_events(&app).await, "nothing stored");
}

#[tokio::test]
async fn admin_paths_that_are_not_utf8_answer_in_the_admin_shape() {
    let app = TestApp::new();
    // Read as text like any other unknown name (bytes that are not UTF-8
    // shown as U+FFFD), so answered as one is.
    for uri in [
        "/__admin/faults/%FF%FE",
        "/__admin/tenants/engine/%C3%28",
        "/__admin/openapi/%FF.yaml",
    ] {
        let response = app.get(uri).await;
        let message = admin_error(&response, 404, "not_found");
        assert!(message.contains('\u{fffd}'), "{uri}: {message}");
    }
}

#[tokio::test]
async fn the_journal_filters_dropped_calls_and_caps_its_pages() {
    let app = TestApp::new();
    app.post_json(
        "/__admin/faults",
        r#"{"match": {"path": "/api/v1/*"}, "effect": {"type": "drop"}}"#,
    )
    .await
    .assert_status(201);
    let _ = app
        .try_send(
            Request::post("/api/v1/lead_analytics")
                .body(Body::from("{}"))
                .expect("request"),
        )
        .await;
    let dropped = app.get("/__admin/requests?status=0").await.json();
    assert_eq!(dropped["matched"], 1, "{dropped}");
    assert_eq!(dropped["requests"][0]["status"], 0);
    for bad in ["status=42", "status=600", "limit=1001", "limit=100000"] {
        admin_error(
            &app.get(&format!("/__admin/requests?{bad}")).await,
            400,
            "bad_request",
        );
    }
    app.get("/__admin/requests?limit=1000").await.assert_status(200);
}

#[tokio::test]
async fn credentials_are_redacted_in_every_spelling_the_server_accepts() {
    let app = TestApp::new();
    let spellings = [
        "secret%4Bey=s3cret-a&%61ccessKey=demo-access-key",
        "SecretKey=s3cret-b&ACCESSKEY=demo-access-key",
        "secretkey=s3cret-c&accesskey=demo-access-key",
    ];
    for query in spellings {
        app.post_json(&format!("{LSQ}?{query}"), LSQ_BODY).await;
    }
    for body in [
        r#"{"partnerId": "demo-partner", "partner\u0053ecret": "s3cret-d"}"#,
        r#"{"partnerId": "demo-partner", "PartnerSecret": "s3cret-e"}"#,
        r#"{"partnerId": "demo-partner", "partnerSecret": "s3cret-f""#,
    ] {
        app.call(
            Method::POST,
            PARTNER_AUTH,
            &[
                ("finicity-app-key", "demo-app-key"),
                ("content-type", "application/json"),
            ],
            body,
        )
        .await;
    }
    let journal = app.journal("?limit=1000").await.to_string();
    let page = app.get("/__admin/").await.text();
    for secret in [
        "s3cret-a", "s3cret-b", "s3cret-c", "s3cret-d", "s3cret-e", "s3cret-f",
    ] {
        assert!(!journal.contains(secret), "{secret} in the journal");
        assert!(!page.contains(secret), "{secret} on the admin page");
    }
    // The credential filter matches what the server authenticated with.
    let by_key = app
        .get("/__admin/requests?credential=demo-access-key")
        .await
        .json();
    assert_eq!(by_key["matched"], 3, "{by_key}");
}

#[tokio::test]
async fn the_body_filter_is_no_oracle_for_hidden_secrets() {
    let app = TestApp::new();
    partner_auth(&app).await.assert_status(200);
    for probe in ["demo-partner-s", "partner-secret", "d"] {
        let found = app
            .get(&format!("/__admin/requests?body={probe}&path=/aggregation"))
            .await
            .json();
        let expected = usize::from(probe == "d");
        assert_eq!(found["matched"], expected, "{probe}: {found}");
    }
}

#[tokio::test]
async fn the_admin_api_is_not_a_cors_resource() {
    let app = TestApp::new();
    let evil = [("origin", "https://evil.example")];
    for (method, uri) in [
        (Method::GET, "/__admin/tenants"),
        (Method::POST, "/__admin/reset"),
        (Method::OPTIONS, "/__admin/tenants"),
        (Method::GET, "/__admin/"),
    ] {
        let response = app.call(method, uri, &evil, Body::empty()).await;
        admin_error(&response, 403, "forbidden_origin");
        assert_eq!(response.header("access-control-allow-origin"), None);
    }
    // The server's own pages, and clients that send no Origin, are served.
    let own = app
        .call(
            Method::POST,
            "/__admin/reset",
            &[("origin", "http://127.0.0.1:8080"), ("host", "127.0.0.1:8080")],
            Body::empty(),
        )
        .await;
    own.assert_status(200);
    app.get("/__admin/tenants").await.assert_status(200);
    // Vendor routes stay open to browsers.
    let vendor = app
        .call(Method::GET, "/supplyAnalytics/leadEvents", &evil, Body::empty())
        .await;
    assert_eq!(
        vendor.header("access-control-allow-origin"),
        Some("https://evil.example")
    );
}

#[tokio::test]
async fn allowed_origins_and_the_admin_token_open_the_admin_api() {
    let mut config = Config::defaults();
    config.admin_allow_origins = vec!["http://localhost:3000".to_owned()];
    config.admin_token = Some("admin-s3cret".to_owned());
    let app = TestApp::with(config, Fixtures::embedded().expect("fixtures"));
    app.get("/__admin/health").await.assert_status(200);
    let message = admin_error(&app.get("/__admin/tenants").await, 401, "unauthorized");
    assert!(message.contains("admin token"), "{message}");
    admin_error(
        &app.call(
            Method::GET,
            "/__admin/tenants",
            &[("authorization", "Bearer wrong")],
            Body::empty(),
        )
        .await,
        401,
        "unauthorized",
    );
    for header in [
        ("authorization", "Bearer admin-s3cret"),
        ("x-leadsim-admin-token", "admin-s3cret"),
    ] {
        app.call(Method::GET, "/__admin/tenants", &[header], Body::empty())
            .await
            .assert_status(200);
    }
    app.get("/__admin/?token=admin-s3cret").await.assert_status(200);
    let browser = app
        .call(
            Method::GET,
            "/__admin/clock",
            &[
                ("origin", "http://localhost:3000"),
                ("x-leadsim-admin-token", "admin-s3cret"),
            ],
            Body::empty(),
        )
        .await;
    browser.assert_status(200);
    assert_eq!(
        browser.header("access-control-allow-origin"),
        Some("http://localhost:3000")
    );
    let preflight = app
        .call(
            Method::OPTIONS,
            "/__admin/clock",
            &[
                ("origin", "http://localhost:3000"),
                ("access-control-request-method", "PUT"),
                ("access-control-request-headers", "x-leadsim-admin-token"),
            ],
            Body::empty(),
        )
        .await;
    preflight.assert_status(200);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("http://localhost:3000")
    );
}

#[tokio::test]
async fn every_taken_credential_is_a_conflict() {
    let app = TestApp::new();
    let taken = [
        json!({"family": "engine", "credentials": {"confidentialToken": "demo-confidential-token"}}),
        json!({"family": "engine", "credentials": {"publishableToken": "demo-confidential-token"}}),
        json!({"family": "engine", "credentials": {"publishableToken": "demo-publishable-token"}}),
        json!({"family": "finicity", "credentials": {"appKey": "demo-app-key"}}),
        json!({"family": "finicity", "credentials": {"partnerId": "demo-partner"}}),
        json!({"family": "leadsquared", "credentials": {"accessKey": "demo-access-key"}}),
    ];
    for body in taken {
        let response = app.post_json("/__admin/tenants", &body.to_string()).await;
        let message = admin_error(&response, 409, "conflict");
        assert!(message.contains("already uses"), "{body}: {message}");
    }
    assert_eq!(
        app.get("/__admin/tenants").await.json()["tenants"]
            .as_array()
            .map(|t| t.iter().all(|t| t["origin"] == "fixtures")),
        Some(true),
        "nothing was created"
    );
}

#[tokio::test]
async fn the_demo_partner_owns_the_fixture_customers() {
    let app = TestApp::new();
    let tenant = app.get("/__admin/tenants/finicity/demo-partner").await.json();
    let customers = tenant["credentials"]["customerIds"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(customers.contains(&json!("1005061234")), "{tenant}");
}

#[tokio::test]
async fn ui_event_listings_filter_by_credential() {
    let app = TestApp::new();
    let tenant = app
        .post_json("/__admin/tenants", r#"{"family": "engine"}"#)
        .await
        .json();
    let other = tenant["credentials"]["publishableToken"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    app.post_json_as("/uiEvent/offerDisplays", PUBLISHABLE, DISPLAY)
        .await
        .assert_status(201);
    app.post_json_as("/uiEvent/offerDisplays", &other, DISPLAY)
        .await
        .assert_status(201);
    app.post_json_as("/uiEvent/sessionInits", &other, "{}")
        .await
        .assert_status(201);
    let mine = app
        .get(&format!("/__admin/engine/offerDisplays?credential={PUBLISHABLE}"))
        .await
        .json();
    assert_eq!(mine["count"], 1, "{mine}");
    let theirs = app
        .get(&format!("/__admin/engine/sessionInits?credential={other}"))
        .await
        .json();
    assert_eq!(theirs["count"], 1, "{theirs}");
    let none = app
        .get(&format!("/__admin/engine/sessionInits?credential={PUBLISHABLE}"))
        .await
        .json();
    assert_eq!(none["count"], 0, "{none}");
    admin_error(
        &app.get("/__admin/engine/offerDisplays?credential=nobody").await,
        400,
        "bad_request",
    );
}

#[tokio::test]
async fn faults_and_tenants_have_caps_with_clear_errors() {
    let app = TestApp::new();
    for _ in 0..leadsim::MAX_ACTIVE_FAULTS {
        app.post_json(
            "/__admin/faults",
            r#"{"match": {"path": "/nowhere"}, "effect": {"type": "status", "status": 500}}"#,
        )
        .await
        .assert_status(201);
    }
    let message = admin_error(
        &app.post_json(
            "/__admin/faults",
            r#"{"effect": {"type": "status", "status": 500}}"#,
        )
        .await,
        400,
        "bad_request",
    );
    assert!(message.starts_with("at most 100 faults"), "{message}");
    app.state.lock_book().tenants_created = leadsim::MAX_CREATED_TENANTS;
    let message = admin_error(
        &app.post_json("/__admin/tenants", r#"{"family": "engine"}"#).await,
        409,
        "conflict",
    );
    assert!(
        message.contains("tenants were created since the last reset"),
        "{message}"
    );
    app.post_json("/__admin/reset", "").await.assert_status(200);
    app.post_json("/__admin/tenants", r#"{"family": "engine"}"#)
        .await
        .assert_status(201);
}

#[tokio::test]
async fn data_analytics_fields_are_bounded() {
    let app = TestApp::new();
    let long = "x".repeat(900_000);
    let event =
        json!({"customer_id": "c", "user_id": "u", "lead_id": "l", "recording_id": "r", "message": long});
    let response = app.post_json("/api/v1/lead_analytics", &event.to_string()).await;
    response.assert_status(422);
    let body: Value = response.json();
    assert!(
        body.to_string().contains("message must be at most 2048 bytes"),
        "{body}"
    );
    let info = json!({"customer_id": "c", "user_id": "u", "lead_id": "l", "recording_id": "r",
        "version_info": {"blob": "y".repeat(10_000)}});
    let response = app.post_json("/api/v1/lead_analytics", &info.to_string()).await;
    response.assert_status(422);
    let stored = app.get("/__admin/data_analytics/events").await.json();
    assert_eq!(stored["count"], fixture_events(&app).await, "nothing stored");
}

/// How many Data Analytics events the embedded fixtures hold.
async fn fixture_events(_app: &TestApp) -> usize {
    TestApp::new().get("/__admin/data_analytics/events").await.json()["count"]
        .as_u64()
        .unwrap_or_default() as usize
}

#[tokio::test]
async fn oversized_request_heads_are_refused_and_journal_entries_stay_small() {
    let app = TestApp::new();
    let big = "h".repeat(300_000);
    app.call(
        Method::GET,
        "/api/v1/lead_analytics",
        &[("x-big", &big)],
        Body::empty(),
    )
    .await;
    let entry = app.get("/__admin/requests?limit=1").await.json();
    let header = entry["requests"][0]["headers"]
        .as_array()
        .and_then(|h| h.iter().find(|pair| pair[0] == "x-big"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(header[1].as_str().map(str::len), Some(1024), "{header}");
}

/// The flags' ranges hold for a `Config` and `Limits` built in code too: a
/// timeout of `Duration::MAX` or zero, or a head limit of zero or
/// `usize::MAX`, serves as the nearest value a flag accepts instead of
/// overflowing a deadline (a panic in every connection), timing every
/// request out at once, or leaving a connection's buffer unbounded.
#[tokio::test]
async fn limits_built_in_code_are_held_to_the_ranges_of_their_flags() {
    use leadsim::server::Limits;
    use std::time::Duration;

    for (timeout, head_bytes) in [(Duration::MAX, 0), (Duration::ZERO, usize::MAX)] {
        let mut config = Config::defaults();
        config.idle_timeout = if timeout.is_zero() { 0 } else { u64::MAX };
        let app = TestApp::with(config, Fixtures::embedded().unwrap());
        let address = app
            .serve_under(Limits {
                header_read_timeout: timeout,
                idle_timeout: timeout,
                shutdown_grace: timeout,
                max_header_bytes: head_bytes,
            })
            .await;
        let exchange = async |request: &[u8]| {
            String::from_utf8_lossy(&common::raw_exchange(address, request).await).into_owned()
        };

        let health = exchange(b"GET /__admin/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
        assert!(health.starts_with("HTTP/1.1 200"), "{timeout:?}: {health}");
        let body = r#"{"customer_id":"c","lead_id":"l","user_id":"u","event_type":"view","tool_signature":"t","recording_id":"r","event_id":"e","message":"m"}"#;
        let stored = exchange(
            format!(
                "POST /api/v1/lead_analytics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
                 Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        )
        .await;
        assert!(stored.starts_with("HTTP/1.1 201"), "{timeout:?}: {stored}");
        // 8 KiB at least, 16 MiB at most.
        let over = if head_bytes == 0 {
            9 * 1024
        } else {
            17 * 1024 * 1024
        };
        let head = format!(
            "GET /__admin/health HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
            "a".repeat(over)
        );
        let refused = exchange(head.as_bytes()).await;
        assert!(refused.starts_with("HTTP/1.1 431"), "{over}: {refused}");
    }
}
