//! The framework every family plugs into: admin API, virtual clock, journal,
//! reset, framework errors and CORS.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Body;
use axum::http::{Method, Request};
use common::{CONFIDENTIAL, TestApp};
use serde_json::json;

#[tokio::test]
async fn health_reports_seed_clock_and_fixtures() {
    let app = TestApp::at("2020-01-01T08:15:00Z");
    let health = app.get("/__admin/health").await;
    health.assert_status(200);
    assert_eq!(health.header("content-type"), Some("application/json"));
    let body = health.json();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["seed"], 42);
    assert_eq!(
        body["clock"],
        json!({"now": "2020-01-01T08:15:00Z", "frozen": true, "offsetSeconds": body["clock"]["offsetSeconds"]})
    );
    assert!(body["fixtures"].as_str().unwrap().contains("engine: 2 companies"));
}

#[tokio::test]
async fn clock_can_be_frozen_set_advanced_and_released() {
    let app = TestApp::new();
    assert_eq!(app.get("/__admin/clock").await.json()["frozen"], false);

    let set = app
        .put_json("/__admin/clock", r#"{"now":"2021-03-04T05:06:07+01:00"}"#)
        .await;
    set.assert_status(200);
    assert_eq!(set.json()["now"], "2021-03-04T04:06:07Z");
    assert_eq!(set.json()["frozen"], true);

    let advanced = app
        .post_json("/__admin/clock/advance", r#"{"seconds": 3600}"#)
        .await;
    advanced.assert_status(200);
    assert_eq!(advanced.json()["now"], "2021-03-04T05:06:07Z");
    assert_eq!(
        app.now().await,
        "2021-03-04T05:06:07Z",
        "the clock holds still while frozen"
    );

    let released = app.delete("/__admin/clock").await;
    released.assert_status(200);
    assert_eq!(released.json()["frozen"], false);
    assert_eq!(released.json()["offsetSeconds"], 0);
}

#[tokio::test]
async fn the_app_reads_the_virtual_clock() {
    // The journal stamps each request with the app's notion of now.
    let app = TestApp::at("2019-05-05T10:00:00Z");
    app.get("/supplyAnalytics/nothing-here").await;
    app.post_json("/__admin/clock/advance", r#"{"seconds": 90.5}"#)
        .await
        .assert_status(200);
    app.get("/supplyAnalytics/nothing-here-either").await;
    let listing = app.get("/__admin/requests").await.json();
    let times: Vec<_> = listing["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["time"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(times, ["2019-05-05T10:01:30.500Z", "2019-05-05T10:00:00.000Z"]);
}

#[tokio::test]
async fn bad_clock_requests_are_refused_and_change_nothing() {
    let app = TestApp::at("2020-01-01T00:00:00Z");
    let cases = [
        ("/__admin/clock", Method::PUT, "{", "Malformed JSON body"),
        (
            "/__admin/clock",
            Method::PUT,
            r#"{"now":"soon"}"#,
            "now: 'soon' is not an RFC 3339 timestamp",
        ),
        ("/__admin/clock", Method::PUT, r#"{"now":1}"#, "now: invalid type"),
        (
            "/__admin/clock",
            Method::PUT,
            r#"{"when":"2020-01-01T00:00:00Z"}"#,
            "unknown field `when`",
        ),
        (
            "/__admin/clock/advance",
            Method::POST,
            r#"{"seconds":"ten"}"#,
            "seconds: invalid type",
        ),
        (
            "/__admin/clock/advance",
            Method::POST,
            r#"{"seconds":1e300}"#,
            "seconds: must be a number between",
        ),
        ("/__admin/clock/advance", Method::POST, "", "Malformed JSON body"),
    ];
    for (uri, method, body, message) in cases {
        let response = app
            .call(
                method,
                uri,
                &[("content-type", "application/json")],
                body.to_owned(),
            )
            .await;
        response.assert_status(400);
        assert_eq!(response.json()["error"], "bad_request");
        let text = response.json()["message"].as_str().unwrap().to_owned();
        assert!(text.contains(message), "{body}: {text}");
    }
    assert_eq!(app.now().await, "2020-01-01T00:00:00Z");
}

#[tokio::test]
async fn journal_records_requests_newest_first_with_credentials_redacted() {
    let app = TestApp::at("2020-01-01T08:15:00Z");
    app.get_as("/supplyAnalytics/unknown?timestamp=x", CONFIDENTIAL)
        .await;
    app.post_json("/uiEvent/unknown", r#"{"hello":"world"}"#).await;
    app.get("/__admin/health").await; // admin calls are not journaled

    let listing = app.get("/__admin/requests").await.json();
    assert_eq!(listing["matched"], 2);
    let newest = &listing["requests"][0];
    assert_eq!(newest["method"], "POST");
    assert_eq!(newest["path"], "/uiEvent/unknown");
    assert_eq!(newest["status"], 404);
    assert_eq!(newest["family"], "engine");
    assert_eq!(newest["body"], r#"{"hello":"world"}"#);
    let oldest = &listing["requests"][1];
    assert_eq!(oldest["query"], "timestamp=x");
    let auth = oldest["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h[0] == "authorization")
        .unwrap();
    // Hidden, with a fingerprint that tells which token was sent.
    assert_eq!(auth[1], "Bearer [redacted:13d23f5f]");
    assert!(
        !listing.to_string().contains(CONFIDENTIAL),
        "no secret anywhere in the journal"
    );

    let filtered = app
        .get("/__admin/requests?method=post&path=/uiEvent&limit=5")
        .await
        .json();
    assert_eq!(filtered["matched"], 1);
    let since = app
        .get("/__admin/requests?since=2030-01-01T00:00:00Z")
        .await
        .json();
    assert_eq!(since["matched"], 0);
    app.get("/__admin/requests?limit=-1").await.assert_status(400);
    app.get("/__admin/requests?colour=red").await.assert_status(400);

    let cleared = app.delete("/__admin/requests").await;
    assert_eq!(cleared.json(), json!({"cleared": 2}));
    assert_eq!(app.get("/__admin/requests").await.json()["recorded"], 0);
}

#[tokio::test]
async fn journal_is_bounded_by_its_capacity() {
    let mut config = leadsim::config::Config::defaults();
    config.journal_capacity = 3;
    let app = TestApp::with(config, leadsim::Fixtures::embedded().unwrap());
    for i in 0..5 {
        app.get(&format!("/nowhere/{i}")).await;
    }
    let listing = app.get("/__admin/requests").await.json();
    assert_eq!(listing["recorded"], 3);
    assert_eq!(listing["capacity"], 3);
    assert_eq!(listing["dropped"], 2);
    assert_eq!(listing["requests"][0]["path"], "/nowhere/4");
}

#[tokio::test]
async fn reset_restores_the_loaded_state() {
    let app = TestApp::at("2020-01-01T08:15:00Z");
    app.put_json("/__admin/clock", r#"{"now":"2025-01-01T00:00:00Z"}"#)
        .await;
    app.get("/nowhere").await;
    let reset = app.post_json("/__admin/reset", "").await;
    reset.assert_status(200);
    assert_eq!(reset.json()["status"], "reset");
    assert_eq!(app.now().await, "2020-01-01T08:15:00Z");
    assert_eq!(app.get("/__admin/requests").await.json()["recorded"], 0);
}

#[tokio::test]
async fn unknown_routes_get_a_json_404() {
    let app = TestApp::new();
    let response = app.get("/no/such/thing").await;
    response.assert_status(404);
    assert_eq!(
        response.json(),
        json!({"error": "not_found", "message": "No route for /no/such/thing"})
    );

    // On a family's own paths, the family's error shape.
    let engine = app.get("/supplyAnalytics/leadThings").await;
    engine.assert_status(404);
    assert_eq!(
        engine.json(),
        json!([{"type": "not_found", "message": "No route for /supplyAnalytics/leadThings"}])
    );
}

#[tokio::test]
async fn wrong_methods_get_405_with_allow() {
    let app = TestApp::new();
    let response = app
        .call(Method::PATCH, "/__admin/clock", &[], Body::empty())
        .await;
    response.assert_status(405);
    let allow = response.header("allow").unwrap().to_owned();
    for m in ["GET", "PUT", "DELETE", "HEAD"] {
        assert!(allow.contains(m), "{allow}");
    }
    assert_eq!(response.json()["error"], "method_not_allowed");
}

#[tokio::test]
async fn bodies_over_one_mib_get_413() {
    let app = TestApp::new();
    let big = vec![b' '; 1024 * 1024 + 1];
    let declared = app
        .call(
            Method::PUT,
            "/__admin/clock",
            &[("content-type", "application/json")],
            big.clone(),
        )
        .await;
    declared.assert_status(413);
    assert_eq!(declared.json()["error"], "payload_too_large");

    // Without a Content-Length (streamed), the limit still holds.
    let stream = futures_stream(big);
    let streamed = app
        .call(Method::POST, "/uiEvent/offerDisplays", &[], stream)
        .await;
    streamed.assert_status(413);
    assert_eq!(streamed.json()[0]["type"], "payload_too_large");

    // Exactly 1 MiB is accepted by the limit (and then judged by the route).
    let exact = vec![b' '; 1024 * 1024];
    let ok = app
        .call(
            Method::PUT,
            "/__admin/clock",
            &[("content-type", "application/json")],
            exact,
        )
        .await;
    ok.assert_status(400);
}

fn futures_stream(bytes: Vec<u8>) -> Body {
    let chunks: Vec<Result<axum::body::Bytes, std::io::Error>> = bytes
        .chunks(64 * 1024)
        .map(|c| Ok(axum::body::Bytes::copy_from_slice(c)))
        .collect();
    Body::from_stream(tokio_stream_iter(chunks))
}

fn tokio_stream_iter<T: Send + Unpin + 'static>(
    items: Vec<T>,
) -> impl futures_core::Stream<Item = T> + Send + 'static {
    struct Iter<T>(std::vec::IntoIter<T>);
    impl<T> futures_core::Stream for Iter<T>
    where
        T: Unpin,
    {
        type Item = T;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<T>> {
            std::task::Poll::Ready(self.0.next())
        }
    }
    Iter(items.into_iter())
}

#[tokio::test]
async fn head_is_served_where_get_is() {
    let app = TestApp::new();
    let response = app
        .call(Method::HEAD, "/__admin/health", &[], Body::empty())
        .await;
    response.assert_status(200);
    assert!(response.body.is_empty());
}

#[tokio::test]
async fn cors_preflight_allows_browser_calls_with_authorization() {
    let app = TestApp::new();
    let response = app
        .call(
            Method::OPTIONS,
            "/uiEvent/offerDisplays",
            &[
                ("origin", "https://partner.example"),
                ("access-control-request-method", "POST"),
                ("access-control-request-headers", "authorization,content-type"),
            ],
            Body::empty(),
        )
        .await;
    response.assert_status(200);
    assert_eq!(
        response.header("access-control-allow-origin"),
        Some("https://partner.example")
    );
    let allowed = response
        .header("access-control-allow-headers")
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        allowed.contains("authorization") && allowed.contains("content-type"),
        "{allowed}"
    );
}

#[tokio::test]
async fn cors_headers_go_only_to_browsers() {
    let app = TestApp::new();
    let sdk = app.call(Method::GET, "/__admin/health", &[], Body::empty()).await;
    sdk.assert_status(200);
    assert_eq!(sdk.header("access-control-allow-origin"), None);
    assert_eq!(sdk.header("vary"), None);

    let pixel = "/uiEvent/offerDisplays/5dc1ca46-a54e-4b7c-a9a6-a3e6e5e3a0a1/\
                 6f9e7a3b-2f4c-4d5e-8f6a-7b8c9d0e1f2a/7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d/pixel.gif";
    let browser = app
        .call(
            Method::GET,
            pixel,
            &[("origin", "https://partner.example")],
            Body::empty(),
        )
        .await;
    browser.assert_status(200);
    assert_eq!(
        browser.header("access-control-allow-origin"),
        Some("https://partner.example")
    );
    assert_eq!(browser.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(
        browser.header("vary"),
        Some("origin, access-control-request-method, access-control-request-headers")
    );

    // Without an Origin an OPTIONS is not a preflight: the route's own 405.
    let options = app
        .call(Method::OPTIONS, "/uiEvent/offerDisplays", &[], Body::empty())
        .await;
    options.assert_status(405);
}

#[tokio::test]
async fn hostile_inputs_never_panic() {
    let app = TestApp::new();
    let weird_paths = [
        "/__admin/requests?since=%FF%FE",
        "/__admin/requests?limit=99999999999999999999999",
        "/supplyAnalytics/leadEvents?timestamp=%00",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/__admin/clock/advance/extra",
    ];
    for path in weird_paths {
        let response = app.get(path).await;
        assert!(response.status.as_u16() < 500, "{path}: {}", response.status);
    }
    let bodies: [&[u8]; 5] = [
        b"\xff\xfe\x00",
        b"[]",
        b"null",
        b"{\"seconds\":",
        b"{\"seconds\":1,\"seconds\":2}",
    ];
    for body in bodies {
        let response = app
            .call(
                Method::POST,
                "/__admin/clock/advance",
                &[("content-type", "application/json")],
                body.to_vec(),
            )
            .await;
        assert_eq!(
            response.status.as_u16(),
            400,
            "{:?}",
            String::from_utf8_lossy(body)
        );
    }
}

#[tokio::test]
async fn our_specs_are_served_and_every_documented_route_answers() {
    let app = TestApp::new();
    let index = app.get("/__admin/openapi").await;
    index.assert_status(200);
    let specs = index.json()["specs"].as_array().unwrap().clone();
    let families: Vec<&str> = specs.iter().map(|s| s["family"].as_str().unwrap()).collect();
    assert_eq!(
        families,
        [
            "admin",
            "data_analytics",
            "engine",
            "engine-marketplace",
            "engine-offer-searches",
            "engine-v3",
            "finicity",
            "finicity-connect",
            "finicity-decisioning",
            "leadsquared",
            "leadsquared-v2"
        ]
    );
    // The admin spec names every served spec (Schemathesis checks the
    // listing against this enum).
    let admin: serde_json::Value = serde_yaml_ng::from_str(include_str!("../../openapi/admin.yaml")).unwrap();
    let listed = &admin["paths"]["/__admin/openapi"]["get"]["responses"]["200"]["content"]["application/json"]
        ["schema"]["properties"]["specs"]["items"]["properties"]["family"]["enum"];
    assert_eq!(
        listed,
        &serde_json::json!(families),
        "openapi/admin.yaml's spec enum"
    );

    for spec in &specs {
        let family = spec["family"].as_str().unwrap();
        let served = app.get(spec["url"].as_str().unwrap()).await;
        served.assert_status(200);
        assert_eq!(served.header("content-type"), Some("application/yaml"));
        let on_disk =
            std::fs::read_to_string(format!("{}/openapi/{family}.yaml", env!("CARGO_MANIFEST_DIR"))).unwrap();
        assert_eq!(
            served.text(),
            on_disk,
            "{family}: the binary serves the repo's file"
        );

        // Every documented operation is routed: called without credentials
        // or body it may be refused, but never "no such route" or "wrong method".
        let doc: serde_json::Value = serde_yaml_ng::from_str(&on_disk).unwrap();
        for (path, operations) in doc["paths"].as_object().unwrap() {
            let uri = path
                .split('/')
                .map(|segment| {
                    if segment.starts_with('{') {
                        "1005061234"
                    } else {
                        segment
                    }
                })
                .collect::<Vec<_>>()
                .join("/");
            for method in operations.as_object().unwrap().keys() {
                let Ok(method) = Method::from_bytes(method.to_uppercase().as_bytes()) else {
                    continue;
                };
                if method == Method::OPTIONS
                    || !matches!(
                        method,
                        Method::GET | Method::POST | Method::PUT | Method::DELETE | Method::HEAD
                    )
                {
                    continue;
                }
                let response = app.call(method.clone(), &uri, &[], Body::empty()).await;
                // A 404 about the resource is fine; the router's own is not.
                let unrouted = response.status.as_u16() == 405
                    || (response.status.as_u16() == 404 && response.text().contains("No route for"));
                assert!(
                    !unrouted,
                    "{family}: {method} {uri} is documented but answered {}: {}",
                    response.status,
                    response.text()
                );
            }
        }
    }
    app.get("/__admin/openapi/nope.yaml").await.assert_status(404);
}

/// The route table against the specs: a route served but not described, or
/// described but not served, is a defect either way.
#[test]
fn every_served_route_is_documented_and_every_documented_route_is_served() {
    // Parameter names are the spec's business; the shape must match.
    fn shape(path: &str) -> String {
        path.split('/')
            .map(|segment| if segment.starts_with('{') { "{}" } else { segment })
            .collect::<Vec<_>>()
            .join("/")
    }
    let state = leadsim::AppState::new(
        &leadsim::config::Config::defaults(),
        leadsim::Fixtures::embedded().unwrap(),
    );
    let routes = leadsim::routes(&state);
    let served: Vec<(String, String)> = routes
        .table()
        .iter()
        .map(|route| (route.method.to_string(), shape(&route.path)))
        .collect();
    let served_set: BTreeSet<_> = served.iter().cloned().collect();
    assert_eq!(served_set.len(), served.len(), "a route is registered twice");

    let mut documented = BTreeMap::new();
    for (spec, text) in leadsim::openapi_specs(leadsim::FAMILIES) {
        let doc: serde_json::Value = serde_yaml_ng::from_str(text).unwrap();
        // `engine-v3` is another version of `engine`'s routes (one header
        // apart), `finicity-decisioning` Finicity's current flow beside its old one.
        let family = spec.split_once('-').map_or(spec, |(family, _)| family);
        for (path, operations) in doc["paths"].as_object().unwrap() {
            for method in operations.as_object().unwrap().keys() {
                if ["get", "put", "post", "delete", "patch", "head", "options"].contains(&method.as_str()) {
                    let before = documented.insert((method.to_uppercase(), shape(path)), family);
                    assert!(
                        before.is_none_or(|f| f == family),
                        "{spec}: {method} {path} is described by two families' specs"
                    );
                }
            }
        }
    }
    let documented: BTreeSet<_> = documented.into_keys().collect();

    let undocumented: Vec<_> = served_set.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&served_set).collect();
    assert!(
        undocumented.is_empty() && unserved.is_empty(),
        "served but not documented: {undocumented:?}\ndocumented but not served: {unserved:?}"
    );
    // The table is the whole product: all four families and the control plane.
    assert!(served.len() >= 30, "{served:?}");
}

/// A route outside its family's prefixes would be journaled, faulted and
/// answered (404, 405, 413) as another family's: every route in the table
/// maps back to the family whose handler serves it.
#[test]
fn every_route_maps_to_its_family() {
    let state = leadsim::AppState::new(
        &leadsim::config::Config::defaults(),
        leadsim::Fixtures::embedded().unwrap(),
    );
    let routes = leadsim::routes(&state);
    for route in routes.table() {
        assert_eq!(
            leadsim::FAMILIES.of_path(&route.path),
            route.family,
            "{} {}",
            route.method,
            route.path
        );
    }
    let families: BTreeSet<&str> = routes.table().iter().map(|r| r.family.as_str()).collect();
    assert_eq!(
        families.into_iter().collect::<Vec<_>>(),
        ["admin", "data_analytics", "engine", "finicity", "leadsquared"]
    );
}

/// Requests for the verification tests: one per family, with credentials.
async fn traffic(app: &TestApp) {
    let pixel = "/uiEvent/offerDisplays/39197a3f-d2f4-43eb-9999-7f7a154d79bc/eb0e6cc4-df13-42fe-b254-c58c9b35a3d6/a698f56f-0946-4642-9720-5f280bc8b2e0/pixel.gif";
    app.get(pixel).await.assert_status(200);
    app.get(pixel).await.assert_status(200);
    app.get_as(
        "/supplyAnalytics/leadEvents?timestamp=2020-01-01T06:00:00Z",
        CONFIDENTIAL,
    )
    .await
    .assert_status(200);
    app.get_as("/supplyAnalytics/leadEvents", CONFIDENTIAL)
        .await
        .assert_status(422);
    app.post_json(
        "/api/v1/lead_analytics",
        r#"{"customer_id":"acme","lead_id":"L-7","user_id":"u","recording_id":"r","event_type":"view"}"#,
    )
    .await
    .assert_status(201);
    app.call(
        Method::POST,
        "/Leads/LeadDistribution/FilterByLeadField?accessKey=demo-access-key&secretKey=demo-secret-key",
        &[("content-type", "application/json")],
        "not json",
    )
    .await;
}

fn matched(app_response: &common::TestResponse) -> u64 {
    app_response.assert_status(200);
    app_response.json()["matched"].as_u64().unwrap()
}

#[tokio::test]
async fn requests_filter_by_family_method_path_status_credential_and_body() {
    let app = TestApp::at("2020-01-01T08:15:00Z");
    traffic(&app).await;

    let count = |query: &str| {
        let (app, uri) = (app.clone(), format!("/__admin/requests?{query}"));
        async move { matched(&app.get(&uri).await) }
    };
    assert_eq!(count("").await, 6);
    assert_eq!(count("family=engine").await, 4);
    assert_eq!(count("family=leadsquared").await, 1);
    assert_eq!(count("family=data_analytics&method=post").await, 1);
    assert_eq!(count("path=/uiEvent/offerDisplays/").await, 2);
    assert_eq!(count("status=422").await, 1);
    assert_eq!(count("status=200&family=engine").await, 3);
    // Credentials match however they were sent, though the journal redacts them.
    assert_eq!(count(&format!("credential={CONFIDENTIAL}")).await, 2);
    assert_eq!(count("credential=demo-access-key").await, 1);
    assert_eq!(
        count("credential=demo-secret-key").await,
        0,
        "only identifying keys"
    );
    assert_eq!(count("body=L-7").await, 1);
    assert_eq!(count("body=L-7&family=engine").await, 0);

    let listed = app.get("/__admin/requests?status=422").await.json();
    assert_eq!(listed["requests"][0]["path"], "/supplyAnalytics/leadEvents");
    assert!(listed.get("waited").is_none(), "no wait asked, none reported");

    for (query, message) in [
        (
            "family=nope",
            "family: 'nope' is not one of engine, data_analytics, finicity, leadsquared, unknown",
        ),
        (
            "status=99",
            "status: '99' is not 0 (dropped) or an HTTP status from 100 to 599",
        ),
        ("limit=-1", "limit: '-1' is not an integer between 0 and 1000"),
        ("count=2", "count: only with wait"),
        (
            "wait=61",
            "wait: '61' is not a number of seconds between 0 and 60",
        ),
        ("wait=2&count=0", "count: '0' is not an integer of at least 1"),
        (
            "colour=red",
            "colour: unknown filter (use family, method, path, status, credential, body, since, fault, limit, wait or count)",
        ),
        (
            "fault=maybe",
            "fault: 'maybe' is not true, false or a fault id such as fault-1",
        ),
    ] {
        let response = app.get(&format!("/__admin/requests?{query}")).await;
        response.assert_status(400);
        assert_eq!(
            response.json(),
            json!({"error": "bad_request", "message": message}),
            "{query}"
        );
    }
}

#[tokio::test]
async fn a_waiting_request_returns_as_soon_as_enough_requests_arrive() {
    let app = TestApp::at("2020-01-01T08:15:00Z");
    let waiter = {
        let app = app.clone();
        tokio::spawn(async move {
            app.get("/__admin/requests?path=/uiEvent/offerDisplays/&wait=30&count=2")
                .await
                .json()
        })
    };
    // Let the waiter register before the traffic starts.
    tokio::task::yield_now().await;
    traffic(&app).await;
    let body = tokio::time::timeout(std::time::Duration::from_secs(10), waiter)
        .await
        .expect("the wait ended when the second hit arrived, not at its timeout")
        .unwrap();
    assert_eq!(body["waited"], json!({"count": 2, "satisfied": true}));
    assert_eq!(body["matched"], 2);
    assert_eq!(body["requests"].as_array().unwrap().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_wait_that_is_not_satisfied_ends_at_its_timeout() {
    let app = TestApp::at("2020-01-01T08:15:00Z");
    traffic(&app).await;
    let started = tokio::time::Instant::now();
    let body = app
        .get("/__admin/requests?path=/uiEvent/offerDisplays/&wait=20&count=3")
        .await
        .json();
    assert_eq!(started.elapsed(), std::time::Duration::from_secs(20));
    assert_eq!(body["waited"], json!({"count": 3, "satisfied": false}));
    assert_eq!(body["matched"], 2, "what did arrive is still listed");

    // Already satisfied: no waiting at all.
    let started = tokio::time::Instant::now();
    let body = app
        .get("/__admin/requests?path=/uiEvent/offerDisplays/&wait=20&count=2")
        .await
        .json();
    assert_eq!(started.elapsed(), std::time::Duration::ZERO);
    assert_eq!(body["waited"]["satisfied"], true);
}

#[tokio::test]
async fn the_admin_page_shows_the_clock_and_the_latest_requests_escaped() {
    let app = TestApp::at("2020-01-01T08:15:00Z");
    traffic(&app).await;
    app.post_json(
        "/api/v1/lead_analytics",
        r#"{"customer_id":"<script>alert(1)</script>"}"#,
    )
    .await
    .assert_status(422);

    for uri in ["/__admin/", "/__admin"] {
        let page = app.get(uri).await;
        page.assert_status(200);
        assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
        let html = page.text();
        assert!(
            html.contains("<code>2020-01-01T08:15:00Z</code> — frozen"),
            "{html}"
        );
        // Newest first: the hostile body is the first row, escaped, never markup.
        let newest = html.find("<code>POST /api/v1/lead_analytics</code>").unwrap();
        let pixel = html.find("pixel.gif").unwrap();
        assert!(newest < pixel);
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!html.contains("<script>"));
        assert!(html.contains(r#"<td class="client-error">422</td>"#));
        assert!(!html.contains("http-equiv=\"refresh\""));
    }
    let refreshing = app.get("/__admin/?refresh=5").await.text();
    assert!(refreshing.contains(r#"<meta http-equiv="refresh" content="5">"#));
}

#[tokio::test]
async fn the_admin_page_shows_tenants_faults_and_which_requests_a_fault_shaped() {
    let app = TestApp::at("2020-01-01T08:15:00Z");
    let html = app.get("/__admin/").await.text();
    assert!(html.contains("<h2>Active faults <small>0</small></h2>"), "{html}");
    assert!(html.contains("<code>demo-access-key</code>"));

    app.post_json(
        "/__admin/tenants",
        r#"{"family": "leadsquared", "name": "ci-<job>", "credentials": {"accessKey": "page-key"}}"#,
    )
    .await
    .assert_status(201);
    app.post_json(
        "/__admin/faults",
        r#"{"match": {"family": "engine"}, "effect": {"type": "drop"}, "times": 2}"#,
    )
    .await
    .assert_status(201);
    let pixel = "/uiEvent/offerDisplays/a/b/c/pixel.gif";
    let request = Request::get(pixel).body(Body::empty()).unwrap();
    assert!(app.try_send(request).await.is_none(), "the connection is dropped");

    let html = app.get("/__admin/").await.text();
    assert!(
        html.contains("<td><code>page-key</code></td><td>ci-&lt;job&gt;</td>"),
        "{html}"
    );
    assert!(
        html.contains("<td>25 / 5 s</td><td class=\"muted\">runtime</td>"),
        "{html}"
    );
    assert!(html.contains("<h2>Active faults <small>1</small></h2>"), "{html}");
    assert!(html.contains("<td><code>fault-1</code></td>"));
    assert!(
        html.contains("<td>2</td><td>always</td><td>1</td><td>1</td>"),
        "{html}"
    );
    assert!(
        html.contains(r#"<td class="server-error">dropped</td>"#),
        "{html}"
    );
    assert!(html.contains("<code>fault-1 drop</code>"));
}

#[tokio::test]
async fn the_root_sends_a_browser_to_the_admin_page() {
    let app = TestApp::new();
    let root = app.get("/").await;
    root.assert_status(303);
    assert_eq!(root.header("location"), Some("/__admin/"));
    // Only GET and HEAD: anything else at `/` is an unknown route.
    let post = app.post_json("/", "{}").await;
    post.assert_status(404);
    assert_eq!(post.json()["error"], "not_found");
}

#[tokio::test]
async fn the_admin_page_links_every_view_and_shows_a_requests_redacted_headers() {
    let app = TestApp::at("2020-01-01T08:15:00Z");
    app.get_as(
        "/supplyAnalytics/leadEvents?timestamp=2020-01-01T07:00:00Z",
        CONFIDENTIAL,
    )
    .await
    .assert_status(200);
    let html = app.get("/__admin/").await.text();
    for view in [
        "/__admin/requests",
        "/__admin/engine/offerDisplays",
        "/__admin/engine/sessionInits",
        "/__admin/engine/leads",
        "/__admin/finicity/callbacks",
        "/__admin/data_analytics/events",
        "/__admin/tenants",
        "/__admin/faults",
    ] {
        assert!(html.contains(&format!("href=\"{view}\"")), "{view} is not linked");
    }
    // The request's headers, on demand, redacted with their fingerprint.
    assert!(
        html.contains("authorization: Bearer [redacted:13d23f5f]"),
        "{html}"
    );
    // The clock's offset in words.
    assert!(html.contains("behind real time ("), "{html}");
}

/// docs/node.md shows the example files CI runs: each code block that
/// names a file under `clients/node/examples` holds that file, whole.
#[test]
fn the_node_page_shows_the_examples_ci_runs() {
    let root = env!("CARGO_MANIFEST_DIR");
    let page = std::fs::read_to_string(format!("{root}/docs/node.md")).unwrap();
    let mut shown = 0;
    for block in page.split("```js\n").skip(1) {
        let block = block.split("\n```").next().unwrap();
        let Some((first, rest)) = block.split_once('\n') else {
            continue;
        };
        let Some(file) = first
            .strip_prefix("// ")
            .filter(|f| f.starts_with("clients/node/examples/"))
        else {
            continue;
        };
        let actual = std::fs::read_to_string(format!("{root}/{file}")).unwrap();
        assert_eq!(
            rest,
            actual.trim_end_matches('\n'),
            "docs/node.md shows {file} otherwise than it is"
        );
        shown += 1;
    }
    assert_eq!(shown, 4, "the Jest config, code, test and the Vitest config");
}

#[tokio::test]
async fn with_journal_responses_the_journal_keeps_what_was_answered_redacted() {
    let mut config = leadsim::config::Config::defaults();
    config.now = leadsim::parse_rfc3339("2020-01-01T08:15:00Z");
    config.journal_responses = true;
    let app = TestApp::with(config, leadsim::Fixtures::embedded().unwrap());
    // A partner token in a response body is a credential too.
    let token = app.finicity_token().await;
    app.get_as(
        "/supplyAnalytics/leadEvents?timestamp=2020-01-01T09:00:00Z",
        CONFIDENTIAL,
    )
    .await
    .assert_status(422);
    let listing = app.get("/__admin/requests").await.json();
    let [window, login] = [&listing["requests"][0], &listing["requests"][1]];
    let response = &window["response"];
    assert_eq!(window["status"], 422);
    assert_eq!(response["complete"], true, "{response}");
    assert!(
        response["headers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h[0] == "content-type")
    );
    assert!(
        response["body"].as_str().unwrap().contains("timestamp"),
        "{response}"
    );
    assert_eq!(
        response["bodyBytes"].as_u64().unwrap() as usize,
        response["body"].as_str().unwrap().len()
    );
    let login_body = login["response"]["body"].as_str().unwrap();
    assert!(login_body.starts_with(r#"{"token":"[redacted:"#), "{login_body}");
    assert!(!listing.to_string().contains(&token));
    // The admin page shows it on demand.
    let html = app.get("/__admin/").await.text();
    assert!(html.contains("Response 422"), "{html}");
}

#[tokio::test]
async fn without_the_flag_no_response_is_kept() {
    let app = TestApp::at("2020-01-01T08:15:00Z");
    app.get_as(
        "/supplyAnalytics/leadEvents?timestamp=2020-01-01T07:00:00Z",
        CONFIDENTIAL,
    )
    .await
    .assert_status(200);
    let listing = app.get("/__admin/requests").await.json();
    assert!(listing["requests"][0].get("response").is_none(), "{listing}");
}
