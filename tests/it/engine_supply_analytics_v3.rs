//! Engine Supply Analytics v3 (`API-Version: 2025-04-01`): the cursor
//! invariants of paging by `paginationTimestamp`, the 5-minute SLA,
//! filters, tokens, leadsInfo, sub-accounts, and agreement with version 1
//! over the same simulated records.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::{BTreeMap, BTreeSet, HashSet};

use axum::body::Body;
use axum::http::Method;
use chrono::{DateTime, TimeDelta, Timelike, Utc};
use common::schema::engine_v3_schema_violations;
use common::{CONFIDENTIAL, TestApp, TestResponse};
use leadsim::parse_rfc3339;
use serde_json::{Value, json};

const V3: &str = "2025-04-01";
const COMPANY: &str = "v3-company-token";
const WEB: &str = "v3-web-token";
const APP: &str = "v3-app-token";
const WEB_UUID: &str = "0d6f2a55-1b7e-4f4e-9d8a-3c2b1a0f9e81";
const APP_UUID: &str = "7a1e9c33-5d2b-4c8f-a6e4-2f0b9d8c7e62";
const NOW: &str = "2021-04-01T00:00:00Z";

fn at(s: &str) -> DateTime<Utc> {
    parse_rfc3339(s).unwrap()
}

/// leadsim at `NOW` with a v3 test company: a month of history, two
/// sub-accounts with their own tokens, small pages and leadsInfo limit.
async fn app() -> TestApp {
    let app = TestApp::at(NOW);
    let fixtures = json!({"engine": {"companies": [{
        "name": "V3 Partner",
        "uuid": "5d1c3b7a-9e2f-4a6b-8c1d-0e9f8a7b6c5d",
        "confidentialToken": COMPANY,
        "publishableToken": "v3-publishable-token",
        "leadsPerDay": 60,
        "historyStart": "2021-03-01T00:00:00Z",
        "v3PageLimit": 1000,
        "leadsInfoLimit": 5,
        "supplySubAccounts": [
            {"uuid": WEB_UUID, "name": "Web", "confidentialToken": WEB, "share": 3},
            {"uuid": APP_UUID, "name": "App \"iOS\"", "confidentialToken": APP, "share": 1}
        ]
    }]}});
    app.post_json("/__admin/fixtures", &fixtures.to_string())
        .await
        .assert_status(200);
    app
}

async fn v3(app: &TestApp, path: &str, token: &str) -> TestResponse {
    let auth = format!("Bearer {token}");
    app.call(
        Method::GET,
        path,
        &[("authorization", &auth), ("Api-Version", V3)],
        Body::empty(),
    )
    .await
}

/// The path and query of an absolute `nextUrl`.
fn local(next_url: &str) -> String {
    let rest = next_url.split_once("://").unwrap().1;
    rest[rest.find('/').unwrap()..].to_owned()
}

fn time(record: &Value, field: &str) -> DateTime<Utc> {
    at(record[field].as_str().unwrap())
}

/// A record's identity: events by id (a correction is its own record),
/// payouts by uuid (likewise), tags by hash.
fn identity(record: &Value) -> String {
    let of = |k: &str| record.get(k).and_then(Value::as_str).unwrap_or("");
    format!(
        "{}{}{}|{}{}",
        of("id"),
        of("uuid"),
        of("hash"),
        of("eventDeletedAt"),
        of("deletedAt")
    )
}

/// Follows `nextUrl` from `path` until `shouldContinuePolling` is false,
/// checking every page against the cursor's rules; returns the records and
/// the last page.
async fn walk(app: &TestApp, path: &str, token: &str, limit: usize) -> (Vec<Value>, Value) {
    let mut path = path.to_owned();
    let mut records: Vec<Value> = Vec::new();
    loop {
        let response = v3(app, &path, token).await;
        response.assert_status(200);
        let page = response.json();
        let data = page["data"].as_array().unwrap();
        assert!(data.len() <= limit);
        let more = page["shouldContinuePolling"].as_bool().unwrap();
        assert_eq!(more, data.len() == limit, "full pages, and only they, continue");
        let next = page["nextUrl"].as_str().unwrap();
        assert_eq!(
            next.split_once('?').unwrap().1,
            format!("paginationToken={}", page["paginationToken"].as_str().unwrap()),
            "nextUrl carries only the token"
        );
        // Same token, same clock: the same bytes.
        assert_eq!(v3(app, &path, token).await.body, response.body);
        records.extend(data.iter().cloned());
        path = local(next);
        if !more {
            return (records, page);
        }
    }
}

/// Records are in `paginationTimestamp` order, each once.
fn assert_once_in_order(records: &[Value]) {
    let mut seen = HashSet::new();
    for pair in records.windows(2) {
        assert!(time(&pair[0], "paginationTimestamp") <= time(&pair[1], "paginationTimestamp"));
    }
    for record in records {
        assert!(seen.insert(identity(record)), "seen twice: {record}");
    }
}

#[tokio::test]
async fn a_month_is_walked_once_in_order_from_the_start_of_history() {
    let app = app().await;
    let (events, last) = walk(&app, "/supplyAnalytics/leadEvents", COMPANY, 1000).await;
    assert!(events.len() > 5000, "a month at 60 leads a day: {}", events.len());
    assert_once_in_order(&events);
    // The walk starts at the company's history: nothing exists before it.
    assert!(events[0]["paginationTimestamp"].as_str().unwrap() >= "2021-03-01T00:00:00Z");
    assert!(events[0]["paginationTimestamp"].as_str().unwrap() < "2021-03-01T01:00:00Z");
    let published = at(NOW) - TimeDelta::minutes(5);
    assert!(events.iter().all(|e| time(e, "paginationTimestamp") <= published));
    // Everything published is there: what leadsim holds for the company.
    let state = app.state.family::<leadsim::engine::Engine>().unwrap();
    let catalog = state.engine.catalog();
    let company = catalog.companies.all().last().unwrap().clone();
    let held = catalog.windows.records(
        &company,
        at("2021-02-01T00:00:00Z"),
        published + TimeDelta::seconds(1),
    );
    assert_eq!(events.len(), held.events.len());
    // Version 3's records: its event types, corrections, late arrivals.
    let types: BTreeSet<&str> = events.iter().map(|e| e["eventType"].as_str().unwrap()).collect();
    for t in [
        "affiliateOfferClicked",
        "firstContact",
        "isContacted",
        "firstPayment",
        "funded",
    ] {
        assert!(types.contains(t), "{t} in {types:?}");
    }
    assert!(events.iter().any(|e| e.get("eventDeletedAt").is_some()));
    assert!(
        events
            .iter()
            .any(|e| time(e, "paginationTimestamp") > time(e, "eventCreatedAt"))
    );
    // Every record is of the vendor's schema.
    let mut page = last.clone();
    page["data"] = Value::Array(events.iter().take(2000).cloned().collect());
    assert_eq!(
        engine_v3_schema_violations("LeadEventResponse", &page),
        Vec::<String>::new()
    );

    // An idle feed: polling the last nextUrl again serves nothing new, and
    // the same token comes back.
    let next = local(last["nextUrl"].as_str().unwrap());
    let idle = v3(&app, &next, COMPANY).await.json();
    assert_eq!(idle["data"], json!([]));
    assert_eq!(idle["shouldContinuePolling"], false);
    assert_eq!(idle["paginationToken"], last["paginationToken"]);

    // The clock moves: the same nextUrl then serves what entered since,
    // each record once, after everything already seen.
    app.post_json("/__admin/clock/advance", r#"{"seconds": 7200}"#)
        .await
        .assert_status(200);
    let later = v3(&app, &next, COMPANY).await.json();
    // A full page once served never changes, whatever the clock.
    let first_page = v3(&app, "/supplyAnalytics/leadEvents", COMPANY).await.json();
    assert_eq!(first_page["data"].as_array().unwrap()[..], events[..1000]);
    assert_eq!(first_page["shouldContinuePolling"], true);
    let fresh = later["data"].as_array().unwrap();
    assert!(!fresh.is_empty());
    let mut all = events.clone();
    all.extend(fresh.iter().cloned());
    assert_once_in_order(&all);
    assert!(fresh.iter().all(|e| time(e, "paginationTimestamp") > published));
}

#[tokio::test]
async fn every_feed_pages_by_ingestion_and_payouts_and_tags_match_the_schema() {
    let app = app().await;
    for (feed, schema) in [
        ("leadPayouts", "LeadPayoutResponse"),
        ("leadClientTags", "LeadClientTagsResponse"),
    ] {
        let (records, last) = walk(&app, &format!("/supplyAnalytics/{feed}"), COMPANY, 1000).await;
        assert!(!records.is_empty(), "{feed}");
        assert_once_in_order(&records);
        let mut page = last.clone();
        page["data"] = Value::Array(records.clone());
        assert_eq!(
            engine_v3_schema_violations(schema, &page),
            Vec::<String>::new(),
            "{feed}"
        );
        if feed == "leadPayouts" {
            assert!(records.iter().any(|p| p.get("deletedAt").is_some()));
            assert!(
                records
                    .iter()
                    .any(|p| time(p, "paginationTimestamp") > time(p, "bookedAt"))
            );
            assert!(records.iter().all(|p| p["supplySubAccountName"].is_string()));
        }
    }
}

#[tokio::test]
async fn the_sla_is_five_minutes() {
    let app = app().await;
    let ok = v3(
        &app,
        "/supplyAnalytics/leadEvents?sinceTimestamp=2021-03-31T23:55:00Z",
        COMPANY,
    )
    .await;
    ok.assert_status(200);
    let late = v3(
        &app,
        "/supplyAnalytics/leadEvents?sinceTimestamp=2021-03-31T23:55:01Z",
        COMPANY,
    )
    .await;
    late.assert_status(422);
    assert_eq!(
        late.json(),
        json!([{
            "attribute": "sinceTimestamp",
            "type": "malformed",
            "details": {"specified": "2021-03-31T23:55:01.000Z", "requirement": "must be at or before 2021-03-31T23:55:00Z"},
            "message": "sinceTimestamp must be at or before 2021-03-31T23:55:00Z, but is '2021-03-31T23:55:01Z'"
        }])
    );
    // The spec's own example: at 00:15, 00:14 errors and 00:09 succeeds.
    app.put_json("/__admin/clock", r#"{"now": "2021-03-20T00:15:00Z"}"#)
        .await
        .assert_status(200);
    for (since, status) in [("2021-03-20T00:14:00Z", 422), ("2021-03-20T00:09:00Z", 200)] {
        let path = format!("/supplyAnalytics/leadPayouts?sinceTimestamp={since}");
        v3(&app, &path, COMPANY).await.assert_status(status);
    }
    // Offsets are honoured; naive times are UTC.
    for since in ["2021-03-19T20:00:00-04:00", "2021-03-20T00:00:00"] {
        let page = v3(
            &app,
            &format!("/supplyAnalytics/leadEvents?sinceTimestamp={since}"),
            COMPANY,
        )
        .await
        .json();
        let first = page["data"][0]["paginationTimestamp"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(first.as_str() >= "2021-03-20T00:00:00Z", "{since}: {first}");
    }
}

#[tokio::test]
async fn filters_travel_in_the_token_and_until_is_exclusive() {
    let app = app().await;
    let until = "2021-03-15T00:00:00Z";
    for query in [
        "eventType=applied,funded",
        "eventType=applied&eventType=funded",
        "eventType=applied,%20funded,",
    ] {
        let path = format!(
            "/supplyAnalytics/leadEvents?sinceTimestamp=2021-03-01T00:00:00Z&untilTimestamp={until}&{query}"
        );
        let (records, last) = walk(&app, &path, COMPANY, 1000).await;
        assert!(!records.is_empty(), "{query}");
        assert!(
            records
                .iter()
                .all(|e| ["applied", "funded"].contains(&e["eventType"].as_str().unwrap())),
            "{query}"
        );
        assert!(records.iter().all(|e| time(e, "paginationTimestamp") < at(until)));
        // Past the until bound nothing more comes, whatever the clock.
        let next = v3(&app, &local(last["nextUrl"].as_str().unwrap()), COMPANY)
            .await
            .json();
        assert_eq!(next["data"], json!([]));
    }
    let unknown = v3(
        &app,
        "/supplyAnalytics/leadEvents?eventType=applied,clicked",
        COMPANY,
    )
    .await;
    unknown.assert_status(422);
    let error = &unknown.json()[0];
    assert_eq!(error["attribute"], "eventType");
    assert_eq!(error["details"]["specified"], "clicked");
    assert!(error["message"].as_str().unwrap().ends_with("but is 'clicked'"));
    // A filter's records are the unfiltered walk's, less the others.
    let all = walk(
        &app,
        &format!("/supplyAnalytics/leadEvents?sinceTimestamp=2021-03-01T00:00:00Z&untilTimestamp={until}"),
        COMPANY,
        1000,
    )
    .await
    .0;
    let (clicked, _) = walk(
        &app,
        &format!("/supplyAnalytics/leadEvents?untilTimestamp={until}&eventType=offerClicked"),
        COMPANY,
        1000,
    )
    .await;
    let expected: Vec<&Value> = all.iter().filter(|e| e["eventType"] == "offerClicked").collect();
    assert_eq!(clicked.iter().collect::<Vec<_>>(), expected);
}

#[tokio::test]
async fn bad_tokens_versions_and_combinations_are_refused_by_name() {
    let app = app().await;
    let first = v3(&app, "/supplyAnalytics/leadPayouts", COMPANY).await.json();
    let payouts_token = first["paginationToken"].as_str().unwrap().to_owned();
    let events = v3(&app, "/supplyAnalytics/leadEvents", COMPANY).await.json();
    let events_token = events["paginationToken"].as_str().unwrap().to_owned();
    let refused = |response: &TestResponse| {
        response.assert_status(422);
        let body = response.json();
        assert_eq!(body.as_array().unwrap().len(), 1, "{body}");
        body[0].clone()
    };
    let mut garbled = events_token.clone();
    garbled.replace_range(3..4, if &garbled[3..4] == "A" { "B" } else { "A" });
    for (token, who) in [
        ("not-a-token", COMPANY),
        (garbled.as_str(), COMPANY),
        (events_token.as_str(), WEB),
        (events_token.as_str(), CONFIDENTIAL),
    ] {
        let response = v3(
            &app,
            &format!("/supplyAnalytics/leadEvents?paginationToken={token}"),
            who,
        )
        .await;
        let error = refused(&response);
        assert_eq!(error["attribute"], "paginationToken", "{token} as {who}");
        assert_eq!(error["type"], "malformed");
        assert_eq!(error["details"]["specified"], token);
    }
    let other_feed = v3(
        &app,
        &format!("/supplyAnalytics/leadEvents?paginationToken={payouts_token}"),
        COMPANY,
    )
    .await;
    assert_eq!(
        refused(&other_feed)["message"],
        "paginationToken was issued by /supplyAnalytics/leadPayouts, not /supplyAnalytics/leadEvents"
    );
    let both = v3(
        &app,
        &format!(
            "/supplyAnalytics/leadEvents?paginationToken={events_token}&sinceTimestamp=2021-03-02T00:00:00Z"
        ),
        COMPANY,
    )
    .await;
    assert_eq!(refused(&both)["attribute"], "sinceTimestamp");
    let bad_time = v3(
        &app,
        "/supplyAnalytics/leadClientTags?untilTimestamp=soon",
        COMPANY,
    )
    .await;
    assert_eq!(
        refused(&bad_time),
        json!({"attribute": "untilTimestamp", "type": "malformed", "details": {"specified": "soon"},
               "message": "untilTimestamp must be an ISO 8601 date-time, but is 'soon'"})
    );
    for version in ["2024-01-01", "", "v3"] {
        let response = app
            .call(
                Method::GET,
                "/supplyAnalytics/leadEvents?timestamp=2021-03-02T00:00:00Z",
                &[
                    ("authorization", "Bearer v3-company-token"),
                    ("API-VERSION", version),
                ],
                Body::empty(),
            )
            .await;
        let error = refused(&response);
        assert_eq!(error["attribute"], "API-Version");
        assert!(
            error["message"].as_str().unwrap().contains("2025-04-01"),
            "{error}"
        );
    }
    // nextUrl is absolute, built as v1's: from the proxy's headers here.
    let proxied = app
        .call(
            Method::GET,
            "/supplyAnalytics/leadPayouts",
            &[
                ("authorization", "Bearer v3-company-token"),
                ("api-version", V3),
                ("x-forwarded-proto", "https"),
                ("x-forwarded-host", "leadsim.ci:8443"),
            ],
            Body::empty(),
        )
        .await
        .json();
    assert!(
        proxied["nextUrl"]
            .as_str()
            .unwrap()
            .starts_with("https://leadsim.ci:8443/supplyAnalytics/leadPayouts?paginationToken="),
        "{proxied}"
    );
    // Any spelling of the header name selects v3.
    for name in ["API-Version", "api-version", "Api-Version"] {
        let response = app
            .call(
                Method::GET,
                "/supplyAnalytics/leadEvents",
                &[("authorization", "Bearer v3-company-token"), (name, V3)],
                Body::empty(),
            )
            .await;
        response.assert_status(200);
        assert!(response.json()["paginationToken"].is_string());
    }
}

#[tokio::test]
async fn sub_account_tokens_see_their_own_records_in_both_versions() {
    let app = app().await;
    let path = "/supplyAnalytics/leadEvents?untilTimestamp=2021-03-10T00:00:00Z";
    let (all, _) = walk(&app, path, COMPANY, 1000).await;
    let (web, _) = walk(&app, path, WEB, 1000).await;
    let (ios, _) = walk(&app, path, APP, 1000).await;
    assert!(
        web.iter()
            .all(|e| e["supplySubAccountUuid"] == WEB_UUID && e["supplySubAccountName"] == "Web")
    );
    assert!(
        ios.iter()
            .all(|e| e["supplySubAccountUuid"] == APP_UUID && e["supplySubAccountName"] == "App \"iOS\"")
    );
    assert!(
        web.len() > 2 * ios.len() && !ios.is_empty(),
        "shares 3:1: {} {}",
        web.len(),
        ios.len()
    );
    let ids = |records: &[Value]| records.iter().map(identity).collect::<BTreeSet<_>>();
    let union: BTreeSet<_> = ids(&web).union(&ids(&ios)).cloned().collect();
    assert_eq!(union, ids(&all));
    // A lead belongs to one sub-account, all its records with it.
    let mut owner: BTreeMap<&str, &str> = BTreeMap::new();
    for e in &all {
        let sub = e["supplySubAccountUuid"].as_str().unwrap();
        assert_eq!(*owner.entry(e["leadUuid"].as_str().unwrap()).or_insert(sub), sub);
    }
    // Version 1 with a sub-account's token: its records only.
    let v1 = async |token: &str| {
        v1_records(&app, "leadEvents", token, "2021-03-05T00:00:00Z", 6)
            .await
            .iter()
            .map(identity)
            .collect::<BTreeSet<_>>()
    };
    let (v1_all, v1_web, v1_app) = (v1(COMPANY).await, v1(WEB).await, v1(APP).await);
    assert!(!v1_web.is_empty() && !v1_app.is_empty());
    assert!(v1_web.is_disjoint(&v1_app));
    assert_eq!(v1_web.union(&v1_app).cloned().collect::<BTreeSet<_>>(), v1_all);
}

#[tokio::test]
async fn leads_info_shows_a_lead_whole_or_cut_short() {
    let app = app().await;
    let (events, _) = walk(
        &app,
        "/supplyAnalytics/leadEvents?untilTimestamp=2021-03-20T00:00:00Z",
        COMPANY,
        1000,
    )
    .await;
    // A lead with a payout has more than the five records allowed: 206.
    let (payouts, _) = walk(&app, "/supplyAnalytics/leadPayouts", COMPANY, 1000).await;
    let lead = payouts[0]["leadUuid"].as_str().unwrap();
    let response = v3(&app, &format!("/supplyAnalytics/leadsInfo/{lead}"), COMPANY).await;
    response.assert_status(206);
    let info = response.json();
    assert_eq!(
        engine_v3_schema_violations("LeadInfoResponse", &info),
        Vec::<String>::new()
    );
    let data = &info["data"];
    let count = |k: &str| data[k].as_array().unwrap().len();
    assert_eq!(count("events") + count("payouts") + count("clientTags"), 5);
    assert!(
        info["warnings"][0].as_str().unwrap().contains("truncated"),
        "{info}"
    );

    // The default company's limit is 10,000: a whole lead, 200, and what
    // the feeds serve of it.
    let demo = v3(
        &app,
        "/supplyAnalytics/leadEvents?sinceTimestamp=2021-03-01T00:00:00Z",
        CONFIDENTIAL,
    )
    .await
    .json();
    let demo_events = demo["data"].as_array().unwrap();
    let lead = demo_events[0]["leadUuid"].as_str().unwrap();
    let response = v3(&app, &format!("/supplyAnalytics/leadsInfo/{lead}"), CONFIDENTIAL).await;
    response.assert_status(200);
    let info = response.json();
    assert_eq!(info["warnings"], json!([]));
    let shown: BTreeSet<String> = info["data"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(identity)
        .collect();
    let streamed: BTreeSet<String> = demo_events
        .iter()
        .filter(|e| e["leadUuid"] == lead)
        .map(identity)
        .collect();
    assert!(streamed.is_subset(&shown) && !streamed.is_empty());
    for e in info["data"]["events"].as_array().unwrap() {
        assert!(time(e, "paginationTimestamp") <= at(NOW) - TimeDelta::minutes(5));
    }

    // Someone else's lead, an unknown one, another sub-account's: 404.
    let web_lead = events
        .iter()
        .find(|e| e["supplySubAccountUuid"] == WEB_UUID)
        .unwrap()["leadUuid"]
        .as_str()
        .unwrap()
        .to_owned();
    for (lead, token) in [
        (lead.to_owned(), COMPANY),
        ("3b241101-e2bb-4255-8caf-4136c566a962".to_owned(), COMPANY),
        (web_lead.clone(), APP),
    ] {
        let response = v3(&app, &format!("/supplyAnalytics/leadsInfo/{lead}"), token).await;
        response.assert_status(404);
        assert_eq!(
            response.json(),
            json!([{"type": "not_found", "message": format!("Lead {lead} not found")}])
        );
    }
    v3(&app, &format!("/supplyAnalytics/leadsInfo/{web_lead}"), WEB)
        .await
        .assert_status(206);
    let bad = v3(&app, "/supplyAnalytics/leadsInfo/123", COMPANY).await;
    bad.assert_status(422);
    assert_eq!(bad.json()[0]["attribute"], "leadUuid");
    let unversioned = app
        .get_as(&format!("/supplyAnalytics/leadsInfo/{web_lead}"), COMPANY)
        .await;
    unversioned.assert_status(422);
    assert_eq!(
        unversioned.json(),
        json!([{"attribute": "API-Version", "type": "missing", "message": "API-Version must be specified"}])
    );
    // A lead created after the SLA's horizon does not exist yet.
    let fresh = events
        .iter()
        .rev()
        .find(|e| e["eventType"] == "leadCreated")
        .unwrap();
    let fresh_lead = fresh["leadUuid"].as_str().unwrap();
    app.put_json("/__admin/clock", r#"{"now": "2021-03-05T00:00:00Z"}"#)
        .await
        .assert_status(200);
    v3(&app, &format!("/supplyAnalytics/leadsInfo/{fresh_lead}"), COMPANY)
        .await
        .assert_status(404);
}

/// Version 1's windows over `[start, start + hours)`, every record.
async fn v1_records(app: &TestApp, feed: &str, token: &str, start: &str, hours: i64) -> Vec<Value> {
    let mut out = Vec::new();
    for h in 0..hours {
        let t = (at(start) + TimeDelta::hours(h)).format("%Y-%m-%dT%H:%M:%SZ");
        let page = app
            .get_as(&format!("/supplyAnalytics/{feed}?timestamp={t}"), token)
            .await
            .json();
        for mut record in page["data"].as_array().unwrap().iter().cloned() {
            record["window"] = json!(t.to_string());
            out.push(record);
        }
    }
    out
}

#[tokio::test]
async fn version_1_and_version_3_serve_the_same_records() {
    let app = TestApp::at("2020-03-01T00:00:00Z");
    let (start, end) = ("2020-01-10T00:00:00Z", "2020-01-13T00:00:00Z");
    for feed in ["leadEvents", "leadPayouts", "leadClientTags"] {
        let v1 = v1_records(&app, feed, CONFIDENTIAL, start, 72).await;
        let path = format!("/supplyAnalytics/{feed}?sinceTimestamp={start}&untilTimestamp={end}");
        let (v3, _) = walk(&app, &path, CONFIDENTIAL, 40_000).await;
        let v3_by_id: BTreeMap<String, &Value> = v3.iter().map(|r| (identity(r), r)).collect();
        // Every v1 record is a v3 record with the same fields, served in the
        // window of the hour it entered Engine.
        for record in &v1 {
            let mut fields = record.clone();
            let window = fields.as_object_mut().unwrap().remove("window").unwrap();
            let twin = v3_by_id
                .get(&identity(record))
                .unwrap_or_else(|| panic!("{feed}: {record} not in v3"));
            for (k, v) in fields.as_object().unwrap() {
                assert_eq!(&twin[k], v, "{feed}.{k} of {record}");
            }
            let entered = time(twin, "paginationTimestamp");
            assert_eq!(
                entered.with_minute(0).unwrap().with_second(0).unwrap(),
                at(window.as_str().unwrap()),
                "{feed}: v1 serves {twin} in the hour it entered"
            );
        }
        // And v3 has nothing more than v3's own types and corrections.
        let v1_ids: HashSet<String> = v1.iter().map(identity).collect();
        let v3_only: Vec<&&Value> = v3_by_id
            .iter()
            .filter(|(id, _)| !v1_ids.contains(*id))
            .map(|(_, r)| r)
            .collect();
        for record in v3_only {
            let v3_type = [
                "affiliateOfferClicked",
                "firstPayment",
                "isContacted",
                "firstContact",
                "salesQualified",
                "rateLocked",
            ]
            .contains(&record["eventType"].as_str().unwrap_or(""));
            assert!(
                v3_type || record.get("eventDeletedAt").is_some(),
                "{feed}: only in v3: {record}"
            );
        }
        if feed != "leadClientTags" {
            assert!(
                v1.iter().any(|r| {
                    let t = r.get("eventCreatedAt").or_else(|| r.get("bookedAt")).unwrap();
                    r.get("deletedAt").is_none()
                        && at(t.as_str().unwrap()) < at(r["window"].as_str().unwrap())
                }),
                "{feed}: late arrivals show in a later v1 window"
            );
        }
    }
}

#[tokio::test]
async fn tokens_and_pages_are_the_same_after_a_restart_with_the_same_seed() {
    let first = app().await;
    let page = v3(&first, "/supplyAnalytics/leadEvents", COMPANY).await;
    let next = local(page.json()["nextUrl"].as_str().unwrap());
    let second = app().await;
    let again = v3(&second, "/supplyAnalytics/leadEvents", COMPANY).await;
    assert_eq!(again.body, page.body);
    assert_eq!(
        v3(&second, &next, COMPANY).await.body,
        v3(&first, &next, COMPANY).await.body
    );
}

#[tokio::test]
async fn a_scripted_late_arrival_enters_where_its_fixture_says() {
    let app = TestApp::at("2020-02-01T00:00:00Z");
    let fixtures = json!({"engine": {"companies": [{
        "name": "Scripted", "uuid": "11111111-2222-4333-8444-555555555555",
        "confidentialToken": "scripted-token", "publishableToken": "scripted-pub",
        "leadsPerDay": 0,
        "leads": [{
            "uuid": "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", "createdAt": "2020-01-05T10:00:00Z", "productType": "loan",
            "events": [
                {"eventType": "appSubmitted", "eventCreatedAt": "2020-01-05T10:05:00Z"},
                {"eventType": "funded", "eventCreatedAt": "2020-01-06T12:00:00Z",
                 "financialInstitutionUuid": "a6b27661-a0ee-55db-8e5a-26a7c588c093", "amountInCents": 500000,
                 "paginationTimestamp": "2020-01-08T09:30:00Z"}
            ],
            "payouts": [{"bookedAt": "2020-01-07T00:00:00Z", "payoutInCents": 1234.5, "paginationTimestamp": "2020-01-09T00:00:00Z"}]
        }]
    }]}});
    app.post_json("/__admin/fixtures", &fixtures.to_string())
        .await
        .assert_status(200);
    let v1 = |at: &'static str, feed: &'static str| {
        let app = app.clone();
        async move {
            app.get_as(
                &format!("/supplyAnalytics/{feed}?timestamp={at}"),
                "scripted-token",
            )
            .await
            .json()["data"]
                .clone()
        }
    };
    assert_eq!(v1("2020-01-06T12:00:00Z", "leadEvents").await, json!([]));
    let arrived = v1("2020-01-08T09:00:00Z", "leadEvents").await;
    assert_eq!(arrived[0]["eventType"], "funded");
    assert_eq!(arrived[0]["eventCreatedAt"], "2020-01-06T12:00:00Z");
    assert_eq!(v1("2020-01-07T00:00:00Z", "leadPayouts").await, json!([]));
    assert_eq!(
        v1("2020-01-09T00:00:00Z", "leadPayouts").await[0]["payoutInCents"],
        1234.5
    );
    let (events, _) = walk(&app, "/supplyAnalytics/leadEvents", "scripted-token", 40_000).await;
    let order: Vec<(&str, &str)> = events
        .iter()
        .map(|e| {
            (
                e["eventType"].as_str().unwrap(),
                e["paginationTimestamp"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        order,
        [
            ("leadCreated", "2020-01-05T10:00:00Z"),
            ("appSubmitted", "2020-01-05T10:05:00Z"),
            ("funded", "2020-01-08T09:30:00Z")
        ]
    );
    // A fixture cannot say a record entered before it happened.
    let mut bad = fixtures.clone();
    bad["engine"]["companies"][0]["leads"][0]["events"][1]["paginationTimestamp"] =
        json!("2020-01-06T11:00:00Z");
    let refused = app.post_json("/__admin/fixtures", &bad.to_string()).await;
    refused.assert_status(400);
    assert!(
        refused.text().contains("paginationTimestamp"),
        "{}",
        refused.text()
    );
}

#[tokio::test]
async fn v3_fixture_fields_are_checked_and_refusals_name_the_field() {
    let app = TestApp::at(NOW);
    let company = |extra: Value| {
        let mut company = json!({
            "name": "Checked", "uuid": "22222222-3333-4444-8555-666666666666",
            "confidentialToken": "checked-conf", "publishableToken": "checked-pub"
        });
        for (k, v) in extra.as_object().unwrap() {
            company[k] = v.clone();
        }
        json!({"engine": {"companies": [company]}}).to_string()
    };
    for (extra, field) in [
        (json!({"v3PageLimit": 0}), "companies[0].v3PageLimit"),
        (json!({"v3PageLimit": 40001}), "companies[0].v3PageLimit"),
        (json!({"leadsInfoLimit": 0}), "companies[0].leadsInfoLimit"),
        (
            json!({"supplySubAccounts": [{"uuid": WEB_UUID, "name": "A"}, {"uuid": WEB_UUID, "name": "B"}]}),
            "companies[0].supplySubAccounts[1].uuid",
        ),
        (
            json!({"supplySubAccounts": [{"uuid": WEB_UUID, "name": "A", "confidentialToken": "checked-pub"}]}),
            "companies[0].supplySubAccounts[0].confidentialToken",
        ),
        (
            json!({"supplySubAccounts": [{"uuid": WEB_UUID, "name": "A", "share": -1}]}),
            "companies[0].supplySubAccounts[0].share",
        ),
        (
            json!({"leads": [{"uuid": "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", "createdAt": "2021-03-01T00:00:00Z",
                              "productType": "loan", "supplySubAccountUuid": APP_UUID}]}),
            "companies[0].leads[0].supplySubAccountUuid",
        ),
    ] {
        let refused = app.post_json("/__admin/fixtures", &company(extra.clone())).await;
        refused.assert_status(400);
        assert!(refused.text().contains(field), "{extra}: {}", refused.text());
    }
    // A sub-account token may not be another company's token either.
    let taken = app
        .post_json(
            "/__admin/fixtures",
            &company(json!({"supplySubAccounts": [{"uuid": WEB_UUID, "name": "A", "confidentialToken": CONFIDENTIAL}]})),
        )
        .await;
    taken.assert_status(400);
    assert!(taken.text().contains(CONFIDENTIAL), "{}", taken.text());
    // Nothing changed: the demo company's token still works, the refused one does not.
    app.get_as(
        "/supplyAnalytics/leadEvents?timestamp=2021-03-01T00:00:00Z",
        CONFIDENTIAL,
    )
    .await
    .assert_status(200);
    app.get_as(
        "/supplyAnalytics/leadEvents?timestamp=2021-03-01T00:00:00Z",
        "checked-conf",
    )
    .await
    .assert_status(401);
}

#[tokio::test]
async fn odd_v3_inputs_get_vendor_shaped_answers_never_a_server_error() {
    let app = app().await;
    let long = "A".repeat(10_000);
    let many_types = vec!["applied"; 5_000].join(",");
    let odd = [
        "sinceTimestamp=0001-01-01T00:00:00Z".to_owned(),
        "sinceTimestamp=9999-12-31T23:59:59Z".to_owned(),
        "untilTimestamp=0001-01-01T00:00:00Z".to_owned(),
        "untilTimestamp=9999-12-31T23:59:59Z".to_owned(),
        "sinceTimestamp=2021-03-10T00:00:00Z&untilTimestamp=2021-03-01T00:00:00Z".to_owned(),
        "sinceTimestamp=2021-03-10T00:00:00%2B14:00".to_owned(),
        "sinceTimestamp=".to_owned(),
        "sinceTimestamp=%FF%FE".to_owned(),
        format!("paginationToken={long}"),
        "paginationToken=%00%01".to_owned(),
        "paginationToken=".to_owned(),
        format!("eventType={many_types}"),
        "eventType=,,,".to_owned(),
        "eventType=%E2%82%AC".to_owned(),
        "sinceTimestamp=2021-03-10T00:00:00Z&sinceTimestamp=garbage".to_owned(),
    ];
    for query in &odd {
        let response = v3(&app, &format!("/supplyAnalytics/leadEvents?{query}"), COMPANY).await;
        let status = response.status.as_u16();
        assert!(
            status == 200 || status == 422,
            "{query}: {status} {}",
            response.text()
        );
        let body = response.json();
        if status == 422 {
            let errors = body.as_array().unwrap();
            assert_eq!(errors.len(), 1, "{query}: {body}");
            assert!(
                errors[0]["message"].as_str().unwrap().len() < 1_000,
                "{query}: echoes are cut"
            );
        } else {
            assert!(
                body["paginationToken"].is_string() && body["data"].is_array(),
                "{query}"
            );
        }
    }
    // Before the company's history there is nothing, and the walk starts at it.
    let early = v3(
        &app,
        "/supplyAnalytics/leadEvents?sinceTimestamp=0001-01-01T00:00:00Z",
        COMPANY,
    )
    .await
    .json();
    assert!(early["data"][0]["paginationTimestamp"].as_str().unwrap() >= "2021-03-01");
    // An until before the start: an empty page whose token stays put.
    let empty = v3(
        &app,
        "/supplyAnalytics/leadEvents?sinceTimestamp=2021-03-10T00:00:00Z&untilTimestamp=2021-03-01T00:00:00Z",
        COMPANY,
    )
    .await
    .json();
    assert_eq!(empty["data"], json!([]));
    let again = v3(&app, &local(empty["nextUrl"].as_str().unwrap()), COMPANY)
        .await
        .json();
    assert_eq!(again["paginationToken"], empty["paginationToken"]);
    // leadsInfo with odd paths.
    for lead in [
        "%00",
        "00000000-0000-0000-0000-000000000000",
        &"9".repeat(5_000),
        "%F0%9F%92%A9",
    ] {
        let response = v3(&app, &format!("/supplyAnalytics/leadsInfo/{lead}"), COMPANY).await;
        let status = response.status.as_u16();
        assert!(status == 404 || status == 422, "{lead}: {status}");
        assert!(response.json().is_array());
    }
}
