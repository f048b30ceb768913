//! Runtime scenarios: fixtures merged at run time, isolated tenants and
//! rate limits for every family, configured in fixtures or at run time.

#![allow(clippy::unwrap_used)]

use crate::common;

use axum::http::Method;
use common::{CONFIDENTIAL, TestApp, TestResponse};
use leadsim::Fixtures;
use leadsim::config::Config;
use serde_json::{Value, json};

const NOW: &str = "2026-11-23T18:00:00Z";
const WINDOW: &str = "/supplyAnalytics/leadEvents?timestamp=2026-11-23T10:00:00Z";
const LSQ_PATH: &str = "/Leads/LeadDistribution/FilterByLeadField";
const NEW_COMPANY: &str = "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f";

async fn post(app: &TestApp, uri: &str, body: Value) -> TestResponse {
    app.post_json(uri, &body.to_string()).await
}

async fn events_as(app: &TestApp, token: &str) -> TestResponse {
    app.get_as(WINDOW, token).await
}

fn company(name: &str, token: &str, leads_per_day: u32) -> Value {
    json!({
        "name": name,
        "uuid": NEW_COMPANY,
        "confidentialToken": token,
        "publishableToken": format!("{token}-pub"),
        "leadsPerDay": leads_per_day
    })
}

#[tokio::test]
async fn posted_fixtures_merge_in_and_replace_by_identity() {
    let app = TestApp::at(NOW);
    events_as(&app, "runtime-token").await.assert_status(401);

    let merged = post(
        &app,
        "/__admin/fixtures",
        json!({"engine": {"companies": [company("Runtime", "runtime-token", 500)]}}),
    )
    .await;
    merged.assert_status(200);
    assert_eq!(
        merged.json()["merged"],
        json!({"families": ["engine"], "added": 1, "replaced": 0})
    );
    let busy = events_as(&app, "runtime-token").await;
    busy.assert_status(200);
    assert!(!busy.json()["data"].as_array().unwrap().is_empty());
    // The loaded companies are untouched.
    events_as(&app, CONFIDENTIAL).await.assert_status(200);

    // Same uuid: replaced in place, new token and no traffic.
    let replaced = post(
        &app,
        "/__admin/fixtures",
        json!({"engine": {"companies": [company("Runtime", "other-token", 0)]}}),
    )
    .await;
    assert_eq!(replaced.json()["merged"]["replaced"], 1);
    events_as(&app, "runtime-token").await.assert_status(401);
    let quiet = events_as(&app, "other-token").await;
    assert_eq!(quiet.json()["data"], json!([]));

    // Reset returns to the fixtures loaded at start.
    app.post_json("/__admin/reset", "").await.assert_status(200);
    events_as(&app, "other-token").await.assert_status(401);
    let health = app.get("/__admin/health").await.json();
    assert!(
        !health["fixtures"].as_str().unwrap().contains("merged"),
        "{health}"
    );
}

#[tokio::test]
async fn posted_fixtures_of_every_family_take_effect() {
    let app = TestApp::at(NOW);
    let merged = post(
        &app,
        "/__admin/fixtures",
        json!({
            "data_analytics": {"leadAnalytics": [{
                "created_at": "2026-11-20T10:00:00Z", "customer_id": "runtime-customer",
                "user_id": "u", "recording_id": "r", "lead_id": "lead-1"
            }]},
            "finicity": {"customers": [{
                "id": "1005069999", "username": "runtime-business", "type": "business",
                "accounts": [{"id": 5_011_699_990_u64, "type": "checking", "name": "Ops", "institutionId": 101732}]
            }]},
            "leadsquared": {"accounts": [{"name": "Runtime", "accessKey": "rk", "secretKey": "rs", "generatedLeads": 3}]}
        }),
    )
    .await;
    merged.assert_status(200);
    assert_eq!(
        merged.json()["merged"],
        json!({"families": ["data_analytics", "finicity", "leadsquared"], "added": 3, "replaced": 0})
    );

    let found = app
        .get("/api/v1/lead_analytics/search?customer_id=runtime-customer&user_id=u&lead_id=lead-1&recording_id=r")
        .await;
    assert_eq!(found.json()["meta"]["rowCount"], 1, "{}", found.text());

    let token = app
        .call(
            Method::POST,
            "/aggregation/v2/partners/authentication",
            &[
                ("finicity-app-key", "demo-app-key"),
                ("content-type", "application/json"),
            ],
            r#"{"partnerId": "demo-partner", "partnerSecret": "demo-partner-secret"}"#,
        )
        .await
        .json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let customer = app
        .call(
            Method::GET,
            "/aggregation/v1/customers/1005069999/accounts",
            &[
                ("finicity-app-key", "demo-app-key"),
                ("finicity-app-token", &token),
            ],
            "",
        )
        .await;
    customer.assert_status(200);
    assert_eq!(customer.json()["accounts"][0]["id"], "5011699990");

    let lsq = app
        .post_json(
            &format!("{LSQ_PATH}?accessKey=rk&secretKey=rs"),
            r#"{"Paging": {"PageIndex": 1, "PageSize": 10}}"#,
        )
        .await;
    lsq.assert_status(200);
    assert_eq!(lsq.json()["TotalCount"], "3");
}

#[tokio::test]
async fn posted_fixtures_are_validated_like_files_and_change_nothing_when_refused() {
    let app = TestApp::at(NOW);
    for (body, status, message) in [
        (
            json!({"engine": {"companies": [{"name": "X", "uuid": NEW_COMPANY, "confidentialToken": "a", "publishableToken": "b", "colour": 1}]}}),
            400,
            "(posted): engine.companies[0].colour: unknown field `colour`",
        ),
        (
            json!({"engine": {"companies": [company("Dup", CONFIDENTIAL, 1)]}}),
            400,
            "(posted, merged with the current fixtures): companies[2].confidentialToken: token 'demo-confidential-token' is used twice",
        ),
        (
            json!({"engine": {"companies": [{"name": "X", "uuid": NEW_COMPANY, "confidentialToken": "a", "publishableToken": "b", "leadsPerDay": -1}]}}),
            400,
            "(posted) engine.json: companies[0].leadsPerDay: must be between 0 and 20000",
        ),
        (
            json!({"mailchimp": {}}),
            400,
            "(posted): mailchimp: unknown field `mailchimp`",
        ),
        (
            json!({}),
            400,
            "(posted): give at least one of engine, data_analytics, finicity, leadsquared",
        ),
        (
            json!({"leadsquared": {"accounts": [{"name": "L", "accessKey": "k", "secretKey": "s", "rateLimit": {"calls": 0, "seconds": 5}}]}}),
            400,
            "(posted) leadsquared.json: accounts[0].rateLimit: calls and seconds must be at least 1 (use null for no limit)",
        ),
    ] {
        let refused = post(&app, "/__admin/fixtures", body.clone()).await;
        refused.assert_status(status);
        let text = refused.json()["message"].as_str().unwrap().to_owned();
        assert!(text.starts_with(message), "{body}: {text}");
    }
    let tenants = app.get("/__admin/tenants").await.json();
    assert!(
        tenants["tenants"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["origin"] == "fixtures"),
        "{tenants}"
    );
}

/// Merges are checked against indices of what is in force rather than by
/// validating everything again: they refuse exactly what whole validation
/// refused, with its message, and take what it took (a swap of tokens).
#[tokio::test]
async fn merges_checked_in_place_refuse_and_accept_what_whole_validation_did() {
    let app = TestApp::at(NOW);
    let tenants = |app: &TestApp| {
        let app = app.clone();
        async move { app.get("/__admin/tenants").await.json()["tenants"].clone() }
    };
    let before = tenants(&app).await;
    for (body, message) in [
        (
            json!({"finicity": {"partners": [{"partnerId": "other", "partnerSecret": "s", "appKey": "demo-app-key", "name": "Other"}]}}),
            "(posted) finicity.json: partners[1].appKey: duplicate appKey",
        ),
        (
            json!({"finicity": {"customers": [{"id": "1009999999", "username": "bg-construction", "type": "business"}]}}),
            "(posted, merged with the current fixtures): customers[3].username: duplicate username",
        ),
        (
            json!({"finicity": {"customers": [{"id": "1009999999", "username": "someone-new", "type": "business",
                "accounts": [{"id": 5011648377u64, "type": "checking", "name": "C"}]}]}}),
            "(posted, merged with the current fixtures): customers[3].accounts[0].id: duplicate account id",
        ),
    ] {
        let refused = post(&app, "/__admin/fixtures", body.clone()).await;
        refused.assert_status(400);
        let text = refused.json()["message"].as_str().unwrap().to_owned();
        assert_eq!(text, message, "{body}");
    }
    assert_eq!(tenants(&app).await, before, "a refused merge changed nothing");

    // Two companies trade tokens in one document: unique before and after.
    let demo = &before[0];
    let second = &before[1];
    assert_eq!(demo["family"], "engine");
    assert_eq!(second["family"], "engine");
    let swapped = |tenant: &Value, other: &Value| {
        json!({
            "name": tenant["name"],
            "uuid": tenant["id"],
            "confidentialToken": other["credentials"]["confidentialToken"],
            "publishableToken": other["credentials"]["publishableToken"],
        })
    };
    post(
        &app,
        "/__admin/fixtures",
        json!({"engine": {"companies": [swapped(demo, second), swapped(second, demo)]}}),
    )
    .await
    .assert_status(200);
    let after = tenants(&app).await;
    assert_eq!(after[0]["credentials"], second["credentials"]);
    assert_eq!(after[1]["credentials"], demo["credentials"]);

    // A customer moved to another partner is listed under that one only.
    let partner = create_tenant(&app, json!({"family": "finicity"})).await;
    let partner_id = partner["id"].as_str().unwrap();
    post(
        &app,
        "/__admin/fixtures",
        json!({"finicity": {"customers": [{"id": "1005061234", "username": "bg-construction", "type": "business", "partnerId": partner_id}]}}),
    )
    .await
    .assert_status(200);
    let ids = |tenant: &Value| tenant["credentials"]["customerIds"].clone();
    let moved = app
        .get(&format!("/__admin/tenants/finicity/{partner_id}"))
        .await
        .json();
    // In fixture order: the moved customer kept its place, before the tenant's.
    assert_eq!(
        ids(&moved),
        json!(["1005061234", partner["credentials"]["customerIds"][0]])
    );
    let demo_partner = app.get("/__admin/tenants/finicity/demo-partner").await.json();
    assert!(
        !ids(&demo_partner)
            .as_array()
            .unwrap()
            .contains(&json!("1005061234")),
        "{demo_partner}"
    );
}

async fn create_tenant(app: &TestApp, body: Value) -> Value {
    let created = post(app, "/__admin/tenants", body).await;
    created.assert_status(201);
    created.json()
}

#[tokio::test]
async fn engine_tenants_get_fresh_credentials_and_their_own_leads() {
    let app = TestApp::at(NOW);
    let first = create_tenant(&app, json!({"family": "engine", "name": "ci-job-1"})).await;
    let second = create_tenant(&app, json!({"family": "engine"})).await;
    assert_eq!(first["origin"], "runtime");
    assert_eq!(second["name"], "Tenant 2");
    let token = |t: &Value| t["credentials"]["confidentialToken"].as_str().unwrap().to_owned();
    assert_ne!(token(&first), token(&second));

    let leads = |response: TestResponse| -> Vec<Value> {
        response.assert_status(200);
        response.json()["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["leadUuid"].clone())
            .collect()
    };
    let mine = leads(events_as(&app, &token(&first)).await);
    let theirs = leads(events_as(&app, &token(&second)).await);
    let demo = leads(events_as(&app, CONFIDENTIAL).await);
    assert!(!mine.is_empty() && !theirs.is_empty());
    assert!(
        mine.iter()
            .all(|lead| !theirs.contains(lead) && !demo.contains(lead))
    );

    // Same seed, same sequence of tenants: same credentials (reproducible CI).
    let replay = TestApp::at(NOW);
    let again = create_tenant(&replay, json!({"family": "engine", "name": "ci-job-1"})).await;
    assert_eq!(again, first);

    let listed = app
        .get(&format!(
            "/__admin/tenants/engine/{}",
            first["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(listed.json(), first);
}

#[tokio::test]
async fn finicity_tenants_cannot_see_each_others_customers() {
    let app = TestApp::at(NOW);
    let tenant = create_tenant(&app, json!({"family": "finicity"})).await;
    let credentials = &tenant["credentials"];
    let app_key = credentials["appKey"].as_str().unwrap();
    let signed_in = app
        .call(
            Method::POST,
            "/aggregation/v2/partners/authentication",
            &[
                ("finicity-app-key", app_key),
                ("content-type", "application/json"),
            ],
            json!({"partnerId": credentials["partnerId"], "partnerSecret": credentials["partnerSecret"]})
                .to_string(),
        )
        .await;
    signed_in.assert_status(200);
    let token = signed_in.json()["token"].as_str().unwrap().to_owned();
    let get = |path: String| {
        let app = app.clone();
        let (app_key, token) = (app_key.to_owned(), token.clone());
        async move {
            app.call(
                Method::GET,
                &path,
                &[("finicity-app-key", &app_key), ("finicity-app-token", &token)],
                "",
            )
            .await
        }
    };
    let own = credentials["customerIds"][0].as_str().unwrap();
    get(format!("/aggregation/v1/customers/{own}"))
        .await
        .assert_status(200);
    // The demo partner's customer is not this tenant's.
    get("/aggregation/v1/customers/1005061234".to_owned())
        .await
        .assert_status(400);

    // A testing customer's username may repeat across tenants.
    let enroll = |key: String, token: String| {
        let app = app.clone();
        async move {
            app.call(
                Method::POST,
                "/aggregation/v2/customers/testing",
                &[
                    ("finicity-app-key", &key),
                    ("finicity-app-token", &token),
                    ("content-type", "application/json"),
                ],
                r#"{"username": "shared-name", "firstName": "A", "lastName": "B"}"#,
            )
            .await
        }
    };
    enroll(app_key.to_owned(), token.clone()).await.assert_status(201);
    let taken = enroll(app_key.to_owned(), token.clone()).await;
    taken.assert_status(409);
    assert_eq!(taken.json()["message"], "Username is not available.");
}

#[tokio::test]
async fn tenant_requests_are_checked() {
    let app = TestApp::at(NOW);
    let refused = |body: Value, status: u16, message: &'static str| {
        let app = app.clone();
        async move {
            let response = post(&app, "/__admin/tenants", body).await;
            response.assert_status(status);
            assert_eq!(response.json()["message"], message);
        }
    };
    refused(
        json!({"family": "admin"}),
        400,
        "family: 'admin' is not one of engine, data_analytics, finicity, leadsquared",
    )
    .await;
    refused(
        json!({"family": "leadsquared", "credentials": {"accesskey": "x"}}),
        400,
        "credentials.accesskey: not a leadsquared credential (use accessKey, secretKey)",
    )
    .await;
    refused(
        json!({"family": "leadsquared", "credentials": {"accessKey": "demo-access-key"}}),
        409,
        "credentials.accessKey: another leadsquared tenant already uses this value; choose another",
    )
    .await;
    refused(
        json!({"family": "engine", "rateLimit": {"calls": 0, "seconds": 1}}),
        400,
        "(posted) engine.json: companies[0].rateLimit: calls and seconds must be at least 1 (use null for no limit)",
    )
    .await;
    app.get("/__admin/tenants/engine/nobody").await.assert_status(404);
    app.get("/__admin/tenants/mailchimp/x").await.assert_status(404);
}

fn limited(limit: Value) -> TestApp {
    let engine = json!({"companies": [{
        "name": "Limited", "uuid": NEW_COMPANY, "confidentialToken": "limited",
        "publishableToken": "limited-pub", "rateLimit": limit
    }]});
    let mut config = Config::defaults();
    config.now = leadsim::parse_rfc3339(NOW);
    TestApp::with(
        config,
        Fixtures::with_files(&[("engine.json", &engine.to_string())]).unwrap(),
    )
}

#[tokio::test]
async fn engine_rate_limits_answer_429_in_engines_shape_until_the_window_passes() {
    let app = limited(json!({"calls": 2, "seconds": 10}));
    events_as(&app, "limited").await.assert_status(200);
    app.post_json_as("/uiEvent/sessionInits", "limited-pub", "{}")
        .await
        .assert_status(201);
    let refused = events_as(&app, "limited").await;
    refused.assert_status(429);
    assert_eq!(refused.header("retry-after"), Some("10"));
    assert_eq!(
        refused.json(),
        json!([{
            "type": "rate_limited",
            "details": {"limit": "2", "windowSeconds": "10", "retryAfterSeconds": "10"},
            "message": "Rate limit exceeded: at most 2 calls in 10 second(s); retry after 10 second(s)"
        }])
    );
    // The pixel is never limited: the vendor promises it always answers.
    app.get("/uiEvent/offerDisplays/a/b/c/pixel.gif")
        .await
        .assert_status(200);

    post(&app, "/__admin/clock/advance", json!({"seconds": 10}))
        .await
        .assert_status(200);
    events_as(&app, "limited").await.assert_status(200);

    // At run time: off, then tighter.
    let path = format!("/__admin/tenants/engine/{NEW_COMPANY}/rateLimit");
    let off = app.put_json(&path, "null").await;
    off.assert_status(200);
    assert_eq!(off.json()["rateLimit"], Value::Null);
    for _ in 0..5 {
        events_as(&app, "limited").await.assert_status(200);
    }
    // Let the calls counted before the limit went off leave the window.
    post(&app, "/__admin/clock/advance", json!({"seconds": 60}))
        .await
        .assert_status(200);
    app.put_json(&path, r#"{"calls": 1, "seconds": 60}"#)
        .await
        .assert_status(200);
    events_as(&app, "limited").await.assert_status(200);
    events_as(&app, "limited").await.assert_status(429);
}

#[tokio::test]
async fn finicity_and_data_analytics_limits_answer_in_their_own_shapes() {
    let app = TestApp::at(NOW);
    let tenant = create_tenant(
        &app,
        json!({"family": "finicity", "rateLimit": {"calls": 1, "seconds": 5}}),
    )
    .await;
    let authenticate = || {
        let app = app.clone();
        let credentials = tenant["credentials"].clone();
        async move {
            app.call(
                Method::POST,
                "/aggregation/v2/partners/authentication",
                &[
                    ("finicity-app-key", credentials["appKey"].as_str().unwrap()),
                    ("content-type", "application/json"),
                ],
                json!({"partnerId": credentials["partnerId"], "partnerSecret": credentials["partnerSecret"]})
                    .to_string(),
            )
            .await
        }
    };
    authenticate().await.assert_status(200);
    let refused = authenticate().await;
    refused.assert_status(429);
    assert_eq!(refused.header("retry-after"), Some("5"));
    assert_eq!(
        refused.json(),
        json!({"code": 429, "message": "Rate limit exceeded: at most 1 calls in 5 second(s); retry after 5 second(s)"})
    );

    let customer = create_tenant(
        &app,
        json!({"family": "data_analytics", "rateLimit": {"calls": 1, "seconds": 60}}),
    )
    .await;
    let id = customer["id"].as_str().unwrap();
    let search = format!("/api/v1/lead_analytics/search?customer_id={id}&user_id=u&lead_id=l&recording_id=r");
    app.get(&search).await.assert_status(200);
    let refused = app.get(&search).await;
    refused.assert_status(429);
    assert_eq!(refused.header("retry-after"), Some("60"));
    assert_eq!(
        refused.json(),
        json!({"message": "Rate limit exceeded: at most 1 calls in 60 second(s); retry after 60 second(s)", "errors": []})
    );
    // Other customers are not limited.
    app.get("/api/v1/lead_analytics/search?customer_id=other&user_id=u&lead_id=l&recording_id=r")
        .await
        .assert_status(200);
}

#[tokio::test]
async fn leadsquared_tenants_default_to_the_vendor_limit() {
    let app = TestApp::at(NOW);
    let tenant = create_tenant(&app, json!({"family": "leadsquared"})).await;
    assert_eq!(tenant["rateLimit"], json!({"calls": 25, "seconds": 5}));
    let keys = &tenant["credentials"];
    let uri = format!(
        "{LSQ_PATH}?accessKey={}&secretKey={}",
        keys["accessKey"].as_str().unwrap().replace('$', "%24"),
        keys["secretKey"].as_str().unwrap()
    );
    for _ in 0..25 {
        app.post_json(&uri, r#"{"Paging": {"PageIndex": 1, "PageSize": 1}}"#)
            .await
            .assert_status(200);
    }
    let refused = app
        .post_json(&uri, r#"{"Paging": {"PageIndex": 1, "PageSize": 1}}"#)
        .await;
    refused.assert_status(429);
    assert_eq!(refused.json()["ExceptionType"], "MXAPIRateLimitExceededException");
    // The demo account has its own window.
    app.post_json(
        &format!("{LSQ_PATH}?accessKey=demo-access-key&secretKey=demo-secret-key"),
        r#"{"Paging": {"PageIndex": 1, "PageSize": 1}}"#,
    )
    .await
    .assert_status(200);
}

/// Tenant ids are matched as listings show them, and a `null` member of a
/// posted document is an absent one, as before families parsed their own.
#[tokio::test]
async fn tenant_ids_match_exactly_and_null_members_are_absent() {
    let app = TestApp::at(NOW);
    let demo = "3f1a6c2e-8b4d-4e7a-9c21-5d0b7e9f4a10";
    app.get(&format!("/__admin/tenants/engine/{demo}"))
        .await
        .assert_status(200);
    app.get(&format!("/__admin/tenants/engine/{}", demo.to_uppercase()))
        .await
        .assert_status(404);
    let merged = post(
        &app,
        "/__admin/fixtures",
        json!({"engine": null, "leadsquared": {"accounts": [{"name": "L", "accessKey": "nk", "secretKey": "ns"}]}}),
    )
    .await;
    merged.assert_status(200);
    assert_eq!(
        merged.json()["merged"],
        json!({"families": ["leadsquared"], "added": 1, "replaced": 0})
    );
    let only_null = post(&app, "/__admin/fixtures", json!({"engine": null})).await;
    only_null.assert_status(400);
    assert_eq!(
        only_null.json()["message"],
        "(posted): give at least one of engine, data_analytics, finicity, leadsquared"
    );
}
