//! Micro-benchmarks of leadsim's pure hot paths, without HTTP: Engine window
//! generation, Finicity report computation and PDF rendering, and the
//! LeadSquared query engine. `cargo bench --bench hot_paths`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;

use chrono::TimeDelta;
use divan::Bencher;
use leadsim::apis::engine::auth::Companies;
use leadsim::apis::engine::generator::Simulation;
use leadsim::apis::engine::lead_ids;
use leadsim::apis::engine::windows::{Feed, Windows};
use leadsim::apis::finicity::report::{self, ReportRequest, ReportSpec};
use leadsim::apis::finicity::{FinicityState, pdf};
use leadsim::apis::leadsquared::LeadSquaredState;
use leadsim::apis::leadsquared::query::{self, Query, Request};
use leadsim::fixtures::Fixtures;
use leadsim::shared::seed::Seed;
use leadsim::shared::time::parse_rfc3339;

/// The server's allocator, so the figures match what it does.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    divan::main();
}

const SEED: Seed = Seed::new(42);

fn engine() -> Companies {
    Companies::from_fixtures(&Fixtures::embedded().unwrap().engine)
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
    let finicity = FinicityState::new(&fixtures.finicity, SEED);
    let now = parse_rfc3339("2026-11-23T18:00:00Z").unwrap();
    let customer = finicity
        .customers
        .enroll_testing(0, "bench-customer", None, None, now)
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
    let lsq = LeadSquaredState::new(&fixtures.leadsquared, SEED).catalog();
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
