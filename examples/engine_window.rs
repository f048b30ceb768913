//! Times Engine supply-analytics windows: a cold window (nothing cached, so
//! each feed generates the leads of its lookback: 13 days for leadEvents, 28
//! for leadPayouts, an hour for leadClientTags) and a cached one, per feed, at the
//! default fixtures' volume. A benchmark, not a test:
//!
//!     cargo run --release --example engine_window [iterations]
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use chrono::TimeDelta;
use leadsim::Fixtures;
use leadsim::Seed;
use leadsim::engine::Companies;
use leadsim::engine::{Feed, Windows};
use leadsim::parse_rfc3339;

/// The server's allocator, so the figures match what it does.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let iterations: i64 = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(50);
    let fixtures = Fixtures::embedded().expect("embedded fixtures");
    let companies =
        Companies::from_fixtures(&fixtures.of(&leadsim::engine::SPEC).expect("Engine's fixtures"));
    let company = companies.all()[0].clone();
    let start = parse_rfc3339("2020-02-10T00:00:00Z").expect("time");

    let (mut cold, mut cached) = (Vec::new(), Vec::new());
    let mut bytes = 0;
    for i in 0..iterations {
        // A fresh simulation each time: nothing generated, nothing rendered.
        let windows = Windows::new(Seed::new(42), &companies);
        let at = start + TimeDelta::hours(i * 7);
        let started = Instant::now();
        bytes = windows.data_json(&company, Feed::Events, at).len();
        cold.push(started.elapsed());
        let started = Instant::now();
        windows.data_json(&company, Feed::Events, at);
        cached.push(started.elapsed());
    }
    println!(
        "leadEvents window, company {:?}, {iterations} iterations (median / p95):",
        company.name
    );
    println!("  cold   {}  ({bytes} bytes)", summary(&mut cold));
    println!("  cached {}", summary(&mut cached));
}

fn summary(samples: &mut [Duration]) -> String {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    format!("{:>9.3?} / {:>9.3?}", at(0.5), at(0.95))
}
