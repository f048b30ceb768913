//! Fault injection: each effect, how faults are matched and counted, their
//! seeded probability, their admin API and how the journal marks them.
#![allow(clippy::unwrap_used)]

use crate::common;

use axum::http::Method;
use common::{CONFIDENTIAL, PUBLISHABLE, TestApp};
use leadsim::Fixtures;
use leadsim::config::Config;
use serde_json::{Value, json};

const PIXEL: &str = "/uiEvent/offerDisplays/3f1c1d6e-5f8a-4c36-9f5e-0b6a3c2d1e0f/a2b4c6d8-0000-4000-8000-000000000001/a2b4c6d8-0000-4000-8000-000000000002/pixel.gif";
const LSQ: &str =
    "/Leads/LeadDistribution/FilterByLeadField?accessKey=demo-access-key&secretKey=demo-secret-key";

async fn add_fault(app: &TestApp, fault: Value) -> Value {
    let created = app.post_json("/__admin/faults", &fault.to_string()).await;
    created.assert_status(201);
    created.json()
}

async fn latest_request(app: &TestApp) -> Value {
    app.get("/__admin/requests?limit=1").await.json()["requests"][0].clone()
}

#[tokio::test]
async fn a_status_fault_answers_in_each_familys_own_error_shape() {
    let app = TestApp::new();
    add_fault(
        &app,
        json!({"effect": {"type": "status", "status": 500}, "match": {"family": "engine"}}),
    )
    .await;
    add_fault(
        &app,
        json!({"effect": {"type": "status", "status": 503}, "match": {"family": "finicity"}}),
    )
    .await;
    add_fault(
        &app,
        json!({"effect": {"type": "status", "status": 500}, "match": {"family": "leadsquared"}}),
    )
    .await;
    add_fault(
        &app,
        json!({"effect": {"type": "status", "status": 502}, "match": {"family": "data_analytics"}}),
    )
    .await;

    let engine = app.get_as("/supplyAnalytics/leadEvents", CONFIDENTIAL).await;
    engine.assert_status(500);
    assert_eq!(
        engine.json(),
        json!([{"type": "invalid_request", "message": "Internal Server Error"}])
    );

    let finicity = app.get("/aggregation/v1/customers/1005061234").await;
    finicity.assert_status(503);
    assert_eq!(
        finicity.json(),
        json!({"code": 503, "message": "Service Unavailable"})
    );

    let lsq = app.post_json(LSQ, "{}").await;
    lsq.assert_status(500);
    let body = lsq.json();
    assert_eq!(body["Status"], "Error", "{body}");
    assert_eq!(body["ExceptionMessage"], "Internal Server Error", "{body}");

    let analytics = app.post_json("/api/v1/lead_analytics", "{}").await;
    analytics.assert_status(502);
    assert_eq!(analytics.header("content-type"), Some("application/json"));

    // Nothing reached the vendor logic: the journal says which fault answered.
    let entry = latest_request(&app).await;
    assert_eq!(entry["status"], 502);
    assert_eq!(entry["fault"], json!({"id": "fault-4", "effect": "status"}));
    // Verification can select the faulted calls, or one fault's.
    let faulted = app.get("/__admin/requests?fault=true").await.json();
    assert_eq!(faulted["matched"], 4);
    let by_id = app.get("/__admin/requests?fault=fault-2").await.json();
    assert_eq!(
        by_id["requests"][0]["path"],
        "/aggregation/v1/customers/1005061234"
    );
    assert_eq!(by_id["matched"], 1);
    app.get(PIXEL).await.assert_status(500);
    assert_eq!(
        app.get("/__admin/requests?fault=false").await.json()["matched"],
        0
    );
}

#[tokio::test]
async fn a_status_fault_can_give_its_own_body_and_headers() {
    let app = TestApp::new();
    add_fault(
        &app,
        json!({
            "match": {"method": "post", "path": "/uiEvent/*"},
            "effect": {"type": "status", "status": 429, "body": {"slow": "down"}, "headers": {"Retry-After": "7"}}
        }),
    )
    .await;
    add_fault(
        &app,
        json!({"match": {"path": "/api/v1/*"}, "effect": {"type": "status", "status": 418, "body": "teapot"}}),
    )
    .await;

    let posted = app.post_json_as("/uiEvent/sessionInits", PUBLISHABLE, "{}").await;
    posted.assert_status(429);
    assert_eq!(posted.header("retry-after"), Some("7"));
    assert_eq!(posted.json(), json!({"slow": "down"}));
    // Another method on the same path is not matched.
    app.get(PIXEL).await.assert_status(200);

    let text = app.post_json("/api/v1/lead_analytics", "{}").await;
    text.assert_status(418);
    assert_eq!(text.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(text.text(), "teapot");
    // The faulted session init was never recorded.
    let sessions = app.get("/__admin/engine/sessionInits").await.json();
    assert_eq!(sessions["count"], 0, "{sessions}");
}

#[tokio::test(start_paused = true)]
async fn a_latency_fault_delays_the_real_answer() {
    let app = TestApp::new();
    add_fault(
        &app,
        json!({"match": {"path": "/uiEvent/*"}, "effect": {"type": "latency", "ms": 1500}, "times": 1}),
    )
    .await;

    let started = tokio::time::Instant::now();
    let slow = app.get(PIXEL).await;
    let waited = started.elapsed();
    slow.assert_status(200);
    assert_eq!(slow.body.len(), 43);
    assert!(
        waited >= std::time::Duration::from_millis(1500) && waited < std::time::Duration::from_millis(1600),
        "{waited:?}"
    );
    assert_eq!(latest_request(&app).await["fault"]["effect"], "latency");

    let started = tokio::time::Instant::now();
    app.get(PIXEL).await.assert_status(200);
    assert!(started.elapsed() < std::time::Duration::from_millis(100));
}

#[tokio::test]
async fn a_drop_fault_closes_the_connection_without_an_answer() {
    let app = TestApp::new();
    let address = app.serve().await;
    add_fault(
        &app,
        json!({"match": {"family": "engine"}, "effect": {"type": "drop"}, "times": 1}),
    )
    .await;

    let request = format!("GET {PIXEL} HTTP/1.1\r\nHost: leadsim\r\n\r\n");
    let dropped = common::raw_exchange(address, request.as_bytes()).await;
    assert!(dropped.is_empty(), "{}", String::from_utf8_lossy(&dropped));
    let entry = latest_request(&app).await;
    assert_eq!(entry["status"], 0);
    assert_eq!(entry["fault"], json!({"id": "fault-1", "effect": "drop"}));

    // The fault ran out: the next call on a new connection is answered.
    let request = format!("GET {PIXEL} HTTP/1.1\r\nHost: leadsim\r\nConnection: close\r\n\r\n");
    let answered = common::raw_exchange(address, request.as_bytes()).await;
    assert!(answered.starts_with(b"HTTP/1.1 200 OK\r\n"));
}

#[tokio::test]
async fn a_truncate_fault_announces_the_whole_body_and_sends_part_of_it() {
    let app = TestApp::at("2026-11-23T18:00:00Z");
    let address = app.serve().await;
    add_fault(
        &app,
        json!({"match": {"path": "/supplyAnalytics/leadEvents"}, "effect": {"type": "truncate", "bytes": 10}}),
    )
    .await;

    let request = format!(
        "GET /supplyAnalytics/leadEvents?timestamp=2026-11-23T10:00:00Z HTTP/1.1\r\nHost: leadsim\r\nAuthorization: Bearer {CONFIDENTIAL}\r\n\r\n"
    );
    let received = common::raw_exchange(address, request.as_bytes()).await;
    let text = String::from_utf8_lossy(&received);
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    let announced: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(announced > 10, "{head}");
    assert_eq!(body, "{\"nextUrl\"");
    assert_eq!(latest_request(&app).await["fault"]["effect"], "truncate");
}

#[tokio::test]
async fn next_n_counts_applications_and_credentials_narrow_the_match() {
    let app = TestApp::new();
    let fault = add_fault(
        &app,
        json!({
            "match": {"credential": PUBLISHABLE},
            "effect": {"type": "status", "status": 503},
            "times": 2
        }),
    )
    .await;
    assert_eq!(fault["remaining"], 2);

    // Calls without that credential neither match nor count.
    app.post_json_as("/uiEvent/sessionInits", CONFIDENTIAL, "{}")
        .await
        .assert_status(201);
    app.post_json_as("/uiEvent/sessionInits", PUBLISHABLE, "{}")
        .await
        .assert_status(503);
    let listed = app.get("/__admin/faults/fault-1").await.json();
    assert_eq!(
        (listed["matched"].clone(), listed["remaining"].clone()),
        (json!(1), json!(1))
    );
    app.post_json_as("/uiEvent/sessionInits", PUBLISHABLE, "{}")
        .await
        .assert_status(503);
    app.post_json_as("/uiEvent/sessionInits", PUBLISHABLE, "{}")
        .await
        .assert_status(201);

    // Spent faults retire.
    assert_eq!(app.get("/__admin/faults").await.json(), json!({"faults": []}));
    app.get("/__admin/faults/fault-1").await.assert_status(404);
    let statuses: Vec<Value> = app.get("/__admin/requests").await.json()["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].clone())
        .collect();
    assert_eq!(statuses, [json!(201), json!(503), json!(503), json!(201)]);
}

/// The statuses of 40 pixel hits under a 30% fault, in order.
async fn probability_run(seed: u64, fault_seed: Option<u64>) -> Vec<u16> {
    let mut config = Config::defaults();
    config.seed = seed;
    let app = TestApp::with(config, Fixtures::embedded().unwrap());
    let mut fault = json!({"effect": {"type": "status", "status": 500}, "probability": 0.3});
    if let Some(fault_seed) = fault_seed {
        fault["seed"] = json!(fault_seed);
    }
    add_fault(&app, fault).await;
    let mut statuses = Vec::new();
    for _ in 0..40 {
        statuses.push(app.get(PIXEL).await.status.as_u16());
    }
    statuses
}

#[tokio::test]
async fn probability_is_reproducible_from_the_seed() {
    let first = probability_run(42, None).await;
    assert_eq!(first, probability_run(42, None).await);
    assert_ne!(first, probability_run(43, None).await);
    // A fault's own seed overrides the process seed.
    assert_eq!(
        probability_run(1, Some(99)).await,
        probability_run(2, Some(99)).await
    );
    let faulted = first.iter().filter(|s| **s == 500).count();
    assert!((4..=20).contains(&faulted), "{faulted} of 40");
    assert!(first.iter().all(|s| *s == 200 || *s == 500));
}

#[tokio::test]
async fn faults_are_listed_removed_and_cleared_by_reset() {
    let app = TestApp::new();
    add_fault(
        &app,
        json!({"effect": {"type": "drop"}, "match": {"family": "finicity"}}),
    )
    .await;
    add_fault(&app, json!({"effect": {"type": "latency", "ms": 5}})).await;
    let listed = app.get("/__admin/faults").await.json();
    let ids: Vec<&str> = listed["faults"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["fault-1", "fault-2"]);

    let removed = app.delete("/__admin/faults/fault-1").await;
    removed.assert_status(200);
    assert_eq!(removed.json()["effect"], json!({"type": "drop"}));
    let missing = app.delete("/__admin/faults/fault-1").await;
    missing.assert_status(404);
    assert_eq!(missing.json()["error"], "not_found");

    app.post_json("/__admin/reset", "").await.assert_status(200);
    assert_eq!(app.get("/__admin/faults").await.json()["faults"], json!([]));
    // Numbering starts over, so a replayed test sees the same ids.
    let again = add_fault(&app, json!({"effect": {"type": "drop"}})).await;
    assert_eq!(again["id"], "fault-1");
    assert_eq!(app.delete("/__admin/faults").await.json(), json!({"removed": 1}));
}

#[tokio::test]
async fn bad_faults_are_refused_with_a_reason() {
    let app = TestApp::new();
    let refused = |body: &'static str| {
        let app = app.clone();
        async move {
            let response = app.call(Method::POST, "/__admin/faults", &[], body).await;
            response.assert_status(400);
            response.json()["message"].as_str().unwrap().to_owned()
        }
    };
    assert_eq!(
        refused(r#"{"effect": {"type": "explode"}}"#).await,
        "effect.type: unknown variant `explode`, expected one of `status`, `latency`, `drop`, `truncate`"
    );
    assert_eq!(
        refused(r#"{"match": {"path": "/x"}}"#).await,
        ".: missing field `effect`"
    );
    assert_eq!(
        refused(r#"{"effect": {"type": "latency", "ms": 600001}}"#).await,
        "effect.ms: must be at most 600000"
    );
    assert_eq!(
        refused(r#"{"effect": {"type": "status", "status": 500, "headers": {"bad header": "x"}}}"#).await,
        "effect.headers: 'bad header' is not a header name"
    );
    assert!(refused("{").await.starts_with("Malformed JSON body"));
    assert_eq!(app.get("/__admin/faults").await.json()["faults"], json!([]));
}
