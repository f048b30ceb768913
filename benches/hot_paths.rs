//! Micro-benchmarks of leadsim's pure hot paths, without HTTP: Engine window
//! generation, Finicity report computation and PDF rendering, and the
//! LeadSquared query engine; plus the hottest routes through the whole
//! application (layers, routing, handler) without sockets, which isolates
//! leadsim's own cost per request from the kernel's. `cargo bench --bench hot_paths`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use chrono::TimeDelta;
use divan::Bencher;
use leadsim::Fixtures;
use leadsim::Seed;
use leadsim::engine::Companies;
use leadsim::engine::Simulation;
use leadsim::engine::lead_ids;
use leadsim::engine::{Feed, Windows};
use leadsim::finicity::report::{self, ReportRequest, ReportSpec};
use leadsim::finicity::{ContactDetails, FinicityState, pdf};
use leadsim::leadsquared::LeadSquaredState;
use leadsim::leadsquared::query::{self, Query, Request};
use leadsim::parse_rfc3339;

/// The server's allocator, so the figures match what it does, counted:
/// divan reports allocations per iteration beside the time (a route's count
/// against bare axum's is what leadsim allocates per request).
#[global_allocator]
static GLOBAL: divan::AllocProfiler<mimalloc::MiMalloc> = divan::AllocProfiler::new(mimalloc::MiMalloc);

fn main() {
    divan::main();
}

const SEED: Seed = Seed::new(42);

fn engine() -> Companies {
    Companies::from_fixtures(&Fixtures::embedded().unwrap().of(&leadsim::engine::SPEC).unwrap())
}

/// One creation hour of the default company (about 10 leads and their funnels).
#[divan::bench]
fn engine_generate_hour(bencher: Bencher) {
    let companies = engine();
    let company = &companies.all()[0];
    let simulation = Simulation {
        seed: SEED,
        company,
        tag: lead_ids::company_tag(SEED, company.uuid),
    };
    let hour = parse_rfc3339("2020-02-10T00:00:00Z").unwrap();
    let mut n = 0;
    bencher.bench_local(|| {
        n += 1;
        simulation.hour(hour + TimeDelta::hours(n % 10_000))
    });
}

/// A leadEvents window with nothing cached: 13 days of funnels generated.
#[divan::bench(sample_count = 30, sample_size = 1)]
fn engine_cold_window(bencher: Bencher) {
    let companies = engine();
    let company = companies.all()[0].clone();
    let start = parse_rfc3339("2020-02-10T00:00:00Z").unwrap();
    bencher
        .with_inputs(|| Windows::new(SEED, &companies))
        .bench_local_values(|windows| {
            windows.data_json(&company, Feed::Events, start);
            windows
        });
}

/// The next window of a walk: one new creation hour, the rest cached.
#[divan::bench]
fn engine_next_window(bencher: Bencher) {
    let companies = engine();
    let company = companies.all()[0].clone();
    let windows = Windows::new(SEED, &companies);
    let start = parse_rfc3339("2020-02-10T00:00:00Z").unwrap();
    windows.data_json(&company, Feed::Events, start);
    let mut n = 0;
    bencher.bench_local(|| {
        n += 1;
        windows.data_json(&company, Feed::Events, start + TimeDelta::hours(n))
    });
}

fn finicity_report(days: u32) -> Arc<ReportSpec> {
    let fixtures = Fixtures::embedded().unwrap();
    let finicity = FinicityState::new(&fixtures.of(&leadsim::finicity::SPEC).unwrap(), SEED);
    let now = parse_rfc3339("2026-11-23T18:00:00Z").unwrap();
    let customer = finicity
        .customers
        .enroll_testing(0, "bench-customer", None, None, ContactDetails::default(), now)
        .unwrap();
    finicity.reports.create(ReportRequest {
        fcra: false,
        partner: 0,
        requester_name: "Bench".into(),
        account_ids: customer.accounts.iter().map(|a| a.id).collect(),
        customer,
        length_days: days,
        reference_number: None,
        created: now,
    })
}

/// Balances and every metric of a report over three accounts.
#[divan::bench(args = [90, 730])]
fn finicity_report_build(bencher: Bencher, days: u32) {
    let spec = finicity_report(days);
    bencher.bench_local(|| report::build(&spec));
}

/// The report as JSON, as `GET /analytics/data/v1/{id}` sends it.
#[divan::bench(args = [90, 730])]
fn finicity_report_json(bencher: Bencher, days: u32) {
    let report = report::build(&finicity_report(days));
    bencher.bench_local(|| serde_json::to_vec(&report).unwrap());
}

/// The report as PDF.
#[divan::bench(args = [90, 730])]
fn finicity_report_pdf(bencher: Bencher, days: u32) {
    let report = report::build(&finicity_report(days));
    bencher.bench_local(|| pdf::render(&report, false));
}

/// Aggregates over the bench fixtures' 20,000 LeadSquared leads.
#[divan::bench(args = ["by-source", "like-by-owner"])]
fn leadsquared_aggregate(bencher: Bencher, name: &str) {
    let fixtures = Fixtures::load(Some(Path::new("bench/fixtures"))).unwrap();
    let lsq = LeadSquaredState::new(&fixtures.of(&leadsim::leadsquared::SPEC).unwrap(), SEED).catalog();
    let now = parse_rfc3339("2026-11-23T10:00:00Z").unwrap();
    let (index, account) = lsq.account("demo-access-key", "demo-secret-key").unwrap();
    let leads = lsq.leads(index, now.date_naive());
    let body = match name {
        "by-source" => {
            r#"{"Output":{"Type":"aggregate","GroupBy":"Source","AggregateFunction":"Average,Sum,Min,Max","AggregateField":"Score"}}"#
        }
        _ => {
            r#"{"ReportFilter":{"LeadFilters":[{"LookUpName":"Source","LookUpValue":"%search","SqlOperator":"LIKE"}]},"Output":{"Type":"aggregate","GroupBy":"OwnerId","AggregateFunction":"Average","AggregateField":"EngagementScore"}}"#
        }
    };
    bencher.bench_local(|| {
        let request: Request = serde_json::from_str(body).unwrap();
        let query = Query::from_request(request).unwrap();
        query::run(&query, &account.users, &leads, now.naive_utc())
    });
}

/// The whole application in-process, frozen at a time the bench fixtures serve.
fn application() -> leadsim::App {
    let mut config = leadsim::config::Config::defaults();
    config.now = parse_rfc3339("2030-01-01T00:00:00Z");
    let fixtures = Fixtures::load(Some(Path::new("bench/fixtures"))).unwrap();
    leadsim::app(leadsim::AppState::new(&config, fixtures))
}

/// Sends one request through the application and drains the response.
fn serve<S>(runtime: &tokio::runtime::Runtime, app: &S, request: http::Request<Body>)
where
    S: tower::Service<
            http::Request<Body>,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        > + Clone,
{
    use tower::ServiceExt;
    runtime.block_on(async {
        let response = app.clone().oneshot(request).await.unwrap();
        assert!(response.status().is_success(), "{}", response.status());
        axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
    });
}

/// A single-threaded runtime with timers, as the route benches drive the app.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
}

const PIXEL_PATH: &str = "/uiEvent/offerDisplays/f914eb07-a64f-51d8-b882-ff508a8c5c81/952a1184-d369-5958-9a0f-bec903e11c48/3426f971-1aa5-5cb0-91a9-cf2edcfa5dfa/pixel.gif";

const OFFER_DISPLAY_BODY: &str = r#"{"leadUuid":"f914eb07-a64f-51d8-b882-ff508a8c5c81","rateTableUuid":"952a1184-d369-5958-9a0f-bec903e11c48","offerUuid":"3426f971-1aa5-5cb0-91a9-cf2edcfa5dfa"}"#;

fn pixel_request() -> http::Request<Body> {
    http::Request::get(PIXEL_PATH)
        .header("host", "127.0.0.1:18080")
        .body(Body::empty())
        .unwrap()
}

/// A JSON POST to the bench fixtures' host, with `headers` beside the content type.
fn post_json<B: AsRef<[u8]> + Into<Body>>(
    path: &str,
    body: B,
    headers: &[(&str, &str)],
) -> http::Request<Body> {
    let mut request = http::Request::post(path)
        .header("host", "127.0.0.1:18080")
        .header("content-type", "application/json")
        .header("content-length", body.as_ref().len());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(body.into()).unwrap()
}

/// The pixel on bare axum (as `examples/baseline.rs` serves it): what
/// `route_pixel` costs beyond this is leadsim's own.
#[divan::bench(sample_count = 2000)]
fn route_pixel_bare_axum(bencher: Bencher) {
    let runtime = runtime();
    let app = Router::new().route(
        "/uiEvent/offerDisplays/{a}/{b}/{c}/pixel.gif",
        axum::routing::get(|| async {
            (
                [
                    (http::header::CONTENT_TYPE, "image/gif"),
                    (http::header::CACHE_CONTROL, "no-store"),
                ],
                [0u8; 43].as_slice(),
            )
        }),
    );
    bencher.bench_local(|| serve(&runtime, &app, pixel_request()));
}

/// A JSON POST on bare axum (as `examples/baseline.rs` answers one): the
/// body read whole, a fixed answer. `bench/headroom.sh` takes the POST
/// routes' own work as their cost beyond this.
#[divan::bench(sample_count = 2000)]
fn route_post_bare_axum(bencher: Bencher) {
    let runtime = runtime();
    let app = Router::new().route(
        "/offerSearches",
        axum::routing::post(|body: axum::body::Bytes| async move {
            drop(body);
            (
                [(http::header::CONTENT_TYPE, "application/json")],
                OFFER_DISPLAY_BODY,
            )
        }),
    );
    bencher.bench_local(|| {
        serve(
            &runtime,
            &app,
            post_json("/offerSearches", OFFER_DISPLAY_BODY, &[]),
        );
    });
}

/// `GET …/pixel.gif`: routing, the journal and recording the display.
#[divan::bench(sample_count = 2000)]
fn route_pixel(bencher: Bencher) {
    let runtime = runtime();
    let app = application();
    bencher.bench_local(|| serve(&runtime, &app, pixel_request()));
}

/// `POST /uiEvent/offerDisplays`: auth, the three uuids read, the display
/// recorded and echoed.
#[divan::bench(sample_count = 2000)]
fn route_offer_display(bencher: Bencher) {
    let runtime = runtime();
    let app = application();
    bencher.bench_local(|| {
        serve(
            &runtime,
            &app,
            post_json(
                "/uiEvent/offerDisplays",
                OFFER_DISPLAY_BODY,
                &[("authorization", "Bearer demo-publishable-token")],
            ),
        );
    });
}

/// `POST /api/v1/lead_analytics`: buffering, parsing, validation, storage.
#[divan::bench(sample_count = 2000)]
fn route_data_analytics_post(bencher: Bencher) {
    let runtime = runtime();
    let app = application();
    let mut n = 0u64;
    bencher.bench_local(|| {
        n += 1;
        let body = format!(
            r#"{{"customer_id":"bench","lead_id":"lead-{}","user_id":"u1","tool_signature":"vfp","recording_id":"r{}","event_type":"view","event_id":"e{n}","message":"m","javascript_local_time":"t","version_info":{{"key":"value"}}}}"#,
            n % 1000,
            n % 5
        );
        serve(&runtime, &app, post_json("/api/v1/lead_analytics", body, &[]));
    });
}

/// `POST /leads/rateTables` (submitLead): a new lead each time, read,
/// checked, underwritten, stored and answered with its rate table.
#[divan::bench(sample_count = 2000)]
fn route_submit_lead(bencher: Bencher) {
    let runtime = runtime();
    let app = application();
    let ratings = ["excellent", "good", "fair", "poor"];
    let mut n = 0u64;
    bencher.bench_local(|| {
        n += 1;
        let body = format!(
            r#"{{"productTypes":["loan","savings"],"personalInformation":{{"firstName":"Bench","email":"b{n}@example.com","state":"TX","zipcode":"73301","dateOfBirth":"1990-01-02","ssn":"123-45-6780"}},"loanInformation":{{"purpose":"debt_consolidation","loanAmount":{}}},"creditInformation":{{"providedCreditRating":"{}"}},"financialInformation":{{"annualIncome":{}}},"clientTags":{{"subid":["s{}"]}}}}"#,
            2000 + (n % 40) * 1000,
            ratings[(n % 4) as usize],
            30000 + (n % 10) * 10000,
            n % 100
        );
        serve(&runtime, &app, post_json("/leads/rateTables", body, &[("authorization", "Bearer demo-publishable-token")]));
    });
}

/// `POST /offerSearches`: the carousel's body for a new lead each time:
/// read, checked, answered from the catalogue, stored and rendered.
#[divan::bench(sample_count = 2000)]
fn route_offer_search_create(bencher: Bencher) {
    let runtime = runtime();
    let app = application();
    let kinds = [
        r#""EarnedWageAccess","CashAdvance""#,
        r#""UnsecuredPersonalLoan""#,
        r#""CashRewards","BankingAccount""#,
    ];
    let mut n = 0usize;
    bencher.bench_local(|| {
        n += 1;
        let body = format!(
            r#"{{"deviceId":"77449c35-820c-4132-9615-5c67656ce754","sessionInformation":{{"ipAddress":"","userAgent":"Mozilla/5.0"}},"productTypes":[{}],"clientTags":{{"os":[""],"isMobile":["false"],"app":["apps/dynamic-offers"],"subid":["s{}"]}},"personalInformation":{{"state":"TX"}}}}"#,
            kinds[n % 3],
            n % 100
        );
        serve(&runtime, &app, post_json("/offerSearches", body, &[("authorization", "Bearer demo-publishable-token"), ("api-version", "2026-02-25")]));
    });
}

/// `GET …/Leads.GetById`: LeadSquared's keys checked, the lead found in
/// the account's generated leads and printed (the id of the first lead a
/// list query names, as `bench/routes.sh` picks it).
#[divan::bench(sample_count = 2000)]
fn route_lsq_get_by_id(bencher: Bencher) {
    let runtime = runtime();
    let app = application();
    let keys = "accessKey=demo-access-key&secretKey=demo-secret-key";
    let list = post_json(
        &format!("/Leads/LeadDistribution/FilterByLeadField?{keys}"),
        r#"{"Output":{"Type":"list","Columns":"ProspectID"},"Paging":{"PageIndex":1,"PageSize":1}}"#,
        &[],
    );
    let id = runtime.block_on(async {
        use tower::ServiceExt;
        let response = app.clone().oneshot(list).await.unwrap();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let listed: serde_json::Value = serde_json::from_slice(&body).unwrap();
        listed["Results"][0]["ProspectID"].as_str().unwrap().to_owned()
    });
    let path = format!("/v2/LeadManagement.svc/Leads.GetById?{keys}&id={id}");
    let request = || {
        http::Request::get(&path)
            .header("host", "127.0.0.1:18080")
            .body(Body::empty())
            .unwrap()
    };
    serve(&runtime, &app, request());
    bencher.bench_local(|| serve(&runtime, &app, request()));
}

/// `POST …/Lead.Capture`: 500 people in turn, as `bench/lsq_capture.lua`
/// sends them; each created once, then matched by email and updated, with
/// a "Lead Capture" activity every time.
#[divan::bench(sample_count = 2000)]
fn route_lsq_capture(bencher: Bencher) {
    let runtime = runtime();
    let app = application();
    let path = "/v2/LeadManagement.svc/Lead.Capture?accessKey=demo-access-key&secretKey=demo-secret-key";
    let capture = |n: u64| {
        let person = n % 500 + 1;
        let body = format!(
            r#"[{{"Attribute":"FirstName","Value":"Bench"}},{{"Attribute":"LastName","Value":"Lead {person}"}},{{"Attribute":"EmailAddress","Value":"bench-{person}@example.com"}},{{"Attribute":"Phone","Value":"41555{person:05}"}},{{"Attribute":"Source","Value":"Webinar"}}]"#
        );
        post_json(path, body, &[])
    };
    // The account's leads are generated by its first call, not measured.
    serve(&runtime, &app, capture(0));
    let mut n = 0u64;
    bencher.bench_local(|| {
        n += 1;
        serve(&runtime, &app, capture(n));
    });
}
