//! Hardening, round 2: secrets wherever requests are shown, the admin
//! token, deliveries leadsim sends (to its own admin API, across a reset,
//! to receivers that hang), and HTTP framing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::common;

use axum::http::Method;
use common::{PUBLISHABLE, TestApp, TestResponse};
use leadsim::Fixtures;
use leadsim::config::Config;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const NOW: &str = "2026-03-02T10:20:00Z";
const CUSTOMER: &str = "1005061234";
const BUSINESS: &str = r#"{"name": "B&G Construction", "personallyLiable": false,
    "address": {"addressLine1": "123 Main St", "city": "Portland", "state": "OR", "country": "US", "postalCode": "97205"},
    "phoneNumber": {"countryCode": "1", "phoneNo": "5035550100"}}"#;

async fn journal(app: &TestApp) -> Value {
    app.journal("").await
}

#[tokio::test]
async fn a_duplicated_member_cannot_smuggle_a_secret_past_the_journal() {
    let app = TestApp::at(NOW);
    let body = r#"{"productTypes":["loan"],
        "personalInformation":{"ssn":"123-45-6780","dateOfBirth":"1990-01-02","email":"ada@example.com","primaryPhone":"5125550100"},
        "personalInformation":{"state":"TX"},
        "financialInformation":{"annualIncome":90000},"financialInformation":{}}"#;
    app.post_json_as("/leads/rateTables", PUBLISHABLE, body).await;
    let shown = journal(&app).await.to_string();
    for secret in [
        "123-45-6780",
        "1990-01-02",
        "ada@example.com",
        "5125550100",
        "90000",
    ] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert!(shown.contains(r#"\"state\":\"TX\""#), "{shown}");
    // The body filter matches what is shown, never the hidden value.
    let found = app.get("/__admin/requests?body=123-45").await.json();
    assert_eq!(found["matched"], 0, "{found}");
    let page = app.get("/__admin/").await.text();
    for secret in ["123-45-6780", "1990-01-02", "ada@example.com"] {
        assert!(!page.contains(secret), "{secret} on the admin page");
    }
}

#[tokio::test]
async fn contact_details_are_personal_in_every_family() {
    let app = TestApp::at(NOW);
    let token = app.finicity_token().await;
    let consumer = r#"{"firstName":"Grace","lastName":"Bennett","email":"grace@example.com",
        "phone":"5035550100","ssn":"999-99-1234","birthday":{"year":1980,"month":4,"dayOfMonth":2},"state":"OR"}"#;
    finicity(
        &app,
        &token,
        Method::POST,
        &format!("/decisioning/v1/customers/{CUSTOMER}/consumer"),
        consumer,
    )
    .await;
    app.post_json_as(
        "/leads/rateTables",
        PUBLISHABLE,
        r#"{"productTypes":["loan"],"personalInformation":{"firstName":"Ada","lastName":"L","email":"ada@example.com","workPhone":"5125550101"}}"#,
    )
    .await;
    let shown = journal(&app).await.to_string();
    for secret in [
        "grace@example.com",
        "5035550100",
        "Bennett",
        "ada@example.com",
        "5125550101",
        "999-99-1234",
    ] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
}

async fn finicity(app: &TestApp, token: &str, method: Method, uri: &str, body: &str) -> TestResponse {
    let headers = [
        ("finicity-app-key", "demo-app-key"),
        ("finicity-app-token", token),
        ("content-type", "application/json"),
        ("accept", "application/json"),
    ];
    app.call(method, uri, &headers, body.to_owned()).await
}

/// The fixture customer's business record, which business reports need.
async fn add_business(app: &TestApp, token: &str) {
    let path = format!("/business-services/customers/{CUSTOMER}/businesses");
    finicity(app, token, Method::POST, &path, BUSINESS)
        .await
        .assert_status(200);
}

/// Asks for a business balance report that calls `callback` back when done.
async fn report_with_callback(app: &TestApp, token: &str, callback: &str) -> TestResponse {
    report_for(app, token, CUSTOMER, callback).await
}

async fn report_for(app: &TestApp, token: &str, customer: &str, callback: &str) -> TestResponse {
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("callbackUrl", callback)
        .finish();
    let uri =
        format!("/decisioning/v2/customers/{customer}/reports/balance-analytics/userTypes/business?{query}");
    finicity(app, token, Method::POST, &uri, "{}").await
}

/// A new testing customer with a business, for more reports than one
/// customer may have.
async fn business_customer(app: &TestApp, token: &str, n: usize) -> String {
    let body = format!(r#"{{"username": "storm-tester-{n}", "firstName": "Ann", "lastName": "Storm"}}"#);
    let created = finicity(
        app,
        token,
        Method::POST,
        "/aggregation/v2/customers/testing",
        &body,
    )
    .await;
    created.assert_status(201);
    let id = created.json()["id"].as_str().unwrap().to_owned();
    finicity(
        app,
        token,
        Method::POST,
        &format!("/business-services/customers/{id}/businesses"),
        BUSINESS,
    )
    .await
    .assert_status(200);
    id
}

/// Waits until `done` holds, looking every 20 ms at most `tries` times;
/// the caller asserts what it waited for.
async fn until(done: impl Fn() -> bool, tries: usize) {
    for _ in 0..tries {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The callback listing once `done` says it is complete (at most ~5 s).
async fn deliveries_when(app: &TestApp, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let mut listed = Vec::new();
    for _ in 0..250 {
        listed = app.get("/__admin/finicity/callbacks").await.json()["deliveries"]
            .as_array()
            .unwrap()
            .clone();
        if done(&listed) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    listed
}

#[tokio::test]
async fn a_password_in_a_callback_url_is_never_shown() {
    let app = TestApp::at(NOW);
    let token = app.finicity_token().await;
    add_business(&app, &token).await;
    report_with_callback(&app, &token, "http://user:pa55word@127.0.0.1:9/cb")
        .await
        .assert_status(202);
    let shown = journal(&app).await.to_string();
    assert!(!shown.contains("pa55word"), "{shown}");
    assert!(shown.contains("%5Bredacted%5D%40127.0.0.1"), "{shown}");
    assert!(!app.get("/__admin/").await.text().contains("pa55word"));
    app.advance(120).await;
    let listed = deliveries_when(&app, |d| !d.is_empty()).await;
    assert_eq!(listed[0]["url"], "http://[redacted]@127.0.0.1:9/cb", "{listed:?}");
}

#[tokio::test]
async fn the_admin_token_in_a_query_opens_only_the_html_page() {
    let mut config = Config::defaults();
    config.admin_token = Some("admin-s3cret".to_owned());
    config.now = leadsim::parse_rfc3339(NOW);
    let app = TestApp::with(config, Fixtures::embedded().unwrap());
    app.get("/__admin/?token=admin-s3cret").await.assert_status(200);
    app.get("/__admin?token=admin-s3cret").await.assert_status(200);
    let changes: [(Method, &str, &str); 8] = [
        (Method::POST, "/__admin/reset", ""),
        (Method::PUT, "/__admin/clock", r#"{"now":"2030-01-01T00:00:00Z"}"#),
        (Method::POST, "/__admin/clock/advance", r#"{"seconds":60}"#),
        (Method::DELETE, "/__admin/clock", ""),
        (Method::DELETE, "/__admin/requests", ""),
        (Method::POST, "/__admin/tenants", r#"{"family":"engine"}"#),
        (
            Method::POST,
            "/__admin/faults",
            r#"{"match":{"path":"/x"},"respond":{"status":500}}"#,
        ),
        (Method::GET, "/__admin/tenants", ""),
    ];
    for (method, path, body) in changes {
        let response = app
            .call(
                method.clone(),
                &format!("{path}?token=admin-s3cret"),
                &[("content-type", "application/json")],
                body.to_owned(),
            )
            .await;
        assert_eq!(response.status, 401, "{method} {path}: {}", response.text());
    }
    let clock = app
        .call(
            Method::GET,
            "/__admin/clock",
            &[("x-leadsim-admin-token", "admin-s3cret")],
            "",
        )
        .await
        .json();
    assert_eq!(clock["now"], NOW, "nothing changed: {clock}");
}

#[tokio::test]
async fn a_callback_to_leadsims_admin_api_is_refused_and_changes_nothing() {
    let app = TestApp::at(NOW);
    let address = app.serve().await;
    let token = app.finicity_token().await;
    add_business(&app, &token).await;
    for path in [
        "/__admin/reset",
        "/%5F%5Fadmin/reset",
        "//__admin/clock/advance",
        "/x/../__admin/reset",
    ] {
        report_with_callback(&app, &token, &format!("http://{address}{path}"))
            .await
            .assert_status(202);
    }
    app.advance(120).await;
    let listed = deliveries_when(&app, |d| {
        d.len() == 4 && d.iter().all(|d| d["outcome"] != "pending")
    })
    .await;
    assert_eq!(listed.len(), 4, "{listed:?}");
    for delivery in &listed {
        assert_eq!(delivery["outcome"], "refused", "{delivery}");
        assert_eq!(delivery["attempts"].as_array().unwrap().len(), 1);
        assert!(
            delivery["attempts"][0]["error"]
                .as_str()
                .unwrap()
                .contains("admin"),
            "{delivery}"
        );
    }
    // No reset ran: the clock is where the test put it, the business is there.
    assert_eq!(app.now().await, "2026-03-02T10:22:00Z");
    assert!(
        app.get("/__admin/requests").await.json()["recorded"]
            .as_u64()
            .unwrap()
            > 0
    );
}

/// A receiver that accepts connections and never answers; counts how many
/// are open at once, and how many closed.
struct HangingReceiver {
    address: std::net::SocketAddr,
    open: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
    closed: Arc<AtomicUsize>,
}

async fn hanging_receiver() -> HangingReceiver {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (open, peak, closed) = (
        Arc::<AtomicUsize>::default(),
        Arc::<AtomicUsize>::default(),
        Arc::<AtomicUsize>::default(),
    );
    let counters = (open.clone(), peak.clone(), closed.clone());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let (open, peak, closed) = (counters.0.clone(), counters.1.clone(), counters.2.clone());
            let now_open = open.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now_open, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buffer = [0u8; 4096];
                // Read the request, answer nothing, wait for the other side to go.
                while let Ok(n) = stream.read(&mut buffer).await {
                    if n == 0 {
                        break;
                    }
                }
                open.fetch_sub(1, Ordering::SeqCst);
                closed.fetch_add(1, Ordering::SeqCst);
            });
        }
    });
    HangingReceiver {
        address,
        open,
        peak,
        closed,
    }
}

#[tokio::test]
async fn a_reset_cancels_deliveries_in_flight() {
    let app = TestApp::at(NOW);
    let receiver = hanging_receiver().await;
    let token = app.finicity_token().await;
    add_business(&app, &token).await;
    report_with_callback(&app, &token, &format!("http://{}/hook", receiver.address))
        .await
        .assert_status(202);
    app.advance(120).await;
    until(|| receiver.open.load(Ordering::SeqCst) == 1, 250).await;
    assert_eq!(
        receiver.open.load(Ordering::SeqCst),
        1,
        "the delivery is in flight"
    );
    app.post_json("/__admin/reset", "").await.assert_status(200);
    until(|| receiver.closed.load(Ordering::SeqCst) == 1, 100).await;
    assert_eq!(
        receiver.closed.load(Ordering::SeqCst),
        1,
        "the reset closed the connection"
    );
    // And nothing comes back later: no retry, no listing.
    tokio::time::sleep(Duration::from_millis(1_700)).await;
    assert_eq!(receiver.open.load(Ordering::SeqCst), 0);
    assert_eq!(receiver.peak.load(Ordering::SeqCst), 1);
    let listed = app.get("/__admin/finicity/callbacks").await.json();
    assert_eq!(listed["deliveries"], json!([]), "{listed}");
}

#[tokio::test]
async fn deliveries_to_a_hanging_receiver_are_bounded_and_the_vendor_routes_stay_fast() {
    let app = TestApp::at(NOW);
    let address = app.serve().await;
    let receiver = hanging_receiver().await;
    let token = app.finicity_token().await;
    add_business(&app, &token).await;
    let reports = leadsim::MAX_DELIVERIES_IN_FLIGHT + 36;
    let mut customers = Vec::new();
    for n in 0..reports.div_ceil(40) {
        customers.push(business_customer(&app, &token, n).await);
    }
    for n in 0..reports {
        report_for(
            &app,
            &token,
            &customers[n / 40],
            &format!("http://{}/hook", receiver.address),
        )
        .await
        .assert_status(202);
    }
    app.advance(120).await;
    until(
        || receiver.open.load(Ordering::SeqCst) >= leadsim::MAX_DELIVERIES_IN_FLIGHT,
        250,
    )
    .await;
    // Saturated, never past the bound, while the rest wait their turn.
    assert_eq!(
        receiver.open.load(Ordering::SeqCst),
        leadsim::MAX_DELIVERIES_IN_FLIGHT
    );
    let pending = app.get("/__admin/finicity/callbacks").await.json()["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["outcome"] == "pending")
        .count();
    assert_eq!(pending, reports);
    // The pixel answers over a real connection meanwhile.
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let started = std::time::Instant::now();
    stream
        .write_all(
            b"GET /uiEvent/offerDisplays/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d/1a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d/\
              2a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d/pixel.gif HTTP/1.1\r\nHost: leadsim\r\nConnection: close\r\n\r\n",
        )
        .await
        .unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("image/gif"), "{answer}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(receiver.peak.load(Ordering::SeqCst) <= leadsim::MAX_DELIVERIES_IN_FLIGHT);
    app.post_json("/__admin/reset", "").await.assert_status(200);
}

/// What leadsim's own server answers to a raw request.
async fn raw(request: &[u8]) -> String {
    let app = TestApp::at(NOW);
    let address = app
        .serve_under(leadsim::server::Limits::from_config(&Config::defaults()))
        .await;
    String::from_utf8_lossy(&common::raw_exchange(address, request).await).into_owned()
}

#[tokio::test]
async fn a_request_without_host_or_with_two_gets_400_in_the_familys_shape() {
    let missing = raw(b"GET /supplyAnalytics/leadEvents HTTP/1.1\r\n\r\n").await;
    assert!(missing.starts_with("HTTP/1.1 400"), "{missing}");
    assert!(missing.contains("no Host header"), "{missing}");
    assert!(
        missing.to_ascii_lowercase().contains("connection: close"),
        "{missing}"
    );
    let two = raw(b"GET /Leads/x HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n").await;
    assert!(two.starts_with("HTTP/1.1 400"), "{two}");
    assert!(two.contains("more than one Host header"), "{two}");
    let admin = raw(b"GET /__admin/health HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n").await;
    assert!(admin.starts_with("HTTP/1.1 400"), "{admin}");
    assert!(admin.contains(r#""error":"bad_request""#), "{admin}");
    // HTTP/1.0 has no Host requirement; one Host is what 1.1 wants.
    let old = raw(b"GET /__admin/health HTTP/1.0\r\n\r\n").await;
    assert!(
        old.starts_with("HTTP/1.0 200") || old.starts_with("HTTP/1.1 200"),
        "{old}"
    );
    let fine = raw(b"GET /__admin/health HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").await;
    assert!(fine.starts_with("HTTP/1.1 200"), "{fine}");
}
