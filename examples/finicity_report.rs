//! Times the heaviest Finicity report: 730 days over a testing customer's
//! three accounts, built (balances and metrics), serialized to JSON, and
//! rendered as PDF. A benchmark, not a test:
//!
//!     cargo run --release --example finicity_report [iterations]
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use leadsim::Fixtures;
use leadsim::Seed;
use leadsim::finicity::pdf;
use leadsim::finicity::report::{self, ReportRequest};
use leadsim::finicity::{ContactDetails, FinicityState};
use leadsim::parse_rfc3339;

fn main() {
    let iterations: u32 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    let fixtures = Fixtures::embedded().expect("embedded fixtures");
    let finicity = FinicityState::new(
        &fixtures
            .of(&leadsim::finicity::SPEC)
            .expect("Finicity's fixtures"),
        Seed::new(42),
    );
    let now = parse_rfc3339("2026-11-23T18:00:00Z").expect("time");
    let customer = finicity
        .customers
        .enroll_testing(0, "bench-customer", None, None, ContactDetails::default(), now)
        .expect("new username");
    let spec = finicity.reports.create(ReportRequest {
        fcra: false,
        partner: 0,
        requester_name: "Bench".into(),
        account_ids: customer.accounts.iter().map(|a| a.id).collect(),
        customer,
        length_days: 730,
        reference_number: None,
        created: now,
    });

    let (mut build, mut json, mut render) = (Vec::new(), Vec::new(), Vec::new());
    let (mut json_bytes, mut pdf_bytes) = (0, 0);
    for _ in 0..iterations {
        let started = Instant::now();
        let report = report::build(&spec);
        build.push(started.elapsed());

        let started = Instant::now();
        json_bytes = serde_json::to_vec(&report).expect("serializes").len();
        json.push(started.elapsed());

        let started = Instant::now();
        pdf_bytes = pdf::render(&report, false).len();
        render.push(started.elapsed());
    }
    println!("730-day report, 3 accounts, {iterations} iterations (median / p95):");
    println!("  build (balances + metrics) {}", summary(&mut build));
    println!(
        "  JSON serialize             {}  ({json_bytes} bytes)",
        summary(&mut json)
    );
    println!(
        "  PDF render                 {}  ({pdf_bytes} bytes)",
        summary(&mut render)
    );
}

fn summary(samples: &mut [Duration]) -> String {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q) as usize];
    format!("{:>8.3} ms / {:>8.3} ms", ms(at(0.5)), ms(at(0.95)))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
