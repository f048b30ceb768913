//! Engine UI events: offer displays, session inits and the pixel GIF.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use axum::body::Body;
use axum::http::Method;
use common::schema::{assert_engine_errors, assert_engine_schema, engine_schema_violations};
use common::{CONFIDENTIAL, PUBLISHABLE, TestApp};
use serde_json::{Value, json};

const LEAD: &str = "f914eb07-a64f-51d8-b882-ff508a8c5c81";
const RATE_TABLE: &str = "952a1184-d369-5958-9a0f-bec903e11c48";
const OFFER: &str = "3426f971-1aa5-5cb0-91a9-cf2edcfa5dfa";
const DEMO_COMPANY: &str = "3f1a6c2e-8b4d-4e7a-9c21-5d0b7e9f4a10";
const SANDBOX_COMPANY: &str = "9b7e2d14-2f6c-4c3b-8a5e-1e4d6f7a8b90";
const SANDBOX_LEAD: &str = "4bbb25a6-6fcf-4ed3-88f9-6daacb0f8b33";
const UNATTRIBUTED: &str = "756e6174-7472-6962-7574-656400000000";

const GIF: [u8; 43] = [
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff,
    0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
    0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

fn display_body() -> String {
    json!({"leadUuid": LEAD, "rateTableUuid": RATE_TABLE, "offerUuid": OFFER}).to_string()
}

async fn displays(app: &TestApp, query: &str) -> Value {
    let response = app.get(&format!("/__admin/engine/offerDisplays{query}")).await;
    response.assert_status(200);
    response.json()
}

#[tokio::test]
async fn offer_display_is_recorded_and_returned_in_the_vendor_schema() {
    let app = TestApp::at("2021-05-01T00:00:00Z");
    let response = app
        .post_json_as("/uiEvent/offerDisplays", PUBLISHABLE, &display_body())
        .await;
    response.assert_status(201);
    assert_eq!(response.header("content-type"), Some("application/json"));
    let body = response.json();
    assert_engine_schema("OfferDisplay", &body);
    assert_eq!(body["id"], 1);
    assert_eq!(body["leadUuid"], LEAD);
    assert_eq!(body["rateTableUuid"], RATE_TABLE);
    assert_eq!(body["offerUuid"], OFFER);
    assert_eq!(body["createdAt"], "2021-05-01T00:00:00.000Z");
    assert_eq!(body["createdBy"], DEMO_COMPANY);
    assert_eq!(
        body.as_object().unwrap().len(),
        7,
        "exactly the schema's fields: {body}"
    );

    let second = app
        .post_json_as("/uiEvent/offerDisplays", PUBLISHABLE, &display_body())
        .await
        .json();
    assert_eq!(second["id"], 2);
    assert_ne!(second["uuid"], body["uuid"]);

    let recorded = displays(&app, &format!("?leadUuid={LEAD}")).await;
    assert_eq!(recorded["count"], 2);
    assert_eq!(recorded["offerDisplays"][0]["source"], "api");
    assert_eq!(recorded["offerDisplays"][0]["uuid"], body["uuid"]);
}

#[tokio::test]
async fn ids_increase_per_company() {
    let app = TestApp::new();
    for expected in 1..=3 {
        let body = app
            .post_json_as("/uiEvent/offerDisplays", PUBLISHABLE, &display_body())
            .await
            .json();
        assert_eq!(body["id"], expected);
    }
    let sandbox = app
        .post_json_as(
            "/uiEvent/offerDisplays",
            "demo-test-publishable-token",
            &display_body(),
        )
        .await
        .json();
    assert_eq!(sandbox["id"], 1, "another company counts from its own start");
    assert_eq!(sandbox["createdBy"], SANDBOX_COMPANY);
}

#[tokio::test]
async fn missing_or_unknown_tokens_get_401_and_store_nothing() {
    let app = TestApp::new();
    let missing = app.post_json("/uiEvent/offerDisplays", &display_body()).await;
    missing.assert_status(401);
    assert_eq!(missing.json(), json!([{"message": "Access token is missing"}]));
    assert_engine_errors(&missing.json());

    let unknown = app.post_json_as("/uiEvent/sessionInits", "nope", "{}").await;
    unknown.assert_status(401);
    assert_eq!(unknown.json(), json!([{"message": "Access token is invalid"}]));

    let not_bearer = app
        .call(
            Method::POST,
            "/uiEvent/offerDisplays",
            &[("authorization", &format!("Basic {PUBLISHABLE}"))],
            display_body(),
        )
        .await;
    not_bearer.assert_status(401);
    assert_eq!(not_bearer.json(), json!([{"message": "Access token is missing"}]));
    assert_eq!(displays(&app, "").await["count"], 0);
}

#[tokio::test]
async fn a_confidential_token_may_record_ui_events() {
    let app = TestApp::new();
    let response = app
        .post_json_as("/uiEvent/offerDisplays", CONFIDENTIAL, &display_body())
        .await;
    response.assert_status(201);
    assert_eq!(response.json()["createdBy"], DEMO_COMPANY);
}

#[tokio::test]
async fn invalid_offer_displays_get_422_naming_each_attribute_and_store_nothing() {
    let app = TestApp::new();
    let cases: Vec<(String, Value)> = vec![
        (
            "{".into(),
            json!([{"type": "malformed", "message": "Request body must be valid JSON: EOF while parsing an object at line 1 column 1"}]),
        ),
        (
            "[]".into(),
            json!([{"type": "malformed", "details": {"specified": "[]"}, "message": "Request body must be a JSON object"}]),
        ),
        (
            "".into(),
            json!([
                {"attribute": "leadUuid", "type": "missing", "message": "leadUuid must be specified"},
                {"attribute": "rateTableUuid", "type": "missing", "message": "rateTableUuid must be specified"},
                {"attribute": "offerUuid", "type": "missing", "message": "offerUuid must be specified"}
            ]),
        ),
        (
            json!({"leadUuid": "abc", "rateTableUuid": 42, "offerUuid": OFFER}).to_string(),
            json!([
                {"attribute": "leadUuid", "type": "malformed", "details": {"specified": "abc"}, "message": "leadUuid must be a UUID, but is 'abc'"},
                {"attribute": "rateTableUuid", "type": "malformed", "details": {"specified": "42"}, "message": "rateTableUuid must be a string containing a UUID, but is 42"}
            ]),
        ),
        (
            json!({"leadUuid": LEAD, "rateTableUuid": RATE_TABLE, "offerUuid": null}).to_string(),
            json!([{"attribute": "offerUuid", "type": "missing", "message": "offerUuid must be specified"}]),
        ),
    ];
    for (body, expected) in cases {
        let response = app
            .post_json_as("/uiEvent/offerDisplays", PUBLISHABLE, &body)
            .await;
        response.assert_status(422);
        assert_eq!(response.json(), expected, "body: {body}");
        assert_engine_errors(&response.json());
    }
    assert_eq!(displays(&app, "").await["count"], 0);
    // The next valid display still gets id 1: failed calls consume nothing.
    let ok = app
        .post_json_as("/uiEvent/offerDisplays", PUBLISHABLE, &display_body())
        .await
        .json();
    assert_eq!(ok["id"], 1);
}

#[tokio::test]
async fn session_inits_accept_empty_bodies_and_echo_given_uuids() {
    let app = TestApp::at("2021-05-01T12:00:00Z");
    let auth = format!("Bearer {PUBLISHABLE}");
    let empty_json = app
        .call(
            Method::POST,
            "/uiEvent/sessionInits",
            &[("authorization", &auth), ("content-type", "application/json")],
            "",
        )
        .await;
    empty_json.assert_status(201);
    let no_content_type = app
        .call(
            Method::POST,
            "/uiEvent/sessionInits",
            &[("authorization", &auth)],
            Body::empty(),
        )
        .await;
    no_content_type.assert_status(201);
    let braces = app.post_json_as("/uiEvent/sessionInits", PUBLISHABLE, "{}").await;
    braces.assert_status(201);

    let generated: Vec<Value> = [&empty_json, &no_content_type, &braces]
        .iter()
        .map(|r| r.json())
        .collect();
    for (i, body) in generated.iter().enumerate() {
        assert_engine_schema("SessionInit", body);
        assert_eq!(body["id"], i as i64 + 1);
        assert_eq!(body["createdAt"], "2021-05-01T12:00:00.000Z");
        assert_eq!(body["createdBy"], DEMO_COMPANY);
    }
    assert_ne!(generated[0]["sessionUuid"], generated[1]["sessionUuid"]);

    let given = "820cc28f-ae99-55a5-a364-6353efd4a48b";
    let echoed = app
        .post_json_as(
            "/uiEvent/sessionInits",
            PUBLISHABLE,
            &json!({"sessionUuid": given}).to_string(),
        )
        .await;
    echoed.assert_status(201);
    assert_eq!(echoed.json()["sessionUuid"], given);

    let listed = app
        .get(&format!("/__admin/engine/sessionInits?sessionUuid={given}"))
        .await
        .json();
    assert_eq!(listed["count"], 1);
    assert_eq!(app.get("/__admin/engine/sessionInits").await.json()["count"], 4);
}

#[tokio::test]
async fn invalid_session_uuid_gets_422() {
    let app = TestApp::new();
    let response = app
        .post_json_as(
            "/uiEvent/sessionInits",
            PUBLISHABLE,
            r#"{"sessionUuid":"not-a-uuid"}"#,
        )
        .await;
    response.assert_status(422);
    assert_eq!(
        response.json(),
        json!([{"attribute": "sessionUuid", "type": "malformed", "details": {"specified": "not-a-uuid"}, "message": "sessionUuid must be a UUID, but is 'not-a-uuid'"}])
    );
    let wrong_type = app
        .post_json_as("/uiEvent/sessionInits", PUBLISHABLE, r#"{"sessionUuid":[1]}"#)
        .await;
    wrong_type.assert_status(422);
    assert_eq!(wrong_type.json()[0]["attribute"], "sessionUuid");
    assert_eq!(app.get("/__admin/engine/sessionInits").await.json()["count"], 0);
}

fn pixel_path(lead: &str, rate_table: &str, offer: &str) -> String {
    format!("/uiEvent/offerDisplays/{lead}/{rate_table}/{offer}/pixel.gif")
}

#[tokio::test]
async fn pixel_always_answers_the_43_byte_gif() {
    let app = TestApp::new();
    for path in [
        pixel_path(LEAD, RATE_TABLE, OFFER),
        pixel_path("not-a-uuid", "x", "y"),
        pixel_path("%FF%00", "%20", "{}"),
    ] {
        let response = app.get(&path).await;
        response.assert_status(200);
        assert_eq!(response.body.as_ref(), GIF.as_slice(), "{path}");
        assert_eq!(response.header("content-type"), Some("image/gif"));
        assert_eq!(response.header("cache-control"), Some("no-store"));
        assert_eq!(response.header("content-length"), Some("43"));
    }
    let with_bad_token = app.get_as(&pixel_path(LEAD, RATE_TABLE, OFFER), "garbage").await;
    with_bad_token.assert_status(200);
    assert_eq!(with_bad_token.body.as_ref(), GIF.as_slice());

    // Only the two hits with uuid segments are recorded.
    assert_eq!(displays(&app, "").await["count"], 2);
}

#[tokio::test]
async fn pixel_head_answers_headers_only_and_records_nothing() {
    let app = TestApp::new();
    let response = app
        .call(
            Method::HEAD,
            &pixel_path(LEAD, RATE_TABLE, OFFER),
            &[],
            Body::empty(),
        )
        .await;
    response.assert_status(200);
    assert!(response.body.is_empty());
    assert_eq!(response.header("content-type"), Some("image/gif"));
    assert_eq!(displays(&app, "").await["count"], 0);
}

#[tokio::test]
async fn pixel_hits_are_credited_to_the_leads_company() {
    let app = TestApp::at("2021-06-01T10:00:00Z");
    app.get(&pixel_path(SANDBOX_LEAD, RATE_TABLE, OFFER))
        .await
        .assert_status(200);
    app.get(&pixel_path(LEAD, RATE_TABLE, OFFER))
        .await
        .assert_status(200);
    app.get_as(&pixel_path(LEAD, RATE_TABLE, OFFER), PUBLISHABLE)
        .await
        .assert_status(200);

    let recorded = displays(&app, "").await;
    let owners: Vec<_> = recorded["offerDisplays"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["createdBy"].clone())
        .collect();
    assert_eq!(
        owners,
        [json!(SANDBOX_COMPANY), json!(UNATTRIBUTED), json!(DEMO_COMPANY)]
    );
    for display in recorded["offerDisplays"].as_array().unwrap() {
        assert_eq!(display["source"], "pixel");
        assert_eq!(display["createdAt"], "2021-06-01T10:00:00.000Z");
    }
}

#[tokio::test]
async fn browsers_get_cors_headers_on_ui_events() {
    let app = TestApp::new();
    let response = app
        .call(
            Method::POST,
            "/uiEvent/offerDisplays",
            &[
                ("origin", "https://partner.example"),
                ("authorization", &format!("Bearer {PUBLISHABLE}")),
                ("content-type", "application/json"),
            ],
            display_body(),
        )
        .await;
    response.assert_status(201);
    assert_eq!(
        response.header("access-control-allow-origin"),
        Some("https://partner.example")
    );
    let pixel = app
        .call(
            Method::GET,
            &pixel_path(LEAD, RATE_TABLE, OFFER),
            &[("origin", "https://partner.example")],
            Body::empty(),
        )
        .await;
    assert_eq!(
        pixel.header("access-control-allow-origin"),
        Some("https://partner.example")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_parallel_posts_lose_and_duplicate_nothing() {
    let app = std::sync::Arc::new(TestApp::new());
    let mut tasks = Vec::new();
    for _ in 0..1000 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let response = app
                .post_json_as("/uiEvent/offerDisplays", PUBLISHABLE, &display_body())
                .await;
            response.assert_status(201);
            response.json()["id"].as_i64().unwrap()
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.unwrap());
    }
    ids.sort_unstable();
    assert_eq!(ids, (1..=1000).collect::<Vec<i64>>());
    assert_eq!(displays(&app, "").await["count"], 1000);
}

#[tokio::test]
async fn storage_is_bounded_and_reports_what_it_dropped() {
    let mut config = leadsim::config::Config::defaults();
    config.ui_event_capacity = 5;
    let app = TestApp::with(config, leadsim::Fixtures::embedded().unwrap());
    for _ in 0..8 {
        app.get(&pixel_path(LEAD, RATE_TABLE, OFFER)).await;
    }
    let recorded = displays(&app, "").await;
    assert_eq!(recorded["count"], 5);
    assert_eq!(recorded["dropped"], 3);
    assert_eq!(recorded["capacity"], 5);
    assert_eq!(recorded["offerDisplays"][0]["id"], 4, "the oldest went first");
}

#[tokio::test]
async fn reset_clears_recorded_ui_events() {
    let app = TestApp::new();
    app.post_json_as("/uiEvent/offerDisplays", PUBLISHABLE, &display_body())
        .await
        .assert_status(201);
    app.post_json_as("/uiEvent/sessionInits", PUBLISHABLE, "{}")
        .await
        .assert_status(201);
    app.post_json("/__admin/reset", "").await.assert_status(200);
    assert_eq!(displays(&app, "").await["count"], 0);
    assert_eq!(app.get("/__admin/engine/sessionInits").await.json()["count"], 0);
    let after = app
        .post_json_as("/uiEvent/offerDisplays", PUBLISHABLE, &display_body())
        .await
        .json();
    assert_eq!(after["id"], 1, "ids start over after reset");
}

#[tokio::test]
async fn admin_filters_are_validated() {
    let app = TestApp::new();
    app.get("/__admin/engine/offerDisplays?leadUuid=nope")
        .await
        .assert_status(400);
    app.get("/__admin/engine/sessionInits?leadUuid=x")
        .await
        .assert_status(400);
}

#[tokio::test]
async fn wrong_method_on_a_ui_route_gets_engine_shaped_405() {
    let app = TestApp::new();
    let response = app.get("/uiEvent/offerDisplays").await;
    response.assert_status(405);
    assert_eq!(response.header("allow"), Some("POST"));
    assert_eq!(response.json()[0]["type"], "method_not_allowed");
    assert_engine_errors(&response.json());
}

#[test]
fn the_schema_check_catches_what_generated_clients_reject() {
    // The vendor's own example: createdAt without an offset, id as a string.
    let broken = json!({"id": "96782348", "uuid": "7820ca8c-e8bc-5849-83ee-02e951d4b062", "leadUuid": LEAD,
        "rateTableUuid": RATE_TABLE, "offerUuid": "nope", "createdAt": "2021-05-01T00:00:00.00", "createdBy": DEMO_COMPANY});
    let violations = engine_schema_violations("OfferDisplay", &broken);
    assert_eq!(violations.len(), 3, "{violations:#?}");
}
