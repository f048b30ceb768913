//! The physical limit for leadsim's hot routes: a bare axum server that
//! serves the same bytes with no logic, journal, CORS or tracing.
//! Benchmarks report leadsim's throughput as a ratio to this, measured in
//! the same run on the same machine.
//!
//! Bodies that depend on leadsim's data (a Finicity report as JSON and PDF,
//! a LeadSquared aggregate) are read from files the benchmark script first
//! fetched from leadsim, so both servers send exactly the same bytes.
//!
//! `cargo run --release --example baseline -- 127.0.0.1:18081 [BODIES_DIR]`
//!
//! With `BASELINE_SPIN_NS=N` in the environment, every request first spins
//! for N ns of CPU: `bench/headroom.sh` uses it to measure how the ratio
//! falls as a server adds work, on the host at hand.

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::{MethodRouter, get, post};

const PIXEL: [u8; 43] = [
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff,
    0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
    0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

const DISPLAY: &str = r#"{"id":1,"uuid":"7e8c2908-dd34-4dea-a558-b0330fc234a8","leadUuid":"f914eb07-a64f-51d8-b882-ff508a8c5c81","rateTableUuid":"952a1184-d369-5958-9a0f-bec903e11c48","offerUuid":"3426f971-1aa5-5cb0-91a9-cf2edcfa5dfa","createdAt":"2020-01-01T08:15:00.000Z","createdBy":"3f1a6c2e-8b4d-4e7a-9c21-5d0b7e9f4a10"}"#;

const LEAD_EVENT: &str = r#"{"customer_id":"bench","lead_id":"lead-1","user_id":"u1","tool_signature":"vfp","recording_id":"r1","event_type":"view","event_id":"e1","message":"m","entityType":"lead_analytics_event","partitionKey":"Lead analytics event|a4d45290-af9b-11e8-b20e-0d4f82fa24f6","sortKey":"bench","created_at":"2018-09-03T17:06:05.719Z","updated_at":"2018-09-03T17:06:05.719Z"}"#;

/// A GET answering `body` as JSON.
fn json_get(body: Bytes) -> MethodRouter {
    get(move || async move { ([(header::CONTENT_TYPE, "application/json")], body) })
}

/// A POST that reads the request's body, as leadsim does, and answers
/// `body` as JSON with `status`.
fn json_post(status: StatusCode, body: Bytes) -> MethodRouter {
    post(move |request: Bytes| async move {
        drop(request);
        (status, [(header::CONTENT_TYPE, "application/json")], body)
    })
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18081".to_owned());
    let bodies = std::env::args().nth(2).map(std::path::PathBuf::from);
    let body = |name: &str| -> Bytes {
        bodies
            .as_ref()
            .and_then(|dir| std::fs::read(dir.join(name)).ok())
            .unwrap_or_default()
            .into()
    };
    let (report_json, report_pdf, aggregate, v3_page, rate_table) = (
        body("report.json"),
        body("report.pdf"),
        body("aggregate.json"),
        body("v3_page.json"),
        body("rate_table.json"),
    );
    let (search_created, search_polled) = (body("search_created.json"), body("search_polled.json"));
    let transactions = body("transactions.json");
    let (lsq_lead, lsq_capture) = (body("lsq_lead.json"), body("lsq_capture.json"));
    // The bytes leadsim answered on these routes, when the script fetched
    // them; the small constants otherwise.
    let or = |name: &str, fallback: &'static str| -> Bytes {
        let fetched = body(name);
        if fetched.is_empty() {
            Bytes::from_static(fallback.as_bytes())
        } else {
            fetched
        }
    };
    let (window, display, da_post, da_search) = (
        or("events.json", DISPLAY),
        or("display.json", DISPLAY),
        or("da_post.json", LEAD_EVENT),
        or("da_search.json", LEAD_EVENT),
    );
    let app = Router::new()
        .route(
            "/uiEvent/offerDisplays/{a}/{b}/{c}/pixel.gif",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "image/gif"),
                        (header::CACHE_CONTROL, "no-store"),
                    ],
                    PIXEL.as_slice(),
                )
            }),
        )
        .route("/uiEvent/offerDisplays", json_post(StatusCode::CREATED, display))
        .route("/supplyAnalytics/leadEvents", json_get(window))
        // A full Supply Analytics v3 page, as leadsim served it.
        .route("/supplyAnalytics/v3page", json_get(v3_page))
        .route("/api/v1/lead_analytics", json_post(StatusCode::CREATED, da_post))
        .route("/api/v1/lead_analytics/search", json_get(da_search))
        .route(
            "/analytics/data/v1/{id}",
            get(move |headers: HeaderMap| async move {
                let pdf = headers
                    .get(header::ACCEPT)
                    .is_some_and(|v| v.as_bytes().starts_with(b"application/pdf"));
                if pdf {
                    ([(header::CONTENT_TYPE, "application/pdf")], report_pdf)
                } else {
                    ([(header::CONTENT_TYPE, "application/json")], report_json)
                }
            }),
        )
        // A submitted lead's rate table, as leadsim answered one.
        .route("/leads/rateTables", json_post(StatusCode::OK, rate_table))
        // An Offer Search as leadsim answered its creation, and a poll of one.
        .route("/offerSearches", json_post(StatusCode::OK, search_created))
        .route("/offerSearches/{uuid}", json_get(search_polled))
        // A page of Finicity transactions of a linked account, as leadsim sent it.
        .route(
            "/aggregation/v3/customers/{id}/transactions",
            json_get(transactions),
        )
        // LeadSquared v2: a lead read by id, and a repeat capture's answer.
        .route("/v2/LeadManagement.svc/Leads.GetById", json_get(lsq_lead))
        .route(
            "/v2/LeadManagement.svc/Lead.Capture",
            json_post(StatusCode::OK, lsq_capture),
        )
        .route(
            "/Leads/LeadDistribution/FilterByLeadField",
            json_post(StatusCode::OK, aggregate),
        );
    let spin = std::env::var("BASELINE_SPIN_NS")
        .ok()
        .and_then(|ns| ns.parse().ok())
        .map(std::time::Duration::from_nanos);
    let app = match spin {
        None => app,
        Some(spin) => app.layer(axum::middleware::map_request(
            move |request: axum::extract::Request| async move {
                let started = std::time::Instant::now();
                while started.elapsed() < spin {
                    std::hint::spin_loop();
                }
                request
            },
        )),
    };
    let listener = tokio::net::TcpListener::bind(&address).await?;
    axum::serve(listener, app).await
}
