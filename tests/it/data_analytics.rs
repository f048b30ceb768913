//! The Data Analytics Service: the seed's 201 shapes, validation, search,
//! paging and concurrency, over HTTP against `app(state)`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::sync::Arc;

use axum::http::Method;
use common::TestApp;
use serde_json::{Value, json};
use uuid::Uuid;

const NOW: &str = "2018-09-03T17:06:05.719Z";

/// The seed's lead request body.
fn lead_body() -> Value {
    json!({
        "customer_id": "customer_id",
        "lead_id": "ID",
        "user_id": "current user ID",
        "tool_signature": "tool signature",
        "recording_id": "gpdb recording ID",
        "event_type": "view",
        "event_id": "event ID",
        "message": "message",
        "javascript_local_time": "local_time",
        "apex_local_time": "local_time",
        "event_environment_path": "path",
        "name_parser_event_id": "event_id",
        "recommendation_model_event_id": "event_id",
        "version_info": {"key": "value"}
    })
}

fn event(customer: &str, user: &str, lead: &str, recording: &str, event_id: &str) -> String {
    json!({"customer_id": customer, "user_id": user, "lead_id": lead, "recording_id": recording,
        "event_type": "view", "event_id": event_id, "tool_signature": "vfp"})
    .to_string()
}

/// Top-level keys in the order the body text lists them.
fn key_order(text: &str) -> Vec<String> {
    let value: serde_json::Map<String, Value> = serde_json::from_str(text).unwrap();
    let mut keys: Vec<(usize, String)> = value
        .keys()
        .map(|k| (text.find(&format!("\"{k}\":")).unwrap(), k.clone()))
        .collect();
    keys.sort();
    keys.into_iter().map(|(_, k)| k).collect()
}

fn partition_uuid(body: &Value) -> Uuid {
    let key = body["partitionKey"].as_str().unwrap();
    let (_, uuid) = key.split_once('|').unwrap();
    Uuid::parse_str(uuid).unwrap()
}

async fn stored_count(app: &TestApp) -> u64 {
    app.get("/__admin/data_analytics/events").await.json()["count"]
        .as_u64()
        .unwrap()
}

fn errors_fields(body: &Value) -> Vec<&str> {
    body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn lead_event_answers_the_seeds_201_body_field_for_field() {
    let app = TestApp::at(NOW);
    let response = app
        .post_json("/api/v1/lead_analytics", &lead_body().to_string())
        .await;
    response.assert_status(201);
    assert_eq!(response.header("content-type"), Some("application/json"));
    let body = response.json();
    let key = body["partitionKey"].as_str().unwrap().to_owned();
    assert!(key.starts_with("Lead analytics event|"), "{key}");
    assert_eq!(
        body,
        json!({
            "customer_id": "customer_id",
            "lead_id": "ID",
            "user_id": "current user ID",
            "tool_signature": "tool signature",
            "recording_id": "gpdb recording ID",
            "event_type": "view",
            "event_id": "event ID",
            "message": "message",
            "entityType": "lead_analytics_event",
            "partitionKey": key,
            "sortKey": "customer_id",
            "created_at": "2018-09-03T17:06:05.719Z",
            "updated_at": "2018-09-03T17:06:05.719Z"
        })
    );
    assert_eq!(
        key_order(&response.text()),
        [
            "customer_id",
            "lead_id",
            "user_id",
            "tool_signature",
            "recording_id",
            "event_type",
            "event_id",
            "message",
            "entityType",
            "partitionKey",
            "sortKey",
            "created_at",
            "updated_at"
        ]
    );
}

#[tokio::test]
async fn partition_keys_are_version_1_uuids_from_the_virtual_clock() {
    let app = TestApp::at(NOW);
    let first = app
        .post_json("/api/v1/lead_analytics", &lead_body().to_string())
        .await
        .json();
    let second = app
        .post_json("/api/v1/lead_analytics", &lead_body().to_string())
        .await
        .json();
    let (a, b) = (partition_uuid(&first), partition_uuid(&second));
    assert_ne!(a, b, "a frozen clock still gives unique keys");
    for uuid in [a, b] {
        assert_eq!(uuid.get_version_num(), 1);
        assert_eq!(uuid.get_variant(), uuid::Variant::RFC4122);
        let (seconds, nanos) = uuid.get_timestamp().unwrap().to_unix();
        assert_eq!(seconds, 1_535_994_365);
        assert_eq!(nanos / 1_000_000, 719, "the millisecond of created_at");
    }

    app.post_json("/__admin/clock/advance", r#"{"seconds": 3600}"#)
        .await
        .assert_status(200);
    let later = app
        .post_json("/api/v1/lead_analytics", &lead_body().to_string())
        .await
        .json();
    assert_eq!(later["created_at"], "2018-09-03T18:06:05.719Z");
    let (seconds, _) = partition_uuid(&later).get_timestamp().unwrap().to_unix();
    assert_eq!(seconds, 1_535_994_365 + 3600);

    // Same seed and clock, same keys.
    let again = TestApp::at(NOW);
    let replay = again
        .post_json("/api/v1/lead_analytics", &lead_body().to_string())
        .await
        .json();
    assert_eq!(replay["partitionKey"], first["partitionKey"]);
}

#[tokio::test]
async fn contact_event_answers_the_seeds_201_body_with_message_after_the_keys() {
    let app = TestApp::at("2018-09-03T17:08:20.299Z");
    let mut body = lead_body();
    let fields = body.as_object_mut().unwrap();
    fields.remove("lead_id");
    fields.insert("contact_id".into(), json!("ID"));
    let response = app
        .post_json("/api/v1/contact_analytics", &body.to_string())
        .await;
    response.assert_status(201);
    let created = response.json();
    assert!(
        created["partitionKey"]
            .as_str()
            .unwrap()
            .starts_with("Contact analytics event|")
    );
    assert_eq!(created["entityType"], "contact_analytics_event");
    assert_eq!(created["contact_id"], "ID");
    assert_eq!(created["created_at"], "2018-09-03T17:08:20.299Z");
    assert_eq!(
        key_order(&response.text()),
        [
            "customer_id",
            "contact_id",
            "user_id",
            "tool_signature",
            "recording_id",
            "event_type",
            "event_id",
            "entityType",
            "partitionKey",
            "sortKey",
            "message",
            "created_at",
            "updated_at"
        ]
    );
}

#[tokio::test]
async fn browser_extension_events_are_lead_events_found_by_lead_id() {
    let app = TestApp::at(NOW);
    let body = json!({"customer_id": "ID", "entity_id": "lead-9", "user_id": "u", "tool_signature": "browser_extension",
        "recording_id": "rec", "event_type": "view", "event_id": "event ID", "message": "message",
        "version_info": {"key": "value"}});
    let response = app.post_json("/api/v1/lead_analytics", &body.to_string()).await;
    response.assert_status(201);
    let created = response.json();
    assert_eq!(created["entity_id"], "lead-9");
    assert!(created.get("lead_id").is_none());
    assert_eq!(created["entityType"], "lead_analytics_event");

    let found = app
        .get("/api/v1/lead_analytics/search?recording_id=rec&customer_id=ID&user_id=u&lead_id=lead-9")
        .await;
    found.assert_status(200);
    let found = found.json();
    assert_eq!(found["meta"], json!({"page": 1, "pageSize": 10, "rowCount": 1}));
    assert_eq!(
        found["recordings"][0],
        json!({"customer_id": "ID", "entity_type": "lead", "entity_id": "lead-9", "user_id": "u",
            "tool_signature": "browser_extension", "recording_id": "rec", "event_type": "view",
            "event_id": "event ID", "message": "message",
            "created_at": "2018-09-03T17:06:05.719Z", "updated_at": "2018-09-03T17:06:05.719Z"})
    );
}

#[tokio::test]
async fn generic_analytics_events_land_in_the_table_their_entity_type_names() {
    let app = TestApp::at(NOW);
    let body = json!({"customer_id": "c", "entity_id": "contact#1", "entity_type": "contact", "user_id": "u",
        "recording_id": "r", "event_type": "view"});
    let response = app.post_json("/api/v1/analytics_events", &body.to_string()).await;
    response.assert_status(201);
    let created = response.json();
    assert_eq!(created["entityType"], "contact_analytics_event");
    assert_eq!(
        (&created["entity_id"], &created["entity_type"]),
        (&json!("contact#1"), &json!("contact"))
    );

    let contacts = app
        .get("/api/v1/contact_analytics/search?recording_id=r&customer_id=c&user_id=u&contact_id=contact%231")
        .await
        .json();
    assert_eq!(contacts["meta"]["rowCount"], 1);
    assert_eq!(contacts["recordings"][0]["entity_type"], "contact");
    let leads = app
        .get("/api/v1/lead_analytics/search?recording_id=r&customer_id=c&user_id=u&lead_id=contact%231")
        .await
        .json();
    assert_eq!(leads["meta"]["rowCount"], 0);

    let bad = app
        .post_json(
            "/api/v1/analytics_events",
            r#"{"customer_id":"c","entity_id":"e","entity_type":"lead or contact","user_id":"u","recording_id":"r"}"#,
        )
        .await;
    bad.assert_status(422);
    assert_eq!(errors_fields(&bad.json()), ["entity_type"]);
}

#[tokio::test]
async fn invalid_bodies_get_422_naming_each_field_and_store_nothing() {
    let app = TestApp::at(NOW);
    let before = stored_count(&app).await;
    let cases: &[(&str, &str, &[&str])] = &[
        ("/api/v1/lead_analytics", "{not json", &["body"]),
        ("/api/v1/lead_analytics", "", &["body"]),
        ("/api/v1/lead_analytics", "[1,2]", &["body"]),
        (
            "/api/v1/lead_analytics",
            "{}",
            &["customer_id", "user_id", "recording_id", "lead_id"],
        ),
        (
            "/api/v1/lead_analytics",
            r#"{"customer_id":1,"user_id":"u","recording_id":"r","lead_id":"l","message":{},"version_info":[]}"#,
            &["customer_id", "message", "version_info"],
        ),
        (
            "/api/v1/lead_analytics",
            r#"{"customer_id":"c","user_id":"u","recording_id":"r","lead_id":"l","entity_id":"e"}"#,
            &["entity_id"],
        ),
        (
            "/api/v1/contact_analytics",
            r#"{"customer_id":"c","user_id":"","recording_id":"r","lead_id":"l"}"#,
            &["user_id", "contact_id"],
        ),
        (
            "/api/v1/analytics_events",
            r#"{"customer_id":"c","user_id":"u","recording_id":"r"}"#,
            &["entity_id", "entity_type"],
        ),
    ];
    for (path, body, fields) in cases {
        let response = app.post_json(path, body).await;
        response.assert_status(422);
        assert_eq!(response.header("content-type"), Some("application/json"));
        let json = response.json();
        assert_eq!(json["message"], "Validation failed", "{path} {body}");
        assert_eq!(errors_fields(&json), *fields, "{path} {body}");
        for error in json["errors"].as_array().unwrap() {
            assert!(!error["message"].as_str().unwrap().is_empty());
        }
    }
    let missing = app.post_json("/api/v1/lead_analytics", "{}").await.json();
    assert_eq!(
        missing["errors"][0],
        json!({"field": "customer_id", "message": "customer_id is required"})
    );
    assert_eq!(stored_count(&app).await, before, "nothing stored");
}

#[tokio::test]
async fn search_is_scoped_to_customer_user_and_entity_and_filters_recordings() {
    let app = TestApp::at(NOW);
    for (customer, user, lead, recording, id) in [
        ("acme", "ann", "L1", "r1", "e1"),
        ("acme", "ann", "L1", "r2", "e2"),
        ("acme", "ann", "L1", "r3", "e3"),
        ("acme", "bob", "L1", "r1", "e4"),
        ("acme", "ann", "L2", "r1", "e5"),
        ("globex", "ann", "L1", "r1", "e6"),
    ] {
        app.post_json(
            "/api/v1/lead_analytics",
            &event(customer, user, lead, recording, id),
        )
        .await
        .assert_status(201);
        app.post_json("/__admin/clock/advance", r#"{"seconds": 1}"#).await;
    }
    let ids = |body: &Value| -> Vec<String> {
        body["recordings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["event_id"].as_str().unwrap().to_owned())
            .collect()
    };
    let base = "/api/v1/lead_analytics/search?customer_id=acme&user_id=ann&lead_id=L1";
    for query in [
        "&recording_id=r1&recording_id=r2",
        "&recording_id[]=r1&recording_id[]=r2",
        "&recording_id%5B%5D=r1&recording_id%5B%5D=r2",
        "&recording_id[0]=r1&recording_id[1]=r2",
    ] {
        let body = app.get(&format!("{base}{query}")).await.json();
        assert_eq!(
            ids(&body),
            ["e2", "e1"],
            "{query}: newest first, own customer only"
        );
        assert_eq!(body["meta"]["rowCount"], 2);
    }
    let globex = app
        .get("/api/v1/lead_analytics/search?customer_id=globex&user_id=ann&lead_id=L1&recording_id=r1&recording_id=r2")
        .await
        .json();
    assert_eq!(ids(&globex), ["e6"]);
    let unknown = app
        .get("/api/v1/lead_analytics/search?customer_id=initech&user_id=ann&lead_id=L1&recording_id=r1")
        .await;
    unknown.assert_status(200);
    assert_eq!(
        unknown.json(),
        json!({"recordings": [], "meta": {"page": 1, "pageSize": 10, "rowCount": 0}})
    );
    // Lead events are not contact events.
    let contacts = app
        .get("/api/v1/contact_analytics/search?customer_id=acme&user_id=ann&contact_id=L1&recording_id=r1")
        .await
        .json();
    assert_eq!(contacts["meta"]["rowCount"], 0);
}

#[tokio::test]
async fn latest_keeps_only_the_newest_event_of_each_recording() {
    let app = TestApp::at(NOW);
    for (recording, id) in [("r1", "a"), ("r2", "b"), ("r1", "c"), ("r2", "d"), ("r1", "e")] {
        app.post_json("/api/v1/lead_analytics", &event("c", "u", "l", recording, id))
            .await
            .assert_status(201);
        app.post_json("/__admin/clock/advance", r#"{"seconds": 60}"#)
            .await;
    }
    let base =
        "/api/v1/lead_analytics/search?customer_id=c&user_id=u&lead_id=l&recording_id=r1&recording_id=r2";
    let all = app.get(base).await.json();
    assert_eq!(all["meta"]["rowCount"], 5);
    for (flag, expected) in [("true", 2), ("1", 2), ("TRUE", 2), ("false", 5), ("0", 5)] {
        let body = app.get(&format!("{base}&latest={flag}")).await.json();
        assert_eq!(body["meta"]["rowCount"], expected, "latest={flag}");
    }
    let latest = app.get(&format!("{base}&latest=true")).await.json();
    let ids: Vec<&str> = latest["recordings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["event_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["e", "d"]);
}

#[tokio::test]
async fn paging_covers_the_last_page_a_page_past_the_end_and_page_size_bounds() {
    let app = TestApp::at(NOW);
    for i in 0..23 {
        app.post_json(
            "/api/v1/lead_analytics",
            &event("c", "u", "l", "r", &format!("e{i:02}")),
        )
        .await
        .assert_status(201);
    }
    let base = "/api/v1/lead_analytics/search?customer_id=c&user_id=u&lead_id=l&recording_id=r";
    let first = app.get(base).await.json();
    assert_eq!(first["meta"], json!({"page": 1, "pageSize": 10, "rowCount": 23}));
    assert_eq!(
        first["recordings"][0]["event_id"], "e22",
        "newest first (same instant: arrival order)"
    );
    let last = app.get(&format!("{base}&page=3")).await.json();
    assert_eq!(last["meta"], json!({"page": 3, "pageSize": 10, "rowCount": 23}));
    assert_eq!(last["recordings"].as_array().unwrap().len(), 3);
    assert_eq!(last["recordings"][2]["event_id"], "e00");
    let past = app.get(&format!("{base}&page=4")).await.json();
    assert_eq!(past["recordings"], json!([]));
    assert_eq!(past["meta"]["rowCount"], 23);
    let big = app.get(&format!("{base}&pageSize=100")).await.json();
    assert_eq!(big["recordings"].as_array().unwrap().len(), 23);
    let one = app.get(&format!("{base}&pageSize=1&page=23")).await.json();
    assert_eq!(one["recordings"][0]["event_id"], "e00");

    for (query, field) in [
        ("&pageSize=101", "pageSize"),
        ("&pageSize=0", "pageSize"),
        ("&pageSize=ten", "pageSize"),
        ("&page=0", "page"),
        ("&page=-1", "page"),
        ("&page=1.5", "page"),
        ("&latest=yes", "latest"),
    ] {
        let response = app.get(&format!("{base}{query}")).await;
        response.assert_status(422);
        assert_eq!(errors_fields(&response.json()), [field], "{query}");
    }
}

#[tokio::test]
async fn search_names_every_missing_required_parameter() {
    let app = TestApp::new();
    let response = app.get("/api/v1/lead_analytics/search").await;
    response.assert_status(422);
    assert_eq!(
        errors_fields(&response.json()),
        ["recording_id", "customer_id", "user_id", "lead_id"]
    );
    let response = app
        .get("/api/v1/contact_analytics/search?recording_id=r&customer_id=c&user_id=u&lead_id=l")
        .await;
    response.assert_status(422);
    assert_eq!(errors_fields(&response.json()), ["contact_id"]);
}

#[tokio::test]
async fn fixture_events_are_searchable_and_survive_reset_while_posted_ones_do_not() {
    let app = TestApp::new();
    let search = "/api/v1/lead_analytics/search?customer_id=demo-customer&user_id=demo-user&lead_id=demo-lead\
                  &recording_id=demo-recording-1&recording_id=demo-recording-2";
    let seeded = app.get(search).await.json();
    assert_eq!(seeded["meta"]["rowCount"], 3);
    assert_eq!(seeded["recordings"][0]["tool_signature"], "browser_extension");
    assert_eq!(seeded["recordings"][0]["created_at"], "2026-01-06T09:02:11.000Z");

    app.post_json(
        "/api/v1/lead_analytics",
        &event(
            "demo-customer",
            "demo-user",
            "demo-lead",
            "demo-recording-1",
            "posted",
        ),
    )
    .await
    .assert_status(201);
    assert_eq!(app.get(search).await.json()["meta"]["rowCount"], 4);
    app.call(Method::POST, "/__admin/reset", &[], "")
        .await
        .assert_status(200);
    let after = app.get(search).await.json();
    assert_eq!(after["meta"]["rowCount"], 3);
    assert_eq!(after, seeded, "fixture events come back byte for byte");
}

#[tokio::test]
async fn admin_listing_keeps_the_client_side_fields_the_vendor_does_not_echo() {
    let app = TestApp::at(NOW);
    app.post_json("/api/v1/lead_analytics", &lead_body().to_string())
        .await
        .assert_status(201);
    let listing = app
        .get("/__admin/data_analytics/events?customer_id=customer_id")
        .await
        .json();
    assert_eq!(listing["count"], 1);
    let stored = &listing["events"][0];
    assert_eq!(stored["javascript_local_time"], "local_time");
    assert_eq!(stored["version_info"], json!({"key": "value"}));
    assert_eq!(stored["naming"], "typed_id");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_concurrent_posts_are_all_stored() {
    let app = Arc::new(TestApp::at(NOW));
    let tasks: Vec<_> = (0..1000)
        .map(|i| {
            let app = Arc::clone(&app);
            tokio::spawn(async move {
                let kind = if i % 2 == 0 { "lead" } else { "contact" };
                let body = json!({"customer_id": "load", "user_id": "u", "recording_id": format!("r{}", i % 7),
                    format!("{kind}_id"): "x", "event_id": i.to_string()});
                let response = app.post_json(&format!("/api/v1/{kind}_analytics"), &body.to_string()).await;
                response.assert_status(201);
                response.json()["partitionKey"].as_str().unwrap().to_owned()
            })
        })
        .collect();
    let mut keys = std::collections::HashSet::new();
    for task in tasks {
        keys.insert(task.await.unwrap());
    }
    assert_eq!(keys.len(), 1000, "every partition key unique");
    let recordings: String = (0..7).map(|i| format!("&recording_id=r{i}")).collect();
    let leads = app
        .get(&format!(
            "/api/v1/lead_analytics/search?customer_id=load&user_id=u&lead_id=x{recordings}"
        ))
        .await
        .json();
    let contacts = app
        .get(&format!(
            "/api/v1/contact_analytics/search?customer_id=load&user_id=u&contact_id=x{recordings}"
        ))
        .await
        .json();
    assert_eq!(leads["meta"]["rowCount"], 500);
    assert_eq!(contacts["meta"]["rowCount"], 500);
}

#[tokio::test]
async fn framework_errors_use_the_family_shape() {
    let app = TestApp::new();
    let wrong_method = app.get("/api/v1/lead_analytics").await;
    wrong_method.assert_status(405);
    assert_eq!(wrong_method.header("allow"), Some("POST"));
    assert_eq!(wrong_method.json()["errors"], json!([]));
    assert!(wrong_method.json()["message"].is_string());

    let unknown = app.get("/api/v1/nothing_here").await;
    unknown.assert_status(404);
    assert_eq!(unknown.json()["errors"], json!([]));

    let huge = format!(r#"{{"customer_id":"{}"}}"#, "x".repeat(2 * 1024 * 1024));
    let too_large = app.post_json("/api/v1/lead_analytics", &huge).await;
    too_large.assert_status(413);
    assert_eq!(too_large.json()["errors"], json!([]));
}
