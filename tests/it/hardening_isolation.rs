//! Hardening, round 2: who owns a submitted lead, what a sub-account's
//! token reaches in the marketplace, and path parameters that are not
//! UTF-8 on every route.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use axum::body::Body;
use axum::http::Method;
use chrono::{DateTime, Utc};
use common::{CONFIDENTIAL, PUBLISHABLE, TestApp};
use leadsim::{Seed, parse_rfc3339};
use rand::SeedableRng;
use serde_json::{Value, json};
use uuid::Uuid;

const NOW: &str = "2026-03-02T10:20:00Z";
const A_UUID: &str = "3f1a6c2e-8b4d-4e7a-9c21-5d0b7e9f4a10";
const B_PUBLISHABLE: &str = "demo-test-publishable-token";
const B_CONFIDENTIAL: &str = "demo-test-confidential-token";
const V3: (&str, &str) = ("api-version", "2025-04-01");

fn lead(uuid: Option<Uuid>) -> Value {
    let mut body = json!({
        "productTypes": ["loan"],
        "personalInformation": {"firstName": "Ada", "state": "TX", "zipcode": "73301", "ssn": "123-45-6780"},
        "loanInformation": {"purpose": "debt_consolidation", "loanAmount": 12000},
        "creditInformation": {"providedCreditRating": "good"}
    });
    if let Some(uuid) = uuid {
        body["uuid"] = json!(uuid);
    }
    body
}

/// A uuid shaped like one of company A's generated leads of this hour.
fn uuid_with_company_a_tag(now: DateTime<Utc>) -> Uuid {
    let tag = leadsim::engine::lead_ids::company_tag(Seed::new(42), A_UUID.parse().unwrap());
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let hour = now - chrono::TimeDelta::seconds(now.timestamp() % 3600);
    let uuid = leadsim::engine::lead_ids::tagged_lead_uuid(tag, hour, &mut rng);
    assert_eq!(leadsim::engine::lead_ids::tag_of(uuid), tag);
    uuid
}

async fn leads_info(app: &TestApp, lead: Uuid, token: &str) -> common::TestResponse {
    let auth = format!("Bearer {token}");
    app.call(
        Method::GET,
        &format!("/supplyAnalytics/leadsInfo/{lead}"),
        &[("authorization", &auth), V3],
        Body::empty(),
    )
    .await
}

#[tokio::test]
async fn a_submitted_lead_belongs_to_its_submitter_whatever_tag_its_uuid_carries() {
    let app = TestApp::at(NOW);
    let uuid = uuid_with_company_a_tag(parse_rfc3339(NOW).unwrap());
    let submitted = app
        .post_json_as("/leads/rateTables", B_PUBLISHABLE, &lead(Some(uuid)).to_string())
        .await;
    submitted.assert_status(200);
    let table = &submitted.json();
    // The lead enters analytics when its leadCreated is published (1-hour SLA).
    app.advance(2 * 3600).await;
    let info = leads_info(&app, uuid, B_CONFIDENTIAL).await;
    info.assert_status(200);
    let events = info.json()["data"]["events"].as_array().unwrap().clone();
    assert!(
        events.iter().any(|e| e["eventType"] == "leadCreated"),
        "{events:?}"
    );
    assert!(events.iter().all(|e| e["leadUuid"] == json!(uuid)));
    leads_info(&app, uuid, CONFIDENTIAL).await.assert_status(404);
    // The marketplace reads are the submitter's too.
    app.get_as(&format!("/leads/{uuid}"), B_CONFIDENTIAL)
        .await
        .assert_status(200);
    app.get_as(&format!("/leads/{uuid}"), CONFIDENTIAL)
        .await
        .assert_status(404);
    // A token-less pixel hit on it is credited to the submitter.
    let rate_table = table["uuid"].as_str().unwrap();
    let offer = table["loanOffers"][0]["uuid"]
        .as_str()
        .unwrap_or("00000000-0000-4000-8000-000000000001");
    app.get(&format!(
        "/uiEvent/offerDisplays/{uuid}/{rate_table}/{offer}/pixel.gif"
    ))
    .await
    .assert_status(200);
    let displays = |token: &str| {
        let app = app.clone();
        let query = format!("/__admin/engine/offerDisplays?leadUuid={uuid}&credential={token}");
        async move { app.get(&query).await.json()["count"].as_u64().unwrap() }
    };
    assert_eq!(displays(B_CONFIDENTIAL).await, 1);
    assert_eq!(displays(CONFIDENTIAL).await, 0);
    // The admin listing names the submitter.
    let listed = app
        .get(&format!("/__admin/engine/leads?leadUuid={uuid}"))
        .await
        .json();
    assert_eq!(
        listed["leads"][0]["companyUuid"],
        "9b7e2d14-2f6c-4c3b-8a5e-1e4d6f7a8b90"
    );
}

const COMPANY: &str = "iso-company-token";
const PUBLIC: &str = "iso-publishable-token";
const WEB: &str = "iso-web-token";
const APP: &str = "iso-app-token";

/// A company with two supply sub-accounts that have their own tokens.
async fn with_sub_accounts() -> TestApp {
    let app = TestApp::at(NOW);
    let fixtures = json!({"engine": {"companies": [{
        "name": "Isolated Partner",
        "uuid": "6e2d4c8a-1f3b-4d5e-9a7c-2b1d0e9f8a7b",
        "confidentialToken": COMPANY,
        "publishableToken": PUBLIC,
        "supplySubAccounts": [
            {"uuid": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f", "name": "Web", "confidentialToken": WEB},
            {"uuid": "2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a", "name": "App", "confidentialToken": APP}
        ]
    }]}});
    app.post_json("/__admin/fixtures", &fixtures.to_string())
        .await
        .assert_status(200);
    app
}

#[tokio::test]
async fn a_sub_accounts_token_reaches_only_its_own_marketplace_leads() {
    let app = with_sub_accounts().await;
    let submitted = app
        .post_json_as("/leads/rateTables", WEB, &lead(None).to_string())
        .await;
    submitted.assert_status(200);
    let table = submitted.json();
    let (uuid, table_uuid) = (
        table["leadUuid"].as_str().unwrap(),
        table["uuid"].as_str().unwrap(),
    );
    // Reads.
    for token in [WEB, COMPANY] {
        app.get_as(&format!("/leads/{uuid}"), token)
            .await
            .assert_status(200);
        app.get_as(&format!("/originator/rateTables/{table_uuid}"), token)
            .await
            .assert_status(200);
    }
    let other = app.get_as(&format!("/leads/{uuid}"), APP).await;
    other.assert_status(404);
    assert!(!other.text().contains("123-45-6780"));
    app.get_as(&format!("/originator/rateTables/{table_uuid}"), APP)
        .await
        .assert_status(404);
    // Writes: PATCH and a new rate table.
    let patch = json!({"loanInformation": {"loanAmount": 5000}}).to_string();
    let patched = app
        .call(
            Method::PATCH,
            &format!("/leads/{uuid}"),
            &[
                ("authorization", &format!("Bearer {APP}")),
                ("content-type", "application/json"),
            ],
            patch.clone(),
        )
        .await;
    patched.assert_status(404);
    app.post_json_as(&format!("/leads/{uuid}/rateTables"), APP, &patch)
        .await
        .assert_status(400);
    let lead = app.get_as(&format!("/leads/{uuid}"), WEB).await.json();
    assert_eq!(lead["loanInformation"]["loanAmount"], 12000, "{lead}");
    app.post_json_as(&format!("/leads/{uuid}/rateTables"), WEB, &patch)
        .await
        .assert_status(200);
    // Prefills and loan reports a sub-account makes are its own.
    let prefill = app
        .post_json_as("/originator/prefills", WEB, &lead_body())
        .await
        .json();
    let token = prefill["prefillToken"].as_str().unwrap();
    app.get_as(&format!("/originator/prefills/{token}"), WEB)
        .await
        .assert_status(200);
    app.get_as(&format!("/originator/prefills/{token}"), APP)
        .await
        .assert_status(404);
    let report = app
        .post_json_as(
            "/approvalProbability/loanReports",
            WEB,
            r#"{"loanAmount": 5000, "annualIncome": 60000, "creditRating": "good"}"#,
        )
        .await;
    report.assert_status(201);
    let report_uuid = report.json()["uuid"].as_str().unwrap().to_owned();
    app.get_as(&format!("/approvalProbability/loanReports/{report_uuid}"), WEB)
        .await
        .assert_status(200);
    app.get_as(&format!("/approvalProbability/loanReports/{report_uuid}"), APP)
        .await
        .assert_status(404);
    // The lead is the Web sub-account's in analytics too.
    app.advance(2 * 3600).await;
    leads_info(&app, uuid.parse().unwrap(), WEB)
        .await
        .assert_status(200);
    leads_info(&app, uuid.parse().unwrap(), APP)
        .await
        .assert_status(404);
}

fn lead_body() -> String {
    lead(None).to_string()
}

/// A request with every family's demo credentials, so each route gets as
/// far as reading its path.
async fn with_credentials(
    app: &TestApp,
    method: Method,
    path: &str,
    finicity_token: &str,
) -> common::TestResponse {
    let uri = if path.contains('?') {
        format!("{path}&accessKey=demo-access-key&secretKey=demo-secret-key")
    } else {
        format!("{path}?accessKey=demo-access-key&secretKey=demo-secret-key")
    };
    let engine = format!("Bearer {CONFIDENTIAL}");
    let headers = [
        ("authorization", engine.as_str()),
        ("api-version", "2025-04-01"),
        ("finicity-app-key", "demo-app-key"),
        ("finicity-app-token", finicity_token),
        ("accept", "application/json"),
        ("content-type", "application/json"),
    ];
    let body = if method == Method::GET || method == Method::DELETE {
        ""
    } else {
        "{}"
    };
    app.call(method, &uri, &headers, body.to_owned()).await
}

#[tokio::test]
async fn a_path_parameter_that_is_not_utf8_is_answered_like_any_malformed_value_on_every_route() {
    let app = TestApp::at(NOW);
    let finicity_token = app.finicity_token().await;
    let routes = leadsim::routes(&app.state);
    let mut checked = 0;
    for route in routes.table().iter().filter(|r| r.path.contains('{')) {
        let with = |value: &str| {
            route
                .path
                .split('/')
                .map(|s| if s.starts_with('{') { value } else { s })
                .collect::<Vec<_>>()
                .join("/")
        };
        let bad = with_credentials(&app, route.method.clone(), &with("%ff"), &finicity_token).await;
        let malformed =
            with_credentials(&app, route.method.clone(), &with("not-valid"), &finicity_token).await;
        let what = format!("{} {}", route.method, route.path);
        assert!(
            !(bad.status == 400
                && bad
                    .header("content-type")
                    .is_some_and(|c| c.starts_with("text/plain"))),
            "{what}: the framework's plain 400: {}",
            bad.text()
        );
        assert_eq!(
            bad.status,
            malformed.status,
            "{what}: {} vs {}",
            bad.text(),
            malformed.text()
        );
        assert_eq!(
            bad.header("content-type"),
            malformed.header("content-type"),
            "{what}: {}",
            bad.text()
        );
        checked += 1;
    }
    assert!(checked >= 25, "{checked} routes with parameters");
}

#[tokio::test]
async fn marketplace_and_leads_info_answer_a_non_utf8_uuid_in_engines_shape() {
    let app = TestApp::at(NOW);
    for (path, token, status) in [
        ("/leads/%ff", CONFIDENTIAL, 400),
        ("/originator/rateTables/%ff", PUBLISHABLE, 400),
        ("/originator/prefills/%ff", PUBLISHABLE, 400),
        ("/approvalProbability/loanReports/%ff", PUBLISHABLE, 400),
    ] {
        let response = app.get_as(path, token).await;
        response.assert_status(status);
        let errors = response.json();
        assert!(
            errors[0]["message"]
                .as_str()
                .unwrap()
                .contains("Invalid UUID string"),
            "{path}: {errors}"
        );
    }
    let info = leads_info(&app, Uuid::nil(), CONFIDENTIAL).await;
    info.assert_status(404);
    let auth = format!("Bearer {CONFIDENTIAL}");
    let info = app
        .call(
            Method::GET,
            "/supplyAnalytics/leadsInfo/%ff",
            &[("authorization", &auth), V3],
            Body::empty(),
        )
        .await;
    info.assert_status(422);
    assert_eq!(info.json()[0]["attribute"], "leadUuid");
}

#[tokio::test]
async fn lead_text_past_its_limits_is_refused_and_stores_nothing() {
    let app = TestApp::at(NOW);
    let mut long_name = lead(None);
    long_name["personalInformation"]["firstName"] = json!("x".repeat(900_000));
    let refused = app
        .post_json_as("/leads/rateTables", PUBLISHABLE, &long_name.to_string())
        .await;
    refused.assert_status(400);
    let errors = refused.json();
    assert_eq!(
        errors[0]["attribute"], "personalInformation.firstName",
        "{errors}"
    );
    assert_eq!(errors[0]["type"], "invalid");
    assert_eq!(
        errors[0]["message"],
        "Invalid fields present: personalInformation.firstName has more than 1024 characters"
    );
    // A name of 1,024 characters is fine; consent language may be longer.
    let mut longest = lead(None);
    longest["personalInformation"]["firstName"] = json!("é".repeat(1024));
    longest["legalInformation"] = json!({"tcpaLanguage": "y".repeat(10_000)});
    app.post_json_as("/leads/rateTables", PUBLISHABLE, &longest.to_string())
        .await
        .assert_status(200);
    // Sections kept as sent count toward the lead's size.
    let mut big = lead(None);
    big["mortgageInformation"] = json!({"notes": "z".repeat(70_000)});
    let refused = app
        .post_json_as("/leads/rateTables", PUBLISHABLE, &big.to_string())
        .await;
    refused.assert_status(400);
    assert_eq!(refused.json()[0]["attribute"], "body");
    let mut many = lead(None);
    many["refinanceLoans"] = json!(vec![json!({}); 21]);
    let refused = app
        .post_json_as("/leads/rateTables", PUBLISHABLE, &many.to_string())
        .await;
    refused.assert_status(400);
    assert_eq!(refused.json()[0]["attribute"], "refinanceLoans");
    let listed = app.get("/__admin/engine/leads").await.json();
    assert_eq!(listed["count"], 1, "only the lead within the limits: {listed}");
    // A PATCH that would grow a lead past the limit is refused, the lead kept.
    let uuid = listed["leads"][0]["uuid"].as_str().unwrap().to_owned();
    let grow = json!({"healthInformation": {"notes": "h".repeat(60_000)}}).to_string();
    let patched = app
        .call(
            Method::PATCH,
            &format!("/leads/{uuid}"),
            &[
                ("authorization", &format!("Bearer {CONFIDENTIAL}")),
                ("content-type", "application/json"),
            ],
            grow,
        )
        .await;
    patched.assert_status(400);
    let kept = app.get_as(&format!("/leads/{uuid}"), CONFIDENTIAL).await.json();
    assert!(kept.get("healthInformation").is_none(), "{kept}");
    assert_eq!(kept["personalInformation"]["firstName"], json!("é".repeat(1024)));
}
