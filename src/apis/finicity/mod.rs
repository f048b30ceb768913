//! Finicity (Mastercard Open Banking US) Balance Analytics, and the
//! aggregation calls a client makes first: partner authentication, testing
//! customers, a customer and its accounts. Reports are computed from
//! deterministic daily balance histories and served as JSON or PDF.

pub mod aggregation;
pub mod analytics;
pub mod auth;
pub mod balances;
pub mod clock;
pub mod customers;
pub mod error;
pub mod fixtures;
pub mod institutions;
pub mod metrics;
pub mod pdf;
pub mod report;

use std::sync::Arc;

use axum::body::Bytes;

use crate::shared::cache::BoundedCache;
use crate::shared::routes::Routes;
use crate::shared::seed::Seed;
use auth::Auth;
use customers::Directory;
use fixtures::FinicityFixtures;
use report::Reports;

pub fn routes() -> Routes {
    Routes::new()
        .post(
            "/aggregation/v2/partners/authentication",
            aggregation::create_token,
        )
        .post(
            "/aggregation/v2/customers/testing",
            aggregation::add_testing_customer,
        )
        .get(
            "/aggregation/v1/customers/{customerId}",
            aggregation::get_customer,
        )
        .get(
            "/aggregation/v1/customers/{customerId}/accounts",
            aggregation::get_customer_accounts,
        )
        .post("/analytics/balance/v1/customer/{customerId}", analytics::generate)
        .post(
            "/analytics/balance/v1/customer/{customerId}/fcra",
            analytics::generate_fcra,
        )
        .get("/analytics/data/v1/{obb_report_id}", analytics::get_report)
        .get(
            "/analytics/data/v1/{obb_report_id}/fcra",
            analytics::get_report_fcra,
        )
}

/// Rendered report bodies kept (up to a few MB each at 730 days).
const RENDERED_REPORTS: usize = 16;
/// What the rendered reports may weigh together.
const RENDERED_REPORTS_MAX_BYTES: usize = 64 * 1024 * 1024;

/// The family's share of the application state.
#[derive(Debug, Clone)]
pub struct FinicityState {
    pub auth: Auth,
    pub customers: Directory,
    pub reports: Reports,
    /// Recently read reports as sent, by (report id, PDF?): a report never
    /// changes once generated, and building one takes milliseconds, which
    /// a client polling for it should not pay on every read.
    pub rendered: Arc<BoundedCache<(String, bool), Bytes>>,
}

impl FinicityState {
    pub fn new(fixtures: &FinicityFixtures, seed: Seed) -> Self {
        Self {
            auth: Auth::new(fixtures.partners.clone(), seed),
            customers: Directory::new(fixtures.clone(), seed),
            reports: Reports::new(seed),
            rendered: Arc::new(BoundedCache::weighed(
                RENDERED_REPORTS,
                RENDERED_REPORTS_MAX_BYTES,
                |(id, _), body| id.len() + body.len(),
            )),
        }
    }

    /// Takes merged fixtures (partners and customers are only added or
    /// replaced in place, so everything keyed by partner index stays valid).
    pub fn install(&self, fixtures: &FinicityFixtures) {
        self.auth.install(fixtures.partners.clone());
        self.customers.install(fixtures.clone());
        // A replaced customer may have other accounts now.
        self.rendered.clear();
    }

    /// Back to the fixtures: tokens, lockouts, testing customers and reports go.
    pub fn reset(&self) {
        self.auth.reset();
        self.customers.reset();
        self.reports.reset();
        // Report ids start over, so the same id may name another report.
        self.rendered.clear();
    }
}

/// A customer id as the paths carry it: digits of a positive int64.
pub fn parse_customer_id(id: &str) -> Option<i64> {
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    id.parse().ok().filter(|id| *id > 0)
}
