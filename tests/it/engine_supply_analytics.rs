//! Engine supply analytics: the hourly cursor endpoints, their SLA, errors,
//! and the coherence of the simulated data a polling job walks through.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::{BTreeMap, HashMap, HashSet};

use axum::http::Method;
use chrono::{DateTime, TimeDelta, Utc};
use common::schema::{assert_engine_errors, assert_engine_schema};
use common::{CONFIDENTIAL, PUBLISHABLE, TestApp};
use leadsim::Fixtures;
use leadsim::config::Config;
use leadsim::parse_rfc3339;
use serde_json::{Value, json};

const FEEDS: [(&str, &str, &str); 3] = [
    ("leadEvents", "LeadEventResponse", "eventCreatedAt"),
    ("leadPayouts", "LeadPayoutResponse", "bookedAt"),
    ("leadClientTags", "LeadClientTagsResponse", "createdAt"),
];
const SANDBOX_TOKEN: &str = "demo-test-confidential-token";
const SANDBOX_LEAD: &str = "4bbb25a6-6fcf-4ed3-88f9-6daacb0f8b33";

/// Engine's own state inside the app, for checks against its records.
fn engine(app: &TestApp) -> &leadsim::engine::EngineState {
    &app.state
        .family::<leadsim::engine::Engine>()
        .expect("Engine runs")
        .engine
}

fn at(s: &str) -> DateTime<Utc> {
    parse_rfc3339(s).unwrap()
}

fn url(feed: &str, timestamp: &str) -> String {
    format!("/supplyAnalytics/{feed}?timestamp={timestamp}")
}

/// Follows `nextUrl` from `start` for `hours` windows, checking each page;
/// returns every page's body.
async fn walk(app: &TestApp, feed: &str, token: &str, start: &str, hours: usize) -> Vec<Value> {
    let schema = FEEDS.iter().find(|f| f.0 == feed).unwrap().1;
    let mut path = url(feed, start);
    let mut pages = Vec::new();
    for _ in 0..hours {
        let response = app.get_as(&path, token).await;
        response.assert_status(200);
        let page = response.json();
        // The spec's EventData oneOf matches any object several times over
        // (see the vendor notes), so eventData is checked against its own
        // variant by the test that turns it on, and the rest here.
        let mut without_event_data = page.clone();
        for record in without_event_data["data"].as_array_mut().unwrap() {
            record.as_object_mut().unwrap().remove("eventData");
        }
        assert_engine_schema(schema, &without_event_data);
        let next = page["nextUrl"].as_str().unwrap();
        path = next
            .strip_prefix("http://localhost")
            .expect("absolute nextUrl")
            .to_owned();
        pages.push(page);
    }
    pages
}

#[tokio::test]
async fn sla_follows_the_vendor_examples() {
    let app = TestApp::at("2020-01-01T08:15:00Z");
    for (feed, _, _) in FEEDS {
        let too_late = app.get_as(&url(feed, "2020-01-01T08:00:00Z"), CONFIDENTIAL).await;
        too_late.assert_status(422);
        assert_eq!(
            too_late.json(),
            json!([{
                "attribute": "timestamp",
                "type": "malformed",
                "details": {"specified": "2020-01-01T08:00:00.000Z", "requirement": "must be at or before 2020-01-01T07:15:00Z"},
                "message": "timestamp must be at or before 2020-01-01T07:15:00Z, but is '2020-01-01T08:00:00Z'"
            }])
        );
        assert_engine_errors(&too_late.json());
        for ok in [
            "2020-01-01T07:00:00Z",
            "2020-01-01T07:10:00Z",
            "2020-01-01T07:15:00Z",
        ] {
            app.get_as(&url(feed, ok), CONFIDENTIAL).await.assert_status(200);
        }
        app.get_as(&url(feed, "2020-01-01T07:15:01Z"), CONFIDENTIAL)
            .await
            .assert_status(422);
    }
}

#[tokio::test]
async fn should_continue_polling_is_true_exactly_when_the_next_window_is_published() {
    let app = TestApp::at("2020-01-01T08:15:00Z");
    let cases = [
        ("2020-01-01T06:00:00Z", true),
        ("2020-01-01T06:15:00Z", true),
        ("2020-01-01T06:15:01Z", false),
        ("2020-01-01T07:00:00Z", false),
    ];
    for (timestamp, expected) in cases {
        let page = app
            .get_as(&url("leadEvents", timestamp), CONFIDENTIAL)
            .await
            .json();
        assert_eq!(page["shouldContinuePolling"], expected, "{timestamp}");
        let next = page["nextUrl"].as_str().unwrap();
        let published = app
            .get_as(next.strip_prefix("http://localhost").unwrap(), CONFIDENTIAL)
            .await;
        assert_eq!(
            published.status == 200,
            expected,
            "calling nextUrl of {timestamp}"
        );
    }
}

#[tokio::test]
async fn missing_and_malformed_timestamps_get_422() {
    let app = TestApp::at("2020-01-01T08:15:00Z");
    let missing =
        json!([{"attribute": "timestamp", "type": "missing", "message": "timestamp must be specified"}]);
    for path in [
        "/supplyAnalytics/leadEvents",
        "/supplyAnalytics/leadPayouts?timestamp=",
        "/supplyAnalytics/leadClientTags?other=1",
    ] {
        let response = app.get_as(path, CONFIDENTIAL).await;
        response.assert_status(422);
        assert_eq!(response.json(), missing, "{path}");
    }
    let malformed = app.get_as(&url("leadEvents", "yesterday"), CONFIDENTIAL).await;
    malformed.assert_status(422);
    assert_eq!(
        malformed.json(),
        json!([{
            "attribute": "timestamp",
            "type": "malformed",
            "details": {"specified": "yesterday"},
            "message": "timestamp must be an ISO 8601 date-time, but is 'yesterday'"
        }])
    );
    for bad in [
        "2020-13-01T00:00:00Z",
        "2020-01-01",
        "%00",
        "2020-01-01T00:00:00ZZ",
    ] {
        let response = app.get_as(&url("leadPayouts", bad), CONFIDENTIAL).await;
        response.assert_status(422);
        assert_eq!(response.json()[0]["type"], "malformed", "{bad}");
    }
}

#[tokio::test]
async fn auth_needs_a_known_confidential_token() {
    let app = TestApp::at("2020-01-01T08:15:00Z");
    let path = url("leadEvents", "2020-01-01T07:00:00Z");
    let missing = app.get(&path).await;
    missing.assert_status(401);
    assert_eq!(missing.json(), json!([{"message": "Access token is missing"}]));
    let unknown = app.get_as(&path, "who-knows").await;
    unknown.assert_status(401);
    assert_eq!(unknown.json(), json!([{"message": "Access token is invalid"}]));
    let publishable = app.get_as(&path, PUBLISHABLE).await;
    publishable.assert_status(401);
    assert_eq!(
        publishable.json(),
        json!([{"message": "Access token is not permitted to access this resource"}])
    );
    assert_engine_errors(&publishable.json());
    // Auth is checked before the timestamp.
    app.get_as("/supplyAnalytics/leadEvents", "who-knows")
        .await
        .assert_status(401);
}

#[tokio::test]
async fn timestamps_in_every_client_form_select_the_same_window() {
    let app = TestApp::at("2020-01-10T08:15:00Z");
    let reference = app
        .get_as(&url("leadEvents", "2020-01-09T00:00:00Z"), CONFIDENTIAL)
        .await;
    reference.assert_status(200);
    assert_eq!(
        reference.json()["nextUrl"],
        "http://localhost/supplyAnalytics/leadEvents?timestamp=2020-01-09T01:00:00Z"
    );
    for form in [
        "2020-01-09T00:00:00.000000%2B0000", // the generated Python client's default
        "2020-01-09T01:00:00%2B01:00",
        "2020-01-09T01:00:00+01:00", // unencoded '+' arrives as a space
        "2020-01-08T19:00:00-05:00",
        "2020-01-09T00:00:00.000Z",
    ] {
        let response = app.get_as(&url("leadEvents", form), CONFIDENTIAL).await;
        response.assert_status(200);
        assert_eq!(response.body, reference.body, "{form}");
    }
}

#[tokio::test]
async fn next_url_follows_proxies_and_the_public_url_flag() {
    let app = TestApp::at("2020-01-10T08:15:00Z");
    let path = url("leadClientTags", "2020-01-09T00:00:00Z");
    let auth = format!("Bearer {CONFIDENTIAL}");
    let direct = app
        .call(
            Method::GET,
            &path,
            &[("authorization", &auth), ("host", "127.0.0.1:9999")],
            "",
        )
        .await;
    assert_eq!(
        direct.json()["nextUrl"],
        "http://127.0.0.1:9999/supplyAnalytics/leadClientTags?timestamp=2020-01-09T01:00:00Z"
    );
    let proxied = app
        .call(
            Method::GET,
            &path,
            &[
                ("authorization", &auth),
                ("host", "internal:8080"),
                ("x-forwarded-proto", "https"),
                ("x-forwarded-host", "sim.example.com"),
            ],
            "",
        )
        .await;
    assert_eq!(
        proxied.json()["nextUrl"],
        "https://sim.example.com/supplyAnalytics/leadClientTags?timestamp=2020-01-09T01:00:00Z"
    );

    let mut config = Config::defaults();
    config.now = Some(at("2020-01-10T08:15:00Z"));
    config.public_url = Some("https://leadsim.ci:8443".into());
    let fixed = TestApp::with(config, Fixtures::embedded().unwrap());
    let page = fixed
        .get_as(&url("leadPayouts", "2020-01-09T00:30:00.5Z"), CONFIDENTIAL)
        .await
        .json();
    assert_eq!(
        page["nextUrl"],
        "https://leadsim.ci:8443/supplyAnalytics/leadPayouts?timestamp=2020-01-09T01:30:00.500Z"
    );
}

#[tokio::test]
async fn a_week_of_windows_is_contiguous_complete_and_coherent() {
    let app = TestApp::at("2020-01-20T00:00:00Z");
    let start = "2020-01-06T00:00:00Z";
    let hours = 24 * 7;
    let mut lead_first_event: HashMap<String, (String, String)> = HashMap::new();
    for (feed, _, time_field) in FEEDS {
        let pages = walk(&app, feed, CONFIDENTIAL, start, hours).await;
        let mut ids = HashSet::new();
        let mut total = 0;
        let mut late_records = 0;
        for (i, page) in pages.iter().enumerate() {
            let window_start = at(start) + TimeDelta::hours(i as i64);
            let expected_next = (window_start + TimeDelta::hours(1))
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string();
            assert!(
                page["nextUrl"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!("timestamp={expected_next}")),
                "contiguous"
            );
            assert_eq!(page["shouldContinuePolling"], true);
            for record in page["data"].as_array().unwrap() {
                total += 1;
                let time_field = if record.get("deletedAt").is_some() {
                    "deletedAt"
                } else {
                    time_field
                };
                let t = at(record[time_field].as_str().unwrap());
                // A window serves what entered Engine in its hour: what
                // happened then, and late reports of what happened before.
                let late = matches!(
                    record["eventType"].as_str(),
                    Some("applied" | "approved" | "funded")
                ) || feed == "leadPayouts";
                assert!(
                    t < window_start + TimeDelta::hours(1) && (t >= window_start || late),
                    "{feed} record outside its window: {record}"
                );
                late_records += usize::from(t < window_start);
                let key = match feed {
                    "leadEvents" => record["id"].as_str().unwrap().to_owned(),
                    "leadClientTags" => record["hash"].as_str().unwrap().to_owned(),
                    _ => format!(
                        "{}:{}",
                        record["uuid"].as_str().unwrap(),
                        record.get("deletedAt").is_some()
                    ),
                };
                assert!(ids.insert(key), "duplicate {feed} record {record}");
                if feed == "leadEvents" {
                    let amount = record.get("amountInCents");
                    assert!(
                        amount.is_none_or(|a| a.is_i64() && a.as_i64().unwrap() <= i64::from(i32::MAX)),
                        "int32: {record}"
                    );
                    assert!(record.get("eventData").is_none(), "eventData is opt-in");
                    let lead = record["leadUuid"].as_str().unwrap().to_owned();
                    let entry = (
                        record["eventCreatedAt"].as_str().unwrap().to_owned(),
                        record["eventType"].as_str().unwrap().to_owned(),
                    );
                    lead_first_event
                        .entry(lead)
                        .and_modify(|e| {
                            if entry.0 < e.0 {
                                *e = entry.clone()
                            }
                        })
                        .or_insert(entry);
                }
            }
        }
        if feed != "leadClientTags" {
            assert!(late_records > 0, "{feed}: some institution reports arrive late");
        }
        // ~1,700 leads a week: thousands of events and tags, dozens of payouts.
        let expected = if feed == "leadPayouts" { 30 } else { 1000 };
        assert!(
            total > expected,
            "{feed}: a week at 240 leads/day has data ({total})"
        );
    }
    // A lead created during the walk shows its leadCreated before anything else.
    let created_in_walk: Vec<_> = lead_first_event
        .values()
        .filter(|(t, _)| t.as_str() >= "2020-01-06T01:00:00Z")
        .collect();
    assert!(
        created_in_walk
            .iter()
            .filter(|(_, kind)| kind == "leadCreated")
            .count()
            > 1000
    );
}

#[tokio::test]
async fn every_payout_and_tag_belongs_to_a_lead_seen_in_lead_events() {
    let app = TestApp::at("2020-03-01T00:00:00Z");
    let company = engine(&app).catalog().companies.all()[0].clone();
    let catalog = engine(&app).catalog();
    let windows = &catalog.windows;
    let (from, to) = (at("2020-01-01T00:00:00Z"), at("2020-02-15T00:00:00Z"));
    let all = windows.records(&company, from - TimeDelta::days(28), to);
    let leads: HashSet<_> = all.events.iter().map(|e| e.lead_uuid).collect();
    let checked = windows.records(&company, from, to);
    assert!(!checked.payouts.is_empty() && !checked.tags.is_empty());
    for payout in &checked.payouts {
        assert!(leads.contains(&payout.lead_uuid), "payout of an unseen lead");
    }
    for tag in &checked.tags {
        assert!(leads.contains(&tag.lead_uuid), "tag of an unseen lead");
    }
    // Tag keys may carry several values; clientid is on every lead.
    let mut values: BTreeMap<(uuid::Uuid, &str), usize> = BTreeMap::new();
    for tag in &checked.tags {
        *values.entry((tag.lead_uuid, tag.key.as_ref())).or_default() += 1;
    }
    assert!(
        values
            .iter()
            .any(|((_, key), n)| *key == "traffic_source" && *n > 1)
    );
    assert!(values.keys().any(|(_, key)| *key == "platform"));
}

#[tokio::test]
async fn a_client_upserting_payouts_by_uuid_ends_with_the_right_state() {
    let app = TestApp::at("2020-04-01T00:00:00Z");
    let pages = walk(&app, "leadPayouts", CONFIDENTIAL, "2020-01-01T00:00:00Z", 24 * 45).await;
    let mut store: HashMap<String, Value> = HashMap::new();
    let mut deletions = 0;
    for record in pages.iter().flat_map(|p| p["data"].as_array().unwrap().clone()) {
        let uuid = record["uuid"].as_str().unwrap().to_owned();
        if let Some(deleted_at) = record.get("deletedAt") {
            deletions += 1;
            let earlier = store.get(&uuid);
            if let Some(earlier) = earlier {
                assert_eq!(
                    earlier["bookedAt"], record["bookedAt"],
                    "a deletion repeats the booking"
                );
                assert_eq!(earlier["payoutInCents"], record["payoutInCents"]);
            }
            assert!(at(deleted_at.as_str().unwrap()) > at(record["bookedAt"].as_str().unwrap()));
        } else {
            assert!(!store.contains_key(&uuid), "a live payout is never repeated");
        }
        store.insert(uuid, record);
    }
    assert!(deletions > 0, "some payouts are deleted");
    // The final state: deleted payouts carry deletedAt, the rest do not.
    let deleted = store.values().filter(|p| p.get("deletedAt").is_some()).count();
    assert!(
        deleted > 0 && deleted < store.len() / 4,
        "{deleted} of {}",
        store.len()
    );
}

#[tokio::test]
async fn same_seed_same_bytes_other_seed_other_data() {
    let path = url("leadEvents", "2020-01-09T00:00:00Z");
    let first = TestApp::at("2020-01-10T08:15:00Z")
        .get_as(&path, CONFIDENTIAL)
        .await;
    let again = TestApp::at("2020-01-10T08:15:00Z")
        .get_as(&path, CONFIDENTIAL)
        .await;
    assert_eq!(first.body, again.body);
    let mut config = Config::defaults();
    config.seed = 43;
    config.now = Some(at("2020-01-10T08:15:00Z"));
    let other = TestApp::with(config, Fixtures::embedded().unwrap())
        .get_as(&path, CONFIDENTIAL)
        .await;
    assert_ne!(first.body, other.body);
}

#[tokio::test]
async fn a_published_window_never_changes() {
    let app = TestApp::at("2020-01-10T08:15:00Z");
    let path = url("leadPayouts", "2020-01-09T05:00:00Z");
    let before = app.get_as(&path, CONFIDENTIAL).await;
    app.post_json("/__admin/clock/advance", r#"{"seconds": 2592000}"#)
        .await
        .assert_status(200);
    app.post_json("/__admin/reset", "").await.assert_status(200);
    app.put_json("/__admin/clock", r#"{"now": "2021-01-01T00:00:00Z"}"#)
        .await
        .assert_status(200);
    let after = app.get_as(&path, CONFIDENTIAL).await;
    assert_eq!(before.body, after.body);
}

#[tokio::test]
async fn companies_see_only_their_own_leads() {
    let app = TestApp::at("2020-01-10T00:00:00Z");
    // The sandbox company generates nothing and scripts one lead.
    let sandbox_events: Vec<Value> = walk(&app, "leadEvents", SANDBOX_TOKEN, "2020-01-01T00:00:00Z", 96)
        .await
        .iter()
        .flat_map(|p| p["data"].as_array().unwrap().clone())
        .collect();
    assert_eq!(sandbox_events.len(), 6);
    assert!(
        sandbox_events
            .iter()
            .all(|e| e["leadUuid"] == SANDBOX_LEAD && e["isTest"] == true)
    );

    let demo = engine(&app).catalog().companies.all()[0].clone();
    let records =
        engine(&app)
            .catalog()
            .windows
            .records(&demo, at("2019-12-31T00:00:00Z"), at("2020-01-05T00:00:00Z"));
    assert!(
        records
            .events
            .iter()
            .all(|e| e.lead_uuid.to_string() != SANDBOX_LEAD && !e.is_test)
    );
    for event in &records.events {
        assert_eq!(
            engine(&app).catalog().owner_of_lead(event.lead_uuid),
            Some(demo.uuid),
            "generated leads carry their company"
        );
    }
}

#[tokio::test]
async fn scripted_leads_appear_exactly_as_written() {
    let app = TestApp::at("2020-01-10T00:00:00Z");
    let applied = app
        .get_as(&url("leadEvents", "2020-01-01T07:00:00Z"), SANDBOX_TOKEN)
        .await
        .json();
    assert_eq!(
        applied["data"],
        json!([{
            "id": applied["data"][0]["id"],
            "leadUuid": SANDBOX_LEAD,
            "leadCreatedAt": "2020-01-01T06:24:45Z",
            "eventType": "applied",
            "eventCreatedAt": "2020-01-01T07:05:00Z",
            "amountInCents": 1500000,
            "financialInstitutionUuid": "a6b27661-a0ee-55db-8e5a-26a7c588c093",
            "financialInstitutionName": "Northwind Lending",
            "productType": "loan",
            "isTest": true
        }])
    );
    assert_eq!(
        applied["data"][0]["id"].as_str().unwrap().len(),
        64,
        "a sha-256 hex id"
    );
    let payouts = app
        .get_as(&url("leadPayouts", "2020-01-04T00:00:00Z"), SANDBOX_TOKEN)
        .await
        .json();
    assert_eq!(
        payouts["data"],
        json!([{
            "leadUuid": SANDBOX_LEAD,
            "bookedAt": "2020-01-04T00:00:00Z",
            "payoutInCents": 20000.0,
            "uuid": "0f0e5c3a-7d64-4b8e-a3c1-9e2b6d5f8a71",
            "financialInstitutionName": "Northwind Lending",
            "financialInstitutionUuid": "a6b27661-a0ee-55db-8e5a-26a7c588c093"
        }])
    );
    let tags = app
        .get_as(&url("leadClientTags", "2020-01-01T06:00:00Z"), SANDBOX_TOKEN)
        .await
        .json();
    let mut pairs: Vec<_> = tags["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["key"].to_string(), t["value"].to_string()))
        .collect();
    pairs.sort();
    assert_eq!(
        pairs,
        [
            ("\"article\"".to_owned(), "\"5678\"".to_owned()),
            ("\"traffic_source\"".to_owned(), "\"1234\"".to_owned())
        ]
    );
    assert!(
        tags["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["createdAt"] == "2020-01-01T06:24:45Z")
    );
}

const SCRIPTED_WITH_EVENT_DATA: &str = r#"{"companies": [{
    "name": "Opt-in", "uuid": "11111111-2222-4333-8444-555555555555",
    "confidentialToken": "conf", "publishableToken": "pub", "eventData": true, "leadsPerDay": 2000,
    "productMix": {"loan": 1, "credit_card": 1, "auto_insurance": 1},
    "leads": [{
        "uuid": "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", "createdAt": "2020-02-01T10:00:00Z", "productType": "credit_card",
        "payouts": [{"bookedAt": "2020-02-02T10:00:00Z", "payoutInCents": 150.25, "deletedAt": "2020-02-05T12:30:00Z"}]
    }]
}]}"#;

#[tokio::test]
async fn event_data_is_opt_in_and_matches_the_variant_named_by_event_type() {
    let mut config = Config::defaults();
    config.now = Some(at("2020-03-01T00:00:00Z"));
    let app = TestApp::with(
        config,
        Fixtures::from_engine_json(SCRIPTED_WITH_EVENT_DATA).unwrap(),
    );
    let pages = walk(&app, "leadEvents", "conf", "2020-02-01T00:00:00Z", 24).await;
    let variants: HashMap<&str, (&str, &[&str])> = HashMap::from([
        ("apiApproved", ("ApiApprovedEventData", &["productType"][..])),
        ("offerClicked", ("OfferClickedEventData", &["productType"][..])),
        ("opened", ("OpenedEventData", &["productType"][..])),
        (
            "apiRejected",
            ("ApiRejectedEventData", &["rejectReason", "productType"][..]),
        ),
        ("applied", ("AppliedEventData", &["amount", "productType"][..])),
        ("approved", ("ApprovedEventData", &["amount", "productType"][..])),
        ("listed", ("ListedEventData", &["amount", "productType"][..])),
        ("funded", ("FundedEventData", &["amount", "productType"][..])),
        (
            "conversion",
            ("ConversionEventData", &["payoutInCents", "productType"][..]),
        ),
    ]);
    let mut seen = HashSet::new();
    for event in pages.iter().flat_map(|p| p["data"].as_array().unwrap().clone()) {
        let kind = event["eventType"].as_str().unwrap();
        match variants.get(kind) {
            Some((schema, allowed)) => {
                let data = &event["eventData"];
                assert_engine_schema(schema, data);
                assert!(
                    data.as_object()
                        .unwrap()
                        .keys()
                        .all(|k| allowed.contains(&k.as_str())),
                    "{kind}: {data}"
                );
                if let Some(amount) = data.get("amount") {
                    assert_eq!(
                        amount.as_i64().unwrap() * 100,
                        event["amountInCents"].as_i64().unwrap(),
                        "dollars vs cents"
                    );
                }
                seen.insert(kind.to_owned());
            }
            None => assert!(event.get("eventData").is_none(), "{kind} has no variant"),
        }
    }
    assert!(seen.len() >= 5, "{seen:?}");
}

#[tokio::test]
async fn a_scripted_deletion_shows_up_as_a_later_correction() {
    let mut config = Config::defaults();
    config.now = Some(at("2020-03-01T00:00:00Z"));
    let app = TestApp::with(
        config,
        Fixtures::from_engine_json(SCRIPTED_WITH_EVENT_DATA).unwrap(),
    );
    let lead = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
    let find = |page: Value| -> Vec<Value> {
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["leadUuid"] == lead)
            .cloned()
            .collect()
    };
    let booked = find(
        app.get_as(&url("leadPayouts", "2020-02-02T10:00:00Z"), "conf")
            .await
            .json(),
    );
    let deleted = find(
        app.get_as(&url("leadPayouts", "2020-02-05T12:00:00Z"), "conf")
            .await
            .json(),
    );
    assert_eq!(booked.len(), 1);
    assert_eq!(deleted.len(), 1);
    assert!(booked[0].get("deletedAt").is_none());
    assert_eq!(booked[0]["payoutInCents"], 150.25);
    assert_eq!(deleted[0]["uuid"], booked[0]["uuid"]);
    assert_eq!(deleted[0]["deletedAt"], "2020-02-05T12:30:00Z");
    assert_eq!(deleted[0]["bookedAt"], "2020-02-02T10:00:00Z");
}

#[tokio::test]
async fn head_and_wrong_methods_on_cursor_routes() {
    let app = TestApp::at("2020-01-10T08:15:00Z");
    let auth = format!("Bearer {CONFIDENTIAL}");
    let head = app
        .call(
            Method::HEAD,
            &url("leadEvents", "2020-01-09T00:00:00Z"),
            &[("authorization", &auth)],
            "",
        )
        .await;
    head.assert_status(200);
    assert!(head.body.is_empty());
    let post = app
        .post_json_as(&url("leadEvents", "2020-01-09T00:00:00Z"), CONFIDENTIAL, "{}")
        .await;
    post.assert_status(405);
    assert_eq!(post.header("allow"), Some("GET,HEAD"));
    assert_engine_errors(&post.json());
}
